"""The `sfbridge` command line: parse options, load settings, call one stage, render, exit.

Exit codes (the contract schedulers rely on): 0 ok; 1 findings at or above --fail-on;
2 usage or config error; 3 Salesforce, network, store or sync-integrity failure; 4 partial
apply; 70 an internal error (a bug: please report it); 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import structlog
import typer
from requests.adapters import BaseAdapter
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from sfbridge import __version__
from sfbridge.config import OrgProfile, find_config_file, load_settings
from sfbridge.credentials import credential_status, resolve_secrets, store_url
from sfbridge.demo import load_demo_org
from sfbridge.errors import (
    SfbridgeError,
    UsageError,
    UserInputError,
)
from sfbridge.log import configure_logging
from sfbridge.models import ObjectPullResult, PullReport
from sfbridge.pull import PullOptions, pull
from sfbridge.report.terminal import auth_check_table, orgs_table, pull_json, pull_table, to_json
from sfbridge.salesforce import connect, replay_clock, replay_transport
from sfbridge.salesforce.whoami import check_auth
from sfbridge.store import Store, display_url

__all__ = ["app", "main"]

T = TypeVar("T")
log = structlog.get_logger()

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


def _setup_logging(log_format: LogFormat, verbose: int) -> None:
    as_json = log_format is LogFormat.JSON or (log_format is LogFormat.AUTO and not sys.stderr.isatty())
    level = ("warning", "info", "debug")[min(verbose, 2)] if not as_json else ("info", "info", "debug")[min(verbose, 2)]
    configure_logging(json=as_json, level=level)


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _exit_codes() -> Iterator[None]:
    """Map sfbridge's exceptions to exit codes and one clear message, in one place."""
    try:
        yield
    except UserInputError as exc:
        _fail(str(exc), EXIT_USAGE)
    except SfbridgeError as exc:  # Salesforce, network, store or sync-integrity failures
        _fail(str(exc), EXIT_FAILURE)
    except KeyboardInterrupt:
        _fail("interrupted; everything committed so far is kept and the next run resumes from it", EXIT_INTERRUPTED)


def _load_profile(config: Path | None, org: str | None) -> tuple[OrgProfile, Path]:
    path = find_config_file(config)
    return load_settings(path).org(org), path.parent


class _RichProgress:
    """Progress bars on a terminal, one per object."""

    def __init__(self, bars: Progress) -> None:
        self._bars = bars
        self._tasks: dict[str, TaskID] = {}

    def advance(self, sobject: str, *, done: int, total: int | None) -> None:
        if sobject not in self._tasks:
            self._tasks[sobject] = self._bars.add_task(sobject, total=total)
        self._bars.update(self._tasks[sobject], completed=done, total=total or done)

    def finish(self, result: ObjectPullResult) -> None:
        task = self._tasks.get(result.sobject)
        if task is None:
            task = self._tasks[result.sobject] = self._bars.add_task(result.sobject, total=max(result.fetched, 1))
        self._bars.update(
            task, completed=self._bars.tasks[task].total, description=f"{result.sobject} ({result.outcome})"
        )


def _run_pull(
    profile: OrgProfile,
    store_url_: str,
    *,
    config_dir: Path,
    options: PullOptions,
    objects: tuple[str, ...],
    as_json: bool,
    command: str,
    transport: BaseAdapter | None = None,
) -> PullReport:
    gateway = connect(profile, resolve_secrets(profile), config_dir=config_dir, transport=transport)
    store = Store.open(store_url_)
    show_bars = err.is_terminal and not as_json
    if not show_bars:
        return pull(gateway, store, org=profile.name, objects=objects, options=options, command=command)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bars:
        return pull(
            gateway,
            store,
            org=profile.name,
            objects=objects,
            options=options,
            progress=_RichProgress(bars),
            command=command,
        )


def _print_pull(report: PullReport, *, as_json: bool) -> None:
    if as_json:
        out.print_json(pull_json(report))
    else:
        out.print(pull_table(report))


@app.command("pull")
def pull_command(
    org: OrgOption = None,
    config: ConfigOption = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read every record and reconcile Ids (slow, exact).")] = False,
    objects: Annotated[
        str | None, typer.Option("--objects", help="Comma-separated objects to pull (default: the profile's list).")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Pull an org's Leads, Contacts and what they need into the local store (incremental)."""
    _setup_logging(log_format, verbose)
    with _exit_codes():
        profile, config_dir = _load_profile(config, org)
        chosen = tuple(o.strip() for o in objects.split(",") if o.strip()) if objects else profile.objects
        options = PullOptions(page_size=profile.page_size, overlap=_seconds(profile.overlap_seconds), full=full)
        recorded = replay_clock(profile, config_dir=config_dir)
        if recorded is not None:  # a replayed org asks what was recorded, at the recorded time
            options = dataclasses.replace(options, clock=_fixed_clock(recorded))
        report = _run_pull(
            profile,
            store or store_url(profile),
            config_dir=config_dir,
            options=options,
            objects=chosen,
            as_json=as_json,
            command="pull",
        )
        _print_pull(report, as_json=as_json)


def _seconds(value: int) -> timedelta:
    return timedelta(seconds=value)


def _fixed_clock(moment: datetime) -> Callable[[], datetime]:
    """A clock stopped at ``moment`` (a function, not a loop lambda, so each keeps its own)."""
    return lambda: moment


@app.command()
def demo(
    store: StoreOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Run sfbridge on the bundled demo org: no credentials, no network (a recorded org).

    Replays the org's first full pull and an incremental pull three hours later (edits,
    deletions, a new custom field) into a fresh store.
    """
    _setup_logging(log_format, verbose)
    with _exit_codes(), _demo_store(store) as store_url_:
        demo_org = load_demo_org()
        transport = replay_transport(demo_org.profile, config_dir=demo_org.folder)
        reports = []
        for moment in demo_org.runs:
            # Each recorded pull ran at a fixed moment; replaying with that clock asks
            # exactly the recorded questions.
            options = PullOptions(
                page_size=demo_org.profile.page_size,
                overlap=_seconds(demo_org.profile.overlap_seconds),
                clock=_fixed_clock(moment),
            )
            reports.append(
                _run_pull(
                    demo_org.profile,
                    store_url_,
                    config_dir=demo_org.folder,
                    options=options,
                    objects=demo_org.profile.objects,
                    as_json=as_json,
                    command="demo",
                    transport=transport,
                )
            )
        if as_json:
            out.print_json(to_json({"runs": [json.loads(pull_json(report)) for report in reports]}))
            return
        for title, report in zip(("First pull", "Incremental pull, three hours later"), reports, strict=False):
            out.print(pull_table(report, title=title))
        kept = f"kept at {display_url(store_url_)}" if store else "a temporary store (use --store PATH to keep it)"
        err.print(f"Demo org {demo_org.org_id} replayed into {kept}.")


@contextmanager
def _demo_store(store: str | None) -> Iterator[str]:
    if store:
        if Store.open(store).recent_runs(limit=1):
            msg = (
                f"--store: {display_url(store)} already holds runs; the demo replays into a new store, "
                "choose another path"
            )
            raise UsageError(msg)
        yield store
        return
    with tempfile.TemporaryDirectory(prefix="sfbridge-demo-") as folder:
        yield str(Path(folder) / "demo.db")


@auth_app.command("check")
def auth_check(
    org: OrgOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Log in to an org and show the org, user, API version and API usage, or why it failed."""
    _setup_logging(log_format, verbose)
    with _exit_codes():
        profile, config_dir = _load_profile(config, org)
        check = check_auth(connect(profile, resolve_secrets(profile), config_dir=config_dir))
        if as_json:
            out.print_json(to_json(check.as_dict()))
        else:
            out.print(auth_check_table(check))


@app.command()
def orgs(
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the configured org profiles and whether their credentials are set."""
    with _exit_codes():
        path = find_config_file(config)
        settings = load_settings(path)
        rows = [
            {
                "org": profile.name,
                "auth": profile.auth.value,
                "where": profile.instance_url or profile.login_url,
                "api_version": profile.api_version,
                "store": display_url(store_url(profile)),
                "credentials": credential_status(profile),
            }
            for profile in settings.orgs.values()
        ]
        if as_json:
            out.print_json(to_json({"config": str(path), "orgs": rows}))
        else:
            out.print(orgs_table(rows))


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
