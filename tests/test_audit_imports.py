"""An offline audit of a prepared store loads neither the Salesforce client nor tables it does not read.

Run in a fresh interpreter, which then lists ``sys.modules``: a check of what is imported,
not a timing (each of these cost every audit's start-up: the Salesforce client and its HTTP
stack 0.14 s, phonenumbers' country names in a hundred languages 0.4 s).
"""

import json
import subprocess
import sys
from pathlib import Path

from conftest import copy_store
from sfbridge.prepare import prepare_people
from sfbridge.rules import load_rules
from sfbridge.salesforce.replay import demo_org_dir

_RUN_AUDIT = """
import json, sys
sys.argv = ["sfbridge", *json.loads(sys.argv[1])]
from sfbridge.cli import main
try:
    main()
except SystemExit as exit:
    assert exit.code in (0, 1, None), exit.code
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
"""

NOT_OFFLINE = ("simple_salesforce", "requests", "sfbridge.salesforce", "phonenumbers.geodata")


def _demo_config(tmp_path: Path) -> Path:
    """A config whose one profile uses the demo org's rules."""
    rules = demo_org_dir() / "rules.toml"
    config = tmp_path / "sfbridge.toml"
    profile = '[orgs.demo]\nauth = "access_token"\ninstance_url = "https://demo.my.salesforce.com"\n'
    config.write_text(f'{profile}rules = "{rules.as_posix()}"\n', encoding="utf-8")
    return config


def _loaded_by(arguments: list[str], watched: tuple[str, ...]) -> list[str]:
    """Run sfbridge so in a fresh interpreter: which of the watched modules (or their parts) it loaded."""
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", _RUN_AUDIT, json.dumps(arguments)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set(json.loads(done.stdout.rsplit("MODULES ", 1)[1]))
    return sorted(name for name in watched if any(m == name or m.startswith(name + ".") for m in modules))


def test_offline_audit_of_a_prepared_store_loads_no_salesforce_client(demo_store, tmp_path: Path) -> None:
    store = copy_store(demo_store, tmp_path / "demo.db")
    prepare_people(store, load_rules(demo_org_dir() / "rules.toml"))
    config = _demo_config(tmp_path)
    arguments = ["audit", "--offline", "--config", str(config), "--store", store.url, "--out", str(tmp_path / "out")]
    loaded = _loaded_by(arguments, NOT_OFFLINE)
    assert (tmp_path / "out" / "findings.json").is_file()
    assert loaded == []


NOT_FOR_A_PLAN = ("sfbridge.outputs", "sfbridge.report.html", "sfbridge.report.workbook", "jinja2", "xlsxwriter")


def test_an_offline_plan_loads_none_of_the_audits_report_writers(demo_store, tmp_path: Path) -> None:
    """A plan writes one file: the report modules (a second of a plan's start at a million records) stay unloaded."""
    store = copy_store(demo_store, tmp_path / "demo.db")
    config = _demo_config(tmp_path)
    arguments = ["plan", "--offline", "--config", str(config), "--store", store.url, "-o", str(tmp_path / "plan.json")]
    loaded = _loaded_by(arguments, NOT_FOR_A_PLAN)
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["actions"]
    assert loaded == []
