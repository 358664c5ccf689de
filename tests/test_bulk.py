"""Bulk API 2.0 query jobs: the job lifecycle, result pages, resuming, and CSV rows (fixtures/http/bulk/)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from conftest import INSTANCE, SECRETS, make_profile
from recorded import FIXTURES, cassette, replay
from sfbridge.errors import FatalSalesforceError, ProtocolError, RetriableSalesforceError
from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
from sfbridge.pull.decode import PageDecoder
from sfbridge.pull.records import RowConverter, canonical_datetime
from sfbridge.salesforce import connect
from sfbridge.salesforce.bulk import (
    BulkJob,
    BulkJobError,
    BulkJobTimeoutError,
    JobState,
    parse_job,
    query_job_request,
    wait_for_completion,
)
from sfbridge.salesforce.bulk_csv import CsvRowConverter, bulk_fields, bulk_soql, canonical_bulk_datetime
from sfbridge.salesforce.bulk_pages import BulkDownload, ResultPage, fetch_result_page
from sfbridge.salesforce.replay import ReplayAdapter
from sfbridge.schema import ObjectSpec, object_schema, spec_for

JOB = "7509P00000Bk2xQQAR"
JOB_FAILED = "7509P00000Bk2yZQAR"
JOBS = f"{INSTANCE}/services/data/v66.0/jobs/query"
FIELDS = (
    "FirstName",
    "LastName",
    "Company",
    "Street",
    "City",
    "Country",
    "Latitude",
    "Email",
    "Description",
    "LeadSource",
    "Status",
    "AnnualRevenue",
    "NumberOfEmployees",
    "IsConverted",
    "ConvertedDate",
    "CreatedDate",
    "Lead_Score__c",
)
LEADS = [f"00Q9P0000H0000{n}UQA" for n in range(1, 6)]


def lead_describe():
    return json.loads((FIXTURES / "demo-org" / "describe" / "Lead.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schema():
    """Lead with the fields the cassettes select (Id, IsDeleted and SystemModstamp come with any spec)."""
    return object_schema(lead_describe(), ObjectSpec("Lead", fields=FIELDS))


def params_of(call):
    return {name: values[0] for name, values in parse_qs(urlsplit(call.request.url).query).items()}


def read_all(gateway, schema, job_id, **kwargs):
    """Read every page as the pull would: convert each page's rows before asking for the next."""
    converter = CsvRowConverter(schema)
    pages, rows = [], []
    for page in gateway.job_result_pages(job_id, **kwargs):
        pages.append((page.locator, page.next_locator, page.number_of_records))
        rows.extend(row for batch in converter.page_batches(page) for row in batch)
    return pages, rows


# -- the job lifecycle (recorded exchanges) ----------------------------------------------


def test_bulk_job_goes_from_upload_complete_to_job_complete_then_streams_three_pages(gateway_factory, sleeps, schema):
    """Create, poll with doubling pauses, then follow the locators Mg, NA and stop at the literal "null"."""
    gateway = gateway_factory()
    with replay("bulk/lifecycle_three_pages") as calls:
        job = gateway.create_query_job(bulk_soql(schema))
        assert (job.id, job.state, job.sobject) == (JOB, JobState.UPLOAD_COMPLETE, "Lead")
        done = gateway.wait_for_job(job.id, timeout=600)
        pages, rows = read_all(gateway, schema, job.id, max_records=2)
    assert done.complete
    assert done.number_records_processed == 5
    assert done.api_version == "66.0"
    assert sleeps == [1.0, 2.0]  # two looks at InProgress, each pause twice the last
    assert pages == [(None, "Mg", 2), ("Mg", "NA", 2), ("NA", None, 1)]
    assert [row[0] for row in rows] == LEADS
    sent = json.loads(calls[1].request.body)
    assert sent == {
        "operation": "query",
        "query": bulk_soql(schema),
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    }
    assert [params_of(call) for call in calls[5:]] == [
        {"maxRecords": "2"},
        {"maxRecords": "2", "locator": "Mg"},
        {"maxRecords": "2", "locator": "NA"},
    ]
    assert calls[5].request.headers["Accept"] == "text/csv"


def test_wait_for_job_names_a_failed_job_and_gives_salesforces_reason(gateway_factory):
    """A Failed job is an error carrying the job Id (to look it up) and the job's errorMessage."""
    gateway = gateway_factory()
    with replay("bulk/job_failed"):
        job = gateway.create_query_job("SELECT Id, Address FROM Lead")
        with pytest.raises(BulkJobError) as failed:
            gateway.wait_for_job(job.id, timeout=600)
    assert isinstance(failed.value, FatalSalesforceError)
    assert failed.value.job_id == JOB_FAILED
    assert failed.value.state == "Failed"
    assert JOB_FAILED in str(failed.value)
    assert "Selecting compound data not supported in Bulk Query" in str(failed.value)


def test_wait_for_job_refuses_a_job_aborted_while_it_waits(gateway_factory):
    """An Aborted job will never complete: the wait ends with an error naming it."""
    with replay("bulk/job_aborted"), pytest.raises(BulkJobError, match=f"{JOB} .*aborted") as aborted:
        gateway_factory().wait_for_job(JOB, timeout=600)
    assert aborted.value.state == "Aborted"


def test_abort_job_sets_the_state_to_aborted(gateway_factory):
    """Aborting is a PATCH of the job's state; Salesforce answers with the JobInfo."""
    with replay("bulk/abort") as calls:
        job = gateway_factory().abort_job(JOB)
    assert job.state == JobState.ABORTED
    assert calls[1].request.method == "PATCH"
    assert json.loads(calls[1].request.body) == {"state": "Aborted"}


def test_results_asked_for_too_early_are_a_clear_job_not_complete_error(gateway_factory):
    """HTTP 412 JOB_NOT_COMPLETE names the job and says to wait; it is not retried."""
    with replay("bulk/results_not_complete") as calls, pytest.raises(BulkJobError, match="not complete") as early:
        list(gateway_factory().job_result_pages(JOB, max_records=2))
    assert (early.value.error_code, early.value.status, early.value.job_id) == ("JOB_NOT_COMPLETE", 412, JOB)
    assert JOB in str(early.value)
    assert len(calls) == 2  # the token, then one results call


def test_create_query_job_is_not_sent_again_once_it_may_have_reached_salesforce(gateway_factory, sleeps):
    """A retried POST could start a second job, so a 503 after sending is raised, not retried."""
    with replay("bulk/create_503") as calls, pytest.raises(RetriableSalesforceError):
        gateway_factory().create_query_job("SELECT Id FROM Lead")
    assert [call.request.method for call in calls] == ["POST", "POST"]  # the token, one create
    assert sleeps == []


def test_a_failed_page_is_fetched_again_by_its_locator(gateway_factory, sleeps, schema):
    """GETs are idempotent and locators stable: a 503 on page 2 is retried, and nothing is lost."""
    with replay("bulk/page_retry_503") as calls:
        pages, rows = read_all(gateway_factory(), schema, JOB, max_records=2)
    assert [row[0] for row in rows] == LEADS
    assert [params_of(call).get("locator") for call in calls[1:]] == [None, "Mg", "Mg", "NA"]
    assert len(sleeps) == 1
    assert pages[-1] == ("NA", None, 1)


# -- resuming an interrupted download ------------------------------------------------------


def test_an_interrupted_download_resumes_from_the_saved_locator_and_fetches_only_the_rest(gateway_factory, schema):
    """Pages 1-2 are committed with their state; the next run starts at locator NA and ends complete."""
    converter = CsvRowConverter(schema)
    store: dict[str, tuple] = {}
    saved = json.dumps(BulkDownload(JOB).to_json())

    def commit(page):
        nonlocal saved
        for batch in converter.page_batches(page):
            store.update({row[0]: row for row in batch})
        saved = json.dumps(BulkDownload.from_json(json.loads(saved)).after(page).to_json())

    def download(job_id, locator):
        for page in gateway_factory().job_result_pages(job_id, locator=locator, max_records=2):
            commit(page)

    with replay("bulk/interrupted_first"), pytest.raises(RetriableSalesforceError):
        download(JOB, None)
    state = BulkDownload.from_json(json.loads(saved))
    assert (state.next_locator, state.pages_done, state.records_done, state.complete) == ("NA", 2, 4, False)
    assert sorted(store) == LEADS[:4]

    with replay("bulk/interrupted_resume") as calls:
        download(state.job_id, state.next_locator)
    state = BulkDownload.from_json(json.loads(saved))
    assert [params_of(call) for call in calls[1:]] == [{"locator": "NA", "maxRecords": "2"}]
    assert (state.complete, state.pages_done, state.records_done) == (True, 3, 5)
    assert sorted(store) == LEADS
    state.verify(BulkJob(id=JOB, state="JobComplete", operation="query", number_records_processed=5))


def test_download_state_refuses_a_page_out_of_order_and_a_short_total():
    """A page that does not follow the saved locator, or pages short of the job's count, are refused."""
    page = ResultPage(JOB, locator="NA", next_locator=None, number_of_records=1, body=None)
    with pytest.raises(ValueError, match="does not follow"):
        BulkDownload(JOB, next_locator="Mg").after(page)
    finished = BulkDownload(JOB, next_locator="NA", pages_done=2, records_done=4).after(page)
    with pytest.raises(ProtocolError, match="found 6 records, but its pages held 5"):
        finished.verify(BulkJob(id=JOB, state="JobComplete", operation="query", number_records_processed=6))
    with pytest.raises(ValueError, match="saved Bulk API download state"):
        BulkDownload.from_json({"next_locator": "NA"})


# -- CSV into typed rows --------------------------------------------------------------------


def test_csv_with_newlines_quotes_non_latin_names_and_empty_cells_becomes_typed_rows(gateway_factory, schema):
    """Quoted newlines (LF and CRLF), doubled quotes and commas survive; empty cells are None; 0 stays 0."""
    with replay("bulk/one_page"):
        _pages, rows = read_all(gateway_factory(), schema, JOB)
    by_id = {row[0]: dict(zip(CsvRowConverter(schema).columns, row, strict=True)) for row in rows}
    zoe, yamada, ivanov, mohammed, obrien = (by_id[i] for i in LEADS)
    assert (zoe["FirstName"], zoe["LastName"]) == ("Zoë", "Ødegaard")
    assert zoe["Street"] == "Storgata 1\nOppgang B"
    assert zoe["Company"] == "Fjord, Bakeri & Co"
    assert zoe["Description"] == 'Said "call me in May", then went quiet'
    assert (zoe["AnnualRevenue"], zoe["NumberOfEmployees"], zoe["Lead_Score__c"]) == (1500000.0, 12, 72.5)
    assert zoe["CreatedDate"] == "2026-10-01 08:15:00.000000"
    assert (zoe["IsConverted"], zoe["IsDeleted"]) == (False, False)
    assert yamada["Description"] == "初回連絡済み。\r\n次回: 11月"
    assert (yamada["Street"], yamada["Email"], yamada["AnnualRevenue"], yamada["Lead_Score__c"]) == (None,) * 4
    assert ivanov["Company"] == 'ООО "Ромашка"'  # noqa: RUF001 (Cyrillic on purpose)
    assert (ivanov["AnnualRevenue"], ivanov["NumberOfEmployees"], ivanov["Lead_Score__c"]) == (0.0, 0, 0.0)
    assert (ivanov["IsConverted"], ivanov["ConvertedDate"]) == (True, "2026-10-20")
    assert (mohammed["FirstName"], mohammed["LastName"], mohammed["LeadSource"]) == ("محمد", "عبد الله", None)
    assert obrien["FirstName"] is None
    assert obrien["Description"] == 'Line one\n\nLine three, with "quotes", commas, and a trailing space '


def test_bulk_rows_equal_the_rows_a_rest_query_gives_for_the_same_records(gateway_factory, schema):
    """The store gets identical rows whether a page came from REST JSON or from Bulk CSV."""
    gateway = gateway_factory()
    with replay("bulk/rest_and_bulk_same_records"):
        body = gateway.query_raw(bulk_soql(schema), sobject="Lead")
        _pages, bulk_rows = read_all(gateway, schema, JOB)
    decoded = PageDecoder(schema).decode(body, what="query Lead").page
    # The fast decoder leaves out columns null on every row of the page; put them back as None.
    fast = [
        tuple(dict(zip(decoded.columns, row, strict=True)).get(name) for name in schema.field_names)
        for row in decoded.rows
    ]
    slow = RowConverter(schema).page(json.loads(body)["records"]).rows
    assert CsvRowConverter(schema).columns == schema.field_names
    assert bulk_rows == fast == slow


def test_csv_columns_are_found_by_header_name_not_position(schema):
    """Columns may come in another order (alphabetical before API 50.0), or with extras; rows follow the schema."""
    columns = CsvRowConverter(schema).columns
    header = [*sorted(columns, reverse=True), "Owner.Name"]
    values = {"Id": LEADS[0], "LastName": "Ødegaard", "IsConverted": "true", "NumberOfEmployees": "7"}
    line = ",".join(f'"{values.get(name, "")}"' for name in header)
    body = (",".join(f'"{name.lower()}"' for name in header) + "\n" + line + "\n").encode()
    [[row]] = list(CsvRowConverter(schema).batches(body))
    record = dict(zip(columns, row, strict=True))
    assert (record["Id"], record["LastName"], record["IsConverted"], record["NumberOfEmployees"]) == (
        LEADS[0],
        "Ødegaard",
        True,
        7,
    )
    assert record["Email"] is None


def test_csv_values_that_contradict_describe_are_refused_naming_record_and_field(schema):
    """A boolean that is not true/false, or a fractional int, names the record and the field."""
    converter = CsvRowConverter(schema)
    good = {"Id": LEADS[2], "IsConverted": "false", "NumberOfEmployees": "3"}

    def body(**changes):
        values = {**good, **changes}
        header = ",".join(converter.columns)
        return f"{header}\n" + ",".join(values.get(name, "") for name in converter.columns) + "\n"

    assert list(converter.batches(body(NumberOfEmployees="3.0").encode())) != []
    with pytest.raises(ProtocolError, match=f"record {LEADS[2]} has a IsConverted value that is not a valid boolean"):
        list(converter.batches(body(IsConverted="yes").encode()))
    with pytest.raises(ProtocolError, match="NumberOfEmployees value that is not a valid integer"):
        list(converter.batches(body(NumberOfEmployees="2.5").encode()))


def test_csv_that_is_cut_short_or_lacks_a_column_is_refused(schema):
    """A page holding fewer records than announced, an unclosed quote or a missing column is an error."""
    converter = CsvRowConverter(schema)
    header = ",".join(converter.columns)
    row = ",".join([LEADS[0], *[""] * (len(converter.columns) - 1)])
    with pytest.raises(ProtocolError, match="announced 2 records and held 1"):
        list(converter.batches(f"{header}\n{row}\n".encode(), expected=2))
    with pytest.raises(ProtocolError, match="not readable CSV"):
        list(converter.batches(f'{header}\n{row[:-1]},"unclosed'.encode()))
    with pytest.raises(ProtocolError, match="no column for Email"):
        list(converter.batches(header.replace(",Email", "").encode()))
    assert list(converter.batches(b"", expected=0)) == []


def test_bulk_datetimes_become_the_same_canonical_text_as_rest_datetimes():
    """Bulk's Z form and REST's +0000 form of one moment are stored identically."""
    for bulk, rest in [
        ("2018-12-07T19:58:09.000Z", "2018-12-07T19:58:09.000+0000"),
        ("2018-12-07T19:58:09Z", "2018-12-07T19:58:09.000+0000"),
        ("2018-12-07T21:58:09.250+02:00", "2018-12-07T19:58:09.250+0000"),
    ]:
        assert canonical_bulk_datetime(bulk) == canonical_datetime(rest)


# -- building the query ---------------------------------------------------------------------


def test_bulk_select_leaves_out_compound_fields_and_keeps_their_parts():
    """Address and location fields would fail the job; Street, City and Latitude are selected instead."""
    full = object_schema(lead_describe(), spec_for("Lead"))
    with_compound = ObjectSchema(
        sobject="Lead",
        fields=(
            *full.fields,
            FieldInfo(name="Address", sf_type="address", kind=ColumnKind.TEXT),
            FieldInfo(name="Location__c", sf_type="location", kind=ColumnKind.TEXT, custom=True),
        ),
        replicateable=True,
        cursor="SystemModstamp",
    )
    selected = bulk_fields(with_compound)
    assert "Address" not in selected
    assert "Location__c" not in selected
    assert {"Street", "City", "Latitude", "Longitude"} <= set(selected)
    assert selected == full.field_names
    assert CsvRowConverter(with_compound).columns == selected
    soql = bulk_soql(with_compound, where=["IsConverted = false"])
    assert soql.startswith("SELECT Id, IsDeleted, ")
    assert "Address" not in soql.split(" FROM ")[0].split(", ")
    assert "ORDER BY" not in soql


def test_query_all_is_asked_for_when_deleted_records_are_wanted():
    """include_deleted picks queryAll (deleted and merged rows come with IsDeleted true)."""
    assert query_job_request("SELECT Id FROM Lead", include_deleted=True)["operation"] == "queryAll"
    assert query_job_request("SELECT Id FROM Lead", include_deleted=False)["operation"] == "query"


# -- pure edges: polling, headers, arguments --------------------------------------------------


def test_polling_backs_off_exponentially_up_to_a_cap_and_times_out_naming_the_job():
    """Pauses double up to max_delay; past the timeout the error names the job and its state."""
    now, pauses = [0.0], []

    def sleep(seconds):
        pauses.append(seconds)
        now[0] += seconds

    def running():
        return BulkJob(id=JOB, state="InProgress", operation="query", sobject="Lead")

    with pytest.raises(BulkJobTimeoutError, match=f"{JOB} \\(Lead\\) is still InProgress after 40 s") as late:
        wait_for_completion(running, job_id=JOB, timeout=40, sleep=sleep, clock=lambda: now[0], max_delay=8)
    assert pauses == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0, 1.0]
    assert late.value.job_id == JOB


@responses.activate
def test_a_results_page_without_its_paging_headers_is_refused():
    """A missing Sforce-Locator would end the download silently; a proxy's HTML page is named as such."""
    url = f"{JOBS}/{JOB}/results"
    responses.add(responses.GET, url, body='"Id"\n', headers={"Sforce-NumberOfRecords": "0"})
    responses.add(
        responses.GET, url, body="<html>blocked</html>", content_type="text/html", headers={"Sforce-Locator": "null"}
    )
    session = requests.Session()
    for expected in ("no Sforce-Locator header", "HTML page"):
        with pytest.raises(ProtocolError, match=expected):
            fetch_result_page(session, url, headers={}, job_id=JOB, locator=None, max_records=None)


def test_job_info_is_read_and_refused_when_it_is_not_one_sfbridge_can_use():
    """JobInfo's number apiVersion keeps the profile's spelling; a foreign body or delimiter is refused."""
    info = {"id": JOB, "state": "JobComplete", "operation": "queryAll", "apiVersion": 59, "numberRecordsProcessed": 3}
    job = parse_job(info, what="read job")
    assert (job.api_version, job.number_records_processed, job.operation, job.complete) == ("59.0", 3, "queryAll", True)
    with pytest.raises(ProtocolError, match="not a job description"):
        parse_job([{"errorCode": "NOT_FOUND"}], what="read job")
    with pytest.raises(ProtocolError, match="CARET-separated"):
        parse_job({**info, "columnDelimiter": "CARET"}, what="read job")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # Bodies assumed in the REST error shape; the status is what the docs name.
        (404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], "is gone"),
        (409, [{"errorCode": "API_ERROR", "message": "version mismatch"}], "was created with another API version"),
    ],
)
@responses.activate
def test_results_of_a_job_that_is_gone_or_from_another_api_version_say_what_to_do(status, body, expected):
    """A resume after the job expired, or with another api_version, gets an error naming the job and the fix."""
    url = f"{JOBS}/{JOB}/results"
    responses.add(responses.GET, url, json=body, status=status)
    with pytest.raises(BulkJobError, match=f"{JOB} {expected}") as refused:
        fetch_result_page(requests.Session(), url, headers={}, job_id=JOB, locator="NA", max_records=None)
    assert refused.value.status == status


def test_a_repeated_id_within_a_batch_keeps_the_last_copy(schema):
    """As on REST pages, two rows with one Id collapse to the later one (the store upserts by Id)."""
    converter = CsvRowConverter(schema)
    header = ",".join(converter.columns)
    last = converter.columns.index("LastName")

    def line(name):
        return ",".join(LEADS[0] if i == 0 else (name if i == last else "") for i in range(len(converter.columns)))

    [rows] = list(converter.batches(f"{header}\n{line('First')}\n{line('Second')}\n".encode()))
    assert [(row[0], row[last]) for row in rows] == [(LEADS[0], "Second")]


def test_bulk_calls_refuse_malformed_arguments_before_sending_anything(gateway_factory):
    """A job Id that could rewrite the URL, or a page size below 1, is refused up front."""
    gateway = gateway_factory()
    with pytest.raises(ValueError, match="not a Bulk API job Id"):
        gateway.query_job("../limits")
    with pytest.raises(ValueError, match="max_records"):
        gateway.job_result_pages(JOB, max_records=0)


def test_result_pages_stream_through_the_demo_replay_transport(schema):
    """The replay transport `sfbridge demo` uses hands over whole bodies; pages still arrive intact."""
    adapter = ReplayAdapter(cassette("bulk/one_page").interactions)
    gateway = connect(make_profile(), SECRETS, transport=adapter)
    pages, rows = read_all(gateway, schema, JOB)
    assert pages == [(None, None, 5)]
    assert [row[0] for row in rows] == LEADS
    assert adapter.unused() == []
