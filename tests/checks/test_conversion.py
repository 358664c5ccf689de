"""Premature conversions: every broken rule of the conversion policy, judged only where data allows."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sfbridge.checks import CheckContext
from sfbridge.checks.conversion import premature_conversion
from sfbridge.models import ColumnKind
from sfbridge.rules import Rules, load_rules
from sfbridge.snapshot import snapshot_from_records

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
CREATED = datetime(2026, 9, 1, 9, tzinfo=UTC)
CONVERTED = CREATED + timedelta(days=5)
T, B, D, S, N = ColumnKind.TEXT, ColumnKind.BOOLEAN, ColumnKind.DATE, ColumnKind.DATETIME, ColumnKind.NUMBER

# An org whose status labels differ from Salesforce's defaults (and from the demo org's).
STATUSES = [("Open", False), ("Contacted", False), ("Qualified", False), ("Unqualified", False), ("Converted", True)]
KINDS = {
    "Lead": {
        "Id": T,
        "Status": T,
        "IsConverted": B,
        "CreatedDate": S,
        "ConvertedDate": D,
        "ConvertedContactId": T,
        "ConvertedOpportunityId": T,
        "Email": T,
        "Phone": T,
        "Title": T,
        "Score__c": N,
    },
    "LeadStatus": {"ApiName": T, "MasterLabel": T, "IsConverted": B, "SortOrder": ColumnKind.INTEGER},
    "LeadHistory": {"Id": T, "LeadId": T, "CreatedDate": S, "Field": T, "OldValue": T, "NewValue": T},
    "Task": {"Id": T, "WhoId": T, "CreatedDate": S},
}
RULES = Rules.model_validate({"conversion": {"score_field": "Score__c", "min_score": 50}})


def lead_id(number):
    return f"00Q{number:015d}"


def contact_id(number):
    return f"003{number:015d}"


def converted(number, **fields):
    """A lead converted by the book: filled in, scored, five days after creation."""
    values = {
        "Id": lead_id(number),
        "Status": "Converted",
        "IsConverted": True,
        "CreatedDate": CREATED,
        "ConvertedDate": CONVERTED.date(),
        "ConvertedContactId": contact_id(number),
        "ConvertedOpportunityId": f"006{number:015d}",
        "Email": "ada@example.org",
        "Phone": "+1 415 555 0100",
        "Title": "CTO",
        "Score__c": 80.0,
    }
    return values | fields


def status_trail(number, *statuses, at=CONVERTED, first="Open"):
    """Status history ending in conversion at `at`: first → statuses... → Converted, a minute apart."""
    values = [first, *statuses, "Converted"]
    changes = len(values) - 1
    moments = [at - timedelta(minutes=changes - 1 - step) for step in range(changes)]
    return [
        {
            "Id": f"017{number:09d}{step:06d}",
            "LeadId": lead_id(number),
            "CreatedDate": moment,
            "Field": "Status",
            "OldValue": old,
            "NewValue": new,
        }
        for step, (old, new, moment) in enumerate(zip(values[:-1], values[1:], moments, strict=True))
    ]


def task(number, who, at):
    return {"Id": f"00T{number:015d}", "WhoId": who, "CreatedDate": at}


def snapshot(leads, *, history=None, tasks=(), score_kind=N):
    records = {
        "Lead": leads,
        "LeadStatus": [
            {"ApiName": name, "MasterLabel": name, "IsConverted": flag, "SortOrder": order}
            for order, (name, flag) in enumerate(STATUSES, start=1)
        ],
        "Task": tasks,
    }
    if history is not None:
        records["LeadHistory"] = history
    kinds = {name: KINDS[name] for name in records} | {"Lead": KINDS["Lead"] | {"Score__c": score_kind}}
    return snapshot_from_records(records, kinds=kinds, taken_at=NOW)


def run(snap, rules=RULES):
    context = CheckContext(snapshot=snap, rules=rules, now=NOW)
    return {f.record_id: f for f in premature_conversion.run(context)}


def worked(number):
    return task(number, lead_id(number), CREATED + timedelta(days=1))


def test_premature_conversion_passes_a_lead_converted_by_the_book():
    """Qualified first, activity logged, score met, fields filled, not rushed: no finding."""
    assert run(snapshot([converted(1)], history=status_trail(1, "Qualified"), tasks=[worked(1)])) == {}


def test_premature_conversion_lists_every_broken_rule_in_policy_order():
    """One finding per lead names each broken rule, with its values, in the policy's order."""
    rushed = CREATED + timedelta(minutes=10)
    lead = converted(1, ConvertedDate=rushed.date(), Score__c=None, Email=" ", Title=None)
    found = run(snapshot([lead], history=status_trail(1, "Contacted", at=rushed)))[lead_id(1)]
    assert found.evidence["broken_rules"] == [
        "no_qualified_status",
        "converted_too_fast",
        "no_activity",
        "score_below_minimum",
        "required_field_blank:Email",
        "required_field_blank:Title",
    ]
    assert found.evidence["minutes_to_convert"] == 10
    assert found.evidence["Score__c"] is None
    assert "Email, Title blank" in found.reason
    assert "10 minutes" in found.reason
    assert found.related["contact"] == contact_id(1)


def test_premature_conversion_counts_tasks_moved_to_the_new_contact():
    """A Task before conversion counts on the lead or its Contact; one after conversion does not."""
    leads = [converted(1), converted(2)]
    tasks = [
        task(1, contact_id(1), CONVERTED - timedelta(hours=1)),
        task(2, contact_id(2), CONVERTED + timedelta(hours=1)),
    ]
    history = status_trail(1, "Qualified") + status_trail(2, "Qualified")
    found = run(snapshot(leads, history=history, tasks=tasks))
    assert set(found) == {lead_id(2)}
    assert found[lead_id(2)].evidence["broken_rules"] == ["no_activity"]


def test_premature_conversion_reads_the_status_a_lead_was_created_with():
    """A lead created Qualified shows it only as the OldValue of its first history row; that counts."""
    history = status_trail(1, first="Qualified")
    assert run(snapshot([converted(1)], history=history, tasks=[worked(1)])) == {}


def test_premature_conversion_takes_the_time_from_history_not_the_date():
    """A qualified status set after the conversion row does not count, whatever ConvertedDate says."""
    history = status_trail(1, "Contacted")
    history.append(
        {**history[-1], "Id": "017999999999999AAA", "CreatedDate": CONVERTED + timedelta(hours=1)}
        | {
            "OldValue": "Converted",
            "NewValue": "Qualified",
        }
    )
    found = run(snapshot([converted(1)], history=history, tasks=[worked(1)]))
    assert found[lead_id(1)].evidence["broken_rules"] == ["no_qualified_status"]
    assert found[lead_id(1)].evidence["converted_at"] == "2026-09-06T09:00:00Z"


def test_premature_conversion_minutes_boundary():
    """Converted exactly min_minutes_from_creation after creation passes; a minute sooner does not."""
    leads = [converted(1), converted(2)]
    history = status_trail(1, "Qualified", at=CREATED + timedelta(minutes=30)) + status_trail(
        2, "Qualified", at=CREATED + timedelta(minutes=29)
    )
    tasks = [task(1, lead_id(1), CREATED), task(2, lead_id(2), CREATED)]
    found = run(snapshot(leads, history=history, tasks=tasks))
    assert set(found) == {lead_id(2)}
    assert found[lead_id(2)].evidence["broken_rules"] == ["converted_too_fast"]


def test_premature_conversion_score_boundary_and_null_score():
    """A score equal to the minimum passes; below it or blank fails."""
    leads = [converted(1, Score__c=50.0), converted(2, Score__c=49.5), converted(3, Score__c=None)]
    history = [row for number in (1, 2, 3) for row in status_trail(number, "Qualified")]
    found = run(snapshot(leads, history=history, tasks=[worked(1), worked(2), worked(3)]))
    assert set(found) == {lead_id(2), lead_id(3)}
    assert "blank" in found[lead_id(3)].reason


def test_premature_conversion_without_lead_history_skips_the_status_rule_and_says_so():
    """With no LeadHistory the qualified-status rule is not judged; other rules still are, and the skip is noted."""
    leads = [converted(1), converted(2, Phone=None)]
    found = run(snapshot(leads, tasks=[worked(1), worked(2)]))
    assert set(found) == {lead_id(2)}
    assert found[lead_id(2)].evidence["broken_rules"] == ["required_field_blank:Phone"]
    assert "LeadHistory" in found[lead_id(2)].evidence["not_judged"]["no_qualified_status"]
    assert found[lead_id(2)].evidence["conversion_time_from"].startswith("ConvertedDate")


def test_premature_conversion_falls_back_to_converted_date():
    """A lead without history rows is timed by the end of ConvertedDate; the minutes rule is then not judged."""
    lead = converted(1, ConvertedDate=CREATED.date(), Title=None)
    tasks = [task(1, lead_id(1), CREATED + timedelta(hours=2))]
    found = run(snapshot([lead], history=status_trail(9, "Qualified"), tasks=tasks))[lead_id(1)]
    assert found.evidence["broken_rules"] == ["required_field_blank:Title"]
    assert set(found.evidence["not_judged"]) == {"no_qualified_status", "converted_too_fast"}


def test_premature_conversion_reads_a_score_kept_in_a_text_field():
    """A numeric score stored as text is compared as a number; text that is not a number counts as no score."""
    leads = [converted(1, Score__c=" 72 "), converted(2, Score__c="n/a")]
    history = status_trail(1, "Qualified") + status_trail(2, "Qualified")
    found = run(snapshot(leads, history=history, tasks=[worked(1), worked(2)], score_kind=T))
    assert set(found) == {lead_id(2)}
    assert found[lead_id(2)].evidence["broken_rules"] == ["score_below_minimum"]


def test_premature_conversion_without_any_conversion_time_judges_only_timeless_rules():
    """A converted lead with neither a history row nor a ConvertedDate is judged on its fields alone."""
    lead = converted(1, ConvertedDate=None, Email=None)
    found = run(snapshot([lead], history=[], tasks=[]))[lead_id(1)]
    assert found.evidence["broken_rules"] == ["required_field_blank:Email"]
    assert found.evidence["converted_at"] is None


def test_premature_conversion_requires_an_opportunity_when_configured():
    """With opportunity_required, a conversion without an Opportunity breaks the policy."""
    rules = Rules.model_validate({"conversion": {"opportunity_required": True}})
    leads = [converted(1, ConvertedOpportunityId=None), converted(2)]
    history = status_trail(1, "Qualified") + status_trail(2, "Qualified")
    found = run(snapshot(leads, history=history, tasks=[worked(1), worked(2)]), rules)
    assert set(found) == {lead_id(1)}
    assert found[lead_id(1)].evidence["broken_rules"] == ["no_opportunity"]


def test_premature_conversion_ignores_unconverted_leads():
    """Only converted leads are judged."""
    lead = converted(1, Status="Contacted", IsConverted=False, Email=None)
    assert run(snapshot([lead], history=[])) == {}


def test_premature_conversion_finds_the_demo_orgs_planted_conversions(demo_snapshot, demo_answer_key):
    """On the demo org it finds the planted premature conversions, each with exactly its broken rules."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    context = CheckContext(snapshot=demo_snapshot, rules=rules, now=demo_snapshot.taken_at)
    findings = premature_conversion.run(context)
    json.dumps([f.evidence | f.suggested_values for f in findings])  # stored as JSON as they are
    found = {f.record_id: f.evidence["broken_rules"] for f in findings}
    planted = demo_answer_key["checks"]["premature_conversion"]
    hits = set(found) & set(planted)
    assert len(hits) / len(planted) >= 0.95
    assert len(hits) / len(found) >= 0.95
    assert {lead: found[lead] for lead in hits} == {lead: planted[lead] for lead in hits}
