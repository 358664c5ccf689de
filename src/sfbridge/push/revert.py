"""Revert an apply run: put back the field values its updates replaced, and undo its merges where Salesforce can.

A record whose updated fields no longer hold what the run wrote (someone or something
changed them since) is skipped with the values found, never overwritten. Merges are undone
by :mod:`sfbridge.push.unmerge` (the merged records undeleted within the Recycle Bin's 15
days, the master's values put back; the related records Salesforce moved stay moved). A
conversion cannot be reverted: Salesforce offers no way to turn a Contact back into the
Lead it was converted from, so the conversions of the run are listed, not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sfbridge.errors import PlanError, UsageError, run_outcome
from sfbridge.models import ActionKind, JournalEntry, JournalState
from sfbridge.push.unmerge import unmerge_all
from sfbridge.push.values import same_value
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.writes import RecordUpdate
from sfbridge.store import Store

__all__ = ["RevertReport", "revert_run"]

_BATCH = 200


@dataclass
class RevertReport:
    """What a revert did: each update and merge put back, skipped or refused; the conversions it cannot undo."""

    run_id: int
    reverted_run: int
    outcomes: list[JournalEntry] = field(default_factory=list)
    merges: list[JournalEntry] = field(default_factory=list)
    conversions: list[JournalEntry] = field(default_factory=list)

    def count(self, state: JournalState) -> int:
        """How many updates and merges ended in a state."""
        return sum(1 for entry in (*self.outcomes, *self.merges) if entry.state is state)

    @property
    def complete(self) -> bool:
        """Whether every update and merge of the reverted run was put back."""
        return self.count(JournalState.DONE) == len(self.outcomes) + len(self.merges)


def revert_run(
    gateway: SalesforceGateway,
    store: Store,
    run_id: int,
    *,
    org: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RevertReport:
    """Restore the before-values of an apply run's field updates.

    Args:
        gateway: a session on the store's org.
        store: the store holding the run's journal.
        run_id: the apply run to revert.
        org: the profile name, for the runs table.
        clock: the time source for the journal.

    Returns:
        The outcome of every update and merge, and the run's conversions (not reverted).

    Raises:
        UsageError: when the run is not an apply run of this store.
        PlanError: when the session is for another org than the store's.
        SalesforceError: when Salesforce or the network fails.
    """
    run = store.run(run_id)
    if run is None or run["command"] != "apply":
        msg = f"run {run_id} is not an apply run in {store.url}; see sfbridge runs"
        raise UsageError(msg)
    store_org, session_org = store.org_id(), gateway.identity().org_id
    if store_org is not None and store_org[:15] != session_org[:15]:
        msg = f"run {run_id} changed org {store_org}, but the session is for org {session_org}"
        raise PlanError(msg)
    steps = store.journal_of_run(run_id)
    done = [entry for entry in steps if entry.state is JournalState.DONE]
    updates = [entry for entry in done if entry.kind is ActionKind.UPDATE_RECORD]
    merges = [entry for entry in done if entry.kind is ActionKind.MERGE_RECORDS]
    digest = next(iter(store.plan_digests_of_run(run_id)), "")
    report = RevertReport(
        run_id=store.start_run("revert", org=org, started_at=clock()),
        reverted_run=run_id,
        conversions=[entry for entry in done if entry.kind is ActionKind.CONVERT_LEAD],
    )
    try:
        _revert(gateway, store, report, updates, digest=digest, clock=clock)
        report.merges = unmerge_all(gateway, store, merges, run_id=report.run_id, digest=digest, clock=clock)
    except BaseException as exc:  # a signal or Ctrl-C is recorded "interrupted", anything else "failed"
        outcome, error = run_outcome(exc)
        store.finish_run(report.run_id, outcome=outcome, finished_at=clock(), error=error)
        raise
    store.finish_run(report.run_id, outcome="ok" if report.complete else "partial", finished_at=clock())
    return report


def _revert(
    gateway: SalesforceGateway,
    store: Store,
    report: RevertReport,
    updates: list[JournalEntry],
    *,
    digest: str,
    clock: Callable[[], datetime],
) -> None:
    by_object: dict[str, list[JournalEntry]] = {}
    for entry in updates:
        by_object.setdefault(entry.sobject, []).append(entry)
    ready: list[tuple[JournalEntry, JournalEntry]] = []  # (original step, revert step)
    for sobject, entries in by_object.items():
        fields = sorted({name for entry in entries for name in entry.before})
        current = gateway.fetch_records(sobject, sorted({e.record_id for e in entries}), fields)
        for entry in entries:
            record = current.get(entry.record_id)
            step = JournalEntry(
                action_key=f"revert:{entry.action_key}",
                kind=ActionKind.UPDATE_RECORD,
                sobject=entry.sobject,
                record_id=entry.record_id,
                state=JournalState.SKIPPED,
                before=dict(entry.after),
                after=dict(entry.before),
            )
            changed = (
                "the record is gone"
                if record is None or record.get("IsDeleted")
                else next(
                    (
                        f"{name} is now {record.get(name)!r}, not {value!r} as the run wrote it"
                        for name, value in entry.after.items()
                        if not same_value(record.get(name), value)
                    ),
                    None,
                )
            )
            if changed is not None:
                skipped = step.model_copy(update={"detail": f"changed since the apply: {changed}"})
                store.journal(report.run_id, digest, [skipped], at=clock())
                report.outcomes.append(skipped)
            else:
                ready.append((entry, step))
    for start in range(0, len(ready), _BATCH):
        batch = ready[start : start + _BATCH]
        gateway.check_budget("revert updates")
        sent = [step.model_copy(update={"state": JournalState.SENT}) for _, step in batch]
        store.journal(report.run_id, digest, sent, at=clock())
        results = gateway.update_records([RecordUpdate(e.sobject, e.record_id, e.before) for e, _ in batch])
        ended = []
        for (_, step), result in zip(batch, results, strict=True):
            if result.success:
                ended.append(step.model_copy(update={"state": JournalState.DONE}))
            else:
                detail = "; ".join(f"{error.status_code}: {error.message}" for error in result.errors)
                ended.append(step.model_copy(update={"state": JournalState.FAILED, "detail": detail}))
        store.journal(report.run_id, digest, ended, at=clock())
        report.outcomes.extend(ended)
