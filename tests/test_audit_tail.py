"""After the checks: the findings stored whole with the run, the same in the store and in findings.json.

An audit's run is recorded ok only once its findings are stored and its files written; a
failure in either (or Ctrl-C) ends it failed (interrupted), and the store keeps none of a
save that did not finish. The whole audit, checks and tail, runs with the cyclic collector
paused, and the terminal's summary shows the examples the reports picked.
"""

import dataclasses
import gc
import json
import weakref
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

import polars as pl
import pytest
from rich.console import Console

from conftest import copy_store, refuse_one_finding_row
from sfbridge.audit import CheckedAudit, audit
from sfbridge.checks import CHECKS, select_checks
from sfbridge.cli.auditing import run_audit
from sfbridge.errors import StoreError
from sfbridge.models import Finding, Severity, by_check
from sfbridge.outputs import AuditOutputs
from sfbridge.report.evidence import ordered
from sfbridge.report.terminal import audit_table
from sfbridge.rules import Rules
from sfbridge.store import Store, frames, runs

ALL = list(CHECKS.values())


@pytest.fixture
def store(demo_store, tmp_path):
    """A copy of the demo store (the session's own stays as it was)."""
    return copy_store(demo_store, tmp_path / "demo.db")


def _stopping_halfway(monkeypatch, stop):
    """Stop the save with ``stop`` once its first findings are inserted (the write lock held), as a Ctrl-C mid-save.

    A finding a batch: the first is inserted, and the second batch's rows raise as they are made.
    """
    made, batches = runs.finding_rows, []

    def rows(run_id, items):
        batches.append(len(items))
        if len(batches) == 2:
            raise stop
        return made(run_id, items)

    monkeypatch.setattr(runs, "_SAVE_BATCH", 1)
    monkeypatch.setattr(runs, "finding_rows", rows)


def test_the_stored_findings_and_findings_json_are_the_audits_own(store, tmp_path):
    """Every finding reads back from the store as it was found and written to findings.json, on either path."""
    outcome = run_audit(store, org="demo", rules=Rules(), checks=ALL, out_dir=tmp_path / "out")
    found = [item.plain for item in outcome.result.findings]
    assert len(found) > 100
    assert {item["check"] for item in found} >= {"duplicate", "stale_lead", "junk_lead"}
    assert [item.plain for item in store.load_findings(outcome.result.run_id)] == found
    assert json.loads((tmp_path / "out" / "findings.json").read_bytes())["findings"] == found
    assert store.run(outcome.result.run_id)["outcome"] == "ok"
    # audit() alone (what plan and the multi-org audit call) stores the same findings.
    again = audit(store, org="demo", rules=Rules(), checks=ALL)
    assert [item.plain for item in store.load_findings(again.run_id)] == found
    assert store.run(again.run_id)["counts"] == store.run(outcome.result.run_id)["counts"]


def test_a_save_failing_midway_stores_nothing_writes_no_files_and_fails_the_run(store, tmp_path, monkeypatch):
    """A database error halfway through the insert: no finding kept, no findings.json, the run failed."""
    refuse_one_finding_row(monkeypatch)
    with pytest.raises(StoreError, match="cannot save findings"):
        run_audit(store, org="demo", rules=Rules(), checks=select_checks(["stale_lead"]), out_dir=tmp_path / "out")
    (run,) = store.recent_runs(limit=1)
    assert (run["command"], run["outcome"]) == ("audit", "failed")
    assert run["error"].startswith("cannot save findings")
    assert store.load_findings(run["id"]) == []
    assert not (tmp_path / "out" / "findings.json").exists()
    assert store.audit_runs() == []  # no later audit compares itself with it


def test_ctrl_c_while_saving_keeps_no_finding_and_records_the_run_interrupted(store, tmp_path, monkeypatch):
    _stopping_halfway(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run_audit(store, org="demo", rules=Rules(), checks=select_checks(["stale_lead"]), out_dir=tmp_path / "out")
    (run,) = store.recent_runs(limit=1)
    assert (run["outcome"], run["error"]) == ("interrupted", "interrupted (Ctrl-C)")
    assert store.load_findings(run["id"]) == []
    assert not (tmp_path / "out" / "findings.json").exists()


@pytest.mark.parametrize(("stop", "outcome"), [(OSError("disk full"), "failed"), (KeyboardInterrupt(), "interrupted")])
def test_the_run_is_ok_only_once_its_files_are_written_too(store, tmp_path, monkeypatch, stop, outcome):
    """Writing the outputs fails (or is stopped): the run is not recorded ok, so no report or trend uses it."""

    def refuse(*_args, **_kwargs):
        raise stop

    monkeypatch.setattr("sfbridge.outputs.AuditOutputs.finish", refuse)
    with pytest.raises(type(stop)):
        run_audit(store, org="demo", rules=Rules(), checks=select_checks(["stale_lead"]), out_dir=tmp_path / "out")
    (run,) = store.recent_runs(limit=1)
    assert run["outcome"] == outcome
    assert run["counts"] is None
    assert store.audit_runs() == []


@pytest.mark.parametrize("stop", [None, OSError("disk full"), KeyboardInterrupt()])
def test_the_collector_is_paused_through_the_tail_and_runs_again_however_it_ends(store, tmp_path, monkeypatch, stop):
    """Findings stored and files written with the cyclic collector paused; it runs again after, errors too."""
    seen = {}
    save, finish = CheckedAudit.save, AuditOutputs.finish

    def seen_saving(self):
        seen["save"] = gc.isenabled()
        return save(self)

    def seen_finishing(self, document, **kwargs):
        seen["finish"] = gc.isenabled()
        if stop is not None:
            raise stop
        return finish(self, document, **kwargs)

    monkeypatch.setattr(CheckedAudit, "save", seen_saving)
    monkeypatch.setattr(AuditOutputs, "finish", seen_finishing)
    assert gc.isenabled()
    checks = select_checks(["stale_lead", "duplicate"])
    if stop is None:
        outcome = run_audit(store, org="demo", rules=Rules(), checks=checks, out_dir=tmp_path / "out")
        assert json.loads((tmp_path / "out" / "findings.json").read_bytes())["run_id"] == outcome.result.run_id
    else:
        with pytest.raises(type(stop)):
            run_audit(store, org="demo", rules=Rules(), checks=checks, out_dir=tmp_path / "out")
    assert seen == {"save": False, "finish": False}
    assert gc.isenabled()


@pytest.mark.parametrize("path", ["sfbridge audit", "audit()"])
@pytest.mark.parametrize("stop", [None, RuntimeError("a check failed"), KeyboardInterrupt()])
def test_the_collector_is_paused_from_the_load_through_the_checks_and_runs_again_however_it_ends(
    store, tmp_path, monkeypatch, path, stop
):
    """The checks and their findings' names are made with the collector paused too, on either path; it runs after."""
    seen = []
    load = Store.load_snapshot

    def seen_loading(self, *args, **kwargs):
        seen.append(("load", gc.isenabled()))
        return load(self, *args, **kwargs)

    def seen_running(check):
        def run(context):
            seen.append((check.name, gc.isenabled()))
            if stop is not None and check.name == "duplicate":
                raise stop
            return check.run(context)

        return dataclasses.replace(check, run=run)

    monkeypatch.setattr(Store, "load_snapshot", seen_loading)
    checks = [seen_running(check) for check in select_checks(["stale_lead", "duplicate"])]

    def audited():
        if path == "audit()":
            return audit(store, org="demo", rules=Rules(), checks=checks)
        return run_audit(store, org="demo", rules=Rules(), checks=checks, out_dir=tmp_path / "out").result

    assert gc.isenabled()
    if stop is None:
        assert {item.check for item in audited().findings} == {"stale_lead", "duplicate"}
    else:
        with pytest.raises(type(stop)):
            audited()
        (run,) = store.recent_runs(limit=1)
        assert run["outcome"] == ("interrupted" if isinstance(stop, KeyboardInterrupt) else "failed")
    assert seen == [("load", False), ("stale_lead", False), ("duplicate", False)]
    assert gc.isenabled()


def test_a_store_reader_that_died_leaves_no_cycle_for_the_checks(store, monkeypatch):
    """Its futures, their exception and the load's frames form a cycle: the paused collector must not keep it."""
    failures = []

    def died(*_):  # as _read_sqlite_isolated fails when its pool breaks
        future, failure = Future(), BrokenProcessPool("a reader died")
        failures.append(weakref.ref(failure))
        future.set_exception(failure)
        futures = [future]
        return {sobject: frame for done in futures for sobject, frame in done.result().items()}

    seen = []

    def seen_running(check):
        def run(context):
            seen.append([failure() for failure in failures])
            return check.run(context)

        return dataclasses.replace(check, run=run)

    store.forget_kept_frames()  # the audit reads the mirror
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)  # through reader processes, as a large store is
    monkeypatch.setattr(frames, "_read_sqlite_isolated", died)
    result = audit(
        store, org="demo", rules=Rules(), checks=[seen_running(check) for check in select_checks(["stale_lead"])]
    )
    assert len(result.findings) > 10  # read in process instead
    assert seen == [[None]]


@pytest.mark.parametrize("kept", [True, False], ids=["as pulled", "nothing kept"])
def test_an_audit_leaves_no_polars_frame_in_cyclic_garbage(store, kept):
    """With the collector paused, garbage in a cycle lives until the audit ends: none of it may hold a frame."""
    if not kept:  # the audit reads the mirror and normalises every value itself
        store.forget_derived()
        store.forget_kept_frames()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = audit(store, org="demo", rules=Rules(), checks=ALL)
        gc.collect()
        held = [type(item).__name__ for item in gc.garbage if isinstance(item, pl.DataFrame | pl.Series | pl.LazyFrame)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(result.findings) > 100
    assert held == []


def test_the_terminals_examples_are_the_reports_most_pressing_findings(store, tmp_path):
    """Each check's example, picked once with the reports' basis, is the one the table would pick from every finding."""
    outcome = run_audit(store, org="demo", rules=Rules(), checks=ALL, out_dir=tmp_path / "out")
    grouped = by_check(outcome.result.findings)
    assert set(outcome.examples) == set(grouped)
    for name, mine in grouped.items():
        assert outcome.examples[name] == ordered([item.plain for item in mine], limit=1)[0]

    def text(**examples):
        console = Console(width=300, record=True, color_system=None)
        console.print(audit_table(outcome.result.findings, checks=outcome.document["checks"], title="t", **examples))
        return console.export_text()

    assert text(examples=outcome.examples) == text()


def _one_finding(number: int) -> Finding:
    return Finding(check="stale_lead", severity=Severity.LOW, sobject="Lead", record_id=f"00Q0000000000{number:02d}EAA",
                   reason="idle", suggested_action="Close it", evidence={"days_idle": number})  # fmt: skip


def _stopped_saves(url, monkeypatch):
    target = Store.open(url)
    target.bind_org("00D000000000001EAA", "https://example.my.salesforce.com")
    run_id = target.start_run("audit", org="x", started_at=datetime(2026, 11, 2, tzinfo=UTC))
    items = [_one_finding(number) for number in range(10)]
    _stopping_halfway(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        target.save_findings(run_id, items)
    assert target.load_findings(run_id) == []
    monkeypatch.undo()
    refuse_one_finding_row(monkeypatch)
    with pytest.raises(StoreError, match=r"cannot save findings: IntegrityError: .*check_name"):
        target.save_findings(run_id, items)
    assert target.load_findings(run_id) == []
    monkeypatch.undo()
    target.save_findings(run_id, items)  # the store is usable after both
    assert [item.plain for item in target.load_findings(run_id)] == [item.plain for item in items]


def test_a_stopped_or_refused_save_keeps_none_of_its_findings_in_sqlite(tmp_path, monkeypatch):
    _stopped_saves(str(tmp_path / "store.db"), monkeypatch)


@pytest.mark.postgres
def test_a_stopped_or_refused_save_keeps_none_of_its_findings_in_postgresql(postgres_url, monkeypatch):
    _stopped_saves(postgres_url, monkeypatch)


def test_findings_saved_in_batches_are_kept_all_in_order_or_none(tmp_path, monkeypatch):
    """Rows are made a batch at a time (memory), still in one transaction: a refused last batch keeps none."""
    target = Store.open(str(tmp_path / "store.db"))
    target.bind_org("00D000000000001EAA", "https://example.my.salesforce.com")
    run_id = target.start_run("audit", org="x", started_at=datetime(2026, 11, 2, tzinfo=UTC))
    items = [_one_finding(number) for number in range(10)]
    monkeypatch.setattr(runs, "_SAVE_BATCH", 3)
    real = runs.finding_rows
    made = []

    def last_batch_refused(run_id, batch):
        rows = real(run_id, batch)
        made.append(len(rows))
        if len(made) == 4:  # 3 + 3 + 3 + 1
            rows[0] = (run_id, None, *rows[0][2:])  # check_name NOT NULL
        return rows

    monkeypatch.setattr(runs, "finding_rows", last_batch_refused)
    with pytest.raises(StoreError, match="cannot save findings"):
        target.save_findings(run_id, items)
    assert made == [3, 3, 3, 1]
    assert target.load_findings(run_id) == []
    monkeypatch.setattr(runs, "finding_rows", real)
    target.save_findings(run_id, items)
    assert [item.plain for item in target.load_findings(run_id)] == [item.plain for item in items]
