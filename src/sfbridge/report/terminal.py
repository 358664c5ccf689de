"""Terminal and JSON renderings of pull reports, auth checks and org lists (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from sfbridge.models import Finding, ObjectOutcome, PullReport, by_check
from sfbridge.report.evidence import ordered, who

if TYPE_CHECKING:  # for the annotation only: the Salesforce client and its HTTP stack take 0.14 s to import, and
    # an offline audit, which shows its tables through this module, never talks to Salesforce.
    from sfbridge.salesforce.whoami import AuthCheck

__all__ = [
    "audit_table",
    "auth_check_table",
    "orgs_audit_table",
    "orgs_table",
    "pull_json",
    "pull_table",
    "to_json",
    "trends_table",
]

_OUTCOME_STYLE = {ObjectOutcome.SYNCED: "green", ObjectOutcome.SKIPPED: "yellow", ObjectOutcome.FAILED: "bold red"}


def to_json(data: Any) -> str:  # noqa: ANN401 (plain data)
    """Render plain data as stable, indented JSON (datetimes as ISO 8601)."""
    return json.dumps(data, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def pull_table(report: PullReport, *, title: str = "Pulled") -> Table:
    """One row per object: what was fetched, deleted and stored, and whether it matches."""
    seconds = report.elapsed_seconds
    usage = (
        f"{report.api_used:,}/{report.api_limit:,}" if report.api_used is not None and report.api_limit else "unknown"
    )
    table = Table(
        title=f"{title}: org {report.org_id} into {report.store_url}",
        caption=f"{report.records:,} records in {seconds:.1f} s · {report.api_calls} API calls · org API usage {usage}",
    )
    for header, justify in (
        ("object", "left"),
        ("mode", "left"),
        ("fetched", "right"),
        ("pages", "right"),
        ("deleted", "right"),
        ("stored", "right"),
        ("org count", "right"),
        ("status", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for result in report.objects:
        status = result.outcome.value
        if result.new_columns:
            status += f" (+{len(result.new_columns)} new fields)"
        table.add_row(
            result.sobject,
            result.mode,
            f"{result.fetched:,}",
            str(result.pages),
            f"{result.deleted:,}",
            f"{result.stored:,}",
            "-" if result.org_count is None else f"{result.org_count:,}",
            f"[{_OUTCOME_STYLE[result.outcome]}]{status}[/]",
        )
    return table


def pull_json(report: PullReport) -> str:
    """The pull report as JSON."""
    return to_json(report.model_dump(mode="json") | {"records": report.records})


def auth_check_table(check: AuthCheck) -> Table:
    """Who we are logged in as, where, and the API budget."""
    table = Table(title="Salesforce connection OK", show_header=False)
    table.add_column("fact", style="bold")
    table.add_column("value")
    kind = {True: "sandbox", False: "production"}.get(check.is_sandbox, "unknown")  # type: ignore[arg-type]
    usage = "unknown"
    if check.api_used is not None and check.api_limit:
        usage = f"{check.api_used:,} of {check.api_limit:,} daily requests ({check.api_used / check.api_limit:.0%})"
    rows = [
        ("org", f"{check.org_name or '?'} ({check.org_id}, {check.org_type or '?'}, {kind})"),
        ("user", f"{check.username or '?'} ({check.user_id})"),
        ("instance", check.instance_url),
        ("API version", f"{check.api_version} (latest the org serves: {check.latest_api_version or '?'})"),
        ("API usage", usage),
    ]
    for fact, value in rows:
        table.add_row(fact, value)
    return table


def orgs_table(rows: Sequence[dict[str, Any]]) -> Table:
    """The configured org profiles and whether their secrets are present (never the values)."""
    table = Table(title="Configured orgs")
    for header in ("org", "auth", "where", "API", "store", "credentials"):
        # Folded, never cut: the credentials column names the variable a user must set.
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(row["org"], row["auth"], row["where"], row["api_version"], row["store"], row["credentials"])
    return table


_SEVERITY_STYLE = {"info": "dim", "low": "cyan", "medium": "yellow", "high": "bold red"}


def audit_table(
    findings: Sequence[Finding],
    *,
    checks: Sequence[Mapping[str, Any]],
    title: str,
    trends: Mapping[str, Mapping[str, int] | None] | None = None,
    examples: Mapping[str, Mapping[str, Any]] | None = None,
) -> Table:
    """One row per check: how many findings, how severe, and its most pressing finding, by name, in plain words.

    Given the per-check trends (:mod:`sfbridge.report.trends`), a column says what is new and
    resolved since the previous audit. ``examples``: each check's most pressing finding (its
    JSON form) when the caller picked them already (the reports' basis); a check without one
    is picked here.
    """
    table = Table(title=title, caption=f"{len(findings):,} findings")
    columns = [("check", "left"), ("findings", "right"), ("severity", "left")]
    columns += [("since previous", "right")] if trends is not None else []
    for header, justify in [*columns, ("example", "left")]:
        table.add_column(header, justify=justify, overflow="fold" if header == "example" else "ellipsis")  # type: ignore[arg-type]
    grouped = by_check(findings)  # one pass, not one per check
    for check in checks:
        mine = grouped.get(str(check["name"]), [])
        severity = str(check["severity"])
        given = (examples or {}).get(str(check["name"]))
        if not mine:
            example = "-"
        elif given is not None:
            example = _described(given)
        else:
            example = _example(mine)
        cells = [
            escape(str(check["title"])),
            f"{len(mine):,}",
            f"[{_SEVERITY_STYLE.get(severity, '')}]{escape(severity)}[/]" if mine else "[dim]-[/]",
        ]
        if trends is not None:
            cells.append(_change(trends.get(str(check["name"]))))
        table.add_row(*cells, escape(_shorten(example, 150)))  # a record's values are text, not markup
    return table


def _example(findings: Sequence[Finding]) -> str:
    """The check's most pressing finding, by whose record it is: "Ann Lee (Acme; owner Bo Ek): reason"."""
    # The first of the order without sorting the rest: a million records' 160k findings sorted
    # whole, check by check, took 2-3 s of the terminal's table after every audit.
    return _described(ordered((item.plain for item in findings), limit=1)[0])


def _described(top: Mapping[str, Any]) -> str:
    person = who(top)
    context = "; ".join(part for part in (person["company"], person["owner"] and f"owner {person['owner']}") if part)
    name = person["name"] or f"{top['sobject']} {top['record_id']}"
    return f"{name}{f' ({context})' if context else ''}: {top['reason']}"


def _change(counts: Mapping[str, int] | None) -> str:
    if counts is None:
        return "[dim]not compared[/]"
    return f"[red]+{counts['new']:,}[/] [green]-{counts['resolved']:,}[/]"


def trends_table(series: Mapping[str, Any], *, title: str, last: int = 8) -> Table:
    """One row per check, one column per audit (the latest ``last``), then what the last audit found new and resolved.

    Checks are rows so the table stays readable in a terminal however many checks run.

    Args:
        series: :func:`sfbridge.report.trends.trend_series`'s result.
        title: the table's title.
        last: how many of the most recent audits to show (``--json`` has them all).
    """
    checks = list(series["checks"])
    runs = list(series["runs"])[-last:]
    latest = series.get("latest")
    by_check = latest["by_check"] if latest else {}
    table = Table(title=title, caption=f"audits shown: {len(runs)} of {len(series['runs'])}")
    table.add_column("check")
    for run in runs:
        table.add_column(f"run {run['run_id']}\n{_minute(run['started_at'])}", justify="right")
    if latest:
        table.add_column("[red]new[/]", justify="right")
        table.add_column("[green]resolved[/]", justify="right")

    def cell(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    for check in checks:
        changes = by_check.get(check) if latest else None
        extra = [cell(changes["new"]), cell(changes["resolved"])] if changes else (["-", "-"] if latest else [])
        table.add_row(check, *(cell(run["counts"][check]) for run in runs), *extra)
    totals = [f"{run['total']:,}" for run in runs]
    if latest:
        totals += [
            f"{sum(by_check[c][change] for c in checks if by_check.get(c) is not None):,}"
            for change in ("new", "resolved")
        ]
    table.add_section()
    table.add_row("[bold]total[/]", *totals)
    return table


def _minute(moment: str | None) -> str:
    return "?" if not moment else moment.replace("T", " ")[:16]


def orgs_audit_table(entries: Sequence[Mapping[str, Any]], *, title: str = "Orgs audited") -> Table:
    """One row per org of a several-org audit (index entries): outcome, findings, change, report."""
    table = Table(title=title)
    for header, justify in (
        ("org", "left"),
        ("status", "left"),
        ("findings", "right"),
        ("high", "right"),
        ("since previous", "right"),
        ("report or error", "left"),
    ):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for entry in entries:
        summary = entry.get("summary") or {}
        status = str(entry.get("status"))
        style = {"ok": "green", "over_threshold": "yellow"}.get(status, "bold red")
        trends = entry.get("trends")
        table.add_row(
            escape(str(entry["org"])),
            f"[{style}]{escape(status)}[/]",
            "-" if not summary else f"{summary['total']:,}",
            "-" if not summary else f"{summary['by_severity'].get('high', 0):,}",
            "-" if trends is None else _change(trends),
            escape(str(entry.get("error") or entry.get("report") or "-")),
        )
    return table


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
