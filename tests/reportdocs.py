"""Small findings.json documents for the HTML report tests, built by hand through findings_document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sfbridge.models import Finding, Severity
from sfbridge.report.findings import findings_document

INSTANCE = "https://acme.my.salesforce.com"
SNAPSHOT = datetime(2026, 11, 2, 12, tzinfo=UTC)
GENERATED = datetime(2026, 11, 2, 12, 5, tzinfo=UTC)
NASTY = "<script>alert('x')</script> \"quoted\" & 'single'"
LEAD_1, LEAD_2, LEAD_3 = "00Q5g00000AbCdEEAV", "00Q5g00000AbCdFEAV", "00Q5g00000AbCdGEAV"
CONTACT = "0035g00000AbCdEAAV"
USER = "0055g00000AbCdEAAV"

CHECKS = [
    {"name": "stale_lead", "title": "Stale leads", "explains": "Open leads nobody touched.", "severity": "low"},
    {"name": "duplicate", "title": "Duplicate people", "explains": "Records of one person.", "severity": "medium"},
    {"name": "inactive_owner", "title": "Inactive owners", "explains": "Owned by inactive users.", "severity": "high"},
]


def finding(check: str, record_id: str, *, sobject: str = "Lead", **extra: Any) -> Finding:
    severity = {"stale_lead": Severity.LOW, "duplicate": Severity.MEDIUM, "inactive_owner": Severity.HIGH}[check]
    values: dict[str, Any] = {
        "check": check,
        "severity": severity,
        "sobject": sobject,
        "record_id": record_id,
        "reason": f"{check} on {record_id}",
        "suggested_action": "Fix it",
    }
    return Finding.model_validate(values | extra)


#: The pair's weights step by step, as the engine writes them (they add up to 5.0: score 0.97).
WATERFALL = [
    {"step": "prior", "level": "learned", "weight": -20.5},
    {"step": "first", "level": "same", "weight": 6.25},
    {"step": "email", "level": "same", "weight": 21.0},
    {"step": "place", "level": "other_employer", "weight": -1.75},
]


def match_model(*, learned: bool = True) -> dict[str, Any]:
    """A match model as findings.json carries it (see sfbridge.checks.CheckContext.match_model)."""

    def level(m: float, u: float, weight: float, *, tf: bool = False) -> dict[str, Any]:
        return {"m": m, "u": u, "weight": weight, "term_frequency_adjusted": tf}

    return {
        "learned": learned,
        "prior_log2_odds": -20.5 if learned else -9.0,
        "candidate_pairs": 4321 if learned else 82,
        "random_pairs": 200000 if learned else 0,
        "em_iterations": 17 if learned else 0,
        "converged": True,
        "training_match_rate": 0.31234 if learned else None,
        "training_blocking_keys": ["email", "phone", "name_postcode"] if learned else [],
        "comparisons": {
            "first": {"same": level(0.9, 0.002, 8.81, tf=learned), "different": level(0.01, 0.95, -6.57)},
            "email": {"same": level(0.7, 1.2e-06, 19.15, tf=True), "different": level(0.05, 0.99, -4.31)},
            "place": {"other_employer": level(0.02, 0.067, -1.74), "<b>odd</b>": level(0.1, 0.1, 0.0)},
        },
        "hand_set_reason": None if learned else "too_few_pairs",
        "min_training_pairs": 200,
    }


def duplicate_pair() -> list[Finding]:
    match = {
        "other_sobject": "Contact",
        "score": 0.97,
        "reasons": ["same email yamada@example.jp", "but other city"],
        "waterfall": WATERFALL,
    }
    lead = finding(
        "duplicate",
        LEAD_2,
        evidence={
            "name": "山田 太郎",
            "email": "yamada@example.jp",
            "company": NASTY,
            "matches": [match | {"other_id": CONTACT}],
        },
        related={"survivor": CONTACT},
        group=CONTACT,
        score=0.97,
    )
    back = match | {"other_id": LEAD_2, "other_sobject": "Lead"}
    contact = finding(
        "duplicate",
        CONTACT,
        sobject="Contact",
        evidence={
            "name": "Yamada Taro",
            "email": "yamada@example.jp",
            "company": "Ærø ApS",
            "matches": [back],
            # The survivor's finding carries the merged record's values (one taken from the lead).
            "merged_values": {
                "first_name": {"value": "Taro", "from": CONTACT, "rule": "most_common"},
                "title": {"value": NASTY, "from": LEAD_2, "rule": "most_recent"},
            },
        },
        related={"survivor": CONTACT},
        group=CONTACT,
        score=0.97,
    )
    return [lead, contact]


def findings() -> list[Finding]:
    return [
        finding("stale_lead", LEAD_1, reason=f"Ελένη {NASTY}", evidence={"Status": "Open", "days_idle": 200}),
        finding("stale_lead", LEAD_3, reason="Ærø lead idle", evidence={"days_idle": 120}),
        *duplicate_pair(),
        finding("inactive_owner", LEAD_1, related={"owner": USER}, evidence={"owner_name": "Ελένη Π."}),
    ]


def profile() -> dict[str, Any]:
    return {
        "org_id": "00D5g0000000001EAA",
        "instance_url": INSTANCE,
        "record_counts": {"Lead": 8, "Contact": 2},
        "lead_usage": {
            "leads": 8,
            "open_leads": 6,
            "contacts": 2,
            "open_lead_share": 0.75,
            "mode": "lead-based",
            "explanation": "Open leads are 75.0% of open leads plus contacts: the org works Leads.",
        },
        "funnel": [
            {
                "status": "Open",
                "label": "Open",
                "sort_order": 1,
                "leads": 6,
                "share": 0.75,
                "open": True,
                "closed": False,
                "converted": False,
                "qualified": False,
                "in_picklist": True,
            },
            {
                "status": "Converted",
                "label": "Converted",
                "sort_order": 2,
                "leads": 2,
                "share": 0.25,
                "open": False,
                "closed": True,
                "converted": True,
                "qualified": False,
                "in_picklist": True,
            },
        ],
        "sources": [
            {"source": "Web", "leads": 5, "converted": 2, "conversion_rate": 0.4, "median_days_to_convert": 4.0},
            {"source": "(none)", "leads": 3, "converted": 0, "conversion_rate": 0.0, "median_days_to_convert": None},
        ],
        "owners": [
            {"owner_id": USER, "name": "Ελένη <b>Π.</b>", "active": False, "queue": False, "open_leads": 4},
            {"owner_id": "00G5g00000AbCdEEAV", "name": "Web Queue", "active": None, "queue": True, "open_leads": 2},
        ],
        "fill_rates": {"Lead": [{"field": "Email", "filled": 6, "fill_rate": 0.75}], "Contact": []},
        "lead_ages": [
            {"label": "0-30 days", "min_days": 0, "max_days": 30, "open_leads": 2},
            {"label": "over 30 days", "min_days": 31, "max_days": None, "open_leads": 4},
        ],
    }


def document(items: list[Finding] | None = None, *, with_profile: bool = True, **extra: Any) -> dict[str, Any]:
    return findings_document(
        findings() if items is None else items,
        org={"name": "acme", "org_id": "00D5g0000000001EAA", "instance_url": INSTANCE},
        snapshot_at=SNAPSHOT,
        run_id=7,
        checks=CHECKS,
        rules={},
        profile=profile() if with_profile else None,
        generated_at=GENERATED,
        **extra,
    )


def lightning(sobject: str, record_id: str) -> str:
    return f"{INSTANCE}/lightning/r/{sobject}/{record_id}/view"
