"""Weigh a pair's agreement levels into one match probability (Fellegi-Sunter style).

Each level carries a weight: log2 of how much more often it is seen between two records of
one person than between two different people who share a blocking key. Weights add up with a
prior, and the sum becomes a probability (2^w / (1 + 2^w)). So one shared valid email (+13)
outweighs a typo in a surname, a shared phone (+9) needs the name to agree too, and two
different given names (-15) keep apart relatives sharing a home phone or colleagues sharing
a switchboard, whatever else they share. A key many people share (a team inbox, a
switchboard) weighs less: its weight drops by log2 of the number of other people holding it.
The numbers are set by hand from these odds, not trained; the demo org and the splink
labelled set hold them to account.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

__all__ = ["PRIOR", "WEIGHTS", "score_pairs"]

#: The log2 odds that two people sharing a blocking key are one, before looking at fields.
PRIOR = -9.0

#: Weight of each agreement level, per compared field.
WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "first": {
        "same": 4.0,
        "nickname": 3.0,
        "partial": 2.0,
        "typo": 2.0,
        "initial": 1.0,
        "weak": -3.0,
        "different": -15.0,
        "missing": 0.0,
    },
    "last": {
        "same": 5.0,
        "partial": 3.0,
        "typo": 3.0,
        "initial": 0.5,
        "weak": -2.0,
        "different": -6.0,
        "missing": 0.0,
    },
    "email": {"same": 13.0, "typo": 6.0, "same_domain": -3.0, "different": -1.5, "missing": 0.0},
    "phone": {"same": 9.0, "different": -1.0, "missing": 0.0},
    "company": {"same": 1.5, "similar": 1.0, "different": -1.5, "missing": 0.0},
    "city": {"same": 1.0, "similar": 0.5, "different": -0.5, "missing": 0.0},
    "country": {"same": 0.0, "similar": 0.0, "different": -1.5, "missing": 0.0},
    "birthdate": {"same": 7.0, "similar": 2.0, "different": -4.0, "missing": 0.0},
}


def _weight(field: str, level: str = "") -> pl.Expr:
    return pl.col(level or field).replace_strict(WEIGHTS[field], return_dtype=pl.Float64)


def _shared(field: str, count: str) -> pl.Expr:
    # A value held by k people: each pair of them shares it, so its weight drops by log2(k-1).
    discount = pl.col(count).fill_null(2).cast(pl.Float64).sub(1).clip(lower_bound=1).log(2)
    return (
        pl.when(pl.col(field) == "same").then((_weight(field) - discount).clip(lower_bound=0)).otherwise(_weight(field))
    )


def score_pairs(compared: pl.DataFrame) -> pl.DataFrame:
    """Score compared pairs.

    Args:
        compared: from :func:`~sfbridge.matching.compare.compare_pairs`, with ``email_count``
            and ``phone_count`` (how many people hold the shared email and phone).

    Returns:
        The pairs with ``swapped`` (whether the names match first-for-last), ``name_weight``,
        ``weight`` (the log2 odds) and ``score`` (the match probability, 0-1).
    """
    straight = _weight("first") + _weight("last")
    swapped = _weight("first", "last_as_first") + _weight("last", "first_as_last")
    # Names typed the wrong way round ("Courtier Chloé") count when that reading fits better.
    swap = (swapped > straight) & (pl.col("first_as_last") != "missing") & (pl.col("last_as_first") != "missing")
    frame = compared.with_columns(swapped=swap, name_weight=pl.when(swap).then(swapped).otherwise(straight))
    weight = (
        pl.lit(PRIOR)
        + pl.col("name_weight")
        + _shared("email", "email_count")
        + _shared("phone", "phone_count")
        + sum((_weight(field) for field in ("company", "city", "country", "birthdate")), pl.lit(0.0))
    )
    frame = frame.with_columns(weight=weight)
    return frame.with_columns(score=1.0 / (1.0 + pl.lit(2.0).pow(-pl.col("weight"))))
