"""Output speed and memory: `write_audit_outputs` on the findings of a stored audit run.

Loads a finished audit run's findings from a store and rebuilds its findings.json document
(as `sfbridge report` does: the run's trends and match model, no org profile), then times
writing the audit's files into a fresh folder, in a fresh process per repeat: wall seconds,
and the peak RSS above what the process held once the findings and the document were loaded
(the outputs stage's own cost), alone and with any worker processes (sampled from /proc every
50 ms), and CPU seconds of the process and of its workers (the machine may be shared: wall
time grows with other load, CPU time much less). The store is only read.

    python benchmarks/outputs_bench.py --store /tmp/bench/findings1m.db --run 3 --repeat 3
    python benchmarks/outputs_bench.py ... --keep /tmp/outs   # keep each repeat's folder to compare

Run it with PYTHONPATH pointing at the code to measure (`src` of one checkout or another), so
two versions are timed on the same store side by side; `--compare A B` then checks that two
kept folders hold the same files byte for byte (findings.xlsx: its parts, less the file
dates in the zip and the creation time in docProps/core.xml).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script
from memory import MemorySampler, _rss_mb  # benchmarks/memory.py


def _measure(store_url: str, run_id: int, out: Path) -> dict[str, Any]:
    """In this process: load the run, write its outputs into ``out``, and say how long and how much."""
    import os  # noqa: PLC0415 (only the child needs it)

    from sqlalchemy import text  # noqa: PLC0415

    from sfbridge.checks import select_checks  # noqa: PLC0415
    from sfbridge.cli.reporting import stored_audit_document  # noqa: PLC0415
    from sfbridge.outputs import write_audit_outputs  # noqa: PLC0415
    from sfbridge.rules import Rules  # noqa: PLC0415
    from sfbridge.store import Store  # noqa: PLC0415

    store = Store.open(store_url, create=False)
    # `stored_audit_document` reads an empty snapshot for the org's Id and instance, which a
    # SQLite store answers with no reader processes at all (and fails); the meta table has both.
    with store.engine.connect() as conn:
        org = dict(
            conn.execute(text("SELECT key, value FROM sfbridge_meta WHERE key IN ('org_id', 'instance_url')")).all()
        )
    store.load_snapshot = lambda _requests: SimpleNamespace(**org)  # type: ignore[method-assign]
    document = stored_audit_document(store, run_id, rules=Rules())
    findings = store.load_findings(run_id)
    known = {check.name: check for check in select_checks(None)}
    checks = {entry["name"]: known[entry["name"]].objects for entry in document["checks"]}
    loaded = _rss_mb(os.getpid())
    sampler = MemorySampler()
    started, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    write_audit_outputs(out, document=document, findings=findings, checks=checks)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workbook's worker, once it has ended
    sampler.stop()
    return {
        "findings": len(findings),
        "wall_s": round(wall, 2),
        # CPU seconds: this machine is shared, and wall time grows with everyone else's load.
        "cpu_s": round(cpu, 2),
        "worker_cpu_s": round(ended.ru_utime + ended.ru_stime - children.ru_utime - children.ru_stime, 2),
        "loaded_mb": round(loaded),
        "peak_mb": round(sampler.own),
        "added_mb": round(sampler.own - loaded),
        "added_with_workers_mb": round(sampler.total - loaded),
    }


def _zip_parts(path: Path) -> dict[str, bytes]:
    # A workbook's zip dates its entries and core.xml its creation: both differ between any two writes.
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    if "docProps/core.xml" in parts:
        parts["docProps/core.xml"] = re.sub(
            rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"", parts["docProps/core.xml"]
        )
    return parts


def compare(first: Path, second: Path) -> list[str]:
    """The files that differ between two output folders (by name; empty when they are the same)."""
    names = sorted({path.name for path in first.iterdir()} | {path.name for path in second.iterdir()})
    differ = []
    for name in names:
        a, b = first / name, second / name
        if not (a.is_file() and b.is_file()):
            differ.append(name)
        elif name.endswith(".xlsx"):
            if _zip_parts(a) != _zip_parts(b):
                differ.append(name)
        elif a.read_bytes() != b.read_bytes():
            differ.append(name)
    return differ


def main() -> None:
    """Time the outputs `--repeat` times, each in a fresh process; print one JSON line with the medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="the store's path or URL (only read)")
    parser.add_argument("--run", type=int, default=3, help="a finished audit run in it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep each repeat's outputs under this folder")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="compare two kept folders")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # one measurement, in this process
    args = parser.parse_args()
    if args.compare:
        differ = compare(*args.compare)
        print(json.dumps({"same": not differ, "differ": differ}))
        sys.exit(1 if differ else 0)
    if args.child:
        print(json.dumps(_measure(args.store, args.run, args.child)))
        return
    keep = args.keep or Path(tempfile.mkdtemp(prefix="sfbridge-outputs-bench-"))
    runs = []
    for number in range(1, args.repeat + 1):
        out = keep / f"run{number}"
        command = [sys.executable, __file__, "--store", args.store, "--run", str(args.run), "--child", str(out)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 (this script)
        # The child's last line: sfbridge's log lines (``audit_stage``) come before it, on
        # standard output, since the child sets no logging up.
        runs.append(json.loads(done.stdout.splitlines()[-1]))
    medians = {key: statistics.median(run_[key] for run_ in runs) for key in runs[0] if key != "findings"}
    print(json.dumps({"findings": runs[0]["findings"], "median": medians, "runs": runs, "machine": machine()}))


if __name__ == "__main__":
    main()
