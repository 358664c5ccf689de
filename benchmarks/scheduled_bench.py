"""A scheduled sync end to end: pull, prepare and audit an org, then again after a share of it changed.

The org is generated (the demo-org generator, as `audit_bench.py`'s) and served by sfbridge's own
simulated org (:mod:`sfbridge.sandbox`) in this process: the real gateway and pull read it as
they read Salesforce (query pages, the delete log, counts). The pull's seconds are counted with
and without the simulated org's own serving time (its SOQL and JSON, a stand-in for Salesforce's
latency, which this machine cannot reach); the preparation runs as `sfbridge pull` runs it, and
the audit (`sfbridge audit --offline`) in a fresh process, as `audit_bench.py` times it.

    python benchmarks/scheduled_bench.py --records 100000             # then 1 % of Leads and Contacts
    python benchmarks/scheduled_bench.py --records 100000 --percent 5

Prints one JSON line per sync and their ratio (sfbridge's own seconds: pull without the serving,
preparation, audit).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from audit_bench import EXCHANGES, REPO, edited, time_audit  # benchmarks/audit_bench.py, beside this script
from machine import machine  # benchmarks/machine.py

from sfbridge.audit import prepare_for_audits
from sfbridge.cli.rehearsal import sandbox_gateway
from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.pull import PullOptions, pull
from sfbridge.rules import load_rules
from sfbridge.sandbox.describes import read_describes
from sfbridge.sandbox.org import SimulatedOrg
from sfbridge.sandbox.seed import local_sandbox, running_clock
from sfbridge.store import Store
from sfbridge_tools.synthetic import generate_org, shape_for_records


class _Served:
    """The simulated org's own seconds: its answers are made in this process, beside the pull's work."""

    def __init__(self, sandbox: SimulatedOrg) -> None:
        self.seconds = 0.0
        send = sandbox.send

        def timed(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 (requests' adapter signature)
            started = time.perf_counter()
            try:
                return send(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        sandbox.send = timed  # type: ignore[method-assign]


def _change(sandbox: SimulatedOrg, seeded: dict[str, list[dict[str, Any]]], percent: float) -> int:
    """Edit every n-th live Lead and Contact as `audit_bench.py --change` does, in the simulated org."""
    step, changed = max(1, round(100 / percent)), 0
    for sobject in EXCHANGES:
        for n, record in enumerate(seeded[sobject]):
            if n % step == 0 and not record.get("IsDeleted"):
                sandbox.upsert(sobject, {"Id": record["Id"], **edited(sobject, n, record.get("LastName"))})
                changed += 1
    return changed


def main() -> None:
    """Sync once, change a share of the org, sync again; print what each took."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--percent", type=float, default=1.0, help="the share of Leads and Contacts changed")
    args = parser.parse_args()
    org = generate_org(shape_for_records(args.records))
    seeded = {sobject: list(org.records(sobject)) for sobject in DEFAULT_OBJECTS}
    sandbox = local_sandbox(
        org_id=org.org_id,
        user_id=next(str(record["Id"]) for record in seeded["User"] if record.get("IsActive")),
        instance_url=org.instance_url,
        api_version="66.0",
        records={sobject: records for sobject, records in seeded.items() if records},
        describes=read_describes(REPO / "fixtures/demo-org/describe"),
        clock=running_clock(org.snapshot + timedelta(hours=1)),
    )
    served = _Served(sandbox)
    work = Path(tempfile.mkdtemp(prefix="sfbridge-scheduled-bench-"))
    store_url = str(work / "bench.db")
    store = Store.open(store_url)
    rules = load_rules(REPO / "fixtures/demo-org/rules.toml")

    def sync(label: str) -> dict[str, Any]:
        served.seconds, started = 0.0, time.perf_counter()
        options = PullOptions(page_size=2_000, clock=sandbox.clock)
        report = pull(
            sandbox_gateway(sandbox),
            store,
            org="bench",
            objects=list(DEFAULT_OBJECTS),
            options=options,
        )
        pulled = time.perf_counter() - started
        prepared = prepare_for_audits(store, rules)
        audited = time_audit(store_url, work)
        own = pulled - served.seconds + prepared.seconds + audited["audit_seconds"]
        row = {
            "sync": label,
            "records_read": sum(result.fetched for result in report.objects),
            "pull_seconds": round(pulled, 1),
            "serving_seconds": round(served.seconds, 1),
            "pull_own_seconds": round(pulled - served.seconds, 1),
            "prepare_seconds": round(prepared.seconds, 1),
            "kept": list(prepared.kept),
            "audit_seconds": audited["audit_seconds"],
            "findings": audited["findings"],
            "sfbridge_seconds": round(own, 1),
        }
        print(json.dumps(row), flush=True)
        return row

    first = sync("first")
    changed = _change(sandbox, seeded, args.percent)
    after = sync(f"after {args.percent:g} % of Leads and Contacts ({changed:,} records) changed")
    ratio = after["sfbridge_seconds"] / first["sfbridge_seconds"]
    print(json.dumps({"records": args.records, "ratio": round(ratio, 2), "machine": machine()}))


if __name__ == "__main__":
    main()
