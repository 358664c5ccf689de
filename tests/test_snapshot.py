"""Snapshots: the store's mirror as typed frames, the same from SQLite and PostgreSQL."""

from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

import polars as pl
import pytest

from sfbridge.models import ColumnKind, SyncState
from sfbridge.snapshot import snapshot_from_records
from sfbridge.store import Store, frames
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


def _sparse_store(url):
    """A store with 3,000 Leads whose Email is NULL on all but the last few (stored text otherwise)."""
    store = Store.open(url)
    store.bind_org("00D000000000001EAA", "https://example.my.salesforce.com")
    columns = {"Id": ColumnKind.TEXT, "Email": ColumnKind.TEXT, "CreatedDate": ColumnKind.DATETIME}
    store.prepare_mirror("Lead", columns)
    state = SyncState(sobject="Lead", cursor="SystemModstamp", bookmark=None, deletes_since=None,
                      completed_at=datetime(2026, 11, 2, tzinfo=UTC), columns=columns)  # fmt: skip
    store.save_state(state)
    rows = [
        (f"00Q{number:015d}", f"p{number}@example.com" if number >= 2_995 else None, "2026-11-01 08:00:00.000000")
        for number in range(3_000)
    ]
    store.write_page(state, list(columns), rows, synced_at=datetime(2026, 11, 2, tzinfo=UTC), run_id=None)
    return store


def test_a_column_empty_for_thousands_of_rows_still_loads_as_text(tmp_path, monkeypatch):
    """The Arrow reader sees every row before typing a column; the row-by-row path gives the same frame."""
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)  # a file this small is read row by row otherwise
    on_disk = _sparse_store(str(tmp_path / "sparse.db")).load_snapshot({"Lead": ["Id", "Email", "CreatedDate"]})
    in_memory = _sparse_store(":memory:").load_snapshot({"Lead": ["Id", "Email", "CreatedDate"]})
    lead = on_disk.frames["Lead"]
    assert lead.schema["Email"] == pl.Utf8
    assert lead.get_column("Email").drop_nulls().to_list() == [f"p{n}@example.com" for n in range(2_995, 3_000)]
    assert lead.sort("Id").equals(in_memory.frames["Lead"].sort("Id"))


def test_a_snapshot_of_no_objects_from_a_large_store_starts_no_reader(tmp_path, monkeypatch):
    """`sfbridge report --run` asks only which org a store mirrors: a large SQLite file crashed on zero readers."""
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)  # as a store of 64 MB or more is read
    snapshot = _sparse_store(str(tmp_path / "sparse.db")).load_snapshot({})
    assert snapshot.frames == {}
    assert snapshot.org_id


def test_a_reader_process_that_dies_falls_back_to_reading_in_process(tmp_path, monkeypatch):
    """If the isolated reader cannot run (no __main__ guard, killed), the same frame is read here."""
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)
    store = _sparse_store(str(tmp_path / "sparse.db"))
    expected = store.load_snapshot({"Lead": ["Id", "Email", "CreatedDate"]}).frames["Lead"]

    def broken(*_):
        raise BrokenProcessPool

    monkeypatch.setattr(frames, "_read_sqlite_isolated", broken)
    assert store.load_snapshot({"Lead": ["Id", "Email", "CreatedDate"]}).frames["Lead"].equals(expected)


def test_release_drops_fields_and_objects_and_refuses_to_hand_them_out():
    """Released fields free their memory; asking for one later is a bug that fails loudly, not a null column."""
    snapshot = snapshot_from_records(
        {
            "Lead": [{"Id": "00Q5g00000AbCdEEAV", "Email": "a@b.example", "Status": "Open"}],
            "Task": [{"Id": "00T5g00000AbCdEEAV", "WhoId": "00Q5g00000AbCdEEAV"}],
        },
        kinds={
            "Lead": dict.fromkeys(["Id", "Email", "Status"], ColumnKind.TEXT),
            "Task": dict.fromkeys(["Id", "WhoId"], ColumnKind.TEXT),
        },
        taken_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    snapshot.release({"Lead": ["Status"]})
    assert snapshot.frames["Lead"].columns == ["Id", "Status"]
    assert snapshot.frame("Lead", {"Status": pl.Utf8()})["Status"].to_list() == ["Open"]
    assert snapshot.frames["Task"].is_empty()
    assert snapshot.has("Task")  # still pulled: checks that ask must not think the org has no Tasks
    with pytest.raises(RuntimeError, match="Lead Email released"):
        snapshot.frame("Lead", {"Id": pl.Utf8(), "Email": pl.Utf8()})
    with pytest.raises(RuntimeError, match="Task WhoId released"):
        snapshot.frame("Task", {"WhoId": pl.Utf8()})
