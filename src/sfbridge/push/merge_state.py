"""What re-read records say about a planned merge: done, safe to send, or changed since the plan.

A merge deletes the records merged into the master and sets their ``MasterRecordId`` to the
master's Id; ``queryAll`` (which apply's re-reads use) still returns them from the Recycle
Bin. So a merge shows on its records: every merged record deleted with the master as its
``MasterRecordId`` is this merge done, whoever sent it. One merge is one transaction, so
its records never show half of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfbridge.ids import InvalidIdError, to_18
from sfbridge.models import Action, RecordMerge
from sfbridge.push.values import modstamp_of, same_value

__all__ = ["MERGE_STATE", "merge_after", "merge_problem", "merge_shows"]

#: What a merge's re-read asks of each of its records (besides Id, IsDeleted and SystemModstamp).
MERGE_STATE = ("MasterRecordId",)

Records = Mapping[str, Mapping[str, Any]]


def _same_id(left: object, right: str) -> bool:
    try:
        return isinstance(left, str) and to_18(left) == to_18(right)
    except InvalidIdError:
        return False


def _merged_into(record: Mapping[str, Any] | None, master: str) -> bool:
    return record is not None and bool(record.get("IsDeleted")) and _same_id(record.get("MasterRecordId"), master)


def merge_shows(merge: RecordMerge, records: Records) -> bool:
    """Whether the records show the merge done: each merged record deleted into the master."""
    return all(_merged_into(records.get(record_id), merge.master_id) for record_id in merge.merged_ids)


def _gone(sobject: str, record_id: str, record: Mapping[str, Any] | None, *, master: str | None) -> str | None:
    """Why a record can no longer take part in a merge into ``master`` (None: it still can)."""
    if record is None:
        return f"{sobject} {record_id} is gone (deleted and purged, or not visible to this user)"
    if record.get("IsDeleted"):
        into = record.get("MasterRecordId")
        if into and master is not None and _same_id(into, master):
            return None  # merged into this master already: merge_shows() decides
        return (
            f"{sobject} {record_id} was merged into {into} since the plan was made"
            if into
            else (f"{sobject} {record_id} was deleted since the plan was made")
        )
    if record.get("IsConverted"):
        return f"Lead {record_id} was converted since the plan was made"
    return None


def merge_problem(action: Action, records: Records, *, wrote_before: bool) -> str | None:
    """Why a merge must not be sent as its records are now (None: send it).

    Args:
        action: a ``MergeRecords`` action.
        records: its records as re-read now, by Id.
        wrote_before: whether an earlier merge of this plan into the same master is done (its
            SystemModstamp and values moved because of us).
    """
    merge = action.merge
    if merge is None:  # a plan file always has one (validated on read)
        return "a merge without its records"
    why = _gone(action.sobject, merge.master_id, records.get(merge.master_id), master=None) or next(
        (
            problem
            for record_id in merge.merged_ids
            if (problem := _gone(action.sobject, record_id, records.get(record_id), master=merge.master_id))
        ),
        None,
    )
    if why is None:
        why = _changed(action, merge, records, wrote_before=wrote_before)
    if why is None and any(_merged_into(records.get(record_id), merge.master_id) for record_id in merge.merged_ids):
        return "part of the merge is done already (one record is merged into the master, not the other): review it"
    return why


def _changed(action: Action, merge: RecordMerge, records: Records, *, wrote_before: bool) -> str | None:
    """How a merge's records changed since the plan saw them (None: they did not)."""
    for record_id in merge.record_ids:
        record = records[record_id]
        if record.get("IsDeleted") or (record_id == merge.master_id and wrote_before):
            continue
        seen, now = merge.seen.get(record_id), modstamp_of(record)
        if seen is not None and now is not None and now != seen:
            return (
                f"{action.sobject} {record_id} changed since the plan was made "
                f"(SystemModstamp {seen:%Y-%m-%d %H:%M:%S} → {now:%Y-%m-%d %H:%M:%S})"
            )
    master = records[merge.master_id]
    for name, expected in action.expected.items():
        if not wrote_before and not same_value(master.get(name), expected):
            return f"the master's {name} is now {master.get(name)!r}, not {expected!r} as planned"
    return None


def merge_after(
    action: Action, *, merged: tuple[str, ...] | None = None, related: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """A done merge's journalled ``after``: the master, the records merged, the related records moved, the values set.

    ``updated_related`` is None when the answer was lost (the merge was learned by re-reading):
    Salesforce then never said which related records it re-parented.
    """
    merge = action.merge
    return {
        "master": action.record_id,
        "merged": list(merged if merged is not None else (merge.merged_ids if merge else ())),
        "updated_related": list(related) if related is not None else None,
        "values": dict(action.values),
    }
