"""REST reads: SOQL query pages, describes, the object list, limits, Get Deleted.

Each is one idempotent GET through :meth:`~.connection.OrgConnection._call` (so retried on
transient failures), its JSON checked for the keys callers rely on before it is handed on: an
answer of another shape is a :class:`~sfbridge.errors.ProtocolError`, not a ``KeyError`` later.
Query pages also come as raw bytes, which the pull decodes itself (typed, with msgspec).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from sfbridge.errors import ProtocolError
from sfbridge.salesforce.connection import OrgConnection
from sfbridge.salesforce.translate import protocol_error
from sfbridge.wire import format_datetime

__all__ = ["RestReads"]


class RestReads(OrgConnection):
    """The gateway's REST reads."""

    def sobject_names(self) -> list[str]:
        """List the objects the org offers this user (global describe, ``GET /sobjects``)."""
        body = _expect_mapping(
            self._call("list objects", lambda sf: sf.restful("sobjects")), "list objects", keys=("sobjects",)
        )
        entries = body["sobjects"] if isinstance(body["sobjects"], list) else []
        return [str(entry["name"]) for entry in entries if isinstance(entry, Mapping) and entry.get("name")]

    def limits(self) -> dict[str, Any]:
        """Return the org's limits (``GET /limits/``)."""
        return _expect_mapping(self._call("read limits", lambda sf: sf.limits()), "read limits")

    def describe(self, sobject: str) -> dict[str, Any]:
        """Describe one object: its fields, types and flags."""
        body = self._call(
            f"describe {sobject}",
            lambda sf: sf.restful(f"sobjects/{sobject}/describe/"),
            sobject=sobject,
        )
        return _expect_mapping(body, f"describe {sobject}", keys=("name", "fields"))

    def query(
        self,
        soql: str,
        *,
        sobject: str,
        include_deleted: bool = False,
        batch_size: int | None = None,
    ) -> dict[str, Any]:
        """Run a SOQL query and return its first page, parsed (``query`` or ``queryAll``)."""
        body = self.query_raw(soql, sobject=sobject, include_deleted=include_deleted, batch_size=batch_size)
        return _page(body, f"query {sobject}")

    def query_more(self, next_records_url: str, *, sobject: str) -> dict[str, Any]:
        """Fetch and parse the next page of a query from its ``nextRecordsUrl``."""
        return _page(self.query_more_raw(next_records_url, sobject=sobject), f"query {sobject}")

    def query_raw(
        self,
        soql: str,
        *,
        sobject: str,
        include_deleted: bool = False,
        batch_size: int | None = None,
    ) -> bytes:
        """Run a SOQL query and return its first page's body as bytes.

        ``batch_size`` asks for pages of that many records (200-2,000); Salesforce treats it
        as a hint and may send fewer.
        """
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        return self._call(
            f"query {sobject}",
            lambda sf: sf.query_raw(soql, include_deleted=include_deleted, headers=headers),
            sobject=sobject,
        )

    def query_more_raw(self, next_records_url: str, *, sobject: str) -> bytes:
        """Fetch the next page of a query (its body as bytes)."""
        if not next_records_url.startswith("/services/data/"):
            msg = f"query {sobject}: Salesforce sent an unexpected nextRecordsUrl"
            raise ProtocolError(msg)
        return self._call(
            f"query {sobject} (next page)",
            lambda sf: sf.query_more_raw(next_records_url),
            sobject=sobject,
        )

    def count(self, soql: str, *, sobject: str) -> int:
        """Run a ``SELECT COUNT() ...`` query and return the count."""
        return int(self.query(soql, sobject=sobject)["totalSize"])

    def get_deleted(self, sobject: str, *, start: datetime, end: datetime) -> dict[str, Any]:
        """List records deleted in a window (sObject Get Deleted, at most 15 days back)."""
        # requests encodes `+` in the offset as %2B, which the resource needs.
        params = {"start": format_datetime(start), "end": format_datetime(end)}
        body = self._call(
            f"list deleted {sobject}",
            lambda sf: sf.restful(f"sobjects/{sobject}/deleted/", params=params),
            sobject=sobject,
        )
        return _expect_mapping(body, f"list deleted {sobject}", keys=("deletedRecords",))


def _page(body: bytes, what: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise protocol_error(exc, body, what=what) from exc
    return _expect_mapping(parsed, what, keys=("records", "done", "totalSize"))


def _expect_mapping(body: Any, what: str, *, keys: tuple[str, ...] = ()) -> dict[str, Any]:  # noqa: ANN401
    if not isinstance(body, dict) or any(key not in body for key in keys):
        msg = f"{what}: Salesforce sent JSON of an unexpected shape (missing {', '.join(keys)})"
        raise ProtocolError(msg)
    return body
