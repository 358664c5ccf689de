"""Audits keep the match model they learned in the store, and later audits of a little-changed org score with it.

Learned again on every audit, every duplicate's score and waterfall moved a little with every
pull (42,687 of 43,279 duplicate findings after 1 % of a million records changed). See
:mod:`sfbridge.matching.kept_model`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from conftest import copy_store, generated_org_store
from kept import write_as_a_pull
from sfbridge.audit import audit
from sfbridge.checks import select_checks
from sfbridge.rules import DuplicateRules, Rules
from sfbridge.store import Store

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
LATER = datetime(2026, 11, 2, 10, tzinfo=UTC)
CHECKS = select_checks(["duplicate"])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    # 10,000 records: fewer, and the org has too few pairs to learn from (hand-set weights).
    return generated_org_store(tmp_path_factory.mktemp("kept-model") / "org.db", snapshot=NOW, records=10_000)


@pytest.fixture
def store(generated, tmp_path):
    return copy_store(generated, tmp_path / "org.db")


def _duplicates(result) -> dict[str, dict]:
    return {item.record_id: item.model_dump(mode="json") for item in result.findings}


def _change_leads(store: Store, duplicates: dict[str, dict], count: int = 10) -> set[str]:
    """New emails for ``count`` Leads of duplicate clusters, written as a pull writes them: their pairs move."""
    changed = sorted(record for record, found in duplicates.items() if found["sobject"] == "Lead")[:count]
    for number, lead_id in enumerate(changed):
        write_as_a_pull(store, "Lead", ["Id", "Email"], [lead_id, f"moved{number}@example.org"], at=LATER)
    return set(changed)


def test_the_next_audit_of_a_little_changed_org_scores_with_the_kept_model(store):
    first = audit(store, org="t", rules=Rules(), checks=CHECKS)
    assert first.match_model["learned"]
    assert first.match_model["kept_from_snapshot"] is None
    changed = _change_leads(store, _duplicates(first))

    second = audit(store, org="t", rules=Rules(), checks=CHECKS)
    model = second.match_model
    assert model["kept_from_snapshot"] == first.snapshot_at.isoformat().replace("+00:00", "Z")
    assert 0 < model["drift"] <= DuplicateRules().relearn_drift
    assert model["comparisons"] == first.match_model["comparisons"]
    assert model["prior_log2_odds"] == first.match_model["prior_log2_odds"]
    # Every duplicate the change did not touch is found again as it was, score and waterfall
    # alike (learned anew, the weights moved with the changed pairs, and every score with them).
    before, after = _duplicates(first), _duplicates(second)
    touched = changed | {
        match["other_id"]
        for found in [*before.values(), *after.values()]
        if found["record_id"] in changed
        for match in found["evidence"]["matches"]
    }
    untouched = [record for record in before if record in after and record not in touched]
    assert len(untouched) > 50
    assert [after[record] for record in untouched] == [before[record] for record in untouched]


def test_a_relearn_drift_of_0_learns_on_every_audit_even_of_the_same_snapshot(store):
    rules = Rules(duplicates=DuplicateRules(relearn_drift=0.0))
    first = audit(store, org="t", rules=rules, checks=CHECKS).match_model
    again = audit(store, org="t", rules=rules, checks=CHECKS).match_model
    assert again["kept_from_snapshot"] is None
    assert again == first
    # Kept all the same: an audit allowed some drift scores with it.
    assert audit(store, org="t", rules=Rules(), checks=CHECKS).match_model["kept_from_snapshot"] is not None


@pytest.mark.parametrize("where", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_store_keeps_one_model_under_its_settings(where, tmp_path, request):
    url = str(tmp_path / "store.db") if where == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store.open(url)
    assert store.load_match_model("a") is None
    store.save_match_model("a", {"prior": 0.1 + 0.2, "m": {"email": {"same": 1e-9}}})
    assert store.load_match_model("a") == {"prior": 0.30000000000000004, "m": {"email": {"same": 1e-9}}}
    assert store.load_match_model("b") is None  # learned under other settings
    store.save_match_model("b", {"prior": 2.0})
    assert store.load_match_model("a") is None
    assert Store.open(url).load_match_model("b") == {"prior": 2.0}


def test_a_store_that_refuses_the_model_fails_no_audit(tmp_path):
    store = Store.open(str(tmp_path / "store.db"))
    with store.engine.begin() as conn:  # a read-only table, as a full disk or a lost lock would refuse
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON sfbridge_meta BEGIN SELECT RAISE(ABORT, 'no'); END"))
    store.save_match_model("a", {"prior": 1.0})  # logged, not raised
    assert store.load_match_model("a") is None


def test_a_damaged_kept_model_reads_as_none(tmp_path):
    store = Store.open(str(tmp_path / "store.db"))
    store.save_match_model("a", {"prior": 1.0})
    with store.engine.begin() as conn:
        conn.execute(text('UPDATE sfbridge_meta SET value = \'{"settings": "a", "form\' WHERE key = \'match_model\''))
    assert store.load_match_model("a") is None
