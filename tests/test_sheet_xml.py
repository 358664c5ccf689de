"""The sheets' rows made a column at a time are XlsxWriter's own XML, byte for byte, whatever the cells hold."""

import math
import re
import sys
import zipfile

import polars as pl
import pytest

import sfbridge.report.sheet_xml
from sfbridge.report.findings_table import FindingsTable
from sfbridge.report.sheet_xml import SPACE
from sfbridge.report.workbook import MAX_LINKS, sheet_table, write_sheets

INSTANCE = "https://acme.my.salesforce.com"
HEADER = ["Id", "Object", "Severity", "Reason", "Suggested Action", "Group", "Score", "Evidence: name", "Evidence: x"]
LEAD, CONTACT = "00Q5g00000AbCdEEAV", "0035g00000AbCdEAAV"

# Texts XlsxWriter writes otherwise than as they are: escaped, control-escaped, whitespace kept, cut.
AWKWARD = [
    "plain",
    "",
    "a & b < c > d \" ' e",
    "tab\tinside",
    "line\nbreak",
    " leading",
    "trailing ",
    "\ttab first",
    "newline last\n",
    "return last\r",
    "\u3000ideographic space",
    "no-break space\xa0",
    "next line\x85",
    "file separator\x1c",
    "bell\x07 and nul\x00",
    "an escape _x0041_ as text",
    "_X00aF_ and _x12_ and _x12345_",
    "non-characters \ufffe \uffff",
    "emoji 😀 and accents éü",
    '=HYPERLINK("http://evil")',
    "x" * 20_000,
    "y" * 40_000,
    "😀" * 17_000,
    "&" * 17_000,
]


def table(rows, header=HEADER):
    return FindingsTable(list(header), [list(row) for row in rows], mapped=1)


def row(record_id=LEAD, sobject="Lead", score=0.5, name="Ann", x=None, group=""):
    return [record_id, sobject, "low", "reason", "action", group, score, name, x]


def workbook_parts(path, sheets, tables, *, instance_url=INSTANCE):
    write_sheets(path, sheets=sheets, tables=[(None, sheet_table(item)) for item in tables], instance_url=instance_url)
    with zipfile.ZipFile(path) as archive:
        found = {name: archive.read(name) for name in archive.namelist()}
    found["docProps/core.xml"] = re.sub(rb"<dcterms:(\w+)[^<]*</dcterms:\1>", b"", found["docProps/core.xml"])
    return found


def both(tmp_path, monkeypatch, tables, **options):
    """The workbook made by sheet_xml, and by XlsxWriter cell by cell (the oracle)."""
    sheets = [f"s{n}" for n in range(len(tables))]
    fast = workbook_parts(tmp_path / "fast.xlsx", sheets, tables, **options)
    with monkeypatch.context() as patched:
        patched.setattr(sfbridge.report.sheet_xml, "write_rows", lambda *_, **__: False)
        slow = workbook_parts(tmp_path / "slow.xlsx", sheets, tables, **options)
    return fast, slow


@pytest.mark.parametrize("linesep", ["\n", "\r\n"], ids=["bytes", "text"])
def test_awkward_texts_are_written_as_xlsxwriter_writes_them(tmp_path, monkeypatch, linesep):
    """Escapes, control characters, kept whitespace, texts cut at Excel's size: the same bytes as XlsxWriter's.

    Both ways to the row file: as bytes, and (where a line ends otherwise: Windows) as text.
    """
    monkeypatch.setattr(sfbridge.report.sheet_xml.os, "linesep", linesep)
    monkeypatch.setattr(sfbridge.report.sheet_xml, "BATCH", 5)  # several batches, the last one short
    rows = [row(name=text, x=text[::-1]) for text in AWKWARD]
    fast, slow = both(tmp_path, monkeypatch, [table(rows)])
    assert fast == slow
    sheet = fast["xl/worksheets/sheet1.xml"]
    assert b"_x005F_x0041_" in sheet
    assert b'<t xml:space="preserve">\xe3\x80\x80ideographic' in sheet


def test_numbers_booleans_and_mixed_columns_are_written_as_xlsxwriter_writes_them(tmp_path, monkeypatch):
    """Numbers as {:.16G}, booleans, a column of texts and numbers, empty cells, a missing score."""
    numbers = [0, 1, -1, 0.1 + 0.2, -0.0, 1e20, 1e-5, 123456789012345678, 2.5, 1 / 3]
    rows = [row(score=value, x=value) for value in numbers]
    rows += [row(score=None, x=True), row(score=None, x=False), row(x="text"), row(x=""), row(x=None), row(x=7)]
    rows += [row(name=None, x=" mixed "), row(name="", x="a\x01b")]
    fast, slow = both(tmp_path, monkeypatch, [table(rows)])
    assert fast == slow
    assert b"<v>1E+20</v>" in fast["xl/worksheets/sheet1.xml"]


def test_links_and_formats_are_numbered_as_xlsxwriter_numbers_them(tmp_path, monkeypatch):
    """Linked and unlinked Ids mixed, a sheet whose first rows have no score, odd Ids; several sheets."""
    first = [row(score=None), row(record_id="not an id"), row(record_id=CONTACT, sobject="Contact", score=0.25)]
    odd_ids = [row(record_id=""), row(record_id=12345), row(record_id=None)]
    empty = table([])
    fast, slow = both(tmp_path, monkeypatch, [table(first), empty, table(odd_ids), table(first[::-1])])
    assert fast == slow
    assert b"<hyperlink " in fast["xl/worksheets/sheet1.xml"]
    no_links, no_links_slow = both(tmp_path, monkeypatch, [table(first)], instance_url=None)
    assert no_links == no_links_slow


def test_a_sheet_past_the_link_limit_links_only_the_first_rows(tmp_path, monkeypatch):
    """Past Excel's 65,530 links a sheet, the Ids are plain text, as XlsxWriter left them."""
    monkeypatch.setattr("sfbridge.report.workbook.MAX_LINKS", 3)
    rows = [row(score=n / 7) for n in range(6)]
    fast, slow = both(tmp_path, monkeypatch, [table(rows)])
    assert fast == slow
    assert fast["xl/worksheets/sheet1.xml"].count(b"<hyperlink ") == 3
    assert MAX_LINKS == 65_530


def test_a_sheet_made_batch_by_batch_is_the_sheet_made_whole(tmp_path, monkeypatch):
    """Batches whose columns differ in kind, and formats and links first used in a later batch: XlsxWriter's bytes."""
    monkeypatch.setattr(sfbridge.report.sheet_xml, "BATCH", 4)
    rows = [row(score=None, record_id="no link", x=n) for n in range(4)]  # no score, no link, numbers
    rows += [row(score=n / 3, record_id="no link", x="text & more" if n % 2 else None) for n in range(4)]
    rows += [row(x=True), row(x=" mixed "), row(name=None, x=2.5), row(name="", x="")]  # links from here
    fast, slow = both(tmp_path, monkeypatch, [table(rows), table(rows[::-1])])
    assert fast == slow
    assert fast["xl/worksheets/sheet1.xml"].count(b"<hyperlink ") == 4


@pytest.mark.parametrize("linesep", ["\n", "\r\n"], ids=["bytes", "text"])
@pytest.mark.parametrize("batch", [3, 100], ids=["third-batch", "first-batch"])
def test_a_cell_only_xlsxwriter_writes_in_a_later_batch_leaves_it_the_whole_sheet(
    tmp_path, monkeypatch, linesep, batch
):
    """An Id past half a cell in the third batch: the batches written before are taken back, XlsxWriter writes all."""
    monkeypatch.setattr(sfbridge.report.sheet_xml.os, "linesep", linesep)
    monkeypatch.setattr(sfbridge.report.sheet_xml, "BATCH", batch)
    made = []
    original = sfbridge.report.sheet_xml.write_rows
    monkeypatch.setattr(
        sfbridge.report.sheet_xml, "write_rows", lambda *a, **k: made.append(original(*a, **k)) or made[-1]
    )
    rows = [row(score=n / 7, name=f"n{n}") for n in range(7)] + [row(record_id="9" * 20_000)]
    fast = workbook_parts(tmp_path / "fast.xlsx", ["s"], [table(rows)])
    assert made == [False]
    with monkeypatch.context() as patched:
        patched.setattr(sfbridge.report.sheet_xml, "write_rows", lambda *_, **__: False)
        slow = workbook_parts(tmp_path / "slow.xlsx", ["s"], [table(rows)])
    assert fast == slow
    assert fast["xl/worksheets/sheet1.xml"].count(b"<row ") == 9  # the header and every row, once


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        (math.nan, TypeError),
        (math.inf, TypeError),
        ("lone \ud800 surrogate", UnicodeEncodeError),
        (2**1100, OverflowError),
    ],
    ids=["nan", "infinity", "surrogate", "huge-integer"],
)
def test_a_cell_xlsxwriter_refuses_fails_as_it_did(tmp_path, monkeypatch, cell, error):
    """sheet_xml leaves such a table to XlsxWriter, whose error is the one raised, as before."""
    made = []
    original = sfbridge.report.sheet_xml.write_rows
    monkeypatch.setattr(
        sfbridge.report.sheet_xml, "write_rows", lambda *a, **k: made.append(original(*a, **k)) or made[-1]
    )
    with pytest.raises(error):
        workbook_parts(tmp_path / "bad.xlsx", ["s"], [table([row(), row(x=cell)])])
    assert made == [False]


def test_the_whitespace_polars_looks_for_is_pythons():
    """XlsxWriter keeps the spaces around a text by str.isspace; the class sheet_xml gives polars is the same."""
    spaces = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
    found = pl.Series([chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF])
    matched = found.filter(found.str.contains(f"^{SPACE}$"))
    assert "".join(matched.to_list()) == spaces


def test_links_xlsxwriter_would_change_are_left_to_it(tmp_path, monkeypatch):
    """A link with an escape, an anchor or another scheme is made by XlsxWriter's Url, one by one: the same sheet."""
    odd = iter(["https://acme.my.salesforce.com/a b#c", None, "mailto:ann@example.com", "https://x.example/%41"] * 3)
    monkeypatch.setattr("sfbridge.report.workbook.lightning_url", lambda *_: next(odd))
    rows = [row(score=n / 3) for n in range(4)]
    fast, slow = both(tmp_path, monkeypatch, [table(rows)])
    assert fast == slow
    assert b"%20" in fast["xl/worksheets/_rels/sheet1.xml.rels"]
