"""The audit's tail, timed apart from a whole audit: storing a run's findings, and naming them.

Reads one run's findings out of a kept store (read-only: e.g. the store `audit_bench.py --keep`
left after a 1M audit), then, three times each on fresh copies of the findings (no cached JSON
form): `Store.save_findings` into a new SQLite store (checking they read back identical), and
`with_names` against name columns of 600k Leads and 350k Contacts built around the findings'
records.

    python benchmarks/tail_bench.py /tmp/bench/findings1m.db --run 1
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import polars as pl

from sfbridge.audit_names import with_names
from sfbridge.models import Finding, Severity
from sfbridge.store import Store

_COLUMNS = "check_name, severity, sobject, record_id, reason, suggested_action, evidence, suggested_values, related"
_NAMES = ("name", "company", "owner_name")


def stored_findings(path: Path, run_id: int) -> list[Finding]:
    """A run's findings as the checks made them: without the names the audit added."""
    query = (
        f"SELECT {_COLUMNS}, group_id, score FROM run_findings JOIN finding_bodies USING (digest) "  # noqa: S608
        "WHERE run_id = ? ORDER BY position"
    )
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source:
        rows = source.execute(query, (run_id,)).fetchall()
    return [
        Finding(check=row[0], severity=Severity(row[1]), sobject=row[2], record_id=row[3], reason=row[4],
                suggested_action=row[5], evidence={k: v for k, v in orjson.loads(row[6]).items() if k not in _NAMES},
                suggested_values=orjson.loads(row[7]), related=orjson.loads(row[8]), group=row[9], score=row[10])
        for row in rows
    ]  # fmt: skip


def name_frames(findings: list[Finding], leads: int = 600_000, contacts: int = 350_000) -> dict[str, pl.DataFrame]:
    """Name columns of an org of this size holding every finding's record."""
    users = [f"005{n:015d}" for n in range(200)]

    def people(sobject: str, prefix: str, size: int, company: str) -> pl.DataFrame:
        ids = sorted({item.record_id for item in findings if item.sobject == sobject})
        ids += [f"{prefix}{n:015d}" for n in range(size - len(ids))]
        other = (
            [f"Co {n % 5000}" for n in range(size)]
            if company == "Company"
            else [f"001{n % 50000:015d}" for n in range(size)]
        )
        return pl.DataFrame({"Id": ids, "FirstName": [f"F{n}" for n in range(size)],
                             "LastName": [f"L{n}" for n in range(size)], company: other,
                             "OwnerId": [users[n % 200] for n in range(size)]})  # fmt: skip

    return {
        "Lead": people("Lead", "00Q", leads, "Company"),
        "Contact": people("Contact", "003", contacts, "AccountId"),
        "Account": pl.DataFrame(
            {"Id": [f"001{n:015d}" for n in range(50000)], "Name": [f"A{n}" for n in range(50000)]}
        ),
        "User": pl.DataFrame({"Id": users, "Name": [f"User {n}" for n in range(200)]}),
        "Group": pl.DataFrame({"Id": ["00G000000000000001"], "Name": ["Queue"]}),
    }


def _timed(label: str, findings: list[Finding], step: Callable[[list[Finding]], float]) -> None:
    seconds = []
    for _ in range(3):
        fresh = [item.model_copy() for item in findings]  # no JSON form cached yet
        gc.collect()
        seconds.append(step(fresh))
    print(f"{label}: {', '.join(f'{value:.2f}' for value in seconds)} s (median {statistics.median(seconds):.2f})")


def main() -> None:
    """Time both steps on the findings of one stored run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a kept SQLite store (read only)")
    parser.add_argument("--run", type=int, default=1, help="the audit run whose findings are timed")
    options = parser.parse_args()
    findings = stored_findings(options.store, options.run)
    print(f"{len(findings):,} findings of run {options.run}")
    with tempfile.TemporaryDirectory() as folder:
        target = Store.open(str(Path(folder) / "tail.db"))
        target.bind_org("00D000000000001EAA", "https://bench.my.salesforce.com")

        def save(items: list[Finding]) -> float:
            run_id = target.start_run("audit", org="bench", started_at=datetime.now(UTC))
            started = time.perf_counter()
            target.save_findings(run_id, items)
            seconds = time.perf_counter() - started
            target.finish_run(run_id, outcome="ok", finished_at=datetime.now(UTC))
            if [item.plain for item in target.load_findings(run_id)] != [item.plain for item in items]:
                msg = "the stored findings do not read back identical"
                raise SystemExit(msg)
            return seconds

        _timed("save_findings", findings, save)
    frames = name_frames(findings)

    def name(items: list[Finding]) -> float:
        started = time.perf_counter()
        with_names(items, frames)
        return time.perf_counter() - started

    _timed("with_names", findings, name)


if __name__ == "__main__":
    main()
