"""findings.xlsx's zip at zlib level 1: XlsxWriter's parts, and XlsxWriter's own zip when the copy does not fit."""

import zipfile
from datetime import UTC, datetime

import openpyxl
import pytest
import xlsxwriter

from sfbridge.report import xlsx_zip
from sfbridge.report.xlsx_zip import FastZipWorkbook, fast_zip_fits

OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "constant_memory": True}


def build(cls, path):
    """A small workbook as sfbridge writes them: two sheets, formats, a link, frozen panes, a filter, a fixed date."""
    workbook = cls(str(path), OPTIONS)
    workbook.set_properties({"created": datetime(2026, 12, 1, tzinfo=UTC)})  # core.xml the same in every file
    bold = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEF2F7"})
    for name in ("stale_lead", "duplicate"):
        sheet = workbook.add_worksheet(name)
        sheet.write_string(0, 0, "Id", bold)
        sheet.write_string(0, 1, "Reason", bold)
        for row in range(1, 400):
            record = f"00Q{row:012d}"
            sheet.write_url(row, 0, f"https://acme.lightning.force.com/lightning/r/Lead/{record}/view", string=record)
            sheet.write_string(row, 1, f"=not a formula, idle {row} days ({name})")
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, 399, 1)
    workbook.close()
    return path


def parts(path):
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def compressed(path):
    with zipfile.ZipFile(path) as archive:
        return sum(info.compress_size for info in archive.infolist())


def test_the_fast_zip_holds_xlsxwriters_parts_in_its_order_deflated_faster(tmp_path):
    """Every part is XlsxWriter's, byte for byte and in the same order; only the deflate differs, and the file opens."""
    stock = build(xlsxwriter.Workbook, tmp_path / "stock.xlsx")
    fast = build(FastZipWorkbook, tmp_path / "fast.xlsx")
    assert parts(fast) == parts(stock)
    assert compressed(fast) > compressed(stock)  # level 1 deflates less than zipfile's default 6
    book = openpyxl.load_workbook(fast)
    assert book.sheetnames == ["stale_lead", "duplicate"]
    cell = book["duplicate"]["B5"]
    assert (cell.value, cell.data_type) == ("=not a formula, idle 4 days (duplicate)", "s")
    link = book["stale_lead"]["A2"].hyperlink.target
    assert link == "https://acme.lightning.force.com/lightning/r/Lead/00Q000000000001/view"


def test_the_copy_fits_only_the_xlsxwriter_it_was_copied_from(tmp_path):
    """Another XlsxWriter release, a missing internal or a workbook kept in memory: XlsxWriter's own zip is used."""
    workbook = FastZipWorkbook(str(tmp_path / "a.xlsx"), OPTIONS)
    assert fast_zip_fits(workbook)
    assert not fast_zip_fits(workbook, version="3.4.0")
    assert not fast_zip_fits(FastZipWorkbook(str(tmp_path / "b.xlsx"), {"in_memory": True}))
    workbook.close()


@pytest.mark.parametrize("change", ["version", "internal"])
def test_when_the_copy_does_not_fit_xlsxwriter_writes_the_zip_itself(tmp_path, monkeypatch, change):
    """The file is then XlsxWriter's own to the byte (its parts dated alike, core.xml's date fixed)."""
    stock = build(xlsxwriter.Workbook, tmp_path / "stock.xlsx")
    if change == "version":
        monkeypatch.setattr(xlsxwriter, "__version__", "3.4.0")
    else:  # an internal the copy calls is gone from this release (the stock method does not call it either)
        monkeypatch.setattr(xlsx_zip, "_INTERNALS", (*xlsx_zip._INTERNALS, "_prepare_gone"))
    fallback = build(FastZipWorkbook, tmp_path / "fallback.xlsx")
    assert fallback.read_bytes() == stock.read_bytes()
