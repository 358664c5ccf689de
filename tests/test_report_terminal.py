"""The audit's terminal summary: one row per check, its most pressing finding named by the person."""

from rich.console import Console

from reportdocs import CHECKS, LEAD_1, LEAD_2, LEAD_3, finding
from sfbridge.report.terminal import audit_table


def shown(findings) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(audit_table(findings, checks=CHECKS, title="Audit"))
    return console.export_text()


def test_each_checks_example_is_its_oldest_finding_by_name_company_and_owner():
    """The example is the most pressing finding (the oldest here), named, not the first Id the check returned."""
    findings = [
        finding("stale_lead", LEAD_1, evidence={"name": "Ann Lee", "company": "Acme", "days_idle": 95}),
        finding(
            "stale_lead",
            LEAD_2,
            reason="Idle 400 days",
            evidence={"name": "Zoë Ng", "company": "Globex", "owner_name": "Cy Li", "days_idle": 400},
        ),
    ]
    text = shown(findings)
    assert "Zoë Ng (Globex; owner Cy Li): Idle 400 days" in text
    assert LEAD_2 not in text
    assert "Ann Lee" not in text


def test_a_finding_without_a_name_is_shown_by_object_and_id():
    """Findings of an older audit (no names) still show which record: its object and Id."""
    text = shown([finding("stale_lead", LEAD_3, reason="Idle", evidence={"days_idle": 95})])
    assert f"Lead {LEAD_3}: Idle" in text
