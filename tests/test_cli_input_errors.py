"""Bad input through the command line: exit 2 naming the place, checked before any work, no store left behind.

Replays recorded exchanges (fixtures/http/); nothing here reaches a network.
"""

import json
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from recorded import HTTP, replay
from sfbridge.models import LeadConversion
from sfbridge.plan import plan_json
from sfbridge.pull import PullOptions, pull
from sfbridge.store import Store
from sfbridge_tools.record import client_credentials_profile, load_describes, recording_gateway, simulated_org
from sfbridge_tools.record_scenarios import SCENARIO_SHAPE, SCENARIO_START
from sfbridge_tools.synthetic import generate_org
from test_apply import convert, plan_of
from test_cli import INSTANCE, REPO, SECRET_ENV, invoke, write_config

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal", ".lock")


def leftovers(folder: Path) -> list[str]:
    """Every file and folder under ``folder`` but the config."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != "sfbridge.toml")


# -- unknown objects and API versions: exit 2 naming the key, not 3 with a bare 404 ------------------


def test_a_mistyped_object_on_the_command_line_exits_2_with_a_suggestion_and_no_store(tmp_path):
    """`--objects Leed`: one global describe, then a usage error naming --objects and 'Lead', before any store."""
    store = tmp_path / "new" / "store.db"
    with replay("inputs/unknown_object") as calls:
        result = invoke(
            "pull", "--config", str(write_config(tmp_path)), "--store", str(store), "--objects", "Leed", env=SECRET_ENV
        )
    assert result.exit_code == 2, result.output
    assert "--objects: 'Leed' is not an object this org offers" in result.stderr
    assert "did you mean 'Lead'?" in result.stderr
    assert calls[-1].request.url.endswith("/services/data/v66.0/sobjects")
    assert leftovers(tmp_path) == []


def test_a_mistyped_object_in_the_config_names_the_profile_key(tmp_path):
    """The same typo in the profile's objects is a config error naming orgs.NAME.objects."""
    path = write_config(tmp_path, 'objects = ["User", "Leed"]')
    with replay("inputs/unknown_object"):
        result = invoke("pull", "--config", str(path), "--store", str(tmp_path / "s.db"), env=SECRET_ENV)
    assert result.exit_code == 2, result.output
    assert "orgs.scenario.objects: 'Leed' is not an object" in result.stderr
    assert "did you mean 'Lead'?" in result.stderr
    assert leftovers(tmp_path) == []


def test_a_known_object_hidden_from_the_user_exits_2_naming_where_it_was_asked_for(tmp_path):
    """Describe answers 404 for an object never pulled: a usage error naming --objects, not "retry later"."""
    store = tmp_path / "s.db"
    with replay("inputs/object_not_available"):
        result = invoke(
            "pull",
            "--config",
            str(write_config(tmp_path)),
            "--store",
            str(store),
            "--objects",
            "Opportunity",
            env=SECRET_ENV,
        )
    assert result.exit_code == 2, result.output
    assert "--objects: 'Opportunity' is not available to the integration user (NOT_FOUND)" in result.stderr
    assert leftovers(tmp_path) == []  # nothing was committed: the new store is gone
    path = write_config(tmp_path, 'objects = ["Opportunity"]')
    with replay("inputs/object_not_available"):
        listed = invoke("pull", "--config", str(path), "--store", str(store), env=SECRET_ENV)
    assert listed.exit_code == 2
    assert "orgs.scenario.objects: 'Opportunity' is not available" in listed.stderr


def test_known_objects_are_not_looked_up_and_their_case_is_corrected(tmp_path):
    """`--objects lead` is Lead: no global describe (the recording has none to give), the usual pull."""
    store = tmp_path / "s.db"
    path = write_config(tmp_path, f'replay = "{HTTP / "pull" / "three_pages.json"}"', "page_size = 200")
    result = invoke("pull", "--config", str(path), "--store", str(store), "--objects", "lead", "--json")
    assert result.exit_code == 0, result.output
    (lead,) = json.loads(result.stdout)["objects"]
    assert (lead["sobject"], lead["stored"]) == ("Lead", 120)


def test_an_api_version_the_org_does_not_serve_exits_2_naming_the_key_and_the_versions(tmp_path):
    """404 on /services/data/v67.0/: the version list is read and the config key named, with the newest versions."""
    path = write_config(tmp_path, 'api_version = "67.0"')
    with replay("inputs/api_version_not_served") as calls:
        result = invoke("pull", "--config", str(path), "--store", str(tmp_path / "s.db"), env=SECRET_ENV)
    assert result.exit_code == 2, result.output
    assert "orgs.scenario.api_version: this org does not serve API version 67.0" in result.stderr
    assert 'set api_version = "66.0"' in result.stderr
    assert calls[-1].request.url.endswith("/services/data/")
    assert leftovers(tmp_path) == []
    with replay("inputs/api_version_not_served"):
        checked = invoke("auth", "check", "--config", str(path), env=SECRET_ENV)
    assert checked.exit_code == 2
    assert "orgs.scenario.api_version" in checked.stderr


# -- a failed first pull leaves no store -------------------------------------------------------------


def test_a_refused_login_leaves_no_store_and_no_folder(tmp_path):
    """The login comes before the store is opened: nothing is created for a wrong secret."""
    store = tmp_path / "stores" / "acme" / "store.db"
    with replay("auth/client_credentials_invalid_grant"):
        result = invoke("pull", "--config", str(write_config(tmp_path)), "--store", str(store), env=SECRET_ENV)
    assert result.exit_code == 3
    assert leftovers(tmp_path) == []


def test_an_unreachable_org_leaves_no_store(tmp_path):
    """Connection refused on every attempt: exit 3, and no store file."""
    refused = requests.exceptions.ConnectionError(NewConnectionError(None, "Connection refused"))
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, f"{INSTANCE}/services/oauth2/token", body=refused)
        result = invoke(
            "pull", "--config", str(write_config(tmp_path)), "--store", str(tmp_path / "s.db"), env=SECRET_ENV
        )
        assert len(mock.calls) == 3  # max_attempts
    assert result.exit_code == 3
    assert "could not connect" in result.stderr
    assert leftovers(tmp_path) == []


def test_a_first_pull_failing_before_any_record_removes_the_store_it_created(tmp_path):
    """A proxy's HTML page on the first query: the new SQLite file, its companions and its new folder go."""
    store = tmp_path / "fresh" / "store.db"
    with replay("pull/proxy_html"):
        result = invoke(
            "pull", "--config", str(write_config(tmp_path)), "--store", str(store), "--objects", "Lead", env=SECRET_ENV
        )
    assert result.exit_code == 3
    assert "HTML page" in result.stderr
    assert leftovers(tmp_path) == []


def test_a_store_that_existed_before_is_kept_when_a_pull_fails(tmp_path):
    """Only a store this command created is removed: one that was there stays, empty or not."""
    store = tmp_path / "store.db"
    Store.open(str(store)).engine.dispose()
    with replay("pull/proxy_html"):
        result = invoke(
            "pull", "--config", str(write_config(tmp_path)), "--store", str(store), "--objects", "Lead", env=SECRET_ENV
        )
    assert result.exit_code == 3
    assert store.is_file()


def test_a_first_pull_failing_after_committing_records_keeps_its_store(tmp_path):
    """REQUEST_LIMIT_EXCEEDED on page 2: page 1 is committed, so the store stays for the next run to resume."""
    store = tmp_path / "store.db"
    with replay("pull/request_limit"):
        result = invoke(
            "pull", "--config", str(write_config(tmp_path)), "--store", str(store), "--objects", "Lead", env=SECRET_ENV
        )
    assert result.exit_code == 3
    assert Store.open(str(store)).count("Lead") == 40  # the first page


@pytest.mark.postgres
def test_a_failed_first_pull_into_postgresql_leaves_tables_the_next_pull_accepts(tmp_path, postgres_url):
    """PostgreSQL keeps its (empty) tables; the next pull into them completes and proves its count."""
    path = write_config(tmp_path, f'replay = "{HTTP / "pull" / "proxy_html.json"}"')
    result = invoke("pull", "--config", str(path), "--store", postgres_url, "--objects", "Lead")
    assert result.exit_code == 3
    mirror = Store.open(postgres_url)
    assert mirror.count("Lead") == 0
    assert [run["outcome"] for run in mirror.recent_runs()] == ["failed"]
    org = generate_org(SCENARIO_SHAPE, snapshot=SCENARIO_START)
    later = SCENARIO_START + timedelta(minutes=10)
    sim = simulated_org(
        org_id=org.org_id,
        user_id=org.integration_user_id,
        instance_url=INSTANCE,
        records={"Lead": list(org.records("Lead"))},
        describes={"Lead": load_describes(REPO / "fixtures" / "demo-org" / "describe")["Lead"]},
        clock=lambda: later,
    )
    gateway, _ = recording_gateway(sim, client_credentials_profile(INSTANCE))
    report = pull(gateway, mirror, org="scenario", objects=["Lead"], options=PullOptions(clock=lambda: later))
    (lead,) = report.objects
    assert lead.stored == lead.org_count == len(list(org.records("Lead")))


# -- outputs checked before any work ---------------------------------------------------------------


def test_plan_output_in_a_missing_folder_fails_before_connecting(tmp_path):
    """`plan -o missing/plan.json`: exit 2 naming -o/--output and the folder, and no request sent."""
    target = tmp_path / "missing" / "plan.json"
    with responses.RequestsMock() as mock:
        result = invoke("plan", "--config", str(write_config(tmp_path)), "-o", str(target), env=SECRET_ENV)
        assert len(mock.calls) == 0
    assert result.exit_code == 2
    assert f"-o/--output: cannot write {target}: the folder {target.parent} does not exist" in result.stderr
    (tmp_path / "file").write_text("x")
    under_a_file = invoke("plan", "--config", str(write_config(tmp_path)), "-o", str(tmp_path / "file" / "p.json"))
    assert under_a_file.exit_code == 2
    assert "is a file, not a folder" in under_a_file.stderr
    folder = invoke("plan", "--config", str(write_config(tmp_path)), "-o", str(tmp_path))
    assert folder.exit_code == 2  # a folder is refused by the option itself


def test_audit_out_that_is_a_file_or_under_one_fails_before_the_pull(tmp_path):
    """--out naming a file (or a folder inside one) is exit 2 before connecting."""
    (tmp_path / "taken").write_text("x")
    for out in (tmp_path / "taken", tmp_path / "taken" / "reports"):
        with responses.RequestsMock() as mock:
            result = invoke("audit", "--config", str(write_config(tmp_path)), "--out", str(out), env=SECRET_ENV)
            assert len(mock.calls) == 0
        assert result.exit_code == 2
        assert "--out" in result.stderr
        assert "Traceback" not in result.output


def test_offline_commands_do_not_create_a_missing_store(tmp_path):
    """`audit --offline` and `plan --offline` on a store that does not exist: exit 2, and still no file."""
    store = tmp_path / "never.db"
    for command in ("audit", "plan"):
        result = invoke(command, "--offline", "--config", str(write_config(tmp_path)), "--store", str(store))
        assert result.exit_code == 2
        assert "run sfbridge pull first" in result.stderr
    assert not store.exists()


# -- files and variables ------------------------------------------------------------------------------


def test_a_latin1_config_file_exits_2_naming_the_line(tmp_path):
    """A config saved as Latin-1: exit 2 (not 70) with the file, line and fix."""
    path = write_config(tmp_path)
    path.write_bytes(path.read_bytes() + "# Zürich office\n".encode("latin-1"))
    result = invoke("pull", "--config", str(path))
    assert result.exit_code == 2
    assert f"{path}: line 9, column 4" in result.stderr
    assert "save it again as UTF-8" in result.stderr


def test_a_token_with_a_line_break_inside_exits_2_naming_the_variable(tmp_path):
    """An access token pasted twice (a newline inside) is refused naming the variable, not shown."""
    path = tmp_path / "token.toml"
    path.write_text(f'[orgs.quick]\nauth = "access_token"\ninstance_url = "{INSTANCE}"\n', encoding="utf-8")
    token = "00D000000000001!scenario"
    result = invoke("pull", "--config", str(path), env={"SFBRIDGE_QUICK_ACCESS_TOKEN": f"{token}\n{token}\n"})
    assert result.exit_code == 2
    assert "SFBRIDGE_QUICK_ACCESS_TOKEN: holds a space, line break" in result.stderr
    assert token not in result.output
    listed = invoke("orgs", "--config", str(path), "--json", env={"SFBRIDGE_QUICK_ACCESS_TOKEN": f"{token}\n"})
    assert json.loads(listed.stdout)["orgs"][0]["credentials"] == "set in the environment"


def test_apply_refuses_a_plan_with_a_malformed_id_before_connecting(tmp_path):
    """A sealed plan with a bad Id: exit 2 naming the action and the Id; no request, no store, no run."""
    bad = convert(1).model_copy(
        update={"conversion": LeadConversion(converted_status="Closed - Converted", account_id="001BAD")}
    )
    plan = tmp_path / "plan.json"
    plan.write_bytes(plan_json(plan_of(bad)))
    store = tmp_path / "store.db"
    with responses.RequestsMock() as mock:
        result = invoke(
            "apply", str(plan), "--yes", "--config", str(write_config(tmp_path)), "--store", str(store), env=SECRET_ENV
        )
        assert len(mock.calls) == 0
    assert result.exit_code == 2
    assert f"action {bad.key!r}: conversion.account_id: '001BAD' is not a Salesforce Id" in result.stderr
    assert not store.exists()
