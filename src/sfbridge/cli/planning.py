"""`sfbridge plan`: turn an org's findings into a reviewable plan file, or show one."""

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
    setup_logging,
)
from sfbridge.cli.pulling import print_pull, pull_options, run_pull
from sfbridge.errors import UsageError

if TYPE_CHECKING:
    from sfbridge.models import Plan
    from sfbridge.plan import FindingsSource

__all__ = ["plan_command", "show_plan"]


def show_plan(plan: Plan, *, as_json: bool) -> None:
    """Print a plan as its summary table and diff (or its JSON)."""
    from sfbridge.plan import plan_json
    from sfbridge.report.plan import plan_diff, plan_table

    if as_json:
        out.print_json(plan_json(plan).decode())
        return
    out.print(plan_table(plan))
    out.print(plan_diff(plan), markup=False, highlight=False)


def _tell_reuse(source: FindingsSource, reused: list[FindingsSource]) -> None:
    """Say whose findings the plan is made from (on stderr: --json keeps stdout to the JSON alone)."""
    reused.append(source)
    err.print(f"Findings from {source.command} run {source.run_id} (same snapshot and rules); --reaudit audits afresh.")


def _print_written(plan: Plan, path: Path, *, reused: bool, as_json: bool) -> None:
    """Show the plan just written (or, with --json, where it is and which run its findings came from)."""
    from sfbridge.report.plan import plan_table
    from sfbridge.report.terminal import to_json

    if as_json:
        summary = {"plan": str(path), "digest": plan.digest, "actions": len(plan.actions)}
        out.print_json(to_json(summary | {"audit_run_id": plan.audit_run_id, "findings_reused": reused}))
        return
    out.print(plan_table(plan))
    err.print(f"Plan written to {path}. Review it (sfbridge plan --show {path}), then: sfbridge apply {path}")


@app.command("plan")
def plan_command(
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    checks: Annotated[
        str | None, typer.Option("--checks", help="Only these checks' findings (comma-separated).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to write the plan (default: plan.json).", dir_okay=False),
    ] = None,
    show: Annotated[
        Path | None,
        typer.Option(
            "--show", help="Show an existing plan file as a table and a diff; changes nothing.", dir_okay=False
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Plan from the store as it is: no pull, no user in the plan, mappings checked only at apply.",
        ),
    ] = False,
    reaudit: Annotated[
        bool,
        typer.Option(
            "--reaudit",
            help="Audit afresh, even when an audit of the same snapshot and rules could be reused.",
        ),
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Plan fixes for the findings (conversions, field updates) as a file to review; writes nothing to the org."""
    from sfbridge.config import rules_path
    from sfbridge.credentials import resolve_secrets, store_url
    from sfbridge.mappings import find_mappings_file, load_mappings, require_valid_mappings
    from sfbridge.output_files import check_output_file, write_output
    from sfbridge.plan import PlanTarget, make_plan, plan_json, read_plan
    from sfbridge.rules import load_rules
    from sfbridge.store import Store

    setup_logging(log_format, verbose)
    with exit_codes():
        if show is not None:
            show_plan(read_plan(show), as_json=as_json)
            return
        path = output or Path("plan.json")
        # Checked before connecting: a plan that cannot be written should not cost a pull first.
        check_output_file(path, option="-o/--output", name="plan.json")
        profile, config_dir = load_profile(config, org, target_org)
        rules_file = rules_path(profile, config_dir=config_dir)
        rules = load_rules(rules_file)
        url = store or store_url(profile)
        user_id, is_sandbox = None, None
        if offline:
            mirror = Store.open(url, create=False)
        else:
            from sfbridge.salesforce import connect  # online only: --offline never imports the client
            from sfbridge.salesforce.whoami import destination

            gateway = connect(profile, resolve_secrets(profile), config_dir=config_dir)
            identity = gateway.identity()
            user_id = identity.user_id
            is_sandbox = destination(gateway).is_sandbox
            mappings_file = find_mappings_file(config_dir)
            mappings = load_mappings(mappings_file)
            if mappings.rules:  # a bad mapping fails the plan, before anything is planned
                describes = {name: gateway.describe(name) for name in ("Lead", "Account", "Contact", "Opportunity")}
                require_valid_mappings(mappings, describes, source=str(mappings_file))
            mirror, report = run_pull(
                profile,
                url,
                config_dir=config_dir,
                options=pull_options(profile),
                quiet=as_json,
                command="pull",
                gateway=gateway,
            )
            if not as_json:
                print_pull(report, as_json=False)
            if report.org_id != identity.org_id:  # pragma: no cover (the pull binds the store to its org)
                msg = f"the store holds org {report.org_id}, but the session is for {identity.org_id}"
                raise UsageError(msg)
        target = PlanTarget(org=profile.name, api_version=profile.api_version, user_id=user_id, is_sandbox=is_sandbox)
        chosen = checks.split(",") if checks else None
        reused: list[FindingsSource] = []
        plan = make_plan(
            mirror,
            target=target,
            rules=rules,
            checks=chosen,
            rules_file=rules_file,
            reaudit=reaudit,
            on_reuse=lambda source: _tell_reuse(source, reused),
        )
        write_output(path, plan_json(plan), option="-o/--output")
        _print_written(plan, path, reused=bool(reused), as_json=as_json)
