"""Pull throughput: records per second parsed and stored, and peak memory, for N Leads.

Serves N synthetic Leads (from the demo-org generator) as REST query pages through a local
transport that reads pre-rendered pages from disk, and runs the real gateway, pull and
store against it. Only the client side is timed: the pages are written before the clock
starts, and serving one is a file read. Peak RSS is read after the pull; pages are read one
at a time, so it shows whether the client's memory grows with N.

    python benchmarks/pull_bench.py --records 100000 [--store sqlite|postgresql]
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
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from machine import machine  # benchmarks/machine.py, beside this script
from pydantic import SecretStr
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from sfbridge.config import AuthMethod, OrgProfile
from sfbridge.credentials import Secrets
from sfbridge.ids import to_18
from sfbridge.log import configure_logging
from sfbridge.pull import PullOptions, pull
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.session import ApiUsage, TimeoutSession
from sfbridge.store import Store
from sfbridge_tools.synthetic import generate_org, shape_for_records

REPO = Path(__file__).resolve().parent.parent
INSTANCE = "https://bench.my.salesforce.com"
VERSION = "66.0"
PAGE = 2000
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def leads(n: int) -> Iterator[dict[str, Any]]:
    """N realistic Leads from the generator (its shape puts 60 % of records in Leads)."""
    org = generate_org(shape_for_records(max(20, -(-n * 100 // 60))), snapshot=NOW)
    for index, lead in enumerate(org.records("Lead")):
        if index == n:
            return
        yield lead


def write_pages(folder: Path, n: int, fields: list[str]) -> int:
    """Render the query pages Salesforce would send, one file each; return the page count."""
    locator = to_18("01g5g0000000001")
    page: list[dict[str, Any]] = []
    count = 0

    def flush(*, done: bool) -> None:
        nonlocal count
        body: dict[str, Any] = {"totalSize": n, "done": done}
        if not done:
            body["nextRecordsUrl"] = f"/services/data/v{VERSION}/query/{locator}-{(count + 1) * PAGE}"
        body["records"] = page
        (folder / f"{count:06d}.json").write_bytes(orjson.dumps(body))
        count += 1

    for lead in leads(n):
        url = f"/services/data/v{VERSION}/sobjects/Lead/{lead['Id']}"
        page.append({"attributes": {"type": "Lead", "url": url}, **{f: lead.get(f) for f in fields}})
        if len(page) == PAGE:
            flush(done=count * PAGE + PAGE >= n)
            page = []
    if page or count == 0:
        flush(done=True)
    return count


BULK_PAGE = 50_000  # records per Bulk result page (the pull asks for this many)


def _bulk_cell(value: Any) -> str:  # noqa: ANN401 (a REST value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    rest_form = len(text) == 28 and text.endswith("+0000")  # noqa: PLR2004 (a REST datetime: ...000+0000)
    return text[:23] + "Z" if rest_form else text  # Bulk writes datetimes ...000Z


def write_csv_pages(folder: Path, n: int, fields: list[str]) -> int:
    """Render the Bulk API 2.0 result pages (CSV, every value quoted) Salesforce would send."""
    count, rows = 0, []

    def flush() -> None:
        nonlocal count, rows
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(fields)
        writer.writerows(rows)
        (folder / f"{count:06d}.csv").write_text(out.getvalue(), encoding="utf-8")
        count, rows = count + 1, []

    for lead in leads(n):
        rows.append([_bulk_cell(lead.get(name)) for name in fields])
        if len(rows) == BULK_PAGE:
            flush()
    if rows or count == 0:
        flush()
    return count


class PageServer(BaseAdapter):
    """Answers the pull's calls: token, identity, describe, query pages from disk, COUNT()."""

    def __init__(self, folder: Path, describe: dict[str, Any], n: int) -> None:
        """Serve pages from ``folder`` for an org of ``n`` Leads."""
        super().__init__()
        self.folder, self.describe, self.n, self.used = folder, describe, n, 100

    def send(self, request: requests.PreparedRequest, **_kwargs: Any) -> requests.Response:  # noqa: ANN401
        """Answer one call."""
        parts = urlsplit(request.url or "")
        self.used += 1
        body: bytes
        headers = {"Content-Type": "application/json;charset=UTF-8"}
        job = {"id": to_18("7505g0000000001"), "operation": "query", "object": "Lead", "state": "JobComplete"}
        if "/jobs/query" in parts.path and parts.path.endswith("/results"):
            pages = sorted(self.folder.glob("*.csv"))
            index = int(parse_qs(parts.query).get("locator", ["0"])[0])
            body = pages[index].read_bytes()
            last = index + 1 >= len(pages)
            headers = {
                "Content-Type": "text/csv",
                "Sforce-NumberOfRecords": str(min(BULK_PAGE, self.n - index * BULK_PAGE)),
                "Sforce-Locator": "null" if last else str(index + 1),
            }
        elif "/jobs/query" in parts.path:
            extra = {"numberRecordsProcessed": self.n, "contentType": "CSV", "columnDelimiter": "COMMA"}
            body = orjson.dumps({**job, "apiVersion": float(VERSION), "lineEnding": "LF", **extra})
        elif parts.path.endswith("/oauth2/token"):
            body = orjson.dumps({"access_token": "00D!bench", "instance_url": INSTANCE, "token_type": "Bearer"})
        elif parts.path.endswith(f"/v{VERSION}/"):
            body = orjson.dumps({"identity": f"{INSTANCE}/id/{to_18('00D5g0000000001')}/{to_18('0055g0000000001')}"})
        elif parts.path.endswith("/describe/"):
            body = orjson.dumps(self.describe)
        elif parts.path.endswith("/query/") and "COUNT()" in parse_qs(parts.query)["q"][0]:
            body = orjson.dumps({"totalSize": self.n, "done": True, "records": []})
        elif parts.path.endswith("/query/"):
            body = (self.folder / "000000.json").read_bytes()
        else:
            offset = int(parts.path.rsplit("-", 1)[1])
            body = (self.folder / f"{offset // PAGE:06d}.json").read_bytes()
        response = requests.Response()
        response.status_code, response.request, response.url = 200, request, request.url or ""
        response.headers = CaseInsensitiveDict({**headers, "Sforce-Limit-Info": f"api-usage={self.used}/5000000"})
        response._content = body  # noqa: SLF001
        return response

    def close(self) -> None:
        """Nothing to release."""


def pull_pages(pages_dir: Path, n: int, store_url: str, *, bulk: bool = False) -> dict[str, float]:
    """Time one pull of N Leads from rendered pages into a fresh store (run in its own process)."""
    configure_logging(json=True, level="warning")
    describe = json.loads((REPO / "fixtures/demo-org/describe/Lead.json").read_text())
    profile = OrgProfile(name="bench", auth=AuthMethod.CLIENT_CREDENTIALS, login_url=INSTANCE, consumer_key="k")
    session = TimeoutSession(connect_timeout=5, read_timeout=5, usage=ApiUsage())
    session.mount("https://", PageServer(pages_dir, describe, n))
    gateway = SalesforceGateway(profile, Secrets(client_secret=SecretStr("s")), session=session)
    store = Store.open(store_url)
    started = time.perf_counter()
    pull(gateway, store, org="bench", objects=["Lead"], options=PullOptions(clock=lambda: NOW, bulk=bulk))
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    return {
        "records": n,
        "seconds": round(seconds, 3),
        "records_per_second": round(n / seconds),
        "peak_rss_mb": round(peak_mb, 1),
    }


def peak_rss_mb() -> float:
    """This process's own peak RSS.

    Linux keeps ru_maxrss across fork and exec, so a child would report its parent's peak (the
    page generator's); VmHWM belongs to the process image alone.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, store_url: str, work: Path, *, bulk: bool = False) -> dict[str, float]:
    """Render pages here, then pull them in a fresh process so its peak RSS is the client's alone."""
    describe = json.loads((REPO / "fixtures/demo-org/describe/Lead.json").read_text())
    fields = [f["name"] for f in describe["fields"] if f["type"] not in {"address", "location", "base64"}]
    pages_dir = work / "pages"
    pages_dir.mkdir()
    (write_csv_pages if bulk else write_pages)(pages_dir, n, fields)
    command = [sys.executable, __file__, "--pull-only", str(pages_dir), "--records", str(n), "--store", store_url]
    command += ["--bulk"] if bulk else []
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603 (our own script)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and print one JSON line per repetition plus the median."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--bulk", action="store_true", help="serve a Bulk API 2.0 query job (CSV pages) instead")
    parser.add_argument("--pull-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pull_only:
        print(json.dumps(pull_pages(args.pull_only, args.records, args.store, bulk=args.bulk)))
        return
    results = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="sfbridge-bench-") as folder:
            url = str(Path(folder) / "bench.db") if args.store == "sqlite" else args.store
            result = run(args.records, url, Path(folder), bulk=args.bulk)
            results.append(result)
            print(json.dumps(result))
    print(
        json.dumps(
            {
                "records": args.records,
                "api": "bulk" if args.bulk else "rest",
                "median_records_per_second": round(statistics.median(r["records_per_second"] for r in results)),
                "max_peak_rss_mb": max(r["peak_rss_mb"] for r in results),
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
