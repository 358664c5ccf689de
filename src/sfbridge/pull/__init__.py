"""The pull stage: mirror an org's objects into the store, full or incremental, and prove it.

Per object: describe it, widen the mirror table for new fields, read changed rows since the
bookmark (``SystemModstamp >= bookmark - overlap ORDER BY SystemModstamp, Id``), commit each
page with its bookmark, learn about deletions (:mod:`~sfbridge.pull.deletions`), and finally
compare Salesforce's ``COUNT()`` with the store, reconciling Ids when they disagree
(:mod:`~sfbridge.pull.proof`). A pull that cannot prove the mirror is complete fails loudly.

Every moment that bounds a window (the count cut-off, the delete log's end, the moment the
mirror stands for) is Salesforce's, read from its answers' ``Date`` header: a local clock
a minute off would claim changes the server has not made yet, or count them twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import structlog

from sfbridge.errors import SyncIntegrityError, run_outcome
from sfbridge.models import ObjectOutcome, ObjectPullResult, PullReport
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.objects import ObjectPull
from sfbridge.pull.options import NO_PROGRESS, Progress, PullOptions
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import spec_for

__all__ = ["NO_PROGRESS", "Mirror", "Progress", "PullOptions", "pull"]

log = structlog.get_logger()


def pull(
    gateway: SalesforceGateway,
    store: Mirror,
    *,
    org: str,
    objects: Sequence[str],
    options: PullOptions,
    progress: Progress = NO_PROGRESS,
    command: str = "pull",
) -> PullReport:
    """Mirror the given objects of an org into the store.

    Args:
        gateway: the connection.
        store: the mirror.
        org: the profile name (for the runs table).
        objects: objects to pull, in order.
        options: page size, overlap, full re-read, clock.
        progress: receives progress.
        command: the command recorded in the runs table.

    Returns:
        What was pulled.

    Raises:
        SyncIntegrityError: when any object's mirror does not match the org's count (the
            other objects are still pulled first).
        SalesforceError: when Salesforce fails in a way retries cannot fix.
    """
    timer = time.perf_counter()
    identity = gateway.identity()
    started = gateway.server_time()  # the moment this pull stands for, by Salesforce's clock
    store.bind_org(identity.org_id, gateway.instance_url)
    with store.writer_lock(identity.org_id):
        run_id = store.start_run(command, org=org, started_at=started)
        results: list[ObjectPullResult] = []
        try:
            for sobject in objects:
                result = ObjectPull(gateway, store, spec_for(sobject), options, run_id, started).run(progress)
                results.append(result)
                progress.finish(result)
        except BaseException as exc:  # a signal or Ctrl-C is recorded "interrupted", anything else "failed"
            outcome, error = run_outcome(exc)
            _finish(store, run_id, gateway, results, outcome=outcome, error=error)
            raise
        failed = [r for r in results if r.outcome is ObjectOutcome.FAILED]
        problems = "; ".join(r.note or r.sobject for r in failed)
        _finish(store, run_id, gateway, results, outcome="failed" if failed else "ok", error=problems or None)
    report = PullReport(
        org=org,
        org_id=identity.org_id,
        instance_url=gateway.instance_url,
        store_url=store.url,
        started_at=started,
        finished_at=gateway.server_time(learn=False),
        elapsed_seconds=time.perf_counter() - timer,
        objects=tuple(results),
        api_calls=gateway.usage.calls,
        api_used=gateway.usage.used,
        api_limit=gateway.usage.limit,
    )
    log.info("pull_done", org=org, records=report.records, objects=len(results), api_calls=report.api_calls)
    if failed:
        raise SyncIntegrityError(problems, sobject=failed[0].sobject)
    return report


def _finish(
    store: Mirror,
    run_id: int,
    gateway: SalesforceGateway,
    results: list[ObjectPullResult],
    *,
    outcome: str,
    error: str | None,
) -> None:
    counts = {r.sobject: {"fetched": r.fetched, "deleted": r.deleted, "stored": r.stored} for r in results}
    store.finish_run(
        run_id,
        outcome=outcome,
        finished_at=gateway.server_time(learn=False),  # no new call on the way out of a failure
        counts=counts,
        api_calls=gateway.usage.calls,
        api_used=gateway.usage.used,
        api_limit=gateway.usage.limit,
        error=error,
    )
