"""Rank the records of a duplicate cluster: the first is the survivor, the record the others merge into.

The ranking is a list of criteria from a fixed vocabulary (:data:`SURVIVOR_CRITERIA`),
applied in order, each breaking the ties the ones before it leave; the record Id ascending
(the oldest record, as Salesforce Ids grow) breaks whatever ties remain, so the ranking is
the same on every run.

``contact`` first is the default and should stay first: a Lead can be converted into a
Contact, never a Contact into a Lead, and Salesforce merges records of one object only. A
later place is allowed (an org that keeps its Leads as the master data, say), but then a Lead
may survive over a Contact, and such a cluster cannot be merged in one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import polars as pl

__all__ = ["DEFAULT_ORDER", "SURVIVOR_CRITERIA", "SurvivorCriterion", "rank_members", "touched"]

#: A criterion of the survivor ranking.
SurvivorCriterion = Literal["contact", "most_complete", "most_recent_activity", "oldest", "newest"]
#: Every criterion, in the order the documentation lists them.
SURVIVOR_CRITERIA: tuple[SurvivorCriterion, ...] = get_args(SurvivorCriterion)
#: Contact over Lead, then the most complete record, then the most recent activity (else creation).
DEFAULT_ORDER: tuple[SurvivorCriterion, ...] = ("contact", "most_complete", "most_recent_activity")

_UTC = pl.Datetime("us", "UTC")


def touched() -> pl.Expr:
    """When a record was last worked on: its last activity, else (never worked on) its creation."""
    return pl.coalesce(pl.col("last_activity").cast(_UTC), pl.col("created_at"))


def _key(criterion: SurvivorCriterion) -> tuple[pl.Expr, bool]:
    """The sort key a criterion ranks by, and whether larger values rank first."""
    if criterion == "contact":
        return pl.col("sobject") == "Contact", True
    if criterion == "most_complete":
        return pl.col("filled"), True
    if criterion == "most_recent_activity":
        return touched(), True
    if criterion == "oldest":
        return pl.col("created_at"), False
    if criterion == "newest":
        return pl.col("created_at"), True
    msg = f"unknown survivor criterion {criterion!r}; criteria are {', '.join(SURVIVOR_CRITERIA)}"
    raise ValueError(msg)


def rank_members(members: pl.DataFrame, order: Sequence[SurvivorCriterion] = DEFAULT_ORDER) -> pl.DataFrame:
    """Rank each cluster's members, best record to keep first.

    Args:
        members: one row per member with ``component`` (its cluster), ``record_id``,
            ``sobject``, ``filled``, ``created_at`` and ``last_activity``.
        order: the criteria, most important first; the record Id ascending breaks the last ties.

    Returns:
        The members sorted by cluster and rank, with ``rank`` (1 for the survivor). A
        missing date ranks after every known one, whichever way its criterion sorts.
    """
    keys = [_key(criterion) for criterion in dict.fromkeys(order)]  # a repeated criterion decides nothing new
    columns = [f"_key{position}" for position in range(len(keys))]
    keyed = members.with_columns(
        [expr.alias(name) for (expr, _), name in zip(keys, columns, strict=True)],
    )
    ranked = keyed.sort(
        ["component", *columns, "record_id"],
        descending=[False, *[descending for _, descending in keys], False],
        nulls_last=True,
    )
    return ranked.with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("component")).drop(columns)
