"""Merging over SOAP: the envelope sfbridge writes, and Salesforce's answers (fixtures/http/merge/)."""

from xml.etree import ElementTree as ET

import pytest
import requests
import responses
from responses import registries

from conftest import INSTANCE
from recorded import cassette, register, replay
from sfbridge.errors import FatalSalesforceError, ProtocolError, RetriableSalesforceError
from sfbridge.ids import InvalidIdError
from sfbridge.salesforce.merge import MergeRequest, merge_request, parse_merge_response, undelete_request
from sfbridge.salesforce.replay import Cassette

SOAP_URL = f"{INSTANCE}/services/Soap/u/66.0"
TOKEN = "00D9P0000L6772h!AQ4AQSimulatedAccessTokenNotASecret"
ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"
P = "{urn:partner.soap.sforce.com}"
S = "{urn:sobject.partner.soap.sforce.com}"

C1, C2, C3, C4, C5 = (f"0039P0000Mg000{n}QQA" for n in range(1, 6))
L1, L2, L3, L4, L5, L6, L7, L8 = (f"00Q9P0000Mg000{n}UQA" for n in range(1, 9))
TASK_1, TASK_2, TASK_3, ROLE = "00T9P0000Rt0001UQA", "00T9P0000Rt0002UQA", "00T9P0000Rt0003UQA", "00K9P0000Rt0001UQA"


def parse(body):
    return ET.fromstring(body)  # noqa: S314 (an envelope sfbridge built)


def soap_posts(calls):
    return [call for call in calls if call.request.url == SOAP_URL]


def requests_sent(envelope):
    """Each <request> as (masterRecord children as (namespace, name, text), recordToMergeIds)."""
    sent = []
    for request in envelope.find(f"{ENV}Body/{P}merge").findall(f"{P}request"):
        names = [child.tag for child in request]
        assert names == [f"{P}masterRecord"] + [f"{P}recordToMergeIds"] * (len(names) - 1)  # WSDL order
        master = [(child.tag.partition("}")[0] + "}", child.tag.partition("}")[2], child.text) for child in request[0]]
        sent.append((master, [child.text for child in request[1:]]))
    return sent


# -- the envelope ------------------------------------------------------------------------


def test_merge_request_writes_the_master_as_a_partner_sobject_in_wsdl_order():
    """type, fieldsToNull, Id, then the fields, all in the sObject namespace; the merged Ids after the master."""
    merge = MergeRequest("Contact", C1, (C2, C3), {"Title": "VP", "Description": None, "HasOptedOutOfEmail": True})
    ((master, merged),) = requests_sent(parse(merge_request([merge], session_id=TOKEN)))
    assert master == [
        (S, "type", "Contact"),
        (S, "fieldsToNull", "Description"),
        (S, "Id", C1),
        (S, "Title", "VP"),
        (S, "HasOptedOutOfEmail", "true"),
    ]
    assert merged == [C2, C3]


def test_merge_request_escapes_values():
    """Markup in a value arrives as the same text."""
    name = 'Smith & <Sons> "Ltd" ]]> \u00e9'
    ((master, _),) = requests_sent(
        parse(merge_request([MergeRequest("Lead", L1, (L2,), {"Company": name})], session_id="t"))
    )
    assert (S, "Company", name) in master


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("Account", "0019P0000BfGhJkQQK", ("0019P0000BfGhJlQQK",)), ValueError, "only Contact, Lead"),
        (("Lead", L1, ()), ValueError, "1 or 2"),
        (("Lead", L1, (L2, L3, L4)), ValueError, "1 or 2"),
        (("Lead", L1, (L1[:15],)), ValueError, "into itself"),
        (("Lead", L1, (C1,)), InvalidIdError, "not a Lead Id"),
        (("Lead", L1, (L2,), {"Bad Field": 1}), ValueError, "not a field"),
        (("Lead", L1, (L2,), {"Id": L2}), ValueError, "not a field"),
        (("Lead", L1, (L2,), {"Title": "a\x00b"}), ValueError, "control characters"),
    ],
)
def test_a_merge_salesforce_would_refuse_is_refused_before_sending(arguments, error, message):
    with pytest.raises(error, match=message):
        MergeRequest(*arguments)


def test_undelete_request_lists_the_ids():
    envelope = parse(undelete_request([C2, C4], session_id=TOKEN))
    assert [e.text for e in envelope.find(f"{ENV}Body/{P}undelete").findall(f"{P}ids")] == [C2, C4]


# -- the gateway against recorded exchanges -------------------------------------------------


def test_merge_records_sends_both_merges_in_one_call_and_reads_what_moved(gateway_factory):
    """A merge of two records and one of three: the merged Ids and the re-parented related records come back."""
    gateway = gateway_factory()
    two = MergeRequest("Contact", C1, (C2,), {"Phone": "+1 415 555 0134", "Title": "VP Marketing"})
    three = MergeRequest("Contact", C3, (C4, C5))
    with replay("merge/two_and_three") as calls:
        first, second = gateway.merge_records([two, three])
    (post,) = soap_posts(calls)
    assert post.request.headers["SOAPAction"] == '""'
    envelope = parse(post.request.body)
    assert envelope.findtext(f"{ENV}Header/{P}SessionHeader/{P}sessionId") == TOKEN
    assert [merged for _, merged in requests_sent(envelope)] == [[C2], [C4, C5]]
    assert (first.master_id, first.success, first.merged_ids, first.updated_related_ids) == (
        C1,
        True,
        (C2,),
        (TASK_1, ROLE),
    )
    assert (second.merged_ids, second.updated_related_ids) == ((C4, C5), (TASK_2, TASK_3))
    assert (gateway.usage.used, gateway.usage.limit) == (1003, 15000)


def test_merge_records_reports_each_refused_merge_with_its_reason(gateway_factory):
    """One call, four merges: one done, three refused each with Salesforce's status code (and field)."""
    merges = [
        MergeRequest("Lead", L1, (L2,)),
        MergeRequest("Lead", L3, (L4,)),
        MergeRequest("Lead", L5, (L6,)),
        MergeRequest("Lead", L7, (L8,), {"Email": "dana.keller@example"}),
    ]
    with replay("merge/partial_failure"):
        results = gateway_factory().merge_records(merges)
    assert [r.success for r in results] == [True, False, False, False]
    assert [r.master_id for r in results] == [L1, L3, L5, L7]  # a nil id is named by its place
    assert [r.errors[0].status_code for r in results[1:]] == [
        "ENTITY_IS_DELETED",
        "INVALID_CROSS_REFERENCE_KEY",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    ]
    assert results[3].errors[0].fields == ("Email",)
    assert str(results[3].errors[0]) == "FIELD_CUSTOM_VALIDATION_EXCEPTION: Email must be a valid company address"
    assert results[1].merged_ids == ()


def test_a_merge_fault_refuses_the_whole_call_once(gateway_factory):
    """sf:INVALID_FIELD (HTTP 500): a fatal error naming the column; not sent again."""
    merge = MergeRequest("Lead", L1, (L2,), {"Rating__c": "Hot"})
    with replay("merge/invalid_field") as calls, pytest.raises(FatalSalesforceError, match="Rating__c") as caught:
        gateway_factory().merge_records([merge])
    assert caught.value.error_code == "INVALID_FIELD"
    assert len(soap_posts(calls)) == 1


def test_merge_records_never_resends_after_a_timeout(gateway_factory):
    """A merge whose answer was lost may have happened: the transport error surfaces after one POST."""
    login, answer = cassette("merge/two_and_three").interactions
    with responses.RequestsMock(assert_all_requests_are_fired=False, registry=registries.OrderedRegistry) as mock:
        register(mock, Cassette(interactions=[login], recorded_at=None))
        mock.add(responses.POST, SOAP_URL, body=requests.exceptions.ReadTimeout("read timed out"))
        register(mock, Cassette(interactions=[answer], recorded_at=None))  # what a re-send would get
        with pytest.raises(RetriableSalesforceError) as caught:
            gateway_factory().merge_records([MergeRequest("Contact", C1, (C2,))])
        assert len(soap_posts(mock.calls)) == 1
    assert caught.value.request_sent


def test_merge_records_refuses_an_answer_for_other_masters(gateway_factory):
    """Results are matched to merges by place and master: an answer about other records is a protocol error."""
    with replay("merge/two_and_three"), pytest.raises(ProtocolError, match="re-read the records"):
        gateway_factory().merge_records([MergeRequest("Contact", C3, (C4,)), MergeRequest("Contact", C1, (C2,))])


def test_merge_records_checks_its_batch_before_logging_in(gateway_factory):
    gateway = gateway_factory()
    with responses.RequestsMock() as mock:
        with pytest.raises(ValueError, match="at most 200"):
            gateway.merge_records([MergeRequest("Lead", L1, (L2,))] * 201)
        with pytest.raises(ValueError, match="one object"):
            gateway.merge_records([MergeRequest("Lead", L1, (L2,)), MergeRequest("Contact", C1, (C2,))])
        assert not mock.calls


def test_parse_merge_response_counts_results():
    body = cassette("merge/two_and_three").interactions[1].body
    with pytest.raises(ProtocolError, match="3 merges were sent but Salesforce answered with 2 results"):
        parse_merge_response(body, masters=[C1, C3, C5])


def test_undelete_records_reads_each_result(gateway_factory):
    """One record back from the Recycle Bin, one refused (already purged) with its status code."""
    with replay("merge/undelete"):
        restored, purged = gateway_factory().undelete_records([C2, C4])
    assert (restored.record_id, restored.success) == (C2, True)
    assert (purged.record_id, purged.success, purged.errors[0].status_code) == (C4, False, "UNDELETE_FAILED")
