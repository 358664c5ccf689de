"""Junk leads: one reason per open lead, by priority, with domains matched with their subdomains."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfbridge.checks import CheckContext
from sfbridge.checks.junk import CATEGORIES, junk_lead
from sfbridge.models import ColumnKind
from sfbridge.rules import Rules, load_rules
from sfbridge.snapshot import snapshot_from_records

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
T, B = ColumnKind.TEXT, ColumnKind.BOOLEAN

# An org whose status labels differ from Salesforce's defaults (and from the demo org's).
STATUSES = [("Open", False), ("Contacted", False), ("Qualified", False), ("Unqualified", False), ("Converted", True)]
FIELDS = ("Id", "Status", "IsConverted", "FirstName", "LastName", "Company", "Email", "Title", "Description")
KINDS = {
    "Lead": dict.fromkeys(FIELDS, T) | {"IsConverted": B},
    "LeadStatus": {"ApiName": T, "MasterLabel": T, "IsConverted": B, "SortOrder": ColumnKind.INTEGER},
}
RULES = Rules.model_validate(
    {
        "junk": {
            "own_domains": ["ourco.com"],
            "competitor_domains": ["rival.com", "rival.co.uk"],
            "extra_disposable_domains": ["burner.test"],
        }
    }
)


def lead(number, **fields):
    """An open, plausible prospect."""
    values = {
        "Id": f"00Q{number:015d}",
        "Status": "Open",
        "IsConverted": False,
        "FirstName": "Grace",
        "LastName": "Hopper",
        "Company": "Acme Analytics",
        "Email": "grace@acme-analytics.com",
        "Title": "Head of Data",
        "Description": "Please send pricing.",
    }
    return values | fields


def run(leads, *, statuses=STATUSES, rules=RULES):
    records = {
        "Lead": leads,
        "LeadStatus": [
            {"ApiName": name, "MasterLabel": name, "IsConverted": flag, "SortOrder": order}
            for order, (name, flag) in enumerate(statuses, start=1)
        ],
    }
    snap = snapshot_from_records(records, kinds=KINDS, taken_at=NOW)
    return {f.record_id: f for f in junk_lead.run(CheckContext(snapshot=snap, rules=rules, now=NOW))}


def category(found, number):
    return found[lead(number)["Id"]].evidence["category"]


def test_junk_lead_leaves_real_prospects_alone():
    """A plausible lead is not junk."""
    assert run([lead(1)]) == {}


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("a@rival.com", "competitor"),
        ("a@mail.rival.com", "competitor"),
        ("a@eu.sales.RIVAL.com ", "competitor"),
        ("a@rival.co.uk", "competitor"),
        ("a@ourco.com", "internal_employee"),
        ("a@notrival.com", None),
        ("a@rival.com.evil.net", None),
        ("a@co.uk", None),
    ],
)
def test_junk_lead_matches_configured_domains_and_their_subdomains(email, expected):
    """A subdomain of a listed domain is that domain; a look-alike that merely ends the same way is not."""
    found = run([lead(1, Email=email)])
    assert (category(found, 1) if found else None) == expected


def test_junk_lead_uses_the_maintained_disposable_list_and_the_extras():
    """Addresses at maintained-list and configured throwaway domains (and their subdomains) are disposable."""
    found = run([lead(1, Email="x@mailinator.com"), lead(2, Email="x@burner.test"), lead(3, Email="x@a.yopmail.com")])
    assert {category(found, n) for n in (1, 2, 3)} == {"disposable_email"}


def test_junk_lead_finds_students_by_domain_suffix_or_title_as_whole_words():
    """A .edu address or a student title marks a student; 'International' does not contain the word 'intern'."""
    found = run(
        [
            lead(1, Email="kim@cs.stanford.edu"),
            lead(2, Title="Graduate Student"),
            lead(3, Title="Intern"),
            lead(4, Title="International Sales Director"),
        ]
    )
    assert set(found) == {lead(n)["Id"] for n in (1, 2, 3)}
    assert {category(found, n) for n in (1, 2, 3)} == {"student"}
    assert found[lead(2)["Id"]].evidence["matched_field"] == "Title"


def test_junk_lead_finds_job_seekers_in_title_description_or_company():
    """A job-seeking phrase anywhere in Title, Description or Company marks a job seeker, spaces and case aside."""
    found = run(
        [
            lead(1, Description="Hi, I am LOOKING  FOR a job in sales."),
            lead(2, Title="Open to work"),
            lead(3, Company="Career Opportunities Wanted"),
        ]
    )
    assert {category(found, n) for n in (1, 2, 3)} == {"job_seeker"}
    assert found[lead(1)["Id"]].evidence["matched_value"] == "LOOKING  FOR a job"


def test_junk_lead_finds_test_records_by_name_company_or_test_domain():
    """Test names in the name or company, or a test domain, mark a test record; the fix is to delete it."""
    found = run(
        [
            lead(1, FirstName="Mickey", LastName="Mouse"),
            lead(2, Company="asdf"),
            lead(3, Email="qa@sub.example.com"),
        ]
    )
    assert {category(found, n) for n in (1, 2, 3)} == {"test_record"}
    assert found[lead(1)["Id"]].suggested_action.startswith("Delete")


def test_junk_lead_gives_one_reason_by_priority():
    """A lead with several signs gets only the first category in priority order."""
    found = run(
        [
            lead(1, FirstName="Test", LastName="Test", Email="test@rival.com"),
            lead(2, Email="x@ourco.com", Title="Intern"),
            lead(3, Email="x@rival.com", Description="open to work"),
            lead(4, Email="x@mailinator.com", Title="Student"),
            lead(5, Email="x@uni.edu", Description="looking for a job"),
        ]
    )
    assert [category(found, n) for n in range(1, 6)] == [
        "test_record",
        "internal_employee",
        "competitor",
        "disposable_email",
        "student",
    ]
    assert CATEGORIES[-1] == "job_seeker"


def test_junk_lead_suggests_the_orgs_disqualified_status():
    """The fix sets Status to the org's own disqualified status, read from its LeadStatus values."""
    found = run([lead(1, Email="x@rival.com")])
    assert found[lead(1)["Id"]].suggested_values == {"Status": "Unqualified"}


def test_junk_lead_suggests_no_status_when_the_org_has_no_disqualified_one():
    """Without a closed, unconverted status there is nothing to suggest; the finding stands."""
    found = run([lead(1, Email="x@rival.com")], statuses=[("Open", False), ("Converted", True)])
    assert found[lead(1)["Id"]].suggested_values == {}


def test_junk_lead_looks_at_open_leads_only():
    """Closed and converted leads are not reported."""
    leads = [lead(1, Email="x@rival.com", Status="Unqualified"), lead(2, Email="x@rival.com", IsConverted=True)]
    assert run(leads) == {}


def test_junk_lead_with_empty_lists_still_uses_the_maintained_list():
    """An org that configures nothing still gets disposable-address and default-pattern findings."""
    found = run([lead(1, Email="x@rival.com"), lead(2, Email="x@mailinator.com")], rules=Rules())
    assert set(found) == {lead(2)["Id"]}


def test_junk_lead_finds_the_demo_orgs_planted_junk(demo_snapshot, demo_answer_key):
    """On the demo org it finds the planted junk leads, each with its planted category."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    context = CheckContext(snapshot=demo_snapshot, rules=rules, now=demo_snapshot.taken_at)
    findings = junk_lead.run(context)
    json.dumps([f.evidence | f.suggested_values for f in findings])  # stored as JSON as they are
    found = {f.record_id: f.evidence["category"] for f in findings}
    planted = demo_answer_key["checks"]["junk_lead"]
    hits = set(found) & set(planted)
    assert len(hits) / len(planted) >= 0.95
    assert len(hits) / len(found) >= 0.95
    assert {lead: found[lead] for lead in hits} == {lead: planted[lead] for lead in hits}
