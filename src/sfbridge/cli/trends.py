"""`sfbridge trends`: an org's audits over time (findings per check), and what the last one found new and resolved.

The series comes from the org's store: every successful `audit` kept
there, oldest first; `plan` runs are not audits (see :data:`sfbridge.store.AUDIT_COMMANDS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

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

if TYPE_CHECKING:
    from sfbridge.store import Store

__all__ = ["audit_series", "run_trends", "trends_command"]


def run_trends(store: Store, run_id: int, *, checks: list[str] | None = None) -> dict[str, Any] | None:
    """Compare an audit kept in the store with the audits before it (for a report rebuilt later, say).

    Args:
        store: the org's store.
        run_id: the audit run.
        checks: compare only these of its checks (None: all it ran).

    Returns:
        :func:`sfbridge.report.trends.audit_trends`'s result; None for the org's first audit
        or an unknown run.
    """
    from sfbridge.report.trends import audit_trends

    run = store.run(run_id)
    if run is None:
        return None
    compared = [check for check in run.get("counts") or {} if checks is None or check in checks]
    return audit_trends(
        store.audit_runs(before=run_id),
        current=store.finding_keys(run_id, compared),
        checks=compared,
        load_keys=store.finding_keys,
    )


def audit_series(store: Store, *, checks: list[str] | None, last: int) -> dict[str, Any]:
    """The store's audits as a series, with the last audit compared with the ones before it.

    Args:
        store: the org's store.
        checks: the checks to show (None: every check the audits ran).
        last: how many of the latest audits to list (0: all); the comparison is the same.

    Returns:
        :func:`sfbridge.report.trends.trend_series`'s result.
    """
    from sfbridge.report.trends import trend_series

    runs = store.audit_runs()
    latest = run_trends(store, runs[-1]["id"], checks=checks) if runs else None
    return trend_series(runs[-last:] if last else runs, checks=checks, latest=latest)


@app.command("trends")
def trends_command(
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    checks: Annotated[
        str | None, typer.Option("--checks", help="Only these checks' columns (comma-separated).")
    ] = None,
    last: Annotated[int, typer.Option("--last", min=0, help="How many of the latest audits to list (0: all).")] = 20,
    store: StoreOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Show an org's audits over time: findings per check, and what the last audit found new and resolved."""
    from sfbridge.checks import select_checks
    from sfbridge.credentials import store_url
    from sfbridge.report.terminal import to_json, trends_table
    from sfbridge.store import Store

    setup_logging(log_format, verbose)
    with exit_codes():
        profile, _ = load_profile(config, org, target_org)
        chosen = [check.name for check in select_checks(checks.split(","))] if checks else None
        mirror = Store.open(store or store_url(profile), create=False)
        series = audit_series(mirror, checks=chosen, last=last)
        if as_json:
            out.print_json(to_json({"org": profile.name, "org_id": mirror.org_id(), **series}))
            return
        if not series["runs"]:
            name = escape(profile.name)
            err.print(f"No audits of {name} in {escape(mirror.url)} yet: run sfbridge audit --org {name}.")
            return
        title = escape(f"Audits of {profile.name} (org {mirror.org_id()})")
        out.print(trends_table(series, title=title))
        if series["latest"] is None:
            err.print("Only one audit so far: the next one will say what is new and what was resolved.")
