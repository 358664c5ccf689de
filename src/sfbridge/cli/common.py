"""What every command shares: the app, consoles, options, logging set-up and exit codes.

Exit codes (the contract schedulers rely on): 0 ok; 1 findings at or above --fail-on;
2 usage or config error; 3 Salesforce, network, store or sync-integrity failure; 4 partial
apply; 70 an internal error (a bug: please report it); 130 interrupted (Ctrl-C); 128 + the
signal's number when stopped by a signal (143 for SIGTERM, 129 for SIGHUP).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from sfbridge.cli.help import HelpGroup
from sfbridge.errors import ConfigError, SfbridgeError, Terminated, UsageError, UserInputError

if TYPE_CHECKING:
    from sfbridge.config import OrgProfile

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
    "TargetOrgOption",
    "VerboseOption",
    "alias_profile",
    "app",
    "auth_app",
    "check_org_options",
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
auth_app = typer.Typer(help="Check how sfbridge logs in to an org.", no_args_is_help=True, cls=HelpGroup)
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
    typer.Option(
        "--config",
        help="Config file (default: $SFBRIDGE_CONFIG, ./sfbridge.toml, ./config/sfbridge.toml, then the user's "
        "config folder; see sfbridge init).",
        dir_okay=False,
    ),
]
OrgOption = Annotated[str | None, typer.Option("--org", help="Org profile name from the config file.")]
TargetOrgOption = Annotated[
    str | None,
    typer.Option(
        "--target-org",
        help="Use this Salesforce CLI login (alias or username, see sf org list) instead of a profile; not with --org.",
    ),
]
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
    from sfbridge.log import configure_logging

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


def load_profile(config: Path | None, org: str | None, target_org: str | None = None) -> tuple[OrgProfile, Path]:
    """Find the config file, load it and pick the org; also return the config's folder.

    With ``--target-org ALIAS`` no profile is read: the org is the sf CLI's login of that
    alias (:func:`alias_profile`), and the folder is the config file's when there is one (for
    its rules.toml and mappings.toml), else ``config`` (none: the built-in rules).

    Raises:
        UsageError: when both ``--org`` and ``--target-org`` are given.
    """
    from sfbridge.config import find_config_file, load_settings

    check_org_options(org, target_org)
    if target_org is not None:
        try:
            folder = find_config_file(config).parent
        except ConfigError:
            if config is not None:  # a --config that does not exist is still a mistake
                raise
            folder = Path("config")
        return alias_profile(target_org), folder
    path = find_config_file(config)
    return load_settings(path).org(org), path.parent


def check_org_options(org: object, target_org: str | None) -> None:
    """Refuse ``--org`` (or ``--all-orgs``) together with ``--target-org``: they name different things."""
    if org and target_org is not None:
        msg = (
            "--org and --target-org both choose the org: give --org NAME for a profile in the config file, "
            "or --target-org ALIAS for a Salesforce CLI login, not both"
        )
        raise UsageError(msg)


# What a store's file name may hold; an sf alias or username may hold more (":", "/").
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def alias_profile(alias: str) -> OrgProfile:
    """An in-memory profile for ``--target-org ALIAS``: auth = sf_cli, every other key its default.

    It is named after the alias (characters a file name cannot hold become ``_``), so its
    store follows the rule of any profile of that name: ``SFBRIDGE_<ALIAS>_STORE_URL``, else
    ``.sfbridge/<ALIAS>.db``; its reports go to ``sfbridge-reports/<ALIAS>``.

    Raises:
        UsageError: for an empty alias, one with spaces, or one sf would read as an option.
    """
    from sfbridge.config import AuthMethod, OrgProfile

    if not alias or any(c.isspace() for c in alias) or alias.startswith("-"):
        msg = f"--target-org {alias!r}: give a Salesforce CLI alias or username (see: sf org list)"
        raise UsageError(msg)
    return OrgProfile(name=_FILE_UNSAFE.sub("_", alias), auth=AuthMethod.SF_CLI, sf_alias=alias)


def seconds(value: int) -> timedelta:
    """A number of seconds as a timedelta."""
    return timedelta(seconds=value)
