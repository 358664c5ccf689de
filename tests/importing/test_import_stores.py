"""Imports and their stores: a Data Loader set, one org per store, PostgreSQL, the commands that read it after."""

from __future__ import annotations

import json

import pytest
from importing_helpers import DATALOADER, DEMO_ORG_ID, EXPORT_ZIP, run_import, runner, write_config

from sfbridge.audit import audit
from sfbridge.checks import select_checks
from sfbridge.cli import app
from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.credentials import REPLAY_SECRETS
from sfbridge.demo import load_demo_org
from sfbridge.errors import ImportFileError, StoreError, UsageError
from sfbridge.ids import to_18
from sfbridge.importing import import_export
from sfbridge.models import ColumnKind
from sfbridge.pull import PullOptions, pull
from sfbridge.rules import load_rules
from sfbridge.salesforce import connect, replay_transport
from sfbridge.schema import IMPORT_CURSOR
from sfbridge.store import Store

OTHER_ORG = to_18("00D5g000004Abcd")


def test_a_data_loader_set_imports_with_the_org_named(tmp_path):
    """lead.csv, contact_export.csv, Account-extract.csv ...: read by name, typed alike, the missing objects named."""
    store = Store.open(str(tmp_path / "dl.db"))
    report = import_export(DATALOADER, store, org="client", org_id=DEMO_ORG_ID)
    rows = {item.sobject: item.rows for item in report.objects}
    assert rows == {"Lead": 300, "Contact": 200, "Account": 200, "User": 30, "LeadStatus": 6}
    assert report.missing == ("Group", "Opportunity", "Task", "LeadHistory")
    assert report.org_id_from == "--org-id"
    contact = next(item for item in report.objects if item.sobject == "Contact")
    assert contact.file == "contact_export.csv"  # its byte-order mark did not hide the Id column
    lead = next(store.rows("Lead"))
    assert isinstance(lead["IsConverted"], bool)
    assert lead["CreatedDate"].tzinfo is not None


def test_checks_say_what_a_missing_file_costs(tmp_path):
    """Without Task.csv the audit still runs, and a never-touched lead's evidence says Task is not in the store."""
    store = Store.open(str(tmp_path / "dl.db"))
    import_export(DATALOADER, store, org="client", org_id=DEMO_ORG_ID)
    result = audit(store, org="client", rules=load_rules(load_demo_org().rules), checks=select_checks(None))
    untouched = [f for f in result.findings if f.check == "never_touched_lead"]
    assert untouched
    assert all("Task is not in the store (not pulled, or no file for it" in f.evidence["tasks"] for f in untouched)


def test_another_orgs_export_is_refused_and_the_store_kept(tmp_path):
    """A store bound to the demo org by its import refuses another org's export, as a pull of it is refused."""
    store = Store.open(str(tmp_path / "one.db"))
    import_export(EXPORT_ZIP, store, org="client")
    with pytest.raises(StoreError, match=f"mirrors org {DEMO_ORG_ID}, not {OTHER_ORG}"):
        import_export(DATALOADER, store, org="client", org_id=OTHER_ORG)
    assert store.org_id() == DEMO_ORG_ID
    assert store.count("Lead") == 1000
    assert store.state("Task") is not None


def test_importing_again_replaces_the_previous_import(tmp_path):
    """A second import of the same org stands alone: objects it lacks are gone, not left from the first."""
    store = Store.open(str(tmp_path / "again.db"))
    import_export(EXPORT_ZIP, store, org="client")
    import_export(DATALOADER, store, org="client", org_id=DEMO_ORG_ID)
    assert store.count("Lead") == 300
    assert store.state("Task") is None
    fresh = Store.open(str(tmp_path / "again.db"), create=False)
    assert fresh.load_snapshot({"Lead": ["Id"], "Task": ["Id"]}).has("Task") is False


def test_a_pulled_store_is_not_imported_into(pulled_demo):
    """An export is older than a pull's mirror: importing over it is refused, nothing changed."""
    runs_before = pulled_demo.store.recent_runs(limit=50)
    with pytest.raises(UsageError, match="a mirror a pull keeps"):
        import_export(EXPORT_ZIP, pulled_demo.store, org="demo")
    assert pulled_demo.store.recent_runs(limit=50) == runs_before
    assert pulled_demo.store.state("Lead").cursor == "SystemModstamp"


@pytest.mark.postgres
def test_an_import_into_postgresql_is_one_transaction(postgres_url, tmp_path):
    """On PostgreSQL too: a failed import leaves nothing, a good one everything, typed the same as SQLite's."""
    store = Store.open(postgres_url)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "Lead.csv").write_bytes((DATALOADER / "lead.csv").read_bytes())
    good = to_18("0059P000001AbCd")
    bad = good[:15] + ("AAA" if good[15:] != "AAA" else "BBB")  # the case-safe suffix of another Id
    (broken / "User.csv").write_text(f"Id,Name\n{bad},Ann\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"User\.csv, line 2"):
        import_export(broken, store, org="client", org_id=DEMO_ORG_ID)
    assert store.org_id() is None
    assert store.state("Lead") is None
    report = import_export(EXPORT_ZIP, store, org="client")
    assert report.records == 6365
    sqlite = Store.open(str(tmp_path / "same.db"))
    import_export(EXPORT_ZIP, sqlite, org="client")
    for sobject in ("Lead", "Account", "Task"):
        assert _without_write_time(store, sobject) == _without_write_time(sqlite, sobject), sobject


def _without_write_time(store: Store, sobject: str) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != "_synced_at"} for row in store.rows(sobject)]


def test_audit_report_trends_and_plan_work_on_an_imported_store(tmp_path, monkeypatch):
    """The commands that read a store: audit --offline, report --run, trends and plan --offline, after an import."""
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path)
    (tmp_path / "rules.toml").write_bytes(load_demo_org().rules.read_bytes())
    assert run_import(tmp_path, EXPORT_ZIP).exit_code == 0
    common = ["--org", "client", "--config", str(config), "--store", str(tmp_path / "store.db")]
    audited = runner.invoke(app, ["audit", *common, "--offline", "--json", "--out", "out"], catch_exceptions=False)
    assert audited.exit_code == 0, audited.output
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert findings["summary"]["total"] == 265
    assert findings["org"]["org_id"] == DEMO_ORG_ID
    assert findings["snapshot_at"] == "2026-11-02T12:00:00Z"
    run_id = findings["run_id"]
    reported = runner.invoke(app, ["report", *common, "--run", str(run_id), "--out", "rebuilt"], catch_exceptions=False)
    assert reported.exit_code == 0, reported.output
    assert "265" in (tmp_path / "rebuilt" / "report.html").read_text(encoding="utf-8")
    trends = runner.invoke(app, ["trends", *common, "--json"], catch_exceptions=False)
    assert trends.exit_code == 0, trends.output
    planned = runner.invoke(app, ["plan", *common, "--offline", "-o", "plan.json"], catch_exceptions=False)
    assert planned.exit_code == 0, planned.output
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan["org_id"] == DEMO_ORG_ID
    assert plan["actions"]


def _pull_demo(store: Store) -> None:
    """Both recorded pulls of the demo org into ``store`` (the requests a fresh store's pulls send)."""
    demo = load_demo_org()
    transport = replay_transport(demo.profile, config_dir=demo.folder)
    for moment in demo.runs:
        gateway = connect(demo.profile, REPLAY_SECRETS, transport=transport)
        options = PullOptions(page_size=demo.profile.page_size, clock=lambda moment=moment: moment)
        pull(gateway, store, org="demo", objects=demo.profile.objects, options=options)


def test_the_first_pull_of_the_org_takes_the_imported_store_over(tmp_path, pulled_demo):
    """An imported store, pulled: every object read whole, typed by describe, no row twice; the import's audit kept."""
    store = Store.open(str(tmp_path / "handover.db"))
    import_export(DATALOADER, store, org="demo", org_id=DEMO_ORG_ID)
    assert store.state("Lead").columns["Lead_Score__c"] is ColumnKind.NUMBER  # from its values
    before = audit(store, org="demo", rules=load_rules(load_demo_org().rules), checks=select_checks(None))
    _pull_demo(store)
    for sobject in DEFAULT_OBJECTS:
        state, pulled_state = store.state(sobject), pulled_demo.store.state(sobject)
        assert state.cursor == pulled_state.cursor != IMPORT_CURSOR
        assert state.columns == pulled_state.columns, sobject
        rows = list(store.rows(sobject, include_deleted=True))
        assert rows == list(pulled_demo.store.rows(sobject, include_deleted=True)), sobject
        assert len({row["Id"] for row in rows}) == len(rows)
    assert store.described("Lead") == pulled_demo.store.described("Lead")
    assert store.load_findings(before.run_id)  # the audit of the import stays, for trends
    assert [run["command"] for run in reversed(store.recent_runs(limit=10))][:2] == ["import", "audit"]


def test_a_pull_of_another_org_is_refused_by_an_imported_store(tmp_path):
    """The import bound the store to its org: a pull of the demo org into it is refused, nothing changed."""
    store = Store.open(str(tmp_path / "other.db"))
    import_export(DATALOADER, store, org="client", org_id=OTHER_ORG)
    with pytest.raises(StoreError, match=f"mirrors org {OTHER_ORG}, not {DEMO_ORG_ID}"):
        _pull_demo(store)
    assert store.state("Lead").cursor == IMPORT_CURSOR
    assert store.count("Lead") == 300
