"""Turn Bulk API 2.0 CSV results into the same typed rows a REST query page gives.

CSV carries only text: describe says what each column is. Values end in the forms the REST
path stores (:mod:`sfbridge.pull.records`): booleans, ints and floats as such, dates as
``YYYY-MM-DD``, datetimes as canonical UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, so the mirror
holds the same rows whichever API read them. Bulk writes null as an empty cell and cannot tell
it from an empty string, so every empty cell becomes None (jsforce#640 ran into the same).
Compound fields (address, location) cannot be queried through Bulk at all and are left out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any

from sfbridge import soql
from sfbridge.errors import ProtocolError
from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
from sfbridge.salesforce.bulk_pages import ResultPage

__all__ = ["COMPOUND_TYPES", "CsvRowConverter", "bulk_fields", "bulk_soql", "canonical_bulk_datetime"]

#: Describe types Bulk API 2.0 refuses to select ("compound data"); their parts are fields of their own.
COMPOUND_TYPES = frozenset({"address", "location"})
_UTC_SUFFIXES = ("Z", "+0000")
_BOOLEANS = {"true": True, "false": False}


def bulk_fields(schema: ObjectSchema) -> tuple[str, ...]:
    """The fields a Bulk query selects for a schema: every field but compound ones.

    Selecting ``Address`` fails the whole job ("Selecting compound data not supported in Bulk
    Query"); ``Street``, ``City``... and ``Latitude``/``Longitude`` are selected instead.
    https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_create_job.htm

    >>> from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
    >>> fields = (FieldInfo(name="Id", sf_type="id", kind=ColumnKind.TEXT),
    ...           FieldInfo(name="Address", sf_type="address", kind=ColumnKind.TEXT),
    ...           FieldInfo(name="City", sf_type="string", kind=ColumnKind.TEXT))
    >>> bulk_fields(ObjectSchema(sobject="Lead", fields=fields, replicateable=True, cursor=None))
    ('Id', 'City')
    """
    return tuple(field.name for field in _bulk_schema_fields(schema))


def bulk_soql(schema: ObjectSchema, *, where: Sequence[str] = ()) -> str:
    """Build a Bulk query job's SOQL for a schema: no ORDER BY.

    Bulk splits big queries by record Id (PK chunking) and returns pages in its own order;
    ORDER BY (and LIMIT) would stop that splitting and make large jobs slow or time out.

    >>> from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
    >>> fields = (FieldInfo(name="Id", sf_type="id", kind=ColumnKind.TEXT),)
    >>> schema = ObjectSchema(sobject="Lead", fields=fields, replicateable=True, cursor=None)
    >>> bulk_soql(schema, where=["IsConverted = false"])
    'SELECT Id FROM Lead WHERE IsConverted = false'
    """
    return soql.select(bulk_fields(schema), schema.sobject, where=where)


def _bulk_schema_fields(schema: ObjectSchema) -> tuple[FieldInfo, ...]:
    return tuple(field for field in schema.fields if field.sf_type not in COMPOUND_TYPES)


def canonical_bulk_datetime(value: str) -> str:
    """Check a Bulk CSV datetime and return it as canonical UTC text (as the REST path stores it).

    >>> canonical_bulk_datetime("2018-12-07T19:58:09.000Z")
    '2018-12-07 19:58:09.000000'
    >>> canonical_bulk_datetime("2018-12-07T21:58:09.5+02:00")
    '2018-12-07 19:58:09.500000'
    """
    parsed = datetime.fromisoformat(value)  # validates (3.11 reads Z and +0000)
    if value.endswith(_UTC_SUFFIXES) and len(value) in {24, 28}:
        # The API's own forms, UTC with milliseconds: slicing is cheaper than formatting.
        return f"{value[:10]} {value[11:23]}000"
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%d %H:%M:%S.%f")


def _boolean(value: str) -> bool:
    return _BOOLEANS[value.lower()]


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        number = float(value)  # "5.0": a formula-backed integer, as REST sometimes writes it
        if not number.is_integer():
            raise
        return int(number)


def _date(value: str) -> str:
    return date.fromisoformat(value).isoformat()


_CONVERTERS: dict[ColumnKind, Callable[[str], Any]] = {
    ColumnKind.BOOLEAN: _boolean,
    ColumnKind.INTEGER: _integer,
    ColumnKind.NUMBER: float,
    ColumnKind.DATE: _date,
    ColumnKind.DATETIME: canonical_bulk_datetime,
}


class CsvRowConverter:
    """Converts one object's Bulk CSV pages into store rows, a batch at a time."""

    def __init__(self, schema: ObjectSchema) -> None:
        """Pick a converter per column once.

        Args:
            schema: the pulled fields and their kinds (Id first); compound fields are skipped.
        """
        self.sobject = schema.sobject
        fields = _bulk_schema_fields(schema)
        self.columns = tuple(field.name for field in fields)
        self._kinds = [field.kind for field in fields]
        # Text (and anyType, which CSV writes as text too) needs only "" → None.
        self._convert = [_CONVERTERS.get(field.kind) for field in fields]
        self.cursor_index = self.columns.index(schema.cursor) if schema.cursor in self.columns else None
        self._what = f"bulk query {self.sobject}"

    def page_batches(self, page: ResultPage, *, batch_size: int = 2000) -> Iterator[list[tuple[Any, ...]]]:
        """Convert a results page, checking it holds the records its header announced.

        Args:
            page: the downloaded page.
            batch_size: rows per batch.

        Yields:
            Lists of rows (tuples in :attr:`columns` order).

        Raises:
            ProtocolError: as :meth:`batches`.
        """
        yield from self.batches(page.open(), batch_size=batch_size, expected=page.number_of_records)

    def batches(
        self, body: IO[bytes] | bytes, *, batch_size: int = 2000, expected: int | None = None
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Parse CSV (header row first) into rows, reading the body incrementally.

        Columns are found by the header's names, not assumed in SELECT order (API 49.0 and
        earlier wrote them alphabetically). Quoted cells may hold commas, quotes and newlines.
        Within a batch the last copy of a repeated Id wins, as on REST pages.

        Args:
            body: the CSV bytes, or a binary file holding them.
            batch_size: rows per batch.
            expected: the number of records the page should hold (``Sforce-NumberOfRecords``).

        Yields:
            Lists of rows (tuples in :attr:`columns` order).

        Raises:
            ProtocolError: for CSV that does not parse or is cut short, a missing column, a value
                that does not fit its described type (naming the record and field), or a page
                holding a different number of records than announced.
        """
        stream = io.BytesIO(body) if isinstance(body, bytes) else body
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        seen = 0
        try:
            reader = csv.reader(text, strict=True)
            header = next(reader, None)
            if header is not None:
                positions = self._positions(header)
                batch: list[list[str]] = []
                for record in reader:
                    if len(record) != len(header):
                        msg = f"{self._what}: a CSV row has {len(record)} cells for {len(header)} columns"
                        raise ProtocolError(msg)
                    batch.append([record[i] for i in positions])
                    if len(batch) == batch_size:
                        seen += len(batch)
                        yield self._convert_batch(batch)
                        batch = []
                if batch:
                    seen += len(batch)
                    yield self._convert_batch(batch)
        except (csv.Error, UnicodeDecodeError) as exc:
            msg = f"{self._what}: the results are not readable CSV ({exc.__class__.__name__}); cut short?"
            raise ProtocolError(msg) from exc
        finally:
            text.detach()  # the caller owns the body; closing the wrapper would close it
        if expected is not None and seen != expected:
            msg = f"{self._what}: the page announced {expected} records and held {seen}"
            raise ProtocolError(msg)

    def _positions(self, header: list[str]) -> list[int]:
        # SOQL names are case-insensitive; the header repeats them as the query spelled them.
        index = {name.casefold(): i for i, name in enumerate(header)}
        missing = [name for name in self.columns if name.casefold() not in index]
        if missing:
            msg = f"{self._what}: the results have no column for {', '.join(missing)}"
            raise ProtocolError(msg)
        return [index[name.casefold()] for name in self.columns]

    def _convert_batch(self, batch: list[list[str]]) -> list[tuple[Any, ...]]:
        # Column by column: a few list comprehensions per batch instead of a call per value.
        columns: list[list[Any]] = [list(column) for column in zip(*batch, strict=True)]
        for index, convert in enumerate(self._convert):
            values = columns[index]
            try:
                if convert is None:
                    columns[index] = [value or None for value in values]
                else:
                    columns[index] = [convert(value) if value else None for value in values]
            except (KeyError, ValueError) as exc:
                raise self._bad_value(batch, index, convert) from exc
        if any(record_id is None for record_id in columns[0]):
            msg = f"{self._what}: a record without an Id (select Id in every query)"
            raise ProtocolError(msg)
        rows = list(zip(*columns, strict=True))
        if len({row[0] for row in rows}) < len(rows):  # a repeated Id: the last copy wins
            rows = list({row[0]: row for row in rows}.values())
        return rows

    def _bad_value(self, batch: list[list[str]], index: int, convert: Callable[[str], Any] | None) -> ProtocolError:
        name, kind = self.columns[index], self._kinds[index]
        for record in batch:
            try:
                if record[index] and convert is not None:
                    convert(record[index])
            except (KeyError, ValueError):
                msg = f"{self._what}: record {record[0]} has a {name} value that is not a valid {kind.value}"
                return ProtocolError(msg)
        return ProtocolError(f"{self._what}: a {name} value could not be read")  # pragma: no cover
