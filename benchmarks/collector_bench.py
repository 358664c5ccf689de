"""What Python's cyclic collector costs a command: its collections, their seconds, and what they freed.

Runs an sfbridge command in this process (its worker processes are not counted) with a
``gc.callbacks`` hook that times every collection, then prints one JSON line: per generation
the collections, their seconds and the objects they freed, and the collections that took
over 50 ms (seconds into the run, generation, seconds, freed).

    python benchmarks/collector_bench.py audit --offline --config DIR/sfbridge.toml \
        --store sqlite:///DIR/bench.db --out DIR/out

The audit runs with the collector paused from the snapshot's load to its last file
(:func:`sfbridge.audit.checked_audit`); this is how the cost of the collections it avoids was
counted (benchmarks/README.md, issue 16's twelfth round).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from typing import Any


def main(arguments: list[str]) -> dict[str, Any]:
    """Run ``sfbridge <arguments>`` here and count its collections."""
    generations: dict[int, dict[str, float]] = {}
    long_ones: list[list[float]] = []
    started: list[float] = []
    origin = time.perf_counter()

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
            return
        seconds = time.perf_counter() - started.pop()
        counts = generations.setdefault(info["generation"], {"collections": 0, "seconds": 0.0, "freed": 0})
        counts["collections"] += 1
        counts["seconds"] += seconds
        counts["freed"] += info["collected"]
        if seconds > 0.05:  # noqa: PLR2004 (what counts as a long collection)
            long_ones.append([round(time.perf_counter() - origin, 2), info["generation"], round(seconds, 3)])

    gc.callbacks.append(timed)
    from sfbridge.cli import main as sfbridge  # noqa: PLC0415 (imports are counted too)

    sys.argv = ["sfbridge", *arguments]
    try:
        sfbridge()
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    finally:
        gc.callbacks.remove(timed)
    return {
        "exit": code,
        "seconds": round(time.perf_counter() - origin, 2),
        "collections": sum(int(counts["collections"]) for counts in generations.values()),
        "collector_seconds": round(sum(counts["seconds"] for counts in generations.values()), 3),
        "freed": sum(int(counts["freed"]) for counts in generations.values()),
        "by_generation": {
            str(generation): {**counts, "seconds": round(counts["seconds"], 3)}
            for generation, counts in sorted(generations.items())
        },
        "long_collections": long_ones,
    }


if __name__ == "__main__":  # the audit's workers are spawned: they import this module without running it
    print(json.dumps(main(sys.argv[1:])))
