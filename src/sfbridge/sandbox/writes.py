"""A simulated org that also takes writes: sObject Collections updates and SOAP convertLead, merge, undelete.

The answers have the shapes of the recorded ones (fixtures/http/writes, convert, merge): the
JSON of sObject Collections (``allOrNone`` false only) and the partner API's SOAP envelopes
with their LimitInfoHeader. What each call does to the records follows Salesforce:

- ``convertLead`` marks the lead converted with the status given, into the Contact and
  Account named or new ones (a new Account takes the lead's Company; a new Contact its
  name, email, phone and title), with an Opportunity unless told not to;
- ``merge`` sets the master's values (``fieldsToNull`` blanks), deletes the merged records
  with ``MasterRecordId`` set (queryAll still sees them) and moves their Tasks to the
  master, listing them as ``updatedRelatedIds``;
- ``undelete`` takes a record out of the Recycle Bin (one not in it is refused).

Refusals use Salesforce's status codes (ENTITY_IS_DELETED, CANNOT_UPDATE_CONVERTED_LEAD,
INVALID_CROSS_REFERENCE_KEY, INVALID_STATUS, UNDELETE_FAILED). ``validation_rules`` stand for
what an org adds on a save (validation rules, duplicate rules, a trigger's ``addError``): they
judge updates, conversions (the lead, as with "Require Validation for Converted Leads") and a
merge's master, and their error is the record's result, the call going on for the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import requests

from sfbridge.ids import object_of_id, to_18
from sfbridge.sandbox.org import SimulatedOrg

__all__ = ["SaveError", "ValidationRule", "WritableOrg"]

SaveError = dict[str, Any]
#: A validation rule: (object, the stored record, the new values) → the error, or None.
ValidationRule = Callable[[str, Mapping[str, Any], Mapping[str, Any]], SaveError | None]

_P = "{urn:partner.soap.sforce.com}"
_S = "{urn:sobject.partner.soap.sforce.com}"
_SOAP_XML = {"Content-Type": "text/xml;charset=UTF-8"}


def _failed(status_code: str, message: str, fields: list[str] | None = None) -> SaveError:
    return {"success": False, "errors": [{"statusCode": status_code, "message": message, "fields": fields or []}]}


def _soap_errors(error: SaveError) -> str:
    """A SaveError's errors as the partner WSDL's ``Error`` elements: ``fields*``, ``message``, ``statusCode``."""
    return "".join(
        "<errors>"
        + "".join(f"<fields>{escape(name)}</fields>" for name in item.get("fields") or [])
        + f"<message>{escape(item['message'])}</message><statusCode>{item['statusCode']}</statusCode></errors>"
        for item in error["errors"]
    )


def _soap_error(error: SaveError) -> str:
    """A refused ``MergeResult`` or ``UndeleteResult``: ``errors*``, a nil ``id``, ``success``."""
    return f'<result>{_soap_errors(error)}<id xsi:nil="true"/><success>false</success></result>'


def _convert_error(error: SaveError, lead_id: str) -> str:
    """A refused ``LeadConvertResult``: nil accountId and contactId, ``errors*``, leadId, nil opportunityId.

    The sequence of a real partner-API answer with a per-record error (HTTP 200), see
    fixtures/http/convert/mixed_batch.json.
    """
    return (
        '<result><accountId xsi:nil="true"/><contactId xsi:nil="true"/>'
        f'{_soap_errors(error)}<leadId>{lead_id}</leadId><opportunityId xsi:nil="true"/><success>false</success>'
        "</result>"
    )


@dataclass
class WritableOrg(SimulatedOrg):
    """A simulated org that takes the writes apply and revert send."""

    validation_rules: list[ValidationRule] = field(default_factory=list)
    _serial: int = 0

    def _route(
        self, method: str, path: str, query: str, request: requests.PreparedRequest
    ) -> tuple[int, Any, Mapping[str, str]]:
        body = request.body if isinstance(request.body, str | bytes) else b""
        if method == "PATCH" and path == f"/services/data/v{self.api_version}/composite/sobjects":
            return self._update(json.loads(body or b"{}"))
        if method == "POST" and path.startswith("/services/Soap/u/") and b"sessionId" in _bytes(body):
            return self._soap(ET.fromstring(body))  # noqa: S314 (sfbridge's own request, in-process)
        return super()._route(method, path, query, request)

    # -- sObject Collections -------------------------------------------------------------------

    def _update(self, payload: Mapping[str, Any]) -> tuple[int, Any, Mapping[str, str]]:
        records = payload.get("records", [])
        for record in records:
            sobject = record["attributes"]["type"]
            known = set(self._field_names(sobject) or ())
            for name in record:
                if name not in {"attributes", "id"} and name not in known:
                    # Field names are checked when the body is read, before any record is
                    # saved: the whole request fails with 400.
                    message = f"No such column '{name}' on sobject of type {sobject}"
                    return 400, [{"message": message, "errorCode": "INVALID_FIELD"}], {}
        return 200, [self._save(record) for record in records], {}

    def _save(self, record: Mapping[str, Any]) -> dict[str, Any]:
        sobject, record_id = record["attributes"]["type"], record["id"]
        values = {name: value for name, value in record.items() if name not in {"attributes", "id"}}
        row = self._row(sobject, record_id)
        if row is None:
            return _failed("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if row.get("IsDeleted"):
            return _failed("ENTITY_IS_DELETED", "entity is deleted")
        if sobject == "Lead" and row.get("IsConverted"):
            return _failed("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        refused = self._refused(sobject, row, values)
        if refused is not None:
            return refused
        self.upsert(sobject, {"Id": record_id, **values})
        return {"id": record_id, "success": True, "errors": []}

    def _refused(self, sobject: str, row: Mapping[str, Any], values: Mapping[str, Any]) -> SaveError | None:
        """The failed result the first validation rule that refuses the save gives, or None."""
        for rule in self.validation_rules:
            error = rule(sobject, row, values)
            if error is not None:
                return {"success": False, "errors": [error]}
        return None

    def _row(self, sobject: str, record_id: str | None) -> dict[str, Any] | None:
        return next((row for row in self.records.get(sobject, []) if row["Id"] == record_id), None)

    def _new_id(self, prefix: str) -> str:
        self._serial += 1
        return to_18(f"{prefix}9P0000Sb{self._serial:04d}")

    # -- SOAP --------------------------------------------------------------------------------

    def _soap(self, envelope: ET.Element) -> tuple[int, Any, Mapping[str, str]]:
        if (call := envelope.find(f".//{_P}merge")) is not None:
            return self._answer("merge", [self._merge(item) for item in call.findall(f"{_P}request")])
        if (call := envelope.find(f".//{_P}undelete")) is not None:
            return self._answer("undelete", [self._undelete(e.text or "") for e in call.findall(f"{_P}ids")])
        converts = envelope.findall(f".//{_P}leadConverts")
        return self._answer("convertLead", [self._convert(item) for item in converts])

    def _answer(self, call: str, results: list[str]) -> tuple[int, Any, Mapping[str, str]]:
        limit = f"<current>{self.api_used + 1}</current><limit>{self.api_limit}</limit><type>API REQUESTS</type>"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<soapenv:Header><LimitInfoHeader><limitInfo>{limit}</limitInfo></LimitInfoHeader></soapenv:Header>"
            f"<soapenv:Body><{call}Response>{''.join(results)}</{call}Response></soapenv:Body>"
            "</soapenv:Envelope>"
        )
        return 200, body, _SOAP_XML

    def _convert(self, item: ET.Element) -> str:
        lead_id = item.findtext(f"{_P}leadId") or ""
        status = item.findtext(f"{_P}convertedStatus") or ""
        lead = self._row("Lead", lead_id)
        if lead is None or lead.get("IsDeleted"):
            return _convert_error(_failed("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"), lead_id)
        if lead.get("IsConverted"):
            return _convert_error(_failed("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"), lead_id)
        statuses = self.records.get("LeadStatus", [])
        if statuses and not any(row.get("IsConverted") and row.get("ApiName") == status for row in statuses):
            # The status must be a converted LeadStatus (the error text as Salesforce words it).
            return _convert_error(_failed("INVALID_STATUS", f"invalid convertedStatus: {status}"), lead_id)
        refused = self._refused("Lead", lead, {"IsConverted": True, "Status": status})
        if refused is not None:
            return _convert_error(refused, lead_id)
        account = item.findtext(f"{_P}accountId") or self._create(
            "Account", {"Name": lead.get("Company") or f"{lead.get('LastName')} Account"}
        )
        contact = item.findtext(f"{_P}contactId") or self._create(
            "Contact",
            {name: lead.get(name) for name in ("FirstName", "LastName", "Email", "Phone", "Title")}
            | {"AccountId": account},
        )
        opportunity = None
        if item.findtext(f"{_P}doNotCreateOpportunity") != "true":
            name = f"{lead.get('Company') or account}-"
            opportunity = self._create("Opportunity", {"Name": name, "AccountId": account})
        self.upsert(
            "Lead",
            {
                "Id": lead_id,
                "IsConverted": True,
                "ConvertedAccountId": account,
                "ConvertedContactId": contact,
                "ConvertedOpportunityId": opportunity,
                "Status": status,
            },
        )
        opportunity_xml = (
            f"<opportunityId>{opportunity}</opportunityId>" if opportunity else '<opportunityId xsi:nil="true"/>'
        )
        return (
            f"<result><accountId>{account}</accountId><contactId>{contact}</contactId><leadId>{lead_id}</leadId>"
            f"{opportunity_xml}<success>true</success></result>"
        )

    def _create(self, sobject: str, values: Mapping[str, Any]) -> str:
        record_id = self._new_id({"Account": "001", "Contact": "003", "Opportunity": "006"}[sobject])
        self.upsert(sobject, {"Id": record_id, **values})
        return record_id

    def _merge(self, item: ET.Element) -> str:
        master_element = item.find(f"{_P}masterRecord")
        if master_element is None:
            return _soap_error(_failed("INVALID_ARGUMENT_TYPE", "masterRecord is required"))
        sobject = master_element.findtext(f"{_S}type") or ""
        master_id = master_element.findtext(f"{_S}Id")
        merged = [e.text or "" for e in item.findall(f"{_P}recordToMergeIds")]
        for record_id in (master_id, *merged):
            record = self._row(sobject, record_id)
            if record is None:
                return _soap_error(_failed("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"))
            if record.get("IsDeleted"):
                return _soap_error(_failed("ENTITY_IS_DELETED", "entity is deleted"))
        values = _master_values(master_element)
        refused = self._refused(sobject, self._row(sobject, master_id) or {}, values)
        if refused is not None:
            return _soap_error(refused)
        self.upsert(sobject, {"Id": master_id, **values})
        related = []
        for record_id in merged:
            # A merged record is deleted (the delete log and queryAll see it) with MasterRecordId set.
            self.upsert(sobject, {"Id": record_id, "MasterRecordId": master_id})
            self.delete(sobject, record_id)
            related += self._reparent(record_id, master_id)
        return (
            f"<result><id>{master_id}</id>"
            + "".join(f"<mergedRecordIds>{record_id}</mergedRecordIds>" for record_id in merged)
            + "<success>true</success>"
            + "".join(f"<updatedRelatedIds>{record_id}</updatedRelatedIds>" for record_id in related)
            + "</result>"
        )

    def _reparent(self, record_id: str, master_id: str | None) -> list[str]:
        """Move a merged record's Tasks to the master, as Salesforce does; their Ids."""
        moved = []
        for task in self.records.get("Task", []):
            if task.get("WhoId") == record_id:
                self.upsert("Task", {"Id": task["Id"], "WhoId": master_id})
                moved.append(str(task["Id"]))
        return moved

    def _undelete(self, record_id: str) -> str:
        sobject = object_of_id(record_id) or ""
        record = self._row(sobject, record_id)
        if record is None or not record.get("IsDeleted"):
            return _soap_error(_failed("UNDELETE_FAILED", "Entity is not in the recycle bin"))
        self.upsert(sobject, {"Id": record_id, "IsDeleted": False, "MasterRecordId": None})
        return f"<result><id>{record_id}</id><success>true</success></result>"


def _master_values(master: ET.Element) -> dict[str, Any]:
    """The values a merge's masterRecord sets (``fieldsToNull`` as None), by field."""
    values: dict[str, Any] = {}
    for child in master:
        name = child.tag.rpartition("}")[2]
        if name == "fieldsToNull":
            values[child.text or ""] = None
        elif name not in {"type", "Id"}:
            values[name] = child.text
    return values


def _bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body
