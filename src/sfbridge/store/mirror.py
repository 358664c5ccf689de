"""Mirror tables: one per object, pages of records upserted, deletions kept as tombstones."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, inspect, select, update

from sfbridge.errors import StoreError
from sfbridge.models import ColumnKind, SyncState
from sfbridge.schema import IMPORT_CURSOR
from sfbridge.store.base import guard
from sfbridge.store.driver import driver_mark
from sfbridge.store.migrate import widen
from sfbridge.store.sync_state import SyncStates
from sfbridge.store.tables import DELETED_AT, SYNCED_AT, describes, mirror_table, sync_state

_ID_CHUNK = 500  # Ids per UPDATE ... WHERE Id IN (...): far below every bind-parameter limit
_STAMP = "__SYNCED_AT__"  # where a page's write time goes in the upsert statement


class MirrorTables(SyncStates):
    """The mirror tables of a store (their columns come from each object's sync state)."""

    _tables: dict[str, Table]  # the mirror table of each object, as stored
    _sql: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], str]  # upsert statements made so far

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
        with guard(f"prepare the {sobject} mirror"), self.engine.begin() as conn:
            inspector = inspect(conn)
            if not inspector.has_table(table.name):
                table.create(conn)
                added: list[str] = []
            else:
                added = widen(conn, table, inspector=inspector)
        self._tables[sobject] = table
        return added

    def forget_import(self, sobject: str) -> None:
        """Drop what ``sfbridge import`` wrote of an object, so that a pull takes it over from scratch.

        The import typed the org's own fields from their values and stands for an older moment;
        the pull reads every record again and types every field from describe. Runs and findings
        (an audit of the import, for trends) are kept.
        """
        state = self.state(sobject)
        if state is None or state.cursor != IMPORT_CURSOR:
            return
        with guard(f"hand the imported {sobject} over to the pull"), self.engine.begin() as conn:
            mirror_table(sobject, state.columns).drop(conn, checkfirst=True)
            conn.execute(sync_state.delete().where(sync_state.c.sobject == sobject))
            conn.execute(describes.delete().where(describes.c.sobject == sobject))
        self._tables.pop(sobject, None)

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

        A stored live record the page holds as it is stored is left alone, and a page of only
        such records is no write to the mirror (:meth:`count_mirror_write`): an incremental
        pull's overlap reads the last records again on every run, and a small object is read
        whole; neither makes what was kept of the object (its frame, for the audit) stale.

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
        with guard(f"write {state.sobject} records"), self.engine.begin() as conn:
            if rows:
                sql = self._upsert_sql(conn, table, tuple(columns), tuple(null_columns))
                written = conn.exec_driver_sql(sql.replace(_STAMP, stamp), list(rows)).rowcount
                # Counted when a row changed, or when the driver cannot say (-1): what was kept of
                # the object (its frame, for the next audit) holds while nothing is written to it.
                if written != 0:
                    self.count_mirror_write(conn, [state.sobject])
            conn.execute(
                update(sync_state)
                .where(sync_state.c.sobject == state.sobject)
                .values(bookmark=state.bookmark, last_run_id=run_id)
            )

    def _upsert_sql(self, conn: Connection, table: Table, columns: tuple[str, ...], nulls: tuple[str, ...]) -> str:
        # The page write is the pull's hot path: going through SQLAlchemy's per-value bind
        # processing costs ~5x the database's own time, so rows arrive already in stored form
        # and go straight to the driver's executemany. The SQL is the same on both back ends
        # (INSERT ... ON CONFLICT DO UPDATE); only the placeholder and the null-safe comparison differ.
        key = (conn.dialect.name, table.name, columns, nulls)
        if key not in self._sql:
            quote = conn.dialect.identifier_preparer.quote
            mark = driver_mark(conn)
            names = [*columns, SYNCED_AT]
            values = [mark] * len(columns) + [_STAMP]
            updates = [f"{quote(n)} = excluded.{quote(n)}" for n in names if n != "Id"]
            updates += [f"{quote(n)} = NULL" for n in nulls]  # emptied fields of existing records
            # A record that comes back (undeleted, or a merge undone) is live again.
            updates.append(f"{quote(DELETED_AT)} = NULL")
            # A row updated to what it holds is still a change to both databases: it is updated
            # only where a value differs (every field, not the SystemModstamp alone: Salesforce
            # stamps to the second, so two edits in one second share a stamp), so the driver's
            # count says whether the page changed anything. One null-safe comparison of row
            # values, the stored row against the page's (its emptied fields and the deletion
            # flag against NULL): SQLite's "IS NOT", PostgreSQL's "IS DISTINCT FROM". A chain of
            # ORs would pass SQLite's expression depth of 1,000 on an object of many fields.
            sqlite = conn.dialect.name == "sqlite"
            stored = quote(table.name)
            fields = [n for n in columns if n != "Id"]
            held = [f"{stored}.{quote(n)}" for n in (*fields, *nulls, DELETED_AT)]
            paged = [f"excluded.{quote(n)}" for n in fields] + ["NULL"] * (len(nulls) + 1)
            row, differs = ("", "IS NOT") if sqlite else ("ROW", "IS DISTINCT FROM")
            changed = f"{row}({', '.join(held)}) {differs} {row}({', '.join(paged)})"
            # Identifiers are quoted by the dialect; every value is a bound parameter.
            self._sql[key] = (
                f"INSERT INTO {stored} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
                f"VALUES ({', '.join(values)}) "
                f"ON CONFLICT ({quote('Id')}) DO UPDATE SET {', '.join(updates)} WHERE {changed}"
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
        kids = [(child, self.table(child), field) for child, field in children if self._mirrored(child)]
        flagged = 0
        written: set[str] = set()
        ids = list(ids)
        with guard(f"record {sobject} deletions"), self.engine.begin() as conn:
            for start in range(0, len(ids), _ID_CHUNK):
                chunk = ids[start : start + _ID_CHUNK]
                done = conn.execute(
                    update(table).where(table.c.Id.in_(chunk), table.c[DELETED_AT].is_(None)).values({DELETED_AT: at})
                )
                flagged += done.rowcount
                if done.rowcount:
                    written.add(sobject)
                for child, kid, field in kids:
                    gone = conn.execute(
                        update(kid).where(kid.c[field].in_(chunk), kid.c[DELETED_AT].is_(None)).values({DELETED_AT: at})
                    )
                    if gone.rowcount:
                        written.add(child)
            # Every pull asks the delete log, which mostly lists nothing new (or deletions already
            # flagged): only a table whose rows changed is a write (what was kept of it still holds).
            if written:
                self.count_mirror_write(conn, written)
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
        with guard(f"record {sobject} deletions"), self.engine.begin() as conn:
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
            if flagged or revived:
                self.count_mirror_write(conn, [sobject])
        return flagged, revived

    def _mirrored(self, sobject: str) -> bool:
        return sobject in self._tables or self.state(sobject) is not None

    def live_ids(self, sobject: str, *, created_until: datetime | None = None) -> set[str]:
        """Return the Ids of the records the store believes exist (optionally created up to a moment)."""
        table = self.table(sobject)
        query = select(table.c.Id).where(table.c[DELETED_AT].is_(None))
        if created_until is not None and "CreatedDate" in table.c:
            query = query.where(table.c.CreatedDate <= created_until)
        with guard(f"read {sobject} Ids"), self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def count(self, sobject: str, *, created_until: datetime | None = None) -> int:
        """Count live records, optionally only those created up to (and at) a moment."""
        table = self.table(sobject)
        query = select(func.count()).select_from(table).where(table.c[DELETED_AT].is_(None))
        if created_until is not None and "CreatedDate" in table.c:
            query = query.where(table.c.CreatedDate <= created_until)
        with guard(f"count {sobject}"), self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def rows(self, sobject: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Stream stored records of an object, ordered by Id."""
        table = self.table(sobject)
        query = select(table).order_by(table.c.Id)
        if not include_deleted:
            query = query.where(table.c[DELETED_AT].is_(None))
        with guard(f"read {sobject}"), self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(query):
                yield dict(row._mapping)  # noqa: SLF001 (SQLAlchemy's public row-to-mapping)
