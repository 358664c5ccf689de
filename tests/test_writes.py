"""An apply's REST calls: Collections updates and re-reads by Id (fixtures/http/writes/)."""

import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses

from recorded import cassette, replay
from sfbridge import soql
from sfbridge.errors import FatalSalesforceError, ProtocolError, RetriableSalesforceError
from sfbridge.ids import InvalidIdError, to_18
from sfbridge.salesforce.writes import (
    RecordUpdate,
    SaveError,
    SaveResult,
    collection_payload,
    parse_save_results,
    reread_queries,
)

URI_LIMIT = 16_384  # bytes; Salesforce answers longer request URIs with HTTP 414
COLLECTIONS = "/services/data/v66.0/composite/sobjects"


def lead(n):
    return to_18(f"00Q9P0000G{n:05d}")


def contact(n):
    return to_18(f"0039P0000H{n:05d}")


def soql_of(call):
    return parse_qs(urlsplit(call.request.url).query)["q"][0]


# -- building and reading Collections requests (pure) -----------------------------------


def test_collection_payload_sends_type_id_and_only_the_given_values_in_salesforce_formats():
    """Dates go as 2024-01-02 and datetimes as REST writes them (+0000); nothing else is added."""
    update = RecordUpdate(
        "Contact",
        contact(1)[:15],
        {"Birthdate": date(1984, 3, 9), "Last_Verified__c": datetime(2026, 11, 2, 9, 30, 5, 250000, tzinfo=UTC)},
    )
    assert collection_payload([update]) == {
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": "Contact"},
                "id": contact(1),
                "Birthdate": "1984-03-09",
                "Last_Verified__c": "2026-11-02T09:30:05.250+0000",
            }
        ],
    }


def test_record_update_refuses_values_salesforce_would_misread():
    """A naive datetime, a non-finite number, an unknown type or the envelope's keys are refused."""
    with pytest.raises(ValueError, match="time zone"):
        RecordUpdate("Lead", lead(1), {"Follow_Up__c": datetime(2026, 11, 2, 9, 30)})  # noqa: DTZ001
    with pytest.raises(ValueError, match="not a number"):
        RecordUpdate("Lead", lead(1), {"Score__c": float("nan")})
    with pytest.raises(TypeError, match="set"):
        RecordUpdate("Lead", lead(1), {"Tags__c": {"a"}})
    with pytest.raises(ValueError, match="'Id' is not a field"):
        RecordUpdate("Lead", lead(1), {"Id": lead(2)})
    with pytest.raises(ValueError, match="at least one field"):
        RecordUpdate("Lead", lead(1), {})
    with pytest.raises(ValueError, match="API name"):
        RecordUpdate("Lead", lead(1), {"Status = 'x'": "y"})


def test_record_update_refuses_an_id_of_another_object_naming_it():
    """A Contact Id in a Lead update is caught before anything is built."""
    with pytest.raises(InvalidIdError, match=contact(1)):
        RecordUpdate("Lead", contact(1), {"LeadSource": "Web"})


def test_collection_payload_refuses_batches_salesforce_would_reject():
    """Over 200 records, one record twice, or more than ten runs of one type are refused."""
    many = [RecordUpdate("Lead", lead(n), {"Rating": "Hot"}) for n in range(1, 202)]
    with pytest.raises(ValueError, match="at most 200"):
        collection_payload(many)
    assert len(collection_payload(many[:200])["records"]) == 200
    with pytest.raises(ValueError, match="listed twice"):
        collection_payload([many[0], RecordUpdate("Lead", lead(1)[:15], {"Status": "Working - Contacted"})])
    alternating = [
        RecordUpdate("Lead", lead(n), {"LeadSource": "Web"})
        if n % 2
        else RecordUpdate("Contact", contact(n), {"LeadSource": "Web"})
        for n in range(1, 12)
    ]
    with pytest.raises(ValueError, match="group the updates by object"):
        collection_payload(alternating)
    collection_payload(alternating[:10])  # ten runs is the most Salesforce takes


def test_parse_save_results_matches_by_position_with_or_without_an_id():
    """A failure without an id still gets its record's Id; an id naming another record is refused."""
    updates = [RecordUpdate("Lead", lead(n), {"Rating": "Hot"}) for n in (1, 2)]
    body = [
        {"id": lead(1), "success": True, "errors": []},
        {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain"}]},
    ]
    assert parse_save_results(body, updates) == [
        SaveResult(lead(1), success=True),
        SaveResult(lead(2), success=False, errors=(SaveError("UNABLE_TO_LOCK_ROW", "unable to obtain", ()),)),
    ]
    swapped = [{"id": lead(2), "success": True, "errors": []}, {"id": lead(1), "success": True, "errors": []}]
    with pytest.raises(ProtocolError, match="out of order"):
        parse_save_results(swapped, updates)
    with pytest.raises(ProtocolError, match="1 save results for 2 records"):
        parse_save_results(body[:1], updates)


def test_reread_queries_select_the_version_fields_once_and_ask_each_id_once():
    """Id, IsDeleted and SystemModstamp lead the SELECT without duplicates; a repeated Id is asked once."""
    (query,) = reread_queries("Lead", [lead(1), lead(1)[:15], lead(2)], ["status", "SystemModstamp", "LeadSource"])
    select, _, ids = query.partition(" WHERE Id IN ")
    assert select == "SELECT Id, IsDeleted, SystemModstamp, status, LeadSource FROM Lead"
    assert ids == f"('{lead(1)}', '{lead(2)}')"


# -- update_records against recorded traffic ------------------------------------------------


def test_update_records_reports_each_record_and_sends_only_the_given_values(gateway_factory):
    """One request for four records: a converted Lead and a validation rule fail, the other two save."""
    updates = [
        RecordUpdate("Lead", lead(1), {"LeadSource": "Web"}),
        RecordUpdate("Lead", lead(2), {"LeadSource": "Web"}),
        RecordUpdate("Lead", lead(3), {"LeadSource": "Partner Referral"}),
        RecordUpdate("Contact", contact(1), {"LeadSource": "Trade Show"}),
    ]
    with replay("writes/update_partial_failure") as calls:
        results = gateway_factory().update_records(updates)

    (patch,) = [call for call in calls if call.request.method == "PATCH"]
    assert urlsplit(patch.request.url).path == COLLECTIONS
    sent = json.loads(patch.request.body)
    assert sent["allOrNone"] is False
    assert [record["attributes"] for record in sent["records"]] == [{"type": "Lead"}] * 3 + [{"type": "Contact"}]
    assert sent["records"][0] == {"attributes": {"type": "Lead"}, "id": lead(1), "LeadSource": "Web"}
    assert sent["records"][3] == {"attributes": {"type": "Contact"}, "id": contact(1), "LeadSource": "Trade Show"}

    assert [(result.record_id, result.success) for result in results] == [
        (lead(1), True),
        (lead(2), False),
        (lead(3), False),
        (contact(1), True),
    ]
    assert results[1].errors == (SaveError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", ()),)
    assert results[2].errors[0].status_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert results[2].errors[0].fields == ("LeadSource",)


def test_update_records_refuses_results_that_do_not_match_the_records(gateway_factory):
    """One result for two records cannot be matched, so none is trusted."""
    updates = [RecordUpdate("Lead", lead(n), {"Rating": "Hot"}) for n in (1, 2)]
    with replay("writes/update_result_count_mismatch"), pytest.raises(ProtocolError, match="1 save results for 2"):
        gateway_factory().update_records(updates)


def test_update_records_refuses_more_than_200_before_sending_anything(gateway_factory):
    """Callers batch; 201 updates fail fast without logging in or spending an API call."""
    updates = [RecordUpdate("Lead", lead(n), {"Rating": "Hot"}) for n in range(1, 202)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        with pytest.raises(ValueError, match="201 records"):
            gateway_factory().update_records(updates)
        assert len(mock.calls) == 0


def test_update_records_retries_a_transient_failure_because_setting_values_is_idempotent(gateway_factory, sleeps):
    """A 503 on the PATCH is retried once and the same body is sent again."""
    updates = [RecordUpdate("Lead", lead(n), {"Status": "Working - Contacted"}) for n in (1, 2)]
    with replay("writes/update_retry_503") as calls:
        results = gateway_factory().update_records(updates)
    patches = [call.request.body for call in calls if call.request.method == "PATCH"]
    assert len(patches) == 2
    assert patches[0] == patches[1]
    assert len(sleeps) == 1
    assert all(result.success for result in results)


def test_update_records_translates_a_malformed_request_into_a_fatal_rest_error(gateway_factory):
    """A field Lead lacks fails the whole request with 400 INVALID_FIELD, once, not retried."""
    updates = [RecordUpdate("Lead", lead(n), {"Preferred_Language__c": "de"}) for n in (1, 2)]
    with replay("writes/update_unknown_field") as calls, pytest.raises(FatalSalesforceError) as caught:
        gateway_factory().update_records(updates)
    assert not isinstance(caught.value, RetriableSalesforceError)
    assert (caught.value.status, caught.value.error_code, caught.value.sobject) == (400, "INVALID_FIELD", "Lead")
    assert "Preferred_Language__c" in str(caught.value)
    assert sum(call.request.method == "PATCH" for call in calls) == 1


# -- fetch_records against recorded traffic -------------------------------------------------

FIELDS = ("Status", "IsConverted", "LeadSource", "OwnerId")


def test_fetch_records_splits_ids_so_every_query_url_fits_and_keeps_deleted_records(gateway_factory):
    """600 Ids take two queryAll calls under the URI limit; a recycled Lead comes back, a purged one is absent."""
    ids = [lead(n) for n in range(1, 601)]
    with replay("writes/reread_two_queries") as calls:
        records = gateway_factory().fetch_records("Lead", ids, FIELDS)

    queries = [call for call in calls if "/queryAll/" in call.request.url]
    assert len(queries) == 2
    assert all(len(call.request.url) <= URI_LIMIT for call in queries)
    single = soql.select(["Id", "IsDeleted", "SystemModstamp", *FIELDS], "Lead", where=[soql.id_in(ids)])
    assert len(queries[0].request.url.split("?")[0] + "?" + urlencode({"q": single})) > URI_LIMIT  # one would not do
    asked = [soql_of(call) for call in queries]
    assert all(text.startswith("SELECT Id, IsDeleted, SystemModstamp, Status,") for text in asked)
    assert sum(text.count("'00Q") for text in asked) == 600

    assert len(records) == 599
    assert lead(7) not in records  # purged from the Recycle Bin: Salesforce no longer has it
    assert records[lead(515)]["IsDeleted"] is True
    assert records[lead(1)] == {
        "Id": lead(1),
        "IsDeleted": False,
        "SystemModstamp": "2026-10-03T09:01:00.000+0000",
        "Status": "Open - Not Contacted",
        "IsConverted": False,
        "LeadSource": "Web",
        "OwnerId": "0059P0000Am3kw2QQA",
    }
    assert not any("attributes" in record for record in records.values())


def test_fetch_records_follows_next_records_url(gateway_factory):
    """An answer in two pages is read to the end, the second from its nextRecordsUrl."""
    with replay("writes/reread_paged") as calls:
        records = gateway_factory().fetch_records("Lead", [lead(1), lead(2), lead(3)], FIELDS)
    assert sorted(records) == [lead(1), lead(2), lead(3)]
    next_page = cassette("writes/reread_paged").interactions[1].body
    assert json.loads(next_page)["nextRecordsUrl"] == urlsplit(calls[-1].request.url).path


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (lead(2)[:15] + "AAA", "wrong case-safe suffix"),
        (contact(1), "is not a Lead Id"),
        ("00Q9P0000G') OR Id != ('", "is not a Salesforce Id"),
    ],
)
def test_fetch_records_refuses_an_invalid_id_before_any_http(gateway_factory, bad, reason):
    """A bad Id is named in the error and nothing is sent, not even the login."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        with pytest.raises(InvalidIdError, match=reason) as caught:
            gateway_factory().fetch_records("Lead", [lead(1), bad], FIELDS)
        assert len(mock.calls) == 0
    assert repr(bad) in str(caught.value)
