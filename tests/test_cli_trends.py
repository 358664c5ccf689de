"""Audits over time and across orgs from the command line: report.md, trends, `sfbridge trends`, several orgs."""

import json
import shutil
import sqlite3

import pytest

from recorded import replay
from sfbridge.report.trends import audit_trends
from sfbridge.store import Store
from test_cli import INSTANCE, REPO, SECRET_ENV, invoke

RULES = str(REPO / "fixtures/demo-org/rules.toml")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The demo org replayed into a SQLite file once; each test audits a copy of it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = invoke("demo", "--store", str(path), "--out", str(path.parent / "out"))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as db:  # fold the write-ahead log into the file, so a copy is whole
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def copy_of(demo_db, tmp_path, name="store.db"):
    target = tmp_path / name
    shutil.copy(demo_db, target)
    return str(target)


def config_of(tmp_path, orgs):
    """A config with one client-credentials profile per (name, extra keys); `demo` replays the demo org."""
    lines = []
    for name, values in orgs.items():
        lines.append(f"[orgs.{name}]")
        if name == "demo":
            lines += ['auth = "client_credentials"', 'login_url = "https://sfbridge-demo.my.salesforce.com"']
            lines += ['replay = "demo"', 'store = ":memory:"']
        else:
            lines += ['auth = "client_credentials"', f'login_url = "{INSTANCE}"', 'consumer_key = "3MVG9scenario"']
        lines += [f'{key} = "{value}"' for key, value in values.items()]
        lines += [f"[orgs.{name}.network]", "backoff_initial = 0.0", "backoff_max = 0.0", "max_attempts = 1"]
    path = tmp_path / "sfbridge.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def change_lead_sources(store):
    """Fill the LeadSource of one lead flagged for missing it, and blank another open lead's."""
    with sqlite3.connect(store) as db:
        fixed = db.execute(
            "SELECT record_id FROM finding_bodies WHERE check_name = 'missing_lead_source' AND sobject = 'Lead' LIMIT 1"
        ).fetchone()[0]
        db.execute("UPDATE sf_lead SET LeadSource = 'Web' WHERE Id = ?", (fixed,))
        blanked = db.execute(
            "SELECT Id FROM sf_lead WHERE LeadSource IS NOT NULL AND NOT IsConverted AND _deleted_at IS NULL "
            "ORDER BY Id LIMIT 1"
        ).fetchone()[0]
        db.execute("UPDATE sf_lead SET LeadSource = NULL WHERE Id = ?", (blanked,))
    return fixed, blanked


def test_audit_writes_reports_and_compares_with_the_previous_audit(demo_db, tmp_path):
    """A first audit has no trends; after a record changes, the next one counts new and resolved findings."""
    store, out = copy_of(demo_db, tmp_path), tmp_path / "out"
    args = ["audit", "--offline", "--config", str(config_of(tmp_path, {"scenario": {"rules": RULES}}))]
    args += ["--store", store, "--out", str(out)]
    first = invoke(*args, "--json", env=SECRET_ENV)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["trends"] is None  # the demo's own audit is not an `audit` run
    assert {"report.md", "report.html", "findings.json"} <= {path.name for path in out.iterdir()}
    assert "first audit of this org" in (out / "report.md").read_text(encoding="utf-8")
    change_lead_sources(store)
    second = invoke(*args, env=SECRET_ENV)
    assert second.exit_code == 0, second.output
    assert "Since the previous audit" in second.stderr
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert document["schema_version"] == 1
    trends = document["trends"]
    assert trends["previous_run_id"] == json.loads(first.stdout)["run_id"]
    assert trends["by_check"]["missing_lead_source"]["new"] == 1
    assert trends["by_check"]["missing_lead_source"]["resolved"] == 1
    assert trends["totals"]["new"] >= 1
    assert trends["totals"]["resolved"] >= 1
    assert "| +1 new, 1 resolved |" in (out / "report.md").read_text(encoding="utf-8")
    # The audit read the earlier run's findings it found again by their digests: the same
    # trends as reading every one of them from its body.
    kept = Store.open(store, create=False)
    with sqlite3.connect(store) as db:  # the two audits share findings: some identities came from known
        (shared,) = db.execute(
            "SELECT COUNT(*) FROM run_findings a JOIN run_findings b ON a.digest = b.digest "
            "WHERE a.run_id = ? AND b.run_id = ?",
            (trends["previous_run_id"], document["run_id"]),
        ).fetchone()
    assert shared > 0
    checks = list(trends["by_check"])
    read_whole = audit_trends(
        kept.audit_runs(before=document["run_id"]),
        current=kept.finding_keys(document["run_id"]),
        checks=checks,
        load_keys=kept.finding_keys,
    )
    assert read_whole == trends


def test_trends_prints_the_series_and_what_the_last_audit_changed(demo_db, tmp_path):
    """`trends` lists every audit (not plan runs) with counts per check, and new/resolved for the last."""
    store = copy_of(demo_db, tmp_path)
    config = str(config_of(tmp_path, {"scenario": {"rules": RULES}}))
    common = ["--config", config, "--store", store]
    assert invoke("audit", "--offline", *common, "--out", str(tmp_path / "a"), env=SECRET_ENV).exit_code == 0
    plan = invoke("plan", "--offline", *common, "-o", str(tmp_path / "plan.json"), env=SECRET_ENV)
    assert plan.exit_code == 0, plan.output
    change_lead_sources(store)
    audit_args = ["audit", "--offline", *common, "--out", str(tmp_path / "b"), "--checks", "missing_lead_source"]
    assert invoke(*audit_args, env=SECRET_ENV).exit_code == 0
    result = invoke("trends", *common, "--json", env=SECRET_ENV)
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)
    assert [run["command"] for run in series["runs"]] == ["audit", "audit"]
    assert series["runs"][1]["counts"]["stale_lead"] is None  # the second audit ran one check
    assert series["latest"]["by_check"] == {
        "missing_lead_source": {
            "new": 1,
            "resolved": 1,
            "still_open": 17,
            "previous_run_id": series["runs"][0]["run_id"],
        }
    }
    table = invoke("trends", *common, "--checks", "missing_lead_source,stale_lead", env=SECRET_ENV)
    assert table.exit_code == 0, table.output
    rows = {line.split("│")[1].strip(): line for line in table.stdout.splitlines() if line.count("│") > 2}
    assert "missing_lead_source" in rows
    assert "new" in table.stdout
    assert "resolved" in table.stdout
    # missing_lead_source: 18 then 18 findings, 1 new and 1 resolved in the last audit
    assert [cell.strip() for cell in rows["missing_lead_source"].split("│")[2:6]] == ["18", "18", "1", "1"]


def test_trends_of_an_org_never_audited_says_so(tmp_path):
    """No audits yet: a message, an empty series, exit 0."""
    Store.open(str(tmp_path / "empty.db"))  # pulled, say, but never audited
    common = ["--config", str(config_of(tmp_path, {"scenario": {}})), "--store", str(tmp_path / "empty.db")]
    assert "No audits of scenario" in invoke("trends", *common, env=SECRET_ENV).stderr
    assert json.loads(invoke("trends", *common, "--json", env=SECRET_ENV).stdout)["runs"] == []


def test_all_orgs_audits_each_into_its_folder_indexes_them_and_exits_with_the_worst_code(demo_db, tmp_path):
    """Each org gets <out>/<org>/; a failing org is in the index; the demo profile is left out; worst code wins."""
    orgs = {
        "acme": {"store": copy_of(demo_db, tmp_path, "acme.db"), "rules": RULES},
        "globex": {"store": str(tmp_path / "never-pulled.db")},
        "demo": {},
    }
    out = tmp_path / "reports"
    args = ["audit", "--all-orgs", "--offline", "--config", str(config_of(tmp_path, orgs)), "--out", str(out)]
    result = invoke(*args, "--json", env=SECRET_ENV)
    assert result.exit_code == 2, result.output  # globex's empty store is a usage error
    outcome = json.loads(result.stdout)
    assert [(org["org"], org["status"], org["exit_code"]) for org in outcome["orgs"]] == [
        ("acme", "ok", 0),
        ("globex", "error", 2),
    ]
    assert "recorded demo orgs" in result.stderr
    assert (out / "acme" / "findings.json").is_file()
    assert (out / "acme" / "report.md").is_file()
    assert (out / "index.html").is_file()
    index = (out / "index.md").read_text(encoding="utf-8")
    assert "[acme/report.md](acme/report.md)" in index
    assert "| globex | - |" in index
    assert "audit failed: the store" in index
    gated = invoke(*args, "--fail-on", "high", env=SECRET_ENV)
    assert gated.exit_code == 2  # still the worst: 2 beats acme's 1


def test_several_named_orgs_go_on_when_one_login_is_refused(tmp_path):
    """`--org demo --org scenario`: the refused login is reported (exit 3) and the demo org is still audited."""
    config = config_of(tmp_path, {"demo": {}, "scenario": {}})
    out = tmp_path / "reports"
    with replay("auth/client_credentials_invalid_grant"):
        result = invoke(
            "audit", "--org", "demo", "--org", "scenario", "--config", str(config), "--out", str(out), env=SECRET_ENV
        )
    assert result.exit_code == 3, result.output
    assert "Run As" in result.stderr
    assert (out / "demo" / "report.md").is_file()
    assert not (out / "scenario").exists()
    assert "| scenario | - |" in (out / "index.md").read_text(encoding="utf-8")


def test_several_orgs_refuse_store_and_unknown_names_before_auditing_any(tmp_path):
    """--store with several orgs, --all-orgs with --org, and a mistyped org are usage errors (exit 2)."""
    config = str(config_of(tmp_path, {"acme": {}, "globex": {}}))
    out = str(tmp_path / "reports")
    store = invoke("audit", "--org", "acme", "--org", "globex", "--store", "x.db", "--config", config, "--out", out)
    assert store.exit_code == 2
    assert "--store" in store.stderr
    both = invoke("audit", "--all-orgs", "--org", "acme", "--config", config, "--out", out)
    assert both.exit_code == 2
    typo = invoke("audit", "--org", "acme", "--org", "globx", "--config", config, "--out", out)
    assert typo.exit_code == 2
    assert "did you mean 'globex'" in typo.stderr
    assert not (tmp_path / "reports").exists()
