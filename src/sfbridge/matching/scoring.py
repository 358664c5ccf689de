"""Weigh a pair's agreement levels into one match probability, with a waterfall of what counted.

A pair's weight is the model's prior plus each comparison's weight (see
:mod:`~sfbridge.matching.model`), and becomes a probability (2^w / (1 + 2^w)). With a learned
model, an exact agreement weighs by how rare the shared value is (term frequency, as Splink
adjusts it): sharing the surname "Okonkwo-Brandt" says more than sharing "Smith", and an email
or phone held by a whole team says little. The weight of a shared value v is log2(m / tf(v)),
tf(v) being v's share of the people who have a value at all.

Three rules stand above the weights, because the weights treat each comparison as independent
evidence and people who are merely close break that: colleagues share a company, its address
and its email domain; relatives share a home, a phone and a surname; namesakes share a name and
a town. So:

- two given names that are both real and different (not nicknames, initials or typos of each
  other) are two people unless they share an email address or a birthdate: relatives at one
  address with one home phone, colleagues behind one switchboard ("Katie" for "Katherine",
  which the nickname list lacks, still meets her own mailbox; twins are rarer than a first
  name typed wrong);
- two different surnames (not a typo, not sounding alike, neither part of the other) are two
  people unless the records share something personal: an email, a phone number or a birthdate
  (a surname changed at marriage keeps the person's email and mobile);
- two private people (no shared employer) at two different street addresses are namesakes
  unless they share something personal: one name in one town is not one person, and a
  person who moved is a merge for someone who knows it, not for a guess.

A rule caps the pair's weight at ``HARD_NEGATIVE_WEIGHT``, the waterfall shows it, and
clusters are not built across such pairs (see :mod:`~sfbridge.matching.linking`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from sfbridge.matching.model import MatchModel
from sfbridge.matching.priors import COMPARISONS, WEIGHTS

__all__ = [
    "HARD_NEGATIVE_WEIGHT",
    "TF_COLUMNS",
    "TF_LEVELS",
    "Frequencies",
    "score_pairs",
    "summed_weight",
    "weight_columns",
]

#: The most a pair a hard-negative rule keeps apart may weigh (a match probability of about 3 %).
HARD_NEGATIVE_WEIGHT = -5.0

#: The value each term-frequency-adjusted comparison shares when it agrees exactly.
TF_COLUMNS: Mapping[str, str] = {
    "first": "first_fold",
    "last": "last_fold",
    "email": "email_key",
    "phone": "shared_phone",
    "company": "company_key",
    "address": "address_id",
    "postcode": "postcode_key",
    "city": "city_fold",
}

# The place levels, and the value whose frequency weighs each (a rare company, a house few
# people live in, a small town's name).
_PLACE_TF = {
    "employer_address": "company",
    "employer": "company",
    "address": "address",
    "postcode": "postcode",
    "city": "city",
}
# The level of each term-frequency comparison that is an exact agreement.
_EXACT = {"first": "same", "last": "same", "email": "same", "phone": "same"}
#: Per comparison, the levels whose weight is adjusted by the shared value's frequency.
TF_LEVELS: Mapping[str, tuple[str, ...]] = {name: (level,) for name, level in _EXACT.items()} | {
    "place": tuple(_PLACE_TF)
}


@dataclass(frozen=True)
class Frequencies:
    """How many people hold each value of the term-frequency columns.

    Attributes:
        counts: per comparison, a frame of the value (named as in :data:`TF_COLUMNS`) and ``tf``
            (its share of the people holding a value).
        shared: per comparison, the chance that two people holding a value hold the same one:
            the sum of tf² over the values.
    """

    counts: Mapping[str, pl.DataFrame]
    shared: Mapping[str, float]

    @classmethod
    def of(cls, people: pl.DataFrame, phones: pl.DataFrame, emails: pl.DataFrame) -> Frequencies:
        """Count the values of normalised people.

        Args:
            people: normalised people with ``address_id``.
            phones: ``shared_phone`` and ``phone_count`` (people per number).
            emails: ``email_key`` and ``email_count`` (people per usable address).
        """
        counts: dict[str, pl.DataFrame] = {}
        shared: dict[str, float] = {}
        for value, column in TF_COLUMNS.items():
            if value == "phone":
                values = phones.select(column, count=pl.col("phone_count"))
            elif value == "email":
                values = emails.select(column, count=pl.col("email_count"))
            else:
                values = people.lazy().select(column).drop_nulls().group_by(column).agg(count=pl.len()).collect()
            total = max(int(values.get_column("count").sum() or 0), 1)
            counts[value] = values.select(column, tf=pl.col("count").cast(pl.Float64) / total)
            # Σ tf² as Σ n² / M² in integers: a group_by's rows come in a different order each
            # run (its threads race), and a float sum over them differed in the last bit between
            # runs, and with it the learned weights and the scores. An integer sum is exact in
            # any order, and Python divides integers correctly rounded.
            count = pl.col("count").cast(pl.Int64)
            squares = int(values.select((count * count).sum()).item() or 0)
            shared[value] = squares / (total * total)
        return cls(counts, shared)


def _level_weight(model: MatchModel, comparison: str, level: str) -> pl.Expr:
    weights = {name: model.weight(comparison, name) for name in WEIGHTS[comparison]}
    return pl.col(level).replace_strict(weights, return_dtype=pl.Float64)


def _shared(comparison: str, count: str) -> pl.Expr:
    # Priors only: a value held by k people drops by log2(k-1) (each pair of them shares it).
    discount = pl.col(count).fill_null(2).cast(pl.Float64).sub(1).clip(lower_bound=1).log(2)
    weight = pl.col(comparison).replace_strict(WEIGHTS[comparison], return_dtype=pl.Float64)
    return pl.when(pl.col(comparison) == "same").then((weight - discount).clip(lower_bound=0)).otherwise(weight)


def _tf(model: MatchModel, comparison: str) -> pl.Expr:
    # log2(m / tf(v)) for an exact agreement on a value v; the level's own weight otherwise
    # (and where the value's frequency is unknown, e.g. a company matched only by domain).
    plain = _level_weight(model, comparison, comparison)
    levels = _PLACE_TF if comparison == "place" else {_EXACT[comparison]: comparison}
    chain: Any = pl  # pl.when(...).then(...).when(...): polars types each link differently
    for level, value in levels.items():
        m = max(model.m[comparison][level], 1e-9)
        tf = pl.col(f"tf_{value}")
        chain = chain.when((pl.col(comparison) == level) & tf.is_not_null()).then((pl.lit(m) / tf).log(2))
    weight: pl.Expr = chain.otherwise(plain)
    return weight


def _swap(compared: pl.DataFrame) -> pl.DataFrame:
    # Names typed the wrong way round ("Courtier Chloé") count when that reading fits better;
    # the readings are compared by the hand weights, so the choice never depends on the fit.
    def hand(comparison: str, level: str) -> pl.Expr:
        return pl.col(level).replace_strict(WEIGHTS[comparison], return_dtype=pl.Float64)

    straight = hand("first", "first") + hand("last", "last")
    swapped = hand("first", "last_as_first") + hand("last", "first_as_last")
    # A reading with one name blank on a side ("Moore Oscar" / "Oscar") counts too.
    readable = (pl.col("first_as_last") != "missing") | (pl.col("last_as_first") != "missing")
    swap = (swapped > straight) & readable
    frame = compared.with_columns(swapped=swap)
    # From here on ``first`` and ``last`` are the levels of the reading chosen.
    return frame.with_columns(
        first=pl.when(swap).then(pl.col("last_as_first")).otherwise(pl.col("first")),
        last=pl.when(swap).then(pl.col("first_as_last")).otherwise(pl.col("last")),
        given_known=pl.when(swap).then(pl.col("given_known_swapped")).otherwise(pl.col("given_known")),
    )


def _with_tf(frame: pl.DataFrame, frequencies: Frequencies) -> pl.DataFrame:
    for value, column in TF_COLUMNS.items():
        # A join hashes its whole right side: an email, phone or address table has a row per
        # value of a million people (~100 MB of hash table each), the pairs' values are a
        # fraction of them. So the table is cut to the pairs' values first.
        shown = frame.get_column(column).drop_nulls().unique().implode()
        table = frequencies.counts[value].filter(pl.col(column).is_in(shown)).rename({"tf": f"tf_{value}"})
        frame = frame.join(table, on=column, how="left", maintain_order="left")
    # A swapped name shares its value across columns; its level weight stands. A company is
    # counted only when the companies themselves agree (not just the email domains).
    return frame.with_columns(
        pl.when(~pl.col("swapped")).then(pl.col("tf_first")),
        pl.when(~pl.col("swapped")).then(pl.col("tf_last")),
        pl.when(pl.col("company") == "same").then(pl.col("tf_company")),
    )


def weight_columns() -> list[str]:
    """The per-comparison weight columns :func:`score_pairs` adds (``w_first``, …)."""
    return [f"w_{comparison}" for comparison in COMPARISONS]


def summed_weight(prior: float) -> pl.Expr:
    """The prior plus every comparison's weight, added one at a time in :data:`COMPARISONS` order.

    Not ``pl.sum_horizontal``: polars adds its columns in a tree whose shape follows its
    thread pool, so a pair's weight differed in the last bit between runs and machines
    (on a generated org of 10,000 people, a quarter of the pairs between 1 and 2 threads),
    and a score on the threshold could flip. A chain of ``+`` is added left to right.
    """
    total = pl.lit(prior, dtype=pl.Float64)
    for column in weight_columns():
        total = total + pl.col(column)
    return total


def score_pairs(compared: pl.DataFrame, model: MatchModel, frequencies: Frequencies | None = None) -> pl.DataFrame:
    """Score compared pairs.

    Args:
        compared: from :func:`~sfbridge.matching.compare.compare_pairs`, with ``email_count``
            and ``phone_count`` (how many people hold the shared email and phone) and, for
            term frequencies, ``address_id`` of the left record.
        model: the weights.
        frequencies: the value frequencies, for a learned model's term-frequency adjustment.

    Returns:
        The pairs with ``swapped`` (whether the names match first-for-last; ``first`` and
        ``last`` then hold the swapped reading's levels), ``w_<comparison>`` per comparison,
        ``hard_negative`` (the rule that caps the weight, or null), ``weight`` (the log2 odds)
        and ``score`` (the match probability, 0-1).
    """
    frame = _swap(compared)
    if model.learned and frequencies is not None:
        frame = _with_tf(frame, frequencies)
        weights = {f"w_{c}": _tf(model, c) if c in TF_LEVELS else _level_weight(model, c, c) for c in COMPARISONS}
    elif model.learned:
        weights = {f"w_{c}": _level_weight(model, c, c) for c in COMPARISONS}
    else:
        weights = {f"w_{c}": _level_weight(model, c, c) for c in COMPARISONS}
        weights |= {"w_email": _shared("email", "email_count"), "w_phone": _shared("phone", "phone_count")}
    frame = frame.with_columns(**weights)
    total = summed_weight(model.prior)
    personal = (
        pl.col("email").is_in(["same", "typo"])
        | (pl.col("phone") == "same")
        | pl.col("birthdate").is_in(["same", "similar"])
    )
    rule = (
        pl.when(
            (pl.col("first") == "different")
            & pl.col("given_known")
            & ~pl.col("email").is_in(["same", "typo"])
            & (pl.col("birthdate") != "same")
        )
        .then(pl.lit("different given names"))
        .when((pl.col("last") == "different") & ~personal)
        .then(pl.lit("different surnames, nothing personal shared"))
        .when((pl.col("place") == "other_address") & ~personal)
        .then(pl.lit("different home addresses, nothing personal shared"))
    )
    frame = frame.with_columns(hard_negative=rule)
    weight = (
        pl.when(pl.col("hard_negative").is_not_null())
        .then(pl.min_horizontal(total, pl.lit(HARD_NEGATIVE_WEIGHT)))
        .otherwise(total)
    )
    frame = frame.with_columns(weight=weight)
    return frame.with_columns(score=1.0 / (1.0 + pl.lit(2.0).pow(-pl.col("weight"))))
