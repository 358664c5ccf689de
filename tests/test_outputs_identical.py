"""The audit's files are the same bytes however they are written: checked on the demo org against the old way.

Writing the outputs was made fast for 160k findings (each check's table laid out once for its
CSVs and its sheet, the CSVs and findings.json written as they are rendered, the workbook in a
worker process, the reports sorting only the rows they show). The oracle here is the way they
were written before, kept in this file as it was: every CSV rendered whole per file, the
workbook through XlsxWriter's public calls in this process, findings.json in one piece, and
the reports' findings fully sorted.
"""

import csv
import io
import math
import re
import zipfile

import pytest

import sfbridge.report.findings
import sfbridge.report.workbook
from conftest import copy_store
from sfbridge.checks import select_checks
from sfbridge.cli.auditing import run_audit
from sfbridge.report import basis, evidence
from sfbridge.report.findings import findings_json, formula_guarded, object_csv_name
from sfbridge.report.findings_table import findings_table
from sfbridge.report.html import render_report_html
from sfbridge.report.links import lightning_url
from sfbridge.report.markdown import render_report_markdown
from sfbridge.report.workbook import MAX_LINKS, _fit, _people_first, _widths, sheet_names
from sfbridge.rules import Rules


@pytest.fixture(scope="module")
def audited(demo_store, tmp_path_factory):
    """The demo org audited with every check, its files written the way the audit writes them."""
    folder = tmp_path_factory.mktemp("identical")
    store = copy_store(demo_store, folder / "demo.db")
    checks = select_checks(None)
    with pytest.MonkeyPatch.context() as monkeypatch:
        # The demo's 265 findings would be written in this process: here the worker writes
        # them, and findings.json goes out in batches of 7 findings.
        monkeypatch.setattr(sfbridge.report.workbook, "WORKER_FROM", 0)
        monkeypatch.setattr(sfbridge.report.findings, "_JSON_BATCH", 7)
        outcome = run_audit(store, org="demo", rules=Rules(), checks=checks, out_dir=folder / "out")
    return outcome, {check.name: check.objects for check in checks}, folder / "out"


# -- the oracle: the outputs as they were written before ------------------------------------


def old_csv(findings):
    table = findings_table(findings)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.header)
    score = table.header.index("Score")
    for row in table.rows:
        value = row[score]
        row[score] = "" if value is None else f"{value:.3f}"
        row[table.mapped :] = [formula_guarded(cell) for cell in row[table.mapped :]]
        writer.writerow(row)
    return out.getvalue().encode()


def old_csvs(checks, findings):
    by_check = {name: [] for name in checks}
    by_object = {name: {sobject: [] for sobject in objects} for name, objects in checks.items()}
    for item in findings:
        by_check.setdefault(item.check, []).append(item)
        by_object.setdefault(item.check, {}).setdefault(item.sobject, []).append(item)
    files = {
        object_csv_name(name, sobject): old_csv(mine)
        for name, objects in by_object.items()
        for sobject, mine in objects.items()
    }
    files.update({f"{name}.csv": old_csv(mine) for name, mine in by_check.items()})
    return files


def old_workbook(path, checks, findings, instance_url):  # noqa: C901 (kept as it was)
    import xlsxwriter  # noqa: PLC0415

    by_check = {name: [] for name in checks}
    for item in findings:
        by_check.setdefault(item.check, []).append(item)
    options = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "constant_memory": True,
    }
    workbook = xlsxwriter.Workbook(str(path), options)
    header_format = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEF2F7"})
    score_format = workbook.add_format({"num_format": "0.000"})
    for name, sheet_name in zip(by_check, sheet_names(by_check), strict=True):
        table = _people_first(findings_table(by_check[name]))
        sheet = workbook.add_worksheet(sheet_name)
        score = table.header.index("Score")
        for column, width in enumerate(_widths(table)):
            sheet.set_column(column, column, width, score_format if column == score else None)
        for column, title in enumerate(table.header):
            sheet.write_string(0, column, title, header_format)
        links = 0
        for number, (row, item) in enumerate(zip(table.rows, by_check[name], strict=True), start=1):
            url = lightning_url(instance_url, item.sobject, item.record_id) if links < MAX_LINKS else None
            if url is not None:
                sheet.write_url(number, 0, url, string=item.record_id)
                links += 1
            else:
                sheet.write_string(number, 0, item.record_id)
            for column, cell in enumerate(row[1:], start=1):
                if cell is None or cell == "":
                    continue
                if isinstance(cell, bool):
                    sheet.write_boolean(number, column, cell)
                elif isinstance(cell, int | float):
                    sheet.write_number(number, column, cell)
                else:
                    sheet.write_string(number, column, _fit(cell))
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, len(table.rows), len(table.header) - 1)
    workbook.close()


def old_ordered(items, *, limit=None):
    """evidence.ordered as it was: every finding sorted, then the first ``limit`` taken by the caller."""
    rank = {"high": 3, "medium": 2, "low": 1, "info": 0}

    def key(pair):
        index, item = pair
        age = next(
            (
                float(value)
                for key, value in (item.get("evidence") or {}).items()
                if (key.startswith("days_") or key.endswith("_days"))
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ),
            None,
        )
        created = (item.get("evidence") or {}).get("CreatedDate")
        return (
            -rank.get(str(item.get("severity")), -1),
            -age if age is not None else math.inf,
            str(created) if isinstance(created, str) and created else "\uffff",
            -float(item.get("score") or 0),
            index,
        )

    return [item for _, item in sorted(enumerate(items), key=key)][:limit]


def parts(path):
    """A workbook's parts, less the moment it was made (docProps/core.xml dates it)."""
    with zipfile.ZipFile(path) as archive:
        found = {name: archive.read(name) for name in archive.namelist()}
    found["docProps/core.xml"] = re.sub(
        rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"", found["docProps/core.xml"]
    )
    return found


# -- the comparisons --------------------------------------------------------------------------


def test_every_csv_is_the_same_bytes_as_before(audited):
    """Each per-object and check-wide CSV, taken from its check's one table, is what rendering it alone gave."""
    outcome, checks, folder = audited
    expected = old_csvs(checks, outcome.result.findings)
    written = sorted(path.name for path in folder.glob("*.csv"))
    assert written == sorted(expected)
    assert {name: (folder / name).read_bytes() for name in written} == expected
    # Both ways of taking an object's file from its check's are exercised: a narrower header
    # (an object without some of the check's columns), and an object holding every finding.
    narrower = [
        name
        for name in expected
        if name.count(".") == 2
        and expected[name].split(b"\r\n")[0] != expected[name.split(".")[0] + ".csv"].split(b"\r\n")[0]
    ]
    assert narrower
    assert any(expected[name] == expected[name.split(".")[0] + ".csv"] for name in expected if name.count(".") == 2)


def test_the_workbook_written_by_the_worker_has_the_same_sheets_as_before(audited, tmp_path):
    """findings.xlsx from the worker process holds the same parts as the old in-process writer's, byte for byte."""
    outcome, checks, folder = audited
    old = tmp_path / "old.xlsx"
    old_workbook(old, list(checks), outcome.result.findings, outcome.result.instance_url)
    assert parts(folder / "findings.xlsx") == parts(old)


def test_findings_json_written_in_batches_is_the_same_bytes_as_rendered_whole(audited):
    """findings.json, streamed a few findings at a time, is findings_json's one-piece rendering."""
    outcome, _, folder = audited
    assert len(outcome.document["findings"]) > 7 * 3  # several batches, the last one short
    assert (folder / "findings.json").read_bytes() == findings_json(outcome.document)


def test_the_reports_sorting_only_the_rows_they_show_are_the_same_as_before(audited, monkeypatch):
    """report.html and report.md pick their most pressing rows as a full sort did, in the same order."""
    outcome, _, folder = audited
    html, md = (folder / "report.html").read_bytes(), (folder / "report.md").read_bytes()
    # Each rendered alone, on its own basis, with the full sort: the files were written from one shared basis.
    monkeypatch.setattr(basis, "ordered", old_ordered)
    assert render_report_html(outcome.document).encode() == html
    assert render_report_markdown(outcome.document).encode() == md


@pytest.mark.parametrize("limit", [0, 1, 5, 30, 10_000])
def test_ordered_with_a_limit_is_the_first_of_the_full_order(audited, limit):
    """The few most pressing, found without sorting the rest, are the first of the full order, ties included."""
    items = audited[0].document["findings"]
    assert evidence.ordered(items, limit=limit) == evidence.ordered(items)[:limit] == old_ordered(items, limit=limit)
