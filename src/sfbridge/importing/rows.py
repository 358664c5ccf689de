"""One object's CSV into typed rows for its mirror table, batch by batch, column by column.

Only the columns that need it are converted, a column at a time (a list comprehension per column
of a batch, written back into the rows read); text goes on as read, the store making an empty
value NULL. Ids and checkboxes are read once per distinct value (an owner's Id repeats on every
one of its leads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sfbridge.errors import ImportFileError
from sfbridge.ids import InvalidIdError, validate_id
from sfbridge.importing.columns import Column, ColumnPlan, plan_columns
from sfbridge.importing.files import ObjectFile
from sfbridge.importing.reader import CsvFile
from sfbridge.importing.target import ROW_FILTERS, kept_fields
from sfbridge.importing.values import CONVERTERS, infer_kind, read_boolean, read_id
from sfbridge.models import ColumnKind

__all__ = ["ObjectRows", "read_object"]


@dataclass
class ObjectRows:
    """What reading one file found besides its rows: counts and its newest SystemModstamp."""

    sobject: str
    plan: ColumnPlan
    rows: int = 0
    left_out_rows: int = 0  # deleted records, and rows the pull's query would not select
    latest: str | None = None  # the newest SystemModstamp (stored form: sorts as time)
    inferred: dict[str, ColumnKind] = field(default_factory=dict)


def read_object(
    file: ObjectFile, *, skip_unknown: bool
) -> tuple[ObjectRows, Iterator[tuple[list[str], list[tuple[Any, ...]]]]]:
    """Plan a file's columns (typing its unknown ones from a first pass) and stream its rows.

    Args:
        file: the object's CSV.
        skip_unknown: leave out columns whose header is not an API name.

    Returns:
        What is known of the file, and the batches of (column names, rows); the counts in the
        first are complete once the batches are used up.

    Raises:
        ImportFileError: (also while the batches are read) naming the file, line and fix.
    """
    probe = CsvFile(file)
    plan = plan_columns(
        file.sobject, probe.header, file=file.name, keep=kept_fields(file.sobject), skip_unknown=skip_unknown
    )
    probe.close()
    info = ObjectRows(file.sobject, plan)
    if plan.unknown:
        info.inferred = _infer(file, plan)
        plan = info.plan = plan.with_kinds(info.inferred)
    return info, _batches(file, info)


def _infer(file: ObjectFile, plan: ColumnPlan) -> dict[str, ColumnKind]:
    """Type each unknown column from every one of its values (a pass over the file for them alone).

    The kinds :func:`infer_kind` proves are exclusive (a value fits one at most), so one value
    of a column stands for all its values so far: a batch is judged with it, and a column
    proven text is not looked at again.
    """
    sample: dict[int, set[str]] = {column.index: set() for column in plan.unknown}
    for batch in CsvFile(file).batches():
        for index, kept in list(sample.items()):
            values = {row[index] for row in batch} | kept
            values.discard("")
            if infer_kind(values) is ColumnKind.TEXT:
                del sample[index]  # proven text: no need to look further
            else:
                sample[index] = set(list(values)[:1])
        if not sample:
            break
    return {
        column.name: infer_kind(sample[column.index]) if column.index in sample else ColumnKind.TEXT
        for column in plan.unknown
    }


def _batches(file: ObjectFile, info: ObjectRows) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    """Typed rows, batch by batch: the few columns that need it converted in place, the rest as read.

    Text goes to the store as read, an empty value included: the store writes an empty text as
    NULL in SQL (:meth:`sfbridge.importing.sink.ImportWriter.insert`), which costs nothing per
    value here. The other kinds are converted a column at a time.
    """
    plan = info.plan
    names = [column.name for column in plan.columns]
    converted = [
        (column, _converter(file.sobject, column))
        for column in plan.columns
        if column.kind is not ColumnKind.TEXT or column.holds_ids or column.name == "Id"
    ]
    indices = [column.index for column in plan.columns]
    project = itemgetter(*indices) if len(indices) > 1 else (lambda row: (row[indices[0]],))
    keep = _row_filter(file.sobject, plan)
    stamp = names.index("SystemModstamp") if "SystemModstamp" in names else None
    done = 0
    for batch in CsvFile(file).batches():
        try:
            for column, convert in converted:
                at = column.index
                for row, value in zip(batch, convert([row[at] for row in batch]), strict=True):
                    row[at] = value
        except ValueError:
            raise _bad_value(file, converted, batch, first_record=done) from None
        done += len(batch)
        rows = list(map(project, batch))
        if keep is not None:
            rows = [row for row in rows if keep(row)]
        info.rows += len(rows)
        info.left_out_rows += len(batch) - len(rows)
        if stamp is not None and rows:
            newest = max((row[stamp] for row in rows if row[stamp] is not None), default=None)
            if newest is not None and (info.latest is None or newest > info.latest):
                info.latest = newest
        if rows:
            yield names, rows


def _converter(sobject: str, column: Column) -> Callable[[list[str]], list[Any]]:
    if column.name == "Id":

        def record_id(values: list[str]) -> list[Any]:
            try:
                return [validate_id(value, sobject=sobject) for value in values]
            except InvalidIdError as exc:
                raise ValueError(str(exc)) from exc

        return record_id
    if column.holds_ids:
        known: dict[str, str] = {}

        def reference(values: list[str]) -> list[Any]:
            for value in set(values) - known.keys():
                known[value] = read_id(value) if value else None  # type: ignore[assignment]
            return [known[value] for value in values]

        return reference
    convert = CONVERTERS[column.kind]
    if column.kind is ColumnKind.BOOLEAN:
        # A handful of distinct values: looked up, each read once (a tenth of the cost of a call per value).
        seen: dict[str, bool | None] = {"": None}

        def checkbox(values: list[str]) -> list[Any]:
            for value in set(values) - seen.keys():
                seen[value] = read_boolean(value)
            return [seen[value] for value in values]

        return checkbox
    return lambda values: [convert(value) if value else None for value in values]


def _row_filter(sobject: str, plan: ColumnPlan) -> Callable[[tuple[Any, ...]], bool] | None:
    names = [column.name for column in plan.columns]
    deleted = names.index("IsDeleted") if "IsDeleted" in names else None
    wanted = ROW_FILTERS.get(sobject)
    where = names.index(wanted[0]) if wanted and wanted[0] in names else None
    if deleted is None and where is None:
        return None

    def keep(row: tuple[Any, ...]) -> bool:
        if deleted is not None and row[deleted] is True:
            return False
        return where is None or wanted is None or row[where] == wanted[1]

    return keep


def _bad_value(
    file: ObjectFile,
    converted: list[tuple[Column, Callable[[list[str]], list[Any]]]],
    batch: list[list[Any]],
    *,
    first_record: int,
) -> ImportFileError:
    """Name the first value of a batch that does not fit its column: the record's line, the column, why.

    The batch's earlier columns were converted in place already: only a value still text is tried.
    """
    for offset, row in enumerate(batch):
        for column, convert in converted:
            value = row[column.index]
            if not isinstance(value, str):
                continue
            try:
                convert([value])
            except ValueError as exc:
                is_id = column.holds_ids or column.name == "Id"
                what = "an Id" if is_id else f"a {column.kind.value}"
                detail = str(exc) if is_id else f"{value!r} is not {what}"
                return ImportFileError(
                    f"{column.name} should hold {what}: {detail}",
                    file=file.name,
                    line=_line_of_record(file, first_record + offset),
                    fix="export the file again from Salesforce (values must be as Salesforce writes them)",
                )
    return ImportFileError("a value does not fit its column", file=file.name, fix="export the file again")


def _line_of_record(file: ObjectFile, record: int) -> int:
    """The line a record (0: the first after the header) starts on, counting line breaks inside values."""
    reader = CsvFile(file)
    line = reader._reader.line_num + 1  # noqa: SLF001 (the reader's own position, after the header)
    for number, _row in enumerate(reader._reader):  # noqa: SLF001
        if number == record:
            break
        line = reader._reader.line_num + 1  # noqa: SLF001
    reader.close()
    return line
