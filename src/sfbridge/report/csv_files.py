"""One check's Data Loader CSVs written from its table, into files the caller named (its temporary names).

The caller (:mod:`sfbridge.outputs`) decides the files: the check-wide ``<check>.csv`` and a
``<check>.<Object>.csv`` per object, each with its header and the columns it picks from the
check's rows (:class:`CheckCsvs`). The plan is plain data, so it crosses to the worker process
that writes the CSVs beside the workbook (:mod:`sfbridge.report.workbook_worker`) as easily
as it is used here. Each row's fields are quoted once (:func:`sfbridge.report.findings.csv_lines`)
and written to the check's file and to its object's, all files open at once, so no file's text
is held whole. A failure to write a file (a full disk) is an ``OSError`` naming that file.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, TextIO

from sfbridge.report.findings import csv_lines, write_csv
from sfbridge.report.findings_table import FindingsTable

__all__ = ["CheckCsvs", "CsvFile", "write_check_csvs"]


@dataclass(frozen=True)
class CsvFile:
    """One CSV to write.

    Attributes:
        path: where to write it (a temporary name the caller renames).
        shown: the file's own path, named when it cannot be written.
        header: its columns; None: the check-wide table's.
        positions: where its columns are in the check's rows; None: all of them, in order.
    """

    path: str
    shown: str
    header: list[str] | None = None
    positions: list[int] | None = None


@dataclass(frozen=True)
class CheckCsvs:
    """A check's CSVs: the check-wide file, each object's narrower file, and the objects' files that are its copy.

    Attributes:
        whole: ``<check>.csv``, every row.
        objects: per object whose rows are a part of the check's (or whose columns are): its file.
        copies: the files of an object that holds all the check's findings with all its
            columns: the same bytes as ``whole``, copied.
    """

    whole: CsvFile
    objects: dict[str, CsvFile] = field(default_factory=dict)
    copies: list[CsvFile] = field(default_factory=list)


def write_check_csvs(csvs: CheckCsvs, table: FindingsTable) -> None:
    """Write a check's CSVs from its table (:func:`sfbridge.report.findings_table.findings_table`).

    Each row goes to ``whole`` and to its object's file (the row's ``Object`` cell), with that
    file's columns picked.

    Raises:
        OSError: when a file cannot be written; its ``filename`` is the file's own path.
    """
    current = csvs.whole  # the file being written, named if that fails
    opened: list[tuple[TextIO, CsvFile]] = []
    try:
        try:
            whole = _open(opened, current, table.header)
            writers: dict[str, tuple[TextIO, itemgetter[Any] | None, CsvFile]] = {}
            for sobject, csv_file in csvs.objects.items():
                current = csv_file
                pick = None if csv_file.positions is None else itemgetter(*csv_file.positions)
                writers[sobject] = (_open(opened, csv_file, csv_file.header or table.header), pick, csv_file)
            current = csvs.whole
            at = table.mapped  # the Object column: right after Id and the fields a fix sets
            for row, (line, fields) in zip(table.rows, csv_lines(table), strict=True):
                whole.write(line + "\r\n")
                writer = writers.get(row[at])  # type: ignore[arg-type]  # the Object cell is text
                if writer is not None:
                    file, picked, csv_file = writer
                    try:
                        # 7 columns at least: the pick gives a tuple.
                        file.write((line if picked is None else ",".join(picked(fields))) + "\r\n")
                    except OSError:
                        current = csv_file
                        raise
            for file, csv_file in opened:  # closed one by one: a full disk on the last flush names its file
                current = csv_file
                file.close()
        finally:
            for file, _ in opened:  # after an error, the rest: that error is the one raised
                with suppress(OSError):
                    file.close()
        for copy in csvs.copies:  # an object that holds all the check's findings: the same bytes
            current = copy
            shutil.copyfile(csvs.whole.path, copy.path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, current.shown) from exc


def _open(opened: list[tuple[TextIO, CsvFile]], csv_file: CsvFile, header: Sequence[str]) -> TextIO:
    file = open(csv_file.path, "w", encoding="utf-8", newline="")  # noqa: PTH123, SIM115 (closed by the caller)
    opened.append((file, csv_file))
    write_csv(file, header, ())
    return file
