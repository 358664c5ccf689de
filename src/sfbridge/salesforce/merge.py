"""Merging duplicates and putting merged records back: the SOAP ``merge`` and ``undelete`` calls.

REST has neither: a merge is the partner API's ``merge(MergeRequest[])``, and records deleted
by a merge come back from the Recycle Bin through ``undelete(ID[])``. Pure functions, bytes in
and values out; the gateway sends them.

- ``merge``: each ``MergeRequest`` names a master record (an sObject: its type, Id and the
  field values it should take) and one or two records merged into it (three records at most,
  the master included, as in the UI); up to 200 requests a call, each its own transaction.
  The merged records are deleted with ``MasterRecordId`` set to the master (``queryAll``
  sees them), and their related records are re-parented to the master.
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_merge.htm
- The partner WSDL's sequences, which Salesforce enforces: ``MergeRequest`` is
  (``additionalInformationMap``*, ``masterRecord``, ``recordToMergeIds``+); ``MergeResult`` is
  (``errors``*, ``id``, ``mergedRecordIds``*, ``success``, ``updatedRelatedIds``*); an
  ``sObject`` is (``type``, ``fieldsToNull``*, ``Id``, then its fields, all in the
  ``urn:sobject.partner.soap.sforce.com`` namespace).
- ``undelete``: ``ids`` repeated; each ``UndeleteResult`` is (``errors``*, ``id``,
  ``success``). Records stay in the Recycle Bin 15 days; "You can undelete records that were
  deleted as the result of a merge, but the child objects are reparented, which can't be
  undone."
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_undelete.htm
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET

from sfbridge.errors import ProtocolError
from sfbridge.ids import validate_id
from sfbridge.models import MAX_MERGED, MERGEABLE
from sfbridge.salesforce.soap import (
    SOBJECT,
    SoapError,
    body_element,
    envelope,
    not_xml,
    partner,
    record_errors,
    results,
    same_id,
    serialise,
    success,
    text,
    texts,
)

__all__ = [
    "MAX_MERGE_REQUESTS",
    "MAX_UNDELETES",
    "MergeRequest",
    "MergeResult",
    "UndeleteResult",
    "merge_request",
    "parse_merge_response",
    "parse_undelete_response",
    "undelete_request",
]

#: Merge requests per call ("Up to 200 merge requests can be made in a single SOAP call").
MAX_MERGE_REQUESTS = 200
#: Ids per undelete call (the SOAP API's usual 200 records a call).
MAX_UNDELETES = 200

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MERGE, _UNDELETE = "merge records", "undelete records"


def _sobject(name: str) -> str:
    return f"{{{SOBJECT}}}{name}"


def _wire(value: Any) -> str:  # noqa: ANN401 (a field value of any JSON type)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class MergeRequest:
    """One merge: the master, the one or two records merged into it, and the values the master takes.

    ``values`` are set on the master as an update would (a None value empties the field, sent
    as ``fieldsToNull``); fields left out keep the master's own values.

    Raises:
        ValueError: for an object sfbridge does not merge, an Id that is malformed or of another
            object, no or too many records to merge, the master among them, a field that is not
            an API name, or text XML cannot carry; before anything is sent.
    """

    sobject: str
    master_id: str
    merged_ids: tuple[str, ...]
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a merge Salesforce would refuse, before anything is sent."""
        if self.sobject not in MERGEABLE:
            msg = f"merge: {self.sobject} records are not merged by sfbridge (only {', '.join(sorted(MERGEABLE))})"
            raise ValueError(msg)
        validate_id(self.master_id, sobject=self.sobject)
        if not 1 <= len(self.merged_ids) <= MAX_MERGED:
            msg = f"merge into {self.master_id}: {len(self.merged_ids)} records given; a merge takes 1 or {MAX_MERGED}"
            raise ValueError(msg)
        for merged in self.merged_ids:
            validate_id(merged, sobject=self.sobject)
            if same_id(merged, self.master_id):
                msg = f"merge into {self.master_id}: the master cannot be merged into itself"
                raise ValueError(msg)
        for name, value in self.values.items():
            if not _API_NAME.match(name) or name == "Id":
                msg = f"merge into {self.master_id}: {name!r} is not a field that can be set"
                raise ValueError(msg)
            if value is not None and not_xml(_wire(value)):
                msg = f"merge into {self.master_id}: the value of {name} holds control characters XML cannot carry"
                raise ValueError(msg)


@dataclass(frozen=True)
class MergeResult:
    """What became of one merge: the records merged and the related records re-parented, or why it was refused."""

    master_id: str
    success: bool
    merged_ids: tuple[str, ...] = ()
    updated_related_ids: tuple[str, ...] = ()
    errors: tuple[SoapError, ...] = ()


@dataclass(frozen=True)
class UndeleteResult:
    """What became of one record taken out of the Recycle Bin."""

    record_id: str
    success: bool
    errors: tuple[SoapError, ...] = ()


def merge_request(merges: Sequence[MergeRequest], *, session_id: str) -> bytes:
    """Build the SOAP 1.1 ``merge`` envelope for the partner API.

    Args:
        merges: the merges (the gateway sends at most :data:`MAX_MERGE_REQUESTS`).
        session_id: the OAuth access token, which the SOAP API takes as a session id.

    Returns:
        The envelope, UTF-8 encoded.
    """
    root = envelope(session_id)
    call = ET.SubElement(body_element(root), partner("merge"))
    for merge in merges:
        request = ET.SubElement(call, partner("request"))
        master = ET.SubElement(request, partner("masterRecord"))
        ET.SubElement(master, _sobject("type")).text = merge.sobject
        for name, value in merge.values.items():
            if value is None:
                ET.SubElement(master, _sobject("fieldsToNull")).text = name
        ET.SubElement(master, _sobject("Id")).text = merge.master_id
        for name, value in merge.values.items():
            if value is not None:
                ET.SubElement(master, _sobject(name)).text = _wire(value)
        for merged in merge.merged_ids:
            ET.SubElement(request, partner("recordToMergeIds")).text = merged
    return serialise(root)


def undelete_request(ids: Sequence[str], *, session_id: str) -> bytes:
    """Build the SOAP 1.1 ``undelete`` envelope for the partner API (at most :data:`MAX_UNDELETES` Ids)."""
    root = envelope(session_id)
    call = ET.SubElement(body_element(root), partner("undelete"))
    for record_id in ids:
        validate_id(record_id)
        ET.SubElement(call, partner("ids")).text = record_id
    return serialise(root)


def parse_merge_response(body: bytes, *, masters: Sequence[str]) -> list[MergeResult]:
    """Read a ``mergeResponse``: one result per merge sent, in the order sent.

    Args:
        body: the response body (a 200 answer that :func:`~sfbridge.salesforce.soap.soap_fault` let through).
        masters: the masters' Ids, in the order the merges were sent.

    Returns:
        One result per merge; a refused merge is a result with ``success=False``, not an error.

    Raises:
        ProtocolError: when the body is not XML, not a merge answer, or its results do not
            match the merges sent one for one.
    """
    elements = results(body, call="merge", what=_MERGE, sent=len(masters), noun="merges")
    parsed = []
    for position, (element, sent) in enumerate(zip(elements, masters, strict=True), 1):
        # A refused merge may come back with a nil id; results come in request order.
        master = text(element, "id") or sent
        if not same_id(master, sent):
            msg = f"{_MERGE}: result {position} is for {master}, but a merge into {sent} was sent in that place"
            raise ProtocolError(msg)
        parsed.append(
            MergeResult(
                master_id=master,
                success=success(element, what=_MERGE),
                merged_ids=texts(element, "mergedRecordIds"),
                updated_related_ids=texts(element, "updatedRelatedIds"),
                errors=record_errors(element, what=_MERGE),
            )
        )
    return parsed


def parse_undelete_response(body: bytes, *, ids: Sequence[str]) -> list[UndeleteResult]:
    """Read an ``undeleteResponse``: one result per Id sent, in the order sent.

    Raises:
        ProtocolError: when the body is not an undelete answer or its results do not match the Ids.
    """
    elements = results(body, call="undelete", what=_UNDELETE, sent=len(ids), noun="records")
    parsed = []
    for position, (element, sent) in enumerate(zip(elements, ids, strict=True), 1):
        record_id = text(element, "id") or sent
        if not same_id(record_id, sent):
            msg = f"{_UNDELETE}: result {position} is for {record_id}, but {sent} was sent in that place"
            raise ProtocolError(msg)
        parsed.append(
            UndeleteResult(
                record_id=record_id,
                success=success(element, what=_UNDELETE),
                errors=record_errors(element, what=_UNDELETE),
            )
        )
    return parsed
