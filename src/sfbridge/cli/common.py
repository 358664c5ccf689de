"""What every command shares: the app, consoles, options, logging set-up and exit codes.

Exit codes (the contract schedulers rely on): 0 ok; 1 findings at or above --fail-on;
2 usage or config error; 3 Salesforce, network, store or sync-integrity failure; 4 partial
apply; 70 an internal error (a bug: please report it); 130 interrupted (Ctrl-C); 128 + the
signal's number when stopped by a signal (143 for SIGTERM, 129 for SIGHUP).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from sfbridge.config import OrgProfile, find_config_file, load_settings
from sfbridge.errors import SfbridgeError, Terminated, UserInputError
from sfbridge.log import configure_logging

__all__ = [
    "EXIT_FAILURE",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "ConfigOption",
    "JsonOption",
    "LogFormat",
    "LogFormatOption",
    "OrgOption",
    "StoreOption",
    "VerboseOption",
    "app",
    "auth_app",
    "err",
    "exit_codes",
    "fail",
    "load_profile",
    "out",
    "seconds",
    "setup_logging",
]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILURE, EXIT_PARTIAL = 0, 1, 2, 3, 4
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130

app = typer.Typer(
    name="sfbridge",
    help="Keep a Salesforce org's Leads and Contacts honest: pull, audit, and fix with review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
auth_app = typer.Typer(help="Check how sfbridge logs in to an org.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")

# Results go to standard output, messages and progress to standard error. Piped output keeps
# wide tables whole instead of wrapping them at the 80 columns rich assumes off a terminal.
out = Console(width=None if sys.stdout.isatty() else 132)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 132)


class LogFormat(StrEnum):
    """How log lines are written."""

    AUTO = "auto"
    JSON = "json"
    TEXT = "text"


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: $SFBRIDGE_CONFIG, ./config/sfbridge.toml).", dir_okay=False),
]
OrgOption = Annotated[str | None, typer.Option("--org", help="Org profile name from the config file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on standard output.")]
LogFormatOption = Annotated[
    LogFormat,
    typer.Option("--log-format", help="Log lines as JSON or text; auto = JSON unless stderr is a terminal."),
]
VerboseOption = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log detail (-vv for debug).")]
StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store path or URL (sqlite:///..., postgresql+psycopg://...); overrides the profile."),
]


def setup_logging(log_format: LogFormat, verbose: int) -> None:
    """Configure logging once per command: JSON for machines, text (quieter) on a terminal."""
    as_json = log_format is LogFormat.JSON or (log_format is LogFormat.AUTO and not sys.stderr.isatty())
    level = ("warning", "info", "debug")[min(verbose, 2)] if not as_json else ("info", "info", "debug")[min(verbose, 2)]
    configure_logging(json=as_json, level=level)


def fail(message: str, code: int) -> NoReturn:
    """Print one clear error line and exit with a code."""
    # The message is text, not markup: "[orgs.NAME]" and "[[mapping]]" must print as written.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def exit_codes() -> Iterator[None]:
    """Map sfbridge's exceptions to exit codes and one clear message, in one place."""
    try:
        yield
    except UserInputError as exc:
        fail(str(exc), EXIT_USAGE)
    except SfbridgeError as exc:  # Salesforce, network, store or sync-integrity failures
        fail(str(exc), EXIT_FAILURE)
    except Terminated as exc:  # SIGTERM, SIGHUP, SIGBREAK: the shell's convention, 128 + the signal
        fail(f"{exc}; everything committed so far is kept, the next run resumes", 128 + exc.signum)
    except KeyboardInterrupt:
        fail("interrupted; everything committed so far is kept and the next run resumes from it", EXIT_INTERRUPTED)


def load_profile(config: Path | None, org: str | None) -> tuple[OrgProfile, Path]:
    """Find the config file, load it and pick the org; also return the config's folder."""
    path = find_config_file(config)
    return load_settings(path).org(org), path.parent


def seconds(value: int) -> timedelta:
    """A number of seconds as a timedelta."""
    return timedelta(seconds=value)
