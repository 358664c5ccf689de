"""Turn Bulk API 2.0 CSV results into the same typed rows a REST query page gives.

CSV carries only text: describe says what each column is. Values end in the forms the REST
path stores (:mod:`sfbridge.pull.records`): booleans, ints and floats as such, dates as
``YYYY-MM-DD``, datetimes as canonical UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, so the mirror
holds the same rows whichever API read them. Bulk writes null as an empty cell and cannot tell
it from an empty string, so every empty cell becomes None (jsforce#640 ran into the same).
Compound fields (address, location) cannot be queried through Bulk at all and are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any

import polars as pl

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


_DATETIME_API = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|\+0000)$"  # the API's own UTC forms


class _Unusual(Exception):  # noqa: N818 (a signal, not an error: convert value by value)
    """A column holds values the vectorised conversion does not take."""


def _all(values: pl.Series, condition: pl.Series) -> pl.Series:
    if not bool((values.is_null() | condition).all()):
        raise _Unusual
    return values


def _fast_boolean(values: pl.Series) -> pl.Series:
    lowered = _all(values.str.to_lowercase(), values.str.to_lowercase().is_in(["true", "false"]))
    return lowered == "true"


def _fast_datetime(values: pl.Series) -> pl.Series:
    # The API's own forms, UTC with milliseconds, become canonical text by slicing (as on REST).
    checked = _all(values, values.str.contains(_DATETIME_API))
    return checked.str.slice(0, 10) + " " + checked.str.slice(11, 12) + "000"


#: Whole-column conversions; any value they do not take sends the column value by value.
_FAST: dict[ColumnKind, Callable[[pl.Series], pl.Series]] = {
    ColumnKind.BOOLEAN: _fast_boolean,
    ColumnKind.INTEGER: lambda values: values.cast(pl.Int64, strict=True),
    ColumnKind.NUMBER: lambda values: values.cast(pl.Float64, strict=True),
    ColumnKind.DATE: lambda values: values.str.to_date("%Y-%m-%d", strict=True).dt.to_string("%Y-%m-%d"),
    ColumnKind.DATETIME: _fast_datetime,
}
_DTYPES: dict[ColumnKind, pl.DataType] = {
    ColumnKind.BOOLEAN: pl.Boolean(),
    ColumnKind.INTEGER: pl.Int64(),
    ColumnKind.NUMBER: pl.Float64(),
    ColumnKind.DATE: pl.Utf8(),
    ColumnKind.DATETIME: pl.Utf8(),
}

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
        """Parse one results page (header row first) into rows, a batch at a time.

        The page is parsed by polars' CSV reader and converted column by column (several
        times faster than the csv module and a call per value); a column polars cannot
        convert is converted value by value, which names the record and field at fault.
        Columns are found by the header's names, not assumed in SELECT order (API 49.0 and
        earlier wrote them alphabetically). Quoted cells may hold commas, quotes and newlines.
        Within a batch the last copy of a repeated Id wins, as on REST pages.

        Args:
            body: one page's CSV bytes, or a binary file holding them (a page is at most
                ``maxRecords`` records, so it is read whole).
            batch_size: rows per batch.
            expected: the number of records the page should hold (``Sforce-NumberOfRecords``).

        Yields:
            Lists of rows (tuples in :attr:`columns` order).

        Raises:
            ProtocolError: for CSV that does not parse or is cut short, a missing column, a value
                that does not fit its described type (naming the record and field), or a page
                holding a different number of records than announced.
        """
        data = body if isinstance(body, bytes) else body.read()
        frame = self._frame(data)
        if expected is not None and frame.height != expected:
            msg = f"{self._what}: the page announced {expected} records and held {frame.height}"
            raise ProtocolError(msg)
        for index, convert in enumerate(self._convert):
            frame = self._converted(frame, index, convert)
        if frame.height and frame.get_column(self.columns[0]).null_count():
            msg = f"{self._what}: a record without an Id (select Id in every query)"
            raise ProtocolError(msg)
        for part in frame.iter_slices(batch_size):
            rows = part.rows()
            if len({row[0] for row in rows}) < len(rows):  # a repeated Id: the last copy wins
                rows = list({row[0]: row for row in rows}.values())
            yield rows

    def _frame(self, data: bytes) -> pl.DataFrame:
        if not data.strip():
            return pl.DataFrame(schema=dict.fromkeys(self.columns, pl.Utf8))
        try:
            raw = pl.read_csv(data, infer_schema=False, encoding="utf8")
        except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
            msg = f"{self._what}: the results are not readable CSV ({exc.__class__.__name__}); cut short?"
            raise ProtocolError(msg) from exc
        positions = self._positions([name.removeprefix("\ufeff") for name in raw.columns])
        # Bulk writes null as an empty cell: "" and a missing cell are both None.
        return raw.select(
            pl.col(raw.columns[position]).replace("", None).alias(name)
            for position, name in zip(positions, self.columns, strict=True)
        )

    def _converted(self, frame: pl.DataFrame, index: int, convert: Callable[[str], Any] | None) -> pl.DataFrame:
        name, kind = self.columns[index], self._kinds[index]
        fast = _FAST.get(kind)
        if convert is None or fast is None:
            return frame
        try:
            return frame.with_columns(fast(frame.get_column(name)).alias(name))
        except (_Unusual, pl.exceptions.PolarsError):
            pass  # an unusual value (another datetime offset, "5.0" for an integer): value by value
        values = frame.get_column(name).to_list()
        try:
            converted = [None if value is None else convert(value) for value in values]
        except (KeyError, ValueError) as exc:
            raise self._bad_value(frame, index, convert) from exc
        return frame.with_columns(pl.Series(name, converted, dtype=_DTYPES[kind], strict=False))

    def _positions(self, header: list[str]) -> list[int]:
        # SOQL names are case-insensitive; the header repeats them as the query spelled them.
        index = {name.casefold(): i for i, name in enumerate(header)}
        missing = [name for name in self.columns if name.casefold() not in index]
        if missing:
            msg = f"{self._what}: the results have no column for {', '.join(missing)}"
            raise ProtocolError(msg)
        return [index[name.casefold()] for name in self.columns]

    def _bad_value(self, frame: pl.DataFrame, index: int, convert: Callable[[str], Any]) -> ProtocolError:
        name, kind = self.columns[index], self._kinds[index]
        for record_id, value in frame.select(self.columns[0], name).iter_rows():
            try:
                if value is not None:
                    convert(value)
            except (KeyError, ValueError):
                msg = f"{self._what}: record {record_id} has a {name} value that is not a valid {kind.value}"
                return ProtocolError(msg)
        return ProtocolError(f"{self._what}: a {name} value could not be read")  # pragma: no cover
