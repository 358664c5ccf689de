"""The per-check sections of report.html as plain data: table rows, links, duplicate clusters (pure).

Rows go into the page as JSON for the table library rather than as HTML: a large org's audit
has ~150k findings, and JSON the browser parses once and pages through is far lighter than a
DOM of that many rows. A section's rows come most pressing first (most severe, then oldest:
:func:`sfbridge.report.evidence.ordered`) and it carries at most ``row_limit`` of them; the
page then says how many it shows and points at the check's CSV, which always holds every
finding. What a row holds is :mod:`sfbridge.report.table_rows`'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from sfbridge.matching.best_values import FIELD_LABELS
from sfbridge.matching.mergeable import PLAN_MERGES
from sfbridge.report.basis import ROW_LIMIT, ReportBasis, report_basis
from sfbridge.report.evidence import facts_and_shared
from sfbridge.report.links import lightning_url
from sfbridge.report.matchmodel import waterfall_view
from sfbridge.report.table_rows import ROW_FIELDS, table_layout, table_row

__all__ = [
    "CLUSTER_FIELDS",
    "CLUSTER_LIMIT",
    "ROW_FIELDS",
    "ROW_LIMIT",
    "WHY",
    "check_sections",
    "duplicate_clusters",
]

#: Duplicate clusters shown side by side at most (largest first).
CLUSTER_LIMIT = 200

#: Why each check matters, in plain words (what it finds is the check's own ``explains``).
WHY: dict[str, str] = {
    "stale_lead": "Leads nobody works go cold, crowd reps' list views and inflate the pipeline everyone reports on.",
    "never_touched_lead": "A lead no one ever contacted is marketing spend thrown away; speed of response decides "
    "whether leads convert.",
    "missing_lead_source": "Lead Source drives marketing ROI reports: without it, spend cannot be tied to results.",
    "inactive_owner": "Nobody sees these leads in a list view or gets their reminders: they are silently lost.",
    "queue_aging": "A lead waiting in a queue waits for nobody, and the longer it waits the less likely it converts.",
    "premature_conversion": "Conversion cannot be undone: unqualified conversions fill Contacts and Opportunities "
    "with noise and make conversion rates lie.",
    "junk_lead": "Junk inflates lead counts and conversion denominators and wastes reps' time.",
    "duplicate": "Duplicates split a person's activity history and get them emailed or called twice.",
    "lead_is_existing_contact": "A normal conversion would create a second Contact (and Account) for someone "
    "who is already a customer contact.",
    "lead_matches_account": "Converting into a new Account duplicates an existing customer and splits its history.",
    "orphan_contact": "A Contact without an Account is private to its owner and missing from account reports "
    "and roll-ups.",
    "bounced_email": "Sends to bounced addresses are wasted and hurt the org's sender reputation.",
    "invalid_email": "Mail cannot reach a malformed address, yet the record looks reachable.",
    "invalid_phone": "Reps cannot call the number and dialers reject it.",
    "phone_format": "Read in the record's country the number is wrong: dialers and click-to-call misdial it, "
    "though the number itself is good.",
    "ready_to_convert": "Qualified interest waiting to become pipeline: converting now keeps momentum.",
}


def _text(value: Any) -> str:  # noqa: ANN401 (any evidence value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def check_sections(
    document: Mapping[str, Any],
    *,
    trends: Mapping[str, Mapping[str, int]] | None,
    row_limit: int = ROW_LIMIT,
    basis: ReportBasis | None = None,
) -> list[dict[str, Any]]:
    """One entry per check of the audit, in the document's order.

    Args:
        document: the findings.json document.
        trends: check → ``new``/``resolved``/``still_open`` counts (None for a check no earlier
            audit ran), or None for a first audit.
        row_limit: findings a section embeds at most.
        basis: the document's findings by check, most pressing first
            (:func:`sfbridge.report.basis.report_basis`; None: worked out here).

    Returns:
        Per check: ``name``, ``title``, ``explains``, ``why``, ``severity``, ``count``,
        ``shown`` (rows embedded), ``files`` (the per-object CSVs that hold every finding),
        ``rows`` (lists in :data:`ROW_FIELDS` order, most pressing
        first), ``layout`` (the table's columns: :func:`~sfbridge.report.table_rows.table_layout`),
        ``shared`` (``label`` and ``text`` of the facts every row states alike, said once),
        ``has_waterfall`` (a row shows why its records matched), ``trend`` (None for a first
        audit or a check not compared).
    """
    instance_url = (document.get("org") or {}).get("instance_url")
    if basis is None:
        basis = report_basis(document, row_limit=row_limit)
    sections = []
    for check in document.get("checks", ()):
        name = str(check["name"])
        mine = basis.check(name)
        items, shown = mine.findings, basis.most_pressing(name, row_limit)
        facts, shared = facts_and_shared(shown)
        rows = [table_row(item, facts, instance_url, said=[key for key, _, _ in shared]) for item in shown]
        sections.append(
            {
                "name": name,
                "title": check.get("title") or name,
                "explains": check.get("explains") or "",
                "why": WHY.get(name, ""),
                "severity": check.get("severity") or (items[0]["severity"] if items else "info"),
                "count": len(items),
                "shown": len(shown),
                "files": mine.files,
                "rows": rows,
                "layout": table_layout(shown, facts, rows),
                "shared": [{"label": title, "text": text} for _, title, text in shared],
                "has_waterfall": any(row[-1] is not None for row in rows),
                "trend": None if trends is None else _trend(trends.get(name)),
            }
        )
    return sections


def _trend(counts: Mapping[str, Any] | None) -> dict[str, int] | None:
    if counts is None:
        return None
    return {key: int(counts.get(key, 0)) for key in ("new", "resolved", "still_open")}


def _member(item: Mapping[str, Any], instance_url: str | None) -> dict[str, Any]:
    evidence = item.get("evidence") or {}
    return {
        "id": str(item["record_id"]),
        "sobject": str(item["sobject"]),
        "url": lightning_url(instance_url, str(item["sobject"]), str(item["record_id"])),
        "keep": (item.get("related") or {}).get("survivor") == item["record_id"],
        "fields": [_text(evidence.get(key)) for key, _ in CLUSTER_FIELDS],
    }


#: The fields shown side by side for each record of a duplicate cluster: evidence key, label.
CLUSTER_FIELDS = (
    ("name", "Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("mobile_phone", "Mobile"),
    ("company", "Company"),
)


def _merged(items: Iterable[Mapping[str, Any]], keep: str | None) -> list[dict[str, Any]]:
    """The values the merged record should carry (the survivor's ``merged_values``), filled fields only."""
    values: Any = None
    for item in items:
        if str(item["record_id"]) == keep:
            values = (item.get("evidence") or {}).get("merged_values")
    if not isinstance(values, Mapping):
        return []
    shown = []
    for key, label in FIELD_LABELS.items():
        chosen = values.get(key)
        if isinstance(chosen, Mapping) and chosen.get("value") not in (None, ""):
            source = chosen.get("from")
            shown.append(
                {
                    "label": label,
                    "value": _text(chosen.get("value")),
                    "from": str(source) if source else None,
                    "kept": source == keep,
                    "rule": chosen.get("rule"),
                }
            )
    return shown


def _pairs(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[frozenset[str], dict[str, Any]] = {}
    for item in items:
        for match in (item.get("evidence") or {}).get("matches") or ():
            other = str(match.get("other_id"))
            key = frozenset((str(item["record_id"]), other))
            if key in seen or len(key) < 2:  # noqa: PLR2004 (a pair)
                continue
            reasons = [str(reason) for reason in match.get("reasons") or ()]
            steps = match.get("waterfall")
            seen[key] = {
                "a": str(item["record_id"]),
                "b": other,
                "score": match.get("score"),
                "reasons": [reason for reason in reasons if not reason.startswith("but ")],
                "against": [reason for reason in reasons if reason.startswith("but ")],
                "waterfall": waterfall_view(steps) if isinstance(steps, list) else None,
            }
    return list(seen.values())


def _outlook(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What a plan does with a cluster's records, per object (the audit notes it on each object's master)."""
    texts = sorted(
        str(text) for item in items if isinstance(text := (item.get("evidence") or {}).get("merge"), str) and text
    )
    return [{"text": text, "merges": text.startswith(PLAN_MERGES)} for text in texts]


def duplicate_clusters(
    findings: Sequence[Mapping[str, Any]], *, instance_url: str | None, limit: int = CLUSTER_LIMIT
) -> tuple[list[dict[str, Any]], int]:
    """The duplicate check's clusters, fields side by side, with the pairwise reasons.

    Args:
        findings: every finding (those of the ``duplicate`` check with a ``group`` are used).
        instance_url: the org's instance, for record links.
        limit: clusters returned at most (largest, then most certain, first).

    Returns:
        The clusters (``group``, ``members`` with the record to keep first, ``fields`` marking
        which rows agree across members, ``pairs`` with their reasons and ``waterfall``,
        ``merged``: the values the merged record should carry and where each comes from,
        ``outlook``: what a plan does with it, per object: ``text`` and whether it ``merges``),
        and how many clusters there are in all.
    """
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for item in findings:
        if item.get("check") == "duplicate" and item.get("group"):
            groups[str(item["group"])].append(item)

    def order(entry: tuple[str, list[Mapping[str, Any]]]) -> tuple[int, float, str]:
        best = max((float(item.get("score") or 0) for item in entry[1]), default=0.0)
        return (-len(entry[1]), -best, entry[0])

    clusters = []
    for group, items in sorted(groups.items(), key=order)[:limit]:
        members = sorted((_member(item, instance_url) for item in items), key=lambda m: (not m["keep"], m["id"]))
        rows = []
        for index, (_, label) in enumerate(CLUSTER_FIELDS):
            values = [member["fields"][index] for member in members]
            same = len({value.casefold() for value in values}) == 1 and bool(values[0])
            rows.append({"label": label, "cells": values, "same": same})
        keep = next((member["id"] for member in members if member["keep"]), None)
        clusters.append(
            {
                "group": group,
                "members": members,
                "rows": rows,
                "pairs": _pairs(items),
                "merged": _merged(items, keep),
                "outlook": _outlook(items),
            }
        )
    return clusters, len(groups)
