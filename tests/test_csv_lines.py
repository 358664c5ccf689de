"""The CSVs the audit streams (:func:`sfbridge.report.findings.csv_lines`) are the bytes ``csv.writer`` gives.

The audit quotes each row's fields itself, once for a check's file and its per-object files;
:func:`sfbridge.outputs.check_csvs` still renders every file through the csv module, and is
the oracle here, on cells made to trip a hand-made quoting: quotes, commas, line breaks,
formula-looking text in mapped and unmapped columns, numbers, booleans, None and JSON.
"""

import csv
import io

import pytest

from sfbridge.models import Finding, Severity
from sfbridge.outputs import check_csvs, write_audit_outputs
from sfbridge.report.findings import csv_lines, csv_rows
from sfbridge.report.findings_table import findings_table

#: Text that needs quoting, or guarding, or neither: each alone and inside other text.
AWKWARD = [
    "plain",
    "",
    " leading space",
    "a,b",
    'say "hi"',
    '"',
    ",",
    "two\nlines",
    "cr\ronly",
    "crlf\r\nend",
    '=HYPERLINK("https://evil.example")',
    "+1 555",
    "-3",
    "@sum",
    "\tstarts with a tab",
    "\rstarts with a return",
    "nul\x00inside",
    "line\u2028separator",
    "Zoë 李小龍",
    "'already quoted",
]
#: Values of every kind a cell holds, numbers and JSON-made cells among them.
#: (Not NaN: the workbook, written beside the CSVs, refuses it.)
VALUES = [*AWKWARD, None, 0, -7, 3.5, -0.25, 1e-7, 2**40, True, False, ["a", 'b"c', "d,e"], {"k": "v\n"}]


def finding(number, sobject, **overrides):
    values = {
        "check": "junk_lead",
        "severity": Severity.LOW,
        "sobject": sobject,
        "record_id": f"00Q5g00000AbC{number:03d}",
        "reason": AWKWARD[number % len(AWKWARD)],
        "suggested_action": AWKWARD[(number * 7) % len(AWKWARD)],
        "evidence": {f"key{number % 3}": VALUES[number % len(VALUES)], "shared": VALUES[(number * 5) % len(VALUES)]},
        "suggested_values": {"Status": AWKWARD[(number * 3) % len(AWKWARD)]} if number % 2 else {},
        "related": {"account": AWKWARD[(number * 11) % len(AWKWARD)]} if number % 4 == 1 else {},
        "group": AWKWARD[number % len(AWKWARD)] if number % 5 == 0 else None,
        "score": [None, 0.5, -0.125, 12.0][number % 4],
    }
    values.update(overrides)
    return Finding(**values)


@pytest.fixture
def findings():
    # Leads fill every column; Contacts some of them (a narrower file); an Account holds one finding.
    leads = [finding(number, "Lead") for number in range(90)]
    contacts = [finding(number, "Contact", suggested_values={}) for number in range(90, 140, 3)]
    return [*leads, *contacts, finding(141, "Account", evidence={})]


def test_lines_are_what_csv_writer_writes(findings):
    """Each row's line, and its header, is the csv module's text of the same row, byte for byte."""
    table = findings_table(findings)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerows(csv_rows(table))
    assert "".join(line + "\r\n" for line, _ in csv_lines(table)) == expected.getvalue()
    # Every awkward value made it into some cell, so each way of quoting ran.
    text = expected.getvalue()
    for quoted in ('"say ""hi"""', '"a,b"', '"two\nlines"', '"cr\ronly"', "'=HYPERLINK", "'-0.125"):
        assert quoted in text


def test_streamed_files_are_the_bytes_check_csvs_renders(findings, tmp_path):
    """The check's file and each object's (narrower, every finding, one finding) match the csv module's."""
    checks = {"junk_lead": ["Lead"]}
    expected = check_csvs(checks, findings)
    document = {"org": {}, "checks": [{"name": "junk_lead"}], "findings": [item.plain for item in findings]}
    write_audit_outputs(tmp_path, document=document, findings=findings, checks=checks)
    assert sorted(expected) == sorted(path.name for path in tmp_path.glob("*.csv"))
    for name, text in expected.items():
        assert (tmp_path / name).read_bytes() == text.encode(), name
    # The Contact file is narrower than the check's (no Status column): its columns were picked.
    assert expected["junk_lead.Contact.csv"].split("\r\n")[0] != expected["junk_lead.csv"].split("\r\n")[0]


def test_a_check_on_one_object_copies_its_file(tmp_path):
    """An object holding every finding of its check gets the check-wide file's bytes."""
    findings = [finding(number, "Lead") for number in range(20)]
    document = {"org": {}, "checks": [{"name": "junk_lead"}], "findings": [item.plain for item in findings]}
    write_audit_outputs(tmp_path, document=document, findings=findings, checks={"junk_lead": ["Lead"]})
    assert (tmp_path / "junk_lead.Lead.csv").read_bytes() == (tmp_path / "junk_lead.csv").read_bytes()
    assert (tmp_path / "junk_lead.csv").read_bytes() == check_csvs({"junk_lead": ["Lead"]}, findings)[
        "junk_lead.csv"
    ].encode()
