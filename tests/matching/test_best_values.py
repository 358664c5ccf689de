"""The values a merged record carries: rules per field, unusable values skipped, typos outvoted, one address."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from sfbridge.matching import Matching, MatchSettings, people_frame
from sfbridge.matching.best_values import FIELDS, ValueRules
from sfbridge.matching.typos import is_typo

OLD, NEW = datetime(2023, 3, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC)
EMAIL = "jpuga@acme.example"  # what ties every record below into one cluster


def person(record_id, first="Jennifer", last="Puga", **fields):
    return {
        "sobject": "Lead",
        "record_id": record_id,
        "first_name": first,
        "last_name": last,
        "email": EMAIL,
        "country": "US",
        "created_at": OLD,
    } | fields


def merged(*people, **settings):
    matching = Matching(
        people_frame(pl.DataFrame(list(people), infer_schema_length=None)),
        settings=MatchSettings(workers=1, **settings),
    )
    assert matching.clusters.get_column("size").to_list() == [len(people)] * len(people), (
        "the people should be one cluster"
    )
    return matching


def chosen(matching):
    """Field → (value, source_id, rule, changes_survivor)."""
    rows = matching.best_values.select("field", "value", "source_id", "rule", "changes_survivor").rows()
    return {field: rest for field, *rest in rows}


def test_one_row_per_cluster_and_field_with_the_documented_columns():
    """Every field is listed once per cluster, even those no record fills."""
    values = merged(person("L1"), person("L2")).best_values
    assert values.columns == ["cluster_id", "survivor_id", "field", "value", "source_id", "rule", "changes_survivor"]
    assert values.get_column("field").cast(pl.Utf8).to_list() == list(FIELDS)
    assert chosen(merged(person("L1"), person("L2")))["title"] == [None, None, None, False]


def test_a_typo_of_the_majority_is_never_chosen_even_from_the_survivor():
    """Jennifer Pga (the survivor, most complete) with two Pugas: the merged last name is Puga."""
    matching = merged(
        person("L1", last="Pga", title="CTO", city="Austin", phone="(415) 555-0134"),
        person("L2", last="Puga"),
        person("L3", first="Jenny", last="Puga"),
    )
    assert matching.clusters.filter(pl.col("rank") == 1).get_column("record_id").item() == "L1"
    values = chosen(matching)
    assert values["last_name"] == ["Puga", "L2", "most_common", True]
    assert values["first_name"][0] == "Jennifer"  # Jenny is another name, not a typo, and fewer records say it


def test_a_typo_is_skipped_whatever_the_rule():
    """Even a rule that would take the survivor's value passes over its typo."""
    matching = merged(
        person("L1", last="Pga", title="CTO", city="Austin"),
        person("L2", last="Puga"),
        person("L3", last="Puga"),
        values=ValueRules(last_name=("survivor",)),
    )
    assert chosen(matching)["last_name"][:2] == ["Puga", "L2"]


def test_a_different_surname_is_no_typo_and_the_rule_decides():
    """A name far from the majority's (a married name) is a real value: ``survivor`` keeps it."""
    same = {"phone": "(415) 555-0134", "company": "Acme", "birthdate": date(1980, 5, 17)}  # one person all the same
    people = [
        person("L1", last="Lopez", title="CTO", city="Austin", **same),
        person("L2", last="Puga", **same),
        person("L3", last="Puga", **same),
    ]
    assert chosen(merged(*people, values=ValueRules(last_name=("survivor",))))["last_name"][:2] == ["Lopez", "L1"]
    assert chosen(merged(*people))["last_name"][:2] == ["Puga", "L2"]


@pytest.mark.parametrize(
    ("value", "majority", "typo"),
    [
        ("pga", "puga", True),
        ("jenifer", "jennifer", True),
        ("cathrine", "catherine", True),
        ("austin", "austn", True),
        ("lopez", "puga", False),
        ("jenny", "jennifer", False),
        ("al", "ali", False),  # too short to tell a slip from a short form
        ("1 main st", "2 main st", False),  # another house
        ("zoe", "zoe", False),
    ],
)
def test_is_typo(value, majority, typo):
    """One edit (two in long values) is a typo; a change of digits or of most letters is not."""
    assert is_typo(value, majority) is typo


def test_a_placeholder_company_is_never_chosen():
    """The survivor's "[not provided]" gives way to the only real company."""
    matching = merged(
        person("L1", company="[not provided]", title="CTO", city="Austin"),
        person("L2", company="Hawthorn Labs"),
    )
    assert chosen(matching)["company"] == ["Hawthorn Labs", "L2", "most_recent", True]


def test_an_invalid_email_and_phone_are_never_chosen():
    """A survivor's malformed email and unallocated number give way to the next record's valid ones."""
    mobile = "(415) 555-0199"  # the survivor's link to the others
    matching = merged(
        person("L1", email="jpuga@acme..example", phone="(415) 123-4567", mobile_phone=mobile)
        | {"title": "CTO", "city": "Austin", "street": "1 Main St", "postal_code": "73301", "company": "Acme"},
        person("L2", phone="(415) 555-0134", mobile_phone=mobile),
        person("L3", phone="(415) 555-0134", title="CTO"),
    )
    values = chosen(matching)
    assert matching.clusters.filter(pl.col("rank") == 1).get_column("record_id").item() == "L1"
    assert values["email"][:2] == [EMAIL, "L2"]
    assert values["phone"][:2] == ["(415) 555-0134", "L2"]
    assert values["mobile_phone"] == [mobile, "L1", "survivor", False]


def test_the_address_is_taken_whole_from_one_record():
    """The survivor's address lacks a postcode; another has one, but the postcode is not mixed in."""
    matching = merged(
        person("L1", street="1 Main St", city="Austin", state="TX", title="CTO"),
        person("L2", street="9 Elm Rd", city="Boston", state="MA", postal_code="02110"),
    )
    values = chosen(matching)
    address = {field: values[field][:2] for field in ("street", "city", "state", "postal_code", "country")}
    assert address == {
        "street": ["1 Main St", "L1"],
        "city": ["Austin", "L1"],
        "state": ["TX", "L1"],
        "postal_code": [None, "L1"],
        "country": ["US", "L1"],
    }


def test_an_address_from_another_record_clears_the_parts_it_lacks():
    """Under ``longest`` the fuller address wins whole; the survivor's state it lacks is to be cleared."""
    matching = merged(
        person("L1", street="1 Main St", state="TX", title="CTO", phone="(415) 555-0134"),
        person("L2", street="9 Elm Road", city="Boston", postal_code="02110"),
        values=ValueRules(address=("longest",)),
    )
    values = chosen(matching)
    assert values["street"] == ["9 Elm Road", "L2", "longest", True]
    assert values["city"] == ["Boston", "L2", "longest", True]
    assert values["state"] == [None, "L2", "longest", True]  # TX belongs to the other address
    assert values["country"] == ["US", "L2", "longest", False]


def test_a_country_alone_is_no_address():
    """The survivor's bare country does not stop another record's full address from being taken."""
    matching = merged(
        person("L1", title="CTO", phone="(415) 555-0134"),
        person("L2", street="9 Elm Road", city="Boston", postal_code="02110", country=None),
    )
    assert chosen(matching)["street"][:2] == ["9 Elm Road", "L2"]
    assert chosen(matching)["country"][:2] == [None, "L2"]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (("survivor",), ("Founder", "L1")),
        (("most_recent",), ("Chief Technology Officer", "L3")),
        (("oldest",), ("Founder", "L1")),
        (("longest",), ("Chief Technology Officer", "L3")),
        (("most_common",), ("cto", "L4")),  # CTO and cto are one title: the better-ranked record's spelling
    ],
)
def test_each_rule_changes_the_choice(rules, expected):
    """Three titles, one per rule's favourite: the survivor's, the recent one, the common one."""
    matching = merged(
        person("L1", title="Founder", city="Austin", phone="(415) 555-0134", created_at=OLD),
        person("L2", title="CTO", created_at=datetime(2024, 1, 1, tzinfo=UTC)),
        person("L3", title="Chief Technology Officer", created_at=OLD, last_activity=date(2026, 2, 1)),
        person("L4", title="cto", created_at=NEW),
        values=ValueRules(title=rules),
    )
    assert tuple(chosen(matching)["title"][:2]) == expected


def test_the_rule_named_is_the_one_that_chose():
    """``survivor`` then ``most_recent``: when the survivor has no value, the rule is ``most_recent``."""
    matching = merged(
        person("L1", title="CTO", city="Austin", street="1 Main St"),
        person("L2", phone="(415) 555-0134", created_at=NEW),
    )
    values = chosen(matching)
    assert values["email"][2] == "survivor"
    assert values["phone"][1:3] == ["L2", "most_recent"]


def test_one_spelling_of_a_common_value_is_taken_from_the_best_ranked_record():
    """ZOË, Zoe and zoe are one first name; the survivor's spelling is kept and nothing changes."""
    matching = merged(
        person("L1", first="Zoë", title="CTO", city="Austin"),
        person("L2", first="Zoe"),
        person("L3", first="ZOE"),
    )
    assert chosen(matching)["first_name"] == ["Zoë", "L1", "most_common", False]


def test_placeholder_names_are_never_chosen():
    """A first name of "Test" gives way, however many records carry it."""
    matching = merged(
        person("L1", first="Test", title="CTO", city="Austin"),
        person("L2", first="Test"),
        person("L3", first="Jennifer"),
    )
    assert chosen(matching)["first_name"][:2] == ["Jennifer", "L3"]


def test_no_clusters_no_values():
    """People without duplicates give an empty frame of the documented shape."""
    matching = Matching(
        people_frame(pl.DataFrame([person("L1"), person("L2", first="Amos", last="Ng", email="amos@ng.example")])),
        settings=MatchSettings(workers=1),
    )
    assert matching.clusters.is_empty()
    values = matching.best_values
    assert values.is_empty()
    assert values.columns == ["cluster_id", "survivor_id", "field", "value", "source_id", "rule", "changes_survivor"]


def test_a_value_the_survivor_already_holds_is_its_own_not_taken_from_another_record():
    """Title by most recent activity: the newer lead says "Director of Marketing", and so does the survivor.

    The merged title is the survivor's own (nothing to change, no other record named), and an
    address both hold the same way is the survivor's too.
    """
    home = {"street": "12 Main St", "city": "Austin", "state": "TX", "postal_code": "78701"}
    matching = merged(
        person("L1", title="Director of Marketing", phone="(415) 555-0134", created_at=OLD, **home),
        person("L2", title="director of marketing", created_at=NEW, last_activity=date(2025, 10, 1), **home),
    )
    assert matching.clusters.filter(pl.col("rank") == 1).get_column("record_id").item() == "L1"
    values = chosen(matching)
    assert values["title"] == ["Director of Marketing", "L1", "most_recent", False]
    assert values["street"][:2] == ["12 Main St", "L1"]


def test_names_typed_the_wrong_way_round_are_read_back_before_the_vote():
    """Survivor "Steele-Castillo Brandon" and two "Brandon Steele-Castillo"s merge as Brandon Steele-Castillo."""
    matching = merged(
        person("L1", first="Steele-Castillo", last="Brandon", title="CTO", city="Austin", phone="(415) 555-0134"),
        person("L2", first="Brandon", last="Steele-Castillo"),
        person("L3", first="Brandon", last="Steele-Castilloo"),
    )
    assert matching.clusters.filter(pl.col("rank") == 1).get_column("record_id").item() == "L1"
    values = chosen(matching)
    assert values["first_name"][0] == "Brandon"
    assert values["last_name"][0] == "Steele-Castillo"
    assert values["first_name"][3]  # both change on the survivor
    assert values["last_name"][3]


def test_only_the_minority_reading_is_turned():
    """Two "Thomas James" and one "James Thomas": the two keep their fields, the merged record is Thomas James."""
    matching = merged(
        person("L1", first="Thomas", last="James", title="CTO", city="Austin"),
        person("L2", first="Thomas", last="James"),
        person("L3", first="James", last="Thomas"),
    )
    values = chosen(matching)
    assert (values["first_name"][0], values["last_name"][0]) == ("Thomas", "James")
    assert not values["first_name"][3]  # the survivor already says so
    assert not values["last_name"][3]
