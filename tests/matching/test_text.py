"""Folding text and reading countries: case, accents and spelling of a country stop mattering."""

import json
import subprocess
import sys

import polars as pl
import pytest

from sfbridge.matching.countries import region_expr, region_for_country
from sfbridge.matching.fold import fold, fold_expr
from sfbridge_tools.country_names import OUTPUT as COUNTRY_NAMES
from sfbridge_tools.country_names import country_names, render


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Zoë Zänker", "zoe zanker"),
        ("  JOÃO  ", "joao"),
        ("Łukasz Ørsted", "lukasz orsted"),
        ("O'Brien-Smith", "o brien smith"),
        ("Иван Петров", "ivan petrov"),
        ("Γιώργος", "giorgos"),
        ("王伟", "wangwei"),
        ("--", None),
        (None, None),
    ],
)
def test_fold_drops_case_accents_and_punctuation(text, folded):
    """One name typed with accents, capitals or punctuation folds to one value."""
    assert fold(text) == folded


def test_fold_expr_agrees_with_fold():
    """The column version folds exactly as the single-value version does."""
    values = ["Zoë Zänker", "Łukasz", " Straße ", "Hart-Hotels, Inc.", "Иван Петров", "山田 太郎", "", None]
    column = pl.DataFrame({"v": values}).select(fold_expr(pl.col("v"))).to_series().to_list()
    assert column == [fold(value) for value in values]


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Deutschland", "DE"),
        ("México", "MX"),
        ("fr", "FR"),
        ("Japan", "JP"),
    ],
)
def test_region_for_country_reads_names_codes_and_short_forms(country, region):
    """Countries typed as English or local names, ISO codes or everyday short forms all resolve."""
    assert region_for_country(country) == region


def test_region_expr_falls_back_to_the_default_region():
    """Blank and unknown countries are read in the configured default region."""
    frame = pl.DataFrame({"c": ["Canada", None, "Atlantis"]})
    assert frame.select(region_expr(pl.col("c"), default="GB")).to_series().to_list() == ["CA", "GB", "GB"]


def test_the_bundled_country_names_are_the_installed_phonenumbers_names():
    """`python -m sfbridge_tools.country_names` writes the bundled file as it is (run it on a phonenumbers upgrade).

    pyproject asks for phonenumbers >= 8.13, so a fresh clone may install a release newer than
    the one the file was written from; there the comparison would fail on the release's own
    changes, not on sfbridge's, so it is made against the release the file names.
    """
    bundled, installed = COUNTRY_NAMES.read_text(encoding="utf-8"), country_names()
    release = json.loads(bundled)["phonenumbers"]
    if release != installed["phonenumbers"]:
        pytest.skip(
            f"country_names.json was written from phonenumbers {release}, {installed['phonenumbers']} is installed: "
            "refresh it with python -m sfbridge_tools.country_names"
        )
    assert bundled == render(installed)


def test_reading_a_country_leaves_phonenumbers_geocoding_table_unloaded():
    """Country names come from the bundled file: phonenumbers' module of them loads every prefix's place (~100 MB)."""
    probe = (
        "import sys; from sfbridge.matching.countries import region_for_country; "
        "print(region_for_country('Royaume-Uni'), 'phonenumbers.geodata' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603
    assert done.stdout.split() == ["GB", "False"]
