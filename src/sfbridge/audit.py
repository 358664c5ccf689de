"""The audit stage: load the snapshot the checks need, run them and profile the org, keep the findings.

Ages are measured from the snapshot's moment (the last completed pull), not the wall clock:
an audit says what the org looked like when it was mirrored, and the same store always gives
the same findings.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from sfbridge.checks import Check, fields_needed, run_checks
from sfbridge.checks.profile import PROFILE_NEEDS, OrgProfileReport, org_profile
from sfbridge.errors import run_outcome
from sfbridge.models import Finding
from sfbridge.rules import Rules
from sfbridge.store import Store

__all__ = ["AuditResult", "audit"]

log = structlog.get_logger()


@dataclass(frozen=True)
class AuditResult:
    """What an audit found, and about what."""

    run_id: int
    org_id: str
    instance_url: str
    snapshot_at: datetime
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    profile: OrgProfileReport
    elapsed_seconds: float


def audit(store: Store, *, org: str, rules: Rules, checks: Sequence[Check], command: str = "audit") -> AuditResult:
    """Run checks on the store's mirror and save their findings under a new run.

    Args:
        store: the mirror (pulled at least once).
        org: the profile name, for the runs table.
        rules: thresholds and policies.
        checks: the checks to run.
        command: the command recorded in the runs table.

    Returns:
        The findings and where they are stored.

    Raises:
        StoreError: when the store holds no pulled org.
    """
    started, timer = datetime.now(UTC), time.perf_counter()
    fields = fields_needed(checks, rules)
    for sobject, needed in PROFILE_NEEDS.items():
        fields.setdefault(sobject, set()).update(needed)
    snapshot = store.load_snapshot(fields, count_fill=("Lead", "Contact"))
    org_id, instance_url, taken_at = snapshot.org_id, snapshot.instance_url, snapshot.taken_at
    run_id = store.start_run(command, org=org, started_at=started)
    try:
        profile = org_profile(snapshot, rules=rules, now=taken_at)
        findings = run_checks(snapshot, rules=rules, now=taken_at, checks=checks, release=True)
        del snapshot  # the frames are done with: a large org's findings need that memory next
        store.save_findings(run_id, findings)
    except BaseException as exc:  # a signal or Ctrl-C is recorded "interrupted", anything else "failed"
        outcome, error = run_outcome(exc)
        store.finish_run(run_id, outcome=outcome, finished_at=datetime.now(UTC), error=error)
        raise
    counts = {check.name: sum(1 for item in findings if item.check == check.name) for check in checks}
    store.finish_run(run_id, outcome="ok", finished_at=datetime.now(UTC), counts=counts)
    elapsed = time.perf_counter() - timer
    log.info("audit_done", org=org, findings=len(findings), checks=len(checks), seconds=round(elapsed, 2))
    return AuditResult(
        run_id=run_id,
        org_id=org_id,
        instance_url=instance_url,
        snapshot_at=taken_at,
        checks=tuple(checks),
        findings=tuple(findings),
        profile=profile,
        elapsed_seconds=elapsed,
    )
