"""The pull stage: mirror an org's objects into the store, full or incremental, and prove it.

Per object: describe it, widen the mirror table for new fields, read changed rows since the
bookmark (``SystemModstamp >= bookmark - overlap ORDER BY SystemModstamp, Id``), commit each
page with its bookmark, learn about deletions, and finally compare Salesforce's ``COUNT()``
with the store. A pull that cannot prove the mirror is complete fails loudly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from sfbridge import soql
from sfbridge.describes import described_fields
from sfbridge.errors import FatalSalesforceError, SyncIntegrityError
from sfbridge.models import ObjectOutcome, ObjectPullResult, ObjectSchema, PullReport, SyncState
from sfbridge.pull.bulk import read_with_bulk
from sfbridge.pull.decode import PageDecoder
from sfbridge.pull.deletions import DeletionCheck, check_deletions
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.pages import QueryPlan, iter_pages, plan_query
from sfbridge.pull.records import Page
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import CountPolicy, ObjectSpec, SyncMode, object_schema, spec_for

__all__ = ["NO_PROGRESS", "Mirror", "Progress", "PullOptions", "pull"]

log = structlog.get_logger()

# Describe or query of an object the org does not offer (field history off, no licence).
_ABSENT_OBJECT_CODES = frozenset({"NOT_FOUND", "INVALID_TYPE"})
_FETCH_BY_ID_CHUNK = 200


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PullOptions:
    """How to pull: page size, look-back overlap, full re-read, the clock, and when to use Bulk."""

    page_size: int = 2000
    overlap: timedelta = timedelta(minutes=5)
    full: bool = False
    clock: Callable[[], datetime] = field(default=_utcnow)
    #: Read an object with a Bulk API 2.0 job when its pull reads at least this many rows.
    bulk_threshold: int | None = None
    #: Read every object that Bulk supports with a Bulk job, whatever its size (``--bulk``).
    bulk: bool = False


class Progress(Protocol):
    """Receives progress as pages are committed (the CLI draws bars from it)."""

    def advance(self, sobject: str, *, done: int, total: int | None) -> None:
        """Report rows committed so far for an object, and the query's total if known."""

    def finish(self, result: ObjectPullResult) -> None:
        """Report that an object is done."""


class _NoProgress:
    def advance(self, sobject: str, *, done: int, total: int | None) -> None:
        pass

    def finish(self, result: ObjectPullResult) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()


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
    started, timer = options.clock(), time.perf_counter()
    identity = gateway.identity()
    store.bind_org(identity.org_id, gateway.instance_url)
    with store.writer_lock(identity.org_id):
        run_id = store.start_run(command, org=org, started_at=started)
        results: list[ObjectPullResult] = []
        try:
            for sobject in objects:
                result = _ObjectPull(gateway, store, spec_for(sobject), options, run_id, started).run(progress)
                results.append(result)
                progress.finish(result)
        except BaseException as exc:
            _finish(store, run_id, gateway, results, options, outcome="failed", error=str(exc))
            raise
        failed = [r for r in results if r.outcome is ObjectOutcome.FAILED]
        problems = "; ".join(r.note or r.sobject for r in failed)
        _finish(store, run_id, gateway, results, options, outcome="failed" if failed else "ok", error=problems or None)
    report = PullReport(
        org=org,
        org_id=identity.org_id,
        instance_url=gateway.instance_url,
        store_url=store.url,
        started_at=started,
        finished_at=options.clock(),
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
    options: PullOptions,
    *,
    outcome: str,
    error: str | None,
) -> None:
    counts = {r.sobject: {"fetched": r.fetched, "deleted": r.deleted, "stored": r.stored} for r in results}
    store.finish_run(
        run_id,
        outcome=outcome,
        finished_at=options.clock(),
        counts=counts,
        api_calls=gateway.usage.calls,
        api_used=gateway.usage.used,
        api_limit=gateway.usage.limit,
        error=error,
    )


class _ObjectPull:
    """The pull of one object; holds what its steps share."""

    def __init__(
        self,
        gateway: SalesforceGateway,
        store: Mirror,
        spec: ObjectSpec,
        options: PullOptions,
        run_id: int,
        started: datetime,
    ) -> None:
        self.gateway, self.store, self.spec, self.options = gateway, store, spec, options
        self.run_id, self.started = run_id, started
        self.sobject = spec.sobject

    def run(self, progress: Progress) -> ObjectPullResult:
        try:
            return self._pull(progress)
        except FatalSalesforceError as exc:
            # An optional object the org does not offer (LeadHistory with field history off)
            # is noted and skipped, whether describe or the query says so.
            if not (self.spec.optional and exc.error_code in _ABSENT_OBJECT_CODES):
                raise
            log.warning("object_unavailable", sobject=self.sobject, error_code=exc.error_code)
            return ObjectPullResult(
                sobject=self.sobject,
                outcome=ObjectOutcome.SKIPPED,
                mode="-",
                note=f"{self.sobject} is not available in this org ({exc.error_code}; for LeadHistory: "
                "field history tracking is off for Lead); checks that need it will say so",
            )

    def _pull(self, progress: Progress) -> ObjectPullResult:
        describe = self.gateway.describe(self.sobject)
        self.store.save_describe(self.sobject, described_fields(describe), described_at=self.options.clock())
        schema = object_schema(describe, self.spec)
        previous = self.store.state(self.sobject)
        # A first pull (or a changed cursor field) reads everything; so do --full and the
        # small objects synced whole. An interrupted pull resumes from its bookmark.
        first = previous is None or previous.cursor != schema.cursor
        full = first or self.options.full or self.spec.mode is SyncMode.FULL
        columns = {**(previous.columns if previous else {}), **schema.columns}
        added = self.store.prepare_mirror(self.sobject, columns)
        known_since = None if first or previous is None else previous.deletes_since
        state = SyncState(
            sobject=self.sobject,
            cursor=schema.cursor,
            bookmark=None if full or previous is None else previous.bookmark,
            # From the first pull on, deletions after this moment are ours to find.
            deletes_since=known_since or self.started - self.options.overlap,
            completed_at=None if previous is None else previous.completed_at,
            columns=columns,
        )
        self.store.save_state(state, run_id=self.run_id)
        state, fetched, pages, seen = self._read_pages(schema, state, progress)
        check = self._deletions(schema, state, seen, first=first)
        state = state.model_copy(update={"deletes_since": check.checked_until, "completed_at": self.options.clock()})
        org_count, stored = self._verify(schema)
        self.store.save_state(state, run_id=self.run_id)
        result = ObjectPullResult(
            sobject=self.sobject,
            outcome=ObjectOutcome.SYNCED,
            mode="full" if full else "incremental",
            fetched=fetched + check.fetched,
            pages=pages,
            deleted=check.deleted,
            stored=stored,
            org_count=org_count,
            new_columns=tuple(added),
        )
        return self._judged(result, fields=len(schema.fields))

    def _read_pages(
        self, schema: ObjectSchema, state: SyncState, progress: Progress
    ) -> tuple[SyncState, int, int, set[str]]:
        since = state.bookmark - self.options.overlap if state.bookmark else None
        plan = plan_query(schema, self.spec, since=since)
        if self.options.bulk:
            return self._read_bulk(schema, state, plan, progress)
        decoder = PageDecoder(schema)
        fetched = pages = 0
        seen: set[str] = set()
        for page, total in iter_pages(self.gateway, plan, decoder, batch_size=self.options.page_size):
            if pages == 0 and self._large(total):
                # The first page's totalSize is Salesforce's count of the whole read: a large
                # one goes to a Bulk job instead (this page is read again there).
                return self._read_bulk(schema, state, plan, progress)
            # The overlap re-reads older rows: the bookmark only ever moves forward.
            marks = [m for m in (state.bookmark, page.latest()) if m is not None]
            state = state.model_copy(update={"bookmark": max(marks) if marks else None})
            self._write(state, page)
            fetched, pages = fetched + len(page), pages + 1
            if self.spec.mode is SyncMode.FULL:
                seen.update(page.ids())
            progress.advance(self.sobject, done=fetched, total=total)
            log.debug("pull_page_committed", sobject=self.sobject, page=pages, rows=len(page))
        return state, fetched, pages, seen

    def _large(self, rows: int) -> bool:
        """Whether a read of this many rows goes to Bulk (``bulk_threshold``; small objects read whole stay on REST)."""
        threshold = self.options.bulk_threshold
        return threshold is not None and self.spec.mode is not SyncMode.FULL and rows >= threshold

    def _read_bulk(
        self, schema: ObjectSchema, state: SyncState, plan: QueryPlan, progress: Progress
    ) -> tuple[SyncState, int, int, set[str]]:
        # The job's pages come in Salesforce's order, not the cursor's: the bookmark stays
        # where it was while pages are committed and moves to the newest row once all are in.
        read = read_with_bulk(
            self.gateway,
            self.store,
            schema,
            where=plan.where,
            write=lambda page: self._write(state, page),
            advance=lambda done, total: progress.advance(self.sobject, done=done, total=total),
            collect_ids=self.spec.mode is SyncMode.FULL,
        )
        marks = [mark for mark in (state.bookmark, read.latest) if mark is not None]
        state = state.model_copy(update={"bookmark": max(marks) if marks else None})
        self.store.save_state(state, run_id=self.run_id)
        log.info("pull_bulk_read", sobject=self.sobject, rows=read.fetched, pages=read.pages)
        return state, read.fetched, read.pages, read.ids

    def _write(self, state: SyncState, page: Page) -> None:
        """Commit one page with the state that covers it."""
        self.store.write_page(
            state,
            page.columns,
            page.rows,
            synced_at=self.options.clock(),
            run_id=self.run_id,
            null_columns=page.null_columns,
        )

    def _deletions(self, schema: ObjectSchema, state: SyncState, seen: set[str], *, first: bool) -> DeletionCheck:
        now = self.options.clock()
        if self.spec.mode is SyncMode.FULL:
            gone = sorted(self.store.live_ids(self.sobject) - seen)
            flagged = self.store.mark_deleted(self.sobject, gone, at=now)
            return DeletionCheck(deleted=flagged, checked_until=now, method="full")
        if self.spec.parent is not None:
            # History rows die with their parent; the parent's pull already learned that.
            field_name, parent = self.spec.parent
            if self.store.state(parent) is None:  # the parent is not mirrored here (yet)
                return DeletionCheck(deleted=0, checked_until=now, method="none")
            flagged = self.store.mark_children_deleted(self.sobject, parent_field=field_name, parent=parent, at=now)
            return DeletionCheck(deleted=flagged, checked_until=now, method="parent")
        if first:
            assert state.deletes_since is not None  # noqa: S101 (set before the first page)
            # Everything was just read; deletions from here on are found by the next pull.
            return DeletionCheck(deleted=0, checked_until=state.deletes_since, method="none")
        since = None if self.options.full else state.deletes_since
        return check_deletions(
            self.gateway,
            self.store,
            schema,
            self.spec,
            since=since,
            now=now,
            fetch_missing=lambda ids: self._fetch_ids(schema, ids),
        )

    def _fetch_ids(self, schema: ObjectSchema, ids: Sequence[str]) -> int:
        """Pull specific records (ones a reconcile found missing), without moving the bookmark."""
        decoder, fetched = PageDecoder(schema), 0
        state = self.store.state(self.sobject)
        assert state is not None  # noqa: S101 (saved before any page)
        for start in range(0, len(ids), _FETCH_BY_ID_CHUNK):
            plan = plan_query(schema, self.spec, since=None, ids=ids[start : start + _FETCH_BY_ID_CHUNK])
            for page, _total in iter_pages(self.gateway, plan, decoder, batch_size=self.options.page_size):
                self._write(state, page)
                fetched += len(page)
        return fetched

    def _verify(self, schema: ObjectSchema) -> tuple[int, int]:
        # Count only records created before this pull began, on both sides, so a record
        # created while we paged is not mistaken for one we missed.
        cutoff = self.started if schema.has("CreatedDate") else None
        where = [*self.spec.where, *([soql.until("CreatedDate", cutoff)] if cutoff else [])]
        org_count = self.gateway.count(soql.count(self.sobject, where=where), sobject=self.sobject)
        stored = self.store.count(self.sobject, created_before=cutoff)
        return org_count, stored

    def _judged(self, result: ObjectPullResult, *, fields: int) -> ObjectPullResult:
        """Fail the object when the store does not hold what Salesforce counts; log the outcome."""
        org_count, stored = result.org_count or 0, result.stored
        exact = self.spec.count_policy is CountPolicy.EXACT
        if stored != org_count and (exact or stored < org_count):
            log.error("pull_count_mismatch", sobject=self.sobject, org_count=org_count, stored=stored)
            note = (
                f"{self.sobject}: Salesforce counts {org_count:,} records but the store holds "
                f"{stored:,}; the mirror is not exact. Run `sfbridge pull --full --objects "
                f"{self.sobject}` to re-read it (records edited during the pull can cause this "
                "too: re-run first)"
            )
            result = result.model_copy(update={"outcome": ObjectOutcome.FAILED, "note": note})
        log.info(
            "pull_object_done",
            sobject=self.sobject,
            mode=result.mode,
            fetched=result.fetched,
            pages=result.pages,
            deleted=result.deleted,
            stored=stored,
            org_count=org_count,
            new_columns=len(result.new_columns),
            fields=fields,
        )
        return result
