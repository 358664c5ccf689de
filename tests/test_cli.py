"""The command line: help everywhere, exit codes, the demo, and commands end to end."""

import json
import sqlite3
import tempfile
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from conftest import INSTANCE
from recorded import replay
from scenario import refuse, row, scenario_org, serving, updates_sent
from sfbridge.checks import CHECKS
from sfbridge.cli import app
from sfbridge.plan import plan_json, sealed
from test_apply import convert, lead, lead_id, plan_of, update

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config" / "sfbridge.toml"


def invoke(*args, env=None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def commands():
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from ((f"{name} {sub}", c) for sub, c in command.commands.items())
        yield name, command


@pytest.mark.parametrize(("name", "command"), list(commands()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help(name, command):
    """Every command explains itself and --help works."""
    assert command.help
    result = invoke(*name.split(), "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_demo_replays_both_runs_and_prints_them():
    """`sfbridge demo` pulls the demo org twice (full, then incremental) with no network."""
    result = invoke("demo", "--out", str(Path(tempfile.mkdtemp()) / "out"))
    assert result.exit_code == 0, result.output
    assert "First pull" in result.output
    assert "Incremental pull" in result.output
    assert "LeadHistory" in result.output


def test_demo_json_reports_counts_that_match_the_org(tmp_path):
    """The JSON output has both runs; every object's store matches Salesforce's count."""
    result = invoke("demo", "--json", "--store", str(tmp_path / "demo.db"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    output = json.loads(result.stdout)
    assert output["audit"]["summary"]["total"] > 0
    runs = output["runs"]
    assert len(runs) == 2
    first, second = runs
    assert {o["sobject"]: o["stored"] for o in first["objects"]}["Lead"] == 1000
    assert all(o["stored"] == o["org_count"] for run in runs for o in run["objects"])
    lead = next(o for o in second["objects"] if o["sobject"] == "Lead")
    assert (lead["mode"], lead["deleted"], lead["new_columns"]) == ("incremental", 2, ["Preferred_Language__c"])


def test_demo_refuses_a_store_that_already_holds_runs(tmp_path):
    """Replaying into a used store would ask questions the recording lacks: usage error."""
    store = str(tmp_path / "demo.db")
    assert invoke("demo", "--store", store, "--out", str(tmp_path / "o")).exit_code == 0
    result = invoke("demo", "--store", store)
    assert result.exit_code == 2
    assert "already holds runs" in result.output


def test_pull_of_the_demo_profile_from_the_shipped_config():
    """The shipped config's demo profile replays with the recording's clock."""
    result = invoke("pull", "--org", "demo", "--config", str(CONFIG))
    assert result.exit_code == 0, result.output


def test_config_errors_exit_2_with_the_file_named(tmp_path):
    """A broken config is a usage error (exit 2) naming the file and key, no traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[orgs.x]\nauth = "telepathy"\n', encoding="utf-8")
    result = invoke("pull", "--config", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.output
    assert "orgs.x.auth" in result.output
    assert "Traceback" not in result.output


def write_config(tmp_path: Path, *extra: str, **values: str) -> Path:
    """A scenario-org config file (client credentials, fast retries), with extra profile lines or string keys."""
    lines = [
        "[orgs.scenario]",
        'auth = "client_credentials"',
        f'login_url = "{INSTANCE}"',
        'consumer_key = "3MVG9scenario"',
        *extra,
        *(f'{k} = "{v}"' for k, v in values.items()),
        "[orgs.scenario.network]",
        "backoff_initial = 0.0",
        "backoff_max = 0.0",
        "max_attempts = 3",
    ]
    path = tmp_path / "sfbridge.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SECRET_ENV = {"SFBRIDGE_SCENARIO_CLIENT_SECRET": "scenario-secret"}


def test_auth_check_shows_org_user_version_and_usage(tmp_path):
    """`auth check` logs in and reports who, where, which API and how much of it is used."""
    config = write_config(tmp_path)
    with replay("auth/check"):
        result = invoke("auth", "check", "--config", str(config), "--json", env=SECRET_ENV)
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)
    assert check["org_id"].startswith("00D")
    assert check["username"]
    assert check["api_version"] == "66.0"
    assert check["latest_api_version"] == "66.0"
    assert check["api_limit"] == 15_000
    assert 0 < check["api_used"] < check["api_limit"]
    assert "scenario-secret" not in result.output


def test_auth_check_failure_exits_3_with_an_explanation(tmp_path):
    """A refused login is a Salesforce failure (exit 3) with the cause in plain words."""
    config = write_config(tmp_path)
    with replay("auth/client_credentials_invalid_grant"):
        result = invoke("auth", "check", "--config", str(config), env=SECRET_ENV)
    assert result.exit_code == 3
    assert "Run As" in result.output


def test_missing_secret_exits_2_naming_the_variable(tmp_path):
    """Without its secret the command stops before any request, naming the variable."""
    result = invoke("auth", "check", "--config", str(write_config(tmp_path)), env={})
    assert result.exit_code == 2
    assert "SFBRIDGE_SCENARIO_CLIENT_SECRET" in result.output


def test_pull_stopped_by_the_api_limit_exits_3(tmp_path):
    """REQUEST_LIMIT_EXCEEDED ends the pull with exit 3 and says committed work is kept."""
    config = write_config(tmp_path, store=str(tmp_path / "store.db"))
    with replay("pull/request_limit"):
        result = invoke("pull", "--config", str(config), "--objects", "Lead", env=SECRET_ENV)
    assert result.exit_code == 3
    assert "allowance" in result.output


def test_orgs_lists_profiles_without_secrets(tmp_path):
    """`orgs` shows each profile and which variable is missing, never a secret value."""
    config = write_config(tmp_path)
    result = invoke("orgs", "--config", str(config), "--json", env=SECRET_ENV)
    assert result.exit_code == 0
    (org,) = json.loads(result.stdout)["orgs"]
    assert org["credentials"] == "set in the environment"
    assert "scenario-secret" not in result.output
    missing = invoke("orgs", "--config", str(config), "--json", env={})
    assert "SFBRIDGE_SCENARIO_CLIENT_SECRET" in json.loads(missing.stdout)["orgs"][0]["credentials"]


def test_no_token_reaches_logs_output_or_the_store(tmp_path):
    """The recorded access token appears nowhere sfbridge writes: logs, results, the store file."""
    store = tmp_path / "demo.db"
    result = invoke("demo", "--json", "--log-format", "json", "-v", "--store", str(store), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0
    token_part = "AQ4AQSimulatedAccessToken"
    assert token_part not in result.output
    assert token_part not in result.stderr
    assert '"event": "salesforce_logged_in"' in result.stderr
    assert token_part.encode() not in store.read_bytes()


def test_audit_offline_on_the_demo_store_writes_outputs_and_gates_on_severity(tmp_path):
    """`audit --offline` writes findings.json and CSVs; --fail-on high exits 1 when high findings exist."""
    store = str(tmp_path / "demo.db")
    assert invoke("demo", "--store", store, "--out", str(tmp_path / "demo-out")).exit_code == 0
    config = write_config(tmp_path, rules=str(REPO / "fixtures/demo-org/rules.toml"))
    out_dir = tmp_path / "out"
    args = ["audit", "--offline", "--config", str(config), "--store", store, "--out", str(out_dir)]
    result = invoke(*args, "--json", env=SECRET_ENV)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    document = json.loads((out_dir / "findings.json").read_text())
    assert summary["total"] == len(document["findings"]) > 0
    assert (out_dir / "stale_lead.Lead.csv").read_text().startswith("Id,")
    assert (out_dir / "stale_lead.csv").read_text().startswith("Id,")  # deprecated, still written
    assert (out_dir / "findings.xlsx").is_file()
    # Each check says which objects it checks: every finding is on one of them, so its file exists.
    assert {(item["check"], item["sobject"]) for item in document["findings"]} <= {
        (name, sobject) for name, check in CHECKS.items() for sobject in check.objects
    }
    assert all((out_dir / f"{item['check']}.{item['sobject']}.csv").is_file() for item in document["findings"])
    assert invoke(*args, "--fail-on", "high", env=SECRET_ENV).exit_code == 1
    only = invoke(*args, "--checks", "stale_lead", "--fail-on", "high", "--json", env=SECRET_ENV)
    assert only.exit_code == 0  # stale leads are low severity
    assert set(json.loads(only.stdout)["summary"]["by_check"]) == {"stale_lead"}
    # The full audit's other files are gone: none of them is left to pass for this run's.
    assert sorted(path.name for path in out_dir.glob("*.csv")) == ["stale_lead.Lead.csv", "stale_lead.csv"]


def test_audit_verbose_says_where_its_time_went_stage_by_stage_and_check_by_check(tmp_path):
    """`audit -v`: each stage's seconds (audit_stage) and each check's findings and seconds (check_done)."""
    store = str(tmp_path / "demo.db")
    assert invoke("demo", "--store", store, "--out", str(tmp_path / "demo-out")).exit_code == 0
    config = write_config(tmp_path, rules=str(REPO / "fixtures/demo-org/rules.toml"))
    args = ["audit", "--offline", "--config", str(config), "--store", store, "--out", str(tmp_path / "out")]
    result = invoke(*args, "--json", "--log-format", "json", "-v", env=SECRET_ENV)
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    stages = [event["stage"] for event in events if event["event"] == "audit_stage"]
    assert stages == ["load", "profile", "people", "names", "tables", "store", "trends", "reports"]
    done = {event["check"]: event for event in events if event["event"] == "check_done"}
    by_check = json.loads(result.stdout)["summary"]["by_check"]
    assert set(done) == set(CHECKS)
    assert {name: event["findings"] for name, event in done.items() if event["findings"]} == {
        name: counts["count"] for name, counts in by_check.items()
    }
    assert all(
        isinstance(event["seconds"], float | int) and event["seconds"] >= 0 for event in events if "seconds" in event
    )
    quiet = invoke(
        *args, "--checks", "stale_lead", "--log-format", "text", env=SECRET_ENV
    )  # warnings only, as on a terminal
    assert "audit_stage" not in quiet.stderr


def test_audit_refuses_unknown_checks_and_an_empty_store(tmp_path):
    """A typo in --checks and an offline audit of an empty store are usage errors (exit 2)."""
    config = write_config(tmp_path)
    store = str(tmp_path / "empty.db")
    typo = invoke(
        "audit", "--offline", "--config", str(config), "--store", store, "--checks", "stale_leads", env=SECRET_ENV
    )
    assert typo.exit_code == 2
    assert "unknown check(s) stale_leads" in typo.output
    empty = invoke("audit", "--offline", "--config", str(config), "--store", store, env=SECRET_ENV)
    assert empty.exit_code == 2
    assert "run sfbridge pull" in empty.output


def test_plan_offline_writes_a_plan_that_show_reads_and_apply_refuses_without_yes(tmp_path):
    """`plan --offline` seals a plan file; `--show` renders it; apply off a terminal needs --yes; an edit is refused."""
    store = str(tmp_path / "demo.db")
    assert invoke("demo", "--store", store, "--out", str(tmp_path / "demo-out")).exit_code == 0
    config = write_config(tmp_path, rules=str(REPO / "fixtures/demo-org/rules.toml"))
    plan = tmp_path / "plan.json"
    made = invoke(
        "plan", "--offline", "--config", str(config), "--store", store, "-o", str(plan), "--json", env=SECRET_ENV
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["actions"] > 0
    shown = invoke("plan", "--show", str(plan))
    assert shown.exit_code == 0
    assert "> convert Lead" in shown.stdout
    assert "~ update Lead" in shown.stdout
    refused = invoke("apply", str(plan), "--config", str(config), "--store", store, env=SECRET_ENV)
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    plan.write_text(plan.read_text().replace("Closed - Converted", "Closed - Won"))
    edited = invoke("apply", str(plan), "--yes", "--config", str(config), "--store", store, env=SECRET_ENV)
    assert edited.exit_code == 2
    assert "changed after it was made" in edited.stderr


def test_apply_runs_and_revert_end_to_end(tmp_path):
    """`apply --yes` exits 4 when one lead is refused; `runs` and `runs show` tell; `revert` undoes the update."""
    config = write_config(tmp_path)
    store, plan = str(tmp_path / "store.db"), tmp_path / "plan.json"
    plan.write_bytes(plan_json(plan_of(update(1, LeadSource="Web"), convert(2), convert(3))))
    org = scenario_org(
        [lead(n) for n in (1, 2, 3)],
        validation_rules=[refuse(lead_id(3), "INVALID_STATUS", "invalid convertedStatus: Closed - Converted")],
    )
    common = ["--config", str(config), "--store", store]
    with serving(org):
        applied = invoke("apply", str(plan), "--yes", *common, "--json", env=SECRET_ENV)
        assert applied.exit_code == 4, applied.output
        outcome = json.loads(applied.stdout)
        assert outcome["counts"]["done"] == 2
        assert outcome["counts"]["failed"] == 1
        assert "1 failed, 0 skipped" in applied.stderr
        refused = next(action for action in outcome["actions"] if action["state"] == "failed")
        assert refused["detail"].startswith("INVALID_STATUS")
        listed = invoke("runs", *common, "--json", env=SECRET_ENV)
        assert [(run["id"], run["outcome"]) for run in json.loads(listed.stdout)] == [(outcome["run_id"], "partial")]
        shown = invoke("runs", "show", str(outcome["run_id"]), *common, "--json", env=SECRET_ENV)
        steps = json.loads(shown.stdout)
        assert [step["state"] for step in steps if step["record_id"] == lead_id(1)] == ["sent", "done"]
        reverted = invoke("revert", str(outcome["run_id"]), "--yes", *common, env=SECRET_ENV)
        assert reverted.exit_code == 0, reverted.output
    assert row(org, lead_id(1))["LeadSource"] is None
    assert "cannot be reverted" in reverted.stderr
    assert lead_id(2) in reverted.stderr


def test_runs_show_words_each_step_as_plan_show_words_its_action(tmp_path):
    """An update reads the same in `plan --show` and `runs show`; a value like "[b]x[/b]" stays text."""
    from sfbridge.report.journal import step_line  # noqa: PLC0415
    from sfbridge.report.plan import action_line  # noqa: PLC0415
    from sfbridge.store import Store  # noqa: PLC0415

    config = write_config(tmp_path)
    planned = plan_of(update(1, LeadSource="[b]Web[/b]"))
    plan = tmp_path / "plan.json"
    plan.write_bytes(plan_json(planned))
    org = scenario_org([lead(1)])
    common = ["--config", str(config), "--store", str(tmp_path / "s.db")]
    with serving(org):
        applied = invoke("apply", str(plan), "--yes", *common, "--json", env=SECRET_ENV)
        assert applied.exit_code == 0, applied.output
        run_id = json.loads(applied.stdout)["run_id"]
        shown = invoke("runs", "show", str(run_id), *common, env=SECRET_ENV | {"COLUMNS": "400"})
    planned_words = invoke("plan", "--show", str(plan), env={"COLUMNS": "400"}).stdout
    line = action_line(planned.actions[0])
    assert line in planned_words
    steps = Store.open(f"sqlite:///{tmp_path / 's.db'}", create=False).journal_of_run(run_id)
    assert [step_line(step) for step in steps] == [line, line]  # sent, then done: the same words as the plan's
    assert "'[b]Web[/b]'" in shown.stdout  # a value, not markup


def test_apply_names_the_org_its_kind_and_the_user_before_writing(tmp_path):
    """`--yes` prints (and logs) where the plan goes: actions per kind, sandbox or production, org, user."""
    config = write_config(tmp_path)
    plan = tmp_path / "plan.json"
    made = plan_of(update(1, LeadSource="Web"), convert(2)).model_copy(update={"is_sandbox": True})
    plan.write_bytes(plan_json(sealed(made)))
    org = scenario_org([lead(n) for n in (1, 2)], is_sandbox=True)
    with serving(org):
        applied = invoke(
            "apply",
            str(plan),
            "--yes",
            "--config",
            str(config),
            "--store",
            str(tmp_path / "s.db"),
            "--log-format",
            "json",
            env=SECRET_ENV,
        )
    assert applied.exit_code == 0, applied.output
    line = (
        "2 actions (1 ConvertLead, 1 UpdateRecord) to SANDBOX org 'sfbridge Scenario Org' (00D9P0000L6772hUQA) "
        "at https://sfbridge-scenario.my.salesforce.com, as integration@scenario.example (profile 'scenario')"
    )
    assert f"Applying {line}" in " ".join(applied.stderr.split())
    logged = [json.loads(text) for text in applied.stderr.splitlines() if text.startswith("{")]
    assert any(entry.get("event") == "apply_destination" and entry["line"] == line for entry in logged)


@pytest.mark.parametrize(("planned", "org_kind", "made"), [(True, False, "a sandbox"), (False, True, "production")])
def test_a_plan_made_against_a_sandbox_never_runs_in_production_nor_the_reverse(tmp_path, planned, org_kind, made):
    config = write_config(tmp_path)
    plan = tmp_path / "plan.json"
    plan.write_bytes(plan_json(sealed(plan_of(update(1, LeadSource="Web")).model_copy(update={"is_sandbox": planned}))))
    org = scenario_org([lead(1)], is_sandbox=org_kind)
    with serving(org):
        applied = invoke(
            "apply", str(plan), "--yes", "--config", str(config), "--store", str(tmp_path / "s.db"), env=SECRET_ENV
        )
    assert applied.exit_code == 2, applied.output
    assert f"this plan was made against {made}, but it would write to" in " ".join(applied.stderr.split())
    assert updates_sent(org) == []


def test_apply_runs_show_and_revert_of_a_merge_end_to_end(tmp_path):
    """A merge applied from the CLI: `runs show` tells who went into whom; `revert` undeletes and says what stays."""
    from test_apply_merges import lead as merge_lead  # noqa: PLC0415
    from test_apply_merges import lead_id as merge_lead_id  # noqa: PLC0415
    from test_apply_merges import merge, task_id  # noqa: PLC0415

    config = write_config(tmp_path)
    store, plan = str(tmp_path / "store.db"), tmp_path / "plan.json"
    plan.write_bytes(plan_json(plan_of(merge(1, 2, Phone="+1 415 555 0134"))))
    task = {"Id": task_id(1), "WhoId": merge_lead_id(2), "IsDeleted": False}
    org = scenario_org([*(merge_lead(n) for n in (1, 2)), task])
    common = ["--config", str(config), "--store", store]
    with serving(org):
        applied = invoke("apply", str(plan), "--yes", *common, "--json", env=SECRET_ENV)
        assert applied.exit_code == 0, applied.output
        run_id = json.loads(applied.stdout)["run_id"]
        shown = invoke("runs", "show", str(run_id), *common, env=SECRET_ENV)
        assert shown.exit_code == 0, shown.output
        assert "merged into" in shown.stdout
        assert merge_lead_id(2) in shown.stdout
        assert "Phone=None" in shown.stdout  # the master's value before the merge
        reverted = invoke("revert", str(run_id), "--yes", *common, "--json", env=SECRET_ENV)
        assert reverted.exit_code == 0, reverted.output
    (outcome,) = json.loads(reverted.stdout)["merges"]
    assert outcome["state"] == "done"
    assert outcome["after"]["undeleted"] == [merge_lead_id(2)]
    assert outcome["after"]["not_restorable"] == [task_id(1)]
    assert not row(org, merge_lead_id(2))["IsDeleted"]
    assert row(org, merge_lead_id(1))["Phone"] is None


def test_plan_online_pulls_first_and_records_who_made_it(tmp_path):
    """`plan` on the replayed demo org pulls, audits and records the org, instance and user of the session."""
    plan = tmp_path / "plan.json"
    result = invoke(
        "plan", "--org", "demo", "--config", str(CONFIG), "--store", str(tmp_path / "s.db"), "-o", str(plan)
    )
    assert result.exit_code == 0, result.output
    written = json.loads(plan.read_text())
    assert written["org_id"] == "00D9P0000L6772hUQA"
    assert written["user_id"].startswith("005")
    assert written["instance_url"] == "https://sfbridge-demo.my.salesforce.com"
    assert written["is_sandbox"] is True  # Organization.IsSandbox, read when the plan was made
    assert len(written["digest"]) == 64
    # The audit the plan ran says, cluster by cluster, what the plan does: the same merges.
    from sfbridge.store import Store  # noqa: PLC0415

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}", create=False)
    findings = store.load_findings(store.recent_runs(limit=1)[0]["id"])
    said = {f.record_id for f in findings if str(f.evidence.get("merge", "")).startswith("a plan merges")}
    masters = {action["record_id"] for action in written["actions"] if action["kind"] == "MergeRecords"}
    assert said == masters
    assert len(masters) > 10


@pytest.mark.parametrize(
    "command",
    [("runs",), ("runs", "show", "1"), ("trends",), ("report", "--run", "1"), ("revert", "1", "--yes")],
    ids=" ".join,
)
def test_commands_that_read_a_store_never_create_one(tmp_path, command):
    """A mistyped --store is a clear error (exit 2), not a new empty store left behind."""
    config, store = write_config(tmp_path), tmp_path / "typo.db"
    result = invoke(*command, "--config", str(config), "--store", str(store), env=SECRET_ENV)
    assert result.exit_code == 2, result.output
    assert "does not exist yet" in result.stderr
    assert not store.exists()


def test_a_mistyped_object_on_the_demo_org_gets_the_right_spelling(tmp_path):
    """The demo recording holds the org's list of objects: `--objects Leed` is exit 2 and "did you mean 'Lead'?"."""
    result = invoke(
        "pull", "--org", "demo", "--config", str(CONFIG), "--objects", "Leed", "--store", str(tmp_path / "s")
    )
    assert result.exit_code == 2, result.output
    assert "did you mean 'Lead'?" in result.stderr
    assert not (tmp_path / "s").exists()


def _demo_config(tmp_path: Path, *extra: str) -> Path:
    config = tmp_path / "sfbridge.toml"
    lines = ["[orgs.demo]", 'auth = "client_credentials"', 'login_url = "https://sfbridge-demo.my.salesforce.com"']
    lines += ['replay = "demo"', "page_size = 500", f"store = {json.dumps(str(tmp_path / 'demo.db'))}", *extra]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def test_pull_normalises_the_people_for_the_next_audit(tmp_path):
    """After the pull, every normaliser's table is in the store: the next audit reads ready values."""
    result = invoke("pull", "--org", "demo", "--config", str(_demo_config(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "Normalised and kept 1,461 people, and kept " in result.output
    with sqlite3.connect(tmp_path / "demo.db") as conn:
        kinds = {kind for (kind,) in conn.execute("SELECT kind FROM derived_values")}
    assert {"phone", "email", "company", "address", "first_fold", "region"} <= kinds


@pytest.mark.parametrize(
    ("prepared", "line"),
    [
        (
            {"kept": ("Lead", "Contact"), "people_kept": True},
            "Normalised and kept 1,461 people, and kept 2 objects' records for the next audit in 0.2 s.",
        ),
        (
            {
                "kept": ("Task",),
                "stale": ("Task",),
                "people_kept": True,
                "people_unchanged": True,
                "unchanged": ("Lead", "Contact"),
            },
            "1,461 people unchanged, and kept 1 object's records (2 unchanged) for the next audit in 0.2 s.",
        ),
        (  # the store refused the Task frame (logged): not "nothing to prepare"
            {"stale": ("Task",), "people_kept": True, "people_unchanged": True, "unchanged": ("Lead", "Contact")},
            "1,461 people unchanged; 1 object's records not kept (see the log) for the next audit in 0.2 s.",
        ),
        (
            {"people_kept": True, "people_unchanged": True, "unchanged": ("Lead", "Contact", "Task")},
            "1,461 people and 3 objects' records unchanged since the last pull: nothing to prepare.",
        ),
        ({"kept": ("Lead",)}, "Normalised 1,461 people and kept 1 object's records for the next audit in 0.2 s."),
    ],
)
def test_a_pull_says_what_its_preparation_kept_and_what_still_held(prepared, line):
    from sfbridge.cli.pulling import prepared_line  # noqa: PLC0415 (the CLI's own line)
    from sfbridge.prepare import Prepared  # noqa: PLC0415

    assert prepared_line(Prepared(people=1_461, seconds=0.2, **prepared)) == line


@pytest.mark.parametrize("full", [False, True])
def test_a_full_pull_keeps_everything_anew(tmp_path, monkeypatch, full):
    """``pull --full`` is the repair: what its preparation kept before is forgotten first, whatever still held."""
    from sfbridge.store import Store  # noqa: PLC0415 (this test only)

    forgotten: list[bool] = []
    forget = Store.forget_kept_frames
    monkeypatch.setattr(Store, "forget_kept_frames", lambda self: forgotten.append(True) or forget(self))
    result = invoke("pull", "--org", "demo", "--config", str(_demo_config(tmp_path)), *(["--full"] if full else []))
    assert result.exit_code == 0, result.output
    assert forgotten == ([True] if full else [])
    assert "Normalised and kept 1,461 people, and kept 9 objects' records" in result.output


def test_an_offline_audit_after_a_pull_reads_every_object_from_the_frames_it_kept(tmp_path):
    """The pull keeps what an audit of every check loads under the profile's rules, and the people normalised.

    Nothing is read from the mirror, and no person is normalised again.
    """
    config = _demo_config(tmp_path)
    pulled = invoke("pull", "--org", "demo", "--config", str(config))
    assert pulled.exit_code == 0, pulled.output
    assert "Normalised and kept 1,461 people, and kept 9 objects' records for the next audit" in pulled.output
    args = ["audit", "--offline", "--org", "demo", "--config", str(config), "--out", str(tmp_path / "out")]
    result = invoke(*args, "--json", "--log-format", "json", "-v", env=SECRET_ENV)
    assert result.exit_code in {0, 1}, result.output
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    [kept] = [event for event in events if event["event"] == "kept_frames_read"]
    assert kept["read"] == []
    assert {"Lead", "Contact", "Account", "Task", "User"} <= set(kept["objects"])
    [people] = [event for event in events if event["event"] == "kept_people_read"]  # not normalised again
    assert people["people"] == 1_461


def test_a_pull_whose_frames_cannot_be_kept_still_lands_and_normalises(tmp_path, monkeypatch):
    """Kept frames and people are a cache: a store refusing them (disk full) costs the next audit time, not the pull."""
    from sfbridge.errors import StoreError  # noqa: PLC0415 (this test only)
    from sfbridge.store import Store  # noqa: PLC0415

    def refuse(*_args, **_kwargs):
        msg = "cannot keep the snapshot's frames: OperationalError: database or disk is full"
        raise StoreError(msg)

    monkeypatch.setattr(Store, "keep_frames", refuse)
    monkeypatch.setattr(Store, "keep_people", refuse)
    result = invoke("pull", "--org", "demo", "--config", str(_demo_config(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "Normalised 1,461 people; 9 objects' records not kept (see the log) for the next audit" in result.output
    with sqlite3.connect(tmp_path / "demo.db") as conn:
        assert conn.execute("SELECT count(*) FROM kept_frames").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM derived_values").fetchone()[0] > 0


def test_a_pull_whose_rules_cannot_be_read_still_lands_and_says_what_it_skipped(tmp_path):
    """The records are stored: rules that do not load leave the normalising to the audit, which names the problem."""
    (tmp_path / "rules.toml").write_text("[stale_lead\n", encoding="utf-8")
    result = invoke("pull", "--org", "demo", "--config", str(_demo_config(tmp_path, 'rules = "rules.toml"')))
    assert result.exit_code == 0, result.output
    assert "Not normalised ahead of the audit" in result.output
    assert "rules.toml" in result.output
    with sqlite3.connect(tmp_path / "demo.db") as conn:
        assert conn.execute("SELECT count(*) FROM derived_values").fetchone() == (0,)
