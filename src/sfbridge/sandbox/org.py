"""A simulated Salesforce org: a requests transport that answers REST calls over in-memory data.

It records faithful cassettes (the demo org, test scenarios), feeds benchmarks and, with
:mod:`sfbridge.sandbox.writes`, is the local sandbox ``sfbridge demo --apply`` rehearses on:
the real gateway and pull code talk to it exactly as to Salesforce, and every answer uses
Salesforce's shapes, headers, error bodies, date formats and paging (``nextRecordsUrl``
locators).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime as http_date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from sfbridge.ids import to_18
from sfbridge.sandbox.describes import global_describe
from sfbridge.sandbox.faults import Disconnect, Fault, Injected, SlowCall, soap_operation, take_fault
from sfbridge.sandbox.login import soap_login_answer, token_answer
from sfbridge.sandbox.paging import Cursor, batch_size
from sfbridge.sandbox.soql import SoqlError, parse_soql
from sfbridge.wire import format_datetime, parse_datetime

__all__ = ["Disconnect", "Fault", "SimulatedOrg", "SlowCall"]

_JSON = "application/json;charset=UTF-8"
_SOAP_XML = {"Content-Type": "text/xml;charset=UTF-8"}
# Headers Salesforce puts on every REST answer (besides Date and Sforce-Limit-Info).
_COMMON_HEADERS = {
    "Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "none",
    "Vary": "Accept-Encoding",
}


@dataclass
class SimulatedOrg(BaseAdapter):
    """An org: describes, records per object, a delete log, an API counter and a clock."""

    org_id: str
    user_id: str
    instance_url: str
    api_version: str
    describes: dict[str, dict[str, Any]]
    records: dict[str, list[dict[str, Any]]]
    clock: Callable[[], datetime]
    api_limit: int = 15_000
    api_used: int = 1_000
    faults: list[Injected] = field(default_factory=list)
    page_sizes: list[int] = field(default_factory=list)
    deleted_log: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    earliest_delete_available: datetime | None = None
    #: How far behind ``end`` Get Deleted's coverage lags (Salesforce answers up to a
    #: ``latestDateCovered`` that "is less than or equal to endDate", floored to the minute).
    delete_log_lag: timedelta = timedelta(0)
    #: Every request that reached the org, in order, failed ones included (what tests count).
    received: list[requests.PreparedRequest] = field(default_factory=list)
    _cursors: dict[str, Cursor] = field(default_factory=dict)
    _locators: int = 0
    _running: list[list[Any]] = field(default_factory=list)  # slow calls: [queries left, request]

    def __post_init__(self) -> None:
        """Initialise the adapter base."""
        super().__init__()

    # -- changing the org (for incremental scenarios) ---------------------------------------

    def upsert(self, sobject: str, record: dict[str, Any]) -> None:
        """Create or change a record; stamps SystemModstamp/LastModifiedDate with the clock."""
        now = format_datetime(self.clock())
        stamped = {**record, "SystemModstamp": now, "LastModifiedDate": now}
        rows = self.records.setdefault(sobject, [])
        for index, row in enumerate(rows):
            if row["Id"] == record["Id"]:
                rows[index] = {**row, **stamped}
                return
        rows.append({"IsDeleted": False, "CreatedDate": now, **stamped})

    def delete(self, sobject: str, record_id: str) -> None:
        """Delete a record: it leaves queries, enters the delete log and queryAll (its field history with it)."""
        for row in self.records.get(sobject, []):
            if row["Id"] == record_id:
                row.update(IsDeleted=True, SystemModstamp=format_datetime(self.clock()))
        self.deleted_log.setdefault(sobject, []).append((record_id, self.clock()))
        for child, parent_field in _CASCADES.get(sobject, ()):
            for row in self.records.get(child, []):
                if row.get(parent_field) == record_id:
                    row["IsDeleted"] = True

    def purge(self, sobject: str, record_id: str) -> None:
        """Hard-delete a record (deleted and emptied from the Recycle Bin): only the delete log knows it."""
        self.delete(sobject, record_id)
        self.records[sobject] = [row for row in self.records.get(sobject, []) if row["Id"] != record_id]

    def add_field(self, sobject: str, entry: dict[str, Any]) -> None:
        """Add a field to an object's describe (an admin created a custom field)."""
        self.describes[sobject]["fields"].append(entry)

    # -- the transport ----------------------------------------------------------------------

    def send(self, request: requests.PreparedRequest, *_args: Any, **_kwargs: Any) -> requests.Response:  # noqa: ANN401
        """Answer one request as Salesforce would (stream, timeout, TLS and proxy options do not apply)."""
        self.received.append(request)
        method = (request.method or "GET").upper()
        path = urlsplit(request.url or "").path
        operation = soap_operation(request.body) if method == "POST" else ""
        self._advance_slow_calls(reading=method == "GET" and "/query" in path, writing=_writes(method, operation))
        fault = take_fault(self.faults, method, path, operation)
        # The daily allocation counts SOAP, REST and Bulk API calls; logging in through OAuth and
        # listing the versions (/services/data, which carries no Sforce-Limit-Info) are not API calls.
        # https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
        if not path.startswith("/services/oauth2/") and path.rstrip("/") != "/services/data":
            self.api_used += 1
        if isinstance(fault, Fault):
            return self._response(request, fault.status, fault.body, fault.headers)
        if isinstance(fault, SlowCall):
            self._running.append([fault.queries, request])
            msg = "Read timed out (simulated: Salesforce is still running the call)"
            raise fault.error(msg)
        if isinstance(fault, Disconnect) and not fault.after_acting:
            msg = "Connection reset by peer (simulated: the request never reached Salesforce)"
            raise fault.error(msg)
        response = self._response(request, *self._dispatch(request))
        if isinstance(fault, Disconnect):
            msg = "Connection reset by peer (simulated: Salesforce acted, the answer was lost)"
            raise fault.error(msg)
        return response

    def _dispatch(self, request: requests.PreparedRequest) -> tuple[int, Any, Mapping[str, str]]:
        parts = urlsplit(request.url or "")
        return self._route((request.method or "GET").upper(), parts.path, parts.query, request)

    def _advance_slow_calls(self, *, reading: bool, writing: bool) -> None:
        """Let slow calls land: one query closer each query, all of them before a later write.

        A running call holds its records' row locks until it commits, so a later write waits for it.
        """
        for running in list(self._running):
            running[0] -= 1 if reading else 0
            if writing or running[0] <= 0:
                self._running.remove(running)
                self._dispatch(running[1])

    def close(self) -> None:
        """Nothing to release."""

    def _response(
        self,
        request: requests.PreparedRequest,
        status: int,
        body: Any,  # noqa: ANN401 (JSON or text)
        headers: Mapping[str, str],
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.request = request
        response.url = request.url or ""
        if isinstance(body, str | bytes):
            content = body.encode() if isinstance(body, str) else body
            content_type = headers.get("Content-Type", "text/html;charset=UTF-8")
        else:
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            content_type = _JSON
        response.headers = CaseInsensitiveDict(
            {
                "Date": http_date(self.clock().astimezone(UTC), usegmt=True),
                **_COMMON_HEADERS,
                "Content-Type": content_type,
                **(
                    {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_limit}"}
                    if "/services/data/v" in response.url
                    else {}
                ),
                **headers,
            }
        )
        response._content = content  # noqa: SLF001 (how a transport hands requests a body)
        response.encoding = "utf-8"
        return response

    def _route(
        self, method: str, path: str, query: str, request: requests.PreparedRequest
    ) -> tuple[int, Any, Mapping[str, str]]:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path.endswith("/services/oauth2/token") and method == "POST":
            return 200, token_answer(self.org_id, self.user_id, self.instance_url, issued_at=self.clock()), {}
        if path.startswith("/services/Soap/u/") and method == "POST":
            return 200, soap_login_answer(path, self.org_id, self.user_id, self.instance_url), _SOAP_XML
        if path in {"/services/data", "/services/data/"}:
            return (
                200,
                [
                    {"label": label, "url": f"/services/data/v{version}", "version": version}
                    for version, label in _RELEASES
                    if float(version) <= float(self.api_version)
                ],
                {},
            )
        prefix = f"/services/data/v{self.api_version}/"
        if not path.startswith(prefix):
            return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], {}
        rest = path[len(prefix) :]
        return self._rest(rest, params, batch_size(request.headers.get("Sforce-Query-Options", "")))

    def _rest(  # noqa: PLR0911 (a router: one return per resource)
        self, rest: str, params: Mapping[str, str], batch_size: int
    ) -> tuple[int, Any, Mapping[str, str]]:
        if rest == "":
            return 200, self._resources(), {}
        if rest == "limits/":
            return 200, self._limits(), {}
        if rest in {"sobjects", "sobjects/"}:
            return 200, global_describe(self.describes), {}
        if rest in {"query/", "queryAll/"}:
            return self._query(params.get("q", ""), include_deleted=rest == "queryAll/", batch_size=batch_size)
        if rest.startswith("query/"):
            return self._more(rest.removeprefix("query/"))
        parts = rest.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe":  # noqa: PLR2004
            return self._describe(parts[1])
        if len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "deleted":  # noqa: PLR2004
            return self._deleted(parts[1], params)
        return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], {}

    # -- endpoints ------------------------------------------------------------------------------

    def _resources(self) -> dict[str, str]:
        base = f"/services/data/v{self.api_version}"
        names = ("tooling", "metadata", "sobjects", "query", "queryAll", "limits", "composite", "search", "jobs")
        return {
            **{name: f"{base}/{name}" for name in names},
            "identity": f"{self.instance_url}/id/{self.org_id}/{self.user_id}",
        }

    def _limits(self) -> dict[str, Any]:
        def limit(maximum: int, used: int = 0) -> dict[str, int]:
            return {"Max": maximum, "Remaining": maximum - used}

        return {
            "DailyApiRequests": limit(self.api_limit, self.api_used),
            "DailyBulkApiBatches": limit(15_000),
            "DailyBulkV2QueryJobs": limit(10_000),
            "DailyBulkV2QueryFileStorageMB": limit(976_562),
            "DataStorageMB": limit(1_024, 12),
            "FileStorageMB": limit(2_048, 3),
        }

    def _describe(self, sobject: str) -> tuple[int, Any, Mapping[str, str]]:
        if sobject not in self.describes:
            return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], {}
        return 200, self.describes[sobject], {}

    def _field_names(self, sobject: str) -> list[str] | None:
        describe = self.describes.get(sobject)
        return None if describe is None else [entry["name"] for entry in describe["fields"]]

    def _query(self, soql: str, *, include_deleted: bool, batch_size: int) -> tuple[int, Any, Mapping[str, str]]:
        try:
            query = parse_soql(soql, known_fields=self._field_names)
        except SoqlError as exc:
            return 400, [{"message": str(exc), "errorCode": exc.code}], {}
        rows = [
            row
            for row in self.records.get(query.sobject, [])
            if (include_deleted or not row.get("IsDeleted")) and query.matches(row)
        ]
        if query.is_count:
            return 200, {"totalSize": len(rows), "done": True, "records": []}, {}
        if query.order_by:
            rows.sort(key=query.sort_key())
        self._locators += 1
        locator = to_18(f"01g5g0000{self._locators:06d}")
        self._cursors[locator] = Cursor(query.sobject, rows, query.fields, batch_size, tuple(self.page_sizes))
        return 200, self._cursors[locator].page(0, locator=locator, api_version=self.api_version), {}

    def _more(self, token: str) -> tuple[int, Any, Mapping[str, str]]:
        locator, _, offset = token.partition("-")
        if locator not in self._cursors or not offset.isdigit():
            return 400, [{"errorCode": "INVALID_QUERY_LOCATOR", "message": "invalid query locator"}], {}
        return 200, self._cursors[locator].page(int(offset), locator=locator, api_version=self.api_version), {}

    def _deleted(self, sobject: str, params: Mapping[str, str]) -> tuple[int, Any, Mapping[str, str]]:
        try:
            start, end = parse_datetime(params["start"]), parse_datetime(params["end"])
        except (KeyError, ValueError):
            return (
                400,
                [{"errorCode": "INVALID_REPLICATION_DATE", "message": "start and end are required datetimes"}],
                {},
            )
        if start >= end:
            return (
                400,
                [
                    {
                        "errorCode": "INVALID_REPLICATION_DATE",
                        "message": "startDate must chronologically precede endDate by more than one minute",
                    }
                ],
                {},
            )
        # The log answers only up to the minute it has covered; a deletion after that is in
        # the next window, which starts at latestDateCovered.
        covered = max(start, (end - self.delete_log_lag).replace(second=0, microsecond=0))
        entries = [
            {"id": record_id, "deletedDate": format_datetime(when)}
            for record_id, when in self.deleted_log.get(sobject, [])
            if start <= when < covered
        ]
        earliest = self.earliest_delete_available or start
        return (
            200,
            {
                "deletedRecords": entries,
                "earliestDateAvailable": format_datetime(earliest),
                "latestDateCovered": format_datetime(covered),
            },
            {},
        )


# Salesforce deletes a record's field history with it (and restores it on undelete).
_CASCADES = {"Lead": (("LeadHistory", "LeadId"),)}

_RELEASES = (
    ("62.0", "Winter '25"),
    ("63.0", "Spring '25"),
    ("64.0", "Summer '25"),
    ("65.0", "Winter '26"),
    ("66.0", "Spring '26"),
    ("67.0", "Summer '26"),
)


def _writes(method: str, operation: str) -> bool:
    """Whether a request changes records (a REST PATCH, a SOAP call other than login)."""
    return method == "PATCH" or operation not in {"", "login"}
