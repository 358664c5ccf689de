"""The simulated org takes writes as Salesforce does, and injects the failures apply must survive."""

from datetime import UTC, datetime

import pytest
import requests

from conftest import INSTANCE
from scenario import USER_ID, refuse, row, scenario_org
from sfbridge.ids import to_18
from sfbridge.salesforce.convert import LeadConvert, convert_request, parse_convert_response
from sfbridge.salesforce.merge import MergeRequest, merge_request
from sfbridge.sandbox.faults import Disconnect, SlowCall

SOAP = f"{INSTANCE}/services/Soap/u/66.0"
QUERY = f"{INSTANCE}/services/data/v66.0/query/"
LEADS = [to_18(f"00Q9P0000Sx{n:04d}") for n in (1, 2, 3)]


def session_of(org):
    session = requests.Session()
    session.mount("https://", org)
    return session


def a_lead(record_id):
    return {"Id": record_id, "IsDeleted": False, "LastName": "Keller", "Company": "Acme", "IsConverted": False}


def convert(session, *leads, status="Closed - Converted"):
    converts = [LeadConvert(lead_id=lead, converted_status=status) for lead in leads]
    body = convert_request(converts, session_id="00D!simulated")
    return session.post(SOAP, data=body, headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'})


def test_a_refused_conversion_answers_a_lead_convert_result_naming_the_lead():
    """A status that is not a converted one, or a rule of the org, refuses one lead; the others convert."""
    org = scenario_org(
        [a_lead(lead) for lead in LEADS], validation_rules=[refuse(LEADS[1], "DUPLICATES_DETECTED", "x")]
    )
    session = session_of(org)
    answer = convert(session, *LEADS[:2])
    first, second = parse_convert_response(answer.content, expected=LEADS[:2])
    assert (first.success, first.contact_id is not None) == (True, True)
    assert (second.lead_id, second.success, second.errors[0].status_code) == (LEADS[1], False, "DUPLICATES_DETECTED")
    # The LeadConvertResult sequence: nil accountId and contactId, errors, leadId, nil opportunityId.
    assert '<accountId xsi:nil="true"/><contactId xsi:nil="true"/><errors>' in answer.text
    assert f"</errors><leadId>{LEADS[1]}</leadId>" in answer.text
    (refused,) = parse_convert_response(
        convert(session, LEADS[2], status="Working - Contacted").content, expected=[LEADS[2]]
    )
    assert (refused.errors[0].status_code, refused.errors[0].message) == (
        "INVALID_STATUS",
        "invalid convertedStatus: Working - Contacted",
    )
    assert not row(org, LEADS[2])["IsConverted"]


def test_a_lost_answer_leaves_the_work_done_and_a_dropped_request_leaves_nothing_done():
    org = scenario_org([a_lead(lead) for lead in LEADS])
    soap = ("POST", "/services/Soap/u/")
    org.faults = [Disconnect(*soap, operation="convertLead", after_acting=True), Disconnect(*soap)]
    session = session_of(org)
    with pytest.raises(requests.ConnectionError, match="the answer was lost"):
        convert(session, LEADS[0])
    assert row(org, LEADS[0])["IsConverted"]
    with pytest.raises(requests.ConnectionError, match="never reached Salesforce"):
        convert(session, LEADS[1])
    assert not row(org, LEADS[1])["IsConverted"]
    assert len(org.received) == 2  # both reached the transport; a test can count them


def test_a_slow_call_lands_after_its_queries_or_before_the_next_write():
    org = scenario_org([a_lead(lead) for lead in LEADS])
    org.faults = [SlowCall("POST", "/services/Soap/u/", operation="convertLead", queries=2, times=2)]
    session = session_of(org)
    soql = {"q": f"SELECT Id FROM Lead WHERE Id = '{LEADS[0]}'"}  # noqa: S608 (a test's own Id)
    with pytest.raises(requests.ReadTimeout):
        convert(session, LEADS[0])
    session.get(QUERY, params=soql)
    assert not row(org, LEADS[0])["IsConverted"]  # still running
    session.get(QUERY, params=soql)
    assert row(org, LEADS[0])["IsConverted"]
    with pytest.raises(requests.ReadTimeout):
        convert(session, LEADS[1])
    convert(session, LEADS[2])  # waits for the running call's row locks
    assert row(org, LEADS[1])["IsConverted"]
    assert row(org, LEADS[2])["IsConverted"]


def test_logging_in_is_not_an_api_call_and_a_query_is():
    org = scenario_org([], api_used=100)
    session = session_of(org)
    session.post(f"{INSTANCE}/services/oauth2/token", data={"grant_type": "client_credentials"})
    assert org.api_used == 100
    answer = session.get(QUERY, params={"q": f"SELECT Id FROM User WHERE Id = '{USER_ID}'"})  # noqa: S608
    assert answer.headers["Sforce-Limit-Info"] == "api-usage=101/15000"


def test_merged_records_are_deleted_into_the_delete_log_with_their_master():
    master, merged = LEADS[:2]
    org = scenario_org([a_lead(master), a_lead(merged)])
    body = merge_request([MergeRequest(sobject="Lead", master_id=master, merged_ids=(merged,))], session_id="x")
    session_of(org).post(SOAP, data=body, headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'})
    assert (row(org, merged)["IsDeleted"], row(org, merged)["MasterRecordId"]) == (True, master)
    end = datetime(2026, 11, 3, 11, tzinfo=UTC)
    deleted = session_of(org).get(
        f"{INSTANCE}/services/data/v66.0/sobjects/Lead/deleted/",
        params={"start": "2026-11-03T09:00:00Z", "end": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    # Deleted at the org's clock (ORG_TIME), as getDeleted reports it.
    assert deleted.json()["deletedRecords"] == [{"id": merged, "deletedDate": "2026-11-03T10:00:00.000+0000"}]
