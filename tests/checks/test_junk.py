"""Junk leads: one reason per open lead, by priority, naming its rule; each junk-word rule and its guards."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfbridge.checks import CheckContext
from sfbridge.checks.junk import CATEGORIES, junk_lead
from sfbridge.errors import ConfigError
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


def test_junk_lead_matches_a_listed_top_level_domain():
    """A reserved test TLD on the list ("test", RFC 2606) marks every address under it, however deep."""
    rules = Rules.model_validate({"junk": {"test_domains": ["test", "example.com"]}})
    found = run([lead(1, Email="qa@foo.test"), lead(2, Email="qa@a.b.test"), lead(3, Email="qa@acme.dev")], rules=rules)
    assert {number: category(found, number) for number in (1, 2) if lead(number)["Id"] in found} == {
        1: "test_record",
        2: "test_record",
    }
    assert lead(3)["Id"] not in found


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
            lead(6, Company="Self", Title="Unemployed"),
        ]
    )
    assert [category(found, n) for n in range(1, 7)] == list(CATEGORIES[:6])
    assert CATEGORIES[-1] == "individual"


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
    assert len(hits) / len(planted) >= 0.99
    assert len(hits) / len(found) >= 0.99
    assert {lead: found[lead] for lead in hits} == {lead: planted[lead] for lead in hits}


# -- junk words: each rule, and the guards that keep real people out ------------------------


def only(number, found):
    """The (category, rule, field, value) of a one-lead run's finding, or None."""
    finding = found.get(lead(number)["Id"])
    if finding is None:
        return None
    evidence = finding.evidence
    return evidence["category"], evidence["rule"], evidence["matched_field"], evidence["matched_value"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"FirstName": "asdfgh"}, ("keyboard_mash", "FirstName", "asdfgh")),
        ({"FirstName": "Testy", "LastName": "McTestface"}, ("test_words", "FirstName", "Testy")),
        ({"LastName": "McTestface"}, ("test_words", "LastName", "McTestface")),
        ({"LastName": "TEST-USER"}, ("test_words", "LastName", "TEST-USER")),
        ({"FirstName": "Dummy1"}, ("test_words", "FirstName", "Dummy1")),
        ({"Company": "Fake Company Inc"}, ("test_words", "Company", "Fake Company Inc")),
        ({"Company": "Dummy Account - do not use"}, ("test_words", "Company", "Dummy Account - do not use")),
        ({"Company": "TestCompany"}, ("test_words", "Company", "TestCompany")),
        ({"FirstName": "sdfsdf"}, ("keyboard_mash", "FirstName", "sdfsdf")),
        ({"LastName": "hjkl"}, ("keyboard_mash", "LastName", "hjkl")),
        ({"LastName": "Poiuyt"}, ("keyboard_mash", "LastName", "Poiuyt")),
        ({"Company": "wxcvbn"}, ("keyboard_mash", "Company", "wxcvbn")),
        ({"FirstName": "zzz"}, ("repeated_letters", "FirstName", "zzz")),
        ({"Company": "xxxxx"}, ("repeated_letters", "Company", "xxxxx")),
        ({"Company": "aaaa"}, ("repeated_letters", "Company", "aaaa")),
        ({"Email": "asdf123@gmail.com"}, ("test_words", "Email", "asdf123")),
        ({"Email": "test.user@acme-analytics.com"}, ("test_words", "Email", "test.user")),
        ({"Email": "grace+test@acme-analytics.com"}, ("test_words", "Email", "test")),
        ({"Email": "grace@fake-company.co.uk"}, ("test_words", "Email", "fake-company.co.uk")),
    ],
)
def test_junk_lead_finds_test_values_in_each_field_and_names_the_rule(fields, expected):
    """A field made only of junk words (and neutral ones) marks a test record; the finding names rule and value."""
    found = run([lead(1, **fields)])
    assert only(1, found) == ("test_record", *expected)


def test_junk_lead_reason_names_the_field_the_value_and_the_rule():
    """The reason reads as the admin would say it, with the rule's key to look up."""
    found = run([lead(1, FirstName="asdfgh"), lead(2, Email="grace@fake.com")])
    assert "FirstName 'asdfgh' is a keyboard mash (rule: keyboard_mash)" in found[lead(1)["Id"]].reason
    assert "Email domain 'fake.com' is a test value (rule: test_words)" in found[lead(2)["Id"]].reason


@pytest.mark.parametrize(
    "fields",
    [
        {"Company": "National Testing Laboratories"},
        {"Company": "Intertek Testing Services"},
        {"Company": "ABC Supply"},
        {"Company": "XYZ Corp"},
        {"Company": "AAA Plumbing"},
        {"Company": "AAA"},
        {"Company": "KPMG"},
        {"Company": "Fake Brothers Transport"},
        {"Company": "Schifffahrt Nord GmbH"},
        {"Company": "[not provided]"},
        {"Company": "N/A"},
        {"LastName": "Testa"},
        {"LastName": "Testoni", "Company": "Atestat Consulting"},
        {"LastName": "Testerman"},
        {"FirstName": "Reza"},
        {"FirstName": "Azer"},
        {"FirstName": "Treza"},
        {"FirstName": "Sasa"},
        {"LastName": "Wertz"},
        {"LastName": "Trew"},
        {"LastName": "Ertz"},
        {"LastName": "III"},
        {"LastName": "Clsrk"},
        {"FirstName": "Иван", "LastName": "Петров"},
        {"Email": "jkl@acme-analytics.com"},
        {"Email": "grace+newsletter@acme-analytics.com"},
        {"Email": "noemail@noemail.com"},
    ],
)
def test_junk_lead_leaves_real_values_that_look_a_little_like_junk_alone(fields):
    """Whole words only, and only when nothing real stands beside them: real names and companies stay clean."""
    assert run([lead(1, **fields)]) == {}


def test_real_surnames_are_names_in_the_lastname_and_wherever_they_recur():
    """Mr Sample and Ms Tester are people; their names in the company or address are theirs, not test markers."""
    found = run(
        [
            lead(1, FirstName="Robert", LastName="Sample", Email="sample@acme-analytics.com"),
            lead(2, FirstName="Jane", LastName="Tester", Company="Tester Inc", Email="jane@tester.com"),
            lead(3, FirstName="Sample", LastName="Sample"),  # the first name is no surname
            lead(4, LastName="Sample", Company="Test Company"),  # another test word still counts
            lead(5, Company="Sample Inc"),  # Grace Hopper's company is no surname of hers
        ]
    )
    assert set(found) == {lead(n)["Id"] for n in (3, 4, 5)}
    assert only(3, found) == ("test_record", "test_words", "FirstName", "Sample")


def test_real_surnames_can_be_configured():
    """An org that knows a 'Demo' family only as test records drops the name from real_surnames."""
    rules = Rules.model_validate({"junk": {"real_surnames": []}})
    assert only(1, run([lead(1, LastName="Demo")], rules=rules))[:2] == ("test_record", "test_words")
    assert run([lead(1, LastName="Demo")]) == {}


def test_each_junk_word_rule_can_be_switched_off():
    """An empty list or a zero switches its rule off; the other rules still fire."""
    off = Rules.model_validate(
        {
            "junk": {
                "test_words": [],
                "test_word_stems": [],
                "test_names": [],
                "keyboard_rows": [],
                "repeated_letters_min": 0,
            }
        }
    )
    leads = [
        lead(1, FirstName="Test"),
        lead(2, FirstName="qwertyuiop"),
        lead(3, FirstName="zzzz"),
        lead(4, Company="Self"),
    ]
    found = run(leads, rules=off)
    assert set(found) == {lead(4)["Id"]}
    assert {only(n, run(leads))[1] for n in (1, 2, 3)} == {"test_words", "keyboard_mash", "repeated_letters"}


def test_no_vowels_is_off_by_default_and_works_when_set():
    """Names without vowels are typos of real names as often as mashes (Clsrk, Jphn), so the rule waits to be set."""
    assert run([lead(1, FirstName="Qwrtp")]) == {}
    rules = Rules.model_validate({"junk": {"no_vowels_min_length": 5}})
    assert only(1, run([lead(1, FirstName="Qwrtp")], rules=rules)) == ("test_record", "no_vowels", "FirstName", "Qwrtp")
    assert run([lead(1, FirstName="Иван", LastName="Smrž")], rules=rules) == {}


def test_not_test_domains_are_real_organisations():
    """Stiftung Warentest writes from test.de: its domain is its name, not a test."""
    found = run([lead(1, Email="o.nowak@test.de"), lead(2, Email="o.nowak@test.org")])
    assert set(found) == {lead(2)["Id"]}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"Company": "Self"}, ("individual", "individual_words", "Company", "Self")),
        ({"Company": "N/A - personal"}, ("individual", "individual_words", "Company", "N/A - personal")),
        ({"Company": "Private individual"}, ("individual", "individual_words", "Company", "Private individual")),
        ({"Title": "Retired"}, ("individual", "individual_words", "Title", "Retired")),
        ({"Company": "Currently unemployed"}, ("job_seeker", "job_seeker_words", "Company", "Currently unemployed")),
        ({"Title": "Between jobs"}, ("job_seeker", "job_seeker_phrases", "Title", "Between jobs")),
    ],
)
def test_junk_lead_finds_individuals_and_job_seekers_by_what_company_or_title_say(fields, expected):
    """A Company or Title that says only 'private person' or 'no job' is no business prospect."""
    assert only(1, run([lead(1, **fields)])) == expected


@pytest.mark.parametrize(
    "company", ["Self Storage Plus", "Private Equity Partners", "The Home Depot", "Self-employed", "Freelance", "None"]
)
def test_businesses_named_like_individuals_and_businesses_of_one_are_prospects(company):
    """Other words make a business; the self-employed buy for a business; a placeholder is a missing value."""
    assert run([lead(1, Company=company)]) == {}


def test_junk_word_lists_must_hold_single_words(tmp_path):
    """A phrase in a word list could never match one word: refused, naming the key."""
    path = tmp_path / "rules.toml"
    path.write_text('[junk]\ntest_words = ["test user"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"junk\.test_words.*'test user' is not one word"):
        load_rules(path)
