"""Reading rows on the database driver's own cursor, for queries whose columns need no conversion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.exc import DBAPIError

__all__ = ["driver_rows"]

_BATCH = 5000  # rows a fetch from the driver


def driver_rows(conn: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """A query's rows, compiled by SQLAlchemy and run on the driver's own cursor, as plain tuples.

    For columns that need none of SQLAlchemy's per-row processing (text, numbers, JSON read as
    text): that processing was half the time of reading a large run's findings or their keys.
    Fetched a batch at a time, so a run's JSON text is never all held at once.
    """
    compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
    order, values = compiled.positiontup, compiled.params  # by position (SQLite) or by name (psycopg)
    arguments = values if order is None else tuple(values[name] for name in order)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), arguments)
        while batch := cursor.fetchmany(_BATCH):
            yield from map(tuple, batch)
    except conn.dialect.loaded_dbapi.Error as exc:  # worded by guard, as SQLAlchemy's own calls are
        raise DBAPIError.instance(str(compiled), None, exc, conn.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
