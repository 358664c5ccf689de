"""What every part of the Store stands on: its engine, its display URL, and the error guard.

The Store is one facade class built from mixins of one job each (sync state, mirror tables,
snapshots, runs and findings, the apply journal); this is what they share.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import SQLAlchemyError

from sfbridge.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


class StoreBase:
    """The state the Store's parts share (set by :class:`sfbridge.store.Store`)."""

    engine: Engine
    url: str


def upsert(conn: Connection, table: Table, values: Mapping[str, Any]) -> postgresql.Insert | sqlite.Insert:
    """An insert of ``values`` into ``table`` in the connection's dialect: its ``on_conflict_do_update`` upserts.

    SQLite and PostgreSQL both have ``INSERT ... ON CONFLICT``; SQLAlchemy builds it per dialect.
    """
    from sqlalchemy.dialects import postgresql, sqlite  # noqa: PLC0415 (the stores' two dialects, for a write)

    insert = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
    return insert(table).values(**values)


def quoted(conn: Connection, name: str) -> str:
    """An identifier quoted the way the connection's database wants it."""
    return conn.dialect.identifier_preparer.quote(name)


class guard(AbstractContextManager[None]):  # noqa: N801 (used like a function)
    """Turn database errors into StoreError naming what was being done."""

    def __init__(self, what: str) -> None:
        """Guard a block that does ``what`` (words after "cannot" in the error)."""
        self.what = what

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        """Re-raise a database error as StoreError; let every other exception pass."""
        if isinstance(exc, SQLAlchemyError):
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            msg = f"cannot {self.what}: {exc.__class__.__name__}: {detail}"
            raise StoreError(msg) from exc
