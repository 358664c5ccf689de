"""`--target-org ALIAS`: any command that needs an org can use a Salesforce CLI login instead of a profile.

The sf CLI is a fake program on PATH answering from fixtures/sf-cli/ through a real
subprocess, so the command line, the profile it builds and the sf calls run as they would.
"""

import json

import pytest
import responses
from responses import registries
from typer.testing import CliRunner

from conftest import INSTANCE
from recorded import cassette, register
from sfbridge.cli import app
from sfbridge.cli.common import alias_profile, load_profile
from sfbridge.credentials import store_url
from sfbridge.errors import UsageError
from sfbridge.salesforce.replay import Cassette
from sfcli import RECORDED_TOKEN, install_sf, path_with

runner = CliRunner()


@pytest.fixture
def no_config(tmp_path, monkeypatch):
    """A folder with no config file anywhere sfbridge looks."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SFBRIDGE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def invoke(*args, env=None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


# Every command that takes --org, with the arguments it needs besides.
COMMANDS = [
    ["pull"],
    ["plan"],
    ["apply", "plan.json"],
    ["revert", "1"],
    ["runs"],
    ["runs", "show", "1"],
    ["report", "--run", "1"],
    ["trends"],
    ["auth", "check"],
    ["audit"],
]


@pytest.mark.usefixtures("no_config")
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_org_and_target_org_together_is_a_usage_error(command):
    """--org names a profile, --target-org an sf login: both at once is refused (exit 2) before anything runs."""
    result = invoke(*command, "--org", "acme", "--target-org", "client-x")
    assert result.exit_code == 2, result.output
    assert "--org and --target-org" in result.output


@pytest.mark.usefixtures("no_config")
@pytest.mark.parametrize("extra", [["--org", "a", "--org", "b"], ["--all-orgs"]], ids=["several-orgs", "all-orgs"])
def test_target_org_with_several_orgs_is_a_usage_error(extra):
    """A several-org audit reads profiles; --target-org is one sf login, not another of them."""
    result = invoke("audit", *extra, "--target-org", "client-x")
    assert result.exit_code == 2, result.output
    assert "--org and --target-org" in result.output


def check_without_its_login() -> Cassette:
    """`auth check`'s recording less the client-credentials token exchange: the sf CLI supplies the token."""
    recorded = cassette("auth/check")
    assert recorded.interactions[0].url.endswith("/services/oauth2/token")
    return Cassette(interactions=recorded.interactions[1:], recorded_at=recorded.recorded_at)


def test_auth_check_with_target_org_logs_in_through_the_sf_cli(no_config):
    """No config file, no profile: `auth check --target-org` borrows sf's token and checks the org."""
    calls = install_sf(no_config / "bin", show="show-access-token.json", display="display-redacted.json")
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        register(mock, check_without_its_login())
        result = invoke(
            "auth", "check", "--target-org", "client-x", "--json", env={"PATH": path_with(no_config / "bin")}
        )
        sent = list(mock.calls)
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)
    assert check["org_id"].startswith("00D")
    assert calls.read_text().splitlines() == [
        "org auth show-access-token --target-org client-x --json",
        "org display --target-org client-x --json",
    ]
    assert sent[0].request.url.startswith(INSTANCE)
    assert sent[0].request.headers["Authorization"] == f"Bearer {RECORDED_TOKEN}"
    assert RECORDED_TOKEN not in result.output


def test_auth_check_with_an_unknown_alias_shows_sfs_error(no_config):
    """The sf CLI's own error (its name and message) reaches the user, with exit 3 and the login command."""
    install_sf(no_config / "bin", show="show-access-token-no-such-alias.json", display="display-no-such-alias.json")
    result = invoke("auth", "check", "--target-org", "no-such-alias", env={"PATH": path_with(no_config / "bin")})
    assert result.exit_code == 3, result.output
    assert "NamedOrgNotFoundError" in result.output
    assert "No authorization information found for no-such-alias" in result.output
    assert "sf org login web --alias no-such-alias" in result.output


@pytest.mark.usefixtures("no_config")
def test_target_org_uses_the_alias_store_like_a_profile_of_that_name():
    """The store is the one a profile named after the alias would have: .sfbridge/ALIAS.db."""
    result = invoke("trends", "--target-org", "client-x")
    assert result.exit_code == 2, result.output
    assert ".sfbridge/client-x.db does not exist yet" in " ".join(result.output.split())


def test_the_alias_profile_is_an_sf_cli_profile_with_the_default_rules(monkeypatch, no_config):
    """A profile with auth = sf_cli and the alias; store from SFBRIDGE_<ALIAS>_STORE_URL, else .sfbridge/<ALIAS>.db."""
    profile, folder = load_profile(None, None, "client-x")
    assert (profile.name, profile.auth.value, profile.sf_alias) == ("client-x", "sf_cli", "client-x")
    assert folder.name == "config"
    assert store_url(profile, env={}) == ".sfbridge/client-x.db"
    assert store_url(profile, env={"SFBRIDGE_CLIENT_X_STORE_URL": "sqlite:///x.db"}) == "sqlite:///x.db"
    config = no_config / "sfbridge.toml"
    config.write_text('[orgs.other]\nauth = "sf_cli"\nsf_alias = "other"\n', encoding="utf-8")
    monkeypatch.setenv("SFBRIDGE_CONFIG", str(config))
    assert load_profile(None, None, "client-x")[1] == no_config  # rules.toml and mappings.toml beside it


def test_an_alias_that_cannot_be_a_file_name_gets_a_safe_store_name():
    """An sf alias may hold ':' (e.g. demo:qa); the store file does not, but sf still gets the alias."""
    profile = alias_profile("demo:qa")
    assert (profile.sf_alias, store_url(profile, env={})) == ("demo:qa", ".sfbridge/demo_qa.db")


@pytest.mark.parametrize("alias", ["", "two words", "-o"])
def test_an_alias_sf_would_misread_is_refused(alias):
    """Empty, spaced, or option-like: sf would read something else, so the usage is refused."""
    with pytest.raises(UsageError, match="--target-org"):
        alias_profile(alias)
