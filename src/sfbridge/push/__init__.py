"""The push stage: apply a reviewed plan to its org, journalled, resumable, never converting twice.

Apply does exactly what the plan says, on the org it was made for, in this order:

1. Refuse a plan made for another org (its digest was checked when it was read).
2. Read the journal of earlier runs of the same plan: actions already done are not sent again;
   actions left ``sent`` or ``unknown`` (a crash or a timeout between request and result) are
   settled by re-reading their records before anything else happens, waiting while Salesforce
   may still be working on them (:mod:`sfbridge.push.settle`). A record that shows an action's
   write and was sent by this plan is this plan's, done, whatever the last journal step says.
3. Pre-flight: re-read every target (Id lists chunked under the URL limit) and skip, with a
   reason, records that are deleted, already converted, or changed since the plan saw them.
4. Field updates through sObject Collections (≤200 a request, allOrNone false, changed values
   only), then conversions through SOAP ``convertLead`` in small batches. Each batch is
   journalled with its before-values before it is sent, and each result after it arrives.
5. A conversion is never sent blindly again: after a transport failure the batch's leads are
   re-read once Salesforce can no longer be working on the call; those converted are done,
   the rest are sent once more, now knowing they were not.

The API-budget reserve is enforced by the gateway on every call; reaching it stops the run
with the journal intact, and the next apply resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sfbridge.errors import PlanError, run_outcome
from sfbridge.mappings import Mappings, require_valid_mappings
from sfbridge.models import Action, ActionKind, JournalState, Plan
from sfbridge.push.conversions import convert_all
from sfbridge.push.mapped import mapped_updates
from sfbridge.push.merges import merge_all
from sfbridge.push.run import (
    DEFAULT_SETTLE_SECONDS,
    ActionOutcome,
    ApplyReport,
    ApplyRun,
    Clock,
    already_applied,
    done_by_this_plan,
)
from sfbridge.push.settle import Records
from sfbridge.push.updates import send_updates
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.store import Store

__all__ = ["DEFAULT_SETTLE_SECONDS", "ActionOutcome", "ApplyReport", "apply_plan"]


def _now() -> datetime:
    return datetime.now(UTC)


def apply_plan(  # noqa: PLR0913 (the run's inputs, keyword-only past the plan)
    gateway: SalesforceGateway,
    store: Store,
    plan: Plan,
    *,
    org: str,
    convert_batch_size: int = 50,
    merge_batch_size: int = 50,
    mappings: Mappings | None = None,
    mappings_source: str | None = None,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    clock: Clock = _now,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyReport:
    """Apply a plan to the org the gateway is logged in to (see the module docstring for the order).

    Args:
        gateway: a session on the plan's org.
        store: where the journal and the run are kept.
        plan: a plan read with :func:`sfbridge.plan.read_plan` (its digest checked).
        org: the profile name, for the runs table.
        convert_batch_size: leads per ``convertLead`` call (at most 100).
        merge_batch_size: merges per ``merge`` call (at most 200).
        mappings: Lead field mappings written to the converted records (validated first).
        mappings_source: the mappings file, named in validation messages.
        settle_seconds: how long after sending Salesforce may still be working on a call whose
            answer was lost (a timeout, a reset, a killed run) before its records tell the outcome.
        clock: the time source for the journal.
        sleep: how to wait while a lost call may still be running.

    Returns:
        What happened to every action.

    Raises:
        PlanError: when the plan was made for another org.
        InvalidMappingsError: when a mapping does not fit the org's fields (nothing is written).
        SalesforceError: when Salesforce or the network fails (the journal keeps what was
            done; running apply again resumes).
    """
    identity = gateway.identity()
    if mappings is not None and mappings.rules:
        # Checked against the org's describe before anything is written: a bad mapping stops the run.
        describes = {sobject: gateway.describe(sobject) for sobject in ("Lead", "Account", "Contact", "Opportunity")}
        require_valid_mappings(mappings, describes, source=mappings_source)
    if identity.org_id[:15] != plan.org_id[:15]:
        msg = (
            f"this plan was made for org {plan.org_id} ({plan.instance_url}), but the session is for org "
            f"{identity.org_id}: apply it with the profile of the org it was made for"
        )
        raise PlanError(msg)
    run_id = store.start_run("apply", org=org, started_at=clock())
    run = ApplyRun(
        gateway, store, plan, run_id=run_id, clock=clock, mappings=mappings, settle_seconds=settle_seconds, sleep=sleep
    )
    try:
        _apply(run, max(1, min(convert_batch_size, 100)), max(1, min(merge_batch_size, 200)))
    except BaseException as exc:  # a run never stays "running": stopped by an error, a bug or a signal
        outcome, run.report.stopped = run_outcome(exc)
        store.finish_run(
            run_id, outcome=outcome, finished_at=clock(), error=run.report.stopped, counts=_counts(run.report)
        )
        raise
    outcome = "ok" if run.report.complete else "partial"
    store.finish_run(run_id, outcome=outcome, finished_at=clock(), counts=_counts(run.report))
    return run.report


def _counts(report: ApplyReport) -> dict[str, int]:
    return {state.value: report.count(state) for state in JournalState if report.count(state)}


def _apply(run: ApplyRun, batch_size: int, merge_batch_size: int) -> None:
    todo: list[Action] = []
    for action in run.plan.actions:
        earlier = run.history.get(action.key)
        if earlier is not None and earlier.state is JournalState.DONE:
            run.report.outcomes.append(
                ActionOutcome(action, JournalState.DONE, f"done in run {earlier.run_id}", earlier.after)
            )
        else:
            todo.append(action)
    current = run.reread(todo) if todo else {}
    # Batches an earlier run sent without learning the outcome: wait while Salesforce may still be
    # on them, so a call still running is never sent a second time.
    unsettled = run.unsettled_batches(todo)
    if unsettled:
        current = run.await_records(unsettled, first=current)
    ready: list[Action] = []
    for action in todo:
        verdict = _before_sending(run, action, current)
        if verdict is not None:
            run.finish(action, *verdict)
        else:
            ready.append(action)
    # Grouped by object: a Collections request takes at most 10 runs of one object type.
    updates = sorted((a for a in ready if a.kind is ActionKind.UPDATE_RECORD), key=lambda action: action.sobject)
    send_updates(run, updates, current)
    run.leads = {a.record_id: current[a.record_id] for a in ready if a.kind is ActionKind.CONVERT_LEAD}
    convert_all(run, [a for a in ready if a.kind is ActionKind.CONVERT_LEAD], batch_size)
    # Merges last: they delete records, and a record an update or conversion of this plan names
    # must still be there for it.
    merge_all(run, [a for a in ready if a.kind is ActionKind.MERGE_RECORDS], merge_batch_size)
    # The org's own Lead field mapping carried what it maps; write what config/mappings.toml adds.
    if run.mappings is not None:
        converted = [
            outcome
            for outcome in run.report.outcomes
            if outcome.action.kind is ActionKind.CONVERT_LEAD and outcome.state is JournalState.DONE and outcome.after
        ]
        mapped, targets = mapped_updates(run.gateway, run.mappings, converted, leads=run.leads)
        send_updates(run, mapped, targets)


def _before_sending(run: ApplyRun, action: Action, current: Records) -> tuple[JournalState, str] | None:
    """What an action comes to without sending it (done already, or skipped and why); None to send it."""
    if already_applied(action, current):
        record = current.get(action.record_id, {})
        if action.key in run.sends:  # this plan sent it before: the write on the record is ours
            return JournalState.DONE, done_by_this_plan(action, run.sends)
        if action.kind is ActionKind.MERGE_RECORDS:  # merged so by someone else: nothing to send
            return JournalState.DONE, f"already merged into {action.record_id}: nothing sent"
        if action.kind is ActionKind.UPDATE_RECORD:  # someone made the same fix: nothing to send
            return JournalState.DONE, "already as planned: nothing sent"
        if _planned_target(action):
            contact = record.get("ConvertedContactId")
            return JournalState.DONE, f"already converted into the planned records (Contact {contact}): nothing sent"
    why = run.why_not(action, current) or run.status_problem(action)
    return (JournalState.SKIPPED, why) if why is not None else None


def _planned_target(action: Action) -> bool:
    """Whether a conversion names the Contact or Account it goes into (so a conversion into them can be recognised)."""
    conversion = action.conversion
    return conversion is not None and bool(conversion.contact_id or conversion.account_id)
