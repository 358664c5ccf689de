"""`sfbridge demo` ends with report.html (and opens it with --open); `sfbridge report --run` rebuilds one."""

import contextlib
import json
import re
import sqlite3
import webbrowser

import pytest
import sqlalchemy
from typer.testing import CliRunner

from sfbridge.cli import app
from sfbridge.cli.reporting import stored_audit_document
from sfbridge.rules import Rules
from sfbridge.store import Store


def invoke(*args: str):
    return CliRunner().invoke(app, [*args, "--log-format", "json"])


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """A demo replayed into a kept store: (store path, output folder, the audit's run id)."""
    folder = tmp_path_factory.mktemp("demo")
    store, out = folder / "demo.db", folder / "out"
    result = invoke("demo", "--json", "--store", str(store), "--out", str(out))
    assert result.exit_code == 0, result.output
    return store, out, json.loads(result.stdout)["audit"]["run_id"]


def test_demo_writes_report_html_prints_its_path_and_opens_it(tmp_path, monkeypatch):
    """The demo's last line is the report's path; --open hands its file URL to the web browser."""
    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    out = tmp_path / "out"
    result = invoke("demo", "--out", str(out), "--open")
    assert result.exit_code == 0, result.output
    report = out / "report.html"
    assert f"HTML report: {report}" in result.stdout.replace("\n", "")
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert opened == [report.resolve().as_uri()]


def test_report_rebuilds_a_stored_audit_without_its_profile(demo_run, tmp_path):
    """The rebuilt page has the stored run's findings and says the profile is not available."""
    store, out, run_id = demo_run
    result = invoke("report", "--run", str(run_id), "--store", str(store), "--out", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == [str(tmp_path / "report.html")]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    total = json.loads((out / "findings.json").read_text(encoding="utf-8"))["summary"]["total"]
    assert f'data-total="{total}"' in page
    assert 'id="no-profile"' in page
    assert f"<dt>Audit run</dt><dd>{run_id}</dd>" in page


@pytest.mark.parametrize("run", ["1", "999"])
def test_report_refuses_a_run_that_is_not_a_finished_audit(demo_run, tmp_path, run):
    """A pull run (the demo's first) or a missing run is a usage error naming --run."""
    store, _, _ = demo_run
    result = invoke("report", "--run", run, "--store", str(store), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert f"--run {run}" in result.output
    assert not (tmp_path / "report.html").exists()


COMPARISONS = {"first", "last", "email", "phone", "birthdate", "country", "place"}
MODEL_SECTION = re.compile(r'<section class="check" id="match-model">.*?</section>', re.DOTALL)


def test_the_demo_audit_keeps_its_match_model_in_findings_json_and_the_run(demo_run):
    """findings.json's match_model is the one stored with the run; the demo is too small to learn from, and says so."""
    store, out, run_id = demo_run
    model = json.loads((out / "findings.json").read_text(encoding="utf-8"))["match_model"]
    assert set(model["comparisons"]) == COMPARISONS
    assert model["converged"] is True
    assert (model["learned"], model["hand_set_reason"]) == (False, "too_few_pairs")
    assert 0 < model["candidate_pairs"] < model["min_training_pairs"]
    opened = Store.open(str(store), create=False)
    assert opened.run_details(run_id)["match_model"] == model
    assert stored_audit_document(opened, run_id, rules=Rules())["match_model"] == model


def test_report_rebuilds_the_same_match_model_section_and_waterfalls(demo_run, tmp_path):
    """`sfbridge report` reads the model from the run, not from a new fit: the section is the audit's own."""
    store, out, run_id = demo_run
    result = invoke("report", "--run", str(run_id), "--store", str(store), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    rebuilt = (tmp_path / "report.html").read_text(encoding="utf-8")
    original = (out / "report.html").read_text(encoding="utf-8")
    section = MODEL_SECTION.search(rebuilt)
    assert section is not None
    assert section.group(0) == MODEL_SECTION.search(original).group(0)
    assert "too few pairs to learn from" in section.group(0)
    assert rebuilt.count('class="waterfall"') == original.count('class="waterfall"') > 0


@pytest.mark.parametrize("damage", ["drop the column", "null", "not an object"])
def test_an_older_store_or_run_without_a_model_still_reports(demo_run, tmp_path, damage):
    """A store from before runs kept details gains the column; a run without a model says so and reports the rest."""
    store, _, run_id = demo_run
    old = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(store)) as source, contextlib.closing(sqlite3.connect(old)) as copy:
        source.backup(copy)  # the store may be in WAL mode: a file copy could miss its last writes
    engine = sqlalchemy.create_engine(f"sqlite:///{old}")
    with engine.begin() as conn:
        if damage == "drop the column":
            conn.execute(sqlalchemy.text("ALTER TABLE runs DROP COLUMN details"))
        else:
            value = "null" if damage == "null" else '"oops"'
            update = sqlalchemy.text("UPDATE runs SET details = :value WHERE id = :run")
            conn.execute(update, {"value": value, "run": run_id})
    engine.dispose()
    result = invoke("report", "--run", str(run_id), "--store", str(old), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="no-match-model"' in page
    assert 'id="model-how"' not in page
    assert 'class="waterfall"' in page  # each duplicate's own weights travel with its findings
