"""Leads ready to convert: marked ready by the org, and meeting the conversion policy today."""

from datetime import UTC, datetime, timedelta

from sfbridge.checks import CheckContext
from sfbridge.checks.readiness import ready_to_convert
from sfbridge.models import ColumnKind
from sfbridge.rules import Rules
from sfbridge.snapshot import snapshot_from_records

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
OLD = "2026-10-01T09:00:00.000+0000"
T, B, S, N = ColumnKind.TEXT, ColumnKind.BOOLEAN, ColumnKind.DATETIME, ColumnKind.NUMBER
KINDS = {
    "Lead": {
        "Id": T, "Status": T, "IsConverted": B, "CreatedDate": S, "Company": T, "Ready__c": B,
        "Email": T, "Phone": T, "Title": T, "Score__c": N,
    },
    "LeadStatus": {"ApiName": T, "MasterLabel": T, "IsConverted": B, "SortOrder": ColumnKind.INTEGER},
    "LeadHistory": {"Id": T, "LeadId": T, "CreatedDate": S, "Field": T, "OldValue": T, "NewValue": T},
    "Task": {"Id": T, "WhoId": T, "CreatedDate": S},
}  # fmt: skip
STATUSES = [("Open", False), ("Working", False), ("Qualified", False), ("Closed Lost", False), ("Converted", True)]
RULES = Rules.model_validate({"conversion": {"ready_field": "Ready__c", "score_field": "Score__c", "min_score": 50}})


def ready_lead(number, **values):
    return {
        "Id": f"00Q5g00000Rd{number:03d}AAA", "Status": "Qualified", "IsConverted": False, "CreatedDate": OLD,
        "Company": "Acme", "Ready__c": True, "Email": "a@acme.example", "Phone": "+1 415 555 0134",
        "Title": "CTO", "Score__c": 80.0,
    } | values  # fmt: skip


def findings(leads, *, rules=RULES, history=(), tasks=None):
    worked = tasks if tasks is not None else [{"Id": f"00T{n}", "WhoId": lead["Id"]} for n, lead in enumerate(leads)]
    statuses = [{"ApiName": a, "MasterLabel": a, "IsConverted": c, "SortOrder": i} for i, (a, c) in enumerate(STATUSES)]
    snapshot = snapshot_from_records(
        {"Lead": leads, "LeadStatus": statuses, "LeadHistory": list(history), "Task": worked}, kinds=KINDS, taken_at=NOW
    )
    return {f.record_id for f in ready_to_convert.run(CheckContext(snapshot=snapshot, rules=rules, now=NOW))}


def test_only_marked_leads_meeting_every_rule_are_ready():
    """Each broken rule (unmarked, not qualified, too new, unworked, low score, blank field) keeps a lead out."""
    leads = [
        ready_lead(1),
        ready_lead(2, Ready__c=False),
        ready_lead(3, Status="Working"),
        ready_lead(4, CreatedDate=(NOW - timedelta(minutes=5)).isoformat()),
        ready_lead(5, Score__c=20.0),
        ready_lead(6, Title=None),
        ready_lead(7, IsConverted=True, Status="Converted"),
        ready_lead(8, Status="Closed Lost"),
    ]
    assert findings(leads) == {ready_lead(1)["Id"]}
    assert findings([ready_lead(1)], tasks=[]) == set()  # activity is required by default


def test_a_lead_that_was_qualified_before_counts():
    """Status history showing a qualified status satisfies the rule even if the lead moved on to Working."""
    lead = ready_lead(1, Status="Working")
    row = {
        "Id": "017x",
        "LeadId": lead["Id"],
        "CreatedDate": OLD,
        "Field": "Status",
        "OldValue": "Qualified",
        "NewValue": "Working",
    }
    assert findings([lead], history=[row]) == {lead["Id"]}


def test_without_a_ready_field_nothing_is_ready():
    """Deciding a sale is ready is the org's call: without conversion.ready_field the check finds nothing."""
    assert findings([ready_lead(1)], rules=Rules()) == set()
