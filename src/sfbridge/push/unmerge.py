"""Revert an apply run's merges: the merged records undeleted, the master's values put back.

What Salesforce lets us put back, and what not:

- A merge deletes the records merged into the master; they stay in the Recycle Bin for 15
  days and ``undelete`` restores them as they were ("After you have deleted records, the
  records are placed in the Recycle Bin for 15 days, after which they are permanently
  deleted": Apex Developer Guide, Restoring Deleted Records). The bin can be emptied sooner
  (by a user, or when it is over capacity), so a record ``queryAll`` no longer returns is gone
  whatever the date.
- The master's fields the merge set are put back to their journalled before-values, field by
  field, only where they still hold what the merge wrote: a value someone changed since is
  theirs, and is left with the reason.
- The related records (tasks, campaign members, ...) the merge moved to the master stay
  there: "You can undelete records that were deleted as the result of a merge, but the child
  objects are reparented, which can't be undone" (SOAP API Developer Guide, undelete()). They
  are listed from the merge's ``updatedRelatedIds``, never silently lost.

The window is measured on Salesforce's clock (``Date`` of its answers), from the merged
record's SystemModstamp (set when the merge deleted it). A merge whose window closed, or
whose merged records are purged, is refused whole with the date it closed: putting the
master's values back without the records they came from would lose data, not restore it.

Revert is decided from the records as they are now, so running it again after a crash or a
lost answer repeats nothing: records already undeleted are not sent again, values already
put back are not written again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sfbridge.errors import SalesforceError
from sfbridge.models import MAX_MERGED, ActionKind, JournalEntry, JournalState
from sfbridge.push.values import modstamp_of, same_value
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.merge import MAX_UNDELETES
from sfbridge.salesforce.writes import RecordUpdate
from sfbridge.store import Store

__all__ = ["RECYCLE_BIN_DAYS", "unmerge_all"]

#: How long Salesforce keeps a deleted (or merged) record in the Recycle Bin.
RECYCLE_BIN_DAYS = 15

# One undelete call takes every merged record of a batch, and one update call every master.
_MERGES_PER_BATCH = min(MAX_UNDELETES // MAX_MERGED, 200)


@dataclass
class _Unmerge:
    """One merge to revert: what to undelete, which master values to put back, what stays as it is."""

    merge: JournalEntry
    step: JournalEntry
    undelete: list[str] = field(default_factory=list)
    back_already: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # why a master field is left as it is


def unmerge_all(
    gateway: SalesforceGateway,
    store: Store,
    done: Sequence[JournalEntry],
    *,
    run_id: int,
    digest: str,
    clock: Callable[[], datetime],
) -> list[JournalEntry]:
    """Revert the done merges of an apply run; each one's outcome, journalled under ``run_id``.

    Args:
        gateway: a session on the run's org.
        store: the store holding the run's journal.
        done: the run's ``done`` merge steps.
        run_id: the revert run, which journals each outcome.
        digest: the reverted run's plan.
        clock: the time source for the journal (the Recycle Bin's window is Salesforce's).
    """
    if not done:
        return []
    merges, outcomes = _as_sent(done, store.journal_of_plan(digest))
    for skipped in outcomes:
        store.journal(run_id, digest, [skipped], at=clock())
    now = gateway.server_time()
    ready: list[_Unmerge] = []
    for sobject in sorted({entry.sobject for entry in merges}):
        of_object = [entry for entry in merges if entry.sobject == sobject]
        fields = sorted({"MasterRecordId", *(name for entry in of_object for name in _values_of(entry))})
        ids = sorted({record_id for entry in of_object for record_id in (entry.record_id, *_merged_of(entry))})
        current = gateway.fetch_records(sobject, ids, fields)
        for entry in of_object:
            unmerge = _plan(entry, current, now=now)
            if isinstance(unmerge, str):
                skipped = _step(entry, JournalState.SKIPPED, detail=unmerge)
                store.journal(run_id, digest, [skipped], at=clock())
                outcomes.append(skipped)
            else:
                ready.append(unmerge)
    for start in range(0, len(ready), _MERGES_PER_BATCH):
        batch = ready[start : start + _MERGES_PER_BATCH]
        gateway.check_budget("revert merges")
        store.journal(run_id, digest, [unmerge.step for unmerge in batch], at=clock())
        ended = _send(gateway, batch)
        store.journal(run_id, digest, ended, at=clock())
        outcomes.extend(ended)
    return outcomes


def _as_sent(
    done: Sequence[JournalEntry], plan_journal: Sequence[JournalEntry]
) -> tuple[list[JournalEntry], list[JournalEntry]]:
    """The done merges with what their ``sent`` step journalled (before-images, records); and those never sent.

    A merge learned by re-reading (its answer lost, or a resumed run) is journalled ``done``
    without the before-image, which its ``sent`` step holds, perhaps in an earlier run of the
    plan. A merge this plan never sent (found already merged by someone else) is not ours to undo.
    """
    sent = {entry.action_key: entry for entry in plan_journal if entry.state is JournalState.SENT}
    merges, never_sent = [], []
    for entry in done:
        step = sent.get(entry.action_key)
        if step is None:
            never_sent.append(
                _step(
                    entry,
                    JournalState.SKIPPED,
                    detail="this plan never sent the merge (it found the records "
                    "merged already): not this run's to undo",
                )
            )
            continue
        merges.append(
            entry.model_copy(
                update={
                    "before": entry.before or step.before,
                    "after": entry.after if entry.after.get("merged") else step.after,
                    "at": entry.at or step.at,
                }
            )
        )
    return merges, never_sent


def _merged_of(entry: JournalEntry) -> list[str]:
    return [str(record_id) for record_id in entry.after.get("merged") or ()]


def _values_of(entry: JournalEntry) -> dict[str, Any]:
    return dict(entry.after.get("values") or {})


def _step(entry: JournalEntry, state: JournalState, *, detail: str | None = None, **after: Any) -> JournalEntry:  # noqa: ANN401
    return JournalEntry(
        action_key=f"revert:{entry.action_key}",
        kind=ActionKind.MERGE_RECORDS,
        sobject=entry.sobject,
        record_id=entry.record_id,
        state=state,
        before={"merged": _merged_of(entry), "values": _values_of(entry)},
        after=after,
        detail=detail,
    )


def _plan(entry: JournalEntry, current: Mapping[str, Mapping[str, Any]], *, now: datetime) -> _Unmerge | str:
    """What reverting one merge takes, as its records are now; or why it cannot be reverted."""
    master_id = entry.record_id
    master = current.get(master_id)
    if master is None or master.get("IsDeleted"):
        return (
            f"the master {entry.sobject} {master_id} is deleted since the merge; undelete it first, then revert again"
        )
    unmerge = _Unmerge(merge=entry, step=_step(entry, JournalState.SENT))
    for record_id in _merged_of(entry):
        record = current.get(record_id)
        if record is None:
            closed = entry.at + timedelta(days=RECYCLE_BIN_DAYS) if entry.at is not None else None
            when = (
                f"its {RECYCLE_BIN_DAYS}-day window closed on {_day(closed)}"
                if closed is not None and closed <= now
                else "the Recycle Bin was emptied or ran over its capacity"
            )
            return f"{entry.sobject} {record_id} is no longer in the Recycle Bin ({when}); nothing was put back"
        if not record.get("IsDeleted"):
            unmerge.back_already.append(record_id)
            continue
        deleted_at = modstamp_of(record) or entry.at
        if deleted_at is not None and deleted_at + timedelta(days=RECYCLE_BIN_DAYS) <= now:
            closed = deleted_at + timedelta(days=RECYCLE_BIN_DAYS)
            return (
                f"the Recycle Bin window for {entry.sobject} {record_id} closed on {_day(closed)} "
                f"({RECYCLE_BIN_DAYS} days after the merge deleted it on {_day(deleted_at)}); "
                "Salesforce no longer restores it, so nothing was put back"
            )
        unmerge.undelete.append(record_id)
    before = entry.before.get(master_id) or {}
    for name, written in _values_of(entry).items():
        now_value, was = master.get(name), before.get(name)
        if same_value(now_value, written) and not same_value(written, was):
            unmerge.values[name] = was
        elif not same_value(now_value, written) and not same_value(now_value, was):
            unmerge.kept.append(f"{name} is now {now_value!r}, not {written!r} as the merge set it: left as it is")
    return unmerge


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "an unknown date"


def _send(gateway: SalesforceGateway, batch: Sequence[_Unmerge]) -> list[JournalEntry]:
    """Undelete the batch's merged records, then put back the values of masters whose records are all back."""
    to_undelete = [record_id for unmerge in batch for record_id in unmerge.undelete]
    try:
        undeleted = {result.record_id: result for result in gateway.undelete_records(to_undelete)}
    except SalesforceError as exc:  # never sent again blind: the next revert re-reads what happened
        hint = "run the revert again, it re-reads them and sends only what did not happen"
        exc.args = (f"{exc}; the {len(to_undelete)} records may be undeleted already: {hint}",)
        raise
    restorable = [
        unmerge
        for unmerge in batch
        if unmerge.values and all(undeleted[record_id].success for record_id in unmerge.undelete)
    ]
    saved = {}  # by the merge's key: consecutive merges into one master share its Id
    if restorable:
        updates = [RecordUpdate(u.merge.sobject, u.merge.record_id, u.values) for u in restorable]
        results = gateway.update_records(updates)
        saved = {u.merge.action_key: r for u, r in zip(restorable, results, strict=True)}
    ended = []
    for unmerge in batch:
        problems = [
            f"undelete of {record_id} refused: " + "; ".join(str(error) for error in undeleted[record_id].errors)
            for record_id in unmerge.undelete
            if not undeleted[record_id].success
        ]
        result = saved.get(unmerge.merge.action_key)
        if result is not None and not result.success:
            problems.append(
                "the master's values were not put back: "
                + "; ".join(f"{error.status_code}: {error.message}" for error in result.errors)
            )
        put_back = dict(unmerge.values) if result is not None and result.success else {}
        restored = [record_id for record_id in unmerge.undelete if undeleted[record_id].success]
        ended.append(
            unmerge.step.model_copy(
                update={
                    "state": JournalState.FAILED if problems else JournalState.DONE,
                    "after": {
                        "undeleted": restored,
                        "already_back": list(unmerge.back_already),
                        "values": put_back,
                        "not_restorable": unmerge.merge.after.get("updated_related"),
                    },
                    "detail": "; ".join([*problems, *unmerge.kept, _related(unmerge.merge)]),
                }
            )
        )
    return ended


def _related(merge: JournalEntry) -> str:
    """What the revert cannot put back: the related records Salesforce moved to the master."""
    related = merge.after.get("updated_related")
    if related is None:
        return (
            "Salesforce's answer to the merge was lost, so which related records it moved to the master "
            "is unknown; they stay with the master"
        )
    if not related:
        return "the merge moved no related records"
    return (
        f"not restorable: {len(related)} related records Salesforce moved to the master stay with it "
        f"({', '.join(related)})"
    )
