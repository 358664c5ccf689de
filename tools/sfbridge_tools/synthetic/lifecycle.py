"""A lead's life: when it was created, who owned it, its status changes, tasks and conversion.

The life is drawn first from the lead's random stream, so the Task, LeadHistory and
Opportunity streams can replay it without building the rest of the lead. Planted profiles
keep wide margins from every threshold in the answer key (stale 90 days, never touched 30,
queue 7, conversion 30 minutes) so the key does not depend on rounding. This is the hottest
code of the generator, so draws are written as ``int(r() * n)`` on a bound ``random``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from sfbridge_tools.synthetic.clock import DAY, HOUR, MINUTE
from sfbridge_tools.synthetic.layout import NO_SOURCE, Outcome
from sfbridge_tools.synthetic.vocab import SOURCES

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.planting import Plant
    from sfbridge_tools.synthetic.vocab import Source

__all__ = ["CLOSED", "CONVERTED", "MQL", "OPEN", "SQL", "WORKING", "Life", "TaskPlan", "build_life", "touches"]

OPEN, WORKING, MQL, SQL, CONVERTED, CLOSED = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Marketing Qualified",
    "Sales Qualified",
    "Closed - Converted",
    "Closed - Not Converted",
)
_RECENT = 25 * DAY  # background leads younger than this may be untouched (never-touched is 30)
_LAST_TOUCH = 70 * DAY  # background open leads were touched within this (stale is 90)
_WEB = frozenset({"Web", "Advertisement", "Webinar"})
_IMPORTED = frozenset({"Purchased List", "Trade Show"})
Draw = Callable[[], float]


class TaskPlan(NamedTuple):
    """A Task on the lead (or, after conversion, on its Contact)."""

    at: int
    due: int
    done: bool
    kind: int
    owner: str
    after_conversion: bool = False


@dataclass(slots=True)
class Life:
    """What happened to a lead, in epoch seconds and Ids.

    Tasks are listed in time order: completed tasks before conversion, then an open
    follow-up or the tasks logged on the Contact after conversion.
    """

    created: int
    creator: str
    owner: str
    source: Source | None
    status: str = OPEN
    events: list[tuple[int, str, str, str]] = field(default_factory=list)
    tasks: list[TaskPlan] = field(default_factory=list)
    converted_at: int | None = None
    opportunity: bool = False
    modified: int = 0
    modified_by: str = ""
    modstamp: int = 0
    score: float | None = None
    rank: int = -1
    disqualified: str | None = None
    #: Due date (epoch of its day) of the latest completed Task on the lead itself.
    last_activity: int | None = None


def touches(r: Draw, window: tuple[int, int], count: int, owner: str, *, after: bool = False) -> list[TaskPlan]:
    """Return `count` completed tasks at random times in the [start, end) `window`, in time order."""
    start, end = window
    if end <= start or count <= 0:
        return []
    span = end - start
    times = sorted([start + int(r() * span) for _ in range(count)])
    return [TaskPlan(at, at - at % DAY, True, int(r() * 9), owner, after) for at in times]  # noqa: FBT003


def _progress(life: Life, r: Draw, until: int, *, qualify: bool) -> None:
    """Move the status along the funnel: Working at the first touch, then MQL/SQL before `until`."""
    tasks, owner = life.tasks, life.owner
    touched = bool(tasks) and tasks[0].done
    start = tasks[0].at if touched else life.created + MINUTE
    if touched:
        life.events.append((start, OPEN, WORKING, owner))
    if not qualify or until - start < 2 * MINUTE:
        return
    mql = start + 1 + int(r() * ((until - start) // 2))
    life.events.append((mql, WORKING if touched else OPEN, MQL, owner))
    if r() < 0.5:  # noqa: PLR2004 (half are also sales-qualified)
        life.events.append((mql + 1 + int(r() * max(1, until - mql - 1)), MQL, SQL, owner))


# Open-lead profiles: (oldest age, whether fresh leads may wait in a queue, chance of being qualified).
_OPEN_PROFILES = {"open": (700 * DAY, True, 0.4), "fresh": (80 * DAY, False, 0.4), "junk": (80 * DAY, False, 0.0)}


def _open(ctx: OrgContext, r: Draw, life: Life, profile: str) -> None:
    max_age, queue, qualify = _OPEN_PROFILES[profile]
    now = ctx.now
    if max_age <= _RECENT or r() < 0.42:  # noqa: PLR2004
        life.created = created = now - HOUR - int(r() * (min(max_age, _RECENT) - HOUR))
        queues = ctx.staff.queues
        if queue and now - created < 6 * DAY and r() < 0.3:  # noqa: PLR2004 (fresh web leads wait in a queue)
            life.owner = queues[int(r() * len(queues))]
            return
        life.tasks = touches(r, (created + 10 * MINUTE, now - 5 * MINUTE), (0, 0, 1, 2)[int(r() * 4)], life.owner)
    else:
        life.created = created = now - (26 * DAY + int((max_age - 26 * DAY) * r() ** 1.6))
        last = now - int(r() * min(_LAST_TOUCH, now - created - HOUR))
        life.tasks = touches(r, (created + HOUR, last), (0, 1, 1, 2, 3)[int(r() * 5)], life.owner)
        life.tasks.append(TaskPlan(last, last - last % DAY, True, int(r() * 9), life.owner))  # noqa: FBT003
    if r() < 0.2:  # noqa: PLR2004 (a follow-up is scheduled)
        due = now + DAY + int(r() * 14 * DAY)
        at = max(now - HOUR - int(r() * 3 * DAY), life.created + MINUTE)
        life.tasks.append(TaskPlan(at, due - due % DAY, False, int(r() * 9), life.owner))  # noqa: FBT003
    _progress(life, r, now, qualify=bool(life.tasks) and r() < qualify)


def _historic_owner(ctx: OrgContext, r: Draw) -> str:
    former, owners = ctx.staff.former, ctx.staff.owners
    if former and r() < 0.15:  # noqa: PLR2004 (people leave; their old leads stay with them)
        return former[int(r() * len(former))]
    return owners[int(r() * len(owners))]


def _closed(ctx: OrgContext, r: Draw, life: Life) -> None:
    age = 20 * DAY + int(980 * DAY * r() ** 1.4)
    life.created = created = ctx.now - age
    life.owner = _historic_owner(ctx, r)
    closed = created + 3 * DAY + int(r() * max(1, min(age - DAY, 200 * DAY) - 3 * DAY))
    life.tasks = touches(r, (created + HOUR, closed - HOUR), (1, 1, 2, 3)[int(r() * 4)], life.owner)
    _progress(life, r, closed, qualify=r() < 0.2)  # noqa: PLR2004
    life.events.append((closed, life.events[-1][2] if life.events else OPEN, CLOSED, life.owner))
    roll = r()
    life.disqualified = "Other" if roll < 0.4 else "Competitor" if roll < 0.55 else None  # noqa: PLR2004
    life.score = float(int(r() * 61))


def _window(ctx: OrgContext, r: Draw, life: Life, ttc: int, *, fast: bool) -> int:
    """Place creation so conversion follows the Account's creation and precedes the snapshot."""
    earliest = max(ctx.account_created(ctx.layout.conv_account[life.rank]) + DAY, ctx.now - 1_000 * DAY)
    latest = ctx.now - ttc - HOUR
    if latest <= earliest and not fast:  # a young Account: convert within a third of its life
        ttc = max(2 * HOUR, (ctx.now - HOUR - earliest) // 3)
        latest = ctx.now - ttc - HOUR
    life.created = latest - int((latest - earliest) * r() ** 1.5)
    return ttc


def _converted(ctx: OrgContext, rng: random.Random, life: Life, index: int, flags: tuple[str, ...]) -> None:
    r = rng.random
    life.rank = ctx.layout.conversion_rank(index)
    life.owner = _historic_owner(ctx, r)
    fast = "too_fast" in flags
    median = life.source.days_to_convert if life.source else 20.0
    if fast:
        ttc = 2 * MINUTE + int(r() * 18 * MINUTE)
    else:
        ttc = max(2 * HOUR, int(min(400.0, median * math.exp(rng.normalvariate(0, 0.8))) * DAY))
    ttc = _window(ctx, r, life, ttc, fast=fast)
    life.converted_at = converted = life.created + ttc
    if "no_activity" not in flags:
        if fast:  # a call logged in the minutes between creation and conversion
            life.tasks = touches(r, (life.created + ttc // 3, life.created + ttc // 2 + 1), 1, life.owner)
        else:
            count = (1, 1, 2, 3, 4)[int(r() * 5)]
            life.tasks = touches(r, (life.created + 10 * MINUTE, converted - 5 * MINUTE), count, life.owner)
    _progress(life, r, converted, qualify="no_qualified" not in flags)
    life.events.append((converted, life.events[-1][2] if life.events else OPEN, CONVERTED, life.owner))
    life.tasks += touches(r, (converted + HOUR, ctx.now - HOUR), (0, 0, 1, 2)[int(r() * 4)], life.owner, after=True)
    life.opportunity = r() < 0.8  # noqa: PLR2004
    life.score = float(5 + int(r() * 36) if "low_score" in flags else 55 + int(r() * 46))


def _planted(ctx: OrgContext, rng: random.Random, life: Life, index: int, plant: Plant) -> float:
    """Fill a planted lead's life; return the chance of an automation bump of LastModifiedDate."""
    r, now, profile = rng.random, ctx.now, plant.life
    if profile == "premature":
        _converted(ctx, rng, life, index, plant.arg)
        return 0.0
    if profile in {"fresh", "inactive_owner"}:
        if profile == "inactive_owner":
            life.owner = ctx.staff.former[int(r() * len(ctx.staff.former))]
        _open(ctx, r, life, "junk" if plant.body == "junk" else "fresh")  # junk is never qualified
        return 0.35
    if profile in {"stale", "stale_never"}:
        life.created = now - (110 * DAY + int(500 * DAY * r() ** 1.3))
        if profile == "stale":
            end = min(life.created + 60 * DAY, now - 100 * DAY)
            life.tasks = touches(r, (life.created + HOUR, end), (1, 1, 2, 3)[int(r() * 4)], life.owner)
            _progress(life, r, now, qualify=False)
        return 0.85
    low, high = {"never": (35 * DAY, 80 * DAY), "queue_old": (9 * DAY, 28 * DAY)}.get(profile, (HOUR, 5 * DAY))
    life.created = now - low - int(r() * (high - low))
    if profile != "never":
        life.owner = ctx.staff.queues[int(r() * len(ctx.staff.queues))]
    return 0.5 if profile == "never" else 0.3


def build_life(ctx: OrgContext, rng: random.Random, index: int) -> Life:
    """Draw lead `index`'s life from its stream (see `streams`).

    Args:
        ctx: the org.
        rng: the stream the lead's life is drawn from.
        index: the lead's index.

    Returns:
        The life, with modification times settled.
    """
    layout, r = ctx.layout, rng.random
    plant = layout.lead_plants.get(index)
    code, owners = layout.source[index], ctx.staff.owners
    life = Life(0, "", owners[int(r() * len(owners))], None if code == NO_SOURCE else SOURCES[code])
    if plant is not None:
        bump = _planted(ctx, rng, life, index, plant)
    elif layout.outcome[index] == Outcome.OPEN:
        _open(ctx, r, life, "open")
        bump = 0.35
    elif layout.outcome[index] == Outcome.CLOSED:
        _closed(ctx, r, life)
        bump = 0.2
    else:
        _converted(ctx, rng, life, index, ())
        bump = 0.0  # converted leads are read-only
    _settle(ctx, r, life, bump)
    return life


def _settle(ctx: OrgContext, r: Draw, life: Life, bump: float) -> None:
    """Set creator, score, LastModifiedDate/By and SystemModstamp (automation bumps the former only)."""
    value, staff = life.source.value if life.source else "", ctx.staff
    if value in _WEB or life.owner.startswith("00G"):
        life.creator = staff.automation  # web-to-lead and the marketing sync
    else:
        life.creator = staff.admin if value in _IMPORTED else life.owner  # list imports, or the rep
    if life.score is None and r() < 0.9:  # noqa: PLR2004
        life.score = float(int(r() * 101))
    if life.events:
        life.modified, _, life.status, life.modified_by = life.events[-1]
    else:
        life.modified, life.modified_by = life.created, life.creator
    if r() < bump:
        touched = ctx.now - int(r() * (14 if bump > 0.8 else 30) * DAY)  # noqa: PLR2004
        if touched > life.modified:
            life.modified, life.modified_by = touched, staff.automation
    # Logging a completed task recalculates LastActivityDate: SystemModstamp moves, LastModifiedDate does not.
    life.modstamp = life.modified
    for task in life.tasks:
        if task.done and not task.after_conversion:
            life.last_activity = task.due  # tasks are in time order, so the last one wins
            if life.converted_at is None and task.at > life.modstamp:
                life.modstamp = task.at
