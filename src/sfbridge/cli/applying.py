"""`sfbridge apply` (a reviewed plan, after confirmation), `sfbridge revert` and `sfbridge runs`.

An apply or revert holds the apply locks (one per plan on this machine, one per store) from
before it connects until it ends: a second apply of the same plan, or into the same store,
sends nothing and exits 3, like any store that is busy; a scheduler retries later, when the
journal lets it resume.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sfbridge.cli.common import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    LogFormat,
    LogFormatOption,
    OrgOption,
    StoreOption,
    TargetOrgOption,
    VerboseOption,
    app,
    check_org_options,
    err,
    exit_codes,
    fail,
    load_profile,
    out,
    setup_logging,
)
from sfbridge.cli.help import HelpGroup

if TYPE_CHECKING:
    from sfbridge.push import ApplyReport
    from sfbridge.push.revert import RevertReport

__all__ = ["apply_command", "revert_command", "runs_command"]

WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="Seconds to wait for another apply of this plan, or into this store, to end (default: exit 3 at once).",
    ),
]


runs_app = typer.Typer(help="List apply runs and what each action did.", invoke_without_command=True, cls=HelpGroup)
app.add_typer(runs_app, name="runs")


def _can_confirm(yes: bool) -> None:  # noqa: FBT001 (the --yes flag)
    if not yes and not sys.stdin.isatty():
        fail("this changes the org: confirm on a terminal, or pass --yes (for schedulers)", EXIT_USAGE)


def _confirm(yes: bool, question: str) -> None:  # noqa: FBT001 (the --yes flag)
    if yes:
        return
    _can_confirm(yes)
    if not typer.confirm(question, err=True):
        fail("nothing changed", EXIT_USAGE)


def _report_table(report: ApplyReport) -> Table:
    from sfbridge.report.journal import STATE_STYLE
    from sfbridge.report.plan import action_line

    table = Table(title=f"Apply run {report.run_id}: plan {report.plan.digest[:12]} on org {report.plan.org_id}")
    for header in ("state", "action", "why"):
        table.add_column(header)
    for outcome in report.outcomes:
        style = STATE_STYLE.get(outcome.state, "")
        table.add_row(f"[{style}]{outcome.state.value}[/]", action_line(outcome.action), outcome.detail or "")
    return table


def _report_json(report: ApplyReport) -> dict[str, Any]:
    from sfbridge.models import JournalState

    return {
        "run_id": report.run_id,
        "plan": report.plan.digest,
        "stopped": report.stopped,
        "counts": {state.value: report.count(state) for state in JournalState},
        "actions": [
            {"key": o.action.key, "state": o.state.value, "detail": o.detail, "after": o.after} for o in report.outcomes
        ],
    }


@app.command("apply")
def apply_command(
    plan_file: Annotated[Path, typer.Argument(help="The plan file made by sfbridge plan.", dir_okay=False)],
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Apply without asking (for schedulers).")] = False,
    store: StoreOption = None,
    wait: WaitOption = 0,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Apply a reviewed plan to its org: exactly its actions, each journalled, never a lead converted twice."""
    import structlog

    from sfbridge.config import rules_path
    from sfbridge.credentials import resolve_secrets, store_url
    from sfbridge.mappings import find_mappings_file, load_mappings
    from sfbridge.models import JournalState
    from sfbridge.plan import read_plan
    from sfbridge.push import apply_plan
    from sfbridge.push.destination import apply_line, refuse_other_kind
    from sfbridge.report.plan import plan_table
    from sfbridge.report.terminal import to_json
    from sfbridge.rules import load_rules
    from sfbridge.salesforce import connect
    from sfbridge.salesforce.whoami import destination
    from sfbridge.store import Store

    log = structlog.get_logger()
    setup_logging(log_format, verbose)
    with exit_codes():
        check_org_options(org, target_org)  # before reading the plan: a usage error is said first
        plan = read_plan(plan_file)
        # The plan names its org's profile; --org or --target-org choose another (and apply checks the org's Id).
        profile, config_dir = load_profile(config, org or (None if target_org else plan.org), target_org)
        rules = load_rules(rules_path(profile, config_dir=config_dir))
        if not as_json:
            out.print(plan_table(plan))
        _can_confirm(yes)  # before connecting: a scheduler without --yes learns at once
        mirror = Store.open(store or store_url(profile))
        mappings_file = find_mappings_file(config_dir)
        mappings = load_mappings(mappings_file)
        with mirror.apply_lock(plan.digest, wait=wait):  # before connecting: a refused apply sends nothing
            gateway = connect(profile, resolve_secrets(profile), config_dir=config_dir)
            where = destination(gateway)  # read, not remembered: the admin approves the org as it is now
            refuse_other_kind(plan, where)
            line = apply_line(plan, where, profile=profile.name)
            log.info("apply_destination", line=line, org_id=where.org_id, sandbox=where.is_sandbox)
            if yes:
                err.print(f"Applying {line}")
            else:
                _confirm(yes, f"Apply {line}? Conversions cannot be undone; merges only within 15 days.")
            report = apply_plan(
                gateway,
                mirror,
                plan,
                org=profile.name,
                convert_batch_size=rules.plan.convert_batch_size,
                merge_batch_size=rules.merge.batch_size,
                mappings=mappings,
                mappings_source=str(mappings_file) if mappings_file else None,
                settle_seconds=profile.network.settle_seconds,
            )
        if as_json:
            out.print_json(to_json(_report_json(report)))
        else:
            out.print(_report_table(report))
    if not report.complete:
        err.print(
            f"{report.count(JournalState.FAILED)} failed, {report.count(JournalState.SKIPPED)} skipped: "
            f"see the table (sfbridge runs show {report.run_id}). Exiting with {EXIT_PARTIAL}."
        )
        raise typer.Exit(EXIT_PARTIAL)


@runs_app.callback()
def runs_command(
    ctx: typer.Context,
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """List recent apply runs with their outcome."""
    if ctx.invoked_subcommand is not None:
        return
    from sfbridge.credentials import store_url
    from sfbridge.report.terminal import to_json
    from sfbridge.store import Store

    setup_logging(LogFormat.AUTO, 0)  # the sweep's warning goes to stderr, never into --json output
    with exit_codes():
        profile, _ = load_profile(config, org, target_org)
        mirror = Store.open(store or store_url(profile), create=False)
        mirror.sweep_interrupted()  # runs whose process died show as interrupted, not running forever
        rows = [run for run in mirror.recent_runs(limit=50) if run["command"] == "apply"]
        if as_json:
            out.print_json(to_json(rows))
            return
        table = Table(title="Apply runs")
        for header in ("run", "started", "outcome", "actions"):
            table.add_column(header)
        for run in rows:
            counts = ", ".join(f"{state} {count}" for state, count in (run["counts"] or {}).items())
            table.add_row(str(run["id"]), f"{run['started_at']:%Y-%m-%d %H:%M}", run["outcome"], counts)
        out.print(table)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[int, typer.Argument(help="The run number (see sfbridge runs).")],
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show each action of an apply run: what was sent, the values before, and how it ended."""
    from sfbridge.credentials import store_url
    from sfbridge.report.journal import journal_table
    from sfbridge.report.terminal import to_json
    from sfbridge.store import Store

    with exit_codes():
        profile, _ = load_profile(config, org, target_org)
        mirror = Store.open(store or store_url(profile), create=False)
        run = mirror.run(run_id)
        if run is None:
            fail(f"no run {run_id} in {mirror.url}; see sfbridge runs", EXIT_USAGE)
        entries = mirror.journal_of_run(run_id)
        if as_json:
            out.print_json(to_json([entry.model_dump(mode="json") for entry in entries]))
            return
        out.print(journal_table(entries, title=f"{str(run['command']).capitalize()} run {run_id}"))


@app.command("revert")
def revert_command(
    run_id: Annotated[int, typer.Argument(help="The apply run whose updates and merges to undo (see sfbridge runs).")],
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Revert without asking (for schedulers).")] = False,
    store: StoreOption = None,
    wait: WaitOption = 0,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Put back the values an apply run's updates replaced, and undo its merges while Salesforce can.

    Merged records come back from the Recycle Bin within 15 days of the merge; the related
    records a merge moved to the master stay with it. Conversions cannot be undone.
    """
    from sfbridge.credentials import resolve_secrets, store_url
    from sfbridge.push.revert import revert_run
    from sfbridge.report.terminal import to_json
    from sfbridge.salesforce import connect
    from sfbridge.store import Store

    setup_logging(log_format, verbose)
    with exit_codes():
        profile, config_dir = load_profile(config, org, target_org)
        mirror = Store.open(store or store_url(profile), create=False)
        _confirm(
            yes,
            f"Revert apply run {run_id}: put back the values its updates replaced and undelete the records it "
            "merged (within Salesforce's 15-day Recycle Bin)?",
        )
        # The reverted run's plan: a revert journals under it, so no apply of that plan may run meanwhile.
        digest = next(iter(mirror.plan_digests_of_run(run_id)), None)
        with mirror.apply_lock(digest, wait=wait):
            gateway = connect(profile, resolve_secrets(profile), config_dir=config_dir)
            report = revert_run(gateway, mirror, run_id, org=profile.name)
        if as_json:
            out.print_json(
                to_json(
                    {
                        "run_id": report.run_id,
                        "updates": [entry.model_dump(mode="json") for entry in report.outcomes],
                        "merges": [entry.model_dump(mode="json") for entry in report.merges],
                        "conversions_not_reverted": [entry.record_id for entry in report.conversions],
                    }
                )
            )
        else:
            _print_revert(report, run_id)
        if report.conversions:
            err.print(
                f"{len(report.conversions)} conversions of run {run_id} cannot be reverted (Salesforce cannot turn a "
                "Contact back into a Lead): " + ", ".join(entry.record_id for entry in report.conversions)
            )
    if not report.complete:
        raise typer.Exit(EXIT_PARTIAL)


def _print_revert(report: RevertReport, run_id: int) -> None:
    from sfbridge.report.journal import STATE_STYLE, pairs
    from sfbridge.report.terminal import to_json

    if report.outcomes or not report.merges:
        table = Table(title=f"Revert of apply run {run_id} (run {report.run_id}): field updates")
        for header in ("state", "record", "values put back", "why"):
            table.add_column(header)
        for entry in report.outcomes:
            style = STATE_STYLE.get(entry.state, "")
            table.add_row(
                f"[{style}]{entry.state.value}[/]",
                f"{entry.sobject} {entry.record_id}",
                to_json(entry.after),
                entry.detail or "",
            )
        out.print(table)
    if report.merges:
        table = Table(title=f"Revert of apply run {run_id} (run {report.run_id}): merges")
        for header in ("state", "master", "undeleted", "master's values put back", "what stays / why"):
            table.add_column(header)
        for entry in report.merges:
            style = STATE_STYLE.get(entry.state, "")
            table.add_row(
                f"[{style}]{entry.state.value}[/]",
                f"{entry.sobject} {entry.record_id}",
                "\n".join(entry.after.get("undeleted") or ()),
                pairs(entry.after.get("values") or {}),
                entry.detail or "",
            )
        out.print(table)
