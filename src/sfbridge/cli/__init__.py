"""The `sfbridge` command line: parse options, load settings, call one stage, render, exit.

Each command lives in its own module and registers itself on the shared app; exit codes and
the consoles are in :mod:`sfbridge.cli.common`.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from sfbridge import __version__
from sfbridge.cli import applying, auditing, demo, init, mappings, orgs, planning, pulling, reporting, trends  # noqa: F401 (importing registers the commands)
from sfbridge.cli.common import EXIT_INTERNAL, app, err, out
from sfbridge.cli.help import WorkflowGroup
from sfbridge.cli.signals import install_signal_handlers

__all__ = ["app", "main"]

app.info.cls = WorkflowGroup  # workflow order, examples under every command


def version_callback(value: bool) -> None:  # noqa: FBT001 (typer callback signature)
    """Print the version and stop."""
    if value:
        out.print(f"sfbridge {__version__}")
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
    install_signal_handlers()
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        err.print(f"[bold red]internal error:[/] {exc.__class__.__name__}: {exc}")
        err.print(
            "This is a bug in sfbridge; please report it with the command you ran "
            f"(set SFBRIDGE_DEBUG=1 to see the traceback). sfbridge {__version__}"
        )
        if os.environ.get("SFBRIDGE_DEBUG"):
            raise
        sys.exit(EXIT_INTERNAL)
