"""`sfbridge pull`, and the pull runner the demo and audit share (progress bars included)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from requests.adapters import BaseAdapter
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from sfbridge.cli.common import (
    ConfigOption,
    JsonOption,
    LogFormat,
    LogFormatOption,
    OrgOption,
    StoreOption,
    VerboseOption,
    app,
    err,
    exit_codes,
    fixed_clock,
    load_profile,
    out,
    seconds,
    setup_logging,
)
from sfbridge.config import OrgProfile
from sfbridge.credentials import resolve_secrets, store_url
from sfbridge.models import ObjectPullResult, PullReport
from sfbridge.pull import PullOptions, pull
from sfbridge.report.terminal import pull_json, pull_table
from sfbridge.salesforce import SalesforceGateway, connect, replay_clock
from sfbridge.store import Store

__all__ = ["print_pull", "pull_command", "pull_options", "run_pull"]


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


def pull_options(profile: OrgProfile, *, config_dir: Path, full: bool = False, bulk: bool = False) -> PullOptions:
    """The pull options of a profile; a replayed org runs on its recording's clock."""
    options = PullOptions(
        page_size=profile.page_size,
        overlap=seconds(profile.overlap_seconds),
        full=full,
        bulk_threshold=profile.bulk_threshold,
        bulk=bulk,
    )
    recorded = replay_clock(profile, config_dir=config_dir)
    if recorded is not None:  # a replayed org asks what was recorded, at the recorded time
        options = dataclasses.replace(options, clock=fixed_clock(recorded))
    return options


def run_pull(
    profile: OrgProfile,
    store: Store,
    *,
    config_dir: Path,
    options: PullOptions,
    objects: tuple[str, ...],
    quiet: bool,
    command: str,
    transport: BaseAdapter | None = None,
    gateway: SalesforceGateway | None = None,
) -> PullReport:
    """Connect (unless given a session) and pull, with progress bars on a terminal unless ``quiet``."""
    if gateway is None:
        gateway = connect(profile, resolve_secrets(profile), config_dir=config_dir, transport=transport)
    if quiet or not err.is_terminal:
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


def print_pull(report: PullReport, *, as_json: bool, title: str = "Pulled") -> None:
    """Show a pull's result as a table, or as JSON."""
    if as_json:
        out.print_json(pull_json(report))
    else:
        out.print(pull_table(report, title=title))


@app.command("pull")
def pull_command(
    org: OrgOption = None,
    config: ConfigOption = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read every record and reconcile Ids (slow, exact).")] = False,
    bulk: Annotated[
        bool, typer.Option("--bulk", help="Read with Bulk API 2.0 jobs whatever the size (default: bulk_threshold).")
    ] = False,
    objects: Annotated[
        str | None, typer.Option("--objects", help="Comma-separated objects to pull (default: the profile's list).")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Pull an org's Leads, Contacts and what they need into the local store (incremental)."""
    setup_logging(log_format, verbose)
    with exit_codes():
        profile, config_dir = load_profile(config, org)
        chosen = tuple(o.strip() for o in objects.split(",") if o.strip()) if objects else profile.objects
        report = run_pull(
            profile,
            Store.open(store or store_url(profile)),
            config_dir=config_dir,
            options=pull_options(profile, config_dir=config_dir, full=full, bulk=bulk),
            objects=chosen,
            quiet=as_json,
            command="pull",
        )
        print_pull(report, as_json=as_json)
