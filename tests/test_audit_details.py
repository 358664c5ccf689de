"""An audit keeps how its duplicates were scored with its run, in findings.json and in both reports."""

import json

import pytest

from conftest import copy_store
from sfbridge.checks import select_checks
from sfbridge.cli.auditing import run_audit
from sfbridge.matching import Matching
from sfbridge.rules import Rules


@pytest.fixture
def store(demo_store, tmp_path):
    """A copy of the demo store (the session's own stays as it was)."""
    return copy_store(demo_store, tmp_path / "demo.db")


def test_an_audit_with_the_duplicate_check_keeps_its_model_everywhere(store, tmp_path):
    """The run's details, findings.json, report.html and report.md all carry the model the audit scored with."""
    outcome = run_audit(store, org="demo", rules=Rules(), checks=select_checks(["duplicate"]), out_dir=tmp_path)
    model = outcome.result.match_model
    assert model is not None
    assert store.run_details(outcome.result.run_id)["match_model"] == model
    assert json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))["match_model"] == model
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="match-model"' in page
    assert page.count('data-comparison="') == len(model["comparisons"])
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## How duplicates were scored" in markdown
    assert "Why they matched" in markdown


def test_an_audit_without_duplicate_checks_keeps_no_model_and_never_matches(store, tmp_path, monkeypatch):
    """No duplicate check: match_model is null in the run and findings.json, and no pair is ever scored."""

    def refuse(_matching):
        pytest.fail("the duplicate search ran")

    monkeypatch.setattr(Matching, "candidates", property(refuse))
    checks = select_checks(["stale_lead", "invalid_email"])
    outcome = run_audit(store, org="demo", rules=Rules(), checks=checks, out_dir=tmp_path)
    assert outcome.result.match_model is None
    assert store.run_details(outcome.result.run_id)["match_model"] is None
    assert json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))["match_model"] is None
    assert 'id="match-model"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "How duplicates were scored" not in (tmp_path / "report.md").read_text(encoding="utf-8")
