"""A finding is stored once however many runs find it; each run lists its findings in order.

Consecutive audits of an org find nearly the same findings byte for byte; stored whole per run, a
million records' audit added 160 MB to the store each time. Stores made before (schema 1, every
run's findings whole in ``findings``) are brought over when opened.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import orjson
import pytest
import sqlalchemy
from sqlalchemy import text

from sfbridge.errors import StoreError
from sfbridge.models import Finding, Severity
from sfbridge.store import Store, kept_findings, runs

STARTED = datetime(2026, 11, 2, tzinfo=UTC)


def _finding(number: int, *, days: int | None = None, check: str = "stale_lead") -> Finding:
    return Finding(
        check=check,
        severity=Severity.LOW,
        sobject="Lead",
        record_id=f"00Q0000000000{number:02d}EAA",
        reason="idle",
        suggested_action="Close it",
        evidence={"days_idle": number if days is None else days, "owner": {"name": "Ann"}},
        suggested_values={"Status": "Closed"} if number % 2 else {},
        related={"Contact": f"003000000000{number:03d}AAA"},
        group=f"g{number % 3}" if number % 4 else None,
        score=0.5 + number / 100 if number % 5 else None,
    )


def _run(store: Store) -> int:
    return store.start_run("audit", org="x", started_at=STARTED)


def _counts(store: Store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        bodies = conn.execute(text("SELECT COUNT(*) FROM finding_bodies")).scalar()
        listed = conn.execute(text("SELECT COUNT(*) FROM run_findings")).scalar()
    return bodies, listed


def _plain(items: list[Finding]) -> list[dict[str, object]]:
    return [item.plain for item in items]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    url = str(tmp_path / "store.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store.open(url)
    store.bind_org("00D000000000001EAA", "https://example.my.salesforce.com")
    return store


def test_a_second_run_finding_the_same_stores_no_finding_again(store):
    items = [_finding(number) for number in range(40)]
    first, second = _run(store), _run(store)
    store.save_findings(first, items)
    assert _counts(store) == (40, 40)
    store.save_findings(second, [_finding(number) for number in range(40)])
    assert _counts(store) == (40, 80)
    assert _plain(store.load_findings(first)) == _plain(store.load_findings(second)) == _plain(items)


def test_a_changed_finding_is_stored_anew_and_each_run_reads_its_own(store):
    before = [_finding(number) for number in range(20)]
    after = [_finding(number, days=99 if number == 7 else None) for number in range(20)]
    after.append(_finding(30, check="junk_lead"))
    first, second = _run(store), _run(store)
    store.save_findings(first, before)
    store.save_findings(second, after)
    assert _counts(store) == (22, 41)  # the changed one and the new one
    assert _plain(store.load_findings(first)) == _plain(before)
    assert _plain(store.load_findings(second)) == _plain(after)
    assert store.load_findings(second)[7].evidence["days_idle"] == 99
    assert _plain(store.load_findings(second, checks=["junk_lead"])) == _plain(after[-1:])
    assert store.finding_keys(first) == {("stale_lead", "Lead", item.record_id) for item in before}
    assert ("junk_lead", "Lead", after[-1].record_id) in store.finding_keys(second)


def test_the_same_finding_twice_in_one_run_reads_back_twice_in_its_place(store):
    items = [_finding(1), _finding(2), _finding(1), _finding(3)]
    run_id = _run(store)
    store.save_findings(run_id, items)
    assert _counts(store) == (3, 4)
    assert _plain(store.load_findings(run_id)) == _plain(items)


def test_findings_saved_across_batches_keep_their_order(store, monkeypatch):
    monkeypatch.setattr(runs, "_SAVE_BATCH", 3)
    items = [_finding(number % 7) for number in range(20)]  # repeats across batches
    run_id = _run(store)
    store.save_findings(run_id, items)
    assert _counts(store) == (7, 20)
    assert _plain(store.load_findings(run_id)) == _plain(items)


# -- stores made before the bodies were shared (schema 1) -------------------------------------

_LEGACY_DDL = """
CREATE TABLE findings (
    id INTEGER NOT NULL {serial}, run_id INTEGER NOT NULL, check_name VARCHAR(60) NOT NULL,
    severity VARCHAR(10) NOT NULL, sobject VARCHAR(80) NOT NULL, record_id VARCHAR(18) NOT NULL,
    reason TEXT NOT NULL, suggested_action TEXT NOT NULL, evidence {json} NOT NULL,
    suggested_values {json} NOT NULL, related {json} NOT NULL, group_id VARCHAR(80), score FLOAT,
    PRIMARY KEY (id))
"""


def _legacy_store(url: str, runs: dict[int, list[Finding]], *, postgres: bool) -> None:
    """A store as schema 1 left it: the run's findings whole in ``findings``, the shared tables not there yet."""
    Store.open(url)  # the other tables, as they were
    engine = sqlalchemy.create_engine(url if postgres else f"sqlite:///{url}")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE finding_bodies"))
        conn.execute(text("DROP TABLE run_findings"))
        serial = "GENERATED BY DEFAULT AS IDENTITY" if postgres else ""
        conn.execute(text(_LEGACY_DDL.format(serial=serial, json="JSON")))
        conn.execute(text("UPDATE sfbridge_meta SET value = '1' WHERE key = 'schema_version'"))
        # Saved out of order across runs: each run's own order is the ids' order.
        for position in range(max(len(items) for items in runs.values())):
            for run_id, items in runs.items():
                if position < len(items):
                    plain = items[position].plain
                    values = {
                        **{key: plain[key] for key in ("check", "severity", "sobject", "record_id", "reason")},
                        "run_id": run_id,
                        "action": plain["suggested_action"],
                        "evidence": orjson.dumps(plain["evidence"]).decode(),
                        "suggested": orjson.dumps(plain["suggested_values"]).decode(),
                        "related": orjson.dumps(plain["related"]).decode(),
                        "group_id": plain["group"],
                        "score": plain["score"],
                    }
                    conn.execute(
                        text(
                            "INSERT INTO findings (run_id, check_name, severity, sobject, record_id, reason, "
                            "suggested_action, evidence, suggested_values, related, group_id, score) VALUES "
                            "(:run_id, :check, :severity, :sobject, :record_id, :reason, :action, :evidence, "
                            ":suggested, :related, :group_id, :score)"
                        ),
                        values,
                    )
    engine.dispose()


@pytest.mark.parametrize("where", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_schema_1_store_keeps_every_runs_findings_in_order_when_opened(where, tmp_path, request):
    postgres = where == "postgresql"
    url = request.getfixturevalue("postgres_url") if postgres else str(tmp_path / "old.db")
    first = [_finding(number) for number in range(12)]
    second = [_finding(number, days=50 if number == 3 else None) for number in range(10)]
    _legacy_store(url, {1: first, 2: second}, postgres=postgres)

    store = Store.open(url)
    assert _plain(store.load_findings(1)) == _plain(first)
    assert _plain(store.load_findings(2)) == _plain(second)
    assert _counts(store) == (13, 22)  # second shares all but its changed finding with first
    with store.engine.connect() as conn:
        assert not sqlalchemy.inspect(conn).has_table("findings")
        version = conn.execute(text("SELECT value FROM sfbridge_meta WHERE key = 'schema_version'")).scalar()
    assert version == "2"
    # The next audit finds the old findings stored already.
    store.save_findings(3, first)
    assert _counts(store) == (13, 34)
    Store.open(url)  # and opening it again changes nothing
    assert _plain(Store.open(url).load_findings(3)) == _plain(first)


_INSERT = "INSERT INTO finding_bodies ..."  # the statement a driver error names


def test_a_schema_1_store_whose_move_fails_is_left_as_it_was(tmp_path, monkeypatch):
    """The second run's move refused, after the first run's findings were written: none of it is kept."""
    path = tmp_path / "old.db"
    _legacy_store(str(path), {1: [_finding(number) for number in range(5)], 2: [_finding(9)]}, postgres=False)
    real, moved = kept_findings.write_findings, []

    def refused_second(conn, run_id, batches):
        if moved:  # as the driver's error reaches the store (sfbridge.store.driver)
            raise sqlalchemy.exc.OperationalError(_INSERT, {}, sqlite3.OperationalError("disk I/O error"))
        real(conn, run_id, batches)
        moved.append(run_id)

    monkeypatch.setattr(kept_findings, "write_findings", refused_second)
    with pytest.raises(StoreError, match="prepare the store"):
        Store.open(str(path))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM sfbridge_meta WHERE key = 'schema_version'").fetchone() == ("1",)
        assert db.execute("SELECT COUNT(*) FROM findings").fetchone() == (6,)
        # The new tables may stay (pysqlite commits a CREATE TABLE at once), empty.
        assert db.execute("SELECT COUNT(*) FROM finding_bodies").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM run_findings").fetchone() == (0,)
    monkeypatch.undo()
    assert len(Store.open(str(path)).load_findings(1)) == 5


def test_a_schema_1_store_another_process_upgraded_meanwhile_opens(tmp_path, monkeypatch):
    """The first look fails as when another process holds the upgrade; the second finds it done."""
    path = tmp_path / "old.db"
    items = [_finding(number) for number in range(4)]
    _legacy_store(str(path), {1: items}, postgres=False)
    real, tries = kept_findings.adopt_legacy_findings, []

    def busy_once(conn):
        tries.append(1)
        if len(tries) == 1:
            raise sqlalchemy.exc.OperationalError(_INSERT, {}, sqlite3.OperationalError("database is locked"))
        return real(conn)

    monkeypatch.setattr("sfbridge.store.adopt_legacy_findings", busy_once)
    store = Store.open(str(path))
    assert len(tries) == 2
    assert _plain(store.load_findings(1)) == _plain(items)


def test_a_store_of_a_newer_schema_is_still_refused(tmp_path):
    path = tmp_path / "new.db"
    Store.open(str(path))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sfbridge_meta SET value = '3' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="has schema 3; this sfbridge knows 2"):
        Store.open(str(path))
