"""Lead conversion's wire format: the SOAP ``convertLead`` envelope, its results and faults.

Salesforce has no REST resource that converts a lead (``actions/standard/convertLead`` answers
404 on live orgs) and simple-salesforce makes no SOAP data calls, so sfbridge writes the partner
API envelope itself. Pure functions, bytes in and values out; the gateway sends them.
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_convertlead.htm
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from sfbridge.errors import ProtocolError
from sfbridge.ids import validate_id
from sfbridge.salesforce.soap import (
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
    xsd,
)

__all__ = ["MAX_CONVERTS", "LeadConvert", "LeadConvertResult", "convert_request", "parse_convert_response"]

#: Leads per convertLead call. The SOAP limit is undocumented; Apex recommends at most 100
#: LeadConvert objects per call, and a smaller batch loses less to one transport failure.
MAX_CONVERTS = 100

_WHAT = "convert leads"


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
        for value in (self.converted_status, self.opportunity_name or ""):
            if not_xml(value):
                msg = f"lead {self.lead_id}: a value holds control characters XML cannot carry"
                raise ValueError(msg)
        if not self.converted_status.strip():
            msg = f"lead {self.lead_id}: converted_status is empty"
            raise ValueError(msg)


@dataclass(frozen=True)
class LeadConvertResult:
    """What became of one lead: the records it turned into, or why it was refused."""

    lead_id: str
    success: bool
    account_id: str | None = None
    contact_id: str | None = None
    opportunity_id: str | None = None
    errors: tuple[SoapError, ...] = ()


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
    headers: dict[str, dict[str, str | bool]] = {}
    if allow_duplicate_save is not None:
        # All three are required, in this (WSDL) order. Only the matches' Ids are read, so no
        # record details; the rules run with the integration user's sharing, as its saves do.
        headers["DuplicateRuleHeader"] = {
            "allowSave": allow_duplicate_save,
            "includeRecordDetails": False,
            "runAsCurrentUser": True,
        }
    root = envelope(session_id, headers=headers)
    call = ET.SubElement(body_element(root), partner("convertLead"))
    for convert in converts:
        item = ET.SubElement(call, partner("leadConverts"))
        for name, value in _sequence(convert):
            if value is not None:  # unused optional elements are left out, not sent as nil
                ET.SubElement(item, partner(name)).text = xsd(value)
    return serialise(root)


def _result(element: ET.Element, sent: str, position: int) -> LeadConvertResult:
    # A lead Salesforce could not read (a malformed Id, say) may come back with a nil leadId;
    # results come in request order, so its place names it.
    lead_id = text(element, "leadId") or sent
    if not same_id(lead_id, sent):
        msg = f"{_WHAT}: result {position} is for lead {lead_id}, but lead {sent} was sent in that place"
        raise ProtocolError(msg)
    return LeadConvertResult(
        lead_id=lead_id,
        success=success(element, what=_WHAT),
        account_id=text(element, "accountId"),
        contact_id=text(element, "contactId"),
        opportunity_id=text(element, "opportunityId"),
        errors=record_errors(element, what=_WHAT),
    )


def parse_convert_response(body: bytes, *, expected: Sequence[str]) -> list[LeadConvertResult]:
    """Read a ``convertLeadResponse``: one result per lead sent, in the order sent.

    Args:
        body: the response body (a 200 answer that :func:`~sfbridge.salesforce.soap.soap_fault` let through).
        expected: the lead Ids sent, in order.

    Returns:
        One result per lead; a refused lead is a result with ``success=False``, not an error.

    Raises:
        ProtocolError: when the body is not XML, not a convertLead answer, or its results do
            not match the leads sent one for one.
    """
    elements = results(body, call="convertLead", what=_WHAT, sent=len(expected), noun="leads")
    return [_result(element, sent, n) for n, (element, sent) in enumerate(zip(elements, expected, strict=True), 1)]
