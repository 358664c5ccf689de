"""The `sfbridge` command line: parse options, load settings, call one stage, render, exit.

Each command lives in its own module and registers itself on the shared app; exit codes and
the consoles are in :mod:`sfbridge.cli.common`.

A command imports what it uses, when it runs. ``sfbridge --help`` imports every command
module, and a scheduler starting sfbridge every few minutes should not pay for polars,
SQLAlchemy, pydantic or simple-salesforce (~2.5 s, ~300 MB) to print help. So a command
module imports at its top only what Typer reads when the commands are defined: typer, rich,
:mod:`sfbridge.cli.common` and :mod:`sfbridge.cli.help`, :mod:`sfbridge.errors`,
:mod:`sfbridge.severity` and :mod:`sfbridge.check_names` (option types must be real at
definition time, so they are enums, ``Path`` and ``str``). Every stage (config, audit, checks,
plan, push, pull, store, salesforce, report, ...) is imported inside the function that uses
it, and names used only in annotations are imported under ``TYPE_CHECKING``.
``tests/test_startup.py`` holds every command's ``--help`` to this.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

import sfbridge
from sfbridge.cli import applying, auditing, demo, importing, init, mappings, orgs, planning, pulling, reporting, trends  # noqa: F401 (importing registers the commands)
from sfbridge.cli.common import EXIT_INTERNAL, app, err, out
from sfbridge.cli.help import WorkflowGroup
from sfbridge.cli.signals import install_signal_handlers
from sfbridge.heap import return_freed_frames_promptly

__all__ = ["app", "main"]

app.info.cls = WorkflowGroup  # workflow order, examples under every command


def version_callback(value: bool) -> None:  # noqa: FBT001 (typer callback signature)
    """Print the version and stop."""
    if value:
        out.print(f"sfbridge {sfbridge.__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Keep a Salesforce org's Leads and Contacts honest: pull, audit, and fix with review."""


def main() -> None:
    """Console-script entry point (also `python -m sfbridge`)."""
    return_freed_frames_promptly()  # before any command loads polars
    install_signal_handlers()
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        err.print(f"[bold red]internal error:[/] {exc.__class__.__name__}: {exc}")
        err.print(
            "This is a bug in sfbridge; please report it with the command you ran "
            f"(set SFBRIDGE_DEBUG=1 to see the traceback). sfbridge {sfbridge.__version__}"
        )
        if os.environ.get("SFBRIDGE_DEBUG"):
            raise
        sys.exit(EXIT_INTERNAL)
