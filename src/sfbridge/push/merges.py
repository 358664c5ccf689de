"""Merges of an apply run: SOAP ``merge`` in batches, each journalled with the records' before-image.

Each batch is re-read whole first (every field the store mirrors, of the master and the
records merged into it) and journalled ``sent`` with that before-image, so ``revert`` can put
the master's values back and say what the merged records held. A merge is never sent blind
again: after a transport failure the batch's records are re-read once Salesforce can no
longer be working on the call (:mod:`sfbridge.push.settle`); merges they show done are done
(each merged record deleted into its master), the rest are sent once more, now known not to
have happened. A merge refused on such a second send that an earlier send already did is
done, not failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

from sfbridge.errors import PlanError
from sfbridge.models import Action, JournalState
from sfbridge.push.merge_state import merge_after, merge_shows
from sfbridge.push.run import ApplyRun, done_by_this_plan
from sfbridge.push.settle import Records
from sfbridge.salesforce.merge import MergeRequest, MergeResult

__all__ = ["merge_all", "merge_request_of"]


_FIELDS_PER_READ = 100  # a before-image of a wide object is read in slices of fields, each fitting a URL


def merge_all(run: ApplyRun, actions: Sequence[Action], batch_size: int) -> None:
    """Merge in batches of ``batch_size`` per object (a merge call takes one object), each journalled first."""
    for _, of_object in groupby(sorted(actions, key=lambda action: action.sobject), key=lambda a: a.sobject):
        todo = list(of_object)
        for start in range(0, len(todo), batch_size):
            _merge_batch(run, todo[start : start + batch_size], retry=True)


def _field_slices(fields: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(fields), _FIELDS_PER_READ):
        yield list(fields[start : start + _FIELDS_PER_READ])


def before_images(run: ApplyRun, batch: Sequence[Action]) -> Records:
    """Every record of the batch's merges as it is now, with every field the store mirrors, by Id."""
    sobject = batch[0].sobject
    state = run.store.state(sobject)
    mirrored = sorted(state.columns) if state is not None else []
    records: dict[str, dict[str, Any]] = {}
    for fields in _field_slices([name for name in mirrored if name not in {"Id", "IsDeleted", "SystemModstamp"}]):
        for record_id, values in run.reread(batch, extra=fields).items():
            records.setdefault(record_id, {}).update(values)
    return records or run.reread(batch)


def _before(action: Action, images: Records) -> dict[str, Any]:
    merge = action.merge
    ids = merge.record_ids if merge is not None else (action.record_id,)
    return {record_id: dict(images.get(record_id) or {}) for record_id in ids}


def _merge_batch(run: ApplyRun, batch: Sequence[Action], *, retry: bool) -> None:
    images = before_images(run, batch)
    answered = run.send_once(
        batch,
        what="merge records",
        steps=(
            run.entry(action, JournalState.SENT, before=_before(action, images), after=merge_after(action))
            for action in batch
        ),
        call=lambda: run.gateway.merge_records([merge_request_of(action) for action in batch]),
        resend=(lambda unsent: _merge_batch(run, unsent, retry=False)) if retry else None,
    )
    refused = []
    for action, result, sent_before in answered or ():
        if result.success or not sent_before:
            _record_merge(run, action, result, before=_before(action, images))
        else:
            refused.append((action, result))
    if refused:
        _settle_refused(run, refused, images)


def _record_merge(run: ApplyRun, action: Action, result: MergeResult, *, before: dict[str, Any]) -> None:
    if result.success:
        after = merge_after(action, merged=result.merged_ids, related=result.updated_related_ids)
        run.finish(action, JournalState.DONE, before=before, after=after)
        return
    detail = "; ".join(str(error) for error in result.errors) or "refused without a reason"
    run.finish(action, JournalState.FAILED, detail, before=before)


def _settle_refused(run: ApplyRun, refused: Sequence[tuple[Action, MergeResult]], images: Records) -> None:
    """Merges refused on a second send: if an earlier send of this plan did them, they are done."""
    current = run.reread([action for action, _ in refused])
    for action, result in refused:
        if action.merge is not None and merge_shows(action.merge, current):
            run.finish(action, JournalState.DONE, done_by_this_plan(action, run.sends), after=merge_after(action))
        else:
            _record_merge(run, action, result, before=_before(action, images))


def merge_request_of(action: Action) -> MergeRequest:
    """The SOAP merge request of a planned merge."""
    merge = action.merge
    if merge is None:  # a plan file always has one for MergeRecords (validated on read)
        msg = f"action {action.key}: a merge without its records"
        raise PlanError(msg)
    return MergeRequest(action.sobject, merge.master_id, merge.merged_ids, dict(action.values))
