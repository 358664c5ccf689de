"""Proving a mirror exact: counts under one cut-off, Id reconciles when they differ, and when to give up."""

from datetime import UTC, datetime, timedelta

import pytest

from sfbridge.errors import FatalSalesforceError
from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
from sfbridge.pull.proof import MAX_RECONCILES, ProofInputs, prove
from sfbridge.pull.windows import MaxSplitsError, Window, split
from sfbridge.schema import ObjectSpec

CUTOFF = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
SCHEMA = ObjectSchema(
    sobject="Lead",
    fields=(
        FieldInfo(name="Id", sf_type="id", kind=ColumnKind.TEXT),
        FieldInfo(name="SystemModstamp", sf_type="datetime", kind=ColumnKind.DATETIME),
        FieldInfo(name="CreatedDate", sf_type="datetime", kind=ColumnKind.DATETIME),
    ),
    replicateable=True,
    cursor="SystemModstamp",
)


class Org:
    """Counts and Id reads; `ghosts` are counted by COUNT() but never returned (a record the query cannot see)."""

    def __init__(self, ids, ghosts=0):
        """The org's Ids, and how many more records COUNT() sees."""
        self.ids, self.ghosts, self.queries = set(ids), ghosts, []

    def count(self, soql, **_where):
        """COUNT() under the cut-off."""
        self.queries.append(soql)
        assert "CreatedDate <= 2026-11-02T15:00:00Z" in soql  # the same cut-off as the store's count
        return len(self.ids) + self.ghosts

    def query(self, soql, **_options):
        """One page holding every Id."""
        self.queries.append(soql)
        records = [{"attributes": {"type": "Lead"}, "Id": i} for i in sorted(self.ids)]
        return {"totalSize": len(records), "done": True, "records": records}


class Mirror:
    """The store's live Ids."""

    def __init__(self, ids):
        """Start with these live records."""
        self.live = set(ids)
        self.cutoffs = []

    def count(self, _sobject, *, created_until=None):
        """Count live records (noting the cut-off asked for)."""
        self.cutoffs.append(created_until)
        return len(self.live)

    def live_ids(self, _sobject, **_cutoff):
        """The live Ids."""
        return set(self.live)

    def mark_deleted(self, _sobject, ids, **_when):
        """Flag records: they are no longer live."""
        gone = self.live & set(ids)
        self.live -= gone
        return len(gone)


def inputs(mirror, *, exact=True):
    def fetch(ids):
        mirror.live.update(ids)
        return list(ids)

    return ProofInputs(
        schema=SCHEMA,
        spec=ObjectSpec("Lead"),
        cutoff=CUTOFF,
        exact=exact,
        bulk_threshold=None,
        now=lambda: CUTOFF,
        fetch_missing=fetch,
    )


def lead(n):
    return f"00Q5g0000{n:06d}AAA"


def test_counts_that_agree_need_no_reconcile():
    org, mirror = Org([lead(1), lead(2)]), Mirror([lead(1), lead(2)])
    proof = prove(org, mirror, inputs(mirror))
    assert (proof.holds, proof.reconciles, proof.org_count, proof.stored) == (True, 0, 2, 2)
    assert mirror.cutoffs == [CUTOFF]


def test_a_disagreement_is_reconciled_by_ids_and_then_holds():
    """One record deleted and one created unseen: the Id read flags the first and fetches the second."""
    org, mirror = Org([lead(1), lead(3)]), Mirror([lead(1), lead(2)])
    org.ids.add(lead(4))  # three in the org, two in the store
    proof = prove(org, mirror, inputs(mirror))
    assert proof.holds
    assert (proof.reconciles, proof.flagged, proof.fetched) == (1, 1, 2)
    assert mirror.live == {lead(1), lead(3), lead(4)}
    assert any("SELECT Id" in query and "CreatedDate <= 2026-11-02T15:00:00Z" in query for query in org.queries)


def test_a_difference_that_survives_reconciling_fails_naming_the_records():
    """A record the count sees but no read returns: bounded reconciles, then a failure that names what differed."""
    org, mirror = Org([lead(1)], ghosts=1), Mirror([lead(1), lead(8), lead(9)])
    proof = prove(org, mirror, inputs(mirror))
    assert not proof.holds
    assert proof.reconciles == MAX_RECONCILES
    assert proof.differing == (lead(8), lead(9))  # flagged by the first reconcile; the second found nothing new
    assert (proof.org_count, proof.stored) == (2, 1)


def test_an_at_least_object_never_flags_rows_the_org_stopped_counting():
    """Archived Tasks are not counted by COUNT(); the store keeps them, and more rows than the org is fine."""
    org, mirror = Org([lead(1)]), Mirror([lead(1), lead(2)])
    proof = prove(org, mirror, inputs(mirror, exact=False))
    assert proof.holds
    assert proof.reconciles == 0
    assert mirror.live == {lead(1), lead(2)}


def test_a_window_splits_from_what_it_had_committed():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    halves = split(
        Window(start, None),
        read_up_to=start + timedelta(hours=2),
        now=start + timedelta(hours=6),
        sobject="Lead",
        splits=0,
    )
    assert halves == [
        Window(start + timedelta(hours=2), start + timedelta(hours=4)),
        Window(start + timedelta(hours=4), None),
    ]


def test_a_window_a_second_wide_that_still_times_out_gives_up_with_a_clear_error():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(MaxSplitsError, match=r"QUERY_TIMEOUT.*narrowing the read 9 times"):
        split(Window(start, start + timedelta(seconds=1)), read_up_to=None, now=start, sobject="Lead", splits=9)


def test_a_count_salesforce_times_out_on_is_summed_over_narrower_createddate_windows():
    """QUERY_TIMEOUT on COUNT(): the same count over two CreatedDate halves, added up, proves the mirror."""
    org, mirror = Org([lead(1), lead(2)]), Mirror([lead(1), lead(2)])
    answer = org.count

    def count(soql, **where):
        if "CreatedDate <" not in soql and "CreatedDate >=" not in soql:
            msg = "Lead: Salesforce answered HTTP 400 QUERY_TIMEOUT: Your query request was running for too long."
            raise FatalSalesforceError(msg, error_code="QUERY_TIMEOUT", status=400)
        return answer(soql, **where) if "CreatedDate <" in soql else 0  # every record in the older half

    org.count = count
    proof = prove(org, mirror, inputs(mirror))
    assert (proof.holds, proof.org_count) == (True, 2)
    halves = [query for query in org.queries if "COUNT()" in query]
    assert len(halves) == 1  # the older half, counted by the fake org; the newer half answered 0
    assert "CreatedDate <= 2026-11-02T15:00:00Z" in halves[0]  # the cut-off stays on every window
