"""`sfbridge plan` reuses the findings of an audit of the same snapshot, rules and sfbridge, and only those."""

import json
import subprocess
import sys
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import text, update

import sfbridge
import sfbridge.plan
from conftest import copy_store, fixed_clock
from scenario import ORG_TIME, scenario_org, serving
from sfbridge.audit import audit
from sfbridge.checks import CHECKS, select_checks
from sfbridge.demo import load_demo_org
from sfbridge.models import ActionKind
from sfbridge.plan import PlanTarget, make_plan, plan_checks, plan_json, sealed
from sfbridge.pull import PullOptions, pull
from sfbridge.rules import Rules, load_rules
from sfbridge.store.tables import runs
from test_cli import SECRET_ENV, invoke, write_config

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
TARGET = PlanTarget(org="demo", api_version="66.0")


@pytest.fixture
def store(demo_store, tmp_path):
    """A copy of the demo store as its pulls left it (other tests audit and plan on the session's own)."""
    store = copy_store(demo_store, tmp_path / "demo.db")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM run_findings"))
        conn.execute(text("DELETE FROM finding_bodies"))
        conn.execute(text("DELETE FROM runs WHERE command <> 'pull'"))
    return store


@pytest.fixture(scope="module")
def rules():
    return load_rules(load_demo_org().rules)


@pytest.fixture
def audits(monkeypatch):
    """The audits plans run (each call's checks), the real audit still doing the work."""
    calls = []

    def counted(*args, **kwargs):
        calls.append([check.name for check in kwargs["checks"]])
        return audit(*args, **kwargs)

    monkeypatch.setattr(sfbridge.plan, "audit", counted)
    return calls


def audit_all(store, rules, checks=None):
    return audit(store, org="demo", rules=rules, checks=list(checks or CHECKS.values()))


def plan(store, rules, **options):
    return make_plan(store, target=TARGET, rules=rules, now=NOW, **options)


def run_ids(store):
    return [run["id"] for run in store.recent_runs(limit=1000)]


def test_a_plan_after_an_audit_plans_from_its_findings_without_auditing(store, rules, monkeypatch):
    """The audit's run is named in the plan, no new run is written, and the audit is never called."""
    done = audit_all(store, rules)
    before = run_ids(store)

    def refuse(*_args, **_kwargs):
        pytest.fail("the plan audited again")

    monkeypatch.setattr(sfbridge.plan, "audit", refuse)
    told = []
    made = plan(store, rules, on_reuse=told.append)
    assert made.audit_run_id == done.run_id
    assert [(source.run_id, source.command, source.snapshot_at) for source in told] == [
        (done.run_id, "audit", done.snapshot_at)
    ]
    assert run_ids(store) == before
    assert made.actions


def test_the_plan_from_reused_findings_is_the_plan_a_fresh_audit_makes(store, rules):
    """Byte for byte, merges included, apart from the run it names (and so its digest)."""
    fresh = plan(store, rules, reaudit=True)
    done = audit_all(store, rules)
    reused = plan(store, rules)
    assert reused.audit_run_id == done.run_id != fresh.audit_run_id
    assert sum(action.kind is ActionKind.MERGE_RECORDS for action in reused.actions) > 5
    assert plan_json(sealed(fresh.model_copy(update={"audit_run_id": done.run_id}))) == plan_json(reused)


def test_a_runs_findings_read_back_are_exactly_what_its_audit_returned(store, rules):
    """Evidence included (a duplicate master's `merge` outlook), in the audit's order."""
    done = audit_all(store, rules)
    kept = store.load_findings(done.run_id)
    assert [finding.plain for finding in kept] == [finding.plain for finding in done.findings]
    assert any("merge" in finding.evidence for finding in kept)
    some = store.load_findings(done.run_id, checks={"duplicate", "junk_lead"})
    assert [f.plain for f in some] == [f.plain for f in done.findings if f.check in {"duplicate", "junk_lead"}]


def test_a_plan_reuses_the_latest_matching_run_a_plan_run_included(store, rules, audits):
    """A plan's own audit is a run a second plan reuses; the first plan audits only the plan's checks."""
    first = plan(store, rules)
    second = plan(store, rules)
    assert audits == [plan_checks(rules)]
    assert second.audit_run_id == first.audit_run_id
    assert plan_json(second) == plan_json(first)


_PLAN_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
from sfbridge.plan import PlanTarget, make_plan
from sfbridge.rules import load_rules
from sfbridge.store import Store

store, rules = Store.open(sys.argv[1], create=False), load_rules(Path(sys.argv[2]))
plan = make_plan(store, target=PlanTarget(org="demo", api_version="66.0"), rules=rules)
print(json.dumps({"run": plan.audit_run_id, "modules": sorted(sys.modules)}))
"""


def test_a_plan_that_reuses_findings_never_imports_the_audit_stage(store, rules):
    """The checks and the matcher (numpy, scipy, phone geodata) are the audit's: 2 s of a 1M plan, for nothing."""
    done = audit_all(store, rules)
    ran = subprocess.run(  # noqa: S603 (a fresh interpreter: this one imported everything long ago)
        [sys.executable, "-c", _PLAN_IN_A_FRESH_PROCESS, store.url, str(load_demo_org().rules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    told = json.loads(ran.stdout.splitlines()[-1])
    assert told["run"] == done.run_id
    loaded = set(told["modules"])
    assert "sfbridge.plan" in loaded
    assert not loaded & {"sfbridge.audit", "sfbridge.checks", "sfbridge.matching.engine", "scipy"}


def test_changed_rules_audit_again(store, rules, audits):
    audit_all(store, rules)
    changed = rules.model_copy(update={"stale_days": rules.stale_days + 1})
    plan(store, changed)
    assert audits == [plan_checks(changed)]


def test_an_audit_of_fewer_checks_than_the_plans_is_not_reused(store, rules, audits):
    audit_all(store, rules, select_checks(plan_checks(rules)[:-1]))
    plan(store, rules)
    assert len(audits) == 1
    assert plan(store, rules, checks=plan_checks(rules)[:-1]).audit_run_id  # a plan of those checks may reuse it
    assert len(audits) == 1


def test_an_audit_by_another_sfbridge_version_is_not_reused(store, rules, audits, monkeypatch):
    audit_all(store, rules)
    monkeypatch.setattr(sfbridge, "__version__", "99.0.0")
    plan(store, rules)
    assert len(audits) == 1


@pytest.mark.parametrize("outcome", ["failed", "interrupted"])
def test_a_run_that_did_not_end_ok_is_never_reused(store, rules, audits, outcome):
    """Even with its findings and details all there (the outcome alone differs)."""
    done = audit_all(store, rules)
    with store.engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == done.run_id).values(outcome=outcome))
    plan(store, rules)
    assert len(audits) == 1


def test_a_failed_audit_is_not_reused(store, rules, audits, monkeypatch):
    def broken(*_args, **_kwargs):
        msg = "disk full"
        raise RuntimeError(msg)

    monkeypatch.setattr("sfbridge.audit.with_names", broken)
    with pytest.raises(RuntimeError):
        audit_all(store, rules)
    monkeypatch.undo()
    monkeypatch.setattr(sfbridge.plan, "audit", lambda *a, **k: audits.append(k["checks"]) or audit(*a, **k))
    assert store.recent_runs(limit=1)[0]["outcome"] == "failed"
    plan(store, rules)
    assert len(audits) == 1


@pytest.mark.parametrize("details", [None, {"match_model": None}, "not an object"])
def test_runs_of_an_older_sfbridge_are_not_reused_and_do_not_break_the_plan(store, rules, audits, details):
    """Their details have no basis, or none at all: the plan audits, as before reuse existed."""
    done = audit_all(store, rules)
    with store.engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == done.run_id).values(details=details))
    assert plan(store, rules).actions
    assert len(audits) == 1


def test_reaudit_audits_even_when_a_run_could_be_reused(store, rules, audits):
    done = audit_all(store, rules)
    made = plan(store, rules, reaudit=True)
    assert len(audits) == 1
    assert made.audit_run_id > done.run_id


def lead(number, **values):
    return {
        "Id": f"00Q9P0000Rz{number:04d}AAA",
        "LastName": f"Person {number}",
        "Company": "Acme",
        "Status": "Open - Not Contacted",
        "LeadSource": None,
        "IsConverted": False,
        "OwnerId": "0059P0000Am3kw2QQA",
        "CreatedDate": "2026-01-05T10:00:00.000+0000",
        "SystemModstamp": "2026-01-05T10:00:00.000+0000",
        "LastModifiedDate": "2026-01-05T10:00:00.000+0000",
        "IsDeleted": False,
    } | values


def test_a_pull_that_found_nothing_new_still_changes_the_snapshot_and_the_plan_audits_again(
    sqlite_store, gateway_factory, audits
):
    """Any pull: a later one moves the moment ages are measured from, so findings may change with no record changed.

    Here the org's clock stands still, so even the moment stays: the pull alone changes the token.
    """
    org = scenario_org([lead(n) for n in range(1, 4)])
    objects = ["User", "LeadStatus", "Lead"]
    options = PullOptions(clock=fixed_clock(ORG_TIME))
    scenario_rules = Rules()
    with serving(org):
        pull(gateway_factory(), sqlite_store, org="scenario", objects=objects, options=options)
        token, rows = sqlite_store.snapshot_token(), list(sqlite_store.rows("Lead", include_deleted=True))
        assert sqlite_store.snapshot_token() == token  # reading it changes nothing
        first = make_plan(sqlite_store, target=TARGET, rules=scenario_rules, now=NOW)
        assert make_plan(sqlite_store, target=TARGET, rules=scenario_rules, now=NOW).audit_run_id == first.audit_run_id
        assert len(audits) == 1
        pull(gateway_factory(), sqlite_store, org="scenario", objects=objects, options=options)
    assert list(sqlite_store.rows("Lead", include_deleted=True)) == rows
    assert sqlite_store.snapshot_token() != token
    again = make_plan(sqlite_store, target=TARGET, rules=scenario_rules, now=NOW)
    assert len(audits) == 2
    assert again.audit_run_id > first.audit_run_id


def test_the_snapshot_token_follows_the_mirrors_rows_and_state(store):
    """A row written outside a pull (an import, say) changes it too; a run that reads does not."""
    token = store.snapshot_token()
    run_id = store.start_run("audit", org="demo", started_at=NOW)
    store.finish_run(run_id, outcome="ok", finished_at=NOW)
    assert store.snapshot_token() == token
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sf_lead (Id, _synced_at) VALUES ('00Q9P0000Zz0001AAA', '2026-11-02 09:00:00.000000')"
        )
    assert store.snapshot_token() != token


def test_plan_offline_after_audit_says_whose_findings_it_reuses_and_reaudit_audits(tmp_path):
    """On stderr, the run reused; in --json, the run the findings came from and whether they were reused."""
    store = str(tmp_path / "demo.db")
    assert invoke("demo", "--store", store, "--out", str(tmp_path / "demo-out")).exit_code == 0
    config = write_config(tmp_path, rules=str(load_demo_org().rules))
    common = ["--offline", "--config", str(config), "--store", store]
    audited = invoke("audit", *common, "--out", str(tmp_path / "out"), "--json", env=SECRET_ENV)
    assert audited.exit_code in {0, 1}, audited.output
    audit_run = json.loads(audited.stdout)["run_id"]
    made = invoke("plan", *common, "-o", str(tmp_path / "plan.json"), "--json", env=SECRET_ENV)
    assert made.exit_code == 0, made.output
    assert f"Findings from audit run {audit_run} (same snapshot and rules)" in made.stderr
    assert "--reaudit" in made.stderr
    summary = json.loads(made.stdout)
    assert (summary["audit_run_id"], summary["findings_reused"]) == (audit_run, True)
    assert json.loads((tmp_path / "plan.json").read_text())["audit_run_id"] == audit_run
    fresh = invoke("plan", *common, "--reaudit", "-o", str(tmp_path / "fresh.json"), "--json", env=SECRET_ENV)
    assert fresh.exit_code == 0, fresh.output
    assert "Findings from" not in fresh.stderr
    again = json.loads(fresh.stdout)
    assert again["findings_reused"] is False
    assert again["audit_run_id"] > audit_run
    assert again["actions"] == summary["actions"]


def test_a_snapshot_of_only_some_records_holds_them_as_the_whole_snapshot_does(demo_store):
    """The plan reads the records its findings name by Id: the same rows, typed the same, as a full load."""
    fields = {sobject: demo_store.state(sobject).columns for sobject in ("Lead", "Contact", "LeadStatus")}
    whole = demo_store.load_snapshot(fields)
    leads = whole.frame("Lead")["Id"].sort().to_list()[::7]
    some = demo_store.load_snapshot(fields, only={"Lead": [*leads, "00Q000000000000AAA"], "Contact": []})
    assert some.frame("Lead").sort("Id").equals(whole.frame("Lead").filter(pl.col("Id").is_in(leads)).sort("Id"))
    assert some.frame("Lead").schema == whole.frame("Lead").schema
    assert some.frame("Contact").is_empty()
    assert some.frame("Contact").schema == whole.frame("Contact").schema
    assert some.frame("LeadStatus").sort("Id").equals(whole.frame("LeadStatus").sort("Id"))  # not named: whole


def test_an_online_plan_pulls_first_and_so_audits_the_mirror_it_pulled(tmp_path):
    """The pull changes the snapshot token: the audit just before it is not reused."""
    common = ["--config", str(write_config(tmp_path)), "--store", str(tmp_path / "s.db")]
    with serving(scenario_org([lead(n) for n in range(1, 4)])):
        audited = invoke("audit", *common, "--out", str(tmp_path / "out"), "--json", env=SECRET_ENV)
        assert audited.exit_code in {0, 1}, audited.output
        made = invoke("plan", *common, "-o", str(tmp_path / "plan.json"), "--json", env=SECRET_ENV)
    assert made.exit_code == 0, made.output
    assert "Findings from" not in made.stderr
    summary = json.loads(made.stdout)
    assert summary["findings_reused"] is False
    assert summary["audit_run_id"] > json.loads(audited.stdout)["run_id"]
