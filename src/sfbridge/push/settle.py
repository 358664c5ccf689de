"""Learn what became of writes whose answers were lost, without asking too early.

A batch journalled ``sent`` without its result (a timeout, a reset, a process killed
mid-call) may still be running in Salesforce: a ``convertLead`` call commits when its
triggers and flows finish, seconds or minutes after the client stopped listening, and a
re-read before then sees the leads unconverted and would send them again. One call is one
transaction, so the first record of a batch that shows the write proves the whole batch has
finished; until one does, the batch is re-read every few seconds for at most
``settle_seconds`` after it was sent. Salesforce ends a REST or SOAP call after ten minutes
("The timeout limit for REST and SOAP API calls is 10 minutes", API Request Limits and
Allocations), so with the default (ten and a half minutes from before the request left) it
cannot still be working on the batch by then, and records still unchanged were never
changed by it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from sfbridge.models import Action

__all__ = ["POLL_SECONDS", "Records", "SentBatch", "await_outcome"]

log = structlog.get_logger()

#: How often an unsettled batch's records are read again while Salesforce may be finishing it.
POLL_SECONDS = 3.0

#: Records as re-read, by Id.
Records = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class SentBatch:
    """Actions sent together in one call (one journal step), and when."""

    sent_at: datetime
    actions: tuple[Action, ...]
    run_id: int | None = None


def await_outcome(
    batches: Sequence[SentBatch],
    *,
    first: Records,
    reread: Callable[[Sequence[Action]], Records],
    shows_write: Callable[[Action, Records], bool],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    settle_seconds: float,
) -> Records:
    """Re-read the batches' records until each shows its write or can no longer be in flight.

    Args:
        batches: the unsettled batches.
        first: the records as already read (no request is repeated for the first look).
        reread: reads the records of some actions, by Id.
        shows_write: whether the records show an action's write (a converted lead, a set value, a merge).
        clock: the clock the journal's send times were taken with.
        sleep: how to wait between looks.
        settle_seconds: how long after sending Salesforce may still be working on a call.

    Returns:
        The latest read of every record involved, by Id.
    """
    records = dict(first)
    settle = timedelta(seconds=settle_seconds)
    waiting = list(batches)
    while True:
        now = clock()
        still = [
            batch
            for batch in waiting
            if now < batch.sent_at + settle and not any(shows_write(action, records) for action in batch.actions)
        ]
        if not still:
            return records
        deadline = min(batch.sent_at + settle for batch in still)
        pause = max(0.1, min(POLL_SECONDS, (deadline - now).total_seconds()))
        log.info(
            "apply_waiting_for_salesforce",
            batches=len(still),
            records=sum(len(batch.actions) for batch in still),
            sent_by_runs=sorted({batch.run_id for batch in still if batch.run_id is not None}),
            wait_until=deadline.isoformat(),
            reason="a call whose answer was lost may still be running in Salesforce",
        )
        sleep(pause)
        records.update(reread([action for batch in still for action in batch.actions]))
        waiting = still
