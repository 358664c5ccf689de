"""The partner SOAP API's common wire format: envelopes, faults, per-record errors, the usage header.

Salesforce's REST API has no resource for three calls sfbridge makes: ``convertLead``,
``merge`` and ``undelete`` exist only in the SOAP API, and simple-salesforce makes no SOAP
data calls. This module holds what the three share; :mod:`.convert`, :mod:`.merge` write
each call's body and read its results. Pure functions, bytes in and values out.
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_list.htm
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from sfbridge.errors import ProtocolError, SalesforceError
from sfbridge.ids import InvalidIdError, to_18
from sfbridge.salesforce.translate import rest_error, soap_error, soap_protocol_error

__all__ = [
    "PARTNER",
    "SOAP_ENV",
    "SOBJECT",
    "SoapError",
    "body_element",
    "envelope",
    "not_xml",
    "parsed",
    "partner",
    "record_errors",
    "required_text",
    "results",
    "same_id",
    "serialise",
    "soap_api_usage",
    "soap_fault",
    "success",
    "text",
    "texts",
    "xsd",
]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

# Characters XML 1.0 cannot carry at all; ElementTree would write them and Salesforce reject the call.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _env(name: str) -> str:
    return f"{{{SOAP_ENV}}}{name}"


def partner(name: str) -> str:
    """An element name in the partner namespace, as ElementTree spells it."""
    return f"{{{PARTNER}}}{name}"


def not_xml(value: str) -> bool:
    """Whether text holds characters XML 1.0 cannot carry (Salesforce would refuse the whole call)."""
    return _NOT_XML.search(value) is not None


def xsd(value: str | bool) -> str:  # noqa: FBT001 (a value to write, not a switch)
    """A value as XML Schema text: booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def envelope(session_id: str, *, headers: Mapping[str, Mapping[str, str | bool]] | None = None) -> ET.Element:
    """A SOAP 1.1 envelope with the session header (and other headers, in order); add the call to its Body.

    Args:
        session_id: the OAuth access token, which the SOAP API takes as a session id.
        headers: more partner headers, each its elements in WSDL order.
    """
    root = ET.Element(_env("Envelope"))
    header = ET.SubElement(root, _env("Header"))
    ET.SubElement(ET.SubElement(header, partner("SessionHeader")), partner("sessionId")).text = session_id
    for name, elements in (headers or {}).items():
        element = ET.SubElement(header, partner(name))
        for child, value in elements.items():
            ET.SubElement(element, partner(child)).text = xsd(value)
    ET.SubElement(root, _env("Body"))
    return root


def body_element(root: ET.Element) -> ET.Element:
    """The Body of an envelope made by :func:`envelope`."""
    body = root.find(_env("Body"))
    if body is None:  # pragma: no cover (envelope() always makes one)
        raise AssertionError
    return body


def serialise(root: ET.Element) -> bytes:
    """An envelope as UTF-8 bytes, with the partner namespace as the default."""
    # typeshed types tostring() with a named encoding as Any; with one it is bytes.
    data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True, default_namespace=PARTNER)
    return data


def parsed(body: bytes, *, what: str) -> ET.Element:
    """A SOAP answer's envelope element.

    Raises:
        ProtocolError: for a DTD, XML that does not parse, or XML that is not a SOAP envelope.
    """
    if b"<!DOCTYPE" in body:
        # Salesforce never sends a DTD (a proxy's HTML page does); refusing one before parsing
        # keeps entity expansion out of the parser.
        raise soap_protocol_error(body, what=what, reason="a document with a DTD, which it never sends")
    try:
        # ElementTree never fetches external entities, and expat >= 2.4 caps entity expansion.
        root = ET.fromstring(body)  # noqa: S314 (see above; DTDs are refused first)
    except ET.ParseError as exc:
        reason = f"XML that does not parse ({exc.__class__.__name__}); the answer was cut short?"
        raise soap_protocol_error(body, what=what, reason=reason) from exc
    if root.tag != _env("Envelope"):
        raise soap_protocol_error(body, what=what, reason="XML that is not a SOAP envelope")
    return root


def results(body: bytes, *, call: str, what: str, sent: int, noun: str) -> list[ET.Element]:
    """The ``result`` elements of a ``<call>Response``, checked to be one per item sent.

    Raises:
        ProtocolError: when the answer is no such response, or holds another number of results.
    """
    response = parsed(body, what=what).find(f"{_env('Body')}/{partner(call + 'Response')}")
    if response is None:
        raise soap_protocol_error(body, what=what, reason=f"a SOAP answer without a {call}Response")
    elements = response.findall(partner("result"))
    if len(elements) != sent:
        msg = f"{what}: {sent} {noun} were sent but Salesforce answered with {len(elements)} results"
        raise ProtocolError(msg)
    return elements


def soap_fault(
    body: bytes, status: int, *, headers: Mapping[str, str] | None = None, sobject: str | None = None
) -> SalesforceError | None:
    """Translate a failed SOAP call into sfbridge's exception tree.

    A fault usually comes with HTTP 500, but only the body says for sure: any ``soapenv:Fault``
    is a fault, whatever the status, and any status but 200 is a failure, whatever the body.

    Args:
        body: the response body.
        status: the HTTP status.
        headers: the response headers (for Retry-After).
        sobject: the object the call was about, named in messages.

    Returns:
        The error to raise, or None for a 200 answer without a fault.
    """
    try:
        fault = parsed(body, what="a SOAP call").find(f"{_env('Body')}/{_env('Fault')}")
    except ProtocolError:
        fault = None
    if fault is None:
        if status == 200:  # noqa: PLR2004 (an unreadable 200 is the result parser's to report)
            return None
        # No SOAP at all (a proxy's page, a load balancer's 503): classify it as REST would.
        return rest_error(status, body.decode("utf-8", "replace"), headers, sobject=sobject)
    # exceptionCode / exceptionMessage (in the fault namespace) are Salesforce's own; faultcode
    # is "sf:CODE" or, for a malformed envelope, a generic "soapenv:Client".
    faultcode = (fault.findtext("{*}faultcode") or "").rpartition(":")[2]
    code = fault.findtext("{*}detail/{*}*/{*}exceptionCode") or faultcode
    message = fault.findtext("{*}detail/{*}*/{*}exceptionMessage") or fault.findtext("{*}faultstring") or ""
    return soap_error(status, code.strip() or None, message.strip(), headers, sobject=sobject)


def text(parent: ET.Element, name: str) -> str | None:
    """A partner child element's text; None when absent, ``xsi:nil`` or blank."""
    element = parent.find(partner(name))
    if element is None or element.get(XSI_NIL) == "true":
        return None
    return (element.text or "").strip() or None


def texts(parent: ET.Element, name: str) -> tuple[str, ...]:
    """The texts of a repeated partner child element (``mergedRecordIds``), blanks left out."""
    return tuple(value for element in parent.findall(partner(name)) if (value := (element.text or "").strip()))


def required_text(parent: ET.Element, name: str, *, what: str) -> str:
    """A partner child element's text that a result must carry.

    Raises:
        ProtocolError: when it is absent or empty.
    """
    value = text(parent, name)
    if value is None:
        msg = f"{what}: Salesforce sent a result without <{name}>"
        raise ProtocolError(msg)
    return value


def success(parent: ET.Element, *, what: str) -> bool:
    """A result's ``success`` flag.

    Raises:
        ProtocolError: when it is absent or not a boolean.
    """
    value = required_text(parent, "success", what=what)
    if value not in {"true", "false"}:
        msg = f"{what}: Salesforce sent a result whose <success> is not a boolean"
        raise ProtocolError(msg)
    return value == "true"


@dataclass(frozen=True)
class SoapError:
    """Why Salesforce refused one item of a call (an ``Error``, or a ``DuplicateError`` with its matches)."""

    status_code: str
    message: str
    fields: tuple[str, ...] = ()
    duplicate_rule: str | None = None
    duplicate_record_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        """``CODE: message``, with the duplicates' Ids when a duplicate rule refused."""
        shown = f"{self.status_code}: {self.message}"
        return shown + (f" (duplicates: {', '.join(self.duplicate_record_ids)})" if self.duplicate_record_ids else "")


def _error(element: ET.Element, *, what: str) -> SoapError:
    duplicate = element.find(partner("duplicateResult"))
    rule: str | None = None
    record_ids: tuple[str, ...] = ()
    if duplicate is not None:
        rule = text(duplicate, "duplicateRule")
        path = "/".join((partner("matchResults"), partner("matchRecords"), partner("record"), f"{{{SOBJECT}}}Id"))
        # Several matching rules of one duplicate rule can match the same record (and partner
        # sObjects may repeat <sf:Id>): keep each matched record once, in order.
        record_ids = tuple(dict.fromkeys(value for e in duplicate.iterfind(path) if (value := (e.text or "").strip())))
    return SoapError(
        status_code=required_text(element, "statusCode", what=what),
        message=text(element, "message") or "",
        fields=texts(element, "fields"),
        duplicate_rule=rule,
        duplicate_record_ids=record_ids,
    )


def record_errors(result: ET.Element, *, what: str) -> tuple[SoapError, ...]:
    """The ``errors`` of one result, in order."""
    return tuple(_error(error, what=what) for error in result.findall(partner("errors")))


def same_id(got: str, sent: str) -> bool:
    """Whether two Ids name one record (15- and 18-character forms compare equal)."""
    try:
        return to_18(got) == to_18(sent)
    except InvalidIdError:
        return got == sent


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
        root = parsed(body, what="a SOAP call")
    except ProtocolError:
        return None
    path = "/".join((_env("Header"), partner("LimitInfoHeader"), partner("limitInfo")))
    for info in root.iterfind(path):
        if text(info, "type") == "API REQUESTS":
            try:
                return int(text(info, "current") or ""), int(text(info, "limit") or "")
            except ValueError:
                return None
    return None
