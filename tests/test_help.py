"""`--help` that teaches: workflow order, true examples under every command, no <bool> placeholders."""

import shlex
import subprocess
import sys
from typing import Annotated

import pytest
import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from sfbridge.cli import app
from sfbridge.cli.help import EXAMPLES, JOB, WORKFLOW


def root():
    return typer.main.get_command(app)


def commands(group=None, path=()):
    group = group or root()
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))


def test_commands_are_listed_in_workflow_order():
    group = root()
    assert group.list_commands(typer.Context(group)) == list(WORKFLOW)


@pytest.mark.parametrize("path", [path for path, _ in commands()], ids=" ".join)
def test_every_command_has_examples_and_no_bool_placeholders(path):
    shown = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    assert "Examples:" in shown.stdout
    assert "<bool>" not in shown.stdout


def parsed(example):
    """The command an example line runs, its arguments parsed (nothing is run)."""
    command, rest, ctx = root(), shlex.split(example)[1:], None
    while isinstance(command, TyperGroup) and rest and not rest[0].startswith("-"):
        ctx = command.make_context(command.name or "sfbridge", [], parent=ctx, resilient_parsing=True)
        _, command, rest = command.resolve_command(ctx, rest)
    command.make_context(command.name or "sfbridge", rest, parent=ctx)  # raises on an unknown option or a missing value
    return command


@pytest.mark.parametrize(
    ("path", "example"),
    [(p, e) for p, examples in EXAMPLES.items() for e in examples] + [(e.split()[1], e) for e in JOB],
)
def test_every_example_is_a_command_line_sfbridge_accepts(path, example):
    """Each example parses: its command exists and takes every option it shows."""
    assert example.startswith(f"sfbridge {path.split()[0]}")
    parsed(example)


def test_an_example_with_a_mistyped_option_is_caught():
    with pytest.raises(Exception, match="--al"):
        parsed("sfbridge audit --al")


def test_checks_option_lists_the_check_names():
    shown = CliRunner().invoke(app, ["audit", "--help"], env={"COLUMNS": "200"})
    assert "Checks: bounced_email, duplicate," in shown.stdout
    assert "CHECK,..." in shown.stdout


def test_the_light_list_of_check_names_is_the_registry():
    """--help lists the checks from sfbridge.check_names; it must name exactly the registered checks, in order."""
    from sfbridge.check_names import CHECK_NAMES  # noqa: PLC0415
    from sfbridge.checks import CHECKS  # noqa: PLC0415

    assert tuple(CHECKS) == CHECK_NAMES


def test_importing_sfbridge_leaves_the_version_unread_until_asked():
    """importlib.metadata (~60 ms) loads when __version__ is read, not on every start."""
    probe = "import sys, sfbridge; a = 'importlib.metadata' in sys.modules; v = sfbridge.__version__; print(a, bool(v))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603
    assert done.stdout.split() == ["False", "True"]


def test_an_option_not_given_is_processed_as_typer_processes_it():
    """Values not given skip Typer's coercer (sfbridge.cli.help._process_value) only where Typer would return None.

    A required argument left out is still missing, a given value is still coerced (and refused
    when it does not fit), a list left out is still None, and a callback still runs for None.
    """
    missing = CliRunner().invoke(app, ["runs", "show"])
    assert missing.exit_code == 2
    assert "Missing argument" in missing.output
    refused = CliRunner().invoke(app, ["runs", "show", "fourteen"])
    assert refused.exit_code == 2
    assert "integer" in refused.output

    seen: list[object] = []
    tool = typer.Typer()

    @tool.command()
    def run(
        name: Annotated[str | None, typer.Option(callback=lambda value: seen.append(("callback", value)))] = None,
        tags: Annotated[list[str] | None, typer.Option()] = None,
        count: Annotated[int | None, typer.Option()] = None,
    ) -> None:
        seen.append((name, tags, count))

    assert CliRunner().invoke(tool, []).exit_code == 0
    assert seen == [("callback", None), (None, None, None)]  # as Typer gives them, unpatched
    seen.clear()
    assert CliRunner().invoke(tool, ["--count", "3", "--tags", "a"]).exit_code == 0
    assert seen == [("callback", None), (None, ["a"], 3)]
