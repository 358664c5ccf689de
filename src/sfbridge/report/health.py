"""Health scores per area of an org (duplicates, lead hygiene, conversion, data quality, ownership).

A score says how much of an area's records have problems, weighed by how bad they are, on a
scale where a few percent already show: an admin reading "96" for an org with dozens of
high-severity findings would rightly stop believing the page. It can be checked by hand
from ``findings.json``:

* every record with at least one finding in the area costs the weight of its worst finding
  there: high 1, medium 0.5, low 0.25, info 0 (``ready_to_convert`` is an opportunity, not
  a problem);
* the area's *weighted share* is ``cost / records in scope``: a share, so an org ten times
  larger with the same share of problems scores the same;
* ``score = 100 * 0.5 ** (weighted share / 7 %)``, rounded: every 7 % of the records in scope
  with a high-severity problem (or 14 % with a medium one) halves the score. 1 % scores 91,
  3 % 74, 10 % 37, 25 % 8;
* the records in scope come from the org profile: Leads plus Contacts, open Leads, or
  converted Leads, as each area's checks look at them. Without a profile (a report rebuilt
  from a stored run) there is no denominator, and the score is ``None`` (shown as "n/a").

The overall score is the geometric mean of the areas that have one, so one area in trouble
pulls it down more than a plain average would. 85 and above reads good, 60 and above fair,
below that poor. Checks that belong to no area here (a new check) fall into "Other", scoped
to Leads plus Contacts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AREAS",
    "FAIR",
    "GOOD",
    "HALF_SHARE",
    "SEVERITY_WEIGHTS",
    "Area",
    "area_of",
    "band",
    "health_scores",
    "overall_score",
    "score_of_share",
]

#: What a record's worst finding in an area costs.
SEVERITY_WEIGHTS: dict[str, float] = {"high": 1.0, "medium": 0.5, "low": 0.25, "info": 0.0}

#: The weighted share of an area's records that halves its score.
HALF_SHARE = 0.07

#: Where a score stops reading good, and fair.
GOOD, FAIR = 85, 60

#: How a scope is named on the page.
SCOPE_LABELS: dict[str, str] = {
    "people": "Leads + Contacts",
    "open_leads": "open Leads",
    "converted_leads": "converted Leads",
}


@dataclass(frozen=True)
class Area:
    """A group of checks scored together, and the records they look at."""

    name: str
    title: str
    checks: tuple[str, ...]
    scope: str  # a key of SCOPE_LABELS


AREAS: tuple[Area, ...] = (
    Area("duplicates", "Duplicates", ("duplicate", "lead_is_existing_contact", "lead_matches_account"), "people"),
    Area("lead_hygiene", "Lead hygiene", ("stale_lead", "never_touched_lead", "junk_lead"), "open_leads"),
    Area("conversion", "Conversion", ("premature_conversion", "ready_to_convert"), "converted_leads"),
    Area(
        "data_quality",
        "Data quality",
        ("missing_lead_source", "orphan_contact", "bounced_email", "invalid_email", "invalid_phone", "phone_format"),
        "people",
    ),
    Area("ownership", "Ownership", ("inactive_owner", "queue_aging"), "open_leads"),
)
_OTHER = Area("other", "Other", (), "people")
_BY_CHECK = {check: area for area in AREAS for check in area.checks}


def area_of(check: str) -> Area:
    """The area a check counts towards.

    >>> area_of("stale_lead").title, area_of("some_new_check").name
    ('Lead hygiene', 'other')
    """
    return _BY_CHECK.get(check, _OTHER)


def score_of_share(share: float) -> int:
    """The score of a weighted share of problem records (see the module docstring).

    >>> [score_of_share(share) for share in (0, 0.01, 0.03, 0.07, 0.10, 0.25)]
    [100, 91, 74, 50, 37, 8]
    """
    return round(100 * math.pow(0.5, share / HALF_SHARE))


def band(score: int | None) -> str:
    """``good``, ``fair``, ``poor`` or ``none``: how a score reads (and is coloured).

    >>> band(85), band(84), band(60), band(59), band(None)
    ('good', 'fair', 'fair', 'poor', 'none')
    """
    if score is None:
        return "none"
    return "good" if score >= GOOD else ("fair" if score >= FAIR else "poor")


def _scope_sizes(profile: Mapping[str, Any] | None) -> dict[str, int | None]:
    if not profile:
        return dict.fromkeys(SCOPE_LABELS)
    counts = profile.get("record_counts") or {}
    usage = profile.get("lead_usage") or {}
    sources = profile.get("sources") or ()
    return {
        "people": int(counts.get("Lead", 0)) + int(counts.get("Contact", 0)),
        "open_leads": usage.get("open_leads"),
        "converted_leads": sum(int(source.get("converted", 0)) for source in sources),
    }


def health_scores(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Score each area of a findings.json document (the formula is in the module docstring).

    Args:
        document: the findings.json document (``checks``, ``findings`` and ``profile`` are read).

    Returns:
        One JSON-ready entry per area that has a check in the audit, in :data:`AREAS` order:
        ``area``, ``title``, ``score`` (0-100, or None without a profile or an empty scope),
        ``band`` (good, fair, poor, none), ``findings``, ``records`` (distinct records with a
        finding), ``cost``, ``share`` (cost ÷ scope size, in %), ``scope`` (its label),
        ``scope_size``, ``checks``.
    """
    ran = [str(check["name"]) for check in document.get("checks", ())]
    areas = [*AREAS, _OTHER]
    checks_of = {area.name: [name for name in ran if area_of(name) is area] for area in areas}
    worst: dict[str, dict[tuple[str, str], float]] = {area.name: {} for area in areas}
    found = dict.fromkeys(checks_of, 0)
    for item in document.get("findings", ()):
        area = area_of(str(item["check"]))
        key = (str(item["sobject"]), str(item["record_id"]))
        weight = SEVERITY_WEIGHTS.get(str(item["severity"]), 0.0)
        costs = worst[area.name]
        costs[key] = max(weight, costs.get(key, 0.0))
        found[area.name] += 1
    sizes = _scope_sizes(document.get("profile"))
    scores = []
    for area in areas:
        if not checks_of[area.name]:
            continue
        cost = sum(worst[area.name].values())
        size = sizes[area.scope]
        score = None if not size else score_of_share(cost / size)
        scores.append(
            {
                "area": area.name,
                "title": area.title,
                "score": score,
                "band": band(score),
                "findings": found[area.name],
                "records": len(worst[area.name]),
                "cost": round(cost, 2),
                "share": round(100 * cost / size, 1) if size else None,
                "scope": SCOPE_LABELS[area.scope],
                "scope_size": size,
                "checks": checks_of[area.name],
            }
        )
    return scores


def overall_score(scores: Sequence[Mapping[str, Any]]) -> int | None:
    """The geometric mean of the areas' scores that exist (None when none does).

    One area in trouble weighs more than in a plain average (which would say 82 for the
    second example); an area at 0 is taken as 1, so one area alone does not zero the org.

    >>> overall_score([{"score": 90}, {"score": 71}, {"score": None}])
    80
    >>> overall_score([{"score": 95}] * 4 + [{"score": 30}])
    75
    """
    values = [max(1, int(entry["score"])) for entry in scores if entry.get("score") is not None]
    if not values:
        return None
    return round(math.exp(sum(math.log(value) for value in values) / len(values)))
