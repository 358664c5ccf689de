"""The plan stage: audit the store, turn the findings into actions, seal them in a reviewable plan.

An audit that ended ok on the same basis (the same snapshot, rules and sfbridge version; see
:meth:`sfbridge.store.Store.findings_basis`) with the plan's checks among its own is not run
again: its stored findings are planned from. ``sfbridge plan --offline`` right after
``sfbridge audit --offline`` then costs a read of those findings, not a second audit.

A plan changes nothing. It names the org it was made for (Id, instance, user, API version),
the rules it was made under (their digest), and for every action the finding it came from and
the record's SystemModstamp and values as seen, so ``apply`` can refuse a plan for another org
and skip records that changed since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sfbridge.errors import UsageError
from sfbridge.models import Finding, Plan, by_check, collection_paused
from sfbridge.plan.actions import ACTION_OF_CHECK, RecordFacts, actions_for
from sfbridge.plan.files import plan_digest, plan_json, read_plan, sealed
from sfbridge.plan.merges import MERGE_FACTS, merge_actions, shown_fields
from sfbridge.rules import Rules, rules_digest
from sfbridge.snapshot import Snapshot
from sfbridge.store import Store

if TYPE_CHECKING:
    from sfbridge.audit import AuditResult
    from sfbridge.checks import Check

__all__ = [
    "FindingsSource",
    "PlanTarget",
    "make_plan",
    "plan_checks",
    "plan_digest",
    "plan_json",
    "read_plan",
    "reusable_findings",
    "rules_digest",
    "sealed",
]

# What the plan records of each record it acts on (besides the fields an update changes).
_FACTS = {
    "Lead": {"Id", "SystemModstamp", "Status", "OwnerId", "LeadSource", "IsConverted", "Company"},
    "Contact": {"Id", "SystemModstamp", "AccountId", "LeadSource", "OwnerId"},
    "LeadStatus": {"Id", "ApiName", "MasterLabel", "IsConverted", "SortOrder"},
}


@dataclass(frozen=True)
class PlanTarget:
    """The org a plan is made for: from the live session, or the store alone (offline)."""

    org: str
    api_version: str
    user_id: str | None = None
    is_sandbox: bool | None = None


@dataclass(frozen=True)
class FindingsSource:
    """An earlier run whose findings a plan reuses: same snapshot, rules and version, its checks among them."""

    run_id: int
    command: str
    snapshot_at: datetime


def reusable_findings(store: Store, *, rules: Rules, checks: Iterable[str]) -> FindingsSource | None:
    """The latest run that ended ok whose findings a plan of these checks may reuse, or None.

    A run whose details lack the snapshot's moment (recorded by an older sfbridge) is not reused.
    """
    run = store.reusable_run(store.findings_basis(rules_digest(rules)), set(checks))
    moment = run["details"].get("snapshot_at") if run else None
    try:
        snapshot_at = datetime.fromisoformat(moment) if isinstance(moment, str) else None
    except ValueError:
        snapshot_at = None
    if run is None or snapshot_at is None:
        return None
    return FindingsSource(run_id=run["id"], command=run["command"], snapshot_at=snapshot_at)


def _converted_status(statuses: pl.DataFrame, configured: str) -> str | None:
    if configured != "auto":
        return configured
    if statuses.is_empty() or "IsConverted" not in statuses.columns:
        return None
    converted = statuses.filter(pl.col("IsConverted").fill_null(value=False))
    if "SortOrder" in converted.columns:
        converted = converted.sort("SortOrder", nulls_last=True)
    for row in converted.iter_rows(named=True):
        # Lead.Status holds the ApiName (MasterLabel in orgs older than ApiName).
        name = row.get("ApiName") or row.get("MasterLabel")
        if name:
            return str(name)
    return None


def _records(frame: pl.DataFrame, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    if frame.is_empty() or "Id" not in frame.columns:
        return {}
    wanted = frame.filter(pl.col("Id").is_in(sorted(set(ids))))
    return {str(row["Id"]): row for row in wanted.iter_rows(named=True)}


def _facts(store: Store, findings: list[Finding], rules: Rules) -> tuple[RecordFacts, Snapshot]:
    """The stored records the plan acts on, and the snapshot they were read from (its org)."""
    fields: dict[str, set[str]] = {sobject: set(names) for sobject, names in _FACTS.items()}
    for finding in findings:
        fields.setdefault(finding.sobject, {"Id", "SystemModstamp"}).update(finding.suggested_values)
    if rules.plan.disqualified_reason_field:
        fields["Lead"].add(rules.plan.disqualified_reason_field)
    if rules.plan.fallback_owner_id:
        fields["Lead"].add("OwnerId")
    if any(finding.check == "duplicate" for finding in findings):
        for sobject, merge_fields in MERGE_FACTS.items():
            fields.setdefault(sobject, set()).update(merge_fields, shown_fields(sobject))
    ids: dict[str, set[str]] = {}
    for finding in findings:
        ids.setdefault(finding.sobject, set()).add(finding.record_id)
        if "contact" in finding.related:
            ids.setdefault("Contact", set()).add(finding.related["contact"])
    # Only the records the findings name (and the statuses, read whole): not every Lead and Contact.
    read = {sobject: fields[sobject] for sobject in [*ids, "LeadStatus"] if sobject in fields}
    snapshot = store.load_snapshot(read, only=ids)
    records = {sobject: _records(snapshot.frame(sobject), wanted) for sobject, wanted in ids.items()}
    statuses = snapshot.frame("LeadStatus")
    facts = RecordFacts(records=records, converted_status=_converted_status(statuses, rules.plan.converted_status))
    return facts, snapshot


def audit(
    store: Store,
    *,
    org: str,
    rules: Rules,
    checks: Sequence[Check],
    command: str,
    rules_file: Path | None,
) -> AuditResult:
    """:func:`sfbridge.audit.audit`, imported when a plan has to audit.

    Not with this module: the audit stage (the checks, the matcher, numpy, scipy) took 2 of
    the 12 seconds a plan reusing a million-record audit's findings took, and never ran.
    """
    from sfbridge.audit import audit as audited  # noqa: PLC0415 (see above)

    return audited(store, org=org, rules=rules, checks=checks, command=command, rules_file=rules_file)


def plan_checks(rules: Rules, names: Iterable[str] | None = None) -> list[str]:
    """The checks whose findings become the actions the rules allow (of ``names``, if given).

    Raises:
        UsageError: for a name that is not a check, or a check no action comes from.
    """
    allowed = [name for name, action in ACTION_OF_CHECK.items() if action in set(rules.plan.actions)]
    if names is None:
        return allowed
    chosen = [name.strip() for name in names if name.strip()]
    unknown = [name for name in chosen if name not in allowed]
    if unknown:
        msg = f"--checks: no plan action comes from {', '.join(unknown)}; these do: {', '.join(allowed)}"
        raise UsageError(msg)
    return chosen


def make_plan(  # noqa: PLR0913 (the plan's inputs, keyword-only past the store)
    store: Store,
    *,
    target: PlanTarget,
    rules: Rules,
    checks: Iterable[str] | None = None,
    now: datetime | None = None,
    rules_file: Path | None = None,
    reaudit: bool = False,
    on_reuse: Callable[[FindingsSource], None] | None = None,
) -> Plan:
    """Plan the actions the findings of the plan's checks lead to, auditing only when no run can be reused.

    Args:
        store: the mirror (pulled at least once).
        target: the org profile, its API version and (online) the user making the plan.
        rules: the rules (checks and the ``plan`` section).
        checks: only these checks' findings (default: every check an allowed action comes from).
        now: when the plan is made (default: now).
        rules_file: the file the rules came from (named when they do not fit the org).
        reaudit: audit afresh even when an earlier run's findings could be reused.
        on_reuse: told which run's findings are reused, before the plan is made from them.

    Returns:
        The sealed plan; its ``audit_run_id`` is the run its findings came from.

    Raises:
        RulesMismatchError: when the rules name fields or statuses the org does not have.
        UsageError: when the store holds no pulled org, or for checks no action comes from.
    """
    names = plan_checks(rules, checks)
    source = None if reaudit else reusable_findings(store, rules=rules, checks=names)
    # From here on, objects that last and hold no cycles (findings, records, actions): the
    # collector's full passes over them were 3.7 of the 16.7 CPU seconds of a 1M plan. An audit
    # run here pauses it too (see sfbridge.audit.checked_audit); paused from before it, the
    # collector does not scan everything the audit made as soon as the audit is done.
    with collection_paused():
        if source is None:
            from sfbridge.checks import CHECKS  # noqa: PLC0415 (with the audit: see audit above)

            chosen = [CHECKS[name] for name in names]
            result = audit(store, org=target.org, rules=rules, checks=chosen, command="plan", rules_file=rules_file)
            findings, run_id, snapshot_at = list(result.findings), result.run_id, result.snapshot_at
            del result
        else:
            if on_reuse is not None:
                on_reuse(source)
            findings, run_id, snapshot_at = _reused(store, source, names), source.run_id, source.snapshot_at
        # Made in a function of its own, so the records it read and its lists of actions go when
        # it returns, and the findings go here: both while the collector is still paused. The
        # first collection after the pause scans every object made meanwhile that is still
        # alive, and these were most of them (0.6 s of a 1M plan's 9.8 s, spent scanning
        # objects freed a moment later).
        plan = _planned(store, findings, target=target, rules=rules, run_id=run_id, snapshot_at=snapshot_at, now=now)
        del findings
    return plan


def _planned(
    store: Store,
    findings: list[Finding],
    *,
    target: PlanTarget,
    rules: Rules,
    run_id: int,
    snapshot_at: datetime,
    now: datetime | None,
) -> Plan:
    """The sealed plan of these findings' actions, made from the stored records they name."""
    facts, snapshot = _facts(store, findings, rules)
    actions, notes = actions_for(findings, rules=rules, facts=facts)
    if "merge_duplicates" in rules.plan.actions:
        merges, held_back = merge_actions(findings, rules=rules, records=facts.records)
        actions, notes = actions + merges, notes + held_back
    plan = Plan(
        org=target.org,
        org_id=snapshot.org_id,
        instance_url=snapshot.instance_url,
        user_id=target.user_id,
        api_version=target.api_version,
        created_at=now or datetime.now(UTC),
        snapshot_at=snapshot_at,
        audit_run_id=run_id,
        rules_digest=rules_digest(rules),
        actions=tuple(actions),
        notes=tuple(notes),
        is_sandbox=target.is_sandbox,
    )
    return sealed(plan)


def _reused(store: Store, source: FindingsSource, names: list[str]) -> list[Finding]:
    """The stored findings of the plan's checks, check by check in the plan's order, as an audit of them gives them.

    An audit returns its findings check by check in the order it was given the checks, and
    the plan's actions follow that order: the earlier run may have run them in another.
    """
    grouped = by_check(store.load_findings(source.run_id, checks=names), names)
    return [finding for name in names for finding in grouped[name]]
