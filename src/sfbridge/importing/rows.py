"""One object's CSV into typed rows for its mirror table, batch by batch, column by column.

Converting a column at a time (a list comprehension per column of a batch) rather than a row at
a time keeps the per-value cost to one call; plain text needs none at all. Ids are checked once
per distinct value (an owner's Id repeats on every one of its leads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sfbridge.errors import ImportFileError
from sfbridge.ids import InvalidIdError, validate_id
from sfbridge.importing.columns import Column, ColumnPlan, plan_columns
from sfbridge.importing.files import ObjectFile
from sfbridge.importing.reader import CsvFile
from sfbridge.importing.target import ROW_FILTERS, kept_fields
from sfbridge.importing.values import CONVERTERS, infer_kind, read_id
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
    plan = info.plan
    names = [column.name for column in plan.columns]
    converters = [_converter(file.sobject, column) for column in plan.columns]
    keep = _row_filter(file.sobject, plan)
    stamp = names.index("SystemModstamp") if "SystemModstamp" in names else None
    done = 0
    for batch in CsvFile(file).batches():
        try:
            columns = [
                convert([row[column.index] for row in batch])
                for column, convert in zip(plan.columns, converters, strict=True)
            ]
        except ValueError:
            raise _bad_value(file, plan, converters, batch, first_record=done) from None
        done += len(batch)
        rows = [row for row in zip(*columns, strict=True) if keep(row)]
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
    if column.kind is ColumnKind.TEXT:
        return lambda values: [value or None for value in values]
    convert = CONVERTERS[column.kind]
    return lambda values: [convert(value) if value else None for value in values]


def _row_filter(sobject: str, plan: ColumnPlan) -> Callable[[tuple[Any, ...]], bool]:
    names = [column.name for column in plan.columns]
    deleted = names.index("IsDeleted") if "IsDeleted" in names else None
    wanted = ROW_FILTERS.get(sobject)
    where = names.index(wanted[0]) if wanted and wanted[0] in names else None

    def keep(row: tuple[Any, ...]) -> bool:
        if deleted is not None and row[deleted] is True:
            return False
        return where is None or wanted is None or row[where] == wanted[1]

    return keep


def _bad_value(
    file: ObjectFile,
    plan: ColumnPlan,
    converters: list[Callable[[list[str]], list[Any]]],
    batch: list[list[str]],
    *,
    first_record: int,
) -> ImportFileError:
    """Name the first value of a batch that does not fit its column: the record's line, the column, why."""
    for offset, row in enumerate(batch):
        for column, convert in zip(plan.columns, converters, strict=True):
            value = row[column.index]
            try:
                convert([value])
            except ValueError as exc:
                what = "an Id" if column.holds_ids or column.name == "Id" else f"a {column.kind.value}"
                detail = str(exc) if column.holds_ids or column.name == "Id" else f"{value!r} is not {what}"
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
