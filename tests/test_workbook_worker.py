"""findings.xlsx written by a worker process: its errors come back as they would here, and nothing is left behind."""

import errno
import multiprocessing
import zipfile
from datetime import UTC, datetime

import pytest

import sfbridge.outputs
import sfbridge.report.workbook
from conftest import run_unguarded
from sfbridge.errors import UsageError
from sfbridge.models import Finding, Severity
from sfbridge.outputs import write_audit_outputs
from sfbridge.report.findings import findings_document
from sfbridge.report.workbook import write_findings_workbook

CHECKS = {"missing_lead_source": ("Lead",)}
FINDINGS = [
    Finding(
        check="missing_lead_source",
        severity=Severity.LOW,
        sobject="Lead",
        record_id=f"00Q5g00000AbC0{n}AAA",
        reason="LeadSource is blank",
        suggested_action="Set LeadSource",
        evidence={"name": f"Person {n}", "days_idle": n},
    )
    for n in range(1, 4)
]


def write(folder):
    document = findings_document(
        FINDINGS,
        org={"name": "acme", "org_id": "00D5g000000AbCdEAK", "instance_url": None},
        snapshot_at=datetime(2026, 11, 2, tzinfo=UTC),
        run_id=1,
        checks=[{"name": name, "title": name, "explains": "", "severity": "low"} for name in CHECKS],
        rules={},
    )
    return write_audit_outputs(folder, document=document, findings=FINDINGS, checks=CHECKS)


def sheet_xml(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_the_worker_writes_the_same_sheet_as_this_process(tmp_path):
    """However few the findings, the worker's workbook and this process's hold the same sheet."""
    here, there = tmp_path / "here.xlsx", tmp_path / "there.xlsx"
    write_findings_workbook(here, checks=list(CHECKS), findings=FINDINGS, instance_url=None, worker_from=10**9)
    write_findings_workbook(there, checks=list(CHECKS), findings=FINDINGS, instance_url=None, worker_from=0)
    assert sheet_xml(there) == sheet_xml(here)
    assert b"Person 3" in sheet_xml(there)


def test_an_os_error_in_the_worker_is_raised_here_as_the_same_os_error(tmp_path):
    """The worker cannot create the file: the caller gets an OSError with the worker's errno, as if it wrote it."""
    missing = tmp_path / "no such folder" / "findings.xlsx"
    with pytest.raises(OSError, match="No such file") as raised:
        write_findings_workbook(missing, checks=list(CHECKS), findings=FINDINGS, instance_url=None, worker_from=0)
    assert raised.value.errno == errno.ENOENT
    assert not multiprocessing.active_children()


def test_an_unwritable_workbook_from_the_worker_is_the_audits_usage_error(tmp_path, monkeypatch):
    """Through write_audit_outputs: the worker's OSError becomes the --out UsageError; the old workbook stays whole."""
    monkeypatch.setattr(sfbridge.report.workbook, "WORKER_FROM", 0)
    write(tmp_path)
    before = (tmp_path / "findings.xlsx").read_bytes()
    monkeypatch.setattr(sfbridge.report.workbook, "WORKER_FROM", 0)

    def unwritable(path, **options):
        # The worker is handed a folder that is gone by the time it writes.
        write_findings_workbook(tmp_path / "gone" / path.name, **options)

    monkeypatch.setattr(sfbridge.outputs, "write_findings_workbook", unwritable)
    with pytest.raises(UsageError, match="--out: cannot write"):
        write(tmp_path)
    assert (tmp_path / "findings.xlsx").read_bytes() == before
    assert not [
        path.name for path in tmp_path.iterdir() if path.name.startswith(".") and path.name != ".sfbridge-outputs"
    ]


def test_a_failure_beside_the_worker_stops_it_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    """The report fails while the worker writes: the error is the report's, the worker ends, no half-file stays."""
    monkeypatch.setattr(sfbridge.report.workbook, "WORKER_FROM", 0)
    write(tmp_path)
    before = (tmp_path / "findings.xlsx").read_bytes()

    def full_disk(_document, **_options):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sfbridge.outputs, "render_report_html", full_disk)
    with pytest.raises(UsageError, match="No space left on device"):
        write(tmp_path)
    assert (tmp_path / "findings.xlsx").read_bytes() == before
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".findings.xlsx.")]
    assert not multiprocessing.active_children()


def test_a_script_without_a_main_guard_still_gets_its_workbook(tmp_path):
    """A spawned worker imports the caller's script: without a __main__ guard it fails there; the caller writes it."""
    run_unguarded(
        tmp_path / "unguarded.py",
        f"""
            from pathlib import Path
            from sfbridge.models import Finding, Severity
            from sfbridge.report.workbook import write_findings_workbook

            finding = Finding(
                check="junk_lead", severity=Severity.LOW, sobject="Lead", record_id="00Q5g00000AbC03AAA",
                reason="junk", suggested_action="Delete", evidence={{"name": "Person 3"}},
            )
            path = Path({str(tmp_path / "out.xlsx")!r})
            write_findings_workbook(path, checks=["junk_lead"], findings=[finding], instance_url=None, worker_from=0)
            print("written")
            """,
    )
    assert b"Person 3" in sheet_xml(tmp_path / "out.xlsx")
