"""Running the checks together: people checks last, and the snapshot released as the others finish."""

from pathlib import Path

from sfbridge.checks import CHECKS, fields_needed, run_checks
from sfbridge.rules import load_rules

REPO = Path(__file__).resolve().parents[2]


def test_releasing_the_snapshot_as_checks_finish_changes_no_finding(demo_store):
    """Each check declares what it reads: dropping everything else before the people checks loses nothing."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    checks = list(CHECKS.values())
    fields = fields_needed(checks, rules)
    kept = demo_store.load_snapshot(fields)
    released = demo_store.load_snapshot(fields)
    expected = run_checks(kept, rules=rules, now=kept.taken_at, checks=checks)
    found = run_checks(released, rules=rules, now=released.taken_at, checks=checks, release=True)
    assert [finding.plain for finding in found] == [finding.plain for finding in expected]
    assert {finding.check for finding in found} >= {"duplicate", "premature_conversion", "never_touched_lead"}
    assert released.frames["Task"].is_empty()  # really released: only the people checks' fields stayed
    assert set(released.frames["Lead"].columns) < set(kept.frames["Lead"].columns)


def test_people_fields_are_loaded_for_checks_that_read_people_only():
    """The duplicate check's load includes the people's fields; once the people are built they are not needed."""
    rules = load_rules(None)
    duplicate = [CHECKS["duplicate"]]
    assert "Email" in fields_needed(duplicate, rules)["Lead"]
    assert "Email" not in fields_needed(duplicate, rules, people=False)["Lead"]
    assert "Contact" not in fields_needed([CHECKS["stale_lead"]], rules)
