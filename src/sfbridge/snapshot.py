"""The org as checks see it: one typed, columnar frame per object, taken at one moment.

The store builds a :class:`Snapshot` from its mirror (``Store.load_snapshot``); tests build
one from plain records with :func:`snapshot_from_records`. Checks read frames through
:meth:`Snapshot.frame`, which always yields the columns asked for (all null when the org or
the store lacks a field), so a check never breaks on an org without ``Lead_Score__c``.
Column names are Salesforce API names; datetimes are UTC, dates are dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
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
    frames: MutableMapping[str, pl.DataFrame] = field(default_factory=dict)
    #: Per object, how many live records fill each stored field (all fields, not just the
    #: loaded columns): counted by the store, for the org profile's fill rates.
    fill_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: Per object, the columns dropped by :meth:`release` (asking for them again is a bug).
    released: MutableMapping[str, set[str]] = field(default_factory=dict)

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
        gone = self.released.get(sobject, set()) & set(columns if columns is not None else ())
        if gone or (columns is None and sobject in self.released):
            # A check that reads what it did not declare in its needs: fail loudly, never
            # hand it nulls that look like an org's empty fields.
            msg = f"{sobject} {', '.join(sorted(gone)) or 'columns'} released from the snapshot before this read"
            raise RuntimeError(msg)
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

    def release(self, keep: Mapping[str, Iterable[str]]) -> None:
        """Drop the frames and columns not in ``keep``, so their memory can be reused.

        The audit calls this between checks: the objects and fields only the finished checks
        read (Task, LeadHistory, a Lead's conversion fields) are a third of a large org's
        frames, and the duplicate search that runs last needs that memory. The snapshot's
        records do not change; it only holds fewer of their fields.

        Args:
            keep: per object, the columns later readers need (``Id`` is always kept); an
                object not named keeps no rows.
        """
        for sobject, frame in list(self.frames.items()):
            if sobject not in keep:
                self.released.setdefault(sobject, set()).update(frame.columns)
                self.frames[sobject] = frame.clear()  # still pulled (see has()), holding nothing
                continue
            wanted = set(keep[sobject]) | {"Id"}
            dropped = [name for name in frame.columns if name not in wanted]
            if dropped:
                self.released.setdefault(sobject, set()).update(dropped)
                self.frames[sobject] = frame.drop(dropped)


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
