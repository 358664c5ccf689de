"""findings.xlsx's zip at zlib level 1: XlsxWriter's parts, and XlsxWriter's own zip when the swap does not fit."""

import zipfile
from datetime import UTC, datetime

import openpyxl
import pytest
import xlsxwriter

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


def test_xlsxwriters_module_is_left_as_it_was(tmp_path):
    """The swapped name is put back once the zip is written, even when writing it fails."""
    build(FastZipWorkbook, tmp_path / "fast.xlsx")
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    broken = FastZipWorkbook(str(tmp_path / "missing-folder" / "x.xlsx"), OPTIONS)
    broken.add_worksheet("a")
    with pytest.raises(xlsxwriter.exceptions.FileCreateError):  # XlsxWriter's own wrapping of the OSError
        broken.close()
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert fast_zip_fits()


def test_when_xlsxwriter_no_longer_opens_its_zip_by_that_name_it_writes_the_zip_itself(tmp_path, monkeypatch):
    """Another release: the file is then XlsxWriter's own to the byte (its parts dated alike, core.xml's date fixed)."""
    stock = build(xlsxwriter.Workbook, tmp_path / "stock.xlsx")
    monkeypatch.delattr(xlsxwriter.workbook, "ZipFile")
    monkeypatch.setattr(xlsxwriter.workbook, "ZipFile", _OtherZipFile, raising=False)
    assert not fast_zip_fits()
    fallback = build(FastZipWorkbook, tmp_path / "fallback.xlsx")
    monkeypatch.undo()
    assert fallback.read_bytes() == stock.read_bytes()


class _OtherZipFile(zipfile.ZipFile):
    """What a later XlsxWriter might open its zip with: not zipfile's own class."""
