"""Findings: evidence added to a copy shows in its JSON form, never in the original's."""

import gc

from sfbridge.models import Finding, Severity, collection_paused


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


def test_a_finding_with_more_evidence_is_the_copy_pydantic_itself_would_make():
    """The fast copy equals model_copy's in every part pydantic keeps (a pydantic upgrade changing them fails here)."""
    finding = Finding(check="stale_lead", severity=Severity.LOW, sobject="Lead", record_id="00Q9P0000F9q001UQA",
                      reason="idle", suggested_action="touch it", evidence={"days_idle": 200}, score=0.5)  # fmt: skip
    assert finding.plain  # cached on the original: the copy must not carry it
    fast = finding.with_evidence({"name": "Ann Lee"})
    slow = finding.model_copy(update={"evidence": {"days_idle": 200, "name": "Ann Lee"}})
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert (fast.__pydantic_extra__, fast.__pydantic_private__) == (slow.__pydantic_extra__, slow.__pydantic_private__)
    assert fast.model_dump(mode="json") == slow.model_dump(mode="json") == fast.plain
    assert Finding.model_validate(fast.model_dump()) == fast


def test_the_collector_is_paused_in_the_block_and_restored_after():
    """Paused inside, on again after; a collector someone else paused is left paused."""
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
