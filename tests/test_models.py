"""Findings: evidence added to a copy shows in its JSON form, never in the original's."""

from sfbridge.models import Finding, Severity


def test_evidence_added_to_a_finding_reaches_its_json_form_and_leaves_the_original_alone():
    finding = Finding(
        check="stale_lead",
        severity=Severity.LOW,
        sobject="Lead",
        record_id="00Q9P0000F9q001UQA",
        reason="idle",
        suggested_action="touch it",
        evidence={"days_idle": 200, "name": "from the check"},
    )
    assert finding.plain["evidence"] == {"days_idle": 200, "name": "from the check"}  # cached now
    later = finding.with_evidence({"merge": "not merged"})
    assert later.plain["evidence"] == {"days_idle": 200, "name": "from the check", "merge": "not merged"}
    first = finding.with_evidence({"name": "Ann Lee", "owner_name": "Bo Ek"}, first=True)
    assert list(first.plain["evidence"]) == ["name", "owner_name", "days_idle"]
    assert first.evidence["name"] == "Ann Lee"
    assert finding.plain["evidence"] == {"days_idle": 200, "name": "from the check"}
