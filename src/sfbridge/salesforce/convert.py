"""Lead conversion's wire format: the SOAP ``convertLead`` envelope, its results and faults.

Salesforce has no REST resource that converts a lead (``actions/standard/convertLead`` answers
404 on live orgs) and simple-salesforce makes no SOAP data calls, so sfbridge writes the partner
API envelope itself. Pure functions, bytes in and values out; the gateway sends them.
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_convertlead.htm
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from sfbridge.errors import ProtocolError, SalesforceError
from sfbridge.ids import InvalidIdError, to_18, validate_id
from sfbridge.salesforce.translate import rest_error, soap_error, soap_protocol_error

__all__ = [
    "MAX_CONVERTS",
    "ConvertError",
    "LeadConvert",
    "LeadConvertResult",
    "convert_request",
    "parse_convert_response",
    "soap_api_usage",
    "soap_fault",
]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

#: Leads per convertLead call. The SOAP limit is undocumented; Apex recommends at most 100
#: LeadConvert objects per call, and a smaller batch loses less to one transport failure.
MAX_CONVERTS = 100

_WHAT = "convert leads"
# Characters XML 1.0 cannot carry at all; ElementTree would write them and Salesforce reject the call.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _env(name: str) -> str:
    return f"{{{SOAP_ENV}}}{name}"


def _p(name: str) -> str:
    return f"{{{PARTNER}}}{name}"


@dataclass(frozen=True)
class LeadConvert:
    """One lead to convert, as the partner API's ``LeadConvert`` describes it.

    Leave ``account_id`` out to create a new Account; give ``contact_id`` (with its
    ``account_id``) to merge into an existing Contact. ``owner_id`` is required for a lead
    owned by a queue, because Accounts and Contacts cannot be owned by one.

    Raises:
        ValueError: for an Id that is malformed or of the wrong object, a contact without its
            account, an opportunity name with no opportunity, or text XML cannot carry.
    """

    lead_id: str
    converted_status: str
    account_id: str | None = None
    contact_id: str | None = None
    owner_id: str | None = None
    do_not_create_opportunity: bool = True
    opportunity_name: str | None = None
    overwrite_lead_source: bool = False
    send_notification_email: bool = False
    bypass_account_dedupe_check: bool | None = None
    bypass_contact_dedupe_check: bool | None = None

    def __post_init__(self) -> None:
        """Refuse a conversion Salesforce would refuse, before anything is sent."""
        validate_id(self.lead_id, sobject="Lead")
        # The new Account and Contact take this owner, and they cannot belong to a queue.
        for value, sobject in ((self.account_id, "Account"), (self.contact_id, "Contact"), (self.owner_id, "User")):
            if value is not None:
                validate_id(value, sobject=sobject)
        if self.contact_id is not None and self.account_id is None:
            msg = f"lead {self.lead_id}: contact_id needs the account_id that contact belongs to"
            raise ValueError(msg)
        if self.opportunity_name is not None and self.do_not_create_opportunity:
            msg = f"lead {self.lead_id}: opportunity_name is given but do_not_create_opportunity is set"
            raise ValueError(msg)
        for text in (self.converted_status, self.opportunity_name or ""):
            if _NOT_XML.search(text):
                msg = f"lead {self.lead_id}: a value holds control characters XML cannot carry"
                raise ValueError(msg)
        if not self.converted_status.strip():
            msg = f"lead {self.lead_id}: converted_status is empty"
            raise ValueError(msg)


@dataclass(frozen=True)
class ConvertError:
    """Why Salesforce refused one lead (an ``Error``, or a ``DuplicateError`` with its matches)."""

    status_code: str
    message: str
    fields: tuple[str, ...] = ()
    duplicate_rule: str | None = None
    duplicate_record_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeadConvertResult:
    """What became of one lead: the records it turned into, or why it was refused."""

    lead_id: str
    success: bool
    account_id: str | None = None
    contact_id: str | None = None
    opportunity_id: str | None = None
    errors: tuple[ConvertError, ...] = ()


def _sequence(convert: LeadConvert) -> tuple[tuple[str, str | bool | None], ...]:
    # The partner WSDL's LeadConvert is an xsd:sequence and Salesforce enforces its order: an
    # element out of place is a fault ("convertedStatus invalid at this location") or, worse,
    # silently ignored (an opportunityName dropped). This is that order; the sObject-typed
    # *Record elements, opportunityId and the person-account ones are not used by sfbridge.
    return (
        ("accountId", convert.account_id),
        ("bypassAccountDedupeCheck", convert.bypass_account_dedupe_check),
        ("bypassContactDedupeCheck", convert.bypass_contact_dedupe_check),
        ("contactId", convert.contact_id),
        ("convertedStatus", convert.converted_status),
        ("doNotCreateOpportunity", convert.do_not_create_opportunity),
        ("leadId", convert.lead_id),
        ("opportunityName", convert.opportunity_name),
        ("overwriteLeadSource", convert.overwrite_lead_source),
        ("ownerId", convert.owner_id),
        ("sendNotificationEmail", convert.send_notification_email),
    )


def _xsd(value: str | bool) -> str:  # noqa: FBT001 (a value to write, not a switch)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def convert_request(
    converts: Sequence[LeadConvert],
    *,
    session_id: str,
    allow_duplicate_save: bool | None = None,
) -> bytes:
    """Build the SOAP 1.1 ``convertLead`` envelope for the partner API.

    Args:
        converts: the leads to convert (the gateway sends at most :data:`MAX_CONVERTS`).
        session_id: the OAuth access token, which the SOAP API takes as a session id.
        allow_duplicate_save: when not None, send a ``DuplicateRuleHeader`` whose ``allowSave``
            is this value (True saves past *alert* duplicate rules; *block* rules still block).

    Returns:
        The envelope, UTF-8 encoded.
    """
    envelope = ET.Element(_env("Envelope"))
    header = ET.SubElement(envelope, _env("Header"))
    session = ET.SubElement(header, _p("SessionHeader"))
    ET.SubElement(session, _p("sessionId")).text = session_id
    if allow_duplicate_save is not None:
        rules = ET.SubElement(header, _p("DuplicateRuleHeader"))
        # All three are required, in this (WSDL) order. Only the matches' Ids are read, so no
        # record details; the rules run with the integration user's sharing, as its saves do.
        flags = (("allowSave", allow_duplicate_save), ("includeRecordDetails", False), ("runAsCurrentUser", True))
        for name, flag in flags:
            ET.SubElement(rules, _p(name)).text = _xsd(flag)
    call = ET.SubElement(ET.SubElement(envelope, _env("Body")), _p("convertLead"))
    for convert in converts:
        item = ET.SubElement(call, _p("leadConverts"))
        for name, value in _sequence(convert):
            if value is not None:  # unused optional elements are left out, not sent as nil
                ET.SubElement(item, _p(name)).text = _xsd(value)
    # typeshed types tostring() with a named encoding as Any; with one it is bytes.
    data: bytes = ET.tostring(envelope, encoding="UTF-8", xml_declaration=True, default_namespace=PARTNER)
    return data


def _envelope(body: bytes) -> ET.Element:
    if b"<!DOCTYPE" in body:
        # Salesforce never sends a DTD (a proxy's HTML page does); refusing one before parsing
        # keeps entity expansion out of the parser.
        raise soap_protocol_error(body, what=_WHAT, reason="a document with a DTD, which it never sends")
    try:
        # ElementTree never fetches external entities, and expat >= 2.4 caps entity expansion.
        root = ET.fromstring(body)  # noqa: S314 (see above; DTDs are refused first)
    except ET.ParseError as exc:
        reason = f"XML that does not parse ({exc.__class__.__name__}); the answer was cut short?"
        raise soap_protocol_error(body, what=_WHAT, reason=reason) from exc
    if root.tag != _env("Envelope"):
        raise soap_protocol_error(body, what=_WHAT, reason="XML that is not a SOAP envelope")
    return root


def soap_fault(body: bytes, status: int, *, headers: Mapping[str, str] | None = None) -> SalesforceError | None:
    """Translate a failed SOAP call into sfbridge's exception tree.

    A fault usually comes with HTTP 500, but only the body says for sure: any ``soapenv:Fault``
    is a fault, whatever the status, and any status but 200 is a failure, whatever the body.

    Args:
        body: the response body.
        status: the HTTP status.
        headers: the response headers (for Retry-After).

    Returns:
        The error to raise, or None for a 200 answer without a fault.
    """
    try:
        fault = _envelope(body).find(f"{_env('Body')}/{_env('Fault')}")
    except ProtocolError:
        fault = None
    if fault is None:
        if status == 200:  # noqa: PLR2004 (an unreadable 200 is parse_convert_response's to report)
            return None
        # No SOAP at all (a proxy's page, a load balancer's 503): classify it as REST would.
        return rest_error(status, body.decode("utf-8", "replace"), headers, sobject="Lead")
    # exceptionCode / exceptionMessage (in the fault namespace) are Salesforce's own; faultcode
    # is "sf:CODE" or, for a malformed envelope, a generic "soapenv:Client".
    faultcode = (fault.findtext("{*}faultcode") or "").rpartition(":")[2]
    code = fault.findtext("{*}detail/{*}*/{*}exceptionCode") or faultcode
    message = fault.findtext("{*}detail/{*}*/{*}exceptionMessage") or fault.findtext("{*}faultstring") or ""
    return soap_error(status, code.strip() or None, message.strip(), headers, sobject="Lead")


def _text(parent: ET.Element, name: str) -> str | None:
    element = parent.find(_p(name))
    if element is None or element.get(XSI_NIL) == "true":
        return None
    return (element.text or "").strip() or None


def _required(parent: ET.Element, name: str) -> str:
    value = _text(parent, name)
    if value is None:
        msg = f"{_WHAT}: Salesforce sent a result without <{name}>"
        raise ProtocolError(msg)
    return value


def _error(element: ET.Element) -> ConvertError:
    duplicate = element.find(_p("duplicateResult"))
    rule: str | None = None
    record_ids: tuple[str, ...] = ()
    if duplicate is not None:
        rule = _text(duplicate, "duplicateRule")
        path = "/".join((_p("matchResults"), _p("matchRecords"), _p("record"), f"{{{SOBJECT}}}Id"))
        # Several matching rules of one duplicate rule can match the same record (and partner
        # sObjects may repeat <sf:Id>): keep each matched record once, in order.
        record_ids = tuple(dict.fromkeys(text for e in duplicate.iterfind(path) if (text := (e.text or "").strip())))
    return ConvertError(
        status_code=_required(element, "statusCode"),
        message=_text(element, "message") or "",
        fields=tuple(text for e in element.findall(_p("fields")) if (text := (e.text or "").strip())),
        duplicate_rule=rule,
        duplicate_record_ids=record_ids,
    )


def _same_id(got: str, sent: str) -> bool:
    try:
        return to_18(got) == to_18(sent)
    except InvalidIdError:
        return got == sent


def _result(element: ET.Element, sent: str, position: int) -> LeadConvertResult:
    success = _required(element, "success")
    if success not in {"true", "false"}:
        msg = f"{_WHAT}: Salesforce sent a result whose <success> is not a boolean"
        raise ProtocolError(msg)
    # A lead Salesforce could not read (a malformed Id, say) may come back with a nil leadId;
    # results come in request order, so its place names it.
    lead_id = _text(element, "leadId") or sent
    if not _same_id(lead_id, sent):
        msg = f"{_WHAT}: result {position} is for lead {lead_id}, but lead {sent} was sent in that place"
        raise ProtocolError(msg)
    return LeadConvertResult(
        lead_id=lead_id,
        success=success == "true",
        account_id=_text(element, "accountId"),
        contact_id=_text(element, "contactId"),
        opportunity_id=_text(element, "opportunityId"),
        errors=tuple(_error(error) for error in element.findall(_p("errors"))),
    )


def parse_convert_response(body: bytes, *, expected: Sequence[str]) -> list[LeadConvertResult]:
    """Read a ``convertLeadResponse``: one result per lead sent, in the order sent.

    Args:
        body: the response body (a 200 answer that :func:`soap_fault` let through).
        expected: the lead Ids sent, in order.

    Returns:
        One result per lead; a refused lead is a result with ``success=False``, not an error.

    Raises:
        ProtocolError: when the body is not XML, not a convertLead answer, or its results do
            not match the leads sent one for one.
    """
    response = _envelope(body).find(f"{_env('Body')}/{_p('convertLeadResponse')}")
    if response is None:
        raise soap_protocol_error(body, what=_WHAT, reason="a SOAP answer without a convertLeadResponse")
    elements = response.findall(_p("result"))
    if len(elements) != len(expected):
        msg = f"{_WHAT}: {len(expected)} leads were sent but Salesforce answered with {len(elements)} results"
        raise ProtocolError(msg)
    return [_result(element, sent, n) for n, (element, sent) in enumerate(zip(elements, expected, strict=True), 1)]


def soap_api_usage(body: bytes) -> tuple[int, int] | None:
    """Read (used, daily limit) of API requests from a SOAP answer's ``LimitInfoHeader``.

    SOAP reports the org's allowance in the envelope rather than in a ``Sforce-Limit-Info``
    HTTP header. The figure is advisory: an unreadable header gives None, never an error.

    Args:
        body: the response body.

    Returns:
        The pair, or None when the answer carries no readable "API REQUESTS" limit.
    """
    try:
        envelope = _envelope(body)
    except ProtocolError:
        return None
    path = "/".join((_env("Header"), _p("LimitInfoHeader"), _p("limitInfo")))
    for info in envelope.iterfind(path):
        if _text(info, "type") == "API REQUESTS":
            try:
                return int(_text(info, "current") or ""), int(_text(info, "limit") or "")
            except ValueError:
                return None
    return None
