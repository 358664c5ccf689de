"""The name-and-address labelled set: deterministic, FEBRL-style duplicates, truthful hard negatives, the fixture."""

from pathlib import Path

import faker
import polars as pl
import pytest

from sfbridge_tools.synthetic.nameaddress import COLUMNS, NOISE_KINDS, generate_name_address

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "labelled" / "nameaddress"
PLACEHOLDERS = {"[not provided]", "N/A", None}
HARD_NEGATIVES = ("family", "namesake", "neighbour")


@pytest.fixture(scope="module")
def fixture_rows():
    return pl.read_csv(FIXTURE / "nameaddress_1500.csv", infer_schema_length=0)


def test_same_seed_same_records_other_seed_other_records():
    first = generate_name_address(200, seed=12)
    assert first.equals(generate_name_address(200, seed=12))
    assert not first.equals(generate_name_address(200, seed=13))
    assert first.columns == list(COLUMNS)
    assert first.height >= 200
    assert first["record_id"].is_unique().all()


def test_the_fixture_is_what_the_generator_writes(fixture_rows):
    """The README's command rewrites the fixture byte for byte (names come from Faker: same version only)."""
    recorded = (FIXTURE / "README.md").read_text(encoding="utf-8")
    if f"Faker {faker.VERSION}" not in recorded:
        pytest.skip(f"the fixture was written with another Faker version than {faker.VERSION}")
    assert generate_name_address(1500, seed=12).equals(fixture_rows)


def test_leads_have_no_email_phone_or_company(fixture_rows):
    """Only names, a placeholder company and an address: nothing else to match on."""
    assert not {"email", "phone", "mobile_phone"} & set(fixture_rows.columns)
    assert set(fixture_rows["company"].unique().to_list()) <= PLACEHOLDERS
    assert fixture_rows["company"].value_counts().sort("count")["company"][-1] == "[not provided]"
    countries = set(fixture_rows["country"].drop_nulls().unique().to_list())
    assert {"United States", "United Kingdom", "Germany", "France", "Canada", "Spain"} <= countries


def test_each_cluster_has_one_first_record_and_modified_duplicates(fixture_rows):
    firsts = fixture_rows.filter(pl.col("role") != "duplicate")
    assert firsts["cluster"].is_unique().all()
    assert set(firsts["cluster"]) == set(fixture_rows["cluster"])
    duplicates = fixture_rows.filter(pl.col("role") == "duplicate")
    kinds = duplicates["noise"].str.split(";")
    assert kinds.list.len().min() >= 1
    assert kinds.list.len().max() <= 4
    # Every kind of modification is present in the fixture, and none other.
    assert set(kinds.explode().unique()) == {kind for kind, _ in NOISE_KINDS}
    assert firsts["noise"].null_count() == firsts.height
    assert fixture_rows.group_by("cluster").len()["len"].max() <= 5


def test_a_duplicate_keeps_a_name_and_its_street_or_postcode(fixture_rows):
    duplicates = fixture_rows.filter(pl.col("role") == "duplicate")
    assert duplicates.filter(pl.col("street").is_null() & pl.col("postal_code").is_null()).height == 0
    assert duplicates.filter(pl.col("first_name").is_null() & pl.col("last_name").is_null()).height == 0


def test_modifications_are_what_the_noise_column_says(fixture_rows):
    """A duplicate differs from its cluster's first record where its noise says, and (case aside) only there."""
    firsts = fixture_rows.filter(pl.col("role") != "duplicate").select(
        "cluster", *[pl.col(name).alias(f"{name}_0") for name in ("first_name", "last_name", "street", "postal_code")]
    )
    pairs = fixture_rows.filter(pl.col("role") == "duplicate").join(firsts, on="cluster")
    for row in pairs.iter_rows(named=True):
        noise = set(row["noise"].split(";"))
        if noise & {"swap_names", "case", "accents"}:
            continue
        if row["last_name"] != row["last_name_0"]:
            assert "typo_last" in noise, row
        if row["first_name"] != row["first_name_0"]:
            assert noise & {"typo_first", "nickname", "initial", "missing_first"}, row
        if row["postal_code"] != row["postal_code_0"]:
            assert noise & {"typo_postcode", "postcode_format", "missing_postcode"}, row
    swapped = pairs.filter(pl.col("noise") == "swap_names")
    assert swapped.height > 0
    assert (swapped["first_name"] == swapped["last_name_0"]).all()
    assert (swapped["last_name"] == swapped["first_name_0"]).all()


def test_hard_negatives_are_planted_as_described(fixture_rows):
    """Family, namesakes and neighbours share with the person they were planted beside what they should, no more."""
    firsts = fixture_rows.filter(pl.col("role") != "duplicate")
    related = firsts.filter(pl.col("role").is_in(HARD_NEGATIVES)).join(
        firsts.select(pl.all().name.suffix("_0")), left_on="related", right_on="cluster_0"
    )
    counts = dict(related.group_by("role").len().iter_rows())
    assert all(counts.get(role, 0) >= 20 for role in HARD_NEGATIVES), counts
    family = related.filter(pl.col("role") == "family")
    assert (family["last_name"] == family["last_name_0"]).all()
    assert (family["first_name"].str.slice(0, 3) != family["first_name_0"].str.slice(0, 3)).all()
    namesakes = related.filter(pl.col("role") == "namesake")
    assert (namesakes["first_name"] == namesakes["first_name_0"]).all()
    assert (namesakes["last_name"] == namesakes["last_name_0"]).all()
    assert (namesakes["city"] == namesakes["city_0"]).all()
    neighbours = related.filter(pl.col("role") == "neighbour")
    assert (neighbours["postal_code"] == neighbours["postal_code_0"]).all()
    assert (neighbours["street"] != neighbours["street_0"]).all()
    assert (neighbours["city"] == neighbours["city_0"]).all()
