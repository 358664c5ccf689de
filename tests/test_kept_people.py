"""Kept people: the people a pull's preparation normalised, read back by the audit of that snapshot, same findings."""

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text

from conftest import copy_store, generated_org_store
from kept import audit_findings, kept_people_reads, people_made, write_as_a_pull
from sfbridge.audit import prepare_for_audits
from sfbridge.checks.context import PEOPLE_NEEDS, people_matching
from sfbridge.prepare import kept_people_reader, people_token
from sfbridge.rules import Rules
from sfbridge.store import Store, frames, kept_frames
from sfbridge.store.tables import mirror_table_name

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
RULES = Rules()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated org as a first pull writes it (duplicates, phones, addresses: every normaliser has work)."""
    return generated_org_store(tmp_path_factory.mktemp("people") / "org.db", snapshot=NOW)


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    # A few hundred kilobytes a part: the demo-sized people are kept in several parts, as a large org's are.
    monkeypatch.setattr(kept_frames, "_PART_BYTES", 200_000)
    # Categorical columns in frames this small too, as a large org's snapshot has them.
    monkeypatch.setattr(frames, "_COMPACT_FROM_ROWS", 500)


def test_the_people_read_back_are_the_people_made(generated, tmp_path):
    """Every column, value and type (Categoricals among them), across several parts."""
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    with store.engine.connect() as conn:
        parts = conn.execute(text("SELECT count(*) FROM kept_frames WHERE sobject LIKE '#people %'")).scalar()
    assert parts > 2
    kept = kept_people_reader(store, people_token(store), RULES)()
    assert kept is not None
    made = people_made(store, RULES)
    assert kept.schema == made.schema
    assert_frame_equal(kept, made, categorical_as_str=False)


def test_an_audit_finds_the_same_with_kept_people_as_without(generated, tmp_path, monkeypatch):
    store = copy_store(generated, tmp_path / "copy.db")
    without = audit_findings(store, RULES)
    prepare_for_audits(store, RULES)
    found = kept_people_reads(monkeypatch)
    assert audit_findings(store, RULES) == without
    assert found == [True]


def test_people_kept_under_other_rules_are_not_read(generated, tmp_path, monkeypatch):
    """The phone region (and every other rule) changes the people: the audit under other rules normalises its own."""
    store = copy_store(generated, tmp_path / "copy.db")
    other = Rules.model_validate({"default_phone_region": "GB"})
    without = audit_findings(store, other)
    prepare_for_audits(store, RULES)
    found = kept_people_reads(monkeypatch)
    assert kept_people_reader(store, people_token(store), other)() is None
    assert audit_findings(store, other) == without
    assert True not in found


def _write_a_lead(store: Store, last_name: str) -> str:
    """Change one Lead as a pull's page does; its Id."""
    with store.engine.connect() as conn:
        lead = conn.execute(text(f'SELECT "Id" FROM {mirror_table_name("Lead")} LIMIT 1')).scalar()  # noqa: S608
    write_as_a_pull(store, "Lead", ["Id", "LastName"], (lead, last_name), at=NOW)
    return str(lead)


def test_a_pull_writing_while_the_audit_loads_leaves_them_unread(generated, tmp_path, monkeypatch):
    """The audit's basis is taken before its load; a page written between is in the snapshot, not in the kept people."""
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    loading = Store.load_snapshot
    written: list[str] = []

    def load_after_a_write(self, *args, **kwargs):
        if not written:
            written.append(_write_a_lead(self, "Changed"))
        return loading(self, *args, **kwargs)

    monkeypatch.setattr(Store, "load_snapshot", load_after_a_write)
    found = kept_people_reads(monkeypatch)
    findings, _ = audit_findings(store, RULES)
    assert found == []  # never read: normalised from the snapshot the audit loaded
    monkeypatch.setattr(Store, "load_snapshot", loading)
    assert (findings, _) == audit_findings(store, RULES)  # the same mirror, audited again without a write between


def test_a_write_to_the_mirror_since_leaves_them_unread(generated, tmp_path):
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    lead = _write_a_lead(store, "Changed")
    assert kept_people_reader(store, people_token(store), RULES)() is None
    made = people_made(store, RULES)
    assert made.filter(pl.col("record_id") == lead).get_column("last_name").to_list() == ["Changed"]


@pytest.mark.parametrize("damage", ["junk", "missing"])
def test_a_damaged_or_missing_part_leaves_them_unread(generated, tmp_path, damage):
    """A cache: a part that does not read back, or is gone, costs the audit time, never a finding."""
    store = copy_store(generated, tmp_path / "copy.db")
    without = audit_findings(store, RULES)
    prepare_for_audits(store, RULES)
    with store.engine.begin() as conn:
        if damage == "junk":
            conn.execute(text("UPDATE kept_frames SET frame = :junk WHERE sobject LIKE '#people 2/%'"), {"junk": b"x"})
        else:
            conn.execute(text("DELETE FROM kept_frames WHERE sobject LIKE '#people 2/%'"))
    assert kept_people_reader(store, people_token(store), RULES)() is None
    assert audit_findings(store, RULES) == without


def test_keeping_an_objects_frame_leaves_the_kept_people(generated, tmp_path):
    """They hold for their own objects' token, not the frames': forgetting what was kept lets them go."""
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    token = people_token(store)
    snapshot = store.load_snapshot({"Lead": {"Id"}})
    store.keep_frames(store.object_tokens(["Lead"]), snapshot.frames, {})
    assert kept_people_reader(store, token, RULES)() is not None
    store.forget_kept_frames()
    assert kept_people_reader(store, token, RULES)() is None


def test_parts_of_another_keep_are_never_taken_for_these(generated, tmp_path):
    """An extra part, or one of another basis, is not what one keep wrote: the people are normalised again."""
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    with store.engine.begin() as conn:
        parts = conn.execute(text("SELECT count(*) FROM kept_frames WHERE sobject LIKE '#people %'")).scalar()
        conn.execute(
            text(
                "INSERT INTO kept_frames (sobject, basis, columns, fill_counts, rows, frame, digest, written_at) "
                "SELECT :name, basis, columns, fill_counts, rows, frame, digest, written_at FROM kept_frames "
                "WHERE sobject = '#people 1/' || :parts"
            ),
            {"name": f"#people {parts + 1}/{parts + 1}", "parts": str(parts)},
        )
    assert kept_people_reader(store, people_token(store), RULES)() is None
    with store.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM kept_frames WHERE sobject = :name"), {"name": f"#people {parts + 1}/{parts + 1}"}
        )
    assert kept_people_reader(store, people_token(store), RULES)() is not None
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE kept_frames SET basis = 'other' WHERE sobject = '#people 1/' || :parts"), {"parts": str(parts)}
        )
    assert kept_people_reader(store, people_token(store), RULES)() is None


def test_a_pull_keeps_no_people_when_the_store_refuses_them(generated, tmp_path, monkeypatch):
    from sfbridge.errors import StoreError  # noqa: PLC0415 (this test only)

    def refuse(*_args, **_kwargs):
        msg = "cannot keep the normalised people: OperationalError: database or disk is full"
        raise StoreError(msg)

    store = copy_store(generated, tmp_path / "copy.db")
    monkeypatch.setattr(Store, "keep_people", refuse)
    prepared = prepare_for_audits(store, RULES)
    assert not prepared.people_kept
    assert prepared.kept  # the frames were kept all the same
    assert kept_people_reader(store, people_token(store), RULES)() is None


def test_the_people_are_not_handed_out_once_no_longer_whole(generated, tmp_path):
    """After the data-quality checks' columns went, or the clusters cut the set-aside columns to their members."""
    store = copy_store(generated, tmp_path / "copy.db")
    snapshot = store.load_snapshot({sobject: set(fields) for sobject, fields in PEOPLE_NEEDS.items()})
    matching = people_matching(snapshot, RULES, derived=store)
    matching.people  # noqa: B018 (made)
    matching.release_checked()
    with pytest.raises(RuntimeError, match="no longer whole"):
        matching.normalised_people()
    matching = people_matching(snapshot, RULES, derived=store)
    matching.clusters  # noqa: B018 (the search, run)
    with pytest.raises(RuntimeError, match="no longer whole"):
        matching.normalised_people()


@pytest.mark.postgres
def test_kept_people_round_trip_on_postgresql(postgres_url):
    store = generated_org_store(postgres_url, snapshot=NOW, records=1_000)
    prepare_for_audits(store, RULES)
    kept = kept_people_reader(store, people_token(store), RULES)()
    assert kept is not None
    assert_frame_equal(kept, people_made(store, RULES), categorical_as_str=False)
