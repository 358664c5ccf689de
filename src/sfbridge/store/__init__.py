"""The local store: mirror tables per object, sync state, and the runs table.

SQLAlchemy Core over SQLite (default) or PostgreSQL, one code path. A page of records and
the bookmark that covers it are written in one transaction, so a crash loses nothing
committed and never leaves half a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, Engine, Table, func, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from sfbridge.describes import DescribedField
from sfbridge.errors import INTERRUPTED, StoreError, UsageError
from sfbridge.models import ActionKind, ColumnKind, Finding, JournalEntry, JournalState, Severity, SyncState
from sfbridge.snapshot import Snapshot
from sfbridge.store.engine import display_url, open_engine
from sfbridge.store.files import sqlite_file
from sfbridge.store.frames import FrameRequest, load_frames
from sfbridge.store.locks import RunOwner, apply_lock, claim_run_owner, in_memory, owner_gone, writer_lock
from sfbridge.store.migrate import add_missing_columns, widen
from sfbridge.store.tables import (
    DELETED_AT,
    SYNCED_AT,
    apply_journal,
    describes,
    findings,
    meta,
    metadata,
    mirror_table,
    mirror_table_name,
    runs,
    sync_state,
)

__all__ = ["AUDIT_COMMANDS", "Store", "display_url", "mirror_table_name"]

log = structlog.get_logger()

#: The runs whose findings form an org's audit history: `sfbridge audit`. `sfbridge plan` also
#: keeps findings (command "plan"), but no one is given a report from it, so it is not an
#: audit: "new since the previous audit" means since the last report someone read. The demo's
#: runs (pulls and its audit alike, all "demo") replay a recording into a fresh store.
AUDIT_COMMANDS = ("audit",)

SCHEMA_VERSION = "1"
_GONE = (
    "the process running it ended before it finished (killed, crashed or shut down); "
    "what it committed is kept, and the next run resumes from it"
)
_ID_CHUNK = 500  # Ids per UPDATE ... WHERE Id IN (...): far below every bind-parameter limit
_STAMP = "__SYNCED_AT__"  # where a page's write time goes in the upsert statement


class Store:
    """One org's local mirror."""

    def __init__(self, engine: Engine, *, url: str) -> None:
        """Wrap an engine whose bookkeeping tables exist (use :meth:`open`)."""
        self.engine = engine
        self.url = display_url(url)
        self._tables: dict[str, Table] = {}
        self._sql: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], str] = {}
        self._owners: dict[int, RunOwner] = {}  # the owner locks of the runs this object started

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Store:
        """Open (and if new, create) a store.

        Args:
            url: a SQLite path or URL, or a PostgreSQL URL.
            create: make a SQLite store that does not exist yet (commands that only read a
                store pass False: a mistyped path is an error, not a new empty store).

        Returns:
            The store.

        Raises:
            StoreError: when the database cannot be opened or holds a newer schema.
            UsageError: when ``create`` is False and there is no SQLite store at that path.
        """
        path = sqlite_file(url)
        if not create and path is not None and not path.is_file():
            msg = (
                f"the store {path} does not exist yet: run sfbridge pull first "
                "(or point --store, or the profile's store, at the store's file)"
            )
            raise UsageError(msg)
        engine = open_engine(url)
        with _guard("prepare the store"), engine.begin() as conn:
            metadata.create_all(conn)
            version = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
            if version is None:
                conn.execute(meta.insert().values(key="schema_version", value=SCHEMA_VERSION))
            elif version != SCHEMA_VERSION:
                msg = f"the store {display_url(url)} has schema {version}; this sfbridge knows {SCHEMA_VERSION}"
                raise StoreError(msg)
        try:
            with engine.begin() as conn:
                add_missing_columns(conn, metadata.sorted_tables)
        except SQLAlchemyError:
            # Another process opening the same older store may have added them first: look again.
            with _guard("add this version's columns to the store's tables"), engine.begin() as conn:
                add_missing_columns(conn, metadata.sorted_tables)
        return cls(engine, url=url)

    def writer_lock(self, name: str) -> AbstractContextManager[None]:
        """Hold the store's writer lock for one org (see :func:`sfbridge.store.locks.writer_lock`)."""
        return writer_lock(self.engine, name)

    def apply_lock(self, plan_digest: str | None, *, wait: float = 0) -> AbstractContextManager[None]:
        """Hold the locks of an apply or revert: one per plan on this machine, one per store.

        Args:
            plan_digest: the plan's digest (None: only the store's lock).
            wait: seconds to wait for another apply to end (0: refuse at once).

        Returns:
            A context manager holding both locks inside its block.

        Raises:
            StoreError: (on entering) another apply of the plan, or into this store, is running.
        """
        return apply_lock(self.engine, plan_digest, store=self.url, wait=wait)

    # -- org binding ----------------------------------------------------------------------

    def bind_org(self, org_id: str, instance_url: str) -> None:
        """Record which org this store mirrors, refusing to mix two orgs in one store.

        Raises:
            StoreError: when the store already mirrors another org.
        """
        with _guard("read the store's org"), self.engine.begin() as conn:
            stored = conn.execute(select(meta.c.value).where(meta.c.key == "org_id")).scalar()
            if stored is None:
                conn.execute(
                    meta.insert(), [{"key": "org_id", "value": org_id}, {"key": "instance_url", "value": instance_url}]
                )
            elif stored != org_id:
                msg = (
                    f"the store {self.url} mirrors org {stored}, not {org_id}; mixing two orgs "
                    "in one store would corrupt both: give this org its own store"
                )
                raise StoreError(msg)

    def note(self, key: str) -> str | None:
        """A value kept across runs under a key (a Bulk download's resume point, say), or None."""
        with _guard("read the store's notes"), self.engine.connect() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == f"note:{key}")).scalar()
        return None if value is None else str(value)

    def save_note(self, key: str, value: str | None) -> None:
        """Keep a value under a key (None removes it)."""
        with _guard("write the store's notes"), self.engine.begin() as conn:
            conn.execute(meta.delete().where(meta.c.key == f"note:{key}"))
            if value is not None:
                conn.execute(meta.insert().values(key=f"note:{key}", value=value))

    def org_id(self) -> str | None:
        """The Id of the org this store mirrors, or None before its first pull."""
        with _guard("read the store's org"), self.engine.connect() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == "org_id")).scalar()
        return None if value is None else str(value)

    # -- sync state -----------------------------------------------------------------------

    def state(self, sobject: str) -> SyncState | None:
        """Return the sync state of one object, or None before its first pull."""
        with _guard("read sync state"), self.engine.connect() as conn:
            row = conn.execute(select(sync_state).where(sync_state.c.sobject == sobject)).first()
        if row is None:
            return None
        return SyncState(
            sobject=row.sobject,
            cursor=row.cursor,
            bookmark=row.bookmark,
            deletes_since=row.deletes_since,
            completed_at=row.completed_at,
            columns={name: ColumnKind(kind) for name, kind in row.columns.items()},
        )

    def save_state(self, state: SyncState, *, run_id: int | None = None) -> None:
        """Write an object's sync state as a whole (start of a pull, end of a pull)."""
        with _guard("write sync state"), self.engine.begin() as conn:
            self._put_state(conn, state, run_id=run_id)

    def _put_state(self, conn: Connection, state: SyncState, *, run_id: int | None) -> None:
        values = {
            "cursor": state.cursor,
            "bookmark": state.bookmark,
            "deletes_since": state.deletes_since,
            "completed_at": state.completed_at,
            "columns": {name: kind.value for name, kind in state.columns.items()},
            "last_run_id": run_id,
        }
        done = conn.execute(update(sync_state).where(sync_state.c.sobject == state.sobject).values(**values))
        if done.rowcount == 0:
            conn.execute(sync_state.insert().values(sobject=state.sobject, **values))

    # -- describes ----------------------------------------------------------------------------

    def save_describe(self, sobject: str, fields: Sequence[DescribedField], *, described_at: datetime) -> None:
        """Keep what the latest describe of an object said (replacing the previous one)."""
        plain = [field.model_dump(mode="json", exclude_defaults=True) for field in fields]
        with _guard(f"keep the {sobject} describe"), self.engine.begin() as conn:
            conn.execute(describes.delete().where(describes.c.sobject == sobject))
            conn.execute(describes.insert().values(sobject=sobject, fields=plain, described_at=described_at))

    def described(self, sobject: str) -> tuple[DescribedField, ...] | None:
        """The fields the latest pull's describe of an object listed, or None if none was kept."""
        with _guard(f"read the {sobject} describe"), self.engine.connect() as conn:
            plain = conn.execute(select(describes.c.fields).where(describes.c.sobject == sobject)).scalar()
        if plain is None:
            return None
        return tuple(DescribedField.model_validate(field) for field in plain)

    # -- mirror tables ----------------------------------------------------------------------

    def prepare_mirror(self, sobject: str, columns: Mapping[str, ColumnKind]) -> list[str]:
        """Create the mirror table, or add the columns describe now lists that it lacks.

        Args:
            sobject: the object.
            columns: every field to store (the union of what was stored and what is pulled).

        Returns:
            The names of columns added to an existing table.
        """
        table = mirror_table(sobject, columns)
        with _guard(f"prepare the {sobject} mirror"), self.engine.begin() as conn:
            inspector = inspect(conn)
            if not inspector.has_table(table.name):
                table.create(conn)
                added: list[str] = []
            else:
                added = widen(conn, table, inspector=inspector)
        self._tables[sobject] = table
        return added

    def table(self, sobject: str) -> Table:
        """Return the mirror table of an object as it is stored (after a pull prepared it)."""
        if sobject not in self._tables:
            state = self.state(sobject)
            if state is None:
                msg = f"the store {self.url} holds no {sobject} records yet: run sfbridge pull first"
                raise StoreError(msg)
            self._tables[sobject] = mirror_table(sobject, state.columns)
        return self._tables[sobject]

    def write_page(
        self,
        state: SyncState,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        *,
        synced_at: datetime,
        run_id: int | None,
        null_columns: Sequence[str] = (),
    ) -> None:
        """Upsert one page of records and move the bookmark, in one transaction.

        Only the bookmark (and the run) of ``state`` is written here; the rest of the state is
        saved with :meth:`save_state` at the start and end of an object's pull.

        Args:
            state: the object's state after this page (its bookmark covers the page).
            columns: the field names, in the order of each row's values (Id first).
            rows: values in canonical stored form (see :mod:`sfbridge.pull.records`).
            synced_at: when the page was written.
            run_id: the run writing it.
            null_columns: pulled fields null on every row of the page (written as NULL without
                a value per row).
        """
        table = self.table(state.sobject)
        # A literal, not a parameter: the rows go to the driver as they are, uncopied. The text
        # is strftime output (digits and separators), so nothing can be injected through it.
        stamp = synced_at.astimezone(UTC).strftime("'%Y-%m-%d %H:%M:%S.%f'")
        with _guard(f"write {state.sobject} records"), self.engine.begin() as conn:
            if rows:
                sql = self._upsert_sql(conn, table, tuple(columns), tuple(null_columns)).replace(_STAMP, stamp)
                conn.exec_driver_sql(sql, list(rows))
            conn.execute(
                update(sync_state)
                .where(sync_state.c.sobject == state.sobject)
                .values(bookmark=state.bookmark, last_run_id=run_id)
            )

    def _upsert_sql(self, conn: Connection, table: Table, columns: tuple[str, ...], nulls: tuple[str, ...]) -> str:
        # The page write is the pull's hot path: going through SQLAlchemy's per-value bind
        # processing costs ~5x the database's own time, so rows arrive already in stored form
        # and go straight to the driver's executemany. The SQL is the same on both back ends
        # (INSERT ... ON CONFLICT DO UPDATE); only the placeholder differs.
        key = (conn.dialect.name, table.name, columns, nulls)
        if key not in self._sql:
            quote = conn.dialect.identifier_preparer.quote
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            names = [*columns, SYNCED_AT]
            values = [mark] * len(columns) + [_STAMP]
            updates = [f"{quote(n)} = excluded.{quote(n)}" for n in names if n != "Id"]
            updates += [f"{quote(n)} = NULL" for n in nulls]  # emptied fields of existing records
            # A record that comes back (undeleted, or a merge undone) is live again.
            updates.append(f"{quote(DELETED_AT)} = NULL")
            # Identifiers are quoted by the dialect; every value is a bound parameter.
            self._sql[key] = (
                f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
                f"VALUES ({', '.join(values)}) "
                f"ON CONFLICT ({quote('Id')}) DO UPDATE SET {', '.join(updates)}"
            )
        return self._sql[key]

    def mark_deleted(
        self, sobject: str, ids: Iterable[str], *, at: datetime, children: Sequence[tuple[str, str]] = ()
    ) -> int:
        """Flag records as deleted (they stay in the table as tombstones), with their children's rows.

        Salesforce deletes a record's field history with it (and restores it on undelete), so
        the LeadHistory rows of a deleted Lead leave the mirror in the same transaction.

        Args:
            sobject: the object.
            ids: the deleted records' Ids.
            at: when the deletion was learned.
            children: (child object, field naming the parent) pairs; children not mirrored are skipped.

        Returns:
            How many live rows of ``sobject`` were flagged.
        """
        table = self.table(sobject)
        kids = [(self.table(child), field) for child, field in children if self._mirrored(child)]
        flagged = 0
        ids = list(ids)
        with _guard(f"record {sobject} deletions"), self.engine.begin() as conn:
            for start in range(0, len(ids), _ID_CHUNK):
                chunk = ids[start : start + _ID_CHUNK]
                done = conn.execute(
                    update(table).where(table.c.Id.in_(chunk), table.c[DELETED_AT].is_(None)).values({DELETED_AT: at})
                )
                flagged += done.rowcount
                for kid, field in kids:
                    conn.execute(
                        update(kid).where(kid.c[field].in_(chunk), kid.c[DELETED_AT].is_(None)).values({DELETED_AT: at})
                    )
        return flagged

    def follow_parents(self, sobject: str, *, parent_field: str, parent: str, at: datetime) -> tuple[int, int]:
        """Flag rows whose parent is deleted, and revive rows whose parent is live again (undeleted).

        For child objects that have no deletions of their own (LeadHistory): their rows are
        only ever flagged because their parent was, so a live parent means live rows.

        Returns:
            (rows flagged, rows revived).
        """
        table, parents = self.table(sobject), self.table(parent)
        dead_parents = select(parents.c.Id).where(parents.c[DELETED_AT].is_not(None))
        live_parents = select(parents.c.Id).where(parents.c[DELETED_AT].is_(None))
        with _guard(f"record {sobject} deletions"), self.engine.begin() as conn:
            flagged = conn.execute(
                update(table)
                .where(table.c[parent_field].in_(dead_parents), table.c[DELETED_AT].is_(None))
                .values({DELETED_AT: at})
            ).rowcount
            revived = conn.execute(
                update(table)
                .where(table.c[parent_field].in_(live_parents), table.c[DELETED_AT].is_not(None))
                .values({DELETED_AT: None})
            ).rowcount
        return flagged, revived

    def _mirrored(self, sobject: str) -> bool:
        return sobject in self._tables or self.state(sobject) is not None

    def live_ids(self, sobject: str, *, created_until: datetime | None = None) -> set[str]:
        """Return the Ids of the records the store believes exist (optionally created up to a moment)."""
        table = self.table(sobject)
        query = select(table.c.Id).where(table.c[DELETED_AT].is_(None))
        if created_until is not None and "CreatedDate" in table.c:
            query = query.where(table.c.CreatedDate <= created_until)
        with _guard(f"read {sobject} Ids"), self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def count(self, sobject: str, *, created_until: datetime | None = None) -> int:
        """Count live records, optionally only those created up to (and at) a moment."""
        table = self.table(sobject)
        query = select(func.count()).select_from(table).where(table.c[DELETED_AT].is_(None))
        if created_until is not None and "CreatedDate" in table.c:
            query = query.where(table.c.CreatedDate <= created_until)
        with _guard(f"count {sobject}"), self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def rows(self, sobject: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Stream stored records of an object, ordered by Id."""
        table = self.table(sobject)
        query = select(table).order_by(table.c.Id)
        if not include_deleted:
            query = query.where(table.c[DELETED_AT].is_(None))
        with _guard(f"read {sobject}"), self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(query):
                yield dict(row._mapping)  # noqa: SLF001 (SQLAlchemy's public row-to-mapping)

    # -- snapshots ---------------------------------------------------------------------------

    def load_snapshot(
        self,
        fields: Mapping[str, Iterable[str]],
        *,
        taken_at: datetime | None = None,
        count_fill: Iterable[str] = (),
    ) -> Snapshot:
        """Load the live records the checks need into a snapshot.

        Args:
            fields: per object, the fields to load (ones the store lacks are skipped; the
                snapshot adds them as nulls on request). Objects never pulled are absent.
            taken_at: the moment the snapshot stands for (default: the last completed pull).
            count_fill: objects whose every stored field gets a fill count (one table scan
                each, cheaper than loading every column of a large object).

        Returns:
            The snapshot.

        Raises:
            UsageError: when the store holds no pulled org yet.
        """
        with _guard("read the store's org"), self.engine.connect() as conn:
            org = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
        if "org_id" not in org:
            msg = f"the store {self.url} holds no org yet: run sfbridge pull (or audit without --offline) first"
            raise UsageError(msg)
        requests: dict[str, FrameRequest] = {}
        latest = None
        for sobject, wanted in fields.items():
            state = self.state(sobject)
            if state is None:
                continue
            kinds = {name: kind for name, kind in state.columns.items() if name in set(wanted) | {"Id"}}
            requests[sobject] = (self.table(sobject), kinds)
            if state.completed_at is not None:
                latest = max(latest, state.completed_at) if latest else state.completed_at
        counted = [sobject for sobject in count_fill if self.state(sobject)]
        # The fill counts scan whole tables while the frames are read (in reader processes for
        # a large SQLite store): run them side by side rather than one after the other.
        with ThreadPoolExecutor(max_workers=1) as counter:
            counting = counter.submit(lambda: {sobject: self._fill_counts(sobject) for sobject in counted})
            with _guard("read the mirror"):
                frames = load_frames(self.engine, requests)
            counts = counting.result()
        moment = taken_at or latest or datetime.now(UTC)
        return Snapshot(
            org_id=org["org_id"],
            instance_url=org.get("instance_url", ""),
            taken_at=moment,
            frames=frames,
            fill_counts=counts,
        )

    def _fill_counts(self, sobject: str) -> dict[str, int]:
        """How many live records fill each field (``*``: how many live records there are)."""
        table = self.table(sobject)
        fields = [column for column in table.columns if column.name not in {SYNCED_AT, DELETED_AT}]
        query = select(func.count(), *(func.count(column) for column in fields)).where(table.c[DELETED_AT].is_(None))
        with _guard(f"count {sobject} fields"), self.engine.connect() as conn:
            total, *filled = conn.execute(query).one()
        return {"*": int(total), **{column.name: int(value) for column, value in zip(fields, filled, strict=True)}}

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, command: str, *, org: str, started_at: datetime) -> int:
        """Record the start of a command run and return its id.

        Runs left ``running`` by a process that is gone are marked interrupted first (see
        :meth:`sweep_interrupted`). The new run's owner lock is held until :meth:`finish_run`.
        """
        self.sweep_interrupted()
        owner = claim_run_owner(self.engine)  # before the row: a visible running run always has a live lock
        try:
            run_id = self._insert_run(
                command=command, org=org, started_at=started_at, outcome="running", owner=owner.token
            )
        except BaseException:
            owner.release()
            raise
        self._owners[run_id] = owner
        return run_id

    def _insert_run(self, **values: Any) -> int:  # noqa: ANN401 (column values)
        with _guard("record the run"), self.engine.begin() as conn:
            key = conn.execute(runs.insert().values(**values)).inserted_primary_key
        if key is None:  # SQLAlchemy leaves it unset only for multi-row inserts; this is one row
            msg = "cannot record the run: the database returned no run id"
            raise StoreError(msg)
        return int(key[0])

    def finish_run(self, run_id: int, *, outcome: str, finished_at: datetime, **values: Any) -> None:  # noqa: ANN401
        """Record how a run ended (counts, API calls, error text) and let its owner lock go."""
        try:
            with _guard("record the run"), self.engine.begin() as conn:
                conn.execute(
                    update(runs).where(runs.c.id == run_id).values(outcome=outcome, finished_at=finished_at, **values)
                )
        finally:
            # After the row: a sweep that takes the released lock then finds the run finished.
            owner = self._owners.pop(run_id, None)
            if owner is not None:
                owner.release()

    def sweep_interrupted(self) -> list[int]:
        """Mark every ``running`` run whose process is gone as interrupted (its owner lock is free).

        A run killed with SIGKILL, or stopped by a crash or a power cut, cannot record its own
        end; the next run (or ``sfbridge runs``) finds it here. An in-memory store has no
        other process's runs and is left alone.

        Returns:
            The ids of the runs marked interrupted.
        """
        if in_memory(self.engine):
            return []
        with _guard("read runs"), self.engine.connect() as conn:
            running = conn.execute(select(runs.c.id, runs.c.owner).where(runs.c.outcome == "running")).all()
        swept: list[int] = []
        for run_id, token in running:
            with owner_gone(self.engine, token) as gone:
                if not gone:
                    continue
                with _guard("record the run"), self.engine.begin() as conn:
                    done = conn.execute(
                        update(runs)
                        .where(runs.c.id == run_id, runs.c.outcome == "running")
                        .values(outcome=INTERRUPTED, finished_at=datetime.now(UTC), error=_GONE)
                    )
                if done.rowcount:
                    swept.append(int(run_id))
        if swept:
            log.warning("runs_interrupted", runs=swept, store=self.url)
        return swept

    # -- findings -----------------------------------------------------------------------------

    def save_findings(self, run_id: int, items: Sequence[Finding]) -> None:
        """Keep an audit run's findings (for trends and for planning fixes later)."""
        if not items:
            return
        rows = [_finding_row(run_id, item.plain) for item in items]
        with _guard("save findings"), self.engine.begin() as conn:
            # Straight to the driver: a large audit has ~150k findings, and SQLAlchemy's
            # per-row parameter processing would cost three times the insert itself.
            marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(_FINDING_COLUMNS))
            columns = ", ".join(_quoted(conn, name) for name in _FINDING_COLUMNS)
            conn.exec_driver_sql(f"INSERT INTO {_quoted(conn, findings.name)} ({columns}) VALUES ({marks})", rows)  # noqa: S608 (quoted identifiers)

    def load_findings(self, run_id: int) -> list[Finding]:
        """Read back an audit run's findings."""
        with _guard("read findings"), self.engine.connect() as conn:
            rows = conn.execute(select(findings).where(findings.c.run_id == run_id).order_by(findings.c.id))
            return [
                Finding(
                    check=row.check_name,
                    severity=Severity(row.severity),
                    sobject=row.sobject,
                    record_id=row.record_id,
                    reason=row.reason,
                    suggested_action=row.suggested_action,
                    evidence=row.evidence,
                    suggested_values=row.suggested_values,
                    related=row.related,
                    group=row.group_id,
                    score=row.score,
                )
                for row in rows
            ]

    # -- the apply journal -------------------------------------------------------------------

    def journal(self, run_id: int, plan_digest: str, entries: Sequence[JournalEntry], *, at: datetime) -> None:
        """Append steps of applied actions, in one transaction (before a request is sent, after its result)."""
        if not entries:
            return
        rows = [
            {
                "run_id": run_id,
                "plan_digest": plan_digest,
                "action_key": entry.action_key,
                "kind": entry.kind.value,
                "sobject": entry.sobject,
                "record_id": entry.record_id,
                "state": entry.state.value,
                "before": entry.before,
                "after": entry.after,
                "detail": entry.detail,
                "at": at,
            }
            for entry in entries
        ]
        with _guard("write the apply journal"), self.engine.begin() as conn:
            conn.execute(apply_journal.insert(), rows)

    def journal_of_plan(self, plan_digest: str) -> list[JournalEntry]:
        """Every journalled step of a plan, across all its apply runs, in order."""
        return self._journal(apply_journal.c.plan_digest == plan_digest)

    def journal_of_run(self, run_id: int) -> list[JournalEntry]:
        """Every journalled step of one apply run, in order."""
        return self._journal(apply_journal.c.run_id == run_id)

    def _journal(self, where: Any) -> list[JournalEntry]:  # noqa: ANN401 (a SQLAlchemy condition)
        query = select(apply_journal).where(where).order_by(apply_journal.c.id)
        with _guard("read the apply journal"), self.engine.connect() as conn:
            return [
                JournalEntry(
                    action_key=row.action_key,
                    kind=ActionKind(row.kind),
                    sobject=row.sobject,
                    record_id=row.record_id,
                    state=JournalState(row.state),
                    before=row.before,
                    after=row.after,
                    detail=row.detail,
                    run_id=row.run_id,
                    at=row.at,
                )
                for row in conn.execute(query)
            ]

    def plan_digests_of_run(self, run_id: int) -> list[str]:
        """The plans an apply run journalled steps of (one, for runs sfbridge makes)."""
        query = select(apply_journal.c.plan_digest).where(apply_journal.c.run_id == run_id).distinct()
        with _guard("read the apply journal"), self.engine.connect() as conn:
            return [str(value) for value in conn.execute(query).scalars()]

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run's row, or None."""
        with _guard("read runs"), self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
            return dict(row._mapping) if row else None  # noqa: SLF001

    def run_details(self, run_id: int) -> dict[str, Any]:
        """What a run kept beside its counts (``runs.details``), or {} for a run without any.

        A run recorded by an older sfbridge (or a row edited by hand) has none, or something
        that is not an object: both read as {}.
        """
        with _guard("read runs"), self.engine.connect() as conn:
            details = conn.execute(select(runs.c.details).where(runs.c.id == run_id)).scalar()
        return dict(details) if isinstance(details, dict) else {}

    def recent_runs(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """Return the latest runs, newest first."""
        with _guard("read runs"), self.engine.connect() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.id.desc()).limit(limit))
            return [dict(row._mapping) for row in rows]  # noqa: SLF001

    # -- audit history (trends) -------------------------------------------------------------

    def audit_runs(
        self, *, before: int | None = None, commands: Sequence[str] = AUDIT_COMMANDS
    ) -> list[dict[str, Any]]:
        """The successful audits kept in this store, oldest first (the store mirrors one org).

        Args:
            before: only runs older than this run id.
            commands: which runs are audits (see :data:`AUDIT_COMMANDS`).

        Returns:
            Per run: ``id``, ``command``, ``org``, ``started_at``, ``finished_at`` and
            ``counts`` (check → findings; every check the run ran, zeros included).
        """
        columns = (runs.c.id, runs.c.command, runs.c.org, runs.c.started_at, runs.c.finished_at, runs.c.counts)
        query = select(*columns).where(runs.c.command.in_(commands), runs.c.outcome == "ok").order_by(runs.c.id)
        if before is not None:
            query = query.where(runs.c.id < before)
        with _guard("read runs"), self.engine.connect() as conn:
            return [{**row._mapping, "counts": dict(row.counts or {})} for row in conn.execute(query)]  # noqa: SLF001

    def previous_audit_run(self, run_id: int) -> dict[str, Any] | None:
        """The latest successful audit before a run (as :meth:`audit_runs` gives it), or None."""
        earlier = self.audit_runs(before=run_id)
        return earlier[-1] if earlier else None

    def finding_keys(self, run_id: int, checks: Sequence[str] | None = None) -> set[tuple[str, str, str]]:
        """The ``(check, sobject, record_id)`` of a run's findings, optionally of some checks only.

        A narrow read: a large audit keeps ~150k findings, and comparing two audits needs
        only who was flagged by what, not the evidence.
        """
        query = select(findings.c.check_name, findings.c.sobject, findings.c.record_id).where(
            findings.c.run_id == run_id
        )
        if checks is not None:
            query = query.where(findings.c.check_name.in_(list(checks)))
        names: dict[str, str] = {}  # one string per check and object name, not one per row
        with _guard("read findings"), self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=5000).execute(query)
            return {
                (names.setdefault(check, check), names.setdefault(sobject, sobject), record_id)
                for check, sobject, record_id in rows
            }


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


_FINDING_COLUMNS = (
    "run_id",
    "check_name",
    "severity",
    "sobject",
    "record_id",
    "reason",
    "suggested_action",
    "evidence",
    "suggested_values",
    "related",
    "group_id",
    "score",
)


def _finding_row(run_id: int, plain: Mapping[str, Any]) -> tuple[Any, ...]:
    """A finding's values in the order of :data:`_FINDING_COLUMNS` (JSON columns as JSON text)."""
    return (
        run_id,
        plain["check"],
        plain["severity"],
        plain["sobject"],
        plain["record_id"],
        plain["reason"],
        plain["suggested_action"],
        orjson.dumps(plain["evidence"]).decode(),
        orjson.dumps(plain["suggested_values"]).decode(),
        orjson.dumps(plain["related"]).decode(),
        plain["group"],
        plain["score"],
    )


class _guard(AbstractContextManager[None]):  # noqa: N801 (used like a function)
    """Turn database errors into StoreError naming what was being done."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, SQLAlchemyError):
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            msg = f"cannot {self.what}: {exc.__class__.__name__}: {detail}"
            raise StoreError(msg) from exc
