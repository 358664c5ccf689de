"""`sfbridge audit`: pull (unless --offline), run the checks, write findings, gate on severity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from sfbridge.audit import AuditResult, audit
from sfbridge.checks import Check, select_checks
from sfbridge.cli.common import (
    EXIT_FINDINGS,
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
    load_profile,
    out,
    setup_logging,
)
from sfbridge.cli.pulling import print_pull, pull_options, run_pull
from sfbridge.config import rules_path
from sfbridge.credentials import store_url
from sfbridge.models import Severity
from sfbridge.outputs import write_audit_outputs
from sfbridge.report.findings import findings_document, summarise
from sfbridge.report.terminal import audit_table, to_json
from sfbridge.rules import Rules, load_rules
from sfbridge.store import Store

__all__ = ["AuditOutcome", "audit_command", "exit_for", "print_audit", "run_audit"]

ChecksOption = Annotated[
    str | None, typer.Option("--checks", help="Comma-separated checks to run (default: all). See the README's list.")
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Folder for findings.json and one CSV per check (default: sfbridge-reports/ORG).", file_okay=False
    ),
]


@dataclass(frozen=True)
class AuditOutcome:
    """An audit, the findings document, and the files written."""

    result: AuditResult
    document: dict[str, Any]
    files: list[Path]

    def summary(self) -> dict[str, Any]:
        """What `--json` prints: run, counts, files."""
        return {
            "run_id": self.result.run_id,
            "summary": summarise(self.result.findings),
            "files": [str(path) for path in self.files],
        }


def run_audit(
    store: Store, *, org: str, rules: Rules, checks: list[Check], out_dir: Path, command: str = "audit"
) -> AuditOutcome:
    """Audit the store and write findings.json and the CSVs."""
    result = audit(store, org=org, rules=rules, checks=checks, command=command)
    document = findings_document(
        result.findings,
        org={"name": org, "org_id": result.org_id, "instance_url": result.instance_url},
        snapshot_at=result.snapshot_at,
        run_id=result.run_id,
        checks=[_describe(check, rules) for check in checks],
        rules=rules.model_dump(mode="json"),
        profile=result.profile.model_dump(mode="json"),
    )
    written = write_audit_outputs(out_dir, document=document, findings=result.findings, checks=[c.name for c in checks])
    return AuditOutcome(result, document, written)


def print_audit(outcome: AuditOutcome, *, out_dir: Path) -> None:
    """Show the audit summary table and where the files are."""
    result = outcome.result
    title = f"Audit of org {result.org_id} (as of {result.snapshot_at:%Y-%m-%d %H:%M} UTC)"
    out.print(audit_table(result.findings, checks=outcome.document["checks"], title=title))
    err.print(f"Findings written to {out_dir}/ (findings.json and one CSV per check).")


def _describe(check: Check, rules: Rules) -> dict[str, str]:
    return {
        "name": check.name,
        "title": check.title,
        "explains": check.explains,
        "severity": rules.severity_of(check.name).value,
    }


def exit_for(result: AuditResult, fail_on: Severity | None) -> None:
    """Exit 1 when any finding is at or above ``fail_on`` (for CI gates and schedulers)."""
    if fail_on is not None and any(item.severity.rank >= fail_on.rank for item in result.findings):
        err.print(f"Findings at or above {fail_on.value}: exiting with {EXIT_FINDINGS}.")
        raise typer.Exit(EXIT_FINDINGS)


@app.command("audit")
def audit_command(
    org: OrgOption = None,
    config: ConfigOption = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Audit the store as it is, without pulling first.")
    ] = False,
    checks: ChecksOption = None,
    fail_on: Annotated[
        Severity | None, typer.Option("--fail-on", help="Exit 1 when a finding reaches this severity.")
    ] = None,
    out_dir: OutOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Run the health checks on an org (pulling what changed first) and write the findings."""
    setup_logging(log_format, verbose)
    with exit_codes():
        profile, config_dir = load_profile(config, org)
        chosen = select_checks(checks.split(",") if checks else None)
        rules = load_rules(rules_path(profile, config_dir=config_dir))
        mirror = Store.open(store or store_url(profile))
        if not offline:
            report = run_pull(
                profile,
                mirror,
                config_dir=config_dir,
                options=pull_options(profile, config_dir=config_dir),
                objects=profile.objects,
                quiet=as_json,
                command="pull",
            )
            if not as_json:
                print_pull(report, as_json=False)
        folder = out_dir or Path("sfbridge-reports") / profile.name
        outcome = run_audit(mirror, org=profile.name, rules=rules, checks=chosen, out_dir=folder)
        if as_json:
            out.print_json(to_json(outcome.summary()))
        else:
            print_audit(outcome, out_dir=folder)
    exit_for(outcome.result, fail_on)
