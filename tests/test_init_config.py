"""Getting started outside the repository: `sfbridge init`, where the config is found, and `sfbridge orgs`."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfbridge.cli import app
from sfbridge.config import config_candidates, load_settings

REPO = Path(__file__).resolve().parent.parent


def run(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture(name="elsewhere")
def _elsewhere(tmp_path, monkeypatch):
    """A folder with no config in it, and a user config folder of its own."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))
    monkeypatch.delenv("SFBRIDGE_CONFIG", raising=False)
    return tmp_path


@pytest.mark.usefixtures("elsewhere")
def test_init_writes_a_starter_config_that_sfbridge_then_finds_from_any_folder():
    written = run("init", "--json")
    assert written.exit_code == 0, written.output
    paths = [Path(path) for path in json.loads(written.stdout)["written"]]
    assert [path.name for path in paths] == ["sfbridge.toml", "rules.toml"]
    assert all(path.is_file() for path in paths)
    listed = run("orgs", "--json")
    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.stdout)
    assert Path(found["config"]) == paths[0]
    assert [row["org"] for row in found["orgs"]] == ["demo"]


@pytest.mark.usefixtures("elsewhere")
def test_init_never_overwrites_without_force():
    assert run("init").exit_code == 0
    config = Path(json.loads(run("orgs", "--json").stdout)["config"])
    config.write_text(config.read_text(encoding="utf-8") + "\n# my edits\n", encoding="utf-8")
    again = run("init")
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert "# my edits" in config.read_text(encoding="utf-8")
    assert run("init", "--force").exit_code == 0
    assert "# my edits" not in config.read_text(encoding="utf-8")


def test_the_current_folders_config_comes_before_the_users(elsewhere):
    assert run("init").exit_code == 0
    assert run("init", "--here").exit_code == 0
    assert Path(json.loads(run("orgs", "--json").stdout)["config"]) == Path("sfbridge.toml")
    env = {"XDG_CONFIG_HOME": str(elsewhere / "user-config")}
    order = config_candidates(None, env)
    assert order[:2] == [Path("sfbridge.toml"), Path("config/sfbridge.toml")]
    assert order[2] == elsewhere / "user-config" / "sfbridge" / "sfbridge.toml"
    assert config_candidates(None, {"SFBRIDGE_CONFIG": "x.toml"}) == [Path("x.toml")]
    assert config_candidates(Path("flag.toml"), {"SFBRIDGE_CONFIG": "x.toml"}) == [Path("flag.toml")]


@pytest.mark.usefixtures("elsewhere")
def test_no_config_anywhere_points_at_init():
    result = run("orgs")
    assert result.exit_code == 2
    assert "run `sfbridge init`" in " ".join(result.stderr.split())


def test_the_starter_files_are_the_repositorys_config():
    starter = REPO / "src" / "sfbridge" / "starter"
    assert (starter / "rules.toml").read_bytes() == (REPO / "config" / "rules.toml").read_bytes()
    shipped = (REPO / "config" / "sfbridge.toml").read_text(encoding="utf-8").split("\n", 1)[1]
    assert (starter / "sfbridge.toml").read_text(encoding="utf-8").endswith(shipped)
    assert set(load_settings(starter / "sfbridge.toml").orgs) == {"demo"}


BROKEN = """
[orgs.demo]
auth = "client_credentials"
login_url = "https://sfbridge-demo.my.salesforce.com"
replay = "demo"
store = ":memory:"

[orgs.acme]
auth = "client_credentials"
login_url = "https://acme.my.salesforce.com"
consumer_key = "3MVG9example"

[orgs.typo]
auth = "jwt_bearer"
login_url = "https://login.salesforce.com"
"""


def test_one_broken_profile_does_not_block_the_others_and_orgs_names_every_variable_whole(tmp_path):
    config = tmp_path / "sfbridge.toml"
    config.write_text(BROKEN, encoding="utf-8")
    listed = run("orgs", "--config", str(config), env={"COLUMNS": "60"})
    assert listed.exit_code == 0, listed.output
    assert "typo: broken:" in listed.stdout
    assert "SFBRIDGE_ACME_CLIENT_SECRET" in listed.stdout  # whole, however narrow the terminal
    used = run("auth", "check", "--org", "typo", "--config", str(config))
    assert used.exit_code == 2
    assert "auth" in used.stderr
    rows = {row["org"]: row for row in json.loads(run("orgs", "--config", str(config), "--json").stdout)["orgs"]}
    assert rows["typo"]["credentials"].startswith("broken:")
    assert rows["demo"]["credentials"] == "none needed (replayed recording)"
