"""Which duplicate clusters may be merged without a person, under the rules' ``[merge]`` section (pure).

One decision, read in two places: ``sfbridge plan`` turns the clusters it allows into
``MergeRecords`` actions (:mod:`sfbridge.plan.merges`) and notes the others with the reason;
the audit notes on each cluster what a plan would do, so the reports show it beside the
cluster (:func:`merge_outlook`).

Salesforce merges Leads with Leads and Contacts with Contacts, so the decision is per cluster
and object. A cluster is held back when its weakest match is under ``merge_threshold``, a
record is no longer stored, a lead is converted (Salesforce refuses to merge one), the owners
differ and ``same_owner_only`` is set, or the record types differ and ``same_record_type_only``
is set (a merge keeps the master's record type, so the others' would be lost silently).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sfbridge.models import MAX_MERGED, Finding
from sfbridge.rules import Rules

__all__ = ["HELD_BACK_BY", "PLAN_MERGES", "cluster_score", "clusters_of", "held_back", "merge_outlook", "ranked"]

#: How :func:`merge_outlook` begins the sentence of a cluster a plan merges (others say why not).
PLAN_MERGES = "a plan merges"

#: The fields :func:`held_back` reads of each record, per object.
HELD_BACK_BY = {
    "Lead": ("Id", "OwnerId", "RecordTypeId", "IsConverted"),
    "Contact": ("Id", "OwnerId", "RecordTypeId"),
}

Records = Mapping[str, Mapping[str, Mapping[str, Any]]]


def clusters_of(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """The duplicate findings by cluster (their ``group``)."""
    clusters: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.check == "duplicate" and finding.group is not None:
            clusters.setdefault(finding.group, []).append(finding)
    return clusters


def ranked(members: Sequence[Finding]) -> list[Finding]:
    """A cluster's findings in survivor order (the duplicate check's ``rank``; the survivor first)."""

    def rank(finding: Finding) -> tuple[int, str]:
        value = finding.evidence.get("rank")
        return (value if isinstance(value, int) else 1_000_000, finding.record_id)

    return sorted(members, key=rank)


def cluster_score(members: Sequence[Finding]) -> float | None:
    """The cluster's weakest link: each record's strongest match, the lowest of them."""
    scores = [finding.score for finding in members if finding.score is not None]
    return min(scores) if scores else None


def held_back(findings: Sequence[Finding], score: float | None, *, rules: Rules, records: Records) -> str | None:
    """Why the merge of one object's records of a cluster is left to a person, or None.

    Args:
        findings: the cluster's findings of one object, in survivor order.
        score: the cluster's :func:`cluster_score`.
        rules: the rules (``[merge]``).
        records: per object, record Id → stored values (OwnerId, RecordTypeId, IsConverted).
    """
    merge = rules.merge
    sobject = findings[0].sobject
    if score is None or score < merge.merge_threshold:
        # Kept free of the cluster's own figures, so the plan's summary counts notes alike together.
        return (
            f"not merged automatically: its weakest match is under merge.merge_threshold {merge.merge_threshold}; "
            "review the cluster (see the duplicate findings) and merge it in Salesforce, or lower the threshold"
        )
    stored = [records.get(sobject, {}).get(finding.record_id) for finding in findings]
    missing = [finding.record_id for finding, record in zip(findings, stored, strict=True) if record is None]
    if missing:
        return f"not merged: {sobject} {', '.join(missing)} is not in the store any more"
    present = [record for record in stored if record is not None]
    converted = [f.record_id for f, record in zip(findings, present, strict=True) if record.get("IsConverted")]
    if converted:
        return f"not merged: Lead {', '.join(converted)} is converted (a converted lead cannot be merged)"
    owners = sorted({str(record.get("OwnerId")) for record in present if record.get("OwnerId")})
    if merge.same_owner_only and len(owners) > 1:
        return f"not merged: the records have different owners ({', '.join(owners)}) and merge.same_owner_only is set"
    types = {str(record.get("RecordTypeId") or "") for record in present}
    if merge.same_record_type_only and len(types) > 1 and any(types):
        shown = ", ".join(sorted(kind or "(none)" for kind in types))
        return (
            f"not merged: the records have different record types ({shown}); "
            "choose the record type to keep and merge them in Salesforce"
        )
    return None


def merge_outlook(findings: Sequence[Finding], *, rules: Rules, records: Records) -> dict[str, str]:
    """What ``sfbridge plan`` would do with each duplicate cluster's records of one object, for the reports.

    Args:
        findings: an audit's findings (those of ``duplicate`` are read).
        rules: the rules (``[merge]`` and ``[plan] actions``).
        records: per object, record Id → stored values (OwnerId, RecordTypeId, IsConverted).

    Returns:
        The Id of the master of each object's records in a cluster (the best-ranked) → one
        sentence: the merge a plan proposes (beginning :data:`PLAN_MERGES`), or why it leaves
        the cluster to a person. A cluster's single Lead beside a Contact is not here: it is
        converted, not merged.
    """
    planned = "merge_duplicates" in rules.plan.actions
    outlook = {}
    for members in clusters_of(findings).values():
        order = ranked(members)
        score = cluster_score(order)
        for sobject in ("Lead", "Contact"):
            of_object = [finding for finding in order if finding.sobject == sobject]
            if len(of_object) < 2:  # noqa: PLR2004 (a merge needs two records)
                continue
            why = held_back(of_object, score, rules=rules, records=records)
            if why is None and not planned:
                why = "not merged: merge_duplicates is not among the [plan] actions in the rules"
            master, count = of_object[0].record_id, len(of_object) - 1
            steps = (count + MAX_MERGED - 1) // MAX_MERGED
            outlook[master] = why or (
                f"{PLAN_MERGES} {count} {sobject}{'s' if count > 1 else ''} into {master}"
                + (f" in {steps} steps (Salesforce merges three records at most)" if steps > 1 else "")
            )
    return outlook
