"""The REST calls an apply makes besides convertLead, as pure functions of plain values.

Two calls: an sObject Collections update (``PATCH composite/sobjects``: at most 200 records,
``allOrNone`` false, one SaveResult per record in request order) and the pre-flight re-read of
target records by Id through ``queryAll``, split so that every query's URL fits Salesforce's
16,384-byte URI limit. The gateway sends them; nothing here does I/O.
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any, NamedTuple

from sfbridge import soql
from sfbridge.errors import ProtocolError
from sfbridge.ids import validate_id
from sfbridge.wire import format_datetime

__all__ = [
    "MAX_COLLECTION_RECORDS",
    "MAX_TYPE_RUNS",
    "REREAD_FIELDS",
    "RecordUpdate",
    "SaveError",
    "SaveResult",
    "collection_payload",
    "index_records",
    "parse_save_results",
    "reread_fields",
    "reread_queries",
]

#: sObject Collections take at most this many records per request.
MAX_COLLECTION_RECORDS = 200
#: Mixed object types are processed in runs ("chunks") of one type, at most ten per request.
MAX_TYPE_RUNS = 10
#: Every re-read selects these: the key, the flag queryAll needs (deleted records come back
#: instead of vanishing), and the version stamp that tells a record changed since planning.
REREAD_FIELDS = ("Id", "IsDeleted", "SystemModstamp")

#: The encoded budget for a re-read's query text: the 16,384-byte URI limit less room for the
#: scheme, a My Domain host and ``/services/data/v66.0/queryAll/?q=`` (well under 200 bytes).
_QUERY_BUDGET = soql.URL_LIMIT_BYTES - 400
# API names of objects and fields (`Lead`, `Lead_Score__c`, `ns__Thing__c`); a field may be a
# relationship path (`Owner.IsActive`). Anything else never reaches a SOQL string or a payload.
_FIELD_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")
# Keys of a Collections record that are the envelope, not field values.
_RESERVED = frozenset({"id", "attributes"})


@dataclass(frozen=True)
class RecordUpdate:
    """Set some fields of one record to fixed values (only the values that change).

    The Id is checked against the object's key prefix and kept in its 18-character form, the
    form Salesforce answers with; the values are copied, so later changes to the caller's
    mapping do not reach the request.
    """

    sobject: str
    record_id: str
    values: Mapping[str, Any]

    def __post_init__(self) -> None:
        """Refuse what Salesforce would refuse or misread, naming the record and field."""
        _check_name(self.sobject, pattern=soql.API_NAME, what="object")
        object.__setattr__(self, "record_id", validate_id(self.record_id, sobject=self.sobject))
        if not self.values:
            msg = f"{self.sobject} {self.record_id}: an update needs at least one field value"
            raise ValueError(msg)
        for name, value in self.values.items():
            _check_name(name, pattern=soql.API_NAME, what="field")
            if name.lower() in _RESERVED:
                msg = f"{self.sobject} {self.record_id}: {name!r} is not a field an update can set"
                raise ValueError(msg)
            _json_value(name, value)
        object.__setattr__(self, "values", dict(self.values))


class SaveError(NamedTuple):
    """One reason Salesforce refused a record: its statusCode, message and the fields it names."""

    status_code: str
    message: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SaveResult:
    """What Salesforce did with one record of an update; a refused record is a value, not an exception."""

    record_id: str
    success: bool
    errors: tuple[SaveError, ...] = ()


def _check_name(name: object, *, pattern: re.Pattern[str], what: str) -> None:
    if not isinstance(name, str) or not pattern.fullmatch(name):
        msg = f"{name!r} is not a Salesforce {what} API name"
        raise ValueError(msg)


def _json_value(name: str, value: object) -> object:
    """Turn a field value into what the REST API reads (dates and datetimes as Salesforce writes them)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"{name}: {value!r} is not a number Salesforce can store"
            raise ValueError(msg)
        return value
    if isinstance(value, datetime):  # before date: a datetime is a date too
        if value.tzinfo is None:
            msg = f"{name}: a datetime without a time zone is ambiguous; give it one (UTC)"
            raise ValueError(msg)
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    msg = f"{name}: a {type(value).__name__} cannot be sent to Salesforce (use str, number, bool, date or datetime)"
    raise TypeError(msg)


def collection_payload(updates: Sequence[RecordUpdate]) -> dict[str, Any]:
    """Build the body of one sObject Collections update.

    Args:
        updates: 1-200 record updates, at most one per record.

    Returns:
        The JSON-ready body.

    Raises:
        ValueError: for no updates, more than 200, a record listed twice, or more than ten
            runs of one object type.

    >>> update = RecordUpdate("Lead", "00Q5g00000AbCdE", {"LeadSource": "Web"})
    >>> collection_payload([update])
    {'allOrNone': False, 'records': [{'attributes': {'type': 'Lead'}, 'id': '00Q5g00000AbCdEEAV', 'LeadSource': 'Web'}]}
    """
    _check_batch(updates)
    return {
        # One refused record (converted since planning, a validation rule) must not roll back
        # the others: each record succeeds or fails on its own and gets its own result.
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": update.sobject},
                "id": update.record_id,
                **{name: _json_value(name, value) for name, value in update.values.items()},
            }
            for update in updates
        ],
    }


def _check_batch(updates: Sequence[RecordUpdate]) -> None:
    if not updates:
        msg = "an sObject Collections update needs at least one record"
        raise ValueError(msg)
    if len(updates) > MAX_COLLECTION_RECORDS:
        msg = (
            f"{len(updates)} records in one sObject Collections update; Salesforce takes at most "
            f"{MAX_COLLECTION_RECORDS} per request, so send them in batches"
        )
        raise ValueError(msg)
    seen: set[str] = set()
    for update in updates:
        # Salesforce refuses a list that names one record twice ("duplicate id in list").
        if update.record_id in seen:
            msg = f"{update.sobject} {update.record_id} is listed twice; merge its values into one update"
            raise ValueError(msg)
        seen.add(update.record_id)
    runs = 1 + sum(before.sobject != after.sobject for before, after in pairwise(updates))
    if runs > MAX_TYPE_RUNS:
        msg = (
            f"the records switch object type {runs - 1} times; Salesforce processes at most "
            f"{MAX_TYPE_RUNS} runs of one type per request, so group the updates by object"
        )
        raise ValueError(msg)


def parse_save_results(body: object, updates: Sequence[RecordUpdate]) -> list[SaveResult]:
    """Read the per-record results of a Collections update, matched to the request by position.

    Salesforce answers 200 with one SaveResult per record, in request order, even when records
    fail. A failed record's result may carry no ``id``, so position is the only key; a result
    list of another length cannot be matched to the records and is refused whole.

    Args:
        body: the parsed 200 body.
        updates: the updates as sent.

    Returns:
        One result per update, with the update's 18-character Id.

    Raises:
        ProtocolError: when the body is not a list of SaveResults, one per record.
    """
    what = f"update {len(updates)} records"
    if not isinstance(body, list):
        msg = f"{what}: Salesforce sent JSON of an unexpected shape (not a list of save results)"
        raise ProtocolError(msg)
    if len(body) != len(updates):
        msg = (
            f"{what}: Salesforce sent {len(body)} save results for {len(updates)} records, so no result "
            "can be matched to its record; re-read the records to learn what was saved"
        )
        raise ProtocolError(msg)
    return [_save_result(entry, update, what=what) for entry, update in zip(body, updates, strict=True)]


def _save_result(entry: object, update: RecordUpdate, *, what: str) -> SaveResult:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("success"), bool):
        msg = f"{what}: Salesforce sent a save result without a success flag"
        raise ProtocolError(msg)
    returned = entry.get("id")
    if returned is not None and str(returned)[:15] != update.record_id[:15]:
        msg = f"{what}: the save result for {update.record_id} names another record; results are out of order"
        raise ProtocolError(msg)
    errors = entry.get("errors") or []
    if not isinstance(errors, list) or not all(isinstance(error, Mapping) for error in errors):
        msg = f"{what}: the save result for {update.record_id} has errors of an unexpected shape"
        raise ProtocolError(msg)
    return SaveResult(
        record_id=update.record_id,
        success=entry["success"],
        errors=tuple(
            SaveError(
                status_code=str(error.get("statusCode") or ""),
                message=str(error.get("message") or ""),
                # `fields` is often empty, and absent from some error shapes.
                fields=tuple(str(name) for name in error.get("fields") or ()),
            )
            for error in errors
        ),
    )


def reread_fields(fields: Sequence[str]) -> list[str]:
    """Return the SELECT list of a re-read: Id, IsDeleted, SystemModstamp, then the rest once each.

    SOQL refuses a field selected twice ("duplicate field selected"), whatever its case.

    >>> reread_fields(["Status", "ID", "status", "Owner.IsActive"])
    ['Id', 'IsDeleted', 'SystemModstamp', 'Status', 'Owner.IsActive']
    """
    chosen: list[str] = []
    seen: set[str] = set()
    for name in (*REREAD_FIELDS, *fields):
        _check_name(name, pattern=_FIELD_PATH, what="field")
        if name.lower() not in seen:
            seen.add(name.lower())
            chosen.append(name)
    return chosen


def reread_queries(sobject: str, ids: Sequence[str], fields: Sequence[str]) -> list[str]:
    """Build the ``SELECT ... WHERE Id IN (...)`` queries that re-read records by Id.

    REST queries travel in the URL, which Salesforce caps at 16,384 bytes (HTTP 414), so long
    Id lists are split; each Id is asked once.

    Args:
        sobject: the object the Ids belong to.
        ids: 15- or 18-character Ids.
        fields: fields to read besides Id, IsDeleted and SystemModstamp.

    Returns:
        The queries (none for no Ids).

    Raises:
        InvalidIdError: naming the first Id that is malformed or not of ``sobject``.
        ValueError: for a name that is not an API name, or fields too many to leave room for an Id.

    >>> reread_queries("Lead", ["00Q5g00000AbCdE"], ["Status"])
    ["SELECT Id, IsDeleted, SystemModstamp, Status FROM Lead WHERE Id IN ('00Q5g00000AbCdEEAV')"]
    """
    _check_name(sobject, pattern=soql.API_NAME, what="object")
    checked = list(dict.fromkeys(validate_id(record_id, sobject=sobject) for record_id in ids))
    columns = reread_fields(fields)

    def build(chunk: Sequence[str]) -> str:
        return soql.select(columns, sobject, where=[soql.id_in(chunk)])

    queries = [build(chunk) for chunk in soql.chunk_ids(checked, build=build, limit=_QUERY_BUDGET)]
    if any(soql.encoded_length(text) > _QUERY_BUDGET for text in queries):
        msg = f"re-read {sobject}: {len(columns)} fields leave no room for an Id in a request URL; select fewer"
        raise ValueError(msg)
    return queries


def index_records(records: object, *, what: str) -> dict[str, dict[str, Any]]:
    """Key a query page's records by Id, without the ``attributes`` envelopes.

    A parent relationship (``Owner.IsActive``) comes back as a nested record with its own
    envelope, which goes too.

    Args:
        records: the page's ``records`` value.
        what: the call, for messages.

    Returns:
        Id → field values.

    Raises:
        ProtocolError: when the page holds something other than records with an Id.
    """
    if not isinstance(records, list):
        msg = f"{what}: Salesforce sent a page whose records are not a list"
        raise ProtocolError(msg)
    indexed: dict[str, dict[str, Any]] = {}
    for record in _mappings(records, what=what):
        record_id = record.get("Id")
        if not isinstance(record_id, str):
            msg = f"{what}: Salesforce sent a record without an Id"
            raise ProtocolError(msg)
        indexed[record_id] = _without_attributes(record)
    return indexed


def _without_attributes(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: _without_attributes(value) if isinstance(value, Mapping) else value
        for name, value in record.items()
        if name != "attributes"
    }


def _mappings(items: Iterable[object], *, what: str) -> Iterable[Mapping[str, Any]]:
    for item in items:
        if not isinstance(item, Mapping):
            msg = f"{what}: Salesforce sent a record that is not a JSON object"
            raise ProtocolError(msg)
        yield item
