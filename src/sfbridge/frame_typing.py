"""Frames as read from a mirror table, typed as the checks expect and compacted.

Shared by the store's in-process reads and its SQLite reader processes
(:mod:`sfbridge.sqlite_reader`), so both hand back the same frame. Kept out of the
``sfbridge.store`` package on purpose: a reader process imports only this, polars and the
driver, not the store (SQLAlchemy and every store module: 0.5 CPU-s more per reader at start).

Text columns that repeat a few values (Status, LeadSource, Country, OwnerId, first names: a
few thousand distinct values over a million rows) are held as polars Categoricals: four bytes
a row instead of a 16-byte string view plus the text, which at a million records is about
450 MB of the snapshot (:func:`compacted`). Which columns is decided from the data, per load,
so it never depends on an org's field names. :meth:`~sfbridge.snapshot.Snapshot.frame` hands
checks the type they ask for (text), so no check sees the difference.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from sfbridge.models import ColumnKind
from sfbridge.snapshot import POLARS_TYPES

__all__ = ["Compaction", "compacted", "empty_frame", "finished", "typed"]

_CANONICAL = "%Y-%m-%d %H:%M:%S%.f"

#: When a text column is held as a Categorical: (largest share of distinct values, fewest rows).
Compaction = tuple[float, int]


def typed(frame: pl.DataFrame, kinds: Mapping[str, ColumnKind]) -> pl.DataFrame:
    """The frame's columns cast to the types their kinds are held as (datetimes in UTC)."""
    casts = []
    for name, kind in kinds.items():
        column, dtype = pl.col(name), frame.schema[name]
        if kind is ColumnKind.DATETIME and dtype == pl.Utf8:
            # No cache: a datetime column is nearly all distinct values (1.4M of 1.5M Task
            # CreatedDates), where polars' cache of parsed values costs more than it saves.
            parsed = column.str.to_datetime(_CANONICAL, time_zone="UTC", time_unit="us", cache=False)
            casts.append(parsed.alias(name))
        elif kind is ColumnKind.DATETIME and isinstance(dtype, pl.Datetime):
            # Stored naive UTC (see tables.UtcDateTime); a driver may also label it UTC.
            naive = column.dt.replace_time_zone(None) if dtype.time_zone else column
            casts.append(naive.dt.replace_time_zone("UTC").dt.cast_time_unit("us").alias(name))
        elif kind is ColumnKind.DATE and dtype == pl.Utf8:
            casts.append(column.str.to_date("%Y-%m-%d").alias(name))
        else:
            casts.append(column.cast(POLARS_TYPES[kind]).alias(name))
    return frame.with_columns(casts)


def compacted(frame: pl.DataFrame, kinds: Mapping[str, ColumnKind], compaction: Compaction) -> pl.DataFrame:
    """The frame with its low-cardinality text columns as Categoricals (see the module docstring)."""
    share, from_rows = compaction
    if frame.height < from_rows:
        return frame
    most = int(frame.height * share)
    text = [name for name, kind in kinds.items() if kind is ColumnKind.TEXT and frame.schema[name] == pl.Utf8]
    # Most text columns of a large frame are nearly all distinct (Ids, Emails, Phones): more
    # than `most` distinct values among the first 2 x `most` rows already rules one out, for a
    # tenth of the hashing (Lead at 600k rows: 0.55 CPU-s of counts down to 0.18). The rest are
    # counted exactly, so the choice is the one a full count makes.
    probe = 2 * most + 1
    if text and frame.height > probe:
        seen = frame.head(probe).select(pl.col(text).n_unique()).row(0, named=True)
        text = [name for name in text if seen[name] <= most]
    if not text:
        return frame
    # An exact count (a hash of each value): the cast hashes them again, only for the few columns that repeat.
    distinct = frame.select(pl.col(text).n_unique()).row(0, named=True)
    repeating = [name for name in text if distinct[name] <= most]
    return frame.with_columns(pl.col(repeating).cast(pl.Categorical)) if repeating else frame


def empty_frame(kinds: Mapping[str, ColumnKind]) -> pl.DataFrame:
    """No rows, with the columns and types of ``kinds``."""
    return pl.DataFrame(schema={name: POLARS_TYPES[kind] for name, kind in kinds.items()})


def finished(frame: pl.DataFrame, kinds: Mapping[str, ColumnKind], compaction: Compaction) -> pl.DataFrame:
    """A frame as read, typed as the checks expect and compacted; the columns and types of ``kinds`` when empty."""
    return compacted(typed(frame, kinds), kinds, compaction) if frame.height else empty_frame(kinds)
