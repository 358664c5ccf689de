"""The simulated org answers like Salesforce: the SOQL subset, paging, errors, deletes."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from sfbridge.ids import to_18
from sfbridge.sandbox.org import SimulatedOrg
from sfbridge.sandbox.soql import SoqlError, parse_soql
from sfbridge.wire import format_datetime

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FIELDS = {"Lead": ["Id", "LastName", "Company", "IsDeleted", "SystemModstamp", "CreatedDate"]}
DESCRIBE = {"name": "Lead", "replicateable": True, "fields": [{"name": n, "type": "string"} for n in FIELDS["Lead"]]}


def lead(n: int, **values):
    stamp = format_datetime(NOW - timedelta(minutes=100 - n))
    return {
        "Id": to_18(f"00Q5g0000{n:06d}"),
        "LastName": f"Name {n}",
        "Company": "Acme",
        "IsDeleted": False,
        "SystemModstamp": stamp,
        "CreatedDate": stamp,
        **values,
    }


@pytest.fixture
def org():
    sim = SimulatedOrg(
        org_id=to_18("00D5g0000000001"),
        user_id=to_18("0055g0000000001"),
        instance_url="https://sim.my.salesforce.com",
        api_version="66.0",
        describes={"Lead": DESCRIBE},
        records={"Lead": [lead(n) for n in range(1, 6)]},
        clock=lambda: NOW,
    )
    session = requests.Session()
    session.mount("https://", sim)
    return sim, session


def query(session, soql, **headers):
    return session.get("https://sim.my.salesforce.com/services/data/v66.0/query/", params={"q": soql}, headers=headers)


def test_parse_supports_in_lists_quoted_escapes_and_datetimes():
    """IN lists, escaped quotes and datetime literals parse as SOQL means them."""
    parsed = parse_soql(
        "SELECT Id FROM Lead WHERE LastName IN ('O\\'Brien', 'Doe') AND SystemModstamp >= 2026-11-02T08:00:00Z",
        known_fields=FIELDS.get,
    )
    assert parsed.conditions[0].value == frozenset({"O'Brien", "Doe"})
    assert parsed.conditions[1].value == datetime(2026, 11, 2, 8, tzinfo=UTC)
    assert parsed.matches({"LastName": "O'Brien", "SystemModstamp": "2026-11-02T08:30:00.000+0000"})
    assert not parsed.matches({"LastName": "Roe", "SystemModstamp": "2026-11-02T08:30:00.000+0000"})


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Leed", "INVALID_TYPE"),
        ("SELECT Id, Nope__c FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE LastName LIKE 'x%'", "MALFORMED_QUERY"),
        ("DELETE FROM Lead", "MALFORMED_QUERY"),
    ],
)
def test_parse_refuses_what_salesforce_refuses(soql, code):
    """Unknown objects and fields, and syntax outside the subset, are refused with Salesforce's code."""
    with pytest.raises(SoqlError) as caught:
        parse_soql(soql, known_fields=FIELDS.get)
    assert caught.value.code == code


def test_query_pages_follow_the_batch_size_and_next_records_url(org):
    """A batchSize hint pages the result; the last page has done and no nextRecordsUrl."""
    sim, session = org
    sim.page_sizes = [2, 1]
    first = query(
        session, "SELECT Id FROM Lead ORDER BY SystemModstamp, Id", **{"Sforce-Query-Options": "batchSize=200"}
    )
    body = first.json()
    assert (body["totalSize"], body["done"], len(body["records"])) == (5, False, 2)
    assert first.headers["Sforce-Limit-Info"].startswith("api-usage=")
    second = session.get("https://sim.my.salesforce.com" + body["nextRecordsUrl"]).json()
    third = session.get("https://sim.my.salesforce.com" + second["nextRecordsUrl"]).json()
    assert (len(second["records"]), third["done"], "nextRecordsUrl" in third) == (1, True, False)
    assert third["records"][0]["attributes"]["type"] == "Lead"


def test_deleted_records_leave_query_and_appear_in_get_deleted(org):
    """A delete hides the record from query, keeps it in queryAll, and lists it in Get Deleted."""
    sim, session = org
    gone = sim.records["Lead"][0]["Id"]
    sim.delete("Lead", gone)
    assert query(session, "SELECT COUNT() FROM Lead").json()["totalSize"] == 4
    every = session.get(
        "https://sim.my.salesforce.com/services/data/v66.0/queryAll/",
        params={"q": "SELECT Id FROM Lead WHERE IsDeleted = true"},
    ).json()
    assert [r["Id"] for r in every["records"]] == [gone]
    listed = session.get(
        "https://sim.my.salesforce.com/services/data/v66.0/sobjects/Lead/deleted/",
        params={"start": format_datetime(NOW - timedelta(hours=1)), "end": format_datetime(NOW + timedelta(hours=1))},
    ).json()
    assert [entry["id"] for entry in listed["deletedRecords"]] == [gone]


def test_a_bad_query_answers_a_rest_error_list(org):
    """Errors come back as Salesforce's JSON list with errorCode and message, status 400."""
    _sim, session = org
    response = query(session, "SELECT Id, Nope__c FROM Lead")
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope__c' on entity 'Lead'" in error["message"]
