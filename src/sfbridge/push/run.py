"""One apply run's shared state and steps: the journal, re-reading records, pre-flight reasons, settling lost calls.

The stage that drives it is :func:`sfbridge.push.apply_plan`; the updates and conversions it
sends are :mod:`sfbridge.push.updates` and :mod:`sfbridge.push.conversions`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import structlog

from sfbridge import soql
from sfbridge.config import DEFAULT_SETTLE_SECONDS
from sfbridge.errors import ProtocolError, RetriableSalesforceError, SfbridgeError
from sfbridge.mappings import Mappings
from sfbridge.models import Action, ActionKind, JournalEntry, JournalState, Plan, lead_status_values
from sfbridge.push.merge_state import MERGE_STATE, merge_after, merge_problem, merge_shows
from sfbridge.push.settle import Records, SentBatch, await_outcome
from sfbridge.push.values import modstamp_of, same_value
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.store import Store

__all__ = [
    "DEFAULT_SETTLE_SECONDS",
    "ActionOutcome",
    "ApplyReport",
    "ApplyRun",
    "Clock",
    "already_applied",
    "conversion_after",
    "converted_as_planned",
    "done_by_this_plan",
    "shows_write",
]

log = structlog.get_logger()
Result = TypeVar("Result")

_LEAD_STATE = ("IsConverted", "ConvertedAccountId", "ConvertedContactId", "ConvertedOpportunityId")
_UNSETTLED = frozenset({JournalState.SENT, JournalState.UNKNOWN})
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


class ApplyRun:
    """What an apply run's steps share: the session, the store, the plan, the journal so far, the report."""

    def __init__(  # noqa: D107, PLR0913 (the run's inputs, keyword-only)
        self,
        gateway: SalesforceGateway,
        store: Store,
        plan: Plan,
        *,
        run_id: int,
        clock: Clock,
        mappings: Mappings | None,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.gateway, self.store, self.plan = gateway, store, plan
        self.clock, self.mappings = clock, mappings
        self.settle_seconds, self.sleep = settle_seconds, sleep
        self.leads: dict[str, dict[str, Any]] = {}  # as re-read before converting, for the mapped values
        self._statuses: dict[str, bool] | None = None  # Lead status value -> IsConverted, read when first needed
        self.report = ApplyReport(run_id=run_id, plan=plan)
        steps = store.journal_of_plan(plan.digest)
        self.history: dict[str, JournalEntry] = {}  # the last step of each action, across runs
        self.sends: dict[str, list[JournalEntry]] = {}  # every "sent" step of each action, across runs
        for step in steps:
            self.history[step.action_key] = step
            if step.state is JournalState.SENT:
                self.sends.setdefault(step.action_key, []).append(step)

    # -- journal ---------------------------------------------------------------------------

    def journal(self, entries: Iterable[JournalEntry]) -> datetime:
        """Append steps to the journal in one transaction; return the moment they were written."""
        at, entries = self.clock(), list(entries)
        self.store.journal(self.report.run_id, self.plan.digest, entries, at=at)
        for entry in entries:
            if entry.state is JournalState.SENT:
                sent = entry.model_copy(update={"at": at, "run_id": self.report.run_id})
                self.sends.setdefault(entry.action_key, []).append(sent)
        return at

    def entry(self, action: Action, state: JournalState, **values: Any) -> JournalEntry:  # noqa: ANN401
        """A journal step of an action."""
        return JournalEntry(
            action_key=action.key,
            kind=action.kind,
            sobject=action.sobject,
            record_id=action.record_id,
            state=state,
            **values,
        )

    def finish(self, action: Action, state: JournalState, detail: str | None = None, **values: Any) -> None:  # noqa: ANN401
        """Journal how an action ended in this run and add it to the report."""
        self.journal([self.entry(action, state, detail=detail, **values)])
        self.report.outcomes.append(ActionOutcome(action, state, detail, values.get("after", {})))

    # -- pre-flight ------------------------------------------------------------------------

    def reread(self, actions: Sequence[Action], *, extra: Sequence[str] = ()) -> Records:
        """Read the actions' records as they are now (deleted ones included), by Id.

        A merge's records are all read (the master and those merged into it). ``extra`` are
        more fields to read of every object (a merge's before-image reads every mirrored field).
        """
        by_object: dict[str, set[str]] = {}
        fields: dict[str, set[str]] = {}
        for action in actions:
            ids = by_object.setdefault(action.sobject, set())
            ids.add(action.record_id)
            wanted = fields.setdefault(action.sobject, {"SystemModstamp", *extra})
            wanted.update(action.expected, action.values)
            if action.kind is ActionKind.CONVERT_LEAD:
                wanted.update(_LEAD_STATE)
                if self.mappings is not None:
                    wanted.update(rule.lead_field for rule in self.mappings.rules)
            elif action.kind is ActionKind.MERGE_RECORDS and action.merge is not None:
                ids.update(action.merge.merged_ids)
                wanted.update(MERGE_STATE, ("IsConverted",) if action.sobject == "Lead" else ())
        current: dict[str, dict[str, Any]] = {}
        for sobject, ids in by_object.items():
            current.update(self.gateway.fetch_records(sobject, sorted(ids), sorted(fields[sobject])))
        return current

    def wrote_before(self, action: Action) -> bool:
        """Whether an earlier run of this plan changed the action's record itself."""
        # An earlier run of this plan changed this record itself (an update done before the
        # conversion that crashed): its SystemModstamp moved because of us, not someone else.
        return any(
            entry.record_id == action.record_id and entry.state is JournalState.DONE and key != action.key
            for key, entry in self.history.items()
        )

    def why_not(self, action: Action, records: Records) -> str | None:
        """Why an action must not be sent to its records as they are now (None: send it)."""
        if action.kind is ActionKind.MERGE_RECORDS:
            return merge_problem(action, records, wrote_before=self.wrote_before(action))
        return self._record_problem(action, records.get(action.record_id))

    def _record_problem(self, action: Action, record: dict[str, Any] | None) -> str | None:
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

    def status_problem(self, action: Action) -> str | None:
        """Why a planned Lead Status cannot be written: not a status of the org, or one only conversion sets.

        Salesforce accepts any text in an unrestricted picklist through the API, so a misspelt
        status would be written as a value the org's path and reports do not know.
        """
        value = action.values.get("Status")
        if action.sobject != "Lead" or action.kind is not ActionKind.UPDATE_RECORD or value is None:
            return None
        if self._statuses is None:
            query = soql.select(["ApiName", "MasterLabel", "IsConverted"], "LeadStatus")
            rows = self.gateway.query(query, sobject="LeadStatus")["records"]
            self._statuses = {status.value: status.converted for status in lead_status_values(rows)}
        if value not in self._statuses:
            known = ", ".join(repr(name) for name, converted in self._statuses.items() if not converted)
            return (
                f"Status {value!r} is not a Lead status of this org (its statuses: {known}); "
                "fix statuses.disqualified in the rules and make a new plan"
            )
        if self._statuses[value]:
            return f"Status {value!r} is a converted status: only a conversion may set it"
        return None

    def await_records(self, batches: Sequence[SentBatch], *, first: Records) -> Records:
        """The batches' records once each shows its write or Salesforce can no longer be on it (see settle.py)."""
        return await_outcome(
            batches,
            first=first,
            reread=self.reread,
            shows_write=shows_write,
            clock=self.clock,
            sleep=self.sleep,
            settle_seconds=self.settle_seconds,
        )

    def settle(self, batches: Sequence[SentBatch]) -> list[Action]:
        """Learn what became of sent batches (waiting while Salesforce may still be on them); return the unsent."""
        actions = [action for batch in batches for action in batch.actions]
        try:
            current = self.await_records(batches, first=self.reread(actions))
        except SfbridgeError:
            self.journal(self.entry(a, JournalState.UNKNOWN, detail="sent; outcome not known yet") for a in actions)
            raise
        unsent = []
        for action in actions:
            if shows_write(action, current):
                self.conclude(action, current)
            else:
                unsent.append(action)
        return unsent

    def conclude(self, action: Action, records: Records) -> None:
        """Journal an action this plan sent whose records now show a write: ours if it is as planned."""
        record = records.get(action.record_id, {})
        if action.kind is ActionKind.MERGE_RECORDS:
            self.finish(action, JournalState.DONE, done_by_this_plan(action, self.sends), after=merge_after(action))
        elif action.kind is ActionKind.CONVERT_LEAD and not converted_as_planned(action, record):
            why = f"converted meanwhile into Contact {record.get('ConvertedContactId')}, not by this plan"
            self.finish(action, JournalState.SKIPPED, why)
        elif action.kind is ActionKind.CONVERT_LEAD:
            self.finish(
                action, JournalState.DONE, done_by_this_plan(action, self.sends), after=conversion_after(record)
            )
        else:
            self.finish(action, JournalState.DONE, done_by_this_plan(action, self.sends), after=dict(action.values))

    def send_once(
        self,
        batch: Sequence[Action],
        *,
        what: str,
        steps: Iterable[JournalEntry],
        call: Callable[[], Sequence[Result]],
        resend: Callable[[Sequence[Action]], None] | None,
    ) -> list[tuple[Action, Result, bool]] | None:
        """Send a batch of writes that must never happen twice (conversions, merges), journalled first.

        The ``sent`` steps are journalled before the call leaves (after the API reserve is
        checked, so a batch the reserve stops is not recorded as possibly sent). When the
        answer is lost, the records are re-read once Salesforce can no longer be working on
        the call; the actions they show done are journalled done, and those known not to have
        happened go to ``resend`` (None: the error is raised instead).

        Returns:
            Each action with its result and whether an earlier send of this plan carried it
            (a refusal may then be that send's doing); None when the answer was lost.
        """
        self.gateway.check_budget(what)
        sent_at = self.journal(steps)
        try:
            results = call()
        except (RetriableSalesforceError, ProtocolError) as exc:
            # The request may have reached Salesforce: learn from the records what happened.
            log.warning("write_outcome_unknown", call=what, actions=len(batch), error=str(exc))
            unsent = self.settle([SentBatch(sent_at, tuple(batch), self.report.run_id)])
            if unsent and resend is not None:
                resend(unsent)  # known not to have happened: sending is not blind
            elif unsent:
                raise
            return None
        # This call's own "sent" step is the last of an action's sends; any before it was another send.
        return [
            (action, result, len(self.sends.get(action.key, ())) > 1)
            for action, result in zip(batch, results, strict=True)
        ]

    def unsettled_batches(self, actions: Sequence[Action]) -> list[SentBatch]:
        """The batches earlier runs sent without learning their outcome, among these actions."""
        grouped: dict[tuple[int | None, datetime], list[Action]] = {}
        for action in actions:
            last = self.history.get(action.key)
            sends = self.sends.get(action.key)
            if last is None or last.state not in _UNSETTLED or not sends or sends[-1].at is None:
                continue
            grouped.setdefault((sends[-1].run_id, sends[-1].at), []).append(action)
        return [SentBatch(at, tuple(batch), run_id) for (run_id, at), batch in grouped.items()]


def shows_write(action: Action, records: Records) -> bool:
    """Whether an action's records show its write (or someone's: a lead converted by anyone)."""
    if action.kind is ActionKind.MERGE_RECORDS:
        return action.merge is not None and merge_shows(action.merge, records)
    record = records.get(action.record_id)
    if record is None or record.get("IsDeleted"):
        return False
    if action.kind is ActionKind.CONVERT_LEAD:
        return bool(record.get("IsConverted"))
    return all(same_value(record.get(name), value) for name, value in action.values.items())


def conversion_after(record: dict[str, Any]) -> dict[str, Any]:
    """The records a converted lead went into, as a conversion's journalled ``after``."""
    return {
        "AccountId": record.get("ConvertedAccountId"),
        "ContactId": record.get("ConvertedContactId"),
        "OpportunityId": record.get("ConvertedOpportunityId"),
    }


def done_by_this_plan(action: Action, sends: dict[str, list[JournalEntry]]) -> str:
    """The journal's word for a write this plan sent and learned of by re-reading."""
    runs = sorted({str(step.run_id) for step in sends.get(action.key, ()) if step.run_id is not None})
    by = f"sent by run {', '.join(runs)} of this plan" if runs else "sent by this plan"
    return f"done: {by}, learned by re-reading the record"


def already_applied(action: Action, records: Records) -> bool:
    """Whether an action's records already are as it would make them (a conversion: as planned)."""
    if action.kind is ActionKind.MERGE_RECORDS:
        return shows_write(action, records)
    record = records.get(action.record_id)
    if record is None or record.get("IsDeleted"):
        return False
    if action.kind is ActionKind.CONVERT_LEAD:
        return bool(record.get("IsConverted")) and converted_as_planned(action, record)
    return all(same_value(record.get(name), value) for name, value in action.values.items())


def converted_as_planned(action: Action, record: dict[str, Any]) -> bool:
    """Whether a converted lead went into the Contact and Account the plan named."""
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
