"""Start-up of `sfbridge --help` and every `sfbridge <cmd> --help`: median wall time and peak RSS.

Each help runs in a fresh interpreter, ``--runs`` times; beside them, in the same run, the
peer ``python -c "import simple_salesforce, sqlite3"`` (what any Salesforce script pays to
start). Peak RSS is the child's own high-water mark from ``wait4`` (Linux and macOS). This
process imports nothing of sfbridge, so a child's pages shared before its exec stay small.

    python benchmarks/startup_bench.py --runs 7
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

_LIST_COMMANDS = """
import json, typer, typer.main
from sfbridge.cli import app

def paths(group, path=()):
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield [*path, name]
        if hasattr(command, "commands"):
            yield from paths(command, (*path, name))

print(json.dumps(list(paths(typer.main.get_command(app)))))
"""
PEER = ("peer: import simple_salesforce, sqlite3", [sys.executable, "-c", "import simple_salesforce, sqlite3"])


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of ``argv``."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 (our own argv)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        msg = f"{' '.join(argv)} exited {child.returncode}"
        raise SystemExit(msg)
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return elapsed, peak


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    args = parser.parse_args()
    listed = subprocess.run([sys.executable, "-c", _LIST_COMMANDS], capture_output=True, text=True, check=True)  # noqa: S603
    cases = [("sfbridge --help", [sys.executable, "-m", "sfbridge", "--help"])]
    cases += [
        (f"sfbridge {' '.join(path)} --help", [sys.executable, "-m", "sfbridge", *path, "--help"])
        for path in json.loads(listed.stdout)
    ]
    cases.append(PEER)
    print(f"| command | median wall (s) | peak RSS (MB) | runs (s) |  ({args.runs} runs each)")
    print("|---|---:|---:|---|")
    for label, argv in cases:
        results = [run_once(argv) for _ in range(args.runs)]
        walls = [wall for wall, _ in results]
        peak = max(rss for _, rss in results)
        shown = " · ".join(f"{wall:.2f}" for wall in walls)
        print(f"| `{label}` | {statistics.median(walls):.2f} | {peak:.0f} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
