"""findings.xlsx: the audit's findings as one Excel workbook for people, a sheet per check.

Each sheet has the columns of the check's CSVs (:mod:`sfbridge.report.findings_table`), with
the person's name and company moved next to the Id where the findings carry them in their
evidence; the header row (and the Id column) stay frozen, an autofilter is on, and each
record Id links to its Lightning page (:func:`sfbridge.report.links.lightning_url`).

Every value from a record is written as a text cell, never as a formula: a name such as
``=HYPERLINK(...)`` shows as typed and runs nothing (formula injection). Excel's limits are
kept: 1,048,575 rows and 65,530 links a sheet, 32,767 characters a cell (findings.json has
every finding whole).

The rows' XML is made a column at a time with polars (:mod:`sfbridge.report.sheet_xml`);
XlsxWriter writes the rest, its zip deflated at zlib's fastest level
(:mod:`sfbridge.report.xlsx_zip`). Both are imported when a workbook is written, so commands
that write none (and ``--help``) do not load them.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfbridge.models import Finding, by_check
from sfbridge.report.csv_files import CheckCsvs, write_check_csvs
from sfbridge.report.findings_table import FindingsTable, findings_table
from sfbridge.report.links import instance_base, lightning_url

if TYPE_CHECKING:
    from threading import Event

    from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]  # XlsxWriter ships no type hints

__all__ = [
    "MAX_LINKS",
    "MAX_ROWS",
    "WORKER_FROM",
    "SheetTable",
    "sheet_names",
    "sheet_table",
    "write_findings_workbook",
    "write_sheets",
]

#: Rows a sheet holds below its header (Excel's 1,048,576 rows, less the header).
MAX_ROWS = 1_048_575
#: Hyperlinks Excel allows in one sheet; the Ids past it are plain text.
MAX_LINKS = 65_530
#: Characters (UTF-16 code units) Excel keeps in a cell.
_MAX_CELL = 32_767
_CUT = " … (cut at Excel's cell size; findings.json has it whole)"

#: Evidence keys that name the person or their company, shown next to the Id.
_PERSON_COLUMNS = {"Name": ("Evidence: name", "Evidence: Name"), "Company": ("Evidence: company", "Evidence: Company")}

#: Findings from which the workbook is written in a worker process (at 16k, a 2 s workbook).
WORKER_FROM = 5_000

#: A check's table as the workbook's writer takes it (:func:`sheet_table`), and the CSVs it
#: writes from it first (None: none; :mod:`sfbridge.report.csv_files`).
SheetTable = tuple[CheckCsvs | None, bytes]

_WIDTH_SAMPLE = 200  # rows: the widths are measured on the first ones
_WIDEST = 60  # characters: longer text (a duplicate's matches as JSON) wraps out of sight, not the screen
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_MAX = 31


def write_findings_workbook(
    path: Path,
    *,
    checks: Sequence[str],
    findings: Sequence[Finding],
    instance_url: str | None,
    tables: Iterable[SheetTable] | None = None,
    worker_from: int | None = None,
    stop: Event | None = None,
) -> None:
    """Write findings.xlsx to ``path``: one sheet per check, in the order given, clean checks included.

    Args:
        path: the file to write (the caller writes to a temporary name and renames it).
        checks: the names of the checks that ran.
        findings: their findings.
        instance_url: the org's instance, for the records' links (None: no links).
        tables: each check's table already laid out (:func:`sheet_table`), in the order of
            ``checks`` then of any other check the findings are of, with the CSVs to write
            from it; None: laid out here (and no CSVs written).
        worker_from: from this many findings on (default :data:`WORKER_FROM`), the workbook is
            written by a worker process (:mod:`sfbridge.report.workbook_worker`), so the
            caller's process writes its other files meanwhile; smaller workbooks take less
            time to write than a process takes to start.
        stop: once set, a worker process is stopped and nothing more is written (the caller
            is abandoning the file); see :func:`sfbridge.report.workbook_worker.write_in_worker`.

    Raises:
        OSError: when the file cannot be written.
    """
    if tables is None:
        tables = _tables(checks, findings)
    names = list(dict.fromkeys([*checks, *(item.check for item in findings)]))
    if len(findings) >= (WORKER_FROM if worker_from is None else worker_from):
        from sfbridge.report.workbook_worker import write_in_worker  # noqa: PLC0415 (only large workbooks)

        write_in_worker(path, sheets=sheet_names(names), tables=tables, instance_url=instance_url, stop=stop)
    else:
        write_sheets(path, sheets=sheet_names(names), tables=tables, instance_url=instance_url)


def sheet_table(table: FindingsTable) -> bytes:
    """One check's table as the workbook writer takes it: plain values, pickled (they may cross to another process).

    Pickled rather than JSON: a NaN or an integer wider than 64 bits must reach the sheet as it is.
    """
    return pickle.dumps((table.header, table.rows, table.mapped), protocol=pickle.HIGHEST_PROTOCOL)


def _tables(checks: Sequence[str], findings: Sequence[Finding]) -> Iterator[SheetTable]:
    for mine in by_check(findings, checks).values():
        yield None, sheet_table(findings_table(mine))


def write_sheets(path: Path, *, sheets: Sequence[str], tables: Iterable[SheetTable], instance_url: str | None) -> None:
    """Write the workbook from its sheets' names and tables (:func:`sheet_table`), one sheet per pair.

    Each table's CSVs, if it has any, are written from it before its sheet
    (:func:`sfbridge.report.csv_files.write_check_csvs`): the table is unpickled once for both.

    Raises:
        OSError: when the file (or a CSV) cannot be written.
    """
    # Imported here: only a command that writes a workbook pays for loading XlsxWriter.
    from xlsxwriter.exceptions import FileCreateError  # type: ignore[import-untyped]  # noqa: PLC0415

    from sfbridge.report.xlsx_zip import FastZipWorkbook  # noqa: PLC0415 (XlsxWriter's Workbook, a faster zip)

    options = {
        # Every string is text: none becomes a formula, a link or a number (formula injection).
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        # Rows go to disk as they are written, so a 150k-finding audit does not hold the sheet in memory.
        "constant_memory": True,
    }
    # The zip deflated at zlib level 1: at level 6 it took a sixth of the CPU (sfbridge.report.xlsx_zip).
    workbook = FastZipWorkbook(str(path), options)
    formats = {
        "header": workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEF2F7"}),
        "score": workbook.add_format({"num_format": "0.000"}),
    }
    # _unpickled(): no name holds a sheet's bytes (a large check's are ~100 MB) while its rows are written.
    for sheet, table in zip(sheets, _unpickled(tables), strict=True):
        _write_sheet(workbook.add_worksheet(sheet), table, instance_url=instance_url, formats=formats)
    try:
        workbook.close()
    except FileCreateError as exc:  # XlsxWriter wraps the OSError; the caller reports OSErrors
        raise exc.args[0] from exc


def _unpickled(tables: Iterable[SheetTable]) -> Iterator[FindingsTable]:
    # Each table's CSVs are written as it arrives, then the table goes on to its sheet.
    for csvs, pickled in tables:
        header, rows, mapped = pickle.loads(pickled)  # noqa: S301 (this process's own tables, or its worker's)
        del pickled  # a large check's are ~100 MB: not held while its rows are written
        table = FindingsTable(header, rows, mapped=mapped)
        if csvs is not None:
            write_check_csvs(csvs, table)
        yield table


def sheet_names(names: Iterable[str]) -> list[str]:
    r"""Excel-safe, distinct sheet names: no ``[ ] : * ? / \``, at most 31 characters, unique ignoring case.

    >>> sheet_names(["stale_lead", "a/b", "x" * 40, "X" * 40, "History"])
    ['stale_lead', 'a_b', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXX~2', 'History_']
    """
    taken: set[str] = set()
    chosen = []
    for raw in names:
        base = _SHEET_UNSAFE.sub("_", raw).strip("'") or "sheet"
        if base.casefold() == "history":  # Excel reserves it for change tracking
            base += "_"
        name, number = base[:_SHEET_NAME_MAX], 1
        while name.casefold() in taken:
            number += 1
            suffix = f"~{number}"
            name = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(name.casefold())
        chosen.append(name)
    return chosen


def _people_first(table: FindingsTable) -> FindingsTable:
    # Name and company right after the Id, where a person reading the sheet looks for them.
    order, header = _people_order(table.header)
    if header == table.header:
        return table
    rows = [[row[i] for i in order] for row in table.rows]
    return FindingsTable(header, rows, mapped=table.mapped)


def _people_order(header: list[str]) -> tuple[list[int], list[str]]:
    """The sheet's columns as positions in a table's row, and their titles (:func:`_people_first`)."""
    moved: dict[str, int] = {}
    for title, keys in _PERSON_COLUMNS.items():
        found = next((header.index(key) for key in keys if key in header), None)
        if found is not None:
            moved[title] = found
    if not moved:
        return list(range(len(header))), header
    order = [0, *moved.values()] + [i for i in range(1, len(header)) if i not in moved.values()]
    return order, ["Id", *moved] + [header[i] for i in order[1 + len(moved) :]]


def _write_sheet(
    sheet: Worksheet, table: FindingsTable, *, instance_url: str | None, formats: Mapping[str, Any]
) -> None:
    from sfbridge.report.sheet_xml import write_rows  # noqa: PLC0415 (with XlsxWriter: only when a workbook is written)

    rows = table.rows[:MAX_ROWS]
    order, header = _people_order(table.header)
    # The widths from the first rows in the sheet's order; the rows themselves are not reordered
    # (a copy of each, 0.25 CPU seconds at 160k findings) unless written cell by cell.
    shown = _people_first(FindingsTable(table.header, table.rows[:_WIDTH_SAMPLE], mapped=table.mapped))
    score = header.index("Score")
    for column, width in enumerate(_widths(shown)):
        sheet.set_column(column, column, width, formats["score"] if column == score else None)
    for column, title in enumerate(header):
        sheet.write_string(0, column, title, formats["header"])
    urls = _urls(rows, table.header.index("Object"), instance_url)
    # The rows' XML made a column at a time (sfbridge.report.sheet_xml); a table it cannot
    # make as XlsxWriter would (a NaN, say) is written cell by cell, as XlsxWriter does it.
    if not write_rows(sheet, rows, order=order, urls=urls, column_formats={score: formats["score"]}, fit=_fit):
        _write_cells(sheet, [[row[i] for i in order] for row in rows], urls)
    sheet.freeze_panes(1, 1)  # the header row and the Id column
    sheet.autofilter(0, 0, len(rows), len(header) - 1)


def _urls(rows: Sequence[Sequence[Any]], sobject: int, instance_url: str | None) -> list[str | None]:
    # Each row's link from its Id, until the sheet has Excel's most.
    if instance_base(instance_url) is None:
        return [None] * len(rows)  # no row has one: spare a check of each row's instance
    urls: list[str | None] = []
    links = 0
    for row in rows:
        url = lightning_url(instance_url, str(row[sobject]), str(row[0])) if links < MAX_LINKS else None
        links += url is not None
        urls.append(url)
    return urls


def _write_cells(sheet: Worksheet, rows: Sequence[Sequence[Any]], urls: Sequence[str | None]) -> None:
    # The undecorated writers (XlsxWriter 3.x): the public ones first try each call's row as A1
    # notation, which cost about a third of a large workbook's time; the rows here are ints.
    write_string, write_number, write_boolean = sheet._write_string, sheet._write_number, sheet._write_boolean  # noqa: SLF001
    for number, (row, url) in enumerate(zip(rows, urls, strict=True), start=1):
        record_id = str(row[0])
        if url is not None:
            sheet.write_url(number, 0, url, string=record_id)
        else:
            write_string(number, 0, record_id)
        for column, cell in enumerate(row[1:], start=1):
            # Typed writes only: sheet.write() would guess, and a guess can be a formula.
            if cell is None or cell == "":
                continue
            if isinstance(cell, str):
                write_string(number, column, _fit(cell))
            elif isinstance(cell, bool):
                write_boolean(number, column, cell)
            else:
                write_number(number, column, cell)


def _fit(text: str) -> str:
    # Excel counts UTF-16 code units; a text within half the limit fits whatever it holds.
    if len(text) <= _MAX_CELL // 2 or len(text.encode("utf-16-le")) // 2 <= _MAX_CELL:
        return text
    keep = _MAX_CELL - len(_CUT)
    while len(text[:keep].encode("utf-16-le")) // 2 > keep:
        keep -= 1
    return text[:keep] + _CUT


def _widths(table: FindingsTable) -> list[int]:
    # From the header and the first rows: enough to read most values without measuring every cell.
    sample = table.rows[:_WIDTH_SAMPLE]
    widths = []
    for column, title in enumerate(table.header):
        longest = max((len(str(row[column])) for row in sample if row[column] is not None), default=0)
        widths.append(min(max(len(title), longest, 8) + 2, _WIDEST))
    return widths
