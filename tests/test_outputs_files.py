"""The audit's files for admins' tools: a Data Loader CSV per check and object, findings.xlsx, stale files removed."""

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

import sfbridge.outputs
from sfbridge.errors import UsageError
from sfbridge.ids import to_18
from sfbridge.models import Finding, Severity
from sfbridge.output_manifest import MANIFEST, read_manifest
from sfbridge.outputs import write_audit_outputs
from sfbridge.report.findings import findings_document
from sfbridge.report.links import lightning_url

INSTANCE = "https://acme.my.salesforce.com"
LEAD_1, LEAD_2 = (to_18(f"00Q5g00000AbC0{n}") for n in (1, 2))
CONTACT_1 = to_18("0035g00000AbC01")
HOSTILE_NAME = '=HYPERLINK("https://evil.example","click")'
CHECKS = {"missing_lead_source": ("Lead", "Contact"), "orphan_contact": ("Contact",), "stale_lead": ("Lead",)}


def finding(check, record_id, **overrides):
    values = {
        "check": check,
        "severity": Severity.LOW,
        "sobject": "Contact" if record_id.startswith("003") else "Lead",
        "record_id": record_id,
        "reason": "LeadSource is blank",
        "suggested_action": "Set LeadSource",
        "evidence": {"name": "Ann Lee", "company": "Acme"},
        "suggested_values": {"LeadSource": "Web"},
    }
    values.update(overrides)
    return Finding(**values)


FINDINGS = [
    finding("missing_lead_source", LEAD_1),
    finding("missing_lead_source", CONTACT_1, suggested_values={}),
    finding("missing_lead_source", LEAD_2, evidence={"name": HOSTILE_NAME, "company": "+cmd|' /C calc'!A0"}),
    finding("stale_lead", LEAD_1, evidence={"days_idle": 120, "active": False}, suggested_values={}),
]


def stub_reports(monkeypatch):
    # The reports' contents are test_report_*'s business; here only which files are written, and how.
    monkeypatch.setattr(sfbridge.outputs, "render_report_html", lambda _document, **_options: "<!doctype html>")
    monkeypatch.setattr(sfbridge.outputs, "render_report_markdown", lambda _document, **_options: "# report")


@pytest.fixture(autouse=True)
def plain_reports(monkeypatch):
    stub_reports(monkeypatch)


def write(folder, findings=FINDINGS, checks=CHECKS):
    document = findings_document(
        findings,
        org={"name": "acme", "org_id": "00D5g000000AbCdEAK", "instance_url": INSTANCE},
        snapshot_at=datetime(2026, 11, 2, tzinfo=UTC),
        run_id=1,
        checks=[{"name": name, "title": name, "explains": "", "severity": "low"} for name in checks],
        rules={},
    )
    return write_audit_outputs(folder, document=document, findings=findings, checks=checks)


def rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_each_object_gets_its_own_csv_with_only_its_rows_and_id_first(tmp_path):
    """A Data Loader job takes one object: Lead rows in the .Lead file, Contact rows in the .Contact file."""
    write(tmp_path)
    leads = rows(tmp_path / "missing_lead_source.Lead.csv")
    contacts = rows(tmp_path / "missing_lead_source.Contact.csv")
    assert leads[0][:2] == ["Id", "LeadSource"]
    assert [row[0] for row in leads[1:]] == [LEAD_1, LEAD_2]
    assert {row[leads[0].index("Object")] for row in leads[1:]} == {"Lead"}
    assert contacts[0][0] == "Id"
    assert [row[0] for row in contacts[1:]] == [CONTACT_1]
    assert "LeadSource" not in contacts[0]  # no Contact finding sets it: no column for Data Loader to blank


def test_a_clean_check_gets_a_header_only_file_per_object_it_checks_and_no_other(tmp_path):
    """orphan_contact checks Contacts only: one header-only file; stale_lead, Leads only: no Contact file."""
    write(tmp_path)
    assert (tmp_path / "orphan_contact.Contact.csv").read_text().splitlines() == [
        "Id,Object,Severity,Reason,Suggested Action,Group,Score"
    ]
    assert not (tmp_path / "orphan_contact.Lead.csv").exists()
    assert not (tmp_path / "stale_lead.Contact.csv").exists()
    assert len(rows(tmp_path / "stale_lead.Lead.csv")) == 2


def test_an_object_a_check_does_not_declare_still_gets_its_file(tmp_path):
    """Findings on an object the check did not declare are not lost: that object gets a file too."""
    write(tmp_path, findings=[finding("stale_lead", CONTACT_1)])
    assert [row[0] for row in rows(tmp_path / "stale_lead.Contact.csv")[1:]] == [CONTACT_1]
    assert len(rows(tmp_path / "stale_lead.Lead.csv")) == 1  # the declared object still gets its header-only file


def test_the_check_wide_csv_is_still_written_for_one_release(tmp_path):
    """<check>.csv (deprecated) keeps every object's rows, in the findings' order, for scripts that read it."""
    written = write(tmp_path)
    assert [row[0] for row in rows(tmp_path / "missing_lead_source.csv")[1:]] == [LEAD_1, CONTACT_1, LEAD_2]
    assert tmp_path / "missing_lead_source.csv" in written


def test_a_later_run_removes_the_files_an_earlier_run_wrote_and_it_does_not(tmp_path):
    """`--checks stale_lead` after a full audit: the other checks' files go; files sfbridge did not write stay."""
    write(tmp_path)
    (tmp_path / "notes.csv").write_text("mine\n")
    write(tmp_path, findings=FINDINGS[3:], checks={"stale_lead": ("Lead",)})
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == [
        MANIFEST,
        "findings.json",
        "findings.xlsx",
        "notes.csv",
        "report.html",
        "report.md",
        "stale_lead.Lead.csv",
        "stale_lead.csv",
    ]
    assert "notes.csv" not in read_manifest(tmp_path)
    assert openpyxl.load_workbook(tmp_path / "findings.xlsx").sheetnames == ["stale_lead"]


def test_a_manifest_naming_files_outside_the_folder_removes_nothing_there(tmp_path):
    """Only plain names in the folder are ever removed: ``../x`` in a manifest is ignored."""
    folder, outside = tmp_path / "out", tmp_path / "keep.csv"
    folder.mkdir()
    outside.write_text("keep\n")
    (folder / MANIFEST).write_text(f"../keep.csv\n{outside}\nold.csv\n")
    (folder / "old.csv").write_text("old\n")
    write(folder)
    assert outside.exists()
    assert not (folder / "old.csv").exists()


def test_a_failed_write_leaves_the_previous_workbook_whole_and_no_temporary_file(tmp_path, monkeypatch):
    """The workbook is written under a temporary name: a failure half-way leaves the old file as it was."""
    write(tmp_path)
    before = (tmp_path / "findings.xlsx").read_bytes()

    def fail(path, **_):
        path.write_bytes(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sfbridge.outputs, "write_findings_workbook", fail)
    with pytest.raises(UsageError, match="No space left on device"):
        write(tmp_path)
    assert (tmp_path / "findings.xlsx").read_bytes() == before
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".findings.xlsx.")]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    with pytest.MonkeyPatch.context() as monkeypatch:
        stub_reports(monkeypatch)
        write(folder)
    return openpyxl.load_workbook(folder / "findings.xlsx")


def test_the_workbook_has_a_sheet_per_check_clean_ones_included(workbook):
    """One sheet per check that ran, in order; a clean check's sheet has its header only."""
    assert workbook.sheetnames == list(CHECKS)
    assert workbook["orphan_contact"].max_row == 1


def test_each_sheet_freezes_its_header_and_filters(workbook):
    """The header row (and the Id column) stay in view; an autofilter covers the header and every row."""
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "B2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"


def test_record_ids_link_to_their_lightning_pages_and_name_and_company_come_next(workbook):
    """Column A is the Id, a link to its record; the person's name and company follow it."""
    sheet = workbook["missing_lead_source"]
    assert [cell.value for cell in sheet[1]][:3] == ["Id", "Name", "Company"]
    assert [sheet.cell(row, 1).value for row in (2, 3, 4)] == [LEAD_1, CONTACT_1, LEAD_2]
    assert sheet["A3"].hyperlink.target == lightning_url(INSTANCE, "Contact", CONTACT_1)
    assert sheet["B2"].value == "Ann Lee"
    assert "Evidence: name" not in [cell.value for cell in sheet[1]]


def test_formula_looking_values_are_stored_as_text(workbook):
    """A name such as =HYPERLINK(...) is a text cell holding exactly that; no cell anywhere is a formula."""
    sheet = workbook["missing_lead_source"]
    assert (sheet["B4"].value, sheet["B4"].data_type) == (HOSTILE_NAME, "s")
    assert (sheet["C4"].value, sheet["C4"].data_type) == ("+cmd|' /C calc'!A0", "s")
    cells = [cell for each in workbook.worksheets for row in each.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]


def test_numbers_and_booleans_keep_their_types(workbook):
    """Evidence numbers are numbers (they sort and filter as numbers), booleans booleans."""
    sheet = workbook["stale_lead"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, header.index("Evidence: days_idle") + 1).value == 120
    assert sheet.cell(2, header.index("Evidence: active") + 1).value is False


def test_help_does_not_load_the_workbook_writer():
    """XlsxWriter is imported when a workbook is written, not when the CLI starts."""
    probe = "import sys, sfbridge.cli; print('xlsxwriter' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603
    assert done.stdout.strip() == "False"


def test_files_written_are_listed_and_exist(tmp_path):
    """What the audit reports as written is on disk, the workbook and one CSV per check and object among them."""
    written = write(tmp_path)
    assert all(path.is_file() for path in written)
    names = {path.name for path in written}
    assert {"findings.xlsx", "missing_lead_source.Lead.csv", "missing_lead_source.Contact.csv"} <= names
    assert MANIFEST not in names
    assert Path(tmp_path / MANIFEST).read_text().splitlines()[1:] == [path.name for path in written]
