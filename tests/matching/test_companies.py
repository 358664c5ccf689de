"""Company names without legal form, punctuation, case, a leading "The" or "&" vs "and"."""

import polars as pl
import pytest

from sfbridge.matching.companies import company_key_expr, company_name_expr

SUFFIXES = [
    "Inc.", "Inc", "LLC", "L.P.", "LLP", "Corp.", "Corporation", "Co.", "Co., Ltd.", "Ltd", "Ltd.", "Limited",
    "plc", "GmbH", "GmbH & Co. KG", "KG", "AG", "SE", "S.A.", "S.A.S.", "SAS", "SARL", "S.L.", "S.p.A.",
    "S.r.l.", "B.V.", "N.V.", "Pty Ltd", "Pty. Ltd.", "K.K.", "Ltda.", "Ltée", "S.A. de C.V.",
    "S. de R.L. de C.V.", "Sp. z o.o.", "A.E.", "E.P.E.", "Oy", "AB", "A/S",
]  # fmt: skip


def keys(*names):
    return pl.DataFrame({"c": list(names)}).select(company_key_expr(pl.col("c"))).to_series().to_list()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_company_key_drops_legal_forms_of_many_countries(suffix):
    """A legal form from any of many countries, with or without a comma, leaves the bare name."""
    assert keys(f"Hart Hotels {suffix}", f"Hart Hotels, {suffix}") == ["harthotels", "harthotels"]


def test_company_key_ignores_the_and_ampersands_case_and_spacing():
    """The names "The Acme Corporation", "ACME inc" and "acme" are one company; "&" is "and"."""
    assert len(set(keys("The Acme Corporation", "ACME inc", "acme"))) == 1
    assert keys("Marini & Kas", "marini and kas", "Hart-Hotels") == ["mariniandkas", "mariniandkas", "harthotels"]


def test_company_key_keeps_names_that_are_only_a_legal_form():
    """A company named "Ltd" keeps its name: nothing but the suffix would be left."""
    assert keys("Ltd", None) == ["ltd", None]


def test_company_name_keeps_words_apart():
    """The display form keeps spaces for fuzzy comparison."""
    frame = pl.DataFrame({"c": ["Curry & Ludovisi, Inc."]})
    assert frame.select(company_name_expr(pl.col("c"))).item() == "curry and ludovisi"
