"""Lead upkeep checks: stale, never touched, blank Lead Source, inactive owners, aging queues."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfbridge.checks import CheckContext
from sfbridge.checks.leads import (
    CHECKS,
    inactive_owner,
    missing_lead_source,
    never_touched_lead,
    queue_aging,
    stale_lead,
)
from sfbridge.models import ColumnKind
from sfbridge.rules import Rules, load_rules
from sfbridge.snapshot import snapshot_from_records

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
T, B, D, S = ColumnKind.TEXT, ColumnKind.BOOLEAN, ColumnKind.DATE, ColumnKind.DATETIME
USER, RETIRED, QUEUE = "005000000000001AAA", "005000000000002AAA", "00G000000000001AAA"

# An org whose status labels differ from Salesforce's defaults (and from the demo org's).
STATUSES = [("Open", False), ("Contacted", False), ("Qualified", False), ("Unqualified", False), ("Converted", True)]
KINDS = {
    "Lead": {
        "Id": T,
        "Status": T,
        "IsConverted": B,
        "OwnerId": T,
        "CreatedDate": S,
        "LastActivityDate": D,
        "LastModifiedDate": S,
        "SystemModstamp": S,
        "LeadSource": T,
        "UTM_Source__c": T,
    },
    "Contact": {"Id": T, "LeadSource": T, "UTM_Source__c": T},
    "LeadStatus": {"ApiName": T, "MasterLabel": T, "IsConverted": B, "SortOrder": ColumnKind.INTEGER},
    "User": {"Id": T, "Name": T, "IsActive": B},
    "Group": {"Id": T, "Name": T, "Type": T},
    "Task": {"Id": T, "WhoId": T, "CreatedDate": S},
}


def lead(number, **fields):
    """An open lead owned by an active user, created ten days ago, with a source."""
    values = {
        "Id": f"00Q{number:015d}",
        "Status": "Open",
        "IsConverted": False,
        "OwnerId": USER,
        "CreatedDate": NOW - timedelta(days=10),
        "LeadSource": "Web",
    }
    return values | fields


def snapshot(leads=(), *, contacts=(), tasks=(), without=()):
    records = {
        "Lead": leads,
        "Contact": contacts,
        "LeadStatus": [
            {"ApiName": name, "MasterLabel": name, "IsConverted": converted, "SortOrder": order}
            for order, (name, converted) in enumerate(STATUSES, start=1)
        ],
        "User": [
            {"Id": USER, "Name": "Ada Active", "IsActive": True},
            {"Id": RETIRED, "Name": "Rex Gone", "IsActive": False},
        ],
        "Group": [{"Id": QUEUE, "Name": "Web Queue", "Type": "Queue"}],
        "Task": tasks,
    }
    kept = {name: rows for name, rows in records.items() if name not in without}
    return snapshot_from_records(kept, kinds={name: KINDS[name] for name in kept}, taken_at=NOW)


def run(check, snap, rules=None):
    return {f.record_id: f for f in check.run(CheckContext(snapshot=snap, rules=rules or Rules(), now=NOW))}


def days_ago(days):
    return (NOW - timedelta(days=days)).date()


def test_stale_lead_reads_last_activity_else_created_date():
    """Last touch is LastActivityDate, or the creation date for a lead with no activity."""
    found = run(
        stale_lead,
        snapshot(
            [
                lead(1, CreatedDate=NOW - timedelta(days=400), LastActivityDate=days_ago(91)),
                lead(2, CreatedDate=NOW - timedelta(days=400), LastActivityDate=days_ago(20)),
                lead(3, CreatedDate=NOW - timedelta(days=95)),
            ]
        ),
    )
    assert set(found) == {lead(1)["Id"], lead(3)["Id"]}
    assert found[lead(1)["Id"]].evidence["last_touch_from"] == "LastActivityDate"
    assert found[lead(3)["Id"]].evidence.items() >= {"days_idle": 95, "last_touch_from": "CreatedDate"}.items()


def test_stale_lead_never_uses_last_modified_date():
    """Automation bumps LastModifiedDate and SystemModstamp; an old last touch is still stale."""
    bumped = lead(1, LastActivityDate=days_ago(200), LastModifiedDate=NOW - timedelta(hours=1), SystemModstamp=NOW)
    assert set(run(stale_lead, snapshot([bumped]))) == {bumped["Id"]}


def test_stale_lead_boundary_is_more_than_stale_days():
    """A lead touched exactly stale_days ago is not stale yet; one day more is."""
    leads = [lead(1, LastActivityDate=days_ago(90)), lead(2, LastActivityDate=days_ago(91))]
    assert set(run(stale_lead, snapshot(leads))) == {lead(2)["Id"]}
    assert set(run(stale_lead, snapshot(leads), Rules(stale_days=89))) == {lead(1)["Id"], lead(2)["Id"]}


def test_stale_lead_reads_the_orgs_own_statuses():
    """Closed (Unqualified) and converted leads are not open, whatever the org calls its statuses."""
    old = {"LastActivityDate": days_ago(300)}
    leads = [
        lead(1, Status="Contacted", **old),
        lead(2, Status="Qualified", **old),
        lead(3, Status="Unqualified", **old),
        lead(4, Status="Converted", IsConverted=True, **old),
    ]
    assert set(run(stale_lead, snapshot(leads))) == {lead(1)["Id"], lead(2)["Id"]}


def test_never_touched_lead_needs_no_task_and_no_activity_date():
    """A lead with a Task or a LastActivityDate was touched; one with neither, old enough, was not."""
    old = NOW - timedelta(days=45)
    leads = [
        lead(1, CreatedDate=old),
        lead(2, CreatedDate=old),
        lead(3, CreatedDate=old, LastActivityDate=days_ago(40)),
    ]
    tasks = [{"Id": "00T000000000001AAA", "WhoId": lead(2)["Id"], "CreatedDate": old}]
    found = run(never_touched_lead, snapshot(leads, tasks=tasks))
    assert set(found) == {lead(1)["Id"]}
    assert found[lead(1)["Id"]].evidence["days_since_created"] == 45


def test_never_touched_lead_boundary_is_more_than_the_limit():
    """Created exactly never_touched_days ago is not yet flagged; a minute earlier is."""
    leads = [lead(1, CreatedDate=NOW - timedelta(days=30)), lead(2, CreatedDate=NOW - timedelta(days=30, minutes=1))]
    assert set(run(never_touched_lead, snapshot(leads))) == {lead(2)["Id"]}


def test_never_touched_lead_without_tasks_judges_on_activity_date_and_says_so():
    """An org whose Tasks were not pulled is judged on LastActivityDate alone, noted in the evidence."""
    found = run(never_touched_lead, snapshot([lead(1, CreatedDate=NOW - timedelta(days=60))], without={"Task"}))
    assert "Task is not in the store (not pulled, or no file for it" in found[lead(1)["Id"]].evidence["tasks"]


def test_missing_lead_source_covers_unconverted_leads_and_contacts():
    """Blank (null or spaces) LeadSource is flagged on open and closed leads and contacts, not on converted leads."""
    leads = [
        lead(1, LeadSource=None),
        lead(2, LeadSource="  ", Status="Unqualified"),
        lead(3, LeadSource=None, Status="Converted", IsConverted=True),
        lead(4),
    ]
    contacts = [{"Id": "003000000000001AAA", "LeadSource": None}, {"Id": "003000000000002AAA", "LeadSource": "Web"}]
    found = run(missing_lead_source, snapshot(leads, contacts=contacts))
    assert set(found) == {lead(1)["Id"], lead(2)["Id"], "003000000000001AAA"}
    assert found["003000000000001AAA"].sobject == "Contact"


def test_missing_lead_source_infers_from_the_utm_field_trimmed_and_case_insensitive():
    """A known UTM value suggests its LeadSource and the reason names the field; unknown ones suggest nothing."""
    leads = [lead(1, LeadSource=None, UTM_Source__c="  GOOGLE "), lead(2, LeadSource=None, UTM_Source__c="podcast")]
    found = run(missing_lead_source, snapshot(leads))
    assert found[lead(1)["Id"]].suggested_values == {"LeadSource": "Advertisement"}
    assert "UTM_Source__c" in found[lead(1)["Id"]].reason
    assert found[lead(2)["Id"]].suggested_values == {}


def test_missing_lead_source_without_inference_field_suggests_nothing():
    """With no inference field configured, blank sources are reported without a suggestion."""
    rules = Rules.model_validate({"lead_source": {"inference_field": None}})
    found = run(missing_lead_source, snapshot([lead(1, LeadSource=None, UTM_Source__c="google")]), rules)
    assert found[lead(1)["Id"]].suggested_values == {}
    assert missing_lead_source.needs(rules)["Lead"] >= {"LeadSource"}


def test_inactive_owner_flags_open_leads_of_inactive_users_only():
    """Open leads of an inactive user are flagged with the owner; active, queue and closed ones are not."""
    leads = [
        lead(1, OwnerId=RETIRED),
        lead(2),
        lead(3, OwnerId=QUEUE),
        lead(4, OwnerId=RETIRED, Status="Unqualified"),
    ]
    found = run(inactive_owner, snapshot(leads))
    assert set(found) == {lead(1)["Id"]}
    assert found[lead(1)["Id"]].related == {"owner": RETIRED}
    assert found[lead(1)["Id"]].evidence["owner_name"] == "Rex Gone"


def test_queue_aging_flags_leads_in_a_queue_past_the_limit():
    """A queue-owned lead older than queue_age_days is flagged with the queue and its age; users' leads are not."""
    leads = [
        lead(1, OwnerId=QUEUE, CreatedDate=NOW - timedelta(days=8)),
        lead(2, OwnerId=QUEUE, CreatedDate=NOW - timedelta(days=7)),
        lead(3, CreatedDate=NOW - timedelta(days=30)),
    ]
    found = run(queue_aging, snapshot(leads))
    assert set(found) == {lead(1)["Id"]}
    assert found[lead(1)["Id"]].evidence.items() >= {"queue_name": "Web Queue", "days_in_queue": 8}.items()
    assert "CreatedDate" in found[lead(1)["Id"]].reason


def test_queue_aging_knows_queues_by_id_prefix_without_group():
    """Without the Group object, an 00G owner is still a queue (named by its Id)."""
    found = run(
        queue_aging, snapshot([lead(1, OwnerId=QUEUE, CreatedDate=NOW - timedelta(days=20))], without={"Group"})
    )
    assert QUEUE in found[lead(1)["Id"]].reason


def test_lead_checks_declare_the_fields_they_read():
    """Each check asks the store for what it reads, including the configured inference field."""
    needs = {check.name: check.needs(Rules()) for check in CHECKS}
    assert needs["stale_lead"]["Lead"] >= {"LastActivityDate", "CreatedDate"}
    assert needs["never_touched_lead"]["Task"] >= {"WhoId"}
    assert needs["missing_lead_source"]["Contact"] >= {"LeadSource", "UTM_Source__c"}
    assert needs["inactive_owner"]["User"] >= {"IsActive", "Name"}
    assert needs["queue_aging"]["Group"] >= {"Name", "Type"}


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_lead_checks_find_the_demo_orgs_planted_problems(check, demo_snapshot, demo_answer_key):
    """On the demo org each check finds at least 95% of the planted problems with at least 95% precision."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    context = CheckContext(snapshot=demo_snapshot, rules=rules, now=demo_snapshot.taken_at)
    findings = check.run(context)
    json.dumps([f.evidence | f.suggested_values for f in findings])  # stored as JSON as they are
    found = {f.record_id: f for f in findings}
    planted = demo_answer_key["checks"][check.name]
    hits = len(set(found) & set(planted))
    assert hits / len(planted) >= 0.95
    assert hits / len(found) >= 0.95
    if check.name == "missing_lead_source":
        inferred = {record: found[record].suggested_values.get("LeadSource") for record in set(found) & set(planted)}
        assert inferred == {record: planted[record] for record in inferred}
