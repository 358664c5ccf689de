"""The pull of one object: describe, read changes (narrowing timed-out windows), deletions, proof.

See :mod:`sfbridge.pull` for the order of the steps and where their moments come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog

from sfbridge.describes import described_fields
from sfbridge.errors import FatalSalesforceError
from sfbridge.models import ObjectOutcome, ObjectPullResult, ObjectSchema, SyncState
from sfbridge.pull.bulk import read_with_bulk
from sfbridge.pull.decode import PageDecoder
from sfbridge.pull.deletions import DeletionCheck, check_deletions
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.options import Progress, PullOptions
from sfbridge.pull.pages import QueryPlan, iter_pages, plan_query
from sfbridge.pull.proof import Proof, ProofInputs, prove
from sfbridge.pull.reconcile import Children
from sfbridge.pull.records import Page
from sfbridge.pull.windows import Window, is_query_timeout, split
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import DEFAULT_SPECS, IMPORT_CURSOR, CountPolicy, ObjectSpec, SyncMode, object_schema

__all__ = ["ABSENT_OBJECT_CODES", "ObjectPull"]

log = structlog.get_logger()

#: What describe or a query answer for an object the org does not offer this user (field
#: history off, no licence, no access).
ABSENT_OBJECT_CODES = frozenset({"NOT_FOUND", "INVALID_TYPE"})
_FETCH_BY_ID_CHUNK = 200


def _children_of(sobject: str) -> Children:
    """The objects whose rows die with a record of ``sobject`` (LeadHistory with its Lead)."""
    return tuple(
        (spec.sobject, spec.parent[0]) for spec in DEFAULT_SPECS.values() if spec.parent and spec.parent[1] == sobject
    )


class ObjectPull:
    """The pull of one object; holds what its steps share."""

    def __init__(  # noqa: D107 (the steps' shared inputs)
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
        self.children = _children_of(spec.sobject)

    def run(self, progress: Progress) -> ObjectPullResult:
        """Pull the object (an optional object the org lacks is skipped with a note)."""
        try:
            return self._pull(progress)
        except FatalSalesforceError as exc:
            # An optional object the org does not offer (LeadHistory with field history off)
            # is noted and skipped, whether describe or the query says so.
            if not (self.spec.optional and exc.error_code in ABSENT_OBJECT_CODES):
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
        imported = self.store.state(self.sobject)
        if imported is not None and imported.cursor == IMPORT_CURSOR:
            # Imported from files (sfbridge import): read the object as on a first pull, into a
            # table typed by this describe; the import's rows go, so none is left twice or stale.
            self.store.forget_import(self.sobject)
            log.info("pull_takes_over_import", sobject=self.sobject)
        # Kept so offline runs can check rules against the org's fields (sfbridge.checks.rules_fit).
        self.store.save_describe(self.sobject, described_fields(describe), described_at=self.gateway.server_time())
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
        since = state.bookmark - self.options.overlap if state.bookmark else None
        state, fetched, pages, seen = self._read_pages(schema, state, since, progress)
        check = self._deletions(schema, state, seen, first=first, since=since)
        proof = self._prove(schema)
        state = state.model_copy(
            update={"deletes_since": check.checked_until, "completed_at": self.gateway.server_time()}
        )
        if proof.holds:  # an unproven mirror is not complete: the next run checks again from the same point
            self.store.save_state(state, run_id=self.run_id)
        result = ObjectPullResult(
            sobject=self.sobject,
            outcome=ObjectOutcome.SYNCED,
            mode="full" if full else "incremental",
            fetched=fetched + check.fetched + proof.fetched,
            pages=pages,
            deleted=check.deleted + proof.flagged,
            stored=proof.stored,
            org_count=proof.org_count,
            new_columns=tuple(added),
        )
        return self._judged(result, proof, fields=len(schema.fields))

    def _read_pages(
        self, schema: ObjectSchema, state: SyncState, since: datetime | None, progress: Progress
    ) -> tuple[SyncState, int, int, set[str]]:
        if self.options.bulk:
            return self._read_bulk(schema, state, plan_query(schema, self.spec, since=since), progress)
        decoder = PageDecoder(schema)
        fetched = pages = splits = 0
        seen: set[str] = set()
        windows = [Window(since, None)]
        while windows:
            window = windows.pop(0)
            plan = plan_query(schema, self.spec, since=window.start, before=window.end)
            newest: datetime | None = None
            try:
                for page, total in iter_pages(self.gateway, plan, decoder, batch_size=self.options.page_size):
                    if pages == 0 and self._large(total):
                        # The first page's totalSize is Salesforce's count of the read: a large one goes
                        # to a Bulk job instead (this page is read again there), for everything from
                        # this window on, narrowed or not (Bulk splits its reads itself).
                        rest = plan_query(schema, self.spec, since=window.start)
                        return self._read_bulk(schema, state, rest, progress)
                    # The overlap re-reads older rows: the bookmark only ever moves forward.
                    newest = page.latest() or newest
                    marks = [m for m in (state.bookmark, newest) if m is not None]
                    state = state.model_copy(update={"bookmark": max(marks) if marks else None})
                    self._write(state, page)
                    fetched, pages = fetched + len(page), pages + 1
                    if self.spec.mode is SyncMode.FULL:
                        seen.update(page.ids())
                    progress.advance(self.sobject, done=fetched, total=total)
                    log.debug("pull_page_committed", sobject=self.sobject, page=pages, rows=len(page))
            except FatalSalesforceError as exc:
                if not is_query_timeout(exc) or schema.cursor is None:
                    raise
                # Salesforce gave up on this window: read it again as two narrower ones,
                # from the newest row already committed.
                halves = split(
                    window, read_up_to=newest, now=self.gateway.server_time(), sobject=self.sobject, splits=splits
                )
                splits += 1
                log.warning(
                    "query_timeout_narrowed",
                    sobject=self.sobject,
                    windows=[(w.start.isoformat() if w.start else None) for w in halves],
                    splits=splits,
                )
                windows[:0] = halves
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

    def _deletions(
        self, schema: ObjectSchema, state: SyncState, seen: set[str], *, first: bool, since: datetime | None
    ) -> DeletionCheck:
        now = self.gateway.server_time()
        if self.spec.mode is SyncMode.FULL:
            gone = sorted(self.store.live_ids(self.sobject) - seen)
            flagged = self.store.mark_deleted(self.sobject, gone, at=now, children=self.children)
            return DeletionCheck(deleted=flagged, checked_until=now, method="full")
        if self.spec.parent is not None:
            # History rows die with their parent (and come back with it): follow the parent's mirror.
            field_name, parent = self.spec.parent
            if self.store.state(parent) is None:  # the parent is not mirrored here (yet)
                return DeletionCheck(deleted=0, checked_until=now, method="none")
            flagged, revived = self.store.follow_parents(self.sobject, parent_field=field_name, parent=parent, at=now)
            if revived:
                log.info("children_revived", sobject=self.sobject, parent=parent, rows=revived)
            return DeletionCheck(deleted=flagged, checked_until=now, method="parent")
        if first:
            assert state.deletes_since is not None  # noqa: S101 (set before the first page)
            # Everything was just read; deletions from here on are found by the next pull (and
            # one made while this pull ran shows up in its count, which reconciles it).
            return DeletionCheck(deleted=0, checked_until=state.deletes_since, method="none")
        return check_deletions(
            self.gateway,
            self.store,
            schema,
            self.spec,
            changed_since=since,
            log_since=None if self.options.full else state.deletes_since,
            now=now,
            fetch_missing=lambda ids: self._fetch_ids(schema, ids),
            children=self.children,
            bulk_threshold=self.options.bulk_threshold,
        )

    def _fetch_ids(self, schema: ObjectSchema, ids: Sequence[str]) -> list[str]:
        """Pull specific records (ones a reconcile found missing), without moving the bookmark; return those found."""
        decoder, found = PageDecoder(schema), []
        state = self.store.state(self.sobject)
        assert state is not None  # noqa: S101 (saved before any page)
        for start in range(0, len(ids), _FETCH_BY_ID_CHUNK):
            plan = plan_query(schema, self.spec, since=None, ids=ids[start : start + _FETCH_BY_ID_CHUNK])
            for page, _total in iter_pages(self.gateway, plan, decoder, batch_size=self.options.page_size):
                self._write(state, page)
                found.extend(page.ids())
        return found

    def _prove(self, schema: ObjectSchema) -> Proof:
        # Count only records created up to the moment this pull began, on both sides, so a
        # record created while we paged is not mistaken for one we missed.
        inputs = ProofInputs(
            schema=schema,
            spec=self.spec,
            cutoff=self.started if schema.has("CreatedDate") else None,
            exact=self.spec.count_policy is CountPolicy.EXACT,
            bulk_threshold=self.options.bulk_threshold,
            now=self.gateway.server_time,
            fetch_missing=lambda ids: self._fetch_ids(schema, ids),
            children=self.children,
        )
        return prove(self.gateway, self.store, inputs)

    def _judged(self, result: ObjectPullResult, proof: Proof, *, fields: int) -> ObjectPullResult:
        """Fail the object when the store does not hold what Salesforce counts, even after reconciling; log it."""
        org_count, stored = proof.org_count, proof.stored
        if not proof.holds:
            log.error("pull_count_mismatch", sobject=self.sobject, org_count=org_count, stored=stored)
            named = (
                f" (records found on one side only while reconciling: {', '.join(proof.differing)})"
                if proof.differing
                else ""
            )
            note = (
                f"{self.sobject}: Salesforce counts {org_count:,} records but the store holds "
                f"{stored:,} even after reconciling Ids {proof.reconciles} times{named}; the mirror is not "
                f"exact. Records were changing while the pull ran: run it again (if it persists, "
                f"`sfbridge pull --full --objects {self.sobject}` re-reads the object)"
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
            reconciles=proof.reconciles,
            new_columns=len(result.new_columns),
            fields=fields,
        )
        return result
