"""Snapshots: the store's mirror as typed frames, the same from SQLite and PostgreSQL."""

from datetime import UTC, datetime

import polars as pl
import pytest

from sfbridge.models import ColumnKind
from sfbridge.snapshot import snapshot_from_records
from sfbridge.store import Store
from test_pull import run_pull

LEAD_FIELDS = [
    "Id",
    "LastName",
    "Email",
    "IsConverted",
    "ConvertedDate",
    "CreatedDate",
    "NumberOfEmployees",
    "AnnualRevenue",
    "Lead_Score__c",
    "Nope__c",
]


def test_loaded_frames_are_typed_and_hold_live_records_only(gateway_factory, sqlite_store):
    """Datetimes come back UTC, dates as dates, booleans as booleans; deleted records are left out."""
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_first")
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_second")
    snapshot = sqlite_store.load_snapshot({"Lead": LEAD_FIELDS, "Account": ["Id"]})
    lead = snapshot.frames["Lead"]
    assert lead.height == 120
    assert lead.schema["CreatedDate"] == pl.Datetime("us", "UTC")
    assert lead.schema["ConvertedDate"] == pl.Date
    assert lead.schema["IsConverted"] == pl.Boolean
    assert lead.schema["NumberOfEmployees"] == pl.Int64
    assert "Nope__c" not in lead.columns  # not in the store: the snapshot adds it only on request
    assert not snapshot.has("Account")
    assert snapshot.taken_at == datetime(2026, 11, 2, 15, tzinfo=UTC)


@pytest.mark.postgres
def test_postgresql_and_sqlite_give_the_same_frames(gateway_factory, sqlite_store, postgres_url):
    """The checks see identical data whichever store holds the mirror."""
    postgres = Store.open(postgres_url)
    for store in (sqlite_store, postgres):
        run_pull(gateway_factory(), store, "pull/incremental_first")
        run_pull(gateway_factory(), store, "pull/incremental_second")
    fields = {"Lead": list(sqlite_store.state("Lead").columns)}
    left = sqlite_store.load_snapshot(fields).frames["Lead"].sort("Id")
    right = postgres.load_snapshot(fields).frames["Lead"].sort("Id")
    assert left.schema == right.schema
    assert left.equals(right)


def test_frame_adds_missing_columns_as_typed_nulls():
    """A check asking for a field the org lacks gets a null column of the type it expects."""
    snapshot = snapshot_from_records(
        {"Lead": [{"Id": "00Q5g00000AbCdEEAV", "CreatedDate": "2026-11-01T08:00:00.000+0000"}]},
        kinds={"Lead": {"Id": ColumnKind.TEXT, "CreatedDate": ColumnKind.DATETIME}},
        taken_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    frame = snapshot.frame(
        "Lead", {"Id": pl.Utf8(), "Lead_Score__c": pl.Float64(), "CreatedDate": pl.Datetime("us", "UTC")}
    )
    assert frame.columns == ["Id", "Lead_Score__c", "CreatedDate"]
    assert frame["Lead_Score__c"].dtype == pl.Float64
    assert frame["Lead_Score__c"].null_count() == 1
    assert snapshot.frame("Task", {"WhoId": pl.Utf8()}).columns == ["WhoId"]
