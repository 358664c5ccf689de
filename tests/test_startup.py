"""`sfbridge --help` and every `sfbridge <cmd> --help` start without loading the stages.

Each help runs in a fresh interpreter (this test process has long since imported everything),
which then lists what is in ``sys.modules``: a check of what is imported, not a timing test.
"""

import json
import subprocess
import sys

import pytest
import typer
import typer.main

from sfbridge.cli import app

# What a scheduler starting sfbridge every few minutes should not pay for just to print help.
HEAVY = (
    "polars",
    "phonenumbers",
    "rapidfuzz",
    "jinja2",
    "pygal",
    "sqlalchemy",
    "simple_salesforce",
    "requests",
    "xlsxwriter",
    "structlog",
    "sfbridge.audit",
    "sfbridge.checks",
    "sfbridge.matching",
    "sfbridge.plan",
    "sfbridge.push",
    "sfbridge.pull",
    "sfbridge.store",
    "sfbridge.salesforce",
    "sfbridge.report",
    "sfbridge.config",
    "sfbridge.credentials",
    "sfbridge.mappings",
    "sfbridge.models",
    "sfbridge.outputs",
    "sfbridge.rules",
)

# Typer (0.29) coerces option values through a pydantic TypeAdapter, built on first use (~90 ms
# of imports). No help needs one: the groups' own --help defaults to False
# (sfbridge.cli.help.HelpGroup), and a value not given (`runs show --help` processes `runs`'
# own --org, --config and --store first, all None) is not coerced (cli.help._process_value).
PYDANTIC = ("pydantic", "pydantic_core")

_RUN_HELP = """
import json, sys
sys.argv = ["sfbridge", *json.loads(sys.argv[1]), "--help"]
from sfbridge.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
"""


def _command_paths(group=None, path=()):
    group = group or typer.main.get_command(app)
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name)
        if hasattr(command, "commands"):
            yield from _command_paths(command, (*path, name))


def _modules_after_help(path):
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", _RUN_HELP, json.dumps(list(path))],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "Usage:" in done.stdout, done.stdout + done.stderr
    return set(json.loads(done.stdout.rsplit("MODULES ", 1)[1]))


def _loaded(modules, names):
    return sorted(name for name in names if any(m == name or m.startswith(name + ".") for m in modules))


def test_top_level_help_loads_no_stage():
    assert _loaded(_modules_after_help(()), HEAVY + PYDANTIC) == []


@pytest.mark.parametrize("path", list(_command_paths()), ids=" ".join)
def test_command_help_loads_no_stage(path):
    assert _loaded(_modules_after_help(path), HEAVY + PYDANTIC) == []


def test_every_command_is_checked():
    """The list above is the app's, so a command added later is held to the same start-up."""
    paths = {" ".join(path) for path in _command_paths()}
    assert {"pull", "audit", "plan", "apply", "runs", "runs show", "revert", "mappings export"} <= paths
