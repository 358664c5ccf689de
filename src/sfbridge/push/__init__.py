"""The push stage: apply a reviewed plan to its org, journalled, resumable, never converting twice.

Apply does exactly what the plan says, on the org it was made for, in this order:

1. Refuse a plan made for another org (its digest was checked when it was read).
2. Read the journal of earlier runs of the same plan: actions already done are not sent again;
   actions left ``sent`` or ``unknown`` (a crash or a timeout between request and result) are
   settled by re-reading their records before anything else happens.
3. Pre-flight: re-read every target (Id lists chunked under the URL limit) and skip, with a
   reason, records that are deleted, already converted, or changed since the plan saw them.
4. Field updates through sObject Collections (≤200 a request, allOrNone false, changed values
   only), then conversions through SOAP ``convertLead`` in small batches. Each batch is
   journalled with its before-values before it is sent, and each result after it arrives.
5. A conversion is never sent blindly again: after a transport failure the batch's leads are
   re-read; those converted are done, the rest are sent once more, now knowing they were not.

The API-budget reserve is enforced by the gateway on every call; reaching it stops the run
with the journal intact, and the next apply resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from sfbridge.errors import PlanError, ProtocolError, RetriableSalesforceError, SfbridgeError
from sfbridge.mappings import Mappings, require_valid_mappings
from sfbridge.models import Action, ActionKind, JournalEntry, JournalState, Plan
from sfbridge.push.mapped import mapped_updates
from sfbridge.push.values import modstamp_of, same_value
from sfbridge.salesforce.convert import LeadConvert, LeadConvertResult
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.writes import RecordUpdate, SaveResult
from sfbridge.store import Store

__all__ = ["ActionOutcome", "ApplyReport", "apply_plan"]

log = structlog.get_logger()

_UPDATE_BATCH = 200  # sObject Collections' limit per request
_LEAD_STATE = ("IsConverted", "ConvertedAccountId", "ConvertedContactId", "ConvertedOpportunityId")
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ActionOutcome:
    """How one action ended in this run."""

    action: Action
    state: JournalState
    detail: str | None = None
    after: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApplyReport:
    """What an apply run did, action by action."""

    run_id: int
    plan: Plan
    outcomes: list[ActionOutcome] = field(default_factory=list)
    stopped: str | None = None

    def count(self, state: JournalState) -> int:
        """How many actions ended in a state."""
        return sum(1 for outcome in self.outcomes if outcome.state is state)

    @property
    def complete(self) -> bool:
        """Every action done, and the run not stopped."""
        return self.stopped is None and all(outcome.state is JournalState.DONE for outcome in self.outcomes)


def _now() -> datetime:
    return datetime.now(UTC)


class _Run:
    def __init__(
        self,
        gateway: SalesforceGateway,
        store: Store,
        plan: Plan,
        *,
        run_id: int,
        clock: Clock,
        mappings: Mappings | None,
    ) -> None:
        self.gateway, self.store, self.plan = gateway, store, plan
        self.clock, self.mappings = clock, mappings
        self.leads: dict[str, dict[str, Any]] = {}  # as re-read before converting, for the mapped values
        self.report = ApplyReport(run_id=run_id, plan=plan)
        self.history = store.journal_states(plan.digest)

    # -- journal ---------------------------------------------------------------------------

    def journal(self, entries: Iterable[JournalEntry]) -> None:
        self.store.journal(self.report.run_id, self.plan.digest, list(entries), at=self.clock())

    def entry(self, action: Action, state: JournalState, **values: Any) -> JournalEntry:  # noqa: ANN401
        return JournalEntry(
            action_key=action.key,
            kind=action.kind,
            sobject=action.sobject,
            record_id=action.record_id,
            state=state,
            **values,
        )

    def finish(self, action: Action, state: JournalState, detail: str | None = None, **values: Any) -> None:  # noqa: ANN401
        self.journal([self.entry(action, state, detail=detail, **values)])
        self.report.outcomes.append(ActionOutcome(action, state, detail, values.get("after", {})))

    # -- pre-flight ------------------------------------------------------------------------

    def reread(self, actions: Sequence[Action]) -> dict[str, dict[str, Any]]:
        by_object: dict[str, set[str]] = {}
        fields: dict[str, set[str]] = {}
        for action in actions:
            by_object.setdefault(action.sobject, set()).add(action.record_id)
            wanted = fields.setdefault(action.sobject, {"SystemModstamp"})
            wanted.update(action.expected, action.values)
            if action.kind is ActionKind.CONVERT_LEAD:
                wanted.update(_LEAD_STATE)
                if self.mappings is not None:
                    wanted.update(rule.lead_field for rule in self.mappings.rules)
        current: dict[str, dict[str, Any]] = {}
        for sobject, ids in by_object.items():
            current.update(self.gateway.fetch_records(sobject, sorted(ids), sorted(fields[sobject])))
        return current

    def wrote_before(self, action: Action) -> bool:
        # An earlier run of this plan changed this record itself (an update done before the
        # conversion that crashed): its SystemModstamp moved because of us, not someone else.
        return any(
            entry.record_id == action.record_id and entry.state is JournalState.DONE and key != action.key
            for key, entry in self.history.items()
        )

    def why_not(self, action: Action, record: dict[str, Any] | None) -> str | None:
        if record is None:
            return "the record is gone (deleted and purged, or not visible to this user)"
        if record.get("IsDeleted"):
            return "the record was deleted since the plan was made"
        if action.kind is ActionKind.CONVERT_LEAD and record.get("IsConverted"):
            return f"already converted (into Contact {record.get('ConvertedContactId')})"
        seen, now = action.seen_modstamp, modstamp_of(record)
        if seen is not None and now is not None and now != seen and not self.wrote_before(action):
            return (
                f"changed since the plan was made (SystemModstamp {seen:%Y-%m-%d %H:%M:%S} → {now:%Y-%m-%d %H:%M:%S})"
            )
        for name, expected in action.expected.items():
            if name in action.values and self.wrote_before(action):
                continue
            if not same_value(record.get(name), expected):
                return f"{name} is now {record.get(name)!r}, not {expected!r} as planned"
        return None

    # -- updates ---------------------------------------------------------------------------

    def update(self, actions: Sequence[Action], current: dict[str, dict[str, Any]]) -> None:
        changing = []
        for action in actions:
            # Only values that differ from the record's are sent: an unchanged field written
            # again still fires triggers and workflow and bumps SystemModstamp.
            record = current[action.record_id]
            values = {name: value for name, value in action.values.items() if not same_value(record.get(name), value)}
            if values:
                changing.append((action, values))
            else:
                self.finish(action, JournalState.DONE, "already as planned: nothing sent", after=dict(action.values))
        for batch in _update_batches(changing):
            befores = {a.key: {name: current[a.record_id].get(name) for name in values} for a, values in batch}
            self.gateway.check_budget("update records")
            self.journal(self.entry(a, JournalState.SENT, before=befores[a.key], after=values) for a, values in batch)
            requests = [RecordUpdate(a.sobject, a.record_id, values) for a, values in batch]
            results: list[SaveResult] = self.gateway.update_records(requests)
            for (action, values), result in zip(batch, results, strict=True):
                if result.success:
                    self.finish(action, JournalState.DONE, before=befores[action.key], after=values)
                else:
                    detail = "; ".join(f"{error.status_code}: {error.message}" for error in result.errors)
                    self.finish(action, JournalState.FAILED, detail, before=befores[action.key])

    # -- conversions -----------------------------------------------------------------------

    def convert(self, actions: Sequence[Action], batch_size: int) -> None:
        for start in range(0, len(actions), batch_size):
            self.convert_batch(actions[start : start + batch_size], retry=True)

    def convert_batch(self, batch: Sequence[Action], *, retry: bool) -> None:
        # Before-values as re-read just now (the plan's expectations if the lead was not re-read).
        before = {
            a.key: {name: self.leads.get(a.record_id, a.expected).get(name) for name in a.expected} for a in batch
        }
        self.gateway.check_budget("convert leads")  # before "sent" is journalled: nothing leaves past the reserve
        self.journal(self.entry(a, JournalState.SENT, before=before[a.key]) for a in batch)
        try:
            results = self.gateway.convert_leads([_lead_convert(action) for action in batch])
        except (RetriableSalesforceError, ProtocolError) as exc:
            # The request may have reached Salesforce: learn from the leads what happened.
            log.warning("convert_outcome_unknown", leads=len(batch), error=str(exc))
            unsent = self.settle(batch)
            if unsent and retry:
                self.convert_batch(unsent, retry=False)  # known not converted: sending is not blind
            elif unsent:
                raise
            return
        for action, result in zip(batch, results, strict=True):
            self.record_conversion(action, result)

    def record_conversion(self, action: Action, result: LeadConvertResult) -> None:
        if result.success:
            after = {
                "AccountId": result.account_id,
                "ContactId": result.contact_id,
                "OpportunityId": result.opportunity_id,
            }
            self.finish(action, JournalState.DONE, before=dict(action.expected), after=after)
            return
        detail = "; ".join(
            f"{error.status_code}: {error.message}"
            + (f" (duplicates: {', '.join(error.duplicate_record_ids)})" if error.duplicate_record_ids else "")
            for error in result.errors
        )
        self.finish(action, JournalState.FAILED, detail or "refused without a reason", before=dict(action.expected))

    def settle(self, actions: Sequence[Action]) -> list[Action]:
        """Re-read leads whose conversion may have happened; journal the converted, return the rest."""
        try:
            current = self.reread(actions)
        except SfbridgeError:
            self.journal(self.entry(a, JournalState.UNKNOWN, detail="sent; outcome not known yet") for a in actions)
            raise
        unsent = []
        for action in actions:
            record = current.get(action.record_id, {})
            if record.get("IsConverted") and not _converted_as_planned(action, record):
                why = f"converted meanwhile into Contact {record.get('ConvertedContactId')}, not by this plan"
                self.finish(action, JournalState.SKIPPED, why)
            elif record.get("IsConverted"):
                after = {
                    "AccountId": record.get("ConvertedAccountId"),
                    "ContactId": record.get("ConvertedContactId"),
                    "OpportunityId": record.get("ConvertedOpportunityId"),
                }
                self.finish(action, JournalState.DONE, "converted (learned by re-reading the lead)", after=after)
            else:
                unsent.append(action)
        return unsent


def _update_batches(updates: Sequence[tuple[Action, dict[str, Any]]]) -> list[list[tuple[Action, dict[str, Any]]]]:
    # At most 200 a request, and a record at most once in a request: two updates of one
    # record (its LeadSource and its owner, say) go in consecutive requests.
    batches: list[list[tuple[Action, dict[str, Any]]]] = []
    for update in updates:
        record_id = update[0].record_id
        home = next(
            (
                batch
                for batch in batches
                if len(batch) < _UPDATE_BATCH and all(other.record_id != record_id for other, _ in batch)
            ),
            None,
        )
        if home is None:
            batches.append([update])
        else:
            home.append(update)
    return batches


def _lead_convert(action: Action) -> LeadConvert:
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


def apply_plan(  # noqa: PLR0913 (the run's inputs, keyword-only past the plan)
    gateway: SalesforceGateway,
    store: Store,
    plan: Plan,
    *,
    org: str,
    convert_batch_size: int = 50,
    mappings: Mappings | None = None,
    mappings_source: str | None = None,
    clock: Clock = _now,
) -> ApplyReport:
    """Apply a plan to the org the gateway is logged in to (see the module docstring for the order).

    Args:
        gateway: a session on the plan's org.
        store: where the journal and the run are kept.
        plan: a plan read with :func:`sfbridge.plan.read_plan` (its digest checked).
        org: the profile name, for the runs table.
        convert_batch_size: leads per ``convertLead`` call (at most 100).
        mappings: Lead field mappings written to the converted records (validated first).
        mappings_source: the mappings file, named in validation messages.
        clock: the time source for the journal.

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
    run = _Run(gateway, store, plan, run_id=run_id, clock=clock, mappings=mappings)
    try:
        _apply(run, max(1, min(convert_batch_size, 100)))
    except SfbridgeError as exc:
        run.report.stopped = str(exc)
        store.finish_run(run_id, outcome="failed", finished_at=clock(), error=str(exc), counts=_counts(run.report))
        raise
    outcome = "ok" if run.report.complete else "partial"
    store.finish_run(run_id, outcome=outcome, finished_at=clock(), counts=_counts(run.report))
    return run.report


def _counts(report: ApplyReport) -> dict[str, int]:
    return {state.value: report.count(state) for state in JournalState if report.count(state)}


def _apply(run: _Run, batch_size: int) -> None:
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
    # Actions whose request may have gone out in an earlier run: settle them from the re-read.
    uncertain = {key for key, entry in run.history.items() if entry.state in {JournalState.SENT, JournalState.UNKNOWN}}
    ready: list[Action] = []
    for action in todo:
        record = current.get(action.record_id)
        if action.key in uncertain and record is not None and _already_applied(action, record):
            run.finish(action, JournalState.DONE, "done in an earlier run (learned by re-reading the record)")
            continue
        fixed_meanwhile = action.kind is ActionKind.UPDATE_RECORD and record and not record.get("IsDeleted")
        if fixed_meanwhile and _already_applied(action, record or {}):  # someone made the same fix: nothing to send
            run.finish(action, JournalState.DONE, "already as planned: nothing sent", after=dict(action.values))
            continue
        why = run.why_not(action, record)
        if why is not None:
            run.finish(action, JournalState.SKIPPED, why)
            continue
        ready.append(action)
    # Grouped by object: a Collections request takes at most 10 runs of one object type.
    updates = sorted((a for a in ready if a.kind is ActionKind.UPDATE_RECORD), key=lambda action: action.sobject)
    run.update(updates, current)
    run.leads = {a.record_id: current[a.record_id] for a in ready if a.kind is ActionKind.CONVERT_LEAD}
    run.convert([a for a in ready if a.kind is ActionKind.CONVERT_LEAD], batch_size)
    # The org's own Lead field mapping carried what it maps; write what config/mappings.toml adds.
    if run.mappings is not None:
        converted = [
            outcome
            for outcome in run.report.outcomes
            if outcome.action.kind is ActionKind.CONVERT_LEAD and outcome.state is JournalState.DONE and outcome.after
        ]
        mapped, targets = mapped_updates(run.gateway, run.mappings, converted, leads=run.leads)
        run.update(mapped, targets)


def _already_applied(action: Action, record: dict[str, Any]) -> bool:
    if action.kind is ActionKind.CONVERT_LEAD:
        return bool(record.get("IsConverted")) and _converted_as_planned(action, record)
    return all(same_value(record.get(name), value) for name, value in action.values.items())


def _converted_as_planned(action: Action, record: dict[str, Any]) -> bool:
    # A lead converted into another Contact or Account than the plan's was converted by
    # someone else: it is not this plan's conversion. (Into new records, there is no telling.)
    planned = action.conversion
    if planned is None:
        return True
    pairs = (
        (planned.contact_id, record.get("ConvertedContactId")),
        (planned.account_id, record.get("ConvertedAccountId")),
    )
    return all(str(got or "")[:15] == want[:15] for want, got in pairs if want)
