"""Trends between audits: finding identity, per-check baselines, the series, and the store's audit history."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from sfbridge.models import Finding, Severity
from sfbridge.report.trends import audit_trends, compare_keys, finding_keys, trend_series
from sfbridge.store import Store

AT = datetime(2026, 11, 2, 12, tzinfo=UTC)


def finding(check="junk_lead", record_id="00Q000000000001AAA", sobject="Lead", **overrides):
    values = {
        "check": check,
        "severity": Severity.MEDIUM,
        "sobject": sobject,
        "record_id": record_id,
        "reason": "a reason",
        "suggested_action": "an action",
    }
    values.update(overrides)
    return Finding(**values)


def run(run_id, **counts):
    return {"id": run_id, "command": "audit", "started_at": AT + timedelta(days=run_id), "counts": counts}


def loader(keys_by_run):
    """A fake store's finding_keys: the keys of each run; `.calls` records what was read."""

    def load_keys(run_id, checks):
        load_keys.calls.append((run_id, sorted(checks)))
        return {key for key in keys_by_run[run_id] if key[0] in checks}

    load_keys.calls = []
    return load_keys


def test_compare_keys_counts_new_resolved_and_still_open_per_check():
    """A record flagged before and now is still open; only now is new; only before is resolved."""
    before = [("junk_lead", "Lead", "a"), ("junk_lead", "Lead", "b"), ("stale_lead", "Lead", "a")]
    now = [("junk_lead", "Lead", "b"), ("junk_lead", "Lead", "c"), ("stale_lead", "Lead", "a")]
    assert compare_keys(before, now, checks=["junk_lead", "stale_lead"]) == {
        "junk_lead": {"new": 1, "resolved": 1, "still_open": 1},
        "stale_lead": {"new": 0, "resolved": 0, "still_open": 1},
    }


def test_compare_keys_ignores_other_checks_and_collapses_repeated_keys():
    """A key listed twice counts once, and checks not asked for are left out."""
    now = [("junk_lead", "Lead", "a"), ("junk_lead", "Lead", "a"), ("duplicate", "Lead", "z")]
    assert compare_keys([], now, checks=["junk_lead"]) == {"junk_lead": {"new": 1, "resolved": 0, "still_open": 0}}


def _reference_counts(previous, current, checks):
    """compare_keys as its docstring says it, check by check, the slow plain way."""
    counts = {}
    for check in checks:
        before = {(sobject, record) for name, sobject, record in previous if name == check}
        now = {(sobject, record) for name, sobject, record in current if name == check}
        counts[check] = {"new": len(now - before), "resolved": len(before - now), "still_open": len(now & before)}
    return counts


@pytest.mark.parametrize("as_set", [True, False])
def test_compare_keys_counts_what_comparing_each_check_alone_counts(as_set):
    """Many keys of several checks, some of checks not compared, some repeated, as sets or as lists."""
    rng = random.Random(16)  # noqa: S311 (seeded test data)
    checks = ["junk_lead", "stale_lead", "duplicate", "queue_aging"]

    def keys(size):
        made = [
            (rng.choice(checks), rng.choice(["Lead", "Contact"]), f"00Q{rng.randrange(3000):015d}") for _ in range(size)
        ]
        return set(made) if as_set else made + made[:50]

    previous, current = keys(4000), keys(5000)
    compared = ["junk_lead", "stale_lead", "duplicate", "never_touched_lead"]  # queue_aging left out, one unseen
    assert compare_keys(previous, current, checks=compared) == _reference_counts(previous, current, compared)


def test_finding_identity_is_check_object_and_record_not_group_or_reason():
    """A duplicate whose cluster got a new survivor (group id) and reason is the same finding."""
    before = finding_keys([finding("duplicate", group="00Q000000000001AAA", reason="same email")])
    after = finding_keys([finding("duplicate", group="00Q000000000009AAA", reason="same email and phone")])
    assert compare_keys(before, after, checks=["duplicate"])["duplicate"] == {"new": 0, "resolved": 0, "still_open": 1}


def test_same_id_under_another_object_is_another_finding():
    """The object is part of the identity (a Lead and a Contact are different records)."""
    before = {("invalid_email", "Lead", "x")}
    after = {("invalid_email", "Contact", "x")}
    assert compare_keys(before, after, checks=["invalid_email"])["invalid_email"] == {
        "new": 1,
        "resolved": 1,
        "still_open": 0,
    }


def test_audit_trends_is_none_for_an_orgs_first_audit():
    """No earlier audit: nothing to compare, and nothing is read."""
    load_keys = loader({})
    assert audit_trends([], current={("junk_lead", "Lead", "a")}, checks=["junk_lead"], load_keys=load_keys) is None
    assert load_keys.calls == []


def test_audit_trends_compares_each_check_with_the_latest_audit_that_ran_it():
    """A --checks audit in between does not make the other checks look new; a never-run check is not compared."""
    history = [run(1, junk_lead=2, stale_lead=1), run(2, stale_lead=1)]
    load_keys = loader(
        {
            1: {("junk_lead", "Lead", "a"), ("junk_lead", "Lead", "b"), ("stale_lead", "Lead", "old")},
            2: {("stale_lead", "Lead", "s")},
        }
    )
    current = {("junk_lead", "Lead", "a"), ("stale_lead", "Lead", "s"), ("stale_lead", "Lead", "t")}
    trends = audit_trends(
        history, current=current, checks=["junk_lead", "stale_lead", "duplicate"], load_keys=load_keys
    )
    assert trends["previous_run_id"] == 2
    assert trends["previous_started_at"] == "2026-11-04T12:00:00Z"
    assert trends["by_check"] == {
        "junk_lead": {"new": 0, "resolved": 1, "still_open": 1, "previous_run_id": 1},
        "stale_lead": {"new": 1, "resolved": 0, "still_open": 1, "previous_run_id": 2},
        "duplicate": None,
    }
    assert trends["totals"] == {"new": 1, "resolved": 1, "still_open": 2}
    assert load_keys.calls == [(1, ["junk_lead"]), (2, ["stale_lead"])]  # only the keys each comparison needs


def test_a_check_with_no_findings_before_counts_as_compared():
    """An audit that ran a check and found nothing is a baseline: everything found now is new."""
    trends = audit_trends(
        [run(1, junk_lead=0)], current={("junk_lead", "Lead", "a")}, checks=["junk_lead"], load_keys=loader({1: set()})
    )
    assert trends["by_check"]["junk_lead"] == {"new": 1, "resolved": 0, "still_open": 0, "previous_run_id": 1}


def test_trend_series_lists_counts_per_run_with_gaps_for_checks_not_run():
    """Each audit is a row; a check a run did not run is None, and totals add the shown checks."""
    runs = [run(1, junk_lead=2, stale_lead=5), run(2, stale_lead=3)]
    series = trend_series(runs, latest={"totals": {}})
    assert series["checks"] == ["junk_lead", "stale_lead"]
    assert [entry["counts"] for entry in series["runs"]] == [
        {"junk_lead": 2, "stale_lead": 5},
        {"junk_lead": None, "stale_lead": 3},
    ]
    assert [entry["total"] for entry in series["runs"]] == [7, 3]
    assert series["runs"][0]["started_at"] == "2026-11-03T12:00:00Z"
    assert series["latest"] == {"totals": {}}
    assert trend_series(runs, checks=["stale_lead"])["runs"][0]["total"] == 5


def _audit(store, findings, *, command="audit", outcome="ok", checks=("junk_lead", "stale_lead")):
    run_id = store.start_run(command, org="acme", started_at=AT)
    store.save_findings(run_id, findings)
    counts = {check: sum(1 for item in findings if item.check == check) for check in checks}
    store.finish_run(run_id, outcome=outcome, finished_at=AT, counts=counts)
    return run_id


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_store_lists_successful_audits_in_order_and_reads_finding_keys_narrowly(backend, tmp_path, request):
    """Plan runs, failed audits and pulls are not audits; keys come back per run and per check."""
    url = str(tmp_path / "store.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store.open(url)
    first = _audit(store, [finding(), finding("stale_lead", record_id="00Q000000000002AAA")])
    _audit(store, [finding(record_id="00Q000000000003AAA")], command="plan")
    _audit(store, [], outcome="failed")
    pull = store.start_run("pull", org="acme", started_at=AT)
    store.finish_run(pull, outcome="ok", finished_at=AT, counts={"Lead": {"fetched": 1}})
    second = _audit(store, [finding(record_id="00Q000000000004AAA")])
    assert [entry["id"] for entry in store.audit_runs()] == [first, second]
    assert store.audit_runs()[0]["counts"] == {"junk_lead": 1, "stale_lead": 1}
    assert store.previous_audit_run(second)["id"] == first
    assert store.previous_audit_run(first) is None
    assert store.finding_keys(first) == {
        ("junk_lead", "Lead", "00Q000000000001AAA"),
        ("stale_lead", "Lead", "00Q000000000002AAA"),
    }
    assert store.finding_keys(first, ["stale_lead"]) == {("stale_lead", "Lead", "00Q000000000002AAA")}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_finding_keys_known_by_digest_read_only_the_findings_not_shared(backend, tmp_path, request):
    """An earlier run's identities from a later run's digests where they share findings, the rest from their bodies.

    The same identities as a read of every body; a digest given a stand-in identity shows it
    was taken from ``known``, not read.
    """
    url = str(tmp_path / "store.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store.open(url)
    kept, changed, gone = finding(), finding("stale_lead", record_id="00Q000000000002AAA"), finding(record_id="00Q3")
    earlier = store.start_run("audit", org="acme", started_at=AT)
    store.save_findings(earlier, [kept, changed, gone])
    later = store.start_run("audit", org="acme", started_at=AT)
    now = [kept, changed.with_evidence({"days": 9}), finding(record_id="00Q4")]
    digests = store.save_findings(later, now)
    assert len(set(digests)) == 3
    known = dict(zip(digests, finding_keys_of(now), strict=True))
    assert store.finding_keys(earlier, known=known) == store.finding_keys(earlier)
    assert store.finding_keys(earlier, ["stale_lead"], known=known) == {("stale_lead", "Lead", "00Q000000000002AAA")}
    assert store.finding_keys(earlier, ["junk_lead"], known=known) == set(finding_keys_of([kept, gone]))
    assert store.finding_keys(earlier, known={}) == store.finding_keys(earlier)
    # The shared finding's identity is taken from known, not read: a stand-in shows in its place.
    stand_in = ("junk_lead", "Lead", "taken from known")
    assert store.finding_keys(earlier, known={digests[0]: stand_in}) == {stand_in, *finding_keys_of([changed, gone])}
    assert store.save_findings(store.start_run("audit", org="acme", started_at=AT), []) == []


def test_finding_keys_ask_for_the_unknown_bodies_in_batches(tmp_path, monkeypatch):
    """More findings not shared than one query asks for: every batch's identities come back."""
    monkeypatch.setattr("sfbridge.store.kept_findings._ASK_BATCH", 2)
    store = Store.open(str(tmp_path / "store.db"))
    findings = [finding(record_id=f"00Q00000000000{number}AAA") for number in range(5)]
    run_id = store.start_run("audit", org="acme", started_at=AT)
    store.save_findings(run_id, findings)
    assert store.finding_keys(run_id, known={}) == set(finding_keys_of(findings))


def finding_keys_of(findings):
    return [(item.check, item.sobject, item.record_id) for item in findings]
