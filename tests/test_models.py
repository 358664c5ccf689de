"""Findings: evidence added to a copy shows in its JSON form, never in the original's."""

import gc
import math
from datetime import UTC, date, datetime

import pytest

from sfbridge import models
from sfbridge.models import Finding, PackedFindings, Severity, collection_paused


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


def _finding(**values):
    return Finding(check="stale_lead", severity=Severity.LOW, sobject="Lead", record_id="00Q9P0000F9q001UQA",
                   reason="idle", suggested_action="touch it", **values)  # fmt: skip


def test_a_json_ready_findings_plain_form_shares_its_evidence_and_equals_pydantics_dump():
    """The JSON form holds the finding's own evidence, not a copy (530 MB of copies at a million records)."""
    finding = _finding(
        evidence={"days_idle": 200, "ok": True, "none": None, "matches": [{"score": 0.5, "reasons": ["same email"]}]},
        suggested_values={"Status": "Closed"},
        related={"owner": "0059P000001AbcDQAS"},
        group="g1",
        score=1,
    )
    plain = finding.plain
    assert plain == finding.model_dump(mode="json")
    assert list(plain) == list(finding.model_dump(mode="json"))  # the order findings.json shows
    assert plain["evidence"] is finding.evidence
    assert plain["suggested_values"] is finding.suggested_values
    assert plain["related"] is finding.related


@pytest.mark.parametrize(
    "evidence",
    [
        {"last_touch": datetime(2026, 5, 26, 10, 0, tzinfo=UTC)},
        {"on": date(2026, 5, 26)},
        {"pair": ("a", "b")},
        {"ratio": math.nan},
        {"ratio": math.inf},
        {"severity": Severity.HIGH},
        {"by_rank": {1: "a key that is not text"}},
        {"ids": {"003A"}},
        {"nested": [{"when": date(2026, 1, 2)}]},
    ],
)
def test_evidence_json_would_change_is_dumped_by_pydantic_as_before(evidence):
    """A date, a tuple, a set, NaN, an enum or a number as key: the JSON form is pydantic's, never the raw value."""
    finding = _finding(evidence=evidence)
    assert finding.plain == finding.model_dump(mode="json")
    assert finding.plain["evidence"] is not finding.evidence


def test_findings_share_their_set_of_fields_and_a_copy_never_changes_anothers():
    """One set per distinct set of fields given (730 bytes a finding otherwise), safe since a Finding is frozen."""
    first, second = _finding(evidence={"a": 1}), _finding(evidence={"b": 2})
    assert first.model_fields_set is second.model_fields_set
    assert first.with_evidence({"c": 3}).model_fields_set is second.with_evidence({"d": 4}).model_fields_set
    copy = first.model_copy(update={"group": "g1"})
    assert "group" in copy.model_fields_set
    assert "group" not in second.model_fields_set
    assert _finding(evidence={}, score=0.5).model_fields_set == {*first.model_fields_set, "score"}


def _mixed_findings() -> list[Finding]:
    return [
        Finding(
            check="stale_lead", severity=Severity.MEDIUM, sobject="Lead", record_id="00Q000000000001AAA",
            reason="no activity for 120 days", suggested_action="work it or close it",
            evidence={"days": 120, "ratio": 0.1 + 0.2, "owner": None, "open": True, "tags": ["a", {"b": [1, 2.5]}]},
        ),
        Finding(  # a date in its evidence: JSON would give it back as text, so it is kept as it is
            check="stale_lead", severity=Severity.INFO, sobject="Lead", record_id="00Q000000000002AAA",
            reason="r", suggested_action="a", evidence={"since": date(2026, 1, 2)},
        ),
        Finding(
            check="duplicate", severity=Severity.HIGH, sobject="Contact", record_id="003000000000001AAA",
            reason="same person", suggested_action="merge", suggested_values={"Email": "x@example.org"},
            related={"duplicate_of": "00Q000000000001AAA"}, group="g1", score=0.987654321,
        ),
    ]  # fmt: skip


def test_packed_findings_come_back_equal_of_the_same_types_and_in_order():
    """What waits packed through the duplicate search is what went in: values, types, order, fields set."""
    findings = _mixed_findings()
    back = PackedFindings(findings).unpack()
    assert back == findings
    assert [item.model_fields_set for item in back] == [item.model_fields_set for item in findings]
    assert type(back[0].evidence["ratio"]) is float
    assert back[0].evidence["ratio"] == 0.1 + 0.2
    assert back[1] is findings[1]  # not JSON: kept, not converted (a date would come back as text)
    assert back[0] is not findings[0]
    assert back[0].plain == findings[0].plain
    assert back[2].severity is Severity.HIGH
    assert back[2].score == 0.987654321


def test_packed_findings_are_smaller_than_the_findings():
    """The point of packing: a finding's JSON bytes weigh a fraction of its Python objects."""
    findings = [item for _ in range(2000) for item in _mixed_findings() if item.check != "stale_lead"]
    gc.collect()
    packed = PackedFindings(findings)
    assert len(packed.unpack()) == len(findings)
    assert len(packed._packed) < 2000 * 400  # ~250 bytes each; the objects are ~2 kB


def _asking(monkeypatch) -> list[str]:
    """Every walk over a finding's values to learn whether they are JSON (the record Ids walked)."""
    asked: list[str] = []
    walk = models._json_ready

    def counted(values):
        asked.append(values["record_id"])
        return walk(values)

    monkeypatch.setattr(models, "_json_ready", counted)
    return asked


def test_a_finding_unpacked_or_named_is_known_to_be_json_without_walking_its_values_again(monkeypatch):
    """Packing walks each finding once; unpacked, given names, made JSON for the store: never again."""
    findings = _mixed_findings()
    asked = _asking(monkeypatch)
    back = PackedFindings(findings).unpack()
    assert asked == [item.record_id for item in findings]
    named = [item.with_evidence({"name": "Ann Lee", "owner_name": None}, first=True) for item in back]
    plains = [item.plain for item in named]
    assert asked == [item.record_id for item in findings] + ["00Q000000000002AAA"]  # the date: not JSON, asked
    assert plains == [item.model_dump(mode="json") for item in named]
    assert plains[0]["evidence"] is named[0].evidence  # JSON as it is: shared, not dumped


def test_evidence_that_is_not_json_added_to_a_known_json_finding_takes_pydantics_dump():
    """Known JSON stays known only if what is added is JSON too: a date added is dumped as ISO text."""
    (known,) = PackedFindings(_mixed_findings()[:1]).unpack()
    dated = known.with_evidence({"since": date(2026, 1, 2)})
    assert dated.plain["evidence"]["since"] == "2026-01-02"
    assert dated.plain == dated.model_dump(mode="json")
    assert known.with_evidence({"tags": ("a", "b")}).plain["evidence"]["tags"] == ["a", "b"]


def test_a_copy_with_other_fields_forgets_the_json_form_worked_out_from_the_old_ones():
    """Pydantic's copy carries the cached JSON form along: a copy with a new group showed the old one."""
    finding = _finding(evidence={"days_idle": 200}, group="g1")
    assert finding.plain["group"] == "g1"  # worked out, and cached
    moved = finding.model_copy(update={"group": "g2", "evidence": {"on": date(2026, 1, 2)}})
    assert moved.plain["group"] == "g2"
    assert moved.plain["evidence"] == {"on": "2026-01-02"}
    assert finding.model_copy().plain is finding.plain  # nothing changed: nothing to work out again


def test_findings_by_check_keep_their_order_and_list_the_asked_checks_first():
    """The checks asked for first (an empty list for one that found nothing), then the others as first found."""
    findings = _mixed_findings()
    grouped = models.by_check([*findings, *findings], ["missing_check", findings[-1].check])
    assert list(grouped) == list(dict.fromkeys(["missing_check", findings[-1].check, *(f.check for f in findings)]))
    assert grouped["missing_check"] == []
    for check, mine in grouped.items():
        assert mine == [f for f in [*findings, *findings] if f.check == check]
