"""The survivor of a duplicate cluster: each criterion of the configured order changes the choice."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from sfbridge.matching import Matching, MatchSettings, people_frame
from sfbridge.matching.clusters import cluster_members
from sfbridge.matching.survivorship import DEFAULT_ORDER, rank_members

JAN, JUN = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)


def member(record_id, *, sobject="Lead", filled=5, created=JAN, activity=None, component=0):
    return {
        "component": component,
        "record_id": record_id,
        "sobject": sobject,
        "filled": filled,
        "created_at": created,
        "last_activity": activity,
    }


def survivor(*members, order=DEFAULT_ORDER):
    ranked = rank_members(pl.DataFrame(list(members)), order)
    return ranked.filter(pl.col("rank") == 1).get_column("record_id").to_list()


# Two records per case: the default order keeps the first, the other order the second.
CASES = {
    "contact": (
        [member("C1", sobject="Contact", filled=3), member("L1", filled=9)],
        ["most_complete", "contact"],
        "L1",
    ),
    "most_complete": (
        [member("L1", filled=9), member("L2", filled=3, activity=date(2026, 1, 1))],
        ["most_recent_activity", "most_complete"],
        "L2",
    ),
    "most_recent_activity": (
        [member("L2", created=JAN, activity=date(2026, 1, 1)), member("L1", created=JUN)],
        ["newest", "most_recent_activity"],
        "L1",
    ),
}


@pytest.mark.parametrize("criterion", list(CASES))
def test_each_default_criterion_can_be_outranked_by_another(criterion):
    """The default order picks one record; an order putting another criterion first picks the other."""
    members, order, other = CASES[criterion]
    assert survivor(*members) == [members[0]["record_id"]]
    assert survivor(*members, order=order) == [other]


def test_oldest_and_newest_pick_opposite_records_and_missing_dates_rank_last():
    """``oldest`` keeps the first created, ``newest`` the last; a record without a date never wins on it."""
    members = [member("L1", created=JUN), member("L2", created=JAN), member("L0", created=None)]
    assert survivor(*members, order=["oldest"]) == ["L2"]
    assert survivor(*members, order=["newest"]) == ["L1"]


def test_activity_falls_back_to_creation():
    """A record never worked on counts as last touched when it was created."""
    members = [member("L1", created=JAN, activity=date(2025, 1, 1)), member("L2", created=JUN)]
    assert survivor(*members, order=["most_recent_activity"]) == ["L2"]


def test_the_record_id_breaks_the_last_tie_and_ranks_are_numbered_per_cluster():
    """Records equal on every criterion rank by Id; every cluster counts its ranks from 1."""
    ranked = rank_members(
        pl.DataFrame([member("L9"), member("L3"), member("L7", component=1), member("L5", component=1)]),
        DEFAULT_ORDER,
    )
    assert ranked.select("record_id", "rank").rows() == [("L3", 1), ("L9", 2), ("L5", 1), ("L7", 2)]


def test_an_empty_order_keeps_the_oldest_id():
    """With no criteria the smallest record Id survives, even over a fuller Contact."""
    assert survivor(member("L2"), member("M9", sobject="Contact", filled=12), order=[]) == ["L2"]


def test_cluster_members_carry_the_rank_and_follow_the_order():
    """``cluster_members`` ranks by the order given and keeps the default without one."""
    people = pl.DataFrame([member("C1", sobject="Contact", filled=2) | {"idx": 0}, member("L1", filled=8) | {"idx": 1}])
    people = people.with_columns(pl.col("idx").cast(pl.UInt32))
    matched = pl.DataFrame({"left": [0], "right": [1]}, schema={"left": pl.UInt32, "right": pl.UInt32})
    default = cluster_members(people, matched)
    assert default.select("record_id", "rank", "survivor_id").rows() == [("C1", 1, "C1"), ("L1", 2, "C1")]
    lead_first = cluster_members(people, matched, ["most_complete"])
    assert lead_first.get_column("survivor_id").unique().to_list() == ["L1"]
    assert lead_first.filter(pl.col("record_id") == "L1").get_column("rank").item() == 1


def test_the_engine_ranks_by_the_settings_order():
    """``MatchSettings.survivor`` reaches the clusters the duplicate checks read."""
    rows = [
        {"sobject": "Lead", "record_id": "L1", "first_name": "Ann", "last_name": "Lee", "email": "ann@acme.example"}
        | {"created_at": JUN, "country": "US"},
        {"sobject": "Lead", "record_id": "L2", "first_name": "Ann", "last_name": "Lee", "email": "ann@acme.example"}
        | {"created_at": JAN, "country": "US"},
    ]
    people = people_frame(pl.DataFrame(rows))
    for order, expected in ((["newest"], "L1"), (["oldest"], "L2")):
        matching = Matching(people, settings=MatchSettings(workers=1, survivor=tuple(order)))
        assert matching.clusters.get_column("survivor_id").unique().to_list() == [expected]
