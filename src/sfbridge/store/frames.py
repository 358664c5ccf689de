"""Read mirror tables into typed columnar frames, in chunks, for the checks.

Rows come straight from the driver (no per-value ORM processing: a million-row org would
spend minutes there) and are typed column by column by polars: SQLite hands back canonical
datetime text and 0/1 booleans, PostgreSQL typed values; both end as the same frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import Connection, Table

from sfbridge.models import ColumnKind
from sfbridge.snapshot import POLARS_TYPES
from sfbridge.store.tables import DELETED_AT

__all__ = ["load_frame"]

_CHUNK = 100_000  # rows per fetch: bounds memory to one chunk of Python objects at a time
_CANONICAL = "%Y-%m-%d %H:%M:%S%.f"


def _typed(frame: pl.DataFrame, kinds: Mapping[str, ColumnKind]) -> pl.DataFrame:
    casts = []
    for name, kind in kinds.items():
        column, dtype = pl.col(name), frame.schema[name]
        if kind is ColumnKind.DATETIME and dtype == pl.Utf8:
            casts.append(column.str.to_datetime(_CANONICAL, time_zone="UTC", time_unit="us").alias(name))
        elif kind is ColumnKind.DATETIME and isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            casts.append(column.dt.replace_time_zone("UTC").dt.cast_time_unit("us").alias(name))
        elif kind is ColumnKind.DATE and dtype == pl.Utf8:
            casts.append(column.str.to_date("%Y-%m-%d").alias(name))
        else:
            casts.append(column.cast(POLARS_TYPES[kind]).alias(name))
    return frame.with_columns(casts)


def load_frame(conn: Connection, table: Table, kinds: Mapping[str, ColumnKind]) -> pl.DataFrame:
    """Load the live rows of a mirror table, only the given columns, as a typed frame.

    Args:
        conn: an open connection.
        table: the mirror table.
        kinds: the columns to read and how each is stored.

    Returns:
        The frame, one row per live record.
    """
    names = list(kinds)
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"SELECT {', '.join(quote(name) for name in names)} FROM {quote(table.name)} "  # noqa: S608 (quoted identifiers)
        f"WHERE {quote(DELETED_AT)} IS NULL"
    )
    cursor = conn.exec_driver_sql(sql)
    chunks = []
    while rows := cursor.fetchmany(_CHUNK):
        # Columns empty in a chunk arrive as polars' Null type; the casts below type them too.
        frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
        chunks.append(_typed(frame, kinds))
    if not chunks:
        return pl.DataFrame(schema={name: POLARS_TYPES[kind] for name, kind in kinds.items()})
    return pl.concat(chunks, how="vertical_relaxed")
