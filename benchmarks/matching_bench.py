"""Duplicate matching and data-quality checks: seconds and peak memory for an org of N records.

Generates a synthetic org (60 % Leads, 35 % Contacts, 5 % Accounts) once per size into
parquet files under ``--cache`` (generation is slow: about a minute per million records),
loads them as typed frames the way the store hands them to the checks, and runs the real
checks on a snapshot: the three matching checks and the four data-quality checks. Each stage
of the shared matching is timed on its own first (normalising, blocking, scoring,
clustering, the merged values), then every check; peak RSS counts this process and its
phone-reading workers. The candidate pairs are also counted per kind of blocking key (a pair
found by several kinds counts in each), with the pairs only the kinds issue 12 added found.

    python benchmarks/matching_bench.py --records 100000
    python benchmarks/matching_bench.py --records 1000000
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from machine import machine  # benchmarks/machine.py, beside this script
from memory import MemorySampler  # benchmarks/memory.py

from sfbridge.checks import CheckContext, fields_needed, select_checks
from sfbridge.matching.blocking import KINDS
from sfbridge.rules import Rules
from sfbridge.snapshot import Snapshot
from sfbridge_tools.synthetic import generate_org, shape_for_records

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OBJECTS = ("Lead", "Contact", "Account", "LeadStatus")
CHECKS = (
    "duplicate",
    "lead_is_existing_contact",
    "lead_matches_account",
    "orphan_contact",
    "bounced_email",
    "invalid_email",
    "invalid_phone",
    "phone_format",
)
_REST_DATETIME = "%Y-%m-%dT%H:%M:%S%.f%z"


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    """REST text to the types the store gives checks: datetimes UTC, dates as dates."""
    casts = []
    for name, dtype in frame.schema.items():
        if dtype != pl.Utf8:
            continue
        if name.endswith(("Date", "Modstamp")) and name not in {"LastActivityDate", "ConvertedDate", "Birthdate"}:
            casts.append(pl.col(name).str.to_datetime(_REST_DATETIME, time_zone="UTC", time_unit="us"))
        elif name in {"LastActivityDate", "ConvertedDate", "Birthdate"}:
            casts.append(pl.col(name).str.to_date("%Y-%m-%d"))
    return frame.with_columns(casts)


def load_org(records: int, cache: Path) -> dict[str, pl.DataFrame]:
    """The org's frames, generated and cached as parquet on first use.

    Only the fields the timed checks declare are read, as the store loads them for an audit.
    """
    folder = cache / f"org-{records}"
    if not all((folder / f"{name}.parquet").exists() for name in OBJECTS):
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        org = generate_org(shape_for_records(records), snapshot=NOW)
        for name in OBJECTS:
            frame = pl.DataFrame(list(org.records(name)), infer_schema_length=None)
            _typed(frame).write_parquet(folder / f"{name}.parquet")
        print(f"generated {records:,} records in {time.perf_counter() - started:.0f} s into {folder}")
    needed = fields_needed(select_checks(CHECKS), Rules())
    frames = {}
    for name in OBJECTS:
        present = pl.read_parquet_schema(folder / f"{name}.parquet")
        columns = [field for field in sorted(needed.get(name, present)) if field in present]
        frames[name] = pl.read_parquet(folder / f"{name}.parquet", columns=columns)
    return frames


def timed(label: str, action: object) -> float:
    """Run a zero-argument callable, print and return its seconds."""
    started = time.perf_counter()
    result = action()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    size = f" ({len(result):,})" if hasattr(result, "__len__") else ""
    print(f"  {label:<28} {elapsed:7.2f} s{size}")
    return elapsed


# The kinds of key before issue 12 (email, phone, names at a company or domain or with a birth
# year, the mailbox, the birthdate): the bits below the first phonetic kind.
_FIRST_NEW_KIND = KINDS.index("sound_company")


def _per_kind(pairs: pl.DataFrame) -> str:
    """Candidate pairs per kind of blocking key, and those found only by the kinds issue 12 added."""
    counts = pairs.select(
        *[((pl.col("kinds") & (1 << bit)) != 0).sum().alias(kind) for bit, kind in enumerate(KINDS)],
        only_new=((pl.col("kinds") & ((1 << _FIRST_NEW_KIND) - 1)) == 0).sum(),
    ).row(0, named=True)
    return ", ".join(f"{kind} {count:,}" for kind, count in counts.items() if count)


def run(records: int, cache: Path) -> None:
    """Load the org and time the matching stages and the checks."""
    frames = load_org(records, cache)
    memory = MemorySampler()
    snapshot = Snapshot(org_id="00Dbench", instance_url="https://bench", taken_at=NOW, frames=frames)
    context = CheckContext(snapshot=snapshot, rules=Rules(), now=NOW)
    print(f"{records:,} records: {frames['Lead'].height:,} Leads, {frames['Contact'].height:,} Contacts")
    matching = context.matches
    total = timed("normalise people", lambda: matching.people)
    total += timed("block (candidate pairs)", lambda: matching.candidates.pairs)
    total += timed("compare and score", lambda: matching.scored)
    total += timed("explain matched pairs", lambda: matching.pairs)
    total += timed("cluster and survivors", lambda: matching.clusters)
    total += timed("merged values", lambda: matching.best_values)
    for check in select_checks(CHECKS):
        total += timed(check.name, lambda check=check: check.run(context))
    skipped = matching.candidates.oversized
    print(
        f"  people {matching.people.height:,}, candidate pairs {matching.candidates.pairs.height:,}, "
        f"oversized blocks skipped {skipped.height:,}, clusters {matching.clusters['cluster_id'].n_unique():,}"
    )
    print(f"  pairs per key kind: {_per_kind(matching.candidates.pairs)}")
    memory.stop()
    print(f"  total {total:.1f} s, peak RSS {memory.own:,.0f} MB, with phone workers {memory.total:,.0f} MB")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="Leads + Contacts + Accounts")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sfbridge-bench"), help="parquet cache folder")  # noqa: S108
    args = parser.parse_args()
    print(machine())
    run(args.records, args.cache)


if __name__ == "__main__":
    main()
