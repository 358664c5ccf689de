"""Field updates of an apply run: only changed values, at most 200 records a request, each journalled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sfbridge.models import Action, JournalState
from sfbridge.push.run import ApplyRun
from sfbridge.push.values import same_value
from sfbridge.salesforce.writes import RecordUpdate, SaveResult

__all__ = ["send_updates"]

_UPDATE_BATCH = 200  # sObject Collections' limit per request


def send_updates(run: ApplyRun, actions: Sequence[Action], current: dict[str, dict[str, Any]]) -> None:
    """Set the planned values that differ from the records', journalled, through sObject Collections."""
    changing = []
    for action in actions:
        # Only values that differ from the record's are sent: an unchanged field written
        # again still fires triggers and workflow and bumps SystemModstamp.
        record = current[action.record_id]
        values = {name: value for name, value in action.values.items() if not same_value(record.get(name), value)}
        if values:
            changing.append((action, values))
        else:
            run.finish(action, JournalState.DONE, "already as planned: nothing sent", after=dict(action.values))
    for batch in _update_batches(changing):
        befores = {a.key: {name: current[a.record_id].get(name) for name in values} for a, values in batch}
        run.gateway.check_budget("update records")
        run.journal(run.entry(a, JournalState.SENT, before=befores[a.key], after=values) for a, values in batch)
        requests = [RecordUpdate(a.sobject, a.record_id, values) for a, values in batch]
        results: list[SaveResult] = run.gateway.update_records(requests)
        for (action, values), result in zip(batch, results, strict=True):
            if result.success:
                run.finish(action, JournalState.DONE, before=befores[action.key], after=values)
            else:
                detail = "; ".join(f"{error.status_code}: {error.message}" for error in result.errors)
                run.finish(action, JournalState.FAILED, detail, before=befores[action.key])


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
