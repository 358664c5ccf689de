"""Conversions of an apply run: SOAP ``convertLead`` in batches, never sent blindly twice.

Each batch is journalled ``sent`` before it leaves. When its answer is lost, the leads are
re-read once Salesforce can no longer be working on the call (:mod:`sfbridge.push.settle`);
those converted are done, the rest are sent once more, now known not to be. A lead refused on
such a second send that an earlier send of this plan converted as planned is done, not failed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sfbridge.errors import PlanError
from sfbridge.models import Action, JournalState
from sfbridge.push.run import ApplyRun, conversion_after, converted_as_planned, done_by_this_plan
from sfbridge.salesforce.convert import LeadConvert, LeadConvertResult

__all__ = ["convert_all", "lead_convert"]


def convert_all(run: ApplyRun, actions: Sequence[Action], batch_size: int) -> None:
    """Convert leads in batches of ``batch_size``, each journalled before it is sent."""
    for start in range(0, len(actions), batch_size):
        _convert_batch(run, actions[start : start + batch_size], retry=True)


def _convert_batch(run: ApplyRun, batch: Sequence[Action], *, retry: bool) -> None:
    # Before-values as re-read just now (the plan's expectations if the lead was not re-read).
    before = {a.key: {name: run.leads.get(a.record_id, a.expected).get(name) for name in a.expected} for a in batch}
    answered = run.send_once(
        batch,
        what="convert leads",
        steps=(run.entry(a, JournalState.SENT, before=before[a.key]) for a in batch),
        call=lambda: run.gateway.convert_leads([lead_convert(action) for action in batch]),
        resend=(lambda unsent: _convert_batch(run, unsent, retry=False)) if retry else None,
    )
    refused = []
    for action, result, sent_before in answered or ():
        if result.success or not sent_before:
            _record_conversion(run, action, result)
        else:
            refused.append((action, result))
    if refused:
        _settle_refused(run, refused)


def _record_conversion(run: ApplyRun, action: Action, result: LeadConvertResult) -> None:
    if result.success:
        after = {
            "AccountId": result.account_id,
            "ContactId": result.contact_id,
            "OpportunityId": result.opportunity_id,
        }
        run.finish(action, JournalState.DONE, before=dict(action.expected), after=after)
        return
    detail = "; ".join(
        f"{error.status_code}: {error.message}"
        + (f" (duplicates: {', '.join(error.duplicate_record_ids)})" if error.duplicate_record_ids else "")
        for error in result.errors
    )
    run.finish(action, JournalState.FAILED, detail or "refused without a reason", before=dict(action.expected))


def _settle_refused(run: ApplyRun, refused: Sequence[tuple[Action, LeadConvertResult]]) -> None:
    """Leads refused on a second send: if an earlier send of this plan converted them as planned, they are done."""
    current = run.reread([action for action, _ in refused])
    for action, result in refused:
        record = current.get(action.record_id)
        if record is not None and record.get("IsConverted") and converted_as_planned(action, record):
            run.finish(action, JournalState.DONE, done_by_this_plan(action, run.sends), after=conversion_after(record))
        else:
            _record_conversion(run, action, result)


def lead_convert(action: Action) -> LeadConvert:
    """The ``convertLead`` request of a planned conversion."""
    conversion = action.conversion
    if conversion is None:  # a plan file always has one for ConvertLead (validated on read)
        msg = f"action {action.key}: a conversion without its details"
        raise PlanError(msg)
    return LeadConvert(
        lead_id=action.record_id,
        converted_status=conversion.converted_status,
        account_id=conversion.account_id,
        contact_id=conversion.contact_id,
        owner_id=conversion.owner_id,
        do_not_create_opportunity=not conversion.create_opportunity,
    )
