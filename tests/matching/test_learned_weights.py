"""The learned match model: EM on the org's own pairs, term frequencies, placeholders, addresses, hard negatives."""

import datetime as dt
import math
from pathlib import Path

import orjson
import polars as pl
import pytest

from sfbridge.matching import Matching, MatchSettings, people_frame
from sfbridge.matching.model import MIN_PAIRS

FAKE_1000 = Path(__file__).resolve().parents[2] / "fixtures" / "labelled" / "splink" / "fake_1000.csv"


def splink_people(extra=()):
    rows = pl.read_csv(FAKE_1000, infer_schema_length=0)
    people = rows.select(
        sobject=pl.lit("Contact"),
        record_id=pl.col("unique_id").str.zfill(4),
        first_name="first_name",
        last_name="surname",
        email="email",
        city="city",
        country=pl.lit("United Kingdom"),
        birthdate=pl.col("dob").str.to_date(),
    )
    if extra:
        added = pl.DataFrame(list(extra)).select(
            [
                pl.col(name).cast(dtype) if name in extra[0] else pl.lit(None, dtype).alias(name)
                for name, dtype in people.schema.items()
            ]
        )
        people = pl.concat([people, added])
    return people_frame(people)


def match(rows, **settings):
    frame = people_frame(pl.DataFrame(list(rows), infer_schema_length=None))
    return Matching(frame, settings=MatchSettings(workers=1, **settings))


def pair_of(matching, a, b):
    pairs = matching.pairs.filter(
        ((pl.col("left_id") == a) & (pl.col("right_id") == b)) | ((pl.col("left_id") == b) & (pl.col("right_id") == a))
    )
    return pairs.row(0, named=True) if pairs.height else None


def scored_pair(matching, a, b):
    ids = matching.people.get_column("record_id").to_list()
    left, right = sorted((ids.index(a), ids.index(b)))
    found = matching.scored.filter((pl.col("left") == left) & (pl.col("right") == right))
    return found.row(0, named=True) if found.height else None


def test_em_converges_on_the_splink_set_and_gives_the_same_model_twice():
    """Fitting is deterministic (seeded random pairs, EM from the priors) and every session converges."""
    first = Matching(splink_people(), settings=MatchSettings(workers=1)).model
    second = Matching(splink_people(), settings=MatchSettings(workers=1)).model
    assert first.learned
    assert first.converged
    assert first.iterations > 0
    assert first.as_json() == second.as_json()
    weights = first.weights()
    # What any sceptic would expect of records of one person against two people:
    assert weights["first"]["same"] > 0 > weights["first"]["different"]
    assert weights["last"]["same"] > 0 > weights["last"]["different"]
    assert weights["email"]["same"] > weights["email"]["different"]
    assert weights["birthdate"]["same"] > weights["birthdate"]["different"]


def test_a_learned_model_is_plain_json_for_the_run_store_and_findings_json():
    """A learned model is numbers numpy computed; the run store's JSON column takes Python floats only.

    The 1M-record audit failed with "Type is not JSON serializable: numpy.float64" when it
    stored its run: the demo org is too small to learn from, so only large orgs saw it.
    """
    model = Matching(splink_people(), settings=MatchSettings(workers=1)).model.as_json()
    assert model["learned"]
    assert orjson.loads(orjson.dumps(model)) == model  # orjson (the store's and findings.json's) refuses numpy scalars


def test_a_rare_surname_says_more_than_smith_with_the_same_evidence():
    """Term frequency: two 'Ann Okonkwo' records outscore two 'Ann Smith' records that agree just as much."""
    uk = {"sobject": "Contact", "country": "United Kingdom"}
    firsts = ["Tom", "Amy", "Raj", "Lee", "Kim", "Max", "Zoe", "Ian", "Eve", "Sam"]
    smiths = [
        uk | {"record_id": f"S{i:03d}", "first_name": first, "last_name": "Smith", "city": "Leeds"}
        for i, first in enumerate(firsts * 4)
    ]
    born = {"birthdate": dt.date(1980, 5, 17), "city": "Hull", "first_name": "Ann"}
    pairs = [
        uk | born | {"record_id": "P1", "last_name": "Smith"},
        uk | born | {"record_id": "P2", "last_name": "Smith"},
        uk | born | {"record_id": "R1", "last_name": "Okonkwo"},
        uk | born | {"record_id": "R2", "last_name": "Okonkwo"},
    ]
    extra = [*pairs, *[row | {"birthdate": None} for row in smiths]]
    matching = Matching(splink_people(extra), settings=MatchSettings(workers=1))
    assert matching.model.learned
    smith, rare = scored_pair(matching, "P1", "P2"), scored_pair(matching, "R1", "R2")
    assert smith is not None
    assert rare is not None
    assert (smith["first"], smith["last"], smith["birthdate"]) == (rare["first"], rare["last"], rare["birthdate"])
    assert rare["w_last"] > smith["w_last"]
    assert rare["weight"] > smith["weight"]


def test_too_few_pairs_to_learn_from_means_the_hand_set_weights():
    """A tiny org is scored by the priors, and says so."""
    rows = [
        {"record_id": "a", "sobject": "Lead", "first_name": "Ann", "last_name": "Lee", "email": "ann@x.example"},
        {"record_id": "b", "sobject": "Lead", "first_name": "Ann", "last_name": "Lee", "email": "ann@x.example"},
    ]
    matching = match(rows)
    assert matching.candidates.pairs.height < MIN_PAIRS
    assert not matching.model.learned
    shown = matching.model.as_json()
    assert shown["learned"] is False
    assert pair_of(matching, "a", "b") is not None
    # Hand-set weights are shown as weights only: no m or u that looks measured.
    levels = [level for comparison in shown["comparisons"].values() for level in comparison.values()]
    assert all(level["m"] is None and level["u"] is None for level in levels)
    assert shown["comparisons"]["email"]["same"]["weight"] > 0


def test_the_waterfall_adds_up_to_the_pairs_weight():
    """Every matched pair's steps sum to its log2 odds, and the score is 2^w / (1 + 2^w)."""
    matching = Matching(splink_people(), settings=MatchSettings(workers=1))
    pairs = matching.pairs
    assert pairs.height > 100
    for row in pairs.head(200).iter_rows(named=True):
        total = sum(step["weight"] for step in row["waterfall"])
        assert row["waterfall"][0]["step"] == "prior"
        assert math.isclose(1 / (1 + 2**-total), row["score"], abs_tol=5e-3)


def person(record_id, first, last, **values):
    return {"record_id": record_id, "sobject": "Lead", "first_name": first, "last_name": last} | values


def test_people_who_share_only_a_name_and_an_address_are_found_with_the_address_as_a_reason():
    """No email, no phone, Company '[not provided]': the same name at one address written two ways is one person."""
    rows = [
        person(
            "a",
            "Maria",
            "Gonzales",
            company="[not provided]",
            street="123 North Main Street",
            city="Springfield",
            state="IL",
            postal_code="62704",
            country="US",
        ),
        person(
            "b",
            "Maria",
            "Gonzalez",
            company="[not provided]",
            street="123 N. Main St.",
            city="Springfield",
            state="Illinois",
            postal_code="62704-1234",
            country="USA",
        ),
        person(
            "c",
            "Mark",
            "Olsen",
            company="[not provided]",
            street="9 Elm Ave",
            city="Springfield",
            state="IL",
            postal_code="62701",
            country="US",
        ),
    ]
    matching = match(rows)
    found = pair_of(matching, "a", "b")
    assert found is not None
    assert found["score"] >= matching.settings.threshold
    assert any(reason.startswith("same address 123") for reason in found["reasons"])
    assert not any("[not provided]" in reason or "company" in reason for reason in found["reasons"])
    assert pair_of(matching, "a", "c") is None


def home(record_id, first, last, street, city, postal_code=None, country="US", **values):
    """A private person (no company) at a home address."""
    return person(
        record_id,
        first,
        last,
        company="[not provided]",
        street=street,
        city=city,
        postal_code=postal_code,
        country=country,
        **values,
    )


def test_first_and_last_name_swapped_at_one_house_meet_and_match():
    """A purchased list that swapped the name fields, without a postcode, meets the web form at the house."""
    matching = match(
        [
            home("a", "Chelsea", "Nichols", "2 Lake Lane", "Dallas", "75235", state="TX"),
            home("b", "Nichols", "Chelsea", "2 Lake Ln", "Dallas", state="TX"),
        ]
    )
    found = pair_of(matching, "a", "b")
    assert found is not None
    assert found["score"] >= matching.settings.threshold


def test_a_house_in_one_town_meets_a_record_whose_street_and_surname_carry_slips():
    """No postcode on one, a slip in the street and one in the surname: the house number and the town still meet."""
    matching = match(
        [
            home("a", "Annett", "Fischer", "Bergstraße 6", "Berlin", "10108", country="Germany"),
            home("b", "Annett", "Fiscnher", "Berstraße 6", "Berlin", country="Germany"),
        ]
    )
    assert not matching.candidates.pairs.is_empty()
    found = pair_of(matching, "a", "b")
    assert found is not None
    assert found["score"] >= matching.settings.threshold


def test_one_house_number_on_a_street_typed_with_two_slips_in_one_postcode_is_one_address():
    """'23 Cedar Dr' / '23 Cdear Er' at T2P 4Q3 is one address mistyped, not two homes that keep namesakes apart."""
    matching = match(
        [
            home("a", "Grégoire", "Strickland", "23 Cedar Dr", "Calgary", "T2P 4Q3", country="CA", state="AB"),
            home("b", "Grégoire", "Strickland", "23 Cdear Er", "Calgary", "T2P 4Q3", country="CA", state="AB"),
        ]
    )
    assert scored_pair(matching, "a", "b")["address"] == "typo"
    assert pair_of(matching, "a", "b") is not None


def test_one_house_number_on_two_streets_of_different_types_is_two_addresses():
    """'12 Park Ave' and '12 Park Rd' in one postcode are alike, but an avenue is not a road."""
    matching = match(
        [
            home("a", "Sam", "Taylor", "12 Park Ave", "Leeds", "LS1 4AP", country="GB"),
            home("b", "Sam", "Taylor", "12 Park Rd", "Leeds", "LS1 4AP", country="GB"),
        ]
    )
    assert scored_pair(matching, "a", "b")["address"] == "different"


def test_a_placeholder_company_or_email_is_never_a_reason_or_a_key():
    """Two different people at '[not provided]' with none@none.com share nothing that counts."""
    rows = [
        person("a", "Priya", "Raman", company="[not provided]", email="none@none.com"),
        person("b", "Priya", "Raman", company="[Not Provided]", email="NONE@none.com"),
        person("c", "Priya", "Raman", company="N/A", email="noemail@gmail.com"),
    ]
    matching = match(rows)
    people = matching.people
    assert people.get_column("company_key").is_null().all()
    assert not people.get_column("email_evidence").any()
    for row in matching.scored.iter_rows(named=True):
        assert row["email"] == "missing"
        assert row["company"] == "missing"
    # Only the names are left, and a name alone at no company is not a person.
    assert matching.pairs.is_empty()


@pytest.mark.parametrize("phone", ["555-555-5555", "000-000-0000", "(123) 456-7890"])
def test_a_placeholder_phone_is_never_a_reason_nor_a_key(phone):
    """One person matched by email, with a placeholder phone on both records: the phone says nothing.

    And two different people who typed the same placeholder phone never meet through it.
    """
    same = [
        person("a", "Priya", "Raman", email="priya.raman@acme.example", phone=phone, country="US"),
        person("b", "Priya", "Raman", email="priya.raman@acme.example", phone=phone, country="US"),
    ]
    pair = pair_of(match(same), "a", "b")
    assert pair is not None
    assert not [reason for reason in pair["reasons"] if "phone" in reason]
    assert "phone" not in [step["step"] for step in pair["waterfall"]]
    strangers = [
        person("c", "Priya", "Raman", phone=phone, country="US"),
        person("d", "Tom", "Okafor", phone=phone, country="US"),
    ]
    assert match(strangers).candidates.pairs.is_empty()


def test_relatives_at_one_address_with_one_home_phone_stay_apart_and_the_waterfall_names_the_rule():
    """Same surname, address and phone, two different real first names: two people."""
    home = {
        "phone": "(415) 555-0134",
        "street": "40 Oak Road",
        "city": "Boston",
        "postal_code": "02118",
        "country": "US",
    }
    rows = [
        person("a", "Robert", "Keller", **home),
        person("b", "Susan", "Keller", **home),
        person("c", "Bob", "Keller", email="bob.keller@example.org", **home),
    ]
    matching = match(rows)
    assert pair_of(matching, "a", "b") is None
    assert pair_of(matching, "b", "c") is None
    capped = scored_pair(matching, "a", "b")
    assert capped["hard_negative"] == "different given names"
    assert pair_of(matching, "a", "c") is not None  # Bob is Robert's nickname


@pytest.mark.parametrize("learn", [True, False])
def test_colleagues_at_one_office_are_not_one_person(learn):
    """One company, address and email domain, different names: colleagues, learned weights or not."""
    office = {
        "company": "Acme Inc.",
        "street": "1 Market St",
        "city": "Denver",
        "postal_code": "80202",
        "country": "US",
    }
    rows = [
        person("a", "Linda", "Park", email="linda.park@acme.example", **office),
        person("b", "Daniel", "Ortiz", email="daniel.ortiz@acme.example", **office),
        person("c", "Linda", "Parks", email="Linda.Park@acme.example", **office),
    ]
    matching = match(rows, learn=learn)
    assert pair_of(matching, "a", "b") is None
    assert pair_of(matching, "a", "c") is not None
