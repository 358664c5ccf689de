"""The org as checks see it: one typed, columnar frame per object, taken at one moment.

The store builds a :class:`Snapshot` from its mirror (``Store.load_snapshot``); tests build
one from plain records with :func:`snapshot_from_records`. Checks read frames through
:meth:`Snapshot.frame`, which always yields the columns asked for (all null when the org or
the store lacks a field), so a check never breaks on an org without ``Lead_Score__c``.
Column names are Salesforce API names; datetimes are UTC, dates are dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl

from sfbridge.models import ColumnKind

__all__ = ["POLARS_TYPES", "Snapshot", "snapshot_from_records"]

#: How each stored kind is held in a frame.
POLARS_TYPES: dict[ColumnKind, pl.DataType] = {
    ColumnKind.TEXT: pl.Utf8(),
    ColumnKind.BOOLEAN: pl.Boolean(),
    ColumnKind.INTEGER: pl.Int64(),
    ColumnKind.NUMBER: pl.Float64(),
    ColumnKind.DATE: pl.Date(),
    ColumnKind.DATETIME: pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class Snapshot:
    """An org's records at one moment, one frame per object (live records only)."""

    org_id: str
    instance_url: str
    taken_at: datetime
    frames: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    #: Per object, how many live records fill each stored field (all fields, not just the
    #: loaded columns): counted by the store, for the org profile's fill rates.
    fill_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def has(self, sobject: str) -> bool:
        """Tell whether the object was pulled at all (LeadHistory may be missing)."""
        return sobject in self.frames

    def frame(self, sobject: str, columns: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
        """Return an object's frame, with every requested column present and typed.

        Args:
            sobject: the object, e.g. ``Lead``.
            columns: the columns the caller needs and their types; absent ones are added as
                nulls. None returns the frame as stored.

        Returns:
            The frame (empty, with the requested columns, when the object was not pulled).
        """
        frame = self.frames.get(sobject)
        if frame is None:
            frame = pl.DataFrame()
        if columns is None:
            return frame
        present = set(frame.columns)
        if not present:
            return pl.DataFrame(schema=dict(columns))
        additions = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in columns.items() if name not in present]
        if additions:
            frame = frame.with_columns(additions)
        return frame.select([pl.col(name).cast(dtype) for name, dtype in columns.items()])


def _typed(value: Any, kind: ColumnKind) -> Any:  # noqa: ANN401 (a wire value)
    if value is None:
        return None
    if kind is ColumnKind.DATETIME and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind is ColumnKind.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def snapshot_from_records(
    records: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    kinds: Mapping[str, Mapping[str, ColumnKind]],
    org_id: str = "00D000000000001AAA",
    instance_url: str = "https://example.my.salesforce.com",
    taken_at: datetime,
) -> Snapshot:
    """Build a snapshot from REST-shaped records (tests, factories, small tools).

    Args:
        records: per object, records as dicts (REST datetime/date text or Python values).
        kinds: per object, the kind of each column (fields missing from a record are null).
        org_id: the org.
        instance_url: its instance.
        taken_at: the moment the snapshot stands for.

    Returns:
        The snapshot.
    """
    frames = {}
    for sobject, given in records.items():
        rows, columns = list(given), kinds[sobject]
        data = {name: [_typed(row.get(name), kind) for row in rows] for name, kind in columns.items()}
        schema = {name: POLARS_TYPES[kind] for name, kind in columns.items()}
        frames[sobject] = pl.DataFrame(data, schema=schema)
    return Snapshot(org_id=org_id, instance_url=instance_url, taken_at=taken_at, frames=frames)
