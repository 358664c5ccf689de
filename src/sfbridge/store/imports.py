"""Writing an import (``sfbridge import``): every table, row, state and the run in one transaction.

A pull commits page by page and resumes; an import has nothing to resume from (the files are
the whole of it), so it is one transaction: a failure anywhere leaves the store as it was.
On SQLite the transaction is ``BEGIN IMMEDIATE`` on a connection whose driver leaves
transactions to us (Python's sqlite3 would otherwise commit before each CREATE TABLE), so the
tables are created inside it too; PostgreSQL's DDL is transactional as it is.

The import binds the store to the org as a pull does. It refuses a store a pull has filled
(the export would put older records over newer ones), and replaces what an earlier import
wrote (the objects whose sync state carries the import's cursor).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, Text, delete, select
from sqlalchemy.exc import IntegrityError

from sfbridge.describes import DescribedField
from sfbridge.errors import ImportFileError, StoreError, UsageError
from sfbridge.models import ColumnKind, SyncState
from sfbridge.schema import IMPORT_CURSOR
from sfbridge.store.base import guard
from sfbridge.store.driver import driver_mark
from sfbridge.store.sync_state import SyncStates
from sfbridge.store.tables import SYNCED_AT, describes, meta, mirror_table, runs, sync_state

__all__ = ["Imports"]


class _Writer:
    """The import's writes on its one connection."""

    def __init__(self, store: SyncStates, conn: Connection, written_at: datetime) -> None:
        self.store, self.conn = store, conn
        self.stamp = written_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        self.tables: dict[str, Table] = {}

    def create_table(self, sobject: str, columns: Mapping[str, ColumnKind]) -> None:
        table = mirror_table(sobject, columns)
        with guard(f"create the {sobject} mirror"):
            table.drop(self.conn, checkfirst=True)
            table.create(self.conn)
        self.tables[sobject] = table

    def insert(self, sobject: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        table = self.tables[sobject]
        quote = self.conn.dialect.identifier_preparer.quote
        mark = driver_mark(self.conn)
        # Text arrives as read, an empty value NULL (Salesforce keeps no empty text): NULLIF does
        # that in the database, at no cost per value in Python (a tenth of an import's time).
        values = [f"NULLIF({mark}, '')" if isinstance(table.c[name].type, Text) else mark for name in columns]
        names = ", ".join(quote(name) for name in (*columns, SYNCED_AT))
        # Identifiers quoted by the dialect, values bound; the write time is strftime output (digits
        # and separators), a literal so the rows go to the driver as they are.
        sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join(values)}, '{self.stamp}')"  # noqa: S608
        try:
            with guard(f"write {sobject} records"):
                self.conn.exec_driver_sql(sql, rows)
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            # The only constraint a mirror table has is its Id: one record is in the file twice.
            problem = "two records have the same Id"
            fix = "export the object again (an export lists each record once)"
            raise ImportFileError(problem, file=f"the {sobject} file", fix=fix) from exc

    def finish_object(self, state: SyncState, fields: Sequence[DescribedField], *, described_at: datetime) -> None:
        plain = [field.model_dump(mode="json", exclude_defaults=True) for field in fields]
        with guard(f"keep the {state.sobject} sync state"):
            self.store._put_state(self.conn, state, run_id=None)  # noqa: SLF001 (the store's own part)
            self.conn.execute(describes.delete().where(describes.c.sobject == state.sobject))
            self.conn.execute(describes.insert().values(sobject=state.sobject, fields=plain, described_at=described_at))

    def record_run(self, *, org: str, started_at: datetime, finished_at: datetime, counts: dict[str, Any]) -> int:
        values = {"command": "import", "org": org, "started_at": started_at, "finished_at": finished_at}
        with guard("record the run"):
            key = self.conn.execute(runs.insert().values(**values, outcome="ok", counts=counts)).inserted_primary_key
        if key is None:
            msg = "cannot record the run: the database returned no run id"
            raise StoreError(msg)
        return int(key[0])


class Imports(SyncStates):
    """The store's side of ``sfbridge import``."""

    _tables: dict[str, Table]  # the mirror tables as read so far (see MirrorTables), stale after an import

    @contextmanager
    def import_transaction(self, *, org_id: str) -> Iterator[_Writer]:
        """Open the import's one transaction, bound to the org; commit when the block ends, roll back on any error.

        Raises:
            StoreError: the store mirrors another org.
            UsageError: a pull has filled the store.
        """
        sqlite = self.engine.dialect.name == "sqlite"
        # SQLite: the driver in autocommit mode, so that our BEGIN IMMEDIATE holds the DDL too.
        conn = (
            self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") if sqlite else self.engine.connect()
        )
        try:
            if sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.begin()
            self._bind_for_import(conn, org_id)
            self._forget_earlier_import(conn)
            yield _Writer(self, conn, datetime.now(UTC))
            # Every object the import holds was written (the earlier import's are dropped first).
            self.count_mirror_write(conn, conn.execute(select(sync_state.c.sobject)).scalars().all())
            conn.exec_driver_sql("COMMIT") if sqlite else conn.commit()
        except BaseException:
            conn.exec_driver_sql("ROLLBACK") if sqlite else conn.rollback()
            raise
        finally:
            conn.close()
            self._tables.clear()  # the mirror tables' columns changed: read them again from sync state

    def _bind_for_import(self, conn: Connection, org_id: str) -> None:
        with guard("read the store's org"):
            stored = conn.execute(select(meta.c.value).where(meta.c.key == "org_id")).scalar()
            pulled = conn.execute(select(sync_state.c.sobject).where(sync_state.c.cursor != IMPORT_CURSOR)).first()
            if stored is None:
                conn.execute(meta.insert(), [{"key": "org_id", "value": org_id}, {"key": "instance_url", "value": ""}])
        if stored is not None and stored != org_id:
            msg = (
                f"the store {self.url} mirrors org {stored}, not {org_id}; mixing two orgs "
                "in one store would corrupt both: give this org its own store"
            )
            raise StoreError(msg)
        if pulled is not None:
            msg = (
                f"the store {self.url} is a mirror a pull keeps: importing an export into it would put older "
                "records over newer ones; import into a new store (--store PATH)"
            )
            raise UsageError(msg)

    def _forget_earlier_import(self, conn: Connection) -> None:
        with guard("replace the earlier import"):
            earlier = conn.execute(select(sync_state.c.sobject, sync_state.c.columns)).all()
            for sobject, columns in earlier:
                mirror_table(sobject, {name: ColumnKind(kind) for name, kind in columns.items()}).drop(
                    conn, checkfirst=True
                )
            conn.execute(delete(sync_state))
            conn.execute(delete(describes))
