"""Bring an existing store's bookkeeping tables up to this sfbridge's columns.

A newer sfbridge may add a column to its own tables (the runs' owner, say). Stores made by an
older one gain it when they are opened, on SQLite and PostgreSQL alike, without a schema
version bump: such columns are nullable (or have a server default), so old rows stay valid.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Inspector, Table, inspect, text
from sqlalchemy.schema import CreateColumn

__all__ = ["add_missing_columns", "widen"]


def add_missing_columns(conn: Connection, tables: Iterable[Table]) -> list[str]:
    """Add to each existing table the columns its definition has and the database lacks.

    Args:
        conn: a connection inside a transaction.
        tables: the table definitions (tables not in the database yet are skipped).

    Returns:
        The columns added, as ``table.column``.
    """
    inspector = inspect(conn)
    return [
        f"{table.name}.{name}"
        for table in tables
        if inspector.has_table(table.name)
        for name in widen(conn, table, inspector=inspector)
    ]


def widen(conn: Connection, table: Table, *, inspector: Inspector | None = None) -> list[str]:
    """Add to an existing table the columns its definition has and the database lacks; return their names.

    Mirror tables grow this way when an admin adds a field; bookkeeping tables when sfbridge does.
    """
    inspector = inspector or inspect(conn)
    present = {column["name"] for column in inspector.get_columns(table.name)}
    quoted = conn.dialect.identifier_preparer.quote(table.name)
    added = []
    for column in table.columns:
        if column.name not in present:
            ddl = CreateColumn(column).compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {quoted} ADD COLUMN {ddl}"))
            added.append(column.name)
    return added
