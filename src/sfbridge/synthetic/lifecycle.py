"""A lead's life: when it was created, who owned it, its status changes, tasks and conversion.

The life is drawn first from the lead's random stream, so the Task, LeadHistory and
Opportunity streams can replay it without building the rest of the lead. Planted profiles
keep wide margins from every threshold in the answer key (stale 90 days, never touched 30,
queue 7, conversion 30 minutes) so the key does not depend on rounding.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from sfbridge.synthetic.clock import DAY, HOUR, MINUTE
from sfbridge.synthetic.layout import NO_SOURCE, Outcome
from sfbridge.synthetic.seeding import below, between, pick
from sfbridge.synthetic.vocab import SOURCES

if TYPE_CHECKING:
    from sfbridge.synthetic.context import OrgContext
    from sfbridge.synthetic.vocab import Source

__all__ = ["ContactLife", "Life", "TaskPlan", "build_life", "contact_life"]

OPEN, WORKING, MQL, SQL, CONVERTED, CLOSED = (
    "Open - Not Contacted", "Working - Contacted", "Marketing Qualified", "Sales Qualified",
    "Closed - Converted", "Closed - Not Converted",
)
_RECENT = 25 * DAY  # background leads younger than this may be untouched (never-touched is 30)
_LAST_TOUCH = 70 * DAY  # background open leads were touched within this (stale is 90)


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
    """What happened to a lead, in epoch seconds and Ids."""

    created: int
    creator: str
    owner: str
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
    source: Source | None = None
    #: Due date (epoch of its day) of the latest completed Task on the lead itself.
    last_activity: int | None = None


def _owner(ctx: OrgContext, rng: random.Random, *, historic: bool = False) -> str:
    staff = ctx.staff
    if historic and staff.former and rng.random() < 0.15:  # noqa: PLR2004 (people leave; their old leads stay)
        return staff.former[below(rng, len(staff.former))]
    return staff.owners[below(rng, len(staff.owners))]


def _done(at: int, rng: random.Random, owner: str, *, after: bool = False) -> TaskPlan:
    return TaskPlan(at, at - at % DAY, True, int(rng.random() * 9), owner, after)  # noqa: FBT003 (NamedTuple fields)


def _touches(rng: random.Random, start: int, end: int, count: int, owner: str, *, after: bool = False) -> list[TaskPlan]:
    if end <= start or count <= 0:
        return []
    span, r = end - start, rng.random
    times = [start + int(r() * span) for _ in range(count)]
    times.sort()
    return [TaskPlan(at, at - at % DAY, True, int(r() * 9), owner, after) for at in times]  # noqa: FBT003


def _progress(life: Life, rng: random.Random, until: int, *, qualify: bool) -> None:
    """Move the status along the funnel: Working at the first touch, then MQL/SQL before `until`."""
    first = next((t.at for t in life.tasks if t.done and not t.after_conversion), None)
    start = first if first is not None else life.created + MINUTE
    if first is not None:
        life.events.append((first, OPEN, WORKING, life.owner))
    done = first is not None
    if not qualify or until - start < 2 * MINUTE:
        return
    previous = WORKING if done else OPEN
    mql = start + between(rng, 1, (until - start) // 2 + 1)
    life.events.append((mql, previous, MQL, life.owner))
    if rng.random() < 0.5:  # noqa: PLR2004 (half are also sales-qualified)
        life.events.append((mql + between(rng, 1, max(2, until - mql)), MQL, SQL, life.owner))


def _creator(ctx: OrgContext, life: Life) -> str:
    value = life.source.value if life.source else ""
    if value in {"Web", "Advertisement", "Webinar"} or life.owner.startswith("00G"):
        return ctx.staff.automation  # web-to-lead and marketing sync
    if value in {"Purchased List", "Trade Show"}:
        return ctx.staff.admin  # list imports
    return life.owner


def _open(ctx: OrgContext, rng: random.Random, life: Life, *, max_age: int, queue: bool) -> None:
    now = ctx.now
    if max_age <= _RECENT or rng.random() < 0.42:  # noqa: PLR2004
        life.created = now - between(rng, HOUR, min(max_age, _RECENT))
        if queue and now - life.created < 6 * DAY and rng.random() < 0.3 and ctx.staff.queues:  # noqa: PLR2004
            life.owner = ctx.staff.queues[below(rng, len(ctx.staff.queues))]
            return
        life.tasks = _touches(rng, life.created + 10 * MINUTE, now - 5 * MINUTE, pick(rng, (0, 0, 1, 2)), life.owner)
    else:
        life.created = now - (26 * DAY + int((max_age - 26 * DAY) * rng.random() ** 1.6))
        last = now - between(rng, 0, min(_LAST_TOUCH, now - life.created - HOUR))
        earlier = _touches(rng, life.created + HOUR, last, pick(rng, (0, 1, 1, 2, 3)), life.owner)
        life.tasks = [*earlier, _done(last, rng, life.owner)]
    if rng.random() < 0.2:  # noqa: PLR2004 (a follow-up is scheduled)
        due = now + between(rng, DAY, 15 * DAY)
        at = max(now - between(rng, HOUR, 3 * DAY), life.created + MINUTE)
        life.tasks.append(TaskPlan(at, due - due % DAY, False, below(rng, 9), life.owner))  # noqa: FBT003
    _progress(life, rng, now, qualify=bool(life.tasks) and rng.random() < 0.4)  # noqa: PLR2004


def _stale(ctx: OrgContext, rng: random.Random, life: Life, *, touched: bool) -> None:
    life.created = ctx.now - (110 * DAY + int(500 * DAY * rng.random() ** 1.3))
    if touched:
        end = min(life.created + 60 * DAY, ctx.now - 100 * DAY)
        life.tasks = _touches(rng, life.created + HOUR, end, pick(rng, (1, 1, 2, 3)), life.owner)
        _progress(life, rng, ctx.now, qualify=False)


def _conversion_window(ctx: OrgContext, rng: random.Random, life: Life, ttc: int, *, fast: bool) -> int:
    """Place creation so conversion follows the Account's creation and precedes the snapshot."""
    account = ctx.layout.conv_account[life.rank]
    earliest = max(ctx.account_created(account) + DAY, ctx.now - 1_000 * DAY)
    latest = ctx.now - ttc - HOUR
    if latest <= earliest and not fast:  # a young Account: convert within a third of its life
        ttc = max(2 * HOUR, (ctx.now - HOUR - earliest) // 3)
        latest = ctx.now - ttc - HOUR
    life.created = latest - int((latest - earliest) * rng.random() ** 1.5)
    return ttc


def _converted(ctx: OrgContext, rng: random.Random, life: Life, index: int, flags: tuple[str, ...]) -> None:
    life.rank = ctx.layout.conversion_rank(index)
    life.owner = _owner(ctx, rng, historic=True)
    fast = "too_fast" in flags
    median = life.source.days_to_convert if life.source else 20.0
    ttc = between(rng, 2 * MINUTE, 20 * MINUTE) if fast else int(min(400.0, max(0.1, median * math.exp(rng.normalvariate(0, 0.8)))) * DAY)
    ttc = max(ttc, 2 * MINUTE) if fast else max(ttc, 2 * HOUR)
    ttc = _conversion_window(ctx, rng, life, ttc, fast=fast)
    life.converted_at = life.created + ttc
    if "no_activity" not in flags:
        count = 1 if fast else pick(rng, (1, 1, 2, 3, 4))
        lo, hi = (life.created + ttc // 3, life.created + ttc // 2 + 1) if fast else (life.created + 10 * MINUTE, life.converted_at - 5 * MINUTE)
        life.tasks = _touches(rng, lo, hi, count, life.owner)
    _progress(life, rng, life.converted_at, qualify="no_qualified" not in flags)
    previous = life.events[-1][2] if life.events else OPEN
    life.events.append((life.converted_at, previous, CONVERTED, life.owner))
    life.tasks += _touches(rng, life.converted_at + HOUR, ctx.now - HOUR, pick(rng, (0, 0, 1, 2)), life.owner, after=True)
    life.opportunity = rng.random() < 0.8  # noqa: PLR2004
    life.score = float(between(rng, 5, 41) if "low_score" in flags else between(rng, 55, 101))


def _closed(ctx: OrgContext, rng: random.Random, life: Life) -> None:
    age = 20 * DAY + int(980 * DAY * rng.random() ** 1.4)
    life.created = ctx.now - age
    life.owner = _owner(ctx, rng, historic=True)
    closed = life.created + between(rng, 3 * DAY, max(3 * DAY + 1, min(age - DAY, 200 * DAY)))
    life.tasks = _touches(rng, life.created + HOUR, closed - HOUR, pick(rng, (1, 1, 2, 3)), life.owner)
    _progress(life, rng, closed, qualify=rng.random() < 0.2)  # noqa: PLR2004
    previous = life.events[-1][2] if life.events else OPEN
    life.events.append((closed, previous, CLOSED, life.owner))
    roll = rng.random()
    life.disqualified = "Other" if roll < 0.4 else "Competitor" if roll < 0.55 else None  # noqa: PLR2004
    life.score = float(between(rng, 0, 61))


def _profile(ctx: OrgContext, rng: random.Random, life: Life, index: int, profile: str, flags: tuple[str, ...]) -> float:
    """Fill the life for a profile; return the chance of an automation bump of LastModifiedDate."""
    if profile == "converted":
        _converted(ctx, rng, life, index, flags)
        return 0.0  # converted leads are read-only
    if profile == "closed":
        _closed(ctx, rng, life)
        return 0.2
    if profile in {"open", "fresh", "inactive_owner"}:
        _open(ctx, rng, life, max_age=(700 if profile == "open" else 80) * DAY, queue=profile == "open")
        return 0.35
    if profile in {"stale", "stale_never"}:
        _stale(ctx, rng, life, touched=profile == "stale")
        return 0.85
    if profile == "never":
        life.created = ctx.now - between(rng, 35 * DAY, 80 * DAY)
        return 0.5
    low, high = (9 * DAY, 28 * DAY) if profile == "queue_old" else (HOUR, 5 * DAY)
    life.created = ctx.now - between(rng, low, high)
    life.owner = ctx.staff.queues[below(rng, len(ctx.staff.queues))]
    return 0.3


def build_life(ctx: OrgContext, rng: random.Random, index: int) -> Life:
    """Draw lead `index`'s life from its (freshly seeded) stream.

    Args:
        ctx: the org.
        rng: the lead's stream, seeded for this lead and not yet used.
        index: the lead's index.

    Returns:
        The life, with modification times settled.
    """
    layout = ctx.layout
    plant = layout.lead_plants.get(index)
    code = layout.source[index]
    life = Life(created=0, creator="", owner=_owner(ctx, rng), source=None if code == NO_SOURCE else SOURCES[code])
    if plant is None:
        profile, flags = ("open", "converted", "closed")[layout.outcome[index]], ()
    else:
        profile, flags = plant.life, plant.arg if plant.life == "premature" else ()
        profile = "converted" if profile == "premature" else profile
    if plant is not None and plant.life == "inactive_owner":
        life.owner = ctx.staff.former[below(rng, len(ctx.staff.former))]
    bump = _profile(ctx, rng, life, index, profile, flags)
    life.creator = _creator(ctx, life)
    if life.score is None and rng.random() < 0.9:  # noqa: PLR2004
        life.score = float(between(rng, 0, 101))
    _settle(ctx, rng, life, bump)
    if layout.outcome[index] == Outcome.CONVERTED and life.converted_at is None:
        msg = f"lead {index} is laid out as converted but its profile is {profile}"
        raise AssertionError(msg)
    return life


def _settle(ctx: OrgContext, rng: random.Random, life: Life, bump: float) -> None:
    """Set LastModifiedDate/By and SystemModstamp; automation bumps LastModifiedDate, not activity."""
    if life.events:
        life.status = life.events[-1][2]
        life.modified, life.modified_by = life.events[-1][0], life.events[-1][3]
    else:
        life.modified, life.modified_by = life.created, life.creator
    if rng.random() < bump:
        touched = ctx.now - between(rng, 0, (14 if bump > 0.8 else 30) * DAY)  # noqa: PLR2004
        if touched > life.modified:
            life.modified, life.modified_by = touched, ctx.staff.automation
    # Logging a completed task recalculates LastActivityDate: SystemModstamp moves, LastModifiedDate does not.
    life.modstamp = life.modified
    for task in life.tasks:  # tasks are in time order within each kind; track maxima directly
        if task.done and not task.after_conversion:
            if life.last_activity is None or task.due > life.last_activity:
                life.last_activity = task.due
            if life.converted_at is None and task.at > life.modstamp:
                life.modstamp = task.at


@dataclass(slots=True)
class ContactLife:
    """What happened to a directly created Contact."""

    created: int
    owner: str
    source: Source | None
    tasks: list[TaskPlan] = field(default_factory=list)
    modified: int = 0
    modified_by: str = ""
    modstamp: int = 0
    #: Due date (epoch of its day) of the latest completed Task.
    last_activity: int | None = None


def contact_life(ctx: OrgContext, rng: random.Random, index: int) -> ContactLife:
    """Draw direct contact `index`'s life from its (freshly seeded) stream."""
    account = ctx.layout.contact_account[index]
    low = ctx.account_created(account) + DAY if account >= 0 else ctx.now - 1_500 * DAY
    created = low + below(rng, max(1, ctx.now - 2 * HOUR - low))
    owner = ctx.account_owner(account) if account >= 0 and rng.random() < 0.7 else _owner(ctx, rng)  # noqa: PLR2004
    plant = ctx.layout.contact_plants.get(index)
    source = rng.choices(SOURCES, [s.share for s in SOURCES])[0]
    life = ContactLife(created, owner, None if plant is not None and plant.body == "missing_source" else source)
    life.tasks = _touches(rng, created + HOUR, ctx.now - HOUR, pick(rng, (0, 0, 1, 1, 2, 3)), owner)
    if rng.random() < 0.15:  # noqa: PLR2004
        due = ctx.now + between(rng, DAY, 20 * DAY)
        life.tasks.append(TaskPlan(max(created + MINUTE, ctx.now - DAY), due - due % DAY, False, below(rng, 9), owner))  # noqa: FBT003
    life.modified, life.modified_by = created + below(rng, max(1, (ctx.now - created) // 4)), owner
    if rng.random() < 0.3:  # noqa: PLR2004
        life.modified, life.modified_by = max(life.modified, ctx.now - below(rng, 30 * DAY)), ctx.staff.automation
    done = [t for t in life.tasks if t.done]
    if done:
        life.last_activity = max(t.due for t in done)
    life.modstamp = max([life.modified, *(t.at for t in done)])
    return life
