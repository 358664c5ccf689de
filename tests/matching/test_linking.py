"""Clusters never bridge people the rules keep apart, and one noisy pair does not split a person."""

import polars as pl

from sfbridge.matching.linking import kept_links


def clusters(matched, apart):
    links = kept_links(
        pl.DataFrame(matched, schema={"left": pl.UInt32, "right": pl.UInt32, "score": pl.Float64}, orient="row"),
        pl.DataFrame(apart, schema={"left": pl.UInt32, "right": pl.UInt32}, orient="row"),
    )
    groups = {node: {node} for pair in matched for node in pair[:2]}
    for left, right in links.iter_rows():
        merged = groups[left] | groups[right]
        for node in merged:
            groups[node] = merged
    return {frozenset(group) for group in groups.values()}


def test_a_record_matching_two_namesakes_joins_the_one_it_matches_best():
    """0 (no street) matches 1 and 2; 1 is kept apart from 2 and from 3 (2's other record): 0 goes with 1."""
    matched = [(0, 1, 0.99), (2, 3, 0.99), (0, 2, 0.95)]
    assert clusters(matched, [(1, 2), (1, 3)]) == {frozenset({0, 1}), frozenset({2, 3})}


def test_a_tie_between_matches_and_rules_keeps_apart():
    """One match across, one rule across: a bare record does not join a family; it stays with its stronger match."""
    assert clusters([(0, 1, 0.99), (0, 2, 0.95)], [(1, 2)]) == {frozenset({0, 1}), frozenset({2})}


def test_two_matches_across_outweigh_one_rule():
    """Record 3 matches 0 and 1 of the cluster, and a rule keeps it from 2 only: it joins."""
    matched = [(0, 1, 0.99), (0, 2, 0.99), (0, 3, 0.9), (1, 3, 0.9)]
    assert clusters(matched, [(2, 3)]) == {frozenset({0, 1, 2, 3})}


def test_without_rules_matches_are_transitive():
    assert clusters([(0, 1, 0.99), (0, 2, 0.95)], []) == {frozenset({0, 1, 2})}


def test_one_noisy_pair_inside_a_well_matched_person_does_not_split_it():
    """Records 0-3 match each other; the rule keeps 0 and 3 apart, but 3 matches 1 and 2: one person."""
    matched = [(0, 1, 0.99), (0, 2, 0.99), (1, 2, 0.99), (1, 3, 0.9), (2, 3, 0.9)]
    assert clusters(matched, [(0, 3)]) == {frozenset({0, 1, 2, 3})}
