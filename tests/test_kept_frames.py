"""Kept frames: the snapshot a pull's preparation loaded, read back by the audit, never changing what it reads."""

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text

from conftest import copy_store, generated_org_store
from sfbridge.audit import FILL_COUNTED, audit, prepare_for_audits, snapshot_fields
from sfbridge.checks import select_checks
from sfbridge.prepare import prepare_people
from sfbridge.rules import Rules
from sfbridge.store import Store, frames
from sfbridge.store.tables import mirror_table_name

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
RULES = Rules()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated org (with Categorical columns: compaction from 500 rows here) as a first pull writes it."""
    return generated_org_store(tmp_path_factory.mktemp("kept") / "org.db", snapshot=NOW)


@pytest.fixture(autouse=True)
def compact_small_frames(monkeypatch):
    # Below 10,000 rows no column is held as a Categorical: a smaller threshold puts them in these frames too.
    monkeypatch.setattr(frames, "_COMPACT_FROM_ROWS", 500)


def _audit_fields() -> dict[str, set[str]]:
    return snapshot_fields(select_checks(None), RULES)


def _prepared(store: Store) -> Store:
    prepare_for_audits(store, RULES)  # as sfbridge pull does
    return store


def _read_kept(monkeypatch) -> list[list[str]]:
    """The objects each load took from kept frames."""
    taken: list[list[str]] = []
    reading = Store.read_kept_frames

    def counted(self, *args, **kwargs):
        found = reading(self, *args, **kwargs)
        taken.append(sorted(found.frames))
        return found

    monkeypatch.setattr(Store, "read_kept_frames", counted)
    return taken


def _assert_same_snapshot(one, other):
    assert list(one.frames) == list(other.frames)
    for sobject, frame in one.frames.items():
        assert_frame_equal(frame, other.frames[sobject], categorical_as_str=False)
        assert frame.schema == other.frames[sobject].schema
    assert one.fill_counts == other.fill_counts
    assert [list(counts) for counts in one.fill_counts.values()] == [
        list(counts) for counts in other.fill_counts.values()
    ]


def test_an_audits_snapshot_reads_the_same_kept_as_from_the_mirror(generated, tmp_path, monkeypatch):
    """Every object the audit loads, every column, type (Categoricals among them) and fill count, kept or read."""
    store = _prepared(copy_store(generated, tmp_path / "copy.db"))
    taken = _read_kept(monkeypatch)
    fields = snapshot_fields(select_checks(["stale_lead", "duplicate"]), RULES)  # fewer columns than kept: a projection
    kept = store.load_snapshot(fields, count_fill=FILL_COUNTED)
    assert taken == [sorted(kept.frames)]
    assert any(isinstance(dtype, pl.Categorical) for frame in kept.frames.values() for dtype in frame.dtypes)
    store.forget_kept_frames()
    _assert_same_snapshot(kept, store.load_snapshot(fields, count_fill=FILL_COUNTED))
    assert taken == [sorted(kept.frames)]  # none was kept the second time


def test_an_audit_finds_the_same_with_kept_frames_as_without(generated, tmp_path, monkeypatch):
    store = copy_store(generated, tmp_path / "copy.db")
    without = [
        item.model_dump(mode="json") for item in audit(store, org="t", rules=RULES, checks=select_checks(None)).findings
    ]
    _prepared(store)
    taken = _read_kept(monkeypatch)
    kept = [
        item.model_dump(mode="json") for item in audit(store, org="t", rules=RULES, checks=select_checks(None)).findings
    ]
    assert kept == without
    assert len(taken) == 1
    assert {"Lead", "Contact", "Task"} <= set(taken[0])


def test_a_change_to_an_object_since_is_read_from_the_mirror(generated, tmp_path, monkeypatch):
    """Kept for its table as it stood: a Lead row gone since leaves the Lead frame unused, the others read kept.

    A new pull's sync state alone (a new moment for the ages) changes no frame: every frame is read kept.
    """
    store = _prepared(copy_store(generated, tmp_path / "copy.db"))
    taken = _read_kept(monkeypatch)
    everything = sorted(_audit_fields())
    table = mirror_table_name("Lead")  # our own table name, not input
    with store.engine.begin() as conn:
        lead = conn.execute(text(f'SELECT "Id" FROM {table} LIMIT 1')).scalar()  # noqa: S608
        conn.execute(text(f'DELETE FROM {table} WHERE "Id" = :id'), {"id": lead})  # noqa: S608
    snapshot = store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED)
    assert taken == [[sobject for sobject in everything if sobject != "Lead"]]
    assert lead not in snapshot.frames["Lead"].get_column("Id").to_list()
    _prepared(store)
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE sync_state SET completed_at = :moment"), {"moment": moment})
    snapshot = store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED)
    assert taken[-1] == everything
    assert snapshot.taken_at == moment


def test_every_write_to_the_mirror_leaves_them_unused(generated, tmp_path, monkeypatch):
    """Through the store's own writers: a page of updates (no new row, no new sync state) and deletions flagged."""
    store = _prepared(copy_store(generated, tmp_path / "copy.db"))
    taken = _read_kept(monkeypatch)
    lead = store.load_snapshot({"Lead": {"Id"}}).frames["Lead"].get_column("Id")[0]
    assert taken == [["Lead"]]
    with store.engine.connect() as conn:  # the same run and bookmark, as a Bulk job's next page writes them
        run_id = conn.execute(text("SELECT last_run_id FROM sync_state WHERE sobject = 'Lead'")).scalar()
    token = store.snapshot_token()
    store.write_page(store.state("Lead"), ["Id", "LastName"], [(lead, "Changed")], synced_at=NOW, run_id=run_id)
    assert store.snapshot_token() != token
    changed = store.load_snapshot({"Lead": {"Id", "LastName"}}).frames["Lead"]
    assert taken[-1] == []
    assert changed.filter(pl.col("Id") == lead).get_column("LastName").to_list() == ["Changed"]
    _prepared(store)
    store.mark_deleted("Lead", [lead], at=NOW)
    assert lead not in store.load_snapshot({"Lead": {"Id"}}).frames["Lead"].get_column("Id").to_list()
    assert taken[-1] == []


def test_the_fill_counts_are_kept_too(generated, tmp_path, monkeypatch):
    """An audit's load of kept frames scans no table to count fields: the counts were kept with the frames."""
    store = _prepared(copy_store(generated, tmp_path / "copy.db"))
    scanned: list[str] = []
    counting = Store._fill_counts
    monkeypatch.setattr(
        Store, "_fill_counts", lambda self, sobject, *rest: scanned.append(sobject) or counting(self, sobject, *rest)
    )
    kept = store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED)
    assert scanned == []
    store.forget_kept_frames()
    read = store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED)
    assert scanned == list(FILL_COUNTED)
    assert kept.fill_counts == read.fill_counts


def test_an_object_kept_without_a_column_asked_for_is_read_from_the_mirror(generated, tmp_path, monkeypatch):
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_people(store, RULES, keep={"Lead": {"Id", "Status"}, "Task": {"Id", "WhoId"}}, count_fill=FILL_COUNTED)
    taken = _read_kept(monkeypatch)
    fields = {"Lead": {"Id", "Status", "LeadSource"}, "Task": {"Id", "WhoId"}}
    snapshot = store.load_snapshot(fields, count_fill=FILL_COUNTED)
    assert taken == [["Task"]]
    store.forget_kept_frames()
    _assert_same_snapshot(snapshot, store.load_snapshot(fields, count_fill=FILL_COUNTED))


def test_a_kept_frame_that_no_longer_reads_is_read_from_the_mirror(generated, tmp_path):
    """A cache: a torn or edited row costs the load time, never the snapshot."""
    store = _prepared(copy_store(generated, tmp_path / "copy.db"))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE kept_frames SET frame = :junk WHERE sobject = 'Lead'"), {"junk": b"not arrow"})
    snapshot = store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED)
    store.forget_kept_frames()
    _assert_same_snapshot(snapshot, store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED))


def test_a_load_of_some_records_never_reads_kept_frames(generated, tmp_path, monkeypatch):
    """A plan reads the few records its findings name, by Id: that stays a read of the mirror."""
    store = _prepared(copy_store(generated, tmp_path / "copy.db"))
    taken = _read_kept(monkeypatch)
    lead = store.load_snapshot({"Lead": {"Id"}}).frames["Lead"].get_column("Id")[0]
    assert taken == [["Lead"]]
    snapshot = store.load_snapshot({"Lead": {"Id", "Status"}}, only={"Lead": [lead]})
    assert snapshot.frames["Lead"].get_column("Id").to_list() == [lead]
    assert taken == [["Lead"]]


@pytest.mark.postgres
def test_kept_frames_round_trip_on_postgresql(postgres_url):
    """PostgreSQL's bytea holds the IPC file as SQLite's blob does: types, Categoricals, fill counts and their order."""
    store = generated_org_store(postgres_url, snapshot=NOW, records=1_000)
    _prepared(store)
    kept = store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED)
    store.forget_kept_frames()
    _assert_same_snapshot(kept, store.load_snapshot(_audit_fields(), count_fill=FILL_COUNTED))


def test_the_snapshot_token_hands_back_the_pages_its_counts_read(generated, tmp_path, monkeypatch):
    """Its counts read every mirror table's Id index; the audit works the token out after its load too.

    Left in the pooled connection's cache, those pages (50-70 MB at a million records) were
    held through the rest of the audit and took its outputs' peak over 1.5 GB.
    """
    from sfbridge.store import snapshots  # noqa: PLC0415 (the module whose call is counted)

    store = copy_store(generated, tmp_path / "copy.db")
    let_go: list[str] = []
    monkeypatch.setattr(snapshots, "let_page_cache_go", lambda conn: let_go.append(conn.dialect.name))
    store.snapshot_token()
    assert let_go == ["sqlite"]
