"""A directly created Contact's life: creation on its Account, owner, tasks, modifications."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sfbridge_tools.synthetic.clock import DAY, HOUR, MINUTE
from sfbridge_tools.synthetic.lifecycle import TaskPlan, touches
from sfbridge_tools.synthetic.vocab import SOURCES

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.vocab import Source

__all__ = ["ContactLife", "contact_life"]

_SOURCE_TABLE = tuple(s for s in SOURCES for _ in range(round(s.share * 100)))


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
    """Draw direct contact `index`'s life from its stream (see `streams`)."""
    r, now = rng.random, ctx.now
    account = ctx.layout.contact_account[index]
    low = ctx.account_created(account) + DAY if account >= 0 else now - 1_500 * DAY
    created = low + int(r() * max(1, now - 2 * HOUR - low))
    owners = ctx.staff.owners
    owner = ctx.account_owner(account) if account >= 0 and r() < 0.7 else owners[int(r() * len(owners))]  # noqa: PLR2004
    plant = ctx.layout.contact_plants.get(index)
    source = _SOURCE_TABLE[int(r() * len(_SOURCE_TABLE))]
    life = ContactLife(created, owner, None if plant is not None and plant.body == "missing_source" else source)
    life.tasks = touches(r, (created + HOUR, now - HOUR), (0, 0, 1, 1, 2, 3)[int(r() * 6)], owner)
    if r() < 0.15:  # noqa: PLR2004 (a follow-up is scheduled)
        due = now + DAY + int(r() * 19 * DAY)
        life.tasks.append(TaskPlan(max(created + MINUTE, now - DAY), due - due % DAY, False, int(r() * 9), owner))  # noqa: FBT003
    life.modified, life.modified_by = created + int(r() * max(1, (now - created) // 4)), owner
    if r() < 0.3:  # noqa: PLR2004 (the marketing sync touches contacts too)
        life.modified, life.modified_by = max(life.modified, now - int(r() * 30 * DAY)), ctx.staff.automation
    life.modstamp = life.modified
    for task in life.tasks:
        if task.done:
            life.last_activity = task.due
            life.modstamp = max(life.modstamp, task.at)
    return life
