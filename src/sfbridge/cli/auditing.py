"""`sfbridge audit`: pull (unless --offline), run the checks, write findings and reports, gate on severity.

Several orgs (``--org a --org b``, ``--all-orgs``) are audited one after another by
:mod:`sfbridge.cli.multiorg`; one org keeps the paths it always had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sfbridge.cli.common import (
    EXIT_FINDINGS,
    ConfigOption,
    JsonOption,
    LogFormat,
    LogFormatOption,
    StoreOption,
    TargetOrgOption,
    VerboseOption,
    app,
    check_org_options,
    err,
    exit_codes,
    load_profile,
    out,
    setup_logging,
)
from sfbridge.cli.pulling import print_pull, pull_options, run_pull
from sfbridge.severity import Severity

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sfbridge.audit import AuditResult, CheckedAudit
    from sfbridge.checks import Check
    from sfbridge.cli.multiorg import AuditOne
    from sfbridge.config import OrgProfile
    from sfbridge.rules import Rules
    from sfbridge.store import Store

__all__ = [
    "AuditOutcome",
    "ChecksOption",
    "OutOption",
    "audit_command",
    "audit_org",
    "exit_for",
    "fail_on_code",
    "print_audit",
    "run_audit",
]

ChecksOption = Annotated[
    str | None, typer.Option("--checks", help="Comma-separated checks to run (default: all). See the README's list.")
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Folder for findings.json, findings.xlsx, the CSVs and the reports (default: sfbridge-reports/ORG).",
        file_okay=False,
    ),
]


@dataclass(frozen=True)
class AuditOutcome:
    """An audit, the findings document, and the files written.

    ``examples``: each check's most pressing finding (its JSON form), as the reports picked it:
    the terminal's table shows it without picking it again from every finding.
    """

    result: AuditResult
    document: dict[str, Any]
    files: list[Path]
    examples: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What `--json` prints: run, counts, changes since the previous audit, files."""
        from sfbridge.report.findings import summarise

        return {
            "run_id": self.result.run_id,
            "summary": summarise(self.result.findings),
            "trends": self.document.get("trends"),
            "files": [str(path) for path in self.files],
        }


def run_audit(
    store: Store,
    *,
    org: str,
    rules: Rules,
    checks: list[Check],
    out_dir: Path,
    command: str = "audit",
    rules_file: Path | None = None,
) -> AuditOutcome:
    """Audit the store, compare with its previous audit, and write findings.json, the CSVs and the reports.

    ``rules_file`` is where the rules came from, named if they do not fit the org. The run is
    recorded ok after the findings are stored and the files written, failed if either fails.
    """
    from sfbridge.audit import checked_audit
    from sfbridge.models import collection_paused

    # The collector is paused from the snapshot's load to the last file (see checked_audit), and
    # resumed however the audit ends (an error, Ctrl-C).
    with collection_paused():
        checked = checked_audit(store, org=org, rules=rules, checks=checks, command=command, rules_file=rules_file)
        return _stored_and_written(checked, rules=rules, out_dir=out_dir)


def _stored_and_written(checked: CheckedAudit, *, rules: Rules, out_dir: Path) -> AuditOutcome:
    """Store the checked audit's findings, compare them with the previous audit, write the files, end the run.

    Called with the collector paused (:func:`run_audit`).
    """
    from sfbridge.log import timed
    from sfbridge.outputs import AuditOutputs
    from sfbridge.report.basis import report_basis
    from sfbridge.report.findings import findings_document

    store, org, result = checked.store, checked.org, checked.result
    checks = result.checks
    # The run is recorded ok only once its findings are stored and its files written; a failure
    # in either records it failed. The CSVs and the workbook are written (in a worker process,
    # at 1M records) while the findings are stored and the document is made: the second core
    # idled through those 4 s. Every file keeps a temporary name until both are done, so no
    # report replaces the previous one for findings the store refused. (Storing on a thread
    # won nothing measurable on 2 cores: it holds the GIL most of the time; benchmarks/README.md.)
    objects = {check.name: check.objects for check in checks}
    with (
        checked.finishing(),
        AuditOutputs(out_dir, findings=result.findings, checks=objects, instance_url=result.instance_url) as outputs,
    ):
        with timed("audit_stage", stage="store"):
            digests = checked.save()
        with timed("audit_stage", stage="trends"):
            trends = _trends(store, result, digests)
        del digests
        with timed("audit_stage", stage="reports"):  # and the CSVs and workbook the worker writes meanwhile
            document = findings_document(
                result.findings,
                org={"name": org, "org_id": result.org_id, "instance_url": result.instance_url},
                snapshot_at=result.snapshot_at,
                run_id=result.run_id,
                checks=[_describe(check, rules) for check in checks],
                rules=rules.model_dump(mode="json"),
                profile=result.profile.model_dump(mode="json"),
                trends=trends,
                match_model=result.match_model,
            )
            basis = report_basis(document)
            written = outputs.finish(document, basis=basis)
    return AuditOutcome(result, document, written, basis.examples())


def _trends(store: Store, result: AuditResult, digests: list[bytes]) -> dict[str, Any] | None:
    """The audit compared with the earlier audits of its org (:func:`sfbridge.report.trends.audit_trends`).

    Their findings this audit found again are known by their digests (``digests``: the stored
    findings', in order): only the others are read from the store (see ``Store.finding_keys``).
    The mapping (~20 MB at a million records) goes when this returns, before the reports.
    """
    from sfbridge.report.trends import audit_trends

    keys = [(item.check, item.sobject, item.record_id) for item in result.findings]
    known = dict(zip(digests, keys, strict=True))
    return audit_trends(
        store.audit_runs(before=result.run_id),
        current=set(keys),
        checks=[check.name for check in result.checks],
        load_keys=lambda run_id, names: store.finding_keys(run_id, names, known=known),
    )


def print_audit(outcome: AuditOutcome, *, out_dir: Path) -> None:
    """Show the audit summary table and where the files are."""
    from sfbridge.report.terminal import audit_table

    result = outcome.result
    title = f"Audit of org {result.org_id} (as of {result.snapshot_at:%Y-%m-%d %H:%M} UTC)"
    trends = outcome.document.get("trends")
    by_check = trends["by_check"] if trends else None
    table = audit_table(
        result.findings, checks=outcome.document["checks"], title=title, trends=by_check, examples=outcome.examples
    )
    out.print(table)
    if trends:
        totals = trends["totals"]
        err.print(
            f"Since the previous audit (run {trends['previous_run_id']}): {totals['new']:,} new, "
            f"{totals['resolved']:,} resolved, {totals['still_open']:,} still open."
        )
    reports = ", ".join(path.name for path in outcome.files if path.suffix != ".csv")
    err.print(f"Findings written to {out_dir}/ ({reports} and one CSV per check and object).", highlight=False)


def _describe(check: Check, rules: Rules) -> dict[str, str]:
    return {
        "name": check.name,
        "title": check.title,
        "explains": check.explains,
        "severity": rules.severity_of(check.name).value,
    }


def fail_on_code(result: AuditResult, fail_on: Severity | None) -> int:
    """1 when any finding is at or above ``fail_on``, else 0."""
    if fail_on is not None and any(item.severity.rank >= fail_on.rank for item in result.findings):
        return EXIT_FINDINGS
    return 0


def exit_for(result: AuditResult, fail_on: Severity | None) -> None:
    """Exit 1 when any finding is at or above ``fail_on`` (for CI gates and schedulers)."""
    if fail_on is not None and fail_on_code(result, fail_on):
        err.print(f"Findings at or above {fail_on.value}: exiting with {EXIT_FINDINGS}.")
        raise typer.Exit(EXIT_FINDINGS)


def audit_org(
    profile: OrgProfile,
    *,
    config_dir: Path,
    store: str | None,
    offline: bool,
    checks: list[Check],
    out_dir: Path,
    quiet: bool,
) -> AuditOutcome:
    """Pull one org (unless ``offline``) into its store, audit it and write its outputs into ``out_dir``."""
    from sfbridge.config import rules_path
    from sfbridge.credentials import store_url
    from sfbridge.rules import load_rules
    from sfbridge.store import Store

    rules_file = rules_path(profile, config_dir=config_dir)
    rules = load_rules(rules_file)
    url = store or store_url(profile)
    if offline:
        mirror = Store.open(url, create=False)
    else:
        mirror, report = run_pull(
            profile,
            url,
            config_dir=config_dir,
            options=pull_options(profile),
            quiet=quiet,
            command="pull",
        )
        if not quiet:
            print_pull(report, as_json=False)
    return run_audit(mirror, org=profile.name, rules=rules, checks=checks, out_dir=out_dir, rules_file=rules_file)


def _org_auditor(*, offline: bool, checks: list[Check], fail_on: Severity | None, quiet: bool) -> AuditOne:
    """One org's audit in a several-org run: the same steps and output as a one-org audit."""
    from sfbridge.cli.multiorg import OrgAudit

    def audit_one(profile: OrgProfile, config_dir: Path, folder: Path) -> OrgAudit:
        outcome = audit_org(
            profile, config_dir=config_dir, store=None, offline=offline, checks=checks, out_dir=folder, quiet=quiet
        )
        if not quiet:
            print_audit(outcome, out_dir=folder)
        return OrgAudit(outcome.document, outcome.summary(), fail_on_code(outcome.result, fail_on))

    return audit_one


OrgsOption = Annotated[
    list[str] | None,
    typer.Option("--org", help="Org profile name from the config file; repeat it to audit several orgs."),
]


@app.command("audit")
def audit_command(
    org: OrgsOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    all_orgs: Annotated[
        bool,
        typer.Option(
            "--all-orgs", help="Audit every org in the config (not recorded demo orgs), with an index comparing them."
        ),
    ] = False,
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
    """Run the health checks on an org (pulling what changed first) and write the findings and reports."""
    from sfbridge.checks import select_checks
    from sfbridge.cli.multiorg import audit_orgs
    from sfbridge.output_files import check_output_folder
    from sfbridge.report.terminal import to_json

    setup_logging(log_format, verbose)
    names = org or []
    with exit_codes():
        check_org_options(names or all_orgs, target_org)
    if all_orgs or len(names) > 1:
        with exit_codes():
            chosen = select_checks(checks.split(",") if checks else None)
        auditor = _org_auditor(offline=offline, checks=chosen, fail_on=fail_on, quiet=as_json)
        code = audit_orgs(
            config, names=names, all_orgs=all_orgs, store=store, out_dir=out_dir, as_json=as_json, audit_one=auditor
        )
        raise typer.Exit(code)
    with exit_codes():
        profile, config_dir = load_profile(config, names[0] if names else None, target_org)
        chosen = select_checks(checks.split(",") if checks else None)
        folder = out_dir or Path("sfbridge-reports") / profile.name
        check_output_folder(folder, option="--out")  # before the pull, not after it
        outcome = audit_org(
            profile, config_dir=config_dir, store=store, offline=offline, checks=chosen, out_dir=folder, quiet=as_json
        )
        if as_json:
            out.print_json(to_json(outcome.summary()))
        else:
            print_audit(outcome, out_dir=folder)
    exit_for(outcome.result, fail_on)
