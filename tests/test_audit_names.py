"""Every finding names whose record it is: the person, their company or account, the record's owner."""

from datetime import UTC, datetime

from sfbridge.audit_names import name_columns, with_names
from sfbridge.models import ColumnKind, Finding, Severity
from sfbridge.snapshot import snapshot_from_records

TEXT = ColumnKind.TEXT
LEAD, LEAD_NO_FIRST, LEAD_QUEUED = "00Q000000000001AAA", "00Q000000000002AAA", "00Q000000000003AAA"
CONTACT, ORPHAN = "003000000000001AAA", "003000000000002AAA"
USER, QUEUE, ACCOUNT = "005000000000001AAA", "00G000000000001AAA", "001000000000001AAA"


def snapshot():
    people = {"Id": TEXT, "FirstName": TEXT, "LastName": TEXT, "OwnerId": TEXT}
    return snapshot_from_records(
        {
            "Lead": [
                {"Id": LEAD, "FirstName": "Ann", "LastName": "Lee", "Company": "Acme", "OwnerId": USER},
                {"Id": LEAD_NO_FIRST, "FirstName": " ", "LastName": "山田", "Company": "", "OwnerId": USER},
                {"Id": LEAD_QUEUED, "FirstName": "Zoë", "LastName": "Ng", "Company": "Globex", "OwnerId": QUEUE},
            ],
            "Contact": [
                {"Id": CONTACT, "FirstName": "Bo", "LastName": "Ek", "AccountId": ACCOUNT, "OwnerId": USER},
                {"Id": ORPHAN, "FirstName": None, "LastName": "Solo", "AccountId": None, "OwnerId": "005gone"},
            ],
            "Account": [{"Id": ACCOUNT, "Name": "Ærø ApS"}],
            "User": [{"Id": USER, "Name": "Cy Li"}],
            "Group": [{"Id": QUEUE, "Name": "Inbound Queue"}],
        },
        kinds={
            "Lead": people | {"Company": TEXT},
            "Contact": people | {"AccountId": TEXT},
            "Account": {"Id": TEXT, "Name": TEXT},
            "User": {"Id": TEXT, "Name": TEXT},
            "Group": {"Id": TEXT, "Name": TEXT},
        },
        taken_at=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )


def finding(record_id: str, sobject: str = "Lead", **evidence: object) -> Finding:
    return Finding(
        check="stale_lead",
        severity=Severity.LOW,
        sobject=sobject,
        record_id=record_id,
        reason="idle",
        suggested_action="work it",
        evidence=evidence,
    )


def test_each_finding_gets_the_name_company_and_owner_name_first_in_its_evidence():
    """Leads: Company; Contacts: their Account's Name; owners: a User's or a queue's Name; check facts follow."""
    found = [finding(LEAD, days_idle=3), finding(LEAD_QUEUED), finding(CONTACT, "Contact")]
    named = with_names(found, name_columns(snapshot()))
    assert [item.evidence for item in named] == [
        {"name": "Ann Lee", "company": "Acme", "owner_name": "Cy Li", "days_idle": 3},
        {"name": "Zoë Ng", "company": "Globex", "owner_name": "Inbound Queue"},
        {"name": "Bo Ek", "company": "Ærø ApS", "owner_name": "Cy Li"},
    ]
    assert named[0].plain["evidence"]["name"] == "Ann Lee"  # findings.json and the store see the names


def test_what_is_unknown_is_left_out_and_what_the_check_said_is_kept():
    """Blank parts and missing accounts or owners add nothing; a check's own name or Company is not overwritten."""
    found = [
        finding(LEAD_NO_FIRST),
        finding(ORPHAN, "Contact"),
        finding(LEAD, name="Ann L.", Company="ACME Inc"),
        finding("00Q000000000009AAA"),  # not in the snapshot
    ]
    named = with_names(found, name_columns(snapshot()))
    assert named[0].evidence == {"name": "山田", "owner_name": "Cy Li"}
    assert named[1].evidence == {"name": "Solo"}
    assert named[2].evidence == {"owner_name": "Cy Li", "name": "Ann L.", "Company": "ACME Inc"}
    assert named[3] is found[3]


def test_a_fact_the_check_left_blank_is_filled_in_first_and_its_other_facts_keep_their_order():
    """A blank name (or company) from the check is not given: filled in first; what it gave stays where it was."""
    found = [finding(LEAD, days_idle=3, name="", company=None, owner_name="Their Owner")]
    named = with_names(found, name_columns(snapshot()))
    assert list(named[0].evidence.items()) == [
        ("name", "Ann Lee"),
        ("company", "Acme"),
        ("days_idle", 3),
        ("owner_name", "Their Owner"),
    ]
    assert found[0].evidence == {"days_idle": 3, "name": "", "company": None, "owner_name": "Their Owner"}


def test_the_names_survive_the_checks_releasing_their_columns():
    """The columns are kept aside before the checks drop them from the snapshot."""
    taken = snapshot()
    kept = name_columns(taken)
    taken.release({})  # what the checks do as they go: here, everything at once
    assert with_names([finding(CONTACT, "Contact")], kept)[0].evidence["company"] == "Ærø ApS"
