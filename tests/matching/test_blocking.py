"""Blocking: people are compared only when they share a key, and oversized blocks are skipped."""

import polars as pl
import pytest

from sfbridge.matching.blocking import (
    CONDITIONED,
    KINDS,
    WEAK_KINDS,
    blocking_keys,
    candidate_pairs,
    people_candidates,
)
from sfbridge.matching.normalise import normalise_people
from sfbridge.matching.people import people_frame


def normalised(rows):
    return normalise_people(people_frame(pl.DataFrame(rows, infer_schema_length=None)), default_region="US")


def pairs_of(rows, *, cap=500):
    found = candidate_pairs(blocking_keys(normalised(rows)), max_block_size=cap)
    return {tuple(pair) for pair in found.pairs.select("left", "right").iter_rows()}, found.oversized


def test_blocking_pairs_people_sharing_an_email_a_phone_or_a_name_at_a_company():
    """Shared email, shared phone, or one name (nicknames resolved) at one company makes a candidate."""
    rows = [
        {"record_id": "a", "sobject": "Lead", "first_name": "Ann", "last_name": "Lee", "email": "ann@x.example"},
        {"record_id": "b", "sobject": "Lead", "first_name": "Zed", "last_name": "Roe", "email": "ANN@x.example"},
        {"record_id": "c", "sobject": "Lead", "first_name": "Bob", "last_name": "Fox", "phone": "(415) 555-0134"},
        {"record_id": "d", "sobject": "Lead", "first_name": "Ivy", "last_name": "Wu", "phone": "415.555.0134"},
        {"record_id": "e", "sobject": "Lead", "first_name": "Bob", "last_name": "Smith", "company": "Acme Inc."},
        {"record_id": "f", "sobject": "Lead", "first_name": "Robert", "last_name": "Smith", "company": "ACME"},
        {"record_id": "g", "sobject": "Lead", "first_name": "Robert", "last_name": "Smith", "company": "Other"},
    ]
    pairs, _ = pairs_of(rows)
    assert pairs == {(0, 1), (2, 3), (4, 5)}


def test_a_mistyped_surname_meets_through_its_sound_and_a_shared_house_through_its_postcode():
    """Typo-tolerant keys: "Puga"/"Pga" sound alike at one company; "90 N Mill Rd"/"90 North Mjll Road" is a house."""
    rows = [
        {"record_id": "a", "sobject": "Lead", "first_name": "Jennifer", "last_name": "Puga", "company": "Acme"},
        {"record_id": "b", "sobject": "Lead", "first_name": "Jenifer", "last_name": "Pga", "company": "ACME Inc."},
        {
            "record_id": "c",
            "sobject": "Lead",
            "first_name": "Randy",
            "last_name": "Russdell",
            "street": "90 N Mill Rd",
            "postal_code": "37223",
            "country": "US",
        },
        {
            "record_id": "d",
            "sobject": "Lead",
            "first_name": "Rnady",
            "last_name": "Rusell",
            "street": "90 North Mjll Road",
            "postal_code": "37223",
            "country": "US",
        },
    ]
    pairs, _ = pairs_of(rows)
    assert pairs == {(0, 1), (2, 3)}


def test_a_private_persons_first_name_in_their_town_is_a_key_and_a_colleagues_is_not():
    """A married name: 'Eliza James' and 'Eliza Jacques' of Birmingham meet; two Elizas at one company do not.

    Colleagues meet through their company, so their first names in the office's town are no key.
    """
    rows = [
        {"record_id": "a", "sobject": "Lead", "first_name": "Eliza", "last_name": "James", "city": "Birmingham"},
        {"record_id": "b", "sobject": "Lead", "first_name": "Elisa", "last_name": "Jacques", "city": "Birmingham"},
        {
            "record_id": "c",
            "sobject": "Lead",
            "first_name": "Eliza",
            "last_name": "Rowe",
            "city": "Leeds",
            "company": "Acme",
        },
        {
            "record_id": "d",
            "sobject": "Lead",
            "first_name": "Eliza",
            "last_name": "Stone",
            "city": "Leeds",
            "company": "Acme",
        },
    ]
    pairs, _ = pairs_of(rows)
    assert pairs == {(0, 1)}


def test_blocking_skips_blocks_larger_than_the_cap():
    """A number shared by more people than the cap (a switchboard) pairs nobody, and is reported."""
    rows = [
        {
            "record_id": f"r{n}",
            "sobject": "Lead",
            "first_name": f"P{n}",
            "last_name": f"Q{n}",
            "phone": "(415) 555-0100",
        }
        for n in range(12)
    ]
    pairs, oversized = pairs_of(rows, cap=10)
    assert pairs == set()
    assert oversized.rows() == [("phone", 12, oversized.item(0, "idx"))]


def test_blocking_ignores_invalid_emails_and_phones():
    """Placeholders typed for many people ("0000000000", "n/a@") are no keys at all."""
    rows = [
        {
            "record_id": f"r{n}",
            "sobject": "Lead",
            "first_name": f"P{n}",
            "last_name": f"Q{n}",
            "phone": "0000000000",
            "email": "n/a@",
        }
        for n in range(3)
    ]
    pairs, _ = pairs_of(rows)
    assert pairs == set()


def test_a_name_is_blocked_with_a_business_domain_but_not_with_a_free_mail_one():
    """The same name at one business domain is a candidate; at gmail.com it is thousands of strangers."""
    rows = [
        {"record_id": "a", "sobject": "Lead", "first_name": "Ann", "last_name": "Lee", "email": "ann.lee@acme.example"},
        {"record_id": "b", "sobject": "Lead", "first_name": "Ann", "last_name": "Lee", "email": "alee@acme.example"},
        {"record_id": "c", "sobject": "Lead", "first_name": "Tom", "last_name": "Ray", "email": "tom.ray71@gmail.com"},
        {"record_id": "d", "sobject": "Lead", "first_name": "Tom", "last_name": "Ray", "email": "tray.home@gmail.com"},
    ]
    found = candidate_pairs(blocking_keys(normalised(rows)), max_block_size=500).pairs
    kinds = dict(zip(zip(found["left"], found["right"], strict=True), found["kinds"], strict=True))
    domain = 1 << KINDS.index("name_domain")
    assert kinds[(0, 1)] & domain
    # The Toms meet only as a rare full name (a block the cap keeps small), never by gmail.com.
    assert kinds[(2, 3)] == 1 << KINDS.index("full_name")


def test_every_kind_of_key_says_what_it_conditions_and_weak_kinds_are_kinds():
    """A new kind is named in KINDS (its bit), CONDITIONED (what fitting leaves out) and maybe WEAK_KINDS."""
    assert set(CONDITIONED) == set(KINDS)
    assert set(WEAK_KINDS) <= set(KINDS)


def test_blocks_hold_exactly_the_keys_shared_by_at_least_the_smallest_count_in_key_order():
    """Each key held by ``smallest`` or more rows is a block, in key order, its rows in order; no other key is."""
    from sfbridge.matching.blocking import _blocks  # noqa: PLC0415 (the step under test)

    # Keys held once, twice, three and four times, out of order; idx tells the rows apart.
    held = [7, 3, 9, 3, 5, 7, 7, 1, 5, 7, 8, 5, 2]
    keys = pl.DataFrame(
        {"idx": range(len(held)), "kind": ["email"] * len(held), "key": held},
        schema={"idx": pl.UInt32, "kind": pl.Enum(KINDS), "key": pl.UInt64},
    )
    counts = {key: held.count(key) for key in held}
    for smallest in (1, 2, 3, 4, 5):
        blocks = _blocks(keys, smallest=smallest)
        shared = sorted(key for key, count in counts.items() if count >= smallest)
        assert blocks.get_column("key").unique(maintain_order=True).to_list() == shared
        for key in shared:
            rows = blocks.filter(pl.col("key") == key)
            assert rows.get_column("idx").to_list() == [n for n, value in enumerate(held) if value == key]
            assert rows.get_column("size").to_list() == [counts[key]] * counts[key]
            assert rows.get_column("block").n_unique() == 1
        assert blocks.get_column("block").to_list() == sorted(blocks.get_column("block").to_list())


def shared_phones():
    """People sharing phone numbers (in either field, some in both), emails and companies: what the sets lack."""
    rows = []
    for number in range(300):
        phone = f"(415) 555-{number % 40:04d}"
        rows.append(
            {
                "record_id": f"p{number}",
                "sobject": "Lead" if number % 2 else "Contact",
                "first_name": ["Ann", "Bob", "Robert", "Ivy"][number % 4],
                "last_name": ["Lee", "Smith", "Wu"][number % 3],
                "company": ["Acme", "ACME Inc.", "Globex"][number % 3],
                "email": f"user{number % 25}@example.org",
                "phone": phone,
                "mobile_phone": phone if number % 5 == 0 else f"(650) 555-{number % 60:04d}",
            }
        )
    return normalised(rows)


@pytest.fixture(scope="module")
def people_sets(bench):
    """Three of the accuracy benchmark's labelled sets, normalised, and a set sharing phones (which they lack).

    Emails, birthdates and cities (fake_1000); addresses and companies (nameaddress_1500); names
    and postcodes (the first 20,000 of historical_50k, whole clusters).
    """
    sets = (bench.load_fake_1000(), bench.load_name_address_fixture(), bench.load_historical(limit=20_000))
    normalised_sets = [normalise_people(people_frame(labelled.people), default_region="US") for labelled in sets]
    return [*normalised_sets, shared_phones()]


@pytest.mark.parametrize("cap", [0, 1, 3, 50, 500])
def test_candidates_made_a_key_part_at_a_time_are_those_of_all_the_keys_at_once(cap, people_sets):
    """people_candidates (each part's lone keys dropped before the next part is made) pairs as candidate_pairs does.

    The same pairs, with the same kinds of key shared, and the same blocks skipped, on three
    labelled sets (22,491 people in all) and a set sharing phones, under caps from none to the default's.
    """
    for people in people_sets:
        whole = candidate_pairs(blocking_keys(people), max_block_size=cap)
        by_part = people_candidates(people, max_block_size=cap)
        assert by_part.pairs.equals(whole.pairs)
        # A skipped block's example member is the first its key's rows give, in an order
        # polars' unique() does not fix: the blocks are compared by kind and size.
        assert sorted(by_part.oversized.select("kind", "size").iter_rows()) == sorted(
            whole.oversized.select("kind", "size").iter_rows()
        )
        assert cap > 3 or whole.oversized.height > 0  # small caps skip blocks: the comparison is not empty
        assert cap < 50 or whole.pairs.height > 100


def test_no_two_key_parts_make_keys_of_one_kind(people_sets):
    """Each part of the keys has kinds of its own, so no key is held across parts: what people_candidates relies on."""
    from sfbridge.matching.blocking import _key_parts  # noqa: PLC0415 (the parts under test)

    seen: dict[str, int] = {}
    for people in people_sets:
        for number, part in enumerate(_key_parts(people)):
            for kind in part.collect().get_column("kind").unique().to_list():
                assert seen.setdefault(kind, number) == number, f"{kind} is made by parts {seen[kind]} and {number}"
    assert {"email", "phone", "name_company", "birthdate", "address_last", "postcode"} <= set(seen)


def test_held_keeps_only_the_rows_of_keys_enough_rows_hold_in_their_order():
    """A part's keys held once go (at the default caps): only the rows of a shared key stay, in order."""
    from sfbridge.matching.blocking import _held  # noqa: PLC0415 (the step under test)

    held = [7, 3, 9, 3, 5, 7, 1]
    keys = pl.DataFrame(
        {"idx": range(len(held)), "kind": ["email"] * len(held), "key": held},
        schema={"idx": pl.UInt32, "kind": pl.Enum(KINDS), "key": pl.UInt64},
    )
    assert _held(keys, smallest=2).get_column("idx").to_list() == [0, 1, 3, 5]
    assert _held(keys, smallest=1).height == len(held)
    assert _held(keys, smallest=3).is_empty()
