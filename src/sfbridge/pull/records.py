"""Turn REST query records into store rows: strip the envelope, check and normalise each value.

This is the one place the ``attributes`` envelope is removed and wire values become stored
values. It runs once per field per record (the pull's hot loop), so converters are chosen
once per schema and rows are plain tuples in schema order. Values keep a canonical text form
both SQLite and PostgreSQL accept: datetimes as UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (sortable,
exact), dates as ``YYYY-MM-DD``; a value that does not fit its described type is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sfbridge.errors import ProtocolError
from sfbridge.models import ColumnKind, ObjectSchema
from sfbridge.wire import canonical_datetime, parse_canonical

__all__ = ["CONVERTERS", "Page", "RowConverter", "canonical_datetime", "parse_canonical"]

Converter = Callable[[Any], Any]


def _text(value: Any) -> str:  # noqa: ANN401 (any JSON value)
    # anyType fields (LeadHistory.OldValue/NewValue) carry strings, numbers or booleans.
    return value if isinstance(value, str) else json.dumps(value)


def _boolean(value: Any) -> bool:  # noqa: ANN401
    if isinstance(value, bool):
        return value
    raise TypeError(value)


def _integer(value: Any) -> int:  # noqa: ANN401
    # describe says int, but JSON may write 5.0 for formula-backed integers.
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise TypeError(value)
    return int(value)


def _number(value: Any) -> float:  # noqa: ANN401
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    return float(value)


def _date(value: Any) -> str:  # noqa: ANN401
    return date.fromisoformat(value).isoformat()


#: Check and normalise one non-null wire value of each kind (raise TypeError/ValueError if wrong).
CONVERTERS: dict[ColumnKind, Converter] = {
    ColumnKind.TEXT: _text,
    ColumnKind.BOOLEAN: _boolean,
    ColumnKind.INTEGER: _integer,
    ColumnKind.NUMBER: _number,
    ColumnKind.DATE: _date,
    ColumnKind.DATETIME: canonical_datetime,
}


class Page:
    """The rows of one page, in schema column order, with what the pull needs to know."""

    def __init__(
        self,
        columns: tuple[str, ...],
        rows: list[tuple[Any, ...]],
        cursor_index: int | None,
        *,
        null_columns: tuple[str, ...] = (),
    ) -> None:
        """Hold converted rows (Id is always column 0).

        ``null_columns`` are pulled fields that are null on every row of the page and so are
        left out of ``columns`` and the rows (the store writes them as NULL).
        """
        self.columns = columns
        self.rows = rows
        self.cursor_index = cursor_index
        self.null_columns = null_columns

    def __len__(self) -> int:
        """Number of rows."""
        return len(self.rows)

    def ids(self) -> list[str]:
        """The record Ids of the page."""
        return [row[0] for row in self.rows]

    def latest(self) -> datetime | None:
        """The highest cursor value on the page (canonical text sorts like time)."""
        if self.cursor_index is None:
            return None
        index = self.cursor_index
        values = [row[index] for row in self.rows if row[index] is not None]
        return parse_canonical(max(values)) if values else None


class RowConverter:
    """Converts the records of one object's query pages into store rows."""

    def __init__(self, schema: ObjectSchema) -> None:
        """Pick a converter per field once.

        Args:
            schema: the pulled fields and their kinds (Id first).
        """
        self.sobject = schema.sobject
        self.columns = schema.field_names
        self._fields = [(field.name, field.kind, CONVERTERS[field.kind]) for field in schema.fields]
        # Plain string fields arrive as JSON strings and are stored as they are; only the
        # other kinds (and anyType, which may hold numbers) need a look at each value.
        self._checked = [
            (index, convert)
            for index, (_name, kind, convert) in enumerate(self._fields)
            if kind is not ColumnKind.TEXT or schema.fields[index].sf_type == "anyType"
        ]
        self.cursor_index = self.columns.index(schema.cursor) if schema.cursor else None
        # Salesforce writes each record as `attributes` then the selected fields, in SELECT
        # order; when a record has exactly that shape its values are already the row.
        self._expected_keys = ("attributes", *self.columns)

    def page(self, records: Iterable[Mapping[str, Any]]) -> Page:
        """Convert the records of one page; the last copy of a repeated Id wins.

        Args:
            records: the ``records`` of a query response.

        Returns:
            The page's rows, every pulled field present (None for null).

        Raises:
            ProtocolError: naming the record and field whose value does not fit its type.
        """
        by_id: dict[str, tuple[Any, ...]] = {}
        for record in records:
            row = self._row(record)
            by_id[row[0]] = row
        return Page(self.columns, list(by_id.values()), self.cursor_index)

    def _row(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        if not isinstance(record, Mapping) or not isinstance(record.get("Id"), str):
            msg = f"query {self.sobject}: a record without an Id (select Id in every query)"
            raise ProtocolError(msg)
        values = list(record.values())
        if tuple(record) == self._expected_keys:
            del values[0]  # the envelope
        else:  # another shape (joined column groups, an odd answer): look every field up
            get = record.get
            values = [get(name) for name in self.columns]
        try:
            for index, convert in self._checked:
                value = values[index]
                if value is not None:
                    values[index] = convert(value)
        except (TypeError, ValueError) as exc:
            raise self._bad_value(record) from exc
        return tuple(values)

    def _bad_value(self, record: Mapping[str, Any]) -> ProtocolError:
        for name, kind, convert in self._fields:
            value = record.get(name)
            try:
                None if value is None else convert(value)
            except (TypeError, ValueError):
                msg = f"query {self.sobject}: record {record['Id']} has a {name} value that is not a valid {kind.value}"
                return ProtocolError(msg)
        return ProtocolError(f"query {self.sobject}: record {record['Id']} could not be read")
