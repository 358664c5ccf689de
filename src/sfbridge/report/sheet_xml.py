"""A sheet's rows written as XlsxWriter's constant_memory mode writes them, a batch of rows at a time with polars.

XlsxWriter makes each cell's XML through a dozen Python calls (checks, a tuple, three
escaping regexes, an f-string): at 160k findings, 12 of the workbook's 17 CPU seconds. Here
each column's cells are made at once as polars string expressions and each batch of rows is
written, joined, to the sheet's row file, where XlsxWriter would have put them; XlsxWriter
still writes everything else (the sheet around its rows, the links, the styles, the package).

The XML is XlsxWriter's to the byte (tests/test_sheet_xml.py compares them cell by cell):

- a string is inline (``t="inlineStr"``), its control characters written ``_xHHHH_`` (and a
  literal ``_xHHHH_`` as ``_x005F_xHHHH_``), ``& < >`` escaped, and its ``<t>`` marked
  ``xml:space="preserve"`` when it starts or ends with whitespace;
- a number is written ``{:.16G}``, a boolean ``t="b"`` with 1 or 0;
- a cell's style (``s``) is its own format's, else its column's; a format's number is
  given on its first use, so they are asked for in the order XlsxWriter would use them.

A table this does not render exactly as XlsxWriter would (a NaN or an infinity, which
XlsxWriter refuses; a value of another type; a text polars cannot hold) is left to
XlsxWriter's own calls: :func:`write_rows` then takes back the rows it wrote and returns
False, leaving the sheet as XlsxWriter's first write below the header would find it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

import polars as pl
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name  # type: ignore[import-untyped]
from xlsxwriter.xmlwriter import XMLwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type hints

from sfbridge.report.findings_table import Cell

if TYPE_CHECKING:
    from xlsxwriter.format import Format  # type: ignore[import-untyped]
    from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

__all__ = ["write_rows"]

#: Rows made and written at once: a batch's XML is ~10 MB, not the sheet's hundreds (20k: 250 MB more RSS).
BATCH = 5_000

#: Characters (UTF-16 code units) Excel keeps in a cell; a text within half of it fits whatever it holds.
_MAX_CELL = 32_767
#: What XlsxWriter writes as ``_xHHHH_`` (control characters, two non-characters), or escapes
#: because it reads as such an escape: the few texts that hold one are escaped by XlsxWriter's own code.
_CONTROL = r"[\x00-\x08\x0b-\x1f\x{FFFE}\x{FFFF}]|_x[0-9a-fA-F]{4}_"
#: Python's whitespace (``str.isspace``: what XlsxWriter's ``\s`` matches) as a regex class for
#: polars, whose ``\s`` is Unicode's slightly different list (tests/test_sheet_xml.py checks it).
SPACE = (
    r"[\x{9}\x{A}\x{B}\x{C}\x{D}\x{1C}\x{1D}\x{1E}\x{1F}\x{20}\x{85}\x{A0}\x{1680}\x{2000}\x{2001}\x{2002}\x{2003}"
    r"\x{2004}\x{2005}\x{2006}\x{2007}\x{2008}\x{2009}\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"
)
_PRESERVE = f"^{SPACE}|{SPACE}$"
#: A link XlsxWriter keeps as it is (no escape, anchor or kind of its own), as every Lightning
#: link is; a sheet with any other link has them made by XlsxWriter, one by one.
_URL_PLAIN = r"^https://[A-Za-z0-9.:/_-]+$"
#: Links Excel takes in a sheet (XlsxWriter ignores the rest, with a warning).
_MAX_LINKS = 65_530

#: The kinds of column: texts (with or without a character to escape), numbers, or several types.
_STRING, _ESCAPED, _NUMBER, _MIXED = "string", "escaped", "number", "mixed"


class _Unsupported(Exception):  # noqa: N818 (not an error: a table left to XlsxWriter)
    """A cell this module does not render as XlsxWriter would."""


def write_rows(
    sheet: Worksheet,
    rows: Sequence[Sequence[Cell]],
    *,
    order: Sequence[int],
    urls: Sequence[str | None],
    column_formats: Mapping[int, Format],
    fit: Callable[[str], str],
) -> bool:
    """Write rows 1.. of ``sheet``, a constant_memory sheet whose only row written yet is its header (row 0).

    The first column is the record's Id: always a cell, an empty text too, never cut. In the
    others None and "" are no cell, and a text is cut to Excel's cell size by ``fit``.

    Args:
        sheet: the worksheet, its columns set and its header written.
        rows: the rows' cells, each row as long as the header.
        order: the sheet's columns, as positions in a row (its first the Id's, 0): a
            row's cells are not copied into the sheet's order.
        urls: per row, the link of its Id, or None.
        column_formats: the formats set on columns (:meth:`Worksheet.set_column`), by column.
        fit: a text as it fits a cell (:func:`sfbridge.report.workbook._fit`).

    Returns:
        True when the rows were written; False when none is left written (the header row is
        flushed, as XlsxWriter's first write below it would), and the caller writes them cell
        by cell (see the module docstring).
    """
    if not rows:
        return True
    # What XlsxWriter does on the first write below the header: row 0 goes to the row file (its
    # format is numbered then, before the rows' formats).
    sheet._write_single_row(1)  # noqa: SLF001
    rows_at = sheet.fh.tell()  # where the rows begin in the row file (tell flushes the text layer first)
    write = _writer(sheet.fh)
    # A batch at a time, its columns made and written, then let go: the whole sheet's columns at
    # once were a second copy of its rows (140 MB for a million records' duplicates, in the
    # workbook's worker at the audit's peak).
    for first in range(0, len(rows), BATCH):
        batch = rows[first : first + BATCH]
        try:
            frame, kinds = _frame(batch, order, fit)
        except _Unsupported:
            # Left to XlsxWriter whole, as if nothing were written: the batches before are taken
            # back (the formats they numbered are numbered as XlsxWriter numbers them, by first use).
            # Rare (a NaN, a lone surrogate), and then the rows before are made twice.
            sheet.fh.seek(rows_at)  # flushes what the batches wrote, text layer and bytes alike
            sheet.fh.truncate()
            return False
        linked = pl.Series("_linked", [url is not None for url in urls[first : first + BATCH]], dtype=pl.Boolean)
        # A format is numbered on its first use: a batch numbers those no batch before used, in
        # the order of their first cells, as the whole sheet would.
        row = _row_xml(frame.columns, kinds, _styles(frame, linked, sheet.default_url_format, column_formats))
        numbers = pl.int_range(first + 2, first + len(batch) + 2, dtype=pl.Int64, eager=True).cast(pl.String)
        write(frame.with_columns(numbers.alias("_r"), linked).select(row.str.join("")))
        del frame
    _add_links(sheet, rows, urls)
    # As XlsxWriter leaves a sheet it wrote: at its last row, whose cells are already on disk.
    sheet._check_dimensions(len(rows), 0)  # noqa: SLF001
    sheet.previous_row = len(rows)
    return True


def _frame(
    rows: Sequence[Sequence[Cell]], order: Sequence[int], fit: Callable[[str], str]
) -> tuple[pl.DataFrame, list[str]]:
    """Each column's values as a polars column: texts as they are, numbers and mixed cells already as XML."""
    columns: dict[str, pl.Series] = {}
    kinds = []
    by_position = list(zip(*rows, strict=True))
    for index, values in enumerate(by_position[position] for position in order):
        name = str(index)
        types = set(map(type, values))
        try:
            if index == 0:
                ids = values if types == {str} else tuple(map(str, values))
                columns[name] = _texts(name, ids, fit=None)
                kinds.append(_text_kind(columns[name]))
            elif types <= {str, type(None)}:
                columns[name] = _texts(name, values, fit=fit)
                kinds.append(_text_kind(columns[name]))
            elif types <= {int, float, type(None)}:
                columns[name] = pl.Series(name, [_number(value) for value in values], dtype=pl.String)
                kinds.append(_NUMBER)
            elif types <= {str, int, float, bool, type(None)}:
                columns[name] = pl.Series(name, [_mixed(value, fit) for value in values], dtype=pl.String)
                kinds.append(_MIXED)
            else:
                raise _Unsupported
        except UnicodeEncodeError as exc:  # a lone surrogate: XlsxWriter fails on it when writing, as it did
            raise _Unsupported from exc
    return pl.DataFrame(columns), kinds


def _texts(name: str, values: Sequence[str | None], *, fit: Callable[[str], str] | None) -> pl.Series:
    """A column of texts ("" no cell, unless the Id's), cut and control-escaped where they need it."""
    series = pl.Series(name, values, dtype=pl.String)
    if fit is not None:
        series = pl.select(pl.when(series != "").then(series).alias(name)).to_series()
    long = (series.str.len_chars() > _MAX_CELL // 2).fill_null(value=False)
    if long.any():
        if fit is None:
            raise _Unsupported  # an Id past half a cell: XlsxWriter cuts it its own way
        where = long.arg_true()
        series = series.scatter(where, [fit(text) for text in series.gather(where).to_list()])
    odd = series.str.contains(_CONTROL).fill_null(value=False)
    if odd.any():
        where = odd.arg_true()
        series = series.scatter(where, [_control_escaped(text) for text in series.gather(where).to_list()])
    return series


def _writer(fh: TextIO) -> Callable[[pl.DataFrame], object]:
    """How a batch's XML (a one-cell frame) goes to the sheet's row file, a UTF-8 text file."""
    if os.linesep != "\n":
        # Windows: the text file writes a text's "\n" as "\r\n", as it does XlsxWriter's rows.
        return lambda batch: fh.write(batch.item())
    # Elsewhere it writes the text's UTF-8 as it is: polars' bytes go straight to the file,
    # not made a str and encoded again (0.4 CPU seconds at 160k findings).
    fh.flush()
    return lambda batch: fh.buffer.write(batch.cast(pl.Binary).item())


def _text_kind(series: pl.Series) -> str:
    # Most columns (Ids, the JSON of matches) hold no & < >: their escaping is skipped, a pass over each text.
    return _ESCAPED if series.str.contains("[&<>]").any() else _STRING


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    if value.__class__ is float and not math.isfinite(value):
        raise _Unsupported  # XlsxWriter refuses it (TypeError) unless told nan_inf_to_errors
    try:
        return f"{value:.16G}"
    except OverflowError as exc:  # an integer past a float: XlsxWriter fails on it as before
        raise _Unsupported from exc


def _mixed(value: Cell, fit: Callable[[str], str]) -> str | None:
    """A cell of a column of several types, as its XML after the style: few columns are."""
    if value is None or value == "":
        return None
    if value.__class__ is bool:
        return f' t="b"><v>{1 if value else 0}</v></c>'
    if isinstance(value, str):
        text = _control_escaped(fit(value))
        space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
        return f' t="inlineStr"><is><t{space}>{_escaped(text)}</t></is></c>'
    return f"><v>{_number(value)}</v></c>"


def _control_escaped(text: str) -> str:
    return XMLwriter._escape_control_characters(text)  # type: ignore[no-any-return]  # noqa: SLF001


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _styles(
    frame: pl.DataFrame, linked: pl.Series, url_format: Format, column_formats: Mapping[int, Format]
) -> dict[int | None, str]:
    """Each column's ``s`` attribute (None: a linked Id's), numbering the formats as XlsxWriter would.

    A format is numbered on its first use, so in the order of the first cells using them, by
    row then column; a format no cell uses stays unnumbered (XlsxWriter numbers it later).
    """
    first: list[tuple[int, int, int | None, Format]] = []
    if linked.any():
        first.append((int(linked.arg_true()[0]), 0, None, url_format))
    for column, cell_format in column_formats.items():
        present = ~linked if column == 0 else frame.get_column(str(column)).is_not_null()
        if present.any():
            first.append((int(present.arg_true()[0]), column, column, cell_format))
    styles: dict[int | None, str] = {}
    for _, _, key, cell_format in sorted(first, key=lambda use: use[:2]):
        styles[key] = f' s="{cell_format._get_xf_index()}"'  # noqa: SLF001
    return styles


def _add_links(sheet: Worksheet, rows: Sequence[Sequence[Cell]], urls: Sequence[str | None]) -> None:
    """Each Id's link, for the sheet's ``<hyperlinks>`` and its relationships part; the cells are written here."""
    targets = pl.Series([url for url in urls if url is not None], dtype=pl.String)
    plain = targets.str.contains(_URL_PLAIN).all() and (targets.str.len_bytes() <= sheet.max_url_length).all()
    if not plain or sheet.hlink_count + len(targets) > _MAX_LINKS:
        _add_links_one_by_one(sheet, rows, urls)
        return
    # Links XlsxWriter keeps as they are: its Url for each (2 CPU seconds at 160k) would change nothing.
    numbers = pl.Series([number for number, url in enumerate(urls, start=2) if url is not None], dtype=pl.Int64)
    sheet.hlink_count += len(targets)

    def write_hyperlinks() -> None:
        # In place of Worksheet._write_hyperlinks when the sheet is assembled: the same elements
        # and relationships (its external links, numbered on from the sheet's last one).
        first = sheet.rel_count + 1
        ids = pl.int_range(first, first + len(numbers), dtype=pl.Int64, eager=True).cast(pl.String)
        links = pl.concat_str(
            [pl.lit('<hyperlink ref="A'), numbers.cast(pl.String), pl.lit('" r:id="rId'), ids, pl.lit('"/>')]
        )
        sheet.fh.write("<hyperlinks>" + pl.select(links.str.join("")).item() + "</hyperlinks>")
        sheet.rel_count += len(numbers)
        sheet.external_hyper_links.extend(["/hyperlink", target, "External"] for target in targets)

    if len(targets):
        sheet._write_hyperlinks = write_hyperlinks  # noqa: SLF001


def _add_links_one_by_one(sheet: Worksheet, rows: Sequence[Sequence[Cell]], urls: Sequence[str | None]) -> None:
    """Each Id's link through XlsxWriter's own call, without its cell (written here)."""
    sheet.ignore_write_string = True  # XlsxWriter's switch for a link whose cell is written otherwise
    try:
        for number, (row, url) in enumerate(zip(rows, urls, strict=True), start=1):
            if url is not None:
                sheet._write_url(number, 0, url, string=str(row[0]))  # noqa: SLF001
    finally:
        sheet.ignore_write_string = False


def _row_xml(names: Sequence[str], kinds: Sequence[str], styles: Mapping[int | None, str]) -> pl.Expr:
    """One expression making each row's ``<row>`` element from the frame's columns (and ``_r``, ``_linked``)."""
    number = pl.col("_r")
    cells = []
    for column, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        style = pl.lit(styles.get(column, ""))
        if column == 0:
            style = pl.when(pl.col("_linked")).then(pl.lit(styles.get(None, ""))).otherwise(style)
        value = pl.col(name)
        if kind in {_STRING, _ESCAPED}:
            space = pl.when(value.str.contains(_PRESERVE)).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
            escaped = value
            if kind == _ESCAPED:
                escaped = escaped.str.replace_all("&", "&amp;", literal=True)
                escaped = escaped.str.replace_all("<", "&lt;", literal=True).str.replace_all(">", "&gt;", literal=True)
            rest = [style, pl.lit(' t="inlineStr"><is><t'), space, pl.lit(">"), escaped, pl.lit("</t></is></c>")]
        elif kind == _NUMBER:
            rest = [style, pl.lit("><v>"), value, pl.lit("</v></c>")]
        else:
            rest = [style, value]
        cells.append(pl.concat_str([pl.lit(f'<c r="{xl_col_to_name(column)}'), number, pl.lit('"'), *rest]))
    return pl.concat_str([pl.lit('<row r="'), number, pl.lit('">'), *cells, pl.lit("</row>")], ignore_nulls=True)
