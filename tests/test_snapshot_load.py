"""Loading a snapshot at scale: fill counts, reader order and imports, compaction's shortcut."""

import subprocess
import sys
from datetime import UTC, datetime

import polars as pl
import pytest

from sfbridge.errors import StoreError
from sfbridge.frame_typing import compacted
from sfbridge.models import ColumnKind, SyncState
from sfbridge.store import Store, frames

_SYNCED = datetime(2026, 11, 2, tzinfo=UTC)


def _store(url: str, sobject: str, columns: dict[str, ColumnKind], rows: list[tuple]) -> Store:
    store = Store.open(url)
    store.bind_org("00D000000000001EAA", "https://example.my.salesforce.com")
    store.prepare_mirror(sobject, columns)
    state = SyncState(sobject=sobject, cursor="SystemModstamp", bookmark=None, deletes_since=None,
                      completed_at=_SYNCED, columns=columns)  # fmt: skip
    store.save_state(state)
    store.write_page(state, list(columns), rows, synced_at=_SYNCED, run_id=None)
    return store


_LEAD = {
    "Id": ColumnKind.TEXT,
    "Email": ColumnKind.TEXT,
    "Phone": ColumnKind.TEXT,
    "CreatedDate": ColumnKind.DATETIME,
    "Lead_Score__c": ColumnKind.NUMBER,
}


def _leads(url: str) -> Store:
    """3,000 Leads: Email on every 3rd, Phone on every 5th, a score on every 7th."""
    rows = [
        (
            f"00Q{n:015d}",
            f"p{n}@example.com" if n % 3 == 0 else None,
            "+1 415 555 0100" if n % 5 == 0 else None,
            "2026-11-01 08:00:00.000000",
            float(n) if n % 7 == 0 else None,
        )
        for n in range(3_000)
    ]
    return _store(url, "Lead", _LEAD, rows)


_FILLED = {"*": 3_000, "Id": 3_000, "Email": 1_000, "Phone": 600, "CreatedDate": 3_000, "Lead_Score__c": 429}


@pytest.mark.parametrize("where", ["file", "memory", "postgresql"])
def test_fill_counts_are_the_same_whether_a_field_is_loaded_or_not(where, tmp_path, monkeypatch, request):
    """Loaded fields are counted from their frame, the rest in SQL: every field's count, in the table's order."""
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)  # the file is read by reader processes, as at scale
    url = {"file": str(tmp_path / "leads.db"), "memory": ":memory:"}.get(where)
    store = _leads(url or request.getfixturevalue("postgres_url"))
    loaded = store.load_snapshot({"Lead": ["Id", "Email", "Lead_Score__c"]}, count_fill=("Lead",))
    assert list(loaded.fill_counts["Lead"].items()) == list(_FILLED.items())
    # Given `only`, the frame holds a few records: every field is still counted over the whole table.
    some = store.load_snapshot({"Lead": ["Id", "Email"]}, count_fill=("Lead",), only={"Lead": ["00Q000000000000003"]})
    assert some.frames["Lead"].height == 1
    assert some.fill_counts["Lead"] == _FILLED


def test_frames_come_back_in_the_order_asked_though_the_largest_is_read_first(tmp_path, monkeypatch):
    """The readers take Task (the most rows) first; the snapshot still lists the objects as requested."""
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)
    path = str(tmp_path / "org.db")
    store = _leads(path)
    tasks = {"Id": ColumnKind.TEXT, "WhoId": ColumnKind.TEXT}
    rows = [(f"00T{n:015d}", f"00Q{n % 3_000:015d}") for n in range(9_000)]
    store.prepare_mirror("Task", tasks)
    state = SyncState(sobject="Task", cursor="SystemModstamp", bookmark=None, deletes_since=None,
                      completed_at=_SYNCED, columns=tasks)  # fmt: skip
    store.save_state(state)
    store.write_page(state, list(tasks), rows, synced_at=_SYNCED, run_id=None)
    fields = {"Lead": ["Id", "Email"], "Task": ["Id", "WhoId"]}
    assert frames._largest_first(store.engine, {s: (store.table(s), {n: _LEAD.get(n) or tasks[n] for n in f})
                                                for s, f in fields.items()}) == ["Task", "Lead"]  # fmt: skip
    snapshot = store.load_snapshot(fields)
    assert list(snapshot.frames) == ["Lead", "Task"]
    assert snapshot.frames["Task"].height == 9_000
    assert snapshot.frames["Lead"].get_column("Email").null_count() == 2_000


def test_a_load_hands_the_freed_c_heap_back_once_the_frames_and_counts_are_in(tmp_path, monkeypatch):
    """The load's freed C heap (the counting thread's page cache among it) is trimmed after the read, once."""
    from sfbridge import heap  # noqa: PLC0415 (the module whose trim is watched)

    store = _leads(str(tmp_path / "leads.db"))
    trimmed: list[int] = []
    monkeypatch.setattr(heap, "_malloc_trim", lambda: trimmed.append)
    loaded = store.load_snapshot({"Lead": ["Id", "Email"]}, count_fill=("Lead",))
    assert loaded.fill_counts["Lead"] == _FILLED
    assert trimmed == [0]


def test_a_reader_process_imports_neither_the_store_nor_pyarrow():
    """What a reader imports it pays for before reading a row: SQLAlchemy and the store cost 0.5 CPU-s each."""
    script = (
        "import sys, sfbridge.sqlite_reader; "
        "print(sorted(m for m in ('sqlalchemy', 'pyarrow', 'sfbridge.store') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)  # noqa: S603
    assert done.stdout.strip() == "[]"


def test_compaction_rules_out_columns_on_a_prefix_as_a_full_count_would():
    """10,000 rows, at most 500 distinct values for a Categorical: the shortcut never changes the choice."""
    rows = 10_000
    frame = pl.DataFrame(
        {
            "Distinct": [f"d{n}" for n in range(rows)],  # ruled out on the first 1,001 rows
            "Repeating": [f"r{n % 3}" for n in range(rows)],
            # Three values over the first 1,001 rows, then 9,000 more: the full count rules it out.
            "LateVariety": [f"v{n % 3}" if n < 1_001 else f"v{n}" for n in range(rows)],
            "AtTheLimit": [f"l{n % 500}" for n in range(rows)],  # exactly 500: held as a Categorical
            "JustOver": [f"o{n % 501}" for n in range(rows)],
        }
    )
    kinds = dict.fromkeys(frame.columns, ColumnKind.TEXT)
    schema = compacted(frame, kinds, (0.05, 10_000)).schema
    assert [name for name, dtype in schema.items() if dtype == pl.Categorical] == ["Repeating", "AtTheLimit"]


_EVERY_KIND = {
    "Id": ColumnKind.TEXT,
    "Status": ColumnKind.TEXT,
    "IsConverted": ColumnKind.BOOLEAN,
    "NumberOfEmployees": ColumnKind.INTEGER,
    "AnnualRevenue": ColumnKind.NUMBER,
    "ConvertedDate": ColumnKind.DATE,
    "CreatedDate": ColumnKind.DATETIME,
}


def _every_kind(n: int) -> tuple:
    return (
        f"00Q{n:015d}",
        "Open" if n % 2 else None,
        n % 2 == 0 if n % 3 else None,
        n if n % 4 else None,
        n * 1.5 if n % 5 else None,
        f"2026-10-{n % 28 + 1:02d}" if n % 6 else None,
        f"2026-11-01 08:{n % 60:02d}:00.{n:06d}" if n % 7 else None,
    )


@pytest.mark.parametrize("where", ["file", "memory", "postgresql"])
def test_a_load_of_some_records_holds_them_as_the_whole_load_does(where, tmp_path, monkeypatch, request):
    """The plan reads the records its findings name, by Id on the driver's cursor: the same rows, typed the same."""
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)  # the whole load by reader processes, as at scale
    monkeypatch.setattr(frames, "_ID_CHUNK", 7)  # several statements, as for a plan's tens of thousands of Ids
    url = {"file": str(tmp_path / "leads.db"), "memory": ":memory:"}.get(where)
    store = _store(
        url or request.getfixturevalue("postgres_url"), "Lead", _EVERY_KIND, [_every_kind(n) for n in range(600)]
    )
    whole = store.load_snapshot({"Lead": list(_EVERY_KIND)}).frame("Lead")
    named = whole.get_column("Id").to_list()[::9]
    some = store.load_snapshot({"Lead": list(_EVERY_KIND)}, only={"Lead": [*named, "00Q000000000009999"]}).frame("Lead")
    assert some.schema == whole.schema
    assert some.sort("Id").equals(whole.filter(pl.col("Id").is_in(named)).sort("Id"))
    assert some.height == len(named) > 60
    none = store.load_snapshot({"Lead": list(_EVERY_KIND)}, only={"Lead": []}).frame("Lead")
    assert none.is_empty()
    assert none.schema == whole.schema


@pytest.mark.parametrize("where", ["file", "postgresql"])
def test_an_object_the_ids_do_not_name_is_read_whole_beside_the_named_records(where, tmp_path, request):
    """The statuses a plan reads beside its records: every live row, in the same read, on both back ends."""
    url = str(tmp_path / "org.db") if where == "file" else request.getfixturevalue("postgres_url")
    store = _store(url, "Lead", _EVERY_KIND, [_every_kind(n) for n in range(40)])
    statuses = {"Id": ColumnKind.TEXT, "ApiName": ColumnKind.TEXT, "IsConverted": ColumnKind.BOOLEAN}
    store.prepare_mirror("LeadStatus", statuses)
    state = SyncState(sobject="LeadStatus", cursor="SystemModstamp", bookmark=None, deletes_since=None,
                      completed_at=_SYNCED, columns=statuses)  # fmt: skip
    store.save_state(state)
    rows = [("01J000000000001AAA", "Open - 100%", False), ("01J000000000002AAA", "Converted", True)]
    store.write_page(state, list(statuses), rows, synced_at=_SYNCED, run_id=None)
    snapshot = store.load_snapshot(
        {"Lead": ["Id", "Status"], "LeadStatus": list(statuses)}, only={"Lead": ["00Q000000000000003"]}
    )
    assert snapshot.frame("Lead").rows() == [("00Q000000000000003", "Open")]
    assert sorted(snapshot.frame("LeadStatus").rows()) == rows


def test_a_failed_read_of_some_records_names_what_was_read(tmp_path):
    """A mirror table gone from under the store: a StoreError in words, not the driver's traceback."""
    store = _store(str(tmp_path / "org.db"), "Lead", _EVERY_KIND, [_every_kind(n) for n in range(10)])
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE sf_lead")
    with pytest.raises(StoreError, match=r"^cannot read the mirror: OperationalError: no such table: sf_lead"):
        store.load_snapshot({"Lead": list(_EVERY_KIND)}, only={"Lead": ["00Q000000000000003"]})
