"""The org profile: lead usage, funnel, conversion by source, owner load and fill rates."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sfbridge.checks.profile import ACCOUNT_BASED_SHARE, NO_SOURCE, OrgProfileReport, org_profile
from sfbridge.describes import DescribedField
from sfbridge.models import ColumnKind
from sfbridge.rules import Rules, load_rules
from sfbridge.snapshot import snapshot_from_records

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
T, B, D, S = ColumnKind.TEXT, ColumnKind.BOOLEAN, ColumnKind.DATE, ColumnKind.DATETIME
USER, RETIRED, QUEUE = "005000000000001AAA", "005000000000002AAA", "00G000000000001AAA"

# An org whose status labels differ from Salesforce's defaults (and from the demo org's), listed out of order.
STATUSES = [("Converted", True, 5), ("Open", False, 1), ("Unqualified", False, 4), ("Qualified", False, 3)]
KINDS = {
    "Lead": {
        "Id": T,
        "Status": T,
        "IsConverted": B,
        "OwnerId": T,
        "LeadSource": T,
        "CreatedDate": S,
        "ConvertedDate": D,
        "Email": T,
    },
    "Contact": {"Id": T, "Email": T},
    "LeadStatus": {"ApiName": T, "MasterLabel": T, "IsConverted": B, "SortOrder": ColumnKind.INTEGER},
    "User": {"Id": T, "Name": T, "IsActive": B},
    "Group": {"Id": T, "Name": T, "Type": T},
}


def lead(number, **fields):
    values = {
        "Id": f"00Q{number:015d}",
        "Status": "Open",
        "IsConverted": False,
        "OwnerId": USER,
        "LeadSource": "Web",
        "CreatedDate": datetime(2026, 10, 1, 9, tzinfo=UTC),
        "Email": f"p{number}@acme.com",
    }
    return values | fields


def won(number, *, days, **fields):
    return lead(number, Status="Converted", IsConverted=True, ConvertedDate=date(2026, 10, 1 + days), **fields)


def snapshot(leads, *, contacts=0):
    records = {
        "Lead": leads,
        "Contact": [{"Id": f"003{n:015d}", "Email": None if n % 2 else "x@acme.com"} for n in range(contacts)],
        "LeadStatus": [
            {"ApiName": name, "MasterLabel": name, "IsConverted": flag, "SortOrder": order}
            for name, flag, order in STATUSES
        ],
        "User": [
            {"Id": USER, "Name": "Ada Active", "IsActive": True},
            {"Id": RETIRED, "Name": "Rex Gone", "IsActive": False},
        ],
        "Group": [{"Id": QUEUE, "Name": "Web Queue", "Type": "Queue"}],
    }
    return snapshot_from_records(records, kinds=KINDS, taken_at=NOW)


def profile(leads, *, contacts=0):
    return org_profile(snapshot(leads, contacts=contacts), rules=Rules(), now=NOW)


def test_org_profile_counts_records_per_object():
    """Every pulled object is counted."""
    report = profile([lead(1), lead(2)], contacts=3)
    assert report.record_counts == {"Lead": 2, "Contact": 3, "LeadStatus": 4, "User": 2, "Group": 1}


def test_org_profile_funnel_follows_sort_order_and_marks_stages():
    """Statuses come in SortOrder with counts and open/closed/converted/qualified marks; stray values come last."""
    report = profile([lead(1), lead(2, Status="Qualified"), won(3, days=4), lead(4, Status="Legacy")])
    assert [stage.status for stage in report.funnel] == ["Open", "Qualified", "Unqualified", "Converted", "Legacy"]
    stages = {stage.status: stage for stage in report.funnel}
    assert (stages["Open"].leads, stages["Open"].share, stages["Open"].open) == (1, 0.25, True)
    assert stages["Qualified"].qualified
    assert stages["Unqualified"].closed
    assert not stages["Unqualified"].open
    assert stages["Converted"].converted
    assert not stages["Legacy"].in_picklist


def test_org_profile_conversion_by_source_with_blank_source_as_none():
    """Each source gets its conversion rate and median days to convert; blank sources show as '(none)'."""
    leads = [won(1, days=2), won(2, days=6), lead(3), lead(4), won(5, days=9, LeadSource=" "), lead(6, LeadSource=None)]
    sources = {row.source: row for row in profile(leads).sources}
    assert (sources["Web"].leads, sources["Web"].converted, sources["Web"].conversion_rate) == (4, 2, 0.5)
    assert sources["Web"].median_days_to_convert == 4.0
    assert (sources[NO_SOURCE].leads, sources[NO_SOURCE].median_days_to_convert) == (2, 9.0)


def test_org_profile_owner_load_names_owners_and_marks_queues_and_inactive_users():
    """Open leads are counted per owner (busiest first) with name, active and queue flags; closed leads are not."""
    leads = [lead(1), lead(2), lead(3, OwnerId=QUEUE), lead(4, OwnerId=RETIRED), lead(5, Status="Unqualified")]
    owners = profile(leads).owners
    assert [(o.name, o.open_leads, o.active, o.queue) for o in owners] == [
        ("Ada Active", 2, True, False),
        ("Rex Gone", 1, False, False),
        ("Web Queue", 1, None, True),
    ]


def test_org_profile_fill_rates_cover_every_field_of_leads_and_contacts():
    """Each field of the Lead and Contact frames gets its share of non-null values."""
    report = profile([lead(1), lead(2, Email=None)], contacts=4)
    lead_rates = {fill.field: fill.fill_rate for fill in report.fill_rates["Lead"]}
    assert set(lead_rates) == set(KINDS["Lead"])
    assert lead_rates["Email"] == 0.5
    assert lead_rates["ConvertedDate"] == 0.0
    assert {fill.field: fill.filled for fill in report.fill_rates["Contact"]} == {"Id": 4, "Email": 2}


def test_fill_rates_carry_each_fields_label_and_kind_from_the_describe():
    """A described field has its label, whether Salesforce sets it, and whether it is a checkbox; others have none."""
    described = {
        "Lead": (
            DescribedField(name="Email", kind=T, sf_type="email", label="Email", createable=True, updateable=True),
            DescribedField(name="Id", kind=T, sf_type="id", label="Lead ID", createable=False, updateable=False),
            DescribedField(name="IsConverted", kind=B, sf_type="boolean", label="Converted", createable=True),
        ),
    }
    report = org_profile(snapshot([lead(1)]), rules=Rules(), now=NOW, described=described)
    fills = {fill.field: fill for fill in report.fill_rates["Lead"]}
    assert (fills["Email"].label, fills["Email"].set_by_salesforce, fills["Email"].checkbox) == ("Email", False, False)
    assert (fills["Id"].label, fills["Id"].set_by_salesforce) == ("Lead ID", True)
    assert (fills["IsConverted"].set_by_salesforce, fills["IsConverted"].checkbox) == (False, True)
    assert (fills["Status"].label, fills["Status"].set_by_salesforce, fills["Status"].checkbox) == (None, None, None)
    assert all(fill.label is None for fill in report.fill_rates["Contact"])  # no describe kept for it


@pytest.mark.parametrize(
    ("open_leads", "contacts", "mode"),
    [(5, 95, "lead-based"), (4, 96, "account-based"), (0, 10, "account-based"), (0, 0, "empty"), (3, 0, "lead-based")],
)
def test_org_profile_calls_an_org_with_few_open_leads_account_based(open_leads, contacts, mode):
    """Below ACCOUNT_BASED_SHARE open leads among open leads plus contacts, the org is account-based."""
    usage = profile([lead(n) for n in range(open_leads)], contacts=contacts).lead_usage
    assert ACCOUNT_BASED_SHARE == 0.05
    assert usage.mode == mode
    assert usage.explanation


def test_org_profile_of_an_org_without_leads_or_statuses():
    """An org with no Lead, Contact or LeadStatus records still gets a profile."""
    empty = snapshot_from_records({}, kinds={}, taken_at=NOW)
    report = org_profile(empty, rules=Rules(), now=NOW)
    assert (report.record_counts, report.funnel, report.sources, report.owners) == ({}, (), (), ())
    assert report.fill_rates == {"Lead": (), "Contact": ()}
    assert report.lead_usage.mode == "empty"


def test_org_profile_is_json_ready():
    """model_dump gives plain JSON types that load back into an equal report."""
    report = profile([lead(1), won(2, days=3)], contacts=2)
    dumped = json.loads(json.dumps(report.model_dump()))
    assert dumped["taken_at"] == NOW.isoformat()
    assert OrgProfileReport.model_validate(dumped) == report


def test_org_profile_of_the_demo_org(demo_snapshot, demo_answer_key):
    """The demo org works Leads; its funnel follows its LeadStatus order and counts every lead."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    report = org_profile(demo_snapshot, rules=rules, now=demo_snapshot.taken_at)
    assert report.record_counts["Lead"] == demo_answer_key["shape"]["leads"]
    assert report.lead_usage.mode == "lead-based"
    orders = [stage.sort_order for stage in report.funnel]
    assert orders == sorted(orders)
    assert sum(stage.leads for stage in report.funnel) == report.record_counts["Lead"]
    assert {stage.status for stage in report.funnel if stage.qualified} == set(
        demo_answer_key["assumptions"]["qualified_statuses"]
    )
    assert sum(source.leads for source in report.sources) == report.record_counts["Lead"]
    assert sum(owner.open_leads for owner in report.owners) == report.lead_usage.open_leads
    assert any(owner.queue for owner in report.owners)
    json.dumps(report.model_dump())


def test_org_profile_buckets_open_leads_by_age():
    """Open leads are counted by days since CreatedDate; converted leads are left out."""
    created = [datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)]
    leads = [lead(n, CreatedDate=moment) for n, moment in enumerate(created)] + [won(9, days=2)]
    ages = profile(leads).lead_ages
    assert [(bucket.label, bucket.open_leads) for bucket in ages] == [
        ("0-7 days", 1),
        ("8-30 days", 0),
        ("31-90 days", 1),
        ("91-180 days", 0),
        ("181-365 days", 0),
        ("over 365 days", 1),
    ]
    assert (ages[-1].min_days, ages[-1].max_days) == (366, None)
