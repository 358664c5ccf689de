"""`sfbridge pull`, and the pull runner the demo and audit share (progress bars included)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sfbridge.cli.common import (
    ConfigOption,
    JsonOption,
    LogFormat,
    LogFormatOption,
    OrgOption,
    StoreOption,
    TargetOrgOption,
    VerboseOption,
    app,
    err,
    exit_codes,
    load_profile,
    out,
    seconds,
    setup_logging,
)
from sfbridge.errors import ConfigError, FatalSalesforceError, UsageError, UserInputError

if TYPE_CHECKING:
    from requests.adapters import BaseAdapter
    from rich.progress import Progress, TaskID

    from sfbridge.config import OrgProfile
    from sfbridge.models import ObjectPullResult, PullReport
    from sfbridge.prepare import Prepared
    from sfbridge.pull import PullOptions
    from sfbridge.salesforce import SalesforceGateway
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


def pull_options(profile: OrgProfile, *, full: bool = False, bulk: bool = False) -> PullOptions:
    """The pull options of a profile.

    A replayed org needs no clock of its own: every moment a pull asks about comes from the
    ``Date`` header of the answers, which the recording keeps.
    """
    from sfbridge.pull import PullOptions

    return PullOptions(
        page_size=profile.page_size,
        overlap=seconds(profile.overlap_seconds),
        full=full,
        bulk_threshold=profile.bulk_threshold,
        bulk=bulk,
    )


def run_pull(
    profile: OrgProfile,
    store: Store | str,
    *,
    config_dir: Path,
    options: PullOptions,
    objects: tuple[str, ...] | None = None,
    quiet: bool,
    command: str,
    transport: BaseAdapter | None = None,
    gateway: SalesforceGateway | None = None,
) -> tuple[Store, PullReport]:
    """Log in, check the objects, open (or create) the store and pull, with progress bars on a terminal.

    Logging in and checking the objects come before the store is opened, so a refused login,
    an unreachable org, an ``api_version`` the org does not serve or a mistyped object leave no
    store behind; a SQLite store this call created is removed again when the pull fails before
    it committed a record (a PostgreSQL store keeps its empty tables, which the next pull uses).

    Args:
        profile: the org profile.
        store: the store's URL, or a store already open (kept whatever happens).
        config_dir: the config file's folder.
        options: how to pull.
        objects: the objects from ``--objects``; None for the profile's list.
        quiet: no progress bars.
        command: the command recorded in the runs table.
        transport: a requests transport instead of the network (the demo's replay).
        gateway: a session already logged in (plan's), instead of a new one.

    Returns:
        The store and what was pulled.

    Raises:
        UsageError: for an ``--objects`` name the org does not offer.
        ConfigError: for such a name in the profile's objects, or an api_version not served.
    """
    from sfbridge.credentials import resolve_secrets
    from sfbridge.salesforce import connect
    from sfbridge.store import Store
    from sfbridge.store.files import discard_new_store, new_sqlite_paths

    if gateway is None:
        gateway = connect(profile, resolve_secrets(profile), config_dir=config_dir, transport=transport)
    identity = gateway.identity()  # logs in: nothing is created for an org we cannot reach
    chosen = _checked_objects(gateway, profile, objects)

    def run(mirror: Store) -> PullReport:
        given = objects is not None
        return _pull(
            gateway, mirror, profile=profile, objects=chosen, given=given, options=options, quiet=quiet, command=command
        )

    if isinstance(store, Store):
        return store, run(store)
    created = new_sqlite_paths(store)
    mirror: Store | None = None
    try:
        mirror = Store.open(store)
        report = run(mirror)
    except BaseException:
        if created:
            discard_new_store(mirror, created, objects=chosen, org_id=identity.org_id)
        raise
    return mirror, report


def _pull(
    gateway: SalesforceGateway,
    store: Store,
    *,
    profile: OrgProfile,
    objects: tuple[str, ...],
    given: bool,
    options: PullOptions,
    quiet: bool,
    command: str,
) -> PullReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sfbridge.pull import pull
    from sfbridge.pull.objects import ABSENT_OBJECT_CODES

    try:
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
    except FatalSalesforceError as exc:
        # Describe refused an object never pulled into this store: it is absent from the org or
        # hidden from the integration user, which is the objects list's (or the permissions') fix.
        if exc.sobject in objects and exc.error_code in ABSENT_OBJECT_CODES and store.state(exc.sobject) is None:
            problem = (
                f"{exc.sobject!r} is not available to the integration user ({exc.error_code}): remove it, "
                "or give the user access to it (see the README's permission list)"
            )
            raise _objects_error(profile, problem, given=given) from exc
        raise


def _checked_objects(
    gateway: SalesforceGateway, profile: OrgProfile, objects: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The objects to pull, as the org spells them; refuse a name it does not offer."""
    from sfbridge.pull.object_names import check_objects

    check = check_objects(profile.objects if objects is None else objects, gateway.sobject_names)
    if check.problems:
        raise _objects_error(profile, "; ".join(check.problems), given=objects is not None)
    return check.objects


def _objects_error(profile: OrgProfile, problem: str, *, given: bool) -> UserInputError:
    """Name where the objects came from: ``--objects``, or the profile's list in the config file."""
    if given:
        return UsageError(f"--objects: {problem}; list object API names, e.g. --objects Lead,Contact")
    msg = f"{problem}; fix the objects list in the config file ([orgs.{profile.name}] or [defaults])"
    return ConfigError(msg, key=f"orgs.{profile.name}.objects")


def print_pull(report: PullReport, *, as_json: bool, title: str = "Pulled") -> None:
    """Show a pull's result as a table, or as JSON."""
    from sfbridge.report.terminal import pull_json, pull_table

    if as_json:
        out.print_json(pull_json(report))
    else:
        out.print(pull_table(report, title=title))


@app.command("pull")
def pull_command(
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
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
    from sfbridge.credentials import store_url

    setup_logging(log_format, verbose)
    with exit_codes():
        profile, config_dir = load_profile(config, org, target_org)
        chosen = tuple(o.strip() for o in objects.split(",") if o.strip()) if objects is not None else None
        if chosen == ():
            msg = "--objects: no object given; list object API names, e.g. --objects Lead,Contact"
            raise UsageError(msg)
        mirror, report = run_pull(
            profile,
            store or store_url(profile),
            config_dir=config_dir,
            options=pull_options(profile, full=full, bulk=bulk),
            objects=chosen,
            quiet=as_json,
            command="pull",
        )
        print_pull(report, as_json=as_json)
        prepare_for_audit(mirror, profile, config_dir=config_dir, quiet=as_json, afresh=full)


def prepare_for_audit(
    mirror: Store, profile: OrgProfile, *, config_dir: Path, quiet: bool, afresh: bool = False
) -> None:
    """Normalise what the pull brought, so the next audit reads ready values (:mod:`sfbridge.prepare`).

    The pull has landed by now: rules that cannot be read leave the normalising to the audit
    (which will name the problem) instead of failing the pull. ``afresh`` (``pull --full``, the
    repair) keeps every frame and the people anew, whatever still held.
    """
    import structlog

    from sfbridge.audit import prepare_for_audits
    from sfbridge.config import rules_path
    from sfbridge.rules import load_rules

    if afresh:
        mirror.forget_kept_frames()
    try:
        rules = load_rules(rules_path(profile, config_dir=config_dir))
    except ConfigError as exc:
        structlog.get_logger().warning("prepare_skipped", reason=str(exc))
        if not quiet:
            err.print(f"[yellow]Not normalised ahead of the audit: {exc}[/yellow]")
        return
    prepared = prepare_for_audits(mirror, rules)
    if not quiet:
        err.print(prepared_line(prepared))


def prepared_line(prepared: Prepared) -> str:
    """What a pull's preparation did, in a line: what it normalised and kept, and what still held from before."""
    people, unchanged = f"{prepared.people:,} people", len(prepared.unchanged)
    if prepared.people_unchanged and not prepared.stale:
        return f"{people} and {_objects(unchanged)} records unchanged since the last pull: nothing to prepare."
    if prepared.people_unchanged:
        said = f"{people} unchanged"
    else:
        said = f"Normalised and kept {people}" if prepared.people_kept else f"Normalised {people}"
    if prepared.kept:
        said += f"{',' if prepared.people_kept else ''} and kept {_objects(len(prepared.kept))} records"
        said += f" ({unchanged} unchanged)" if unchanged else ""
    elif prepared.stale:  # the store refused them (logged): the audit reads those from the mirror
        said += f"; {_objects(len(prepared.stale))} records not kept (see the log)"
    return f"{said} for the next audit in {prepared.seconds:.1f} s."


def _objects(count: int) -> str:
    return f"{count} object's" if count == 1 else f"{count} objects'"
