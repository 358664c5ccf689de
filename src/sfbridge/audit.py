"""The audit stage: load the snapshot the checks need, run them and profile the org, keep the findings.

The rules are first checked against what the store knows of the org (the describe and the
LeadStatus rows the last pull kept; see :mod:`sfbridge.checks.rules_fit`): a field or status
the org lacks would otherwise change the findings without a word.

Ages are measured from the snapshot's moment (the last completed pull), not the wall clock:
an audit says what the org looked like when it was mirrored, and the same store always gives
the same findings.

Each duplicate cluster's master finding also says what ``sfbridge plan`` would do with the
cluster (merge it, or leave it to a person and why: :func:`sfbridge.plan.merges.merge_outlook`),
so the reports show it beside the cluster. Every finding also names whose record it is (the
person, their company or account, the record's owner: :mod:`sfbridge.audit_names`), so a report
can show names where it would otherwise show only Ids.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import structlog

from sfbridge.audit_names import NAME_FIELDS, name_columns, with_names
from sfbridge.checks import Check, fields_needed, run_checks_detailed, select_checks
from sfbridge.checks.profile import PROFILE_NEEDS, OrgProfileReport, org_profile
from sfbridge.checks.rules_fit import OrgFacts, require_rules_fit
from sfbridge.describes import DescribedField, fields_from_columns
from sfbridge.errors import run_outcome
from sfbridge.log import timed
from sfbridge.matching.mergeable import HELD_BACK_BY, merge_outlook
from sfbridge.models import Finding, collection_paused, lead_status_values
from sfbridge.prepare import Prepared, kept_people_reader, people_prepared, people_token, prepare_people
from sfbridge.rules import Rules, rules_digest
from sfbridge.store import Store

__all__ = [
    "FILL_COUNTED",
    "AuditResult",
    "CheckedAudit",
    "audit",
    "checked_audit",
    "org_facts",
    "prepare_for_audits",
    "snapshot_fields",
]

log = structlog.get_logger()


@dataclass(frozen=True)
class AuditResult:
    """What an audit found, and about what.

    ``match_model`` is how the duplicate search weighed pairs (see
    :meth:`sfbridge.checks.CheckContext.match_model`), None when no check scored pairs; it
    is kept with the run (``runs.details``) for reports rebuilt later.
    """

    run_id: int
    org_id: str
    instance_url: str
    snapshot_at: datetime
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    profile: OrgProfileReport
    elapsed_seconds: float  # loading the snapshot and checking it; storing the findings comes after
    match_model: dict[str, Any] | None = None


#: The objects whose every stored field's fill is counted (the org profile's fill rates).
FILL_COUNTED = ("Lead", "Contact")


def snapshot_fields(checks: Sequence[Check], rules: Rules) -> dict[str, set[str]]:
    """The fields an audit of these checks under these rules loads, per object.

    What the checks read, the org profile, the names every finding is given
    (:mod:`sfbridge.audit_names`) and, with the duplicate check, what a merge's outlook
    weighs. ``sfbridge pull`` keeps the frames of an audit of every check
    (:func:`sfbridge.prepare.prepare_people`'s ``keep``), so any audit reads what it needs from them.
    """
    fields = fields_needed(checks, rules)
    for sobject, needed in (*PROFILE_NEEDS.items(), *NAME_FIELDS.items()):
        fields.setdefault(sobject, set()).update(needed)
    if any(check.name == "duplicate" for check in checks):
        for sobject, facts in HELD_BACK_BY.items():
            fields.setdefault(sobject, set()).update(facts)
    return fields


def prepare_for_audits(store: Store, rules: Rules) -> Prepared:
    """Prepare a pulled mirror for the audits to come, as ``sfbridge pull`` does after every pull.

    The people normalised under ``rules`` (:func:`sfbridge.prepare.prepare_people`), and the
    frames an audit of every check loads kept beside them: any audit of this mirror, of any
    checks, reads what it needs from them.
    """
    return prepare_people(store, rules, keep=snapshot_fields(select_checks(None), rules), count_fill=FILL_COUNTED)


#: The objects whose fields the rules name (``conversion.*``, ``lead_source.*``, ``plan.*``).
_RULE_OBJECTS = ("Lead",)


def org_facts(store: Store) -> OrgFacts:
    """What the store knows of the org to check rules against: fields from the last describe, LeadStatus rows.

    A store pulled before describes were kept falls back to its mirror's columns (names and
    kinds); an object or LeadStatus never pulled is left out, and the check skips it.
    """
    fields: dict[str, dict[str, DescribedField]] = {}
    for sobject in _RULE_OBJECTS:
        described = store.described(sobject)
        if described is None:
            state = store.state(sobject)
            if state is None:
                continue
            described = fields_from_columns(state.columns)
        fields[sobject] = {field.name: field for field in described}
    statuses = lead_status_values(store.rows("LeadStatus")) if store.state("LeadStatus") else None
    return OrgFacts(fields=fields, statuses=statuses)


def _columns(frame: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    return frame.select([name for name in names if name in frame.columns])


def _with_merge_outlook(findings: list[Finding], rules: Rules, facts: dict[str, pl.DataFrame]) -> list[Finding]:
    """The findings, each duplicate cluster's master per object saying what a plan would do (``merge``)."""
    ids = {finding.record_id for finding in findings if finding.check == "duplicate"}
    records = {
        sobject: {str(row["Id"]): row for row in frame.filter(pl.col("Id").is_in(sorted(ids))).iter_rows(named=True)}
        for sobject, frame in facts.items()
        if "Id" in frame.columns
    }
    outlook = merge_outlook(findings, rules=rules, records=records)
    return [
        finding.with_evidence({"merge": outlook[finding.record_id]})
        if finding.check == "duplicate" and finding.record_id in outlook
        else finding
        for finding in findings
    ]


@dataclass(frozen=True)
class CheckedAudit:
    """An audit whose checks are done and whose run is still open: the findings are not stored yet.

    :func:`audit` stores them and ends the run at once. ``sfbridge audit`` ends it only after
    writing its outputs too (:meth:`finishing`), so a run recorded ``ok`` has both its stored
    findings and its files, and a failure in either records it failed (or interrupted).
    """

    store: Store
    org: str
    result: AuditResult
    details: dict[str, Any]
    started: float  # time.perf_counter() at the audit's start

    def save(self) -> list[bytes]:
        """Store the findings under the run, in one transaction: all or none. Returns their digests, in order."""
        return self.store.save_findings(self.result.run_id, self.result.findings)

    @contextmanager
    def finishing(self) -> Iterator[None]:
        """End the run after the block: ``ok`` with its counts, or as what the block raised ended it."""
        result = self.result
        try:
            yield
        except BaseException as exc:  # a signal or Ctrl-C is recorded "interrupted", anything else "failed"
            _end_run(self.store, result.run_id, exc)
            raise
        # One pass over the findings, not one per check: 16 passes over a million records' 160k took 0.2 s.
        found = Counter(item.check for item in result.findings)
        counts = {check.name: found[check.name] for check in result.checks}
        self.store.finish_run(
            result.run_id, outcome="ok", finished_at=datetime.now(UTC), counts=counts, details=self.details
        )
        seconds = round(time.perf_counter() - self.started, 2)
        log.info(
            "audit_done",
            org=self.org,
            findings=len(result.findings),
            checks=len(result.checks),
            seconds=seconds,
            people_prepared=self.details.get("people_prepared"),
        )


def _end_run(store: Store, run_id: int, exc: BaseException) -> None:
    outcome, error = run_outcome(exc)
    store.finish_run(run_id, outcome=outcome, finished_at=datetime.now(UTC), error=error)


def audit(
    store: Store,
    *,
    org: str,
    rules: Rules,
    checks: Sequence[Check],
    command: str = "audit",
    rules_file: Path | None = None,
) -> AuditResult:
    """Check the rules against the org, run checks on the store's mirror and save their findings under a new run.

    Args:
        store: the mirror (pulled at least once).
        org: the profile name, for the runs table.
        rules: thresholds and policies.
        checks: the checks to run.
        command: the command recorded in the runs table.
        rules_file: the file the rules came from (named when they do not fit the org).

    Returns:
        The findings and where they are stored.

    Raises:
        RulesMismatchError: when the rules name fields or statuses the org does not have.
        UsageError: when the store holds no pulled org.

    Python's cyclic collector is paused for the whole process while it runs (see
    :func:`checked_audit`), and turned back on however it ends.
    """
    with collection_paused():  # from the load to the stored findings: see checked_audit
        checked = checked_audit(store, org=org, rules=rules, checks=checks, command=command, rules_file=rules_file)
        with checked.finishing():
            checked.save()
    return checked.result


def checked_audit(
    store: Store,
    *,
    org: str,
    rules: Rules,
    checks: Sequence[Check],
    command: str = "audit",
    rules_file: Path | None = None,
) -> CheckedAudit:
    """Start a run and run the checks, as :func:`audit` does, leaving the findings unstored and the run open.

    The caller stores them (:meth:`CheckedAudit.save`) and ends the run
    (:meth:`CheckedAudit.finishing`); a failure before this returns ends the run here.
    Arguments, errors: as :func:`audit`'s.

    Callers run it and what follows with Python's cyclic collector paused
    (:func:`~sfbridge.models.collection_paused`), as :func:`audit` and ``sfbridge audit`` do.
    An audit makes millions of small objects that hold no cycles and mostly last until it
    ends (each check's findings, the names, the findings' JSON forms), and every full pass of
    the collector scans them all again. Counted with ``gc.callbacks`` over a million records'
    ``sfbridge audit`` (``benchmarks/collector_bench.py``): 1,650 collections in 2.0-2.7 s
    with the collector paused only for the tail and a few steps, 316 in 0.13-0.14 s with it
    paused throughout (the imports' and the command's around the audit). What they freed was
    SQLAlchemy's metadata and some functions, never a polars frame or series.
    """
    started, timer = datetime.now(UTC), time.perf_counter()
    require_rules_fit(rules, org_facts(store), source=None if rules_file is None else str(rules_file))
    # Before the snapshot loads: a pull meanwhile leaves the run's basis stale (never reused), not wrong.
    basis = store.findings_basis(rules_digest(rules))
    # The pull normalised these very people: they are made after the other checks.
    people_basis = people_token(store)
    prepared = any(check.reads_people for check in checks) and people_prepared(store, people_basis, rules)
    fields = snapshot_fields(checks, rules)
    duplicates = any(check.name == "duplicate" for check in checks)
    # Each stage's seconds are logged (audit_stage, each check's check_done): `sfbridge audit -v`
    # says where a large org's audit spends its time.
    with timed("audit_stage", stage="load"):
        snapshot = store.load_snapshot(fields, count_fill=FILL_COUNTED)
    # And kept them normalised: read back when the people are first needed. Only if the people's
    # objects loaded are still those they were kept for: a pull writing since the token was taken
    # may have been read by the load (the kept frames are checked against the mirror at the load;
    # the people, read later, against the token taken before it).
    people_kept = prepared and people_token(store) == people_basis
    read_normalised = kept_people_reader(store, people_basis, rules) if people_kept else None
    org_id, instance_url, taken_at = snapshot.org_id, snapshot.instance_url, snapshot.taken_at
    run_id = store.start_run(command, org=org, started_at=started)
    try:
        described = {sobject: store.described(sobject) for sobject in ("Lead", "Contact")}
        with timed("audit_stage", stage="profile"):
            profile = org_profile(snapshot, rules=rules, now=taken_at, described=described)
        # Kept aside: the checks release the columns they are done with as they go.
        merge_facts = {sobject: _columns(snapshot.frame(sobject), facts) for sobject, facts in HELD_BACK_BY.items()}
        names = name_columns(snapshot)
        checked = run_checks_detailed(
            snapshot,
            rules=rules,
            now=taken_at,
            checks=checks,
            release=True,
            derived=store,
            people_prepared=prepared,
            read_normalised=read_normalised,
        )
        findings, match_model = checked.findings, checked.match_model
        del snapshot  # the frames are done with: a large org's findings need that memory next
        with timed("audit_stage", stage="names"):
            findings = with_names(findings, names)
            del names
            if duplicates:
                findings = _with_merge_outlook(findings, rules, merge_facts)
            del merge_facts
    except BaseException as exc:
        _end_run(store, run_id, exc)
        raise
    details = {
        "match_model": match_model,
        "basis": basis,
        "snapshot_at": taken_at.isoformat(),
        "people_prepared": prepared,  # which order the checks ran in: explains an audit's time and memory
    }
    result = AuditResult(
        run_id=run_id,
        org_id=org_id,
        instance_url=instance_url,
        snapshot_at=taken_at,
        checks=tuple(checks),
        findings=tuple(findings),
        profile=profile,
        elapsed_seconds=time.perf_counter() - timer,
        match_model=match_model,
    )
    return CheckedAudit(store, org, result, details, timer)
