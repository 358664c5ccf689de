"""Audit speed and memory: `sfbridge audit --offline` on a synthetic org of N records.

Generates an org with the demo-org generator (60 % Leads, 35 % Contacts, 5 % Accounts, plus
their Users, queues, statuses, Tasks, Opportunities and status history), loads it straight
into a SQLite store (the same write path a pull uses, without HTTP), then times the real
command in a fresh process: wall seconds, CPU seconds (its workers' included), and peak RSS
of the audit process alone and with its reader and phone-reading workers (sampled from /proc
every 50 ms).

    python benchmarks/audit_bench.py --records 100000
    python benchmarks/audit_bench.py --records 1000000 --keep /tmp/bench-1m   # reuse with --reuse
    python benchmarks/audit_bench.py --records 1000000 --keep /tmp/bench-1m --reuse --cold        # derive everything
    python benchmarks/audit_bench.py --records 1000000 --keep /tmp/bench-1m --reuse --change 1    # after a 1 % change
    python benchmarks/audit_bench.py --records 1000000 --keep /tmp/bench-1m --reuse --change-tasks 1    # 1 % of Tasks
    python benchmarks/audit_bench.py --records 1000000 --keep /tmp/bench-1m --reuse --quiet-pull  # a pull found nothing

A built store is prepared as `sfbridge pull` leaves one (the people's values normalised and
kept, and the audit's frames kept: :mod:`sfbridge.prepare`); ``--cold`` audits without either,
as the first audit of a store an older sfbridge pulled would.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script
from memory import MemorySampler  # benchmarks/memory.py
from sqlalchemy import text

from sfbridge.audit import prepare_for_audits
from sfbridge.rules import load_rules
from sfbridge.store import Store, mirror_table_name
from sfbridge_tools.synthetic import generate_org, shape_for_records
from sfbridge_tools.synthetic.into_store import write_as_pulled

REPO = Path(__file__).resolve().parent.parent
PAGE = 5_000


def build_store(records: int, store_url: str) -> dict[str, Any]:
    """Generate an org and write it into a store as a completed first pull would."""
    started = time.perf_counter()
    store = Store.open(store_url)
    counts = write_as_pulled(
        generate_org(shape_for_records(records)), store, describes=REPO / "fixtures/demo-org/describe"
    )
    return {"build_seconds": round(time.perf_counter() - started, 1), "counts": counts}


def time_audit(store_url: str, work: Path) -> dict[str, Any]:
    """Run `sfbridge audit --offline` in a fresh process, sampling its memory and its workers'."""
    config = work / "sfbridge.toml"
    config.write_text(
        '[orgs.bench]\nauth = "access_token"\ninstance_url = "https://bench.my.salesforce.com"\n'
        f'rules = "{REPO / "fixtures/demo-org/rules.toml"}"\n',
        encoding="utf-8",
    )
    command = [
        sys.executable,
        "-m",
        "sfbridge",
        "audit",
        "--offline",
        "--config",
        str(config),
        "--store",
        store_url,
        "--out",
        str(work / "out"),
        "--json",
    ]
    started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as audit:  # noqa: S603 (our own command)
        memory = MemorySampler(audit.pid)
        stdout, stderr = audit.communicate()
        memory.stop()
    seconds = time.perf_counter() - started
    # The audit's CPU seconds, its workers' included (each waited for by the audit, the audit by
    # this process): on a shared machine the wall time swings by several seconds from run to
    # run with the neighbours' load, and the CPU time is a second view of the same run (it
    # swings too, if less: 38.9-48.3 CPU-s against 26.6-35.8 s of wall over six 1M audits).
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ended.ru_utime + ended.ru_stime - children.ru_utime - children.ru_stime
    if audit.returncode not in {0, 1}:
        raise SystemExit(stderr[-2000:])
    summary = json.loads(stdout)["summary"]
    # The audit logs each stage's and each check's seconds (JSON lines on stderr, not a terminal).
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return {
        "audit_seconds": round(seconds, 1),
        "audit_cpu_seconds": round(cpu, 1),
        "peak_rss_mb": round(memory.own),
        "peak_rss_with_workers_mb": round(memory.total),
        "findings": summary["total"],
        "by_check": {k: v["count"] for k, v in summary["by_check"].items()},
        "stage_seconds": {event["stage"]: event["seconds"] for event in events if event.get("event") == "audit_stage"},
        "check_seconds": {event["check"]: event["seconds"] for event in events if event.get("event") == "check_done"},
        # The objects read from the frames the preparation kept (none: the mirror was read, as after an edit
        # to sfbridge's code, which leaves kept frames stale until the store is prepared again).
        "kept_frames": next((e["objects"] for e in events if e.get("event") == "kept_frames_read"), []),
        # The people read back as the preparation kept them (0: normalised by the audit, as when kept frames are stale).
        "kept_people": next((e["people"] for e in events if e.get("event") == "kept_people_read"), 0),
    }


def prepare(store_url: str) -> dict[str, Any]:
    """Normalise the people and keep the audit's frames, as `sfbridge pull` does (:mod:`sfbridge.prepare`)."""
    prepared = prepare_for_audits(
        Store.open(store_url, create=False), load_rules(REPO / "fixtures/demo-org/rules.toml")
    )
    return {"prepare_seconds": round(prepared.seconds, 1), "prepare_kept": list(prepared.kept)}


def _written(store: Store, sobject: str, columns: list[str], rows: list[tuple[Any, ...]], at: datetime) -> None:
    """Write rows as a pull's pages do (the object's state as it is: the bookmark does not move)."""
    state = store.state(sobject)
    assert state is not None  # noqa: S101 (a built store holds every object)
    for start in range(0, len(rows), PAGE):
        store.write_page(state, columns, rows[start : start + PAGE], synced_at=at, run_id=None)


#: Per object changed, where its new phone numbers start: every changed record's number is its own.
EXCHANGES = {"Lead": 2_000_000, "Contact": 6_000_000}


def edited(sobject: str, n: int, last_name: str | None) -> dict[str, str]:
    """The n-th record's edit: a new phone number, email and last name (new values for every normaliser)."""
    return {
        "Phone": f"+1 415 {EXCHANGES[sobject] + n}",
        "Email": f"changed.{sobject.lower()}.{n}@example.org",
        "LastName": f"{last_name or ''}son",
    }


def change(store_url: str, percent: float) -> dict[str, Any]:
    """Change ``percent`` of the Leads and Contacts the way an incremental pull would bring them.

    Every n-th record gets a new phone number, email and last name (new values for every
    normaliser), written through the store's page writer as a pull's pages are; the pull's own
    prepare step follows. Each changed record's new phone number and email are its own: an
    edit does not make a hundred people share one number, which would add candidate pairs (and
    duplicates) that a full audit of the same org does not have, and measure a different search.
    """
    store = Store.open(store_url, create=False)
    step = max(1, round(100 / percent))
    now = datetime.now(UTC)
    changed = 0
    for sobject in EXCHANGES:
        table = mirror_table_name(sobject)  # our own table names, not input
        with store.engine.connect() as conn:
            found = conn.execute(
                text(f'SELECT rowid, "Id", "LastName" FROM {table} WHERE rowid % {step} = 0 ORDER BY rowid')  # noqa: S608
            ).all()
        rows = [(record, *edited(sobject, rowid, last).values()) for rowid, record, last in found]
        _written(store, sobject, ["Id", "Phone", "Email", "LastName"], rows, now)
        changed += len(rows)
    return {"changed_records": changed, **prepare(store_url)}


def change_tasks(store_url: str, percent: float) -> dict[str, Any]:
    """Complete ``percent`` of the Tasks, as a pull that brought only activity would; then prepare."""
    store = Store.open(store_url, create=False)
    step = max(1, round(100 / percent))
    table = mirror_table_name("Task")  # our own table name, not input
    with store.engine.connect() as conn:
        found = conn.execute(text(f'SELECT "Id" FROM {table} WHERE rowid % {step} = 0 ORDER BY rowid')).all()  # noqa: S608
    _written(
        store,
        "Task",
        ["Id", "Status", "IsClosed"],
        [(record, "Completed", True) for (record,) in found],
        datetime.now(UTC),
    )
    return {"changed_tasks": len(found), **prepare(store_url)}


def quiet_pull(store_url: str) -> dict[str, Any]:
    """What a scheduled pull that found nothing new writes, then prepare.

    Every object's sync state anew (a new completion moment), and the small objects read whole
    on every pull (Group, LeadStatus: no cursor) written again, as `sfbridge pull` does.
    """
    store = Store.open(store_url, create=False)
    with store.engine.connect() as conn:
        objects = [row[0] for row in conn.execute(text("SELECT sobject FROM sync_state ORDER BY sobject"))]
        last = conn.execute(text("SELECT max(completed_at) FROM sync_state")).scalar()
    # A quarter of an hour after the last pull, by the org's clock: not the local clock's today,
    # which would age the synthetic org by weeks and change what the audit finds.
    now = datetime.fromisoformat(str(last)).replace(tzinfo=UTC) + timedelta(minutes=15)
    for sobject in objects:
        state = store.state(sobject)
        assert state is not None  # noqa: S101 (listed above)
        if state.cursor is None:
            names = ", ".join(f'"{name}"' for name in state.columns)  # describe's field names
            with store.engine.connect() as conn:  # as stored: the page writer takes stored forms
                rows = [tuple(row) for row in conn.execute(text(f"SELECT {names} FROM {mirror_table_name(sobject)}"))]  # noqa: S608
            _written(store, sobject, list(state.columns), rows, now)
        store.save_state(state.model_copy(update={"completed_at": now}))
    return {"quiet_pull": True, **prepare(store_url)}


def main() -> None:
    """Build (or reuse) a store, time the audit, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the generated store in this folder")
    parser.add_argument("--reuse", action="store_true", help="audit the store kept in --keep without rebuilding")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="forget the normalisers' kept tables and the kept frames first: the audit reads and derives everything",
    )
    parser.add_argument(
        "--change", type=float, metavar="PERCENT", help="change this share of Leads and Contacts first, then prepare"
    )
    parser.add_argument(
        "--change-tasks", type=float, metavar="PERCENT", help="complete this share of the Tasks first, then prepare"
    )
    parser.add_argument(
        "--quiet-pull", action="store_true", help="write what a pull that found nothing new writes first, then prepare"
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sfbridge-audit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    store_url = str(work / "bench.db")
    built = {} if args.reuse else {**build_store(args.records, store_url), **prepare(store_url)}
    if args.change:
        built.update(change(store_url, args.change))
    if args.change_tasks:
        built.update(change_tasks(store_url, args.change_tasks))
    if args.quiet_pull:
        built.update(quiet_pull(store_url))
    if args.cold:
        store = Store.open(store_url, create=False)
        store.forget_derived()
        store.forget_kept_frames()
    result = {"records": args.records, **built, **time_audit(store_url, work), "machine": machine()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
