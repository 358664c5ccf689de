"""Import throughput: Lead rows per minute read, typed, checked and stored by `sfbridge import`, and peak memory.

Writes a Data Export-style ``Lead.csv`` of N rows (every value quoted, CRLF, UTC datetimes
with milliseconds) built from the demo org's exported Leads (``fixtures/import/``, 63 columns,
7 custom) with fresh Ids, then imports it into a new SQLite (or PostgreSQL) store in a fresh
process, so the timing and peak RSS are the import's alone. Writing the file is not timed.
Wall time depends on what else the machine runs; the import's own CPU seconds are reported too.

    python benchmarks/import_bench.py --records 1000000 [--store sqlite|postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from machine import machine  # benchmarks/machine.py, beside this script

from sfbridge.ids import to_18
from sfbridge.importing import import_export
from sfbridge.log import configure_logging
from sfbridge.store import Store

REPO = Path(__file__).resolve().parent.parent
EXPORT = REPO / "fixtures" / "import" / "WE_00D9P0000L6772hUQA_1.ZIP"
ORG_ID = "00D9P0000L6772hUQA"
START = datetime(2025, 1, 1, tzinfo=UTC)


def write_leads(path: Path, n: int) -> None:
    """N Leads: the demo export's Leads in turn, each with a new Id and a later SystemModstamp."""
    with zipfile.ZipFile(EXPORT) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("Lead.csv").decode("utf-8"))))
    header, templates = rows[0], rows[1:]
    id_at, stamp_at = header.index("Id"), header.index("SystemModstamp")
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for index in range(n):
            row = list(templates[index % len(templates)])
            row[id_at] = to_18(f"00Q5g0{index:09d}")
            stamp = START + timedelta(seconds=index)
            row[stamp_at] = stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            writer.writerow(row)


def peak_rss_mb() -> float:
    """This process's own peak RSS (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_only(folder: Path, store_url: str) -> dict[str, float]:
    """Import the folder's Lead.csv into a new store, timed."""
    configure_logging(json=True, level="warning")
    store = Store.open(store_url)
    began, cpu = time.perf_counter(), time.process_time()
    report = import_export(folder, store, org="bench", org_id=ORG_ID)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {
        "records": report.records,
        "seconds": round(seconds, 2),
        # CPU seconds of this process: what the import costs, however busy the machine is.
        "cpu_seconds": round(cpu, 2),
        "rows_per_minute": round(report.records / seconds * 60),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    """Run the benchmark and print one JSON line per repetition plus the median."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", default="sqlite", help="sqlite, or a PostgreSQL URL (emptied first)")
    parser.add_argument("--import-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_only:
        print(json.dumps(import_only(args.import_only, args.store)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="sfbridge-import-bench-") as work:
        folder = Path(work) / "export"
        folder.mkdir()
        write_leads(folder / "Lead.csv", args.records)
        for attempt in range(args.repeat):
            store = str(Path(work) / f"store-{attempt}.db") if args.store == "sqlite" else args.store
            command = [sys.executable, __file__, "--import-only", str(folder), "--store", store]
            done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603 (our own script)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            print(json.dumps(result))
    print(
        json.dumps(
            {
                "records": args.records,
                "median_seconds": statistics.median(r["seconds"] for r in results),
                "median_rows_per_minute": statistics.median(r["rows_per_minute"] for r in results),
                "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
                "max_peak_rss_mb": max(r["peak_rss_mb"] for r in results),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
