"""The audit's CSVs and workbook are written while its findings are stored: the same files, and none on a failure.

``sfbridge audit`` starts the CSVs and findings.xlsx (in a worker process when the audit is
large) before it stores the findings and makes findings.json's document, and puts every file
in place only once both are done. Here the demo org's audit takes the worker's path
(``WORKER_FROM`` 0) and is checked against the files written after the fact in this process,
and each way it can fail is checked to leave the previous run's files as they were, no
temporary file and no worker process.
"""

import errno
import multiprocessing
import re
import zipfile

import pytest

import sfbridge.outputs
import sfbridge.report.workbook
from conftest import copy_store, refuse_one_finding_row, run_unguarded
from sfbridge.checks import select_checks
from sfbridge.cli.auditing import run_audit
from sfbridge.errors import StoreError, UsageError
from sfbridge.models import Finding, Severity
from sfbridge.outputs import check_csvs, write_audit_outputs
from sfbridge.report.csv_files import CheckCsvs, CsvFile
from sfbridge.report.findings_table import findings_table
from sfbridge.report.workbook import sheet_table, write_findings_workbook
from sfbridge.rules import Rules
from sfbridge.store import runs

CHECKS = select_checks(None)
OBJECTS = {check.name: check.objects for check in CHECKS}


@pytest.fixture
def store(demo_store, tmp_path):
    """A copy of the demo store (the session's own stays as it was)."""
    return copy_store(demo_store, tmp_path / "demo.db")


@pytest.fixture(params=[0, 10**9], ids=["worker", "in-process"])
def worker_from(request, monkeypatch) -> None:
    """The CSVs and workbook written by a worker process, or (a small audit) in this one."""
    monkeypatch.setattr(sfbridge.report.workbook, "WORKER_FROM", request.param)


def _audit(store, out):
    return run_audit(store, org="demo", rules=Rules(), checks=CHECKS, out_dir=out)


def _files(folder):
    """Each file's bytes (findings.xlsx: its parts, less the dates every write gives it)."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    part = archive.read(name)
                    if name == "docProps/core.xml":
                        part = re.sub(rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"", part)
                    files[f"{path.name}:{name}"] = part
        else:
            files[path.name] = path.read_bytes()
    return files


def sheet_xml(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def _leftovers(folder):
    """Temporary files (hidden, beside the manifest) left in the folder."""
    return [path.name for path in folder.iterdir() if path.name.startswith(".") and path.name != ".sfbridge-outputs"]


def _left_as_before(store, out, before, outcome):
    """The folder holds the previous run's files and no temporary one, no worker runs, and the run ended ``outcome``."""
    assert _files(out) == before
    assert not _leftovers(out)
    assert not multiprocessing.active_children()
    (run,) = store.recent_runs(limit=1)
    assert run["outcome"] == outcome


def test_the_files_written_beside_the_store_are_those_written_after_it(store, tmp_path, monkeypatch):
    """Overlapped (a worker writing while the findings are stored) or after the fact in this process: the same bytes."""
    monkeypatch.setattr(sfbridge.report.workbook, "WORKER_FROM", 0)
    outcome = _audit(store, tmp_path / "overlapped")
    monkeypatch.setattr(sfbridge.report.workbook, "WORKER_FROM", 10**9)
    write_audit_outputs(tmp_path / "after", document=outcome.document, findings=outcome.result.findings, checks=OBJECTS)
    overlapped = _files(tmp_path / "overlapped")
    assert overlapped == _files(tmp_path / "after")
    for name, text in check_csvs(OBJECTS, outcome.result.findings).items():  # the CSVs as rendered whole
        assert overlapped[name] == text.encode(), name
    assert len(outcome.result.findings) > 100
    assert not _leftovers(tmp_path / "overlapped")


@pytest.mark.usefixtures("worker_from")
def test_a_store_failure_while_the_files_are_written_keeps_the_previous_ones(store, tmp_path, monkeypatch):
    """The store refuses the findings while the CSVs and workbook are being written: nothing replaces the old files."""
    out = tmp_path / "out"
    _audit(store, out)
    before = _files(out)
    refuse_one_finding_row(monkeypatch)
    with pytest.raises(StoreError, match="cannot save findings"):
        _audit(store, out)
    _left_as_before(store, out, before, "failed")


def test_a_store_failure_leaves_no_folder_it_made(store, tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "finding_rows", lambda *_args: [(1, None)])
    with pytest.raises(StoreError):
        _audit(store, tmp_path / "new")
    assert not (tmp_path / "new").exists()


@pytest.mark.usefixtures("worker_from")
def test_ctrl_c_while_the_files_are_written_leaves_no_worker_and_no_temporary_file(store, tmp_path, monkeypatch):
    """Ctrl-C while the findings are stored (the worker writing meanwhile): it ends, its files go, the old stay."""
    out = tmp_path / "out"
    _audit(store, out)
    before = _files(out)

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs, "finding_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _audit(store, out)
    _left_as_before(store, out, before, "interrupted")


@pytest.mark.usefixtures("worker_from")
def test_a_csv_that_cannot_be_written_is_named_and_replaces_nothing(store, tmp_path, monkeypatch):
    """A CSV fails (in the worker or here): the message names that file; no file replaces its previous version."""
    out = tmp_path / "out"
    _audit(store, out)
    before = _files(out)
    made = sfbridge.outputs.temporary_sibling

    def lost(path):  # the CSV's temporary name is in a folder that has gone: ENOENT when it is opened
        return out / "gone" / path.name if path.name == "junk_lead.Lead.csv" else made(path)

    monkeypatch.setattr(sfbridge.outputs, "temporary_sibling", lost)
    with pytest.raises(UsageError, match=re.escape(f"--out: cannot write {out / 'junk_lead.Lead.csv'} (No such file")):
        _audit(store, out)
    _left_as_before(store, out, before, "failed")


def test_the_worker_names_the_csv_it_could_not_write(tmp_path):
    """The worker's OSError on a CSV comes back here as an OSError whose file is the CSV's own name."""
    finding = Finding(check="junk_lead", severity=Severity.LOW, sobject="Lead", record_id="00Q5g00000AbC01AAA",
                      reason="junk", suggested_action="Delete it", evidence={"email": "x@example.com"})  # fmt: skip
    table = findings_table([finding])
    csvs = CheckCsvs(CsvFile(str(tmp_path / "gone" / ".junk_lead.csv.tmp"), "out/junk_lead.csv"))
    with pytest.raises(OSError, match="No such file") as raised:
        write_findings_workbook(
            tmp_path / "w.xlsx",
            checks=["junk_lead"],
            findings=[finding],
            instance_url=None,
            tables=[(csvs, sheet_table(table))],
            worker_from=0,
        )
    assert (raised.value.errno, raised.value.filename) == (errno.ENOENT, "out/junk_lead.csv")
    assert not multiprocessing.active_children()


def test_a_worker_that_cannot_start_leaves_the_csvs_and_workbook_to_this_process(tmp_path):
    """A script without a __main__ guard: the worker fails as it starts; every file is still written, the same."""
    out = tmp_path / "out"
    run_unguarded(
        tmp_path / "unguarded.py",
        f"""
            from datetime import UTC, datetime
            from pathlib import Path
            import sfbridge.report.workbook
            from sfbridge.models import Finding, Severity
            from sfbridge.outputs import write_audit_outputs
            from sfbridge.report.findings import findings_document

            sfbridge.report.workbook.WORKER_FROM = 0
            findings = [
                Finding(check="junk_lead", severity=Severity.LOW, sobject=sobject, record_id=f"00Q5g00000AbC0{{n}}AAA",
                        reason="junk, surely", suggested_action="Delete", evidence={{"name": f"Person {{n}}"}})
                for n, sobject in enumerate(["Lead", "Contact", "Lead"])
            ]
            document = findings_document(findings, org={{"name": "acme", "org_id": "00D", "instance_url": None}},
                                         snapshot_at=datetime(2026, 11, 2, tzinfo=UTC), run_id=1, checks=[], rules={{}})
            checks = {{"junk_lead": ["Lead"]}}
            write_audit_outputs(Path({str(out)!r}), document=document, findings=findings, checks=checks)
            print("written")
            """,
    )
    findings = [
        Finding(check="junk_lead", severity=Severity.LOW, sobject=sobject, record_id=f"00Q5g00000AbC0{n}AAA",
                reason="junk, surely", suggested_action="Delete", evidence={"name": f"Person {n}"})
        for n, sobject in enumerate(["Lead", "Contact", "Lead"])
    ]  # fmt: skip
    for name, text in check_csvs({"junk_lead": ["Lead"]}, findings).items():
        assert (out / name).read_bytes() == text.encode(), name
    assert {"junk_lead.Lead.csv", "junk_lead.Contact.csv", "junk_lead.csv"} <= {path.name for path in out.iterdir()}
    assert b"Person 2" in sheet_xml(out / "findings.xlsx")
    assert not _leftovers(out)
