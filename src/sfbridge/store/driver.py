"""Statements on the database driver's own cursor: rows as plain tuples, values bound as they are.

For columns that need none of SQLAlchemy's per-row processing, and writes whose values are
already in stored form: that processing costs several times the database's own work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.exc import DBAPIError

__all__ = ["driver_cursor", "driver_fetch", "driver_mark", "driver_rows"]

_BATCH = 5000  # rows a fetch from the driver


@contextmanager
def driver_cursor(conn: Connection, statement: str) -> Iterator[Any]:
    """The driver's own cursor for one statement, closed however the block ends, its errors as SQLAlchemy words them.

    A database error inside the block becomes SQLAlchemy's ``DBAPIError`` for ``statement``,
    so the store's :class:`~sfbridge.store.base.guard` words it as it does SQLAlchemy's own
    calls. Closed here, not left to SQLAlchemy: a cursor stopped mid-insert (Ctrl-C) and left
    open kept SQLite's write lock until the collector freed it.
    """
    cursor = None
    try:
        cursor = conn.connection.cursor()
        yield cursor
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, conn.dialect.loaded_dbapi.Error) from exc
    finally:
        if cursor is not None:
            cursor.close()


def driver_rows(conn: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """A query's rows, compiled by SQLAlchemy and run on the driver's own cursor, as plain tuples.

    For columns that need none of SQLAlchemy's per-row processing (text, numbers, JSON read as
    text): that processing was half the time of reading a large run's findings or their keys.
    Fetched a batch at a time, so a run's JSON text is never all held at once.
    """
    compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
    order, values = compiled.positiontup, compiled.params  # by position (SQLite) or by name (psycopg)
    arguments = values if order is None else tuple(values[name] for name in order)
    statement = str(compiled)
    with driver_cursor(conn, statement) as cursor:
        cursor.execute(statement, arguments)
        while batch := cursor.fetchmany(_BATCH):
            yield from map(tuple, batch)


def driver_fetch(conn: Connection, statement: str, arguments: Sequence[Any] = ()) -> list[Sequence[Any]]:
    """All rows of a statement (placeholders: :func:`driver_mark`) run on the driver's own cursor, as it gives them."""
    with driver_cursor(conn, statement) as cursor:
        if arguments:
            cursor.execute(statement, tuple(arguments))
        else:  # none passed: psycopg reads a % in a statement given arguments as a placeholder
            cursor.execute(statement)
        return list(cursor.fetchall())


def driver_mark(conn: Connection) -> str:
    """The driver's placeholder for one bound value: ``?`` for sqlite3 (qmark), ``%s`` for psycopg (pyformat)."""
    style = conn.dialect.loaded_dbapi.paramstyle
    if style == "qmark":
        return "?"
    if style in {"format", "pyformat"}:
        return "%s"
    msg = f"the store's database driver binds values as {style!r}, which sfbridge does not write"
    raise NotImplementedError(msg)
