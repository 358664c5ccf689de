"""The duplicate engine on hand-built people: who is one person, who stays apart, why, and who survives."""

from datetime import UTC, datetime

import polars as pl
import pytest

from sfbridge.matching import Matching, MatchSettings, engine, people_frame

SETTINGS = MatchSettings(workers=1)


def person(record_id, first, last, **fields):
    """A US Lead with a name and whatever else is given."""
    return {"sobject": "Lead", "record_id": record_id, "first_name": first, "last_name": last, "country": "US"} | fields


def match(*people, settings=SETTINGS):
    return Matching(people_frame(pl.DataFrame(list(people), infer_schema_length=None)), settings=settings)


def together(matching, a, b):
    clusters = matching.clusters
    ids = dict(zip(clusters["record_id"], clusters["cluster_id"], strict=True))
    return a in ids and ids.get(a) == ids.get(b)


def test_engine_matches_one_mailbox_typed_differently():
    """The same Gmail mailbox with other case, dots and a +tag is one person."""
    matching = match(
        person("L1", "Alma", "Ortiz", email="AlmaOrtiz6764@gmail.com"),
        person("L2", "Alma", "Ortiz", email=" alma.ortiz6764+sf@googlemail.com"),
    )
    assert together(matching, "L1", "L2")


def test_engine_matches_nickname_with_same_phone():
    """Bob and Robert with one number in two formats are one person, and the reasons say so."""
    matching = match(
        person("L1", "Bob", "Smith", phone="(415) 555-0134", company="Acme Inc."),
        person("L2", "Robert", "Smith", mobile_phone="+1 415 555 0134", company="ACME"),
    )
    assert together(matching, "L1", "L2")
    reasons = matching.pairs.item(0, "reasons").to_list()
    assert "same phone +14155550134" in reasons
    assert any(reason.startswith("nickname bob = robert") for reason in reasons)


def test_engine_matches_transposed_names():
    """First and last name typed the wrong way round still match, and are explained as swapped."""
    matching = match(
        person("L1", "Courtier", "Chloé", email="chloe.courtier@crescent.example"),
        person("L2", "Chloe", "Courtier", email="chloe.courtier@crescent.example"),
    )
    assert together(matching, "L1", "L2")
    assert any("swapped" in reason for reason in matching.pairs.item(0, "reasons").to_list())


def test_engine_matches_one_person_typed_in_cyrillic_and_in_latin():
    """Иван Петров and Ivan Petrov with one phone and company are one person: names compare transliterated."""
    matching = match(
        person("L1", "Иван", "Петров", phone="+7 495 123 4567", company="Газпром", country="RU"),
        person("L2", "Ivan", "Petrov", phone="+7 (495) 123-45-67", company="Gazprom", country="Russia"),
    )
    assert together(matching, "L1", "L2")


def test_engine_keeps_a_transliterated_namesake_with_nothing_else_shared_apart():
    """A Latin namesake of a Cyrillic record, with other phones and employers, is not the same person."""
    matching = match(
        person("L1", "Иван", "Петров", phone="+7 495 123 4567", company="Газпром", country="RU"),
        person("L2", "Ivan", "Petrov", phone="+7 812 765 4321", company="Lukoil", country="RU"),
    )
    assert not together(matching, "L1", "L2")


def test_engine_joins_records_through_a_third():
    """A record with only the email and one with only the phone meet through one with both."""
    matching = match(
        person("L1", "Crescencia", "Sacedo", email="csalcedo@hawthorn.example"),
        person("L2", "Crescencia", "Salcedo", phone="+34 963 476 413"),
        person("C1", "Crescencia", "Salcedo", email="csalcedo@hawthorn.example", phone="963 476 413", country="Spain")
        | {"sobject": "Contact"},
    )
    assert together(matching, "L1", "L2")
    assert matching.clusters["survivor_id"].unique().to_list() == ["C1"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(
            person(
                "L1",
                "Warren",
                "Morales",
                email="warren.morales7936@gmail.com",
                phone="269-555-0152",
                company="Stokes Inc.",
            ),
            person(
                "L2",
                "Warren",
                "Morales",
                email="wmorales@bud-marconi.example",
                phone="(539) 555-0175",
                company="Bud & Marconi",
            ),
            id="same name at another company",
        ),
        pytest.param(
            person(
                "L1", "Laurie", "Fuentes", email="lfuentes@zorionex.example", phone="786-555-0123", company="Zorionex"
            ),
            person(
                "L2",
                "Sarah",
                "McLoughlin",
                email="smcloughlin@zorionex.example",
                phone="(786) 555-0123",
                company="Zorionex",
            ),
            id="colleagues sharing a switchboard",
        ),
        pytest.param(
            person("L1", "Arthur", "Wood", email="arthur.wood6592@outlook.com", phone="020 7946 0308", country="UK"),
            person("L2", "Brett", "Wood", email="wood.brett280@gmail.com", phone="020 7946 0308", country="UK"),
            id="relatives sharing a home phone",
        ),
        pytest.param(
            person("L1", "Jon", "Smith", phone="(415) 555-0177"),
            person("L2", "Joan", "Smith", phone="(415) 555-0177"),
            id="one letter apart but two given names",
        ),
        pytest.param(
            person("L1", "Amber", "Woods", email="a.woods@solesys.example", phone="202-555-0128"),
            person("L2", "Amanda", "Woods", email="a.woods4976@gmail.com", phone="030 2704 9692", country="Germany"),
            id="free mail and business mail, names and phones differ",
        ),
        pytest.param(
            person("L1", "Kim", "Lee", email="kim.lee@gmail.com", phone="0000000000"),
            person("L2", "Kim", "Lee", email="klee@other.example", phone="0000000000"),
            id="an invalid phone is no evidence",
        ),
        pytest.param(
            person("L1", "Jack", "Smith", email="john.smith12@gmail.com"),
            person("L2", "Jack", "Smith", email="john.smith21@gmail.com"),
            id="numbered mailboxes are not a typo",
        ),
    ],
)
def test_engine_keeps_hard_negatives_apart(a, b):
    """People who share a name, a switchboard, a home phone or a placeholder are not merged."""
    assert not together(match(a, b), a["record_id"], b["record_id"])


def test_engine_matches_free_mail_and_business_mail_when_name_and_phone_agree():
    """A personal and a work address of one person match when the name and the phone agree."""
    matching = match(
        person("L1", "Christian", "Weber", email="christian.weber.1361@aol.com", phone="(628) 555-0188"),
        person("L2", "Christian", "Weber", email="christian_weber@draona.example", phone="+1-628-555-0188"),
    )
    assert together(matching, "L1", "L2")


def test_engine_survivor_prefers_a_contact_then_completeness_then_recent_activity():
    """A Contact outranks a Lead; among Leads the fuller record, then the more recently active one, survives."""
    base = {"email": "ann@acme.example", "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
    leads = match(
        person("L1", "Ann", "Lee", **base),
        person("L2", "Ann", "Lee", **base, title="CTO", city="Austin"),
        person("L3", "Ann", "Lee", **base, title="CTO", street="1 Main St"),
    )
    recent = leads.clusters.filter(pl.col("record_id") == "L1")["survivor_id"].item()
    assert recent in {"L2", "L3"}
    with_contact = match(
        person("L1", "Ann", "Lee", **base, title="CTO"), person("C1", "Ann", "Lee", **base) | {"sobject": "Contact"}
    )
    assert with_contact.clusters["survivor_id"].unique().to_list() == ["C1"]


def test_a_record_with_swapped_names_and_one_with_a_nickname_are_one_person():
    """'Yoshida Thomas' (fields swapped) and 'Tom Yoshida' (a nickname) are the Contact Thomas Yoshida's records.

    Read swapped, Thomas and Tom are a nickname, not two given names a rule keeps apart.
    """
    common = {"company": "Silverline Engineering K.K.", "street": "6-2-28 Jingumae", "city": "Shibuya-ku"}
    matching = match(
        person("C1", "Thomas", "Yoshida", email="thomas.yoshida@silverline.example", phone="+81352379748", **common)
        | {"sobject": "Contact", "country": "Japan"},
        person("L1", "Yoshida", "Thomas", email="thomas.yoshida@silverline.example", phone="+81352379748", **common)
        | {"country": "Japan"},
        person("L2", "Tom", "Yoshida", email="tom.yoshida@silverline.example", phone="03-5237-9748", **common)
        | {"country": "Japan"},
    )
    assert together(matching, "C1", "L1")
    assert together(matching, "C1", "L2")
    assert together(matching, "L1", "L2")


def test_engine_cluster_id_is_the_smallest_record_id():
    """A cluster is named by its smallest Id, which stays while that record lives."""
    matching = match(
        person("L9", "Ann", "Lee", email="ann@acme.example"), person("L2", "Ann", "Lee", email="ann@acme.example")
    )
    assert matching.clusters["cluster_id"].unique().to_list() == ["L2"]


def test_engine_on_no_people_finds_nothing():
    """An org without Leads or Contacts has no clusters (and no errors)."""
    matching = Matching(people_frame(pl.DataFrame({"record_id": [], "sobject": []})), settings=SETTINGS)
    assert matching.clusters.is_empty()
    assert matching.pairs.is_empty()


def test_engine_scores_pairs_in_batches_exactly_as_at_once(monkeypatch):
    """Comparing candidate pairs a few at a time (a large org's memory) scores every pair the same."""
    people = [
        person("L1", "Bob", "Smith", phone="(415) 555-0134", company="Acme Inc."),
        person("L2", "Robert", "Smith", phone="415.555.0134", company="ACME"),
        person("L3", "Smith", "Robert", email="rsmith@acme.example", phone="+1 415 555 0134"),
        person("L4", "Ann", "Lee", email="ann@acme.example", company="Acme"),
        person("L5", "Anne", "Lee", email="ann@acme.example"),
        person("L6", "Ann", "Lee", email="ann.lee@other.example", company="Acme"),
    ]
    at_once = match(*people).scored
    assert at_once.height > 3  # more pairs than one batch below
    monkeypatch.setattr(engine, "_PAIR_BATCH", 2)
    batched = match(*people).scored
    assert batched.equals(at_once)


def test_scoring_lets_go_of_what_only_scoring_reads_and_finds_the_same(monkeypatch):
    """Scoring drops the side, levels and holder tables, clustering the scored pairs; read again, each agrees."""
    people = [
        person("L1", "Bob", "Smith", phone="(415) 555-0134", company="Acme Inc."),
        person("L2", "Robert", "Smith", phone="415.555.0134", company="ACME"),
        person("L4", "Ann", "Lee", email="ann@acme.example", company="Acme"),
        person("L5", "Anne", "Lee", email="ann@acme.example"),
    ]
    matching = match(*people)
    side, levels = matching._side, matching._candidate_levels
    scored = matching.scored
    assert not set(engine._SCORING_ONLY) & set(matching.__dict__)
    assert matching._side.equals(side)  # computed again on demand, the same
    assert matching._candidate_levels.equals(levels)
    kept = match(*people)
    monkeypatch.setattr(engine, "_SCORING_ONLY", ())  # the engine before: everything kept
    assert kept.scored.equals(scored)
    assert kept.clusters.equals(matching.clusters)
    assert "scored" not in matching.__dict__  # the clusters took what they read of it
    assert matching.scored.equals(scored)
    assert kept.best_values.equals(matching.best_values)


def test_releasing_the_people_keeps_members_and_merged_values_and_refuses_the_people():
    """release_people computes what the search found first, lets the people frame go, and a later read fails loudly."""
    people = [
        person("L1", "Bob", "Smith", phone="(415) 555-0134", company="Acme Inc.", title="CTO"),
        person("L2", "Robert", "Smith", phone="415.555.0134", company="ACME"),
        person("L4", "Ann", "Lee", email="ann@acme.example", company="Acme"),
        person("L5", "Anne", "Lee", email="ann@acme.example", state="CA"),
    ]
    kept = match(*people)
    released = match(*people)
    released.release_people()  # nothing read before: the search runs here
    assert not {"people", "pairs", "clusters", "scored", "candidates"} & set(released.__dict__)
    assert released.members.equals(kept.members)
    assert released.best_values.equals(kept.best_values)
    assert released.model.as_json() == kept.model.as_json()
    with pytest.raises(RuntimeError, match="people frame was released"):
        released.people  # noqa: B018
    with pytest.raises(RuntimeError, match="people frame was released"):
        released.pairs  # noqa: B018 (made from the people)


def test_starting_twice_reads_once_and_starting_after_close_or_release_fails_loudly():
    """Starting is idempotent until the raw people are let go; then it raises, never locating an empty frame."""
    people = [
        person("L1", "Bob", "Smith", phone="(415) 555-0134"),
        person("L2", "Robert", "Smith", phone="415.555.0134"),
    ]
    matching = match(*people)
    matching.start()
    reading = matching._reading  # what start holds: the located people and their phone reading
    matching.start()
    assert matching._reading is reading
    assert together(matching, "L1", "L2")
    matching.start()  # the people are made: nothing to start
    closed = match(*people)
    closed.start()
    closed.close()
    with pytest.raises(RuntimeError, match="after close or release_people"):
        closed.start()
    released = match(*people)
    released.release_people()
    with pytest.raises(RuntimeError, match="after close or release_people"):
        released.start()
