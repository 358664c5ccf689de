"""Group matched pairs into clusters of one person, and pick the record each should merge into.

Matches are transitive here: if A matches B and B matches C, the three are one cluster
(connected components of the match graph, by scipy). That is how a Lead with only an email
and a Lead with only a phone end up with the Contact that has both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix  # type: ignore[import-untyped]  # scipy ships no type hints
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]  # likewise

from sfbridge.matching.survivorship import DEFAULT_ORDER, SurvivorCriterion, rank_members

__all__ = ["cluster_members", "components", "direct_links"]


def components(pairs: pl.DataFrame) -> pl.DataFrame:
    """The connected components of a graph of pairs.

    Args:
        pairs: ``left`` and ``right`` (row numbers), one edge each.

    Returns:
        ``idx`` (every row number in a pair, ascending) and ``component`` (a label per component).
    """
    nodes = pl.concat([pairs.get_column("left"), pairs.get_column("right")]).unique().sort()
    # Positions by binary search in the sorted nodes: a Python dict of a million ids is slower.
    rows = nodes.search_sorted(pairs.get_column("left")).to_numpy().astype(np.int64)
    cols = nodes.search_sorted(pairs.get_column("right")).to_numpy().astype(np.int64)
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    return pl.DataFrame({"idx": nodes, "component": pl.Series(labels, dtype=pl.Int64)})


def cluster_members(
    people: pl.DataFrame, matched: pl.DataFrame, order: Sequence[SurvivorCriterion] = DEFAULT_ORDER
) -> pl.DataFrame:
    """The clusters formed by matched pairs, one row per member, with each cluster's survivor.

    The survivor is the record to keep, the first by ``order`` (see
    :mod:`~sfbridge.matching.survivorship`). By default: a Contact over a Lead (a Lead can be
    converted into a Contact, never the other way), then the most complete record, then the
    most recent activity (else creation), then the oldest Id.

    Args:
        people: normalised people.
        matched: pairs (``left``, ``right`` row numbers) judged to be one person.
        order: the survivor criteria, most important first.

    Returns:
        ``cluster_id`` (the smallest record Id in the cluster: stable while that record
        lives), ``idx``, ``record_id``, ``sobject``, ``size``, ``rank`` (1 for the survivor,
        then the next record to keep), ``survivor_id`` and ``survivor_sobject``.
    """
    schema = {"cluster_id": pl.Utf8, "idx": pl.UInt32, "record_id": pl.Utf8, "sobject": pl.Utf8, "size": pl.UInt32}
    if matched.is_empty():
        return pl.DataFrame(schema=schema | {"rank": pl.UInt32, "survivor_id": pl.Utf8, "survivor_sobject": pl.Utf8})
    members = components(matched).with_columns(pl.col("idx").cast(pl.UInt32))
    # Only what ranking reads: a join copies (and first gathers into one chunk) every column it
    # is given, and the people frame has dozens over the whole org.
    ranked_by = people.select("idx", "record_id", "sobject", "filled", "created_at", "last_activity")
    ranked = rank_members(members.join(ranked_by, on="idx", how="left"), order)
    survivors = ranked.group_by("component", maintain_order=True).agg(
        survivor_id=pl.col("record_id").first(),
        survivor_sobject=pl.col("sobject").first(),
        cluster_id=pl.col("record_id").min(),
        size=pl.len(),
    )
    return (
        ranked.join(survivors, on="component")
        .select("cluster_id", "idx", "record_id", "sobject", "size", "rank", "survivor_id", "survivor_sobject")
        .sort("cluster_id", "record_id")
    )


def direct_links(pairs: pl.DataFrame) -> pl.DataFrame:
    """Per record, the records it matched directly, best first.

    Args:
        pairs: matched pairs (``left_id``, ``right_id``, ``left_sobject``, ``right_sobject``,
            ``score``, ``reasons``, ``waterfall``).

    Returns:
        ``record_id``, ``best_score`` and ``matches`` (a list of structs: ``other_id``,
        ``other_sobject``, ``score``, ``reasons``, ``waterfall``).
    """
    sides = [
        pairs.select(
            record_id=f"{me}_id",
            other_id=f"{other}_id",
            other_sobject=f"{other}_sobject",
            score="score",
            reasons="reasons",
            waterfall="waterfall",
        )
        for me, other in (("left", "right"), ("right", "left"))
    ]
    return (
        pl.concat(sides)
        .sort("score", descending=True)
        .group_by("record_id", maintain_order=True)
        .agg(
            best_score=pl.col("score").max(),
            matches=pl.struct("other_id", "other_sobject", "score", "reasons", "waterfall"),
        )
    )
