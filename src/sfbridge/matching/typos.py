"""Typos of a cluster's majority value: "Pga" where two other records of the person say "Puga".

Within a cluster of one person, a value that more records share is the better-attested one.
A value a small edit away from it (a letter dropped, added, changed or two swapped) is
taken for a typo of it and is never the value a merged record carries, even when the
survivor holds it. A value far from it ("Lopez" after marriage, where two records say
"Puga") is another value, not a typo: the field's rule chooses between them.

Values are compared folded (case, accents and punctuation ignored: "Zoë" is "zoe", not a
typo of it) and a difference in digits is never a typo: "1 Main St" and "2 Main St" are two
houses, "10115" and "10117" two postcodes.
"""

from __future__ import annotations

import re

import jellyfish
import polars as pl

__all__ = ["is_typo", "typo_keys"]

_MIN_LENGTH = 4  # "Al" and "Ali" are a name and its short form: too short to call one a typo
_LONG = 9  # from this length two edits are still a slip of the fingers ("Catherine" / "Cathrine")
_DIGITS = re.compile(r"\d+")


def is_typo(value: str, majority: str) -> bool:
    """Whether ``value`` reads as a mistyped ``majority`` (both folded).

    >>> is_typo("pga", "puga")
    True
    >>> is_typo("lopez", "puga")
    False
    >>> is_typo("1 main st", "2 main st")
    False

    Args:
        value: the value under suspicion, folded.
        majority: the value more records carry, folded.

    Returns:
        True when the two differ by one edit (two from :data:`_LONG` characters) and not in
        their digits.
    """
    if value == majority or _DIGITS.findall(value) != _DIGITS.findall(majority):
        return False
    longer = max(len(value), len(majority))
    if longer < _MIN_LENGTH:
        return False
    allowed = 2 if longer >= _LONG else 1
    return jellyfish.damerau_levenshtein_distance(value, majority) <= allowed


def typo_keys(values: pl.DataFrame) -> pl.DataFrame:
    """The values that are typos of a value more records of their cluster carry.

    Args:
        values: one row per usable value of a record: ``cluster_id``, ``field``,
            ``record_id`` and ``key`` (the folded value).

    Returns:
        The distinct ``cluster_id``, ``field`` and ``key`` of the typos, and ``typo_of``
        (the majority value's key they read as).
    """
    counts = values.group_by("cluster_id", "field", "key").agg(holders=pl.col("record_id").n_unique())
    # Only a value at least two records share can outvote another, and only one with fewer holders.
    majority = counts.filter(pl.col("holders") >= 2).rename({"key": "typo_of", "holders": "majority_holders"})  # noqa: PLR2004 (two records)
    suspects = counts.join(majority, on=["cluster_id", "field"]).filter(
        pl.col("holders") < pl.col("majority_holders"),
    )
    schema = {"cluster_id": pl.Utf8, "field": pl.Utf8, "key": pl.Utf8, "typo_of": pl.Utf8}
    if suspects.is_empty():
        return pl.DataFrame(schema=schema)
    # Few pairs: members of clusters that disagree on a field. Each distinct pair is judged once.
    distinct = suspects.select("key", "typo_of").unique()
    verdicts = distinct.with_columns(
        typo=pl.Series(
            [is_typo(key, major) for key, major in distinct.iter_rows()],
            dtype=pl.Boolean,
        )
    )
    typos = suspects.join(verdicts, on=["key", "typo_of"]).filter(pl.col("typo"))
    # A value close to two majority values reads as the one with more holders.
    return (
        typos.sort("majority_holders", descending=True)
        .unique(["cluster_id", "field", "key"], keep="first", maintain_order=True)
        .select(list(schema))
    )
