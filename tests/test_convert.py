"""Lead conversion over SOAP: the envelope sfbridge writes, and Salesforce's answers (fixtures/http/convert/)."""

from xml.etree import ElementTree as ET

import pytest
import requests
import responses
from pydantic import SecretStr
from responses import registries
from structlog.testing import capture_logs
from urllib3.exceptions import MaxRetryError, NewConnectionError

from conftest import INSTANCE, make_profile
from recorded import cassette, register, replay
from sfbridge.config import AuthMethod
from sfbridge.credentials import Secrets
from sfbridge.errors import (
    ApiBudgetError,
    AuthenticationError,
    FatalSalesforceError,
    ProtocolError,
    RetriableSalesforceError,
)
from sfbridge.salesforce.convert import (
    LeadConvert,
    convert_request,
    parse_convert_response,
)
from sfbridge.salesforce.replay import Cassette
from sfbridge.salesforce.soap import soap_api_usage, soap_fault

SOAP_URL = f"{INSTANCE}/services/Soap/u/66.0"
TOKEN = "00D9P0000L6772h!AQ4AQSimulatedAccessTokenNotASecret"
RENEWED_TOKEN = "00D9P0000L6772h!AQ4AQRenewedAccessTokenNotASecret"
ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"
P = "{urn:partner.soap.sforce.com}"

LEAD_1, LEAD_2, LEAD_3 = "00Q9P0000F9qklnUQA", "00Q9P0000F9qkk6UQA", "00Q9P0000F9qkj1UQA"
OWNER = "0059P0000Am3kw2QQA"
NEW_ACCOUNT, NEW_CONTACT = "0019P0000BfGhJkQQK", "0039P0000DkLmNpQQK"
DUPLICATE_CONTACT = "0039P0000Cq1XyZQQU"

# The partner WSDL's LeadConvert sequence (API 58.0), written out independently of the code.
WSDL_ORDER = [
    "accountId",
    "accountRecord",
    "bypassAccountDedupeCheck",
    "bypassContactDedupeCheck",
    "contactId",
    "contactRecord",
    "convertedStatus",
    "doNotCreateOpportunity",
    "leadId",
    "opportunityId",
    "opportunityName",
    "opportunityRecord",
    "overwriteLeadSource",
    "ownerId",
    "relatedPersonAccountId",
    "relatedPersonAccountRecord",
    "sendNotificationEmail",
]


def lead(lead_id=LEAD_1, **overrides):
    return LeadConvert(lead_id=lead_id, converted_status="Closed - Converted", **overrides)


def parse(body):
    return ET.fromstring(body)  # noqa: S314 (an envelope sfbridge built, or a fixture)


def local(element):
    return element.tag.rpartition("}")[2]


def converts_sent(envelope):
    """Each leadConverts element as a list of (element name, text), in document order."""
    call = envelope.find(f"{ENV}Body/{P}convertLead")
    return [[(local(child), child.text) for child in item] for item in call.findall(f"{P}leadConverts")]


def session_id(envelope):
    return envelope.findtext(f"{ENV}Header/{P}SessionHeader/{P}sessionId")


def soap_posts(calls):
    return [call for call in calls if call.request.url == SOAP_URL]


def interaction(name, index):
    return cassette(name).interactions[index]


# -- the envelope ------------------------------------------------------------------------


def test_convert_request_writes_every_option_in_wsdl_order():
    """With every option set, the leadConverts children follow the partner WSDL sequence exactly."""
    convert = lead(
        account_id=NEW_ACCOUNT,
        contact_id=NEW_CONTACT,
        owner_id=OWNER,
        do_not_create_opportunity=False,
        opportunity_name="Acme renewal",
        overwrite_lead_source=True,
        send_notification_email=True,
        bypass_account_dedupe_check=True,
        bypass_contact_dedupe_check=False,
    )
    (sent,) = converts_sent(parse(convert_request([convert], session_id=TOKEN)))
    names = [name for name, _ in sent]
    assert names == [name for name in WSDL_ORDER if name in names]
    assert dict(sent) == {
        "accountId": NEW_ACCOUNT,
        "bypassAccountDedupeCheck": "true",
        "bypassContactDedupeCheck": "false",
        "contactId": NEW_CONTACT,
        "convertedStatus": "Closed - Converted",
        "doNotCreateOpportunity": "false",
        "leadId": LEAD_1,
        "opportunityName": "Acme renewal",
        "overwriteLeadSource": "true",
        "ownerId": OWNER,
        "sendNotificationEmail": "true",
    }


def test_convert_request_escapes_values():
    """Markup characters in values arrive as the same text, not as XML."""
    name = 'Smith & <Sons> "Ltd" ]]> \u00e9'
    convert = lead(do_not_create_opportunity=False, opportunity_name=name)
    envelope = parse(convert_request([convert], session_id="a&b<c"))
    (sent,) = converts_sent(envelope)
    assert dict(sent)["opportunityName"] == name
    assert session_id(envelope) == "a&b<c"


def test_convert_request_sends_the_duplicate_rule_header_only_when_asked():
    """No DuplicateRuleHeader by default; when asked, its three elements in WSDL order."""
    plain = parse(convert_request([lead()], session_id=TOKEN))
    assert plain.find(f"{ENV}Header/{P}DuplicateRuleHeader") is None
    header = parse(convert_request([lead()], session_id=TOKEN, allow_duplicate_save=False)).find(
        f"{ENV}Header/{P}DuplicateRuleHeader"
    )
    assert [(local(child), child.text) for child in header] == [
        ("allowSave", "false"),
        ("includeRecordDetails", "false"),
        ("runAsCurrentUser", "true"),
    ]


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"lead_id": NEW_CONTACT}, "not a Lead Id"),
        ({"owner_id": "00G9P000003AbCdUAK"}, "not a User Id"),
        ({"contact_id": NEW_CONTACT}, "needs the account_id"),
        ({"opportunity_name": "Acme"}, "do_not_create_opportunity"),
        ({"converted_status": "Closed\x00"}, "control characters"),
    ],
)
def test_lead_convert_refuses_what_salesforce_would_refuse(overrides, complaint):
    """A wrong Id, a queue owner, a contact without account or a contradiction fails before any call."""
    values = {"lead_id": LEAD_1, "converted_status": "Closed - Converted"} | overrides
    with pytest.raises(ValueError, match=complaint):
        LeadConvert(**values)


# -- reading answers without HTTP ---------------------------------------------------------


def test_parse_convert_response_refuses_a_result_for_another_lead():
    """A result whose leadId is not the lead sent in that place is a protocol error naming both."""
    body = interaction("convert/success", 1).body
    with pytest.raises(ProtocolError, match=f"result 1 is for lead {LEAD_1}, but lead {LEAD_2} was sent"):
        parse_convert_response(body, expected=[LEAD_2])


def test_parse_convert_response_accepts_the_15_character_id_sent():
    """Salesforce answers with 18-character Ids; a 15-character Id sent matches its 18-character form."""
    (result,) = parse_convert_response(interaction("convert/success", 1).body, expected=[LEAD_1[:15]])
    assert result.lead_id == LEAD_1


def test_parse_convert_response_lists_each_matched_record_once():
    """Two matching rules finding the same Contact, plus another: two Ids, in the order found."""
    other = "0039P0000Cq1Y0AQQU"

    def match(rule, *ids):
        records = "".join(f"<matchRecords><record><sf:Id>{i}</sf:Id></record></matchRecords>" for i in ids)
        return f"<matchResults><entityType>Contact</entityType>{records}<rule>{rule}</rule></matchResults>"

    body = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com">'
        "<soapenv:Body><convertLeadResponse><result>"
        "<errors><message>Use one of these records?</message><statusCode>DUPLICATES_DETECTED</statusCode>"
        f"<duplicateResult><duplicateRule>Contacts</duplicateRule>{match('By_Email', DUPLICATE_CONTACT)}"
        f"{match('By_Phone', DUPLICATE_CONTACT, other)}</duplicateResult></errors>"
        f"<leadId>{LEAD_2}</leadId><success>false</success></result></convertLeadResponse></soapenv:Body></soapenv:Envelope>"
    ).encode()
    (result,) = parse_convert_response(body, expected=[LEAD_2])
    assert result.errors[0].duplicate_record_ids == (DUPLICATE_CONTACT, other)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"<html><body><h1>Service Unavailable</h1></body></html>", "HTML page"),
        (b"", "empty answer"),
        (b'<?xml version="1.0"?><result><success>true</success></result>', "not a SOAP envelope"),
    ],
)
def test_parse_convert_response_names_foreign_answers(body, complaint):
    """Proxy pages, empty bodies and bare XML are protocol errors, not parser tracebacks."""
    with pytest.raises(ProtocolError, match=complaint):
        parse_convert_response(body, expected=[LEAD_1])


def test_parse_convert_response_refuses_a_dtd_even_around_a_valid_answer():
    """Salesforce never sends a DTD; one is refused before parsing, so its entities never expand."""
    declaration, rest = interaction("convert/success", 1).body.split(b"?>", 1)
    body = declaration + b'?><!DOCTYPE soapenv:Envelope [<!ENTITY e "e">]>' + rest
    with pytest.raises(ProtocolError, match="Salesforce sent"):
        parse_convert_response(body, expected=[LEAD_1])


def test_soap_fault_classifies_by_code_and_lets_a_clean_answer_through():
    """A fault is found even in a 200; a proxy's 503 page is retriable; a real result is no fault."""
    fault_body = interaction("convert/request_limit", 1).body
    assert isinstance(soap_fault(fault_body, 200), ApiBudgetError)
    assert isinstance(soap_fault(b"<html><body>Service Unavailable</body></html>", 503), RetriableSalesforceError)
    assert soap_fault(interaction("convert/success", 1).body, 200) is None
    assert soap_fault(b"not xml at all", 200) is None  # left for parse_convert_response to report


def test_soap_fault_without_detail_falls_back_to_faultcode():
    """A schema fault (no detail element) still yields a fatal error carrying its code and text."""
    body = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
        b"<soapenv:Fault><faultcode>soapenv:Client</faultcode>"
        b"<faultstring>Element {urn:partner.soap.sforce.com}convertedStatus invalid at this location</faultstring>"
        b"</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    error = soap_fault(body, 500)
    assert type(error) is FatalSalesforceError
    assert error.error_code == "Client"
    assert "invalid at this location" in str(error)


def test_soap_api_usage_reads_the_limit_info_header():
    """The 'API REQUESTS' limitInfo gives (used, limit); an answer without one gives None."""
    assert soap_api_usage(interaction("convert/success", 1).body) == (1003, 15000)
    assert soap_api_usage(interaction("convert/request_limit", 1).body) is None


# -- the gateway against recorded exchanges -------------------------------------------------


def test_convert_leads_posts_the_soap_call_with_the_session_token(gateway_factory):
    """One SOAP POST: SOAP headers, the OAuth token as session id, the lead's elements in WSDL order."""
    gateway = gateway_factory()
    with replay("convert/success") as calls:
        gateway.convert_leads([lead(owner_id=OWNER)])
    (post,) = soap_posts(calls)
    assert post.request.method == "POST"
    assert post.request.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert post.request.headers["SOAPAction"] == '""'
    assert "Authorization" not in post.request.headers  # SOAP reads the session from the envelope
    envelope = parse(post.request.body)
    assert session_id(envelope) == TOKEN
    assert converts_sent(envelope) == [
        [
            ("convertedStatus", "Closed - Converted"),
            ("doNotCreateOpportunity", "true"),
            ("leadId", LEAD_1),
            ("overwriteLeadSource", "false"),
            ("ownerId", OWNER),
            ("sendNotificationEmail", "false"),
        ]
    ]


def test_convert_leads_returns_the_new_account_and_contact(gateway_factory):
    """A converted lead names its new Account and Contact; no Opportunity (nil); usage is tracked."""
    gateway = gateway_factory()
    with replay("convert/success"), capture_logs() as logs:
        (result,) = gateway.convert_leads([lead()])
    assert (result.lead_id, result.success) == (LEAD_1, True)
    assert (result.account_id, result.contact_id, result.opportunity_id) == (NEW_ACCOUNT, NEW_CONTACT, None)
    assert result.errors == ()
    assert (gateway.usage.used, gateway.usage.limit) == (1003, 15000)
    assert TOKEN not in repr(logs)


def test_convert_leads_reports_refused_leads_as_results(gateway_factory):
    """One batch: a conversion, a duplicate-rule refusal with the matching Contact, an invalid status."""
    converts = [lead(LEAD_1), lead(LEAD_2), LeadConvert(lead_id=LEAD_3, converted_status="Qualified - converted")]
    with replay("convert/mixed_batch"):
        converted, duplicate, bad_status = gateway_factory().convert_leads(converts)
    assert [r.lead_id for r in (converted, duplicate, bad_status)] == [LEAD_1, LEAD_2, LEAD_3]
    assert [r.success for r in (converted, duplicate, bad_status)] == [True, False, False]
    (error,) = duplicate.errors
    assert error.status_code == "DUPLICATES_DETECTED"
    assert error.duplicate_rule == "Standard_Contact_Duplicate_Rule"
    assert error.duplicate_record_ids == (DUPLICATE_CONTACT,)
    assert error.message.startswith("You're creating a duplicate record")
    assert (duplicate.account_id, duplicate.contact_id) == (None, None)
    (error,) = bad_status.errors
    assert (error.status_code, error.message) == ("INVALID_STATUS", "invalid convertedStatus: Qualified - converted")
    assert error.duplicate_record_ids == ()


def test_convert_leads_renews_an_expired_session_once(gateway_factory):
    """Fault INVALID_SESSION_ID: one new token, and the same call again, carrying the new token."""
    with replay("convert/invalid_session") as calls, capture_logs() as logs:
        (result,) = gateway_factory().convert_leads([lead()])
    assert result.success
    first, again = (parse(post.request.body) for post in soap_posts(calls))
    assert [session_id(first), session_id(again)] == [TOKEN, RENEWED_TOKEN]
    assert converts_sent(first) == converts_sent(again)
    assert [entry["event"] for entry in logs].count("salesforce_session_renewed") == 1


def test_convert_leads_with_a_fixed_access_token_says_which_variable_to_refresh(gateway_factory):
    """An access token cannot be renewed: the fault becomes an AuthenticationError, sent once."""
    profile = make_profile(auth=AuthMethod.ACCESS_TOKEN, instance_url=INSTANCE)
    gateway = gateway_factory(profile, Secrets(access_token=SecretStr(TOKEN)))
    fault = Cassette(interactions=[interaction("convert/invalid_session", 1)], recorded_at=None)
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        register(mock, fault)
        with pytest.raises(AuthenticationError, match="SFBRIDGE_SCENARIO_ACCESS_TOKEN") as caught:
            gateway.convert_leads([lead()])
        assert len(soap_posts(mock.calls)) == 1
    assert caught.value.error_code == "INVALID_SESSION_ID"


def test_convert_leads_stops_when_the_daily_allowance_is_used_up(gateway_factory):
    """Fault REQUEST_LIMIT_EXCEEDED (TotalRequests) is the API budget error, and is not retried."""
    with replay("convert/request_limit") as calls, pytest.raises(ApiBudgetError, match="API allowance") as caught:
        gateway_factory().convert_leads([lead()])
    assert caught.value.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert len(soap_posts(calls)) == 1


def test_convert_leads_never_resends_after_a_timeout(gateway_factory):
    """A read timeout may hide a conversion: the transport error surfaces and no second POST is made."""
    login, success = cassette("convert/success").interactions
    with responses.RequestsMock(assert_all_requests_are_fired=False, registry=registries.OrderedRegistry) as mock:
        register(mock, Cassette(interactions=[login], recorded_at=None))
        mock.add(responses.POST, SOAP_URL, body=requests.exceptions.ReadTimeout("read timed out"))
        register(mock, Cassette(interactions=[success], recorded_at=None))  # what a re-send would get
        with pytest.raises(RetriableSalesforceError, match="read timeout") as caught:
            gateway_factory().convert_leads([lead()])
        assert len(soap_posts(mock.calls)) == 1
    assert caught.value.request_sent


def test_convert_leads_resends_when_the_connection_never_opened(gateway_factory):
    """A refused connection carried nothing to Salesforce, so the call is sent again and converts."""
    login, success = cassette("convert/success").interactions
    refused = requests.exceptions.ConnectionError(
        MaxRetryError(pool=None, url="/services/Soap/u/66.0", reason=NewConnectionError(None, "refused"))
    )
    with responses.RequestsMock(registry=registries.OrderedRegistry) as mock:
        register(mock, Cassette(interactions=[login], recorded_at=None))
        mock.add(responses.POST, SOAP_URL, body=refused)
        register(mock, Cassette(interactions=[success], recorded_at=None))
        (result,) = gateway_factory().convert_leads([lead()])
        assert len(soap_posts(mock.calls)) == 2
    assert result.success


def test_convert_leads_reports_an_answer_cut_short(gateway_factory):
    """A truncated 200 answer is a protocol error that tells the caller to re-read the leads."""
    with replay("convert/truncated"), pytest.raises(ProtocolError, match="cut short") as caught:
        gateway_factory().convert_leads([lead()])
    assert "re-read them" in str(caught.value)


def test_convert_leads_refuses_an_answer_with_too_few_results(gateway_factory):
    """Two leads sent, one result back (the success recording): a protocol error, not a guess."""
    with replay("convert/success"), pytest.raises(ProtocolError, match=r"2 leads were sent but .* with 1 results"):
        gateway_factory().convert_leads([lead(LEAD_1), lead(LEAD_2)])


def test_convert_leads_takes_at_most_100_leads(gateway_factory):
    """101 leads is a ValueError before any login or request; callers batch."""
    gateway = gateway_factory()
    with responses.RequestsMock() as mock:
        with pytest.raises(ValueError, match="at most 100"):
            gateway.convert_leads([lead()] * 101)
        assert not mock.calls
