"""Task and LeadHistory records, replayed from lead and contact lives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sfbridge_tools.synthetic.clock import MINUTE, rest_date, rest_datetime

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.contact_life import ContactLife
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.lifecycle import Life, TaskPlan

__all__ = ["TASKS_PER_RECORD", "contact_tasks", "lead_history", "lead_tasks"]

#: Task and history Id counters are record index * this + position (gaps are normal in orgs).
TASKS_PER_RECORD = 8
# (Subject, TaskSubtype, is a call)
# fmt: off
_KINDS = (
    ("Call", "Call", True), ("Email: Introduction", "Email", False), ("Follow-up call", "Call", True),
    ("Send pricing", "Task", False), ("Discovery call", "Call", True), ("Email: Re: Demo request", "Email", False),
    ("Left voicemail", "Call", True), ("LinkedIn message", "Task", False), ("Send Quote", "Task", False),
)
# fmt: on

_RESULTS = ("Connected", "Left voicemail", "No answer", "Meeting booked")


def _task(ctx: OrgContext, counter: int, plan: TaskPlan) -> dict[str, Any]:
    subject, subtype, call = _KINDS[plan.kind]
    h = (counter * 2_654_435_761) & 0xFFFFFFFF  # Knuth's multiplicative hash: cheap, stable per Task
    high, done, owner = h % 10 == 0, plan.done, plan.owner
    finished = rest_datetime(min(ctx.now, plan.at + (h >> 8) % (20 * MINUTE)))
    record: dict[str, Any] = {
        "Id": ctx.mint["Task"](counter),
        "Subject": subject,
        "ActivityDate": rest_date(plan.due),
        "Status": "Completed" if done else ("Not Started", "In Progress")[h & 1],
        "Priority": "High" if high else "Normal",
        "IsHighPriority": high,
        "OwnerId": owner,
        "IsDeleted": False,
        "IsClosed": done,
        "CreatedDate": rest_datetime(plan.at),
        "CreatedById": owner,
        "LastModifiedDate": finished,
        "LastModifiedById": owner,
        "SystemModstamp": finished,
        "IsArchived": False,
        "IsReminderSet": False,
        "IsRecurrence": False,
        "TaskSubtype": subtype,
    }
    if done:
        record["CompletedDateTime"] = finished
        if call:
            record["CallDurationInSeconds"] = 30 + (h >> 4) % 1_500
            record["CallType"] = "Outbound"
            record["CallDisposition"] = _RESULTS[(h >> 12) % len(_RESULTS)]
    return record


def lead_tasks(ctx: OrgContext, index: int, life: Life) -> Iterator[dict[str, Any]]:
    """Yield lead `index`'s Tasks; a converted lead's Tasks belong to its new Contact."""
    layout, mint = ctx.layout, ctx.mint
    who = mint["Lead"](index)
    what = account = None
    if life.converted_at is not None:
        # Conversion moves the lead's activities to the Contact (and its Opportunity or Account).
        who = mint["Contact"](layout.direct_contacts + life.rank)
        account = mint["Account"](layout.conv_account[life.rank])
        what = mint["Opportunity"](life.rank) if life.opportunity else account
    for position, plan in enumerate(life.tasks):
        record = _task(ctx, index * TASKS_PER_RECORD + position, plan)
        record["WhoId"] = who
        if what is not None:
            record.update(WhatId=what, AccountId=account)
            if life.converted_at is not None and plan.at < life.converted_at:  # re-parenting is an edit
                stamp = rest_datetime(life.converted_at)
                record.update(LastModifiedDate=stamp, LastModifiedById=life.owner, SystemModstamp=stamp)
        yield record


def contact_tasks(ctx: OrgContext, index: int, life: ContactLife) -> Iterator[dict[str, Any]]:
    """Yield direct contact `index`'s Tasks."""
    account = ctx.layout.contact_account[index]
    base = ctx.shape.leads * TASKS_PER_RECORD + index * TASKS_PER_RECORD
    for position, plan in enumerate(life.tasks):
        record = _task(ctx, base + position, plan)
        record["WhoId"] = ctx.mint["Contact"](index)
        if account >= 0:
            record["AccountId"] = ctx.mint["Account"](account)
            if plan.at % 2:
                record["WhatId"] = record["AccountId"]
        yield record


def lead_history(ctx: OrgContext, index: int, life: Life) -> Iterator[dict[str, Any]]:
    """Yield lead `index`'s field history: the 'created' row, then each Status change."""
    lead_id = ctx.mint["Lead"](index)
    base = index * TASKS_PER_RECORD
    yield {
        "Id": ctx.mint["LeadHistory"](base),
        "IsDeleted": False,
        "LeadId": lead_id,
        "CreatedById": life.creator,
        "CreatedDate": rest_datetime(life.created),
        "Field": "created",
        "DataType": "Text",
    }
    for position, (at, old, new, by) in enumerate(life.events, start=1):
        yield {
            "Id": ctx.mint["LeadHistory"](base + position),
            "IsDeleted": False,
            "LeadId": lead_id,
            "CreatedById": by,
            "CreatedDate": rest_datetime(at),
            "Field": "Status",
            "DataType": "DynamicEnum",
            "OldValue": old,
            "NewValue": new,
        }
