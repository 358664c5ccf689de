"""REST writes an apply makes: sObject Collections updates, and the pre-flight re-read by Id.

The payloads, the batching rules and the parsing of results are :mod:`.writes` (pure
functions); this sends them. An update is idempotent (it sets fixed values), so it is retried
like a read; the re-read is a ``queryAll`` through :class:`~.rest_reads.RestReads`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from sfbridge.salesforce.rest_reads import RestReads
from sfbridge.salesforce.writes import (
    RecordUpdate,
    SaveResult,
    collection_payload,
    index_records,
    parse_save_results,
    reread_queries,
)

__all__ = ["RestWrites"]


class RestWrites(RestReads):
    """The gateway's REST writes (and the re-read an apply makes before writing)."""

    def update_records(self, updates: Sequence[RecordUpdate]) -> list[SaveResult]:
        """Set field values on up to 200 records in one sObject Collections request.

        ``allOrNone`` is false: each record is saved or refused on its own, and a refused record
        (converted since planning, a validation rule, a row lock) is a :class:`SaveResult`
        carrying Salesforce's errors, not an exception; the caller decides what to re-send.

        Args:
            updates: the records and their new values, at most 200 (callers batch).

        Returns:
            One result per update, in the same order.

        Raises:
            ValueError: for more than 200 updates (or another batch Salesforce would refuse),
                before anything is sent.
            FatalSalesforceError: when Salesforce refuses the whole request (HTTP 400, e.g. a
                field the object lacks).
            ProtocolError: when the results cannot be matched to the records.
        """
        if not updates:
            return []
        payload = orjson.dumps(collection_payload(updates))
        objects = {update.sobject for update in updates}
        sobject = objects.pop() if len(objects) == 1 else None
        # Setting fixed values is idempotent: if the answer is lost and the PATCH goes again,
        # every record ends with the same values one send gives (only triggers re-run and
        # LastModifiedDate moves), so transient failures may be retried after the request
        # reached Salesforce, unlike a conversion.
        body = self._call(
            f"update {len(updates)} {sobject or 'mixed'} records",
            lambda sf: sf.restful("composite/sobjects", method="PATCH", data=payload),
            sobject=sobject,
            idempotent=True,
        )
        return parse_save_results(body, updates)

    def fetch_records(self, sobject: str, ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Re-read records by Id (an apply's pre-flight), deleted ones included.

        ``queryAll`` returns records in the Recycle Bin (deleted or merged away) with
        ``IsDeleted`` true instead of leaving them out; Id, IsDeleted and SystemModstamp are
        always selected. Long Id lists are split into queries that each fit in a URL.

        Args:
            sobject: the object the Ids belong to.
            ids: 15- or 18-character Ids.
            fields: the other fields to read.

        Returns:
            18-character Id → the record's fields, without ``attributes``. An Id Salesforce
            does not return at all (purged from the Recycle Bin, never existed) is absent.

        Raises:
            InvalidIdError: naming an Id that is malformed or not of ``sobject``, before
                anything is sent.
            ValueError: for an object or field that is not an API name.
        """
        what = f"re-read {sobject}"
        records: dict[str, dict[str, Any]] = {}
        for soql in reread_queries(sobject, ids, fields):
            page = self.query(soql, sobject=sobject, include_deleted=True)
            while True:
                records.update(index_records(page["records"], what=what))
                if page["done"]:
                    break
                # queryAll's next pages are under /query/ too; the URL carries the cursor.
                page = self.query_more(str(page.get("nextRecordsUrl", "")), sobject=sobject)
        return records
