"""`sfbridge demo` ends with report.html (and opens it with --open); `sfbridge report --run` rebuilds one."""

import json
import webbrowser

import pytest
from typer.testing import CliRunner

from sfbridge.cli import app


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
