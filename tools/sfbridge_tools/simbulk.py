"""Bulk API 2.0 query jobs for the simulated org: create, poll, and CSV result pages by locator.

The shapes follow Salesforce's (and the cassettes in fixtures/http/bulk/): a JobInfo JSON on
create and poll (``UploadComplete``, then ``InProgress``, then ``JobComplete`` with
``numberRecordsProcessed``), result pages as CSV with every value quoted, nulls as empty
strings, datetimes as ``...000Z``, ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (the
literal ``null`` on the last page). Used by benchmarks and by the test that a Bulk pull and a
REST pull leave the same rows in the store.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

import requests

from sfbridge.ids import to_18
from sfbridge.sandbox.org import SimulatedOrg
from sfbridge.sandbox.soql import SoqlError, parse_soql
from sfbridge.wire import format_datetime

__all__ = ["BulkSimulatedOrg"]

_DEFAULT_PAGE = 50_000
_CSV = "text/csv"


@dataclass
class _Job:
    job_id: str
    sobject: str
    operation: str
    fields: tuple[str, ...]
    rows: list[dict[str, Any]]
    polls: int = 0


def _cell(value: Any) -> str:  # noqa: ANN401 (a stored value)
    if value is None:
        return ""  # Bulk writes null and empty text alike
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if len(text) == 28 and text.endswith("+0000") and text[10] == "T":  # noqa: PLR2004 (a REST datetime)
        return text[:23] + "Z"  # Bulk's datetime form
    return text


@dataclass
class BulkSimulatedOrg(SimulatedOrg):
    """The simulated org, also answering ``/jobs/query`` (Bulk API 2.0 query jobs)."""

    polls_until_complete: int = 1
    _jobs: dict[str, _Job] = field(default_factory=dict)

    def _route(  # noqa: PLR0911 (a router: one return per resource)
        self, method: str, path: str, query: str, request: requests.PreparedRequest
    ) -> tuple[int, Any, Any]:
        prefix = f"/services/data/v{self.api_version}/jobs/query"
        if not path.startswith(prefix):
            return super()._route(method, path, query, request)
        rest = path[len(prefix) :].strip("/").split("/") if path != prefix else []
        params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        if not rest and method == "POST":
            body = request.body if isinstance(request.body, str | bytes) else b"{}"
            return self._create(json.loads(body or b"{}"))
        job = self._jobs.get(rest[0]) if rest else None
        if job is None:
            return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], {}
        if len(rest) == 1 and method == "GET":
            job.polls += 1
            return 200, self._info(job), {}
        if len(rest) == 1 and method == "PATCH":
            return 200, self._info(job, state="Aborted"), {}
        if len(rest) == 2 and rest[1] == "results" and method == "GET":  # noqa: PLR2004
            return self._results(job, params)
        return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], {}

    def _create(self, body: dict[str, Any]) -> tuple[int, Any, Any]:
        try:
            parsed = parse_soql(str(body.get("query", "")), known_fields=self._field_names)
        except SoqlError as exc:
            return 400, [{"message": str(exc), "errorCode": exc.code}], {}
        include_deleted = body.get("operation") == "queryAll"
        rows = [
            row
            for row in self.records.get(parsed.sobject, [])
            if (include_deleted or not row.get("IsDeleted")) and parsed.matches(row)
        ]
        job_id = to_18(f"7505g0000{len(self._jobs) + 1:06d}")
        job = _Job(job_id, parsed.sobject, str(body.get("operation", "query")), parsed.fields, rows)
        self._jobs[job_id] = job
        return 200, self._info(job, state="UploadComplete"), {}

    def _info(self, job: _Job, *, state: str | None = None) -> dict[str, Any]:
        done = job.polls > self.polls_until_complete
        info: dict[str, Any] = {
            "id": job.job_id,
            "operation": job.operation,
            "object": job.sobject,
            "createdById": self.user_id,
            "createdDate": format_datetime(self.clock()),
            "systemModstamp": format_datetime(self.clock()),
            "state": state or ("JobComplete" if done else "InProgress"),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "jobType": "V2Query",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        if info["state"] == "JobComplete":
            info |= {"numberRecordsProcessed": len(job.rows), "retries": 0, "totalProcessingTime": 120}
        return info

    def _results(self, job: _Job, params: dict[str, str]) -> tuple[int, Any, Any]:
        if job.polls <= self.polls_until_complete:
            message = (
                "can only download query results of successfully completed bulk job with status: JOB_COMPLETE. "
                "Current status: IN_PROGRESS"
            )
            return 412, [{"errorCode": "JOB_NOT_COMPLETE", "message": message}], {}
        start = int(params.get("locator") or 0) if (params.get("locator") or "0").isdigit() else 0
        size = int(params.get("maxRecords", _DEFAULT_PAGE))
        chunk = job.rows[start : start + size]
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(job.fields)
        writer.writerows([_cell(row.get(name)) for name in job.fields] for row in chunk)
        following = start + size
        headers = {
            "Content-Type": _CSV,
            "Sforce-NumberOfRecords": str(len(chunk)),
            # Salesforce's locators are opaque; the offset serves here. The last page says "null".
            "Sforce-Locator": str(following) if following < len(job.rows) else "null",
        }
        return 200, out.getvalue(), headers
