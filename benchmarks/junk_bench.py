"""Junk rules: recall and false alarms on the labelled sets, and the check's time on a big org.

    python benchmarks/junk_bench.py                          # accuracy only
    python benchmarks/junk_bench.py --historical PATH.csv.gz # + 50k real historical names
    python benchmarks/junk_bench.py --records 1000000        # + junk_lead's time on that org's leads

Accuracy: recall (and right category) on the held-out junk of fixtures/junk/heldout.csv,
false alarms on its real-looking half, on fixtures/labelled/splink/fake_1000.csv and, when
given, on historical_figures_with_errors_50k (first_name, surname, occupation as Title).
Timing: wall and CPU seconds of junk_lead over the open leads of a generated org, best of 3.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from sfbridge.checks import CheckContext
from sfbridge.checks.junk import junk_lead
from sfbridge.rules import Rules
from sfbridge.snapshot import Snapshot

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 2, tzinfo=UTC)
FIELDS = ("FirstName", "LastName", "Company", "Email", "Title", "Description")
STATUSES = pl.DataFrame(
    {"ApiName": ["Open"], "MasterLabel": ["Open"], "IsConverted": [False], "SortOrder": [1]},
    schema={"ApiName": pl.Utf8, "MasterLabel": pl.Utf8, "IsConverted": pl.Boolean, "SortOrder": pl.Int64},
)


def _context(leads: pl.DataFrame, statuses: pl.DataFrame = STATUSES) -> CheckContext:
    frames = {"Lead": leads, "LeadStatus": statuses}
    return CheckContext(
        snapshot=Snapshot(org_id="00D", instance_url="x", taken_at=NOW, frames=frames), rules=Rules(), now=NOW
    )


def judge(people: list[dict[str, str]]) -> dict[int, str]:
    """Categories junk_lead gives these people as open leads, by row number."""
    leads = pl.DataFrame(
        [
            {"Id": f"00Q{n:015d}", "Status": "Open", "IsConverted": False} | {f: p.get(f) or None for f in FIELDS}
            for n, p in enumerate(people)
        ],
        schema={"Id": pl.Utf8, "Status": pl.Utf8, "IsConverted": pl.Boolean} | dict.fromkeys(FIELDS, pl.Utf8),
    )
    return {int(f.record_id[3:]): f.evidence["category"] for f in junk_lead.run(_context(leads))}


def accuracy(historical: Path | None) -> None:
    """Print recall and false alarms per labelled set."""
    with (REPO / "fixtures/junk/heldout.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found = judge(rows)
    junk = [n for n, r in enumerate(rows) if r["expected"]]
    real = [n for n, r in enumerate(rows) if not r["expected"]]
    print(
        f"held-out: {len(junk)} junk, recall {sum(n in found for n in junk) / len(junk):.4f}, "
        f"right category {sum(found.get(n) == rows[n]['expected'] for n in junk) / len(junk):.4f}; "
        f"{len(real)} real, false alarms {sum(n in found for n in real)}"
    )
    for n in junk:
        if n not in found:
            print("  missed:", {k: rows[n][k] for k in ("FirstName", "LastName", "Company", "Email", "note")})
    with (REPO / "fixtures/labelled/splink/fake_1000.csv").open(encoding="utf-8") as handle:
        people = [
            {"FirstName": r["first_name"], "LastName": r["surname"], "Email": r["email"]}
            for r in csv.DictReader(handle)
        ]
    print(f"fake_1000: {len(people)} people, false alarms {len(judge(people))}")
    if historical:
        with gzip.open(historical, "rt", encoding="utf-8") as handle:
            people = [
                {"FirstName": r["first_name"], "LastName": r["surname"], "Title": r["occupation"]}
                for r in csv.DictReader(handle)
            ]
        print(f"historical figures: {len(people)} people, false alarms {len(judge(people))}")


def timing(records: int) -> None:
    """Print junk_lead's best wall and CPU seconds over a generated org's open leads."""
    from sfbridge_tools.synthetic import generate_org, shape_for_records  # noqa: PLC0415 (only when timing)

    org = generate_org(shape_for_records(records))
    columns = ("Id", "Status", "IsConverted", *FIELDS)
    leads = pl.DataFrame(
        [{c: r.get(c) for c in columns} for r in org.records("Lead")],
        schema={c: pl.Boolean if c == "IsConverted" else pl.Utf8 for c in columns},
    )
    statuses = pl.DataFrame(
        [{k: r.get(k) for k in STATUSES.columns} for r in org.records("LeadStatus")], schema=STATUSES.schema
    )
    context = _context(leads, statuses)
    runs = []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        count = len(junk_lead.run(context))
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    print(
        f"{records:,} records: {leads.height:,} leads, {count:,} findings; best wall {min(r[0] for r in runs):.2f} s, "
        f"best CPU {min(r[1] for r in runs):.2f} s"
    )


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--historical", type=Path, help="historical_figures_with_errors_50k.csv.gz")
    parser.add_argument("--records", type=int, help="also time junk_lead on a generated org of this many records")
    options = parser.parse_args()
    accuracy(options.historical)
    if options.records:
        timing(options.records)


if __name__ == "__main__":
    main()
