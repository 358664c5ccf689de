"""Clusters from matched pairs, without bridges between people the rules keep apart.

Matches are transitive: if A matches B and B matches C, the three are one person. That is how
a Lead with only an email and a Lead with only a phone end up with the Contact that has both.
But a record with little on it bridges people it cannot tell apart: "Rebecca Rice, London"
(no street) matches the Rebecca Rice of Nicholson Road and the one of Holt Street, whom their
addresses keep apart. So pairs are linked strongest first (union-find), and two clusters are
not joined when the hard-negative pairs between them (see :mod:`~sfbridge.matching.scoring`)
are at least as many as the matches between them: the bridging record stays with the people
it matched first. A tie keeps them apart: a record with no first name at a family's address
matches Donna and Tristan Davidson alike, and one match cannot outweigh the rule that keeps
the two apart (on the generated name-and-address set, precision 0.967 → 0.976 at the same
F1). One noisy pair inside a well-matched cluster ("Katie" among five records of Katherine)
does not split it. Only the connected groups of matches that hold a pair a rule keeps apart
are linked one pair at a time (a Python loop); the others are clusters as they stand.
"""

from __future__ import annotations

import polars as pl

from sfbridge.matching.clusters import components

__all__ = ["kept_links"]


def _find(parent: dict[int, int], node: int) -> int:
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:  # path compression: later finds are one step
        parent[node], node = root, parent[node]
    return root


def kept_links(matched: pl.DataFrame, apart: pl.DataFrame) -> pl.DataFrame:
    """The matched pairs that link clusters, strongest first, never across a cannot-link pair.

    Args:
        matched: ``left``, ``right`` (row numbers) and ``score`` of the pairs judged one person.
        apart: ``left`` and ``right`` of pairs that must never share a cluster.

    Returns:
        ``left`` and ``right`` of the links kept: their connected components are the clusters
        (every record in one has a link kept).
    """
    if matched.is_empty():
        return matched.select("left", "right")
    # Linking strongest first only decides anything in a connected group of matches that holds
    # a pair a rule keeps apart: 137 of the 17,268 groups (486 of 36,176 matches) of the
    # million-record benchmark org. Every other group is a cluster as it stands, all its
    # matches kept, without a Python loop over its pairs.
    nodes = components(matched)
    matched = matched.join(nodes.rename({"idx": "left"}), on="left", how="left", maintain_order="left")
    inside = (
        apart.join(nodes.rename({"idx": "left"}), on="left")
        .join(nodes.rename({"idx": "right", "component": "other"}), on="right")
        .filter(pl.col("component") == pl.col("other"))
    )
    tangled = pl.col("component").is_in(inside.get_column("component").implode())
    untangled = matched.filter(~tangled).select("left", "right")
    return pl.concat([untangled, _linked_strongest_first(matched.filter(tangled), inside.select("left", "right"))])


def _linked_strongest_first(matched: pl.DataFrame, apart: pl.DataFrame) -> pl.DataFrame:
    """The links kept by union-find over ``matched``, strongest first, joining no two clusters the rules keep apart."""
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    forbidden_nodes: dict[int, set[int]] = {}  # per record: the records a rule keeps it apart from
    for node in set(matched.get_column("left").to_list()) | set(matched.get_column("right").to_list()):
        parent[node], members[node], forbidden_nodes[node] = node, {node}, set()
    for left, right in apart.select("left", "right").iter_rows():
        if left in parent and right in parent:
            forbidden_nodes[left].add(right)
            forbidden_nodes[right].add(left)
    linked: dict[int, set[int]] = {node: set() for node in parent}
    for left, right in matched.select("left", "right").iter_rows():
        linked[left].add(right)
        linked[right].add(left)
    kept = []
    ordered = matched.sort(["score", "left", "right"], descending=[True, False, False])
    for left, right in ordered.select("left", "right").iter_rows():
        a, b = _find(parent, left), _find(parent, right)
        if a == b:
            continue
        small, large = (members[a], members[b]) if len(members[a]) < len(members[b]) else (members[b], members[a])
        kept_apart = sum(len(forbidden_of & large) for forbidden_of in (forbidden_nodes[x] for x in small))
        if kept_apart >= sum(len(linked[x] & large) for x in small):
            continue  # a bridge between people the rules keep apart at least as often as they match
        if len(members[a]) < len(members[b]):
            a, b = b, a
        parent[b] = a
        members[a] |= members.pop(b)
        kept.append((left, right))
    schema = {"left": matched.schema["left"], "right": matched.schema["right"]}
    return pl.DataFrame(kept, schema=schema, orient="row")
