"""Company names: one key for "Acme, Inc.", "ACME Inc" and "The Acme Corporation".

Legal-form suffixes come from cleanco's list (some 300 forms across many countries: Inc.,
GmbH & Co. KG, S.A. de C.V., Sp. z o.o., K.K., …). cleanco strips them one name at a time
(~100 µs a name); here its list is compiled into one regular expression that polars runs over
a whole column at once. Then "&" and "and" are made one, a leading "The" goes, and spacing and
punctuation stop mattering.
"""

from __future__ import annotations

import functools
import re

import polars as pl
from cleanco import prepare_default_terms  # type: ignore[import-untyped]  # cleanco has no type hints

from sfbridge.matching.fold import strip_accents_expr

__all__ = ["company_key_expr", "company_name_expr"]

# Forms cleanco 2.3 lacks (as folded words): Canada's "Ltée" and Mexico's "S. de R.L. de C.V.".
_EXTRA_TERMS = (("ltee",), ("s", "de", "rl", "de", "cv"), ("sapi", "de", "cv"), ("sab", "de", "cv"))


@functools.cache
def _suffix_pattern() -> str:
    terms = {tuple(parts) for _, parts in prepare_default_terms()} | set(_EXTRA_TERMS)
    # Longest first: the regex engine takes the first alternative that matches.
    ordered = sorted(terms, key=lambda parts: (-len(parts), -len(" ".join(parts)), parts))
    alternatives = "|".join(r"\s+".join(re.escape(part) for part in parts) for parts in ordered)
    # One or more trailing legal forms ("Co., Ltd."), each after at least one other word.
    return rf"(?:\s+(?:{alternatives}))+$"


def company_name_expr(company: pl.Expr) -> pl.Expr:
    """A company column without legal form, case, accents or punctuation, words kept apart.

    Args:
        company: a column of company names (``Lead.Company``, ``Account.Name``).

    Returns:
        e.g. ``curry and ludovisi`` for "Curry & Ludovisi, Inc."; null when nothing is left.
    """
    # cleanco's terms are folded with "." and "," removed ("S.p.A." is "spa"), so names are too;
    # no term holds a hyphen, so "Hart-Hotels" keeps its two words.
    text = strip_accents_expr(company).str.replace_all(r"[.,]", "").str.replace_all(r"[\s\-]+", " ").str.strip_chars()
    bare = text.str.replace(_suffix_pattern(), "")
    words = (
        bare.str.replace_all(r"[&+]", " and ")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
        .str.replace(r"^the\s+", "")
    )
    return pl.when(words.str.len_chars() > 0).then(words).otherwise(None)


def company_key_expr(company: pl.Expr) -> pl.Expr:
    """The company name as a key: :func:`company_name_expr` with no spaces ("Hart-Hotels" = "Hart Hotels").

    Args:
        company: a column of company names.

    Returns:
        e.g. ``curryandludovisi``; null when nothing is left.
    """
    return company_name_expr(company).str.replace_all(" ", "", literal=True)
