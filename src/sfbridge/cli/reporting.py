"""`sfbridge report --run RUN_ID`: rebuild report.html from an audit kept in the store.

The store keeps every audit's findings and counts, so an older audit's page can be made
again later (for a meeting, or after the folder was cleaned). What the store does not keep
is said on the page rather than guessed: the org profile is made during an audit and not
stored, so the rebuilt page has no profile section (and its scores, which need the
profile's record counts, show as n/a); the records are taken as of the run's start. The
match model the duplicates were scored with is kept with the run (``runs.details``) and
shown as it was, not fitted again (an audit stored before it was kept has none).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from sfbridge.errors import UsageError

if TYPE_CHECKING:
    from sfbridge.rules import Rules
    from sfbridge.store import Store

__all__ = ["report_command", "stored_audit_document"]

#: Runs that keep findings: audits, the demo's audit, and plans (which audit first).
_FINDING_RUNS = ("audit", "demo", "plan")


def stored_audit_document(store: Store, run_id: int, *, rules: Rules) -> dict[str, Any]:
    """The findings.json document of a stored audit run, as far as the store can rebuild it.

    Args:
        store: the org's store.
        run_id: an audit run in it.
        rules: the rules for the checks' severities (the store does not keep the run's rules).

    Returns:
        The document, with ``profile`` None, the comparison with the audit before it, and the
        match model the run kept (None when it kept none).

    Raises:
        UsageError: when the run is not there, is not an audit, or did not finish.
    """
    from sfbridge.checks import select_checks
    from sfbridge.report.findings import findings_document
    from sfbridge.report.trends import audit_trends, finding_keys

    run = store.run(run_id)
    where = store.url  # already shown without a password
    if run is None:
        msg = f"--run {run_id}: the store {where} has no such run"
        raise UsageError(msg)
    counts = run.get("counts") or {}
    # An audit's counts are check → findings; a pull's (the demo records its pulls as "demo"
    # runs too) are object → fetched/deleted/stored.
    audited = bool(counts) and all(isinstance(value, int) for value in counts.values())
    if run["command"] not in _FINDING_RUNS or run["outcome"] != "ok" or not audited:
        msg = (
            f"--run {run_id}: run {run_id} in {where} is not a finished audit (command {run['command']!r}, "
            f"outcome {run['outcome']!r}); give the id `sfbridge audit --json` printed"
        )
        raise UsageError(msg)
    findings = store.load_findings(run_id)
    names = list(counts)
    known = {check.name: check for check in select_checks(None)}
    checks = [
        {
            "name": name,
            "title": known[name].title if name in known else name,
            "explains": known[name].explains if name in known else "",
            "severity": rules.severity_of(name).value if name in known else "info",
        }
        for name in names
    ]
    trends = audit_trends(
        store.audit_runs(before=run_id), current=finding_keys(findings), checks=names, load_keys=store.finding_keys
    )
    snapshot = store.load_snapshot({})  # no records: only which org and instance the store mirrors
    return findings_document(
        findings,
        org={"name": run["org"], "org_id": snapshot.org_id, "instance_url": snapshot.instance_url},
        snapshot_at=run["started_at"],
        run_id=run_id,
        checks=checks,
        rules=rules.model_dump(mode="json"),
        profile=None,
        generated_at=run.get("finished_at") or run["started_at"],
        trends=trends,
        match_model=_stored_model(store.run_details(run_id)),
    )


def _stored_model(details: dict[str, Any]) -> dict[str, Any] | None:
    """The run's match model, or None when it has none (or something that is not one)."""
    model = details.get("match_model")
    return dict(model) if isinstance(model, dict) else None


@app.command("report")
def report_command(
    run_id: Annotated[
        int, typer.Option("--run", help="The audit run to report on (its id from `sfbridge audit --json`).")
    ],
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for report.html (default: sfbridge-reports/ORG/run-RUN_ID).", file_okay=False
        ),
    ] = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Write report.html for an audit kept in the store (without the org profile, which is not stored)."""
    from sfbridge.config import rules_path
    from sfbridge.credentials import store_url
    from sfbridge.output_files import write_atomically
    from sfbridge.report.html import render_report_html
    from sfbridge.report.terminal import to_json
    from sfbridge.rules import Rules, load_rules
    from sfbridge.store import Store

    setup_logging(log_format, verbose)
    with exit_codes():
        rules, url = Rules(), store
        if url is None or org is not None or target_org is not None or config is not None:
            profile, config_dir = load_profile(config, org, target_org)
            rules, url = load_rules(rules_path(profile, config_dir=config_dir)), url or store_url(profile)
        document = stored_audit_document(Store.open(url, create=False), run_id, rules=rules)
        folder = out_dir or Path("sfbridge-reports") / str(document["org"]["name"]) / f"run-{run_id}"
        path = folder / "report.html"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomically(path, render_report_html(document))
        except OSError as exc:
            msg = f"--out: cannot write to {folder} ({exc.strerror}); choose a writable folder"
            raise UsageError(msg) from exc
        if as_json:
            out.print_json(to_json({"run_id": run_id, "files": [str(path)]}))
        else:
            err.print(f"Report of audit run {run_id} written to {path}", highlight=False)
