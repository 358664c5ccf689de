"""The one door to Salesforce: logins, REST calls, retries, re-authentication, the API budget.

Every call goes through
:meth:`SalesforceGateway._call`, which refuses to spend the org's reserved API allowance,
retries transient failures with back-off (idempotent calls only), renews an expired session
once, and translates every failure into sfbridge's exception tree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson
import requests
import structlog

from sfbridge.config import AuthMethod, OrgProfile, env_name
from sfbridge.credentials import Secrets
from sfbridge.errors import (
    ApiBudgetError,
    AuthenticationError,
    ConfigError,
    FatalSalesforceError,
    ProtocolError,
    SalesforceError,
)
from sfbridge.ids import InvalidIdError, validate_id
from sfbridge.salesforce.auth import Token, fetch_token
from sfbridge.salesforce.bulk import BulkJob, check_job_id, parse_job, query_job_request, wait_for_completion
from sfbridge.salesforce.bulk_pages import ResultPage, fetch_result_page
from sfbridge.salesforce.client import Client, LibraryError
from sfbridge.salesforce.convert import (
    MAX_CONVERTS,
    LeadConvert,
    LeadConvertResult,
    convert_request,
    parse_convert_response,
)
from sfbridge.salesforce.merge import (
    MAX_MERGE_REQUESTS,
    MAX_UNDELETES,
    MergeRequest,
    MergeResult,
    UndeleteResult,
    merge_request,
    parse_merge_response,
    parse_undelete_response,
    undelete_request,
)
from sfbridge.salesforce.retry import make_retrying
from sfbridge.salesforce.session import TimeoutSession
from sfbridge.salesforce.soap import soap_api_usage, soap_fault
from sfbridge.salesforce.translate import (
    INVALID_SESSION,
    protocol_error,
    rest_error,
    transport_error,
    unserved_version_error,
)
from sfbridge.salesforce.writes import (
    RecordUpdate,
    SaveResult,
    collection_payload,
    index_records,
    parse_save_results,
    reread_queries,
)
from sfbridge.wire import format_datetime

__all__ = ["Identity", "SalesforceGateway"]


log = structlog.get_logger()
T = TypeVar("T")

# How REST answers a version it does not serve: 404 NOT_FOUND for one it never had (or not
# yet), 410 GONE for a retired one.
_VERSION_MISSING = frozenset({404, 410})


@dataclass(frozen=True)
class Identity:
    """Who we are logged in as, from the identity URL Salesforce lists for the session."""

    org_id: str
    user_id: str


class SalesforceGateway:
    """A logged-in connection to one org. Create it with :func:`sfbridge.salesforce.connect`."""

    def __init__(
        self,
        profile: OrgProfile,
        secrets: Secrets,
        *,
        session: TimeoutSession,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Keep what logging in and calling need; nothing is sent until the first call.

        Args:
            profile: the org profile.
            secrets: its credentials.
            session: the HTTP session (timeouts, usage tracking, maybe a replay transport).
            sleep: how retries wait (tests pass a no-op).
        """
        self.profile = profile
        self._secrets = secrets
        self._session = session
        self._sleep = sleep
        self._token: Token | None = None
        self._client: Client | None = None
        self._warned_no_date = False
        self._identity: Identity | None = None
        self.usage = session.usage

    # -- public calls -------------------------------------------------------------------

    @property
    def instance_url(self) -> str:
        """The org's instance URL (logs in first if needed)."""
        return self._require_token().instance_url

    @property
    def api_version(self) -> str:
        """The REST API version in use, e.g. ``66.0``."""
        return self.profile.api_version

    def server_time(self, *, learn: bool = True) -> datetime:
        """Salesforce's current time, to the second, from the ``Date`` header of its last answer.

        Windows and bookmarks are taken from this, never from the local clock (see
        :mod:`sfbridge.salesforce.server_clock`). Before the first answer, one cheap call is
        made to learn it (unless ``learn`` is False: on the way out of a failure). An answer
        without ``Date`` (a proxy that strips it) leaves only the local clock, which is used
        with a warning.
        """
        now = self._session.server_clock.now()
        if now is None and learn:
            self._call("list resources", lambda sf: sf.restful(""))
            now = self._session.server_clock.now()
        if now is None:
            if not self._warned_no_date:
                log.warning("server_time_unknown", reason="Salesforce's answers carry no Date header")
                self._warned_no_date = True
            now = datetime.now(UTC).replace(microsecond=0)
        return now

    def identity(self) -> Identity:
        """Return the org and user Ids of this session (``GET /services/data/vXX.X/``, asked once).

        The first versioned call a command makes (the CLI logs in with it before touching the
        store), so an ``api_version`` the org does not serve shows here, as a 404.

        Raises:
            ConfigError: when the org does not serve the configured ``api_version``.
        """
        if self._identity is None:
            self._identity = self._read_identity()
        return self._identity

    def _read_identity(self) -> Identity:
        try:
            resources = self._call("list resources", lambda sf: sf.restful(""))
        except FatalSalesforceError as exc:
            if exc.status not in _VERSION_MISSING:
                raise
            unserved = self._unserved_version()
            if unserved is None:
                raise
            raise unserved from exc
        url = resources.get("identity", "") if isinstance(resources, Mapping) else ""
        parts = urlsplit(str(url)).path.rstrip("/").split("/")
        try:
            return Identity(
                org_id=validate_id(parts[-2], sobject="Organization"),
                user_id=validate_id(parts[-1], sobject="User"),
            )
        except (IndexError, InvalidIdError) as exc:
            msg = "Salesforce listed no usable identity URL for this session"
            raise ProtocolError(msg) from exc

    def api_versions(self) -> list[dict[str, str]]:
        """List the API versions the org serves (``GET /services/data/``)."""

        def fetch(sf: Client) -> Any:  # noqa: ANN401 (parsed JSON)
            response = sf.session.get(f"https://{sf.sf_instance}/services/data/", headers=sf.headers)
            if response.status_code >= 300:  # noqa: PLR2004
                raise rest_error(response.status_code, _body(response), response.headers)
            return response.json()

        versions = self._call("list API versions", fetch)
        return versions if isinstance(versions, list) else []

    def _unserved_version(self) -> ConfigError | None:
        # The version list is unversioned, so it answers whatever api_version says.
        try:
            versions = self.api_versions()
        except SalesforceError:
            return None
        return unserved_version_error(self.profile.name, self.api_version, versions)

    def sobject_names(self) -> list[str]:
        """List the objects the org offers this user (global describe, ``GET /sobjects``)."""
        body = _expect_mapping(
            self._call("list objects", lambda sf: sf.restful("sobjects")), "list objects", keys=("sobjects",)
        )
        entries = body["sobjects"] if isinstance(body["sobjects"], list) else []
        return [str(entry["name"]) for entry in entries if isinstance(entry, Mapping) and entry.get("name")]

    def limits(self) -> dict[str, Any]:
        """Return the org's limits (``GET /limits/``)."""
        return _expect_mapping(self._call("read limits", lambda sf: sf.limits()), "read limits")

    def describe(self, sobject: str) -> dict[str, Any]:
        """Describe one object: its fields, types and flags."""
        body = self._call(
            f"describe {sobject}",
            lambda sf: sf.restful(f"sobjects/{sobject}/describe/"),
            sobject=sobject,
        )
        return _expect_mapping(body, f"describe {sobject}", keys=("name", "fields"))

    def query(
        self,
        soql: str,
        *,
        sobject: str,
        include_deleted: bool = False,
        batch_size: int | None = None,
    ) -> dict[str, Any]:
        """Run a SOQL query and return its first page, parsed (``query`` or ``queryAll``)."""
        body = self.query_raw(soql, sobject=sobject, include_deleted=include_deleted, batch_size=batch_size)
        return _page(body, f"query {sobject}")

    def query_more(self, next_records_url: str, *, sobject: str) -> dict[str, Any]:
        """Fetch and parse the next page of a query from its ``nextRecordsUrl``."""
        return _page(self.query_more_raw(next_records_url, sobject=sobject), f"query {sobject}")

    def query_raw(
        self,
        soql: str,
        *,
        sobject: str,
        include_deleted: bool = False,
        batch_size: int | None = None,
    ) -> bytes:
        """Run a SOQL query and return its first page's body as bytes.

        ``batch_size`` asks for pages of that many records (200-2,000); Salesforce treats it
        as a hint and may send fewer.
        """
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        return self._call(
            f"query {sobject}",
            lambda sf: sf.query_raw(soql, include_deleted=include_deleted, headers=headers),
            sobject=sobject,
        )

    def query_more_raw(self, next_records_url: str, *, sobject: str) -> bytes:
        """Fetch the next page of a query (its body as bytes)."""
        if not next_records_url.startswith("/services/data/"):
            msg = f"query {sobject}: Salesforce sent an unexpected nextRecordsUrl"
            raise ProtocolError(msg)
        return self._call(
            f"query {sobject} (next page)",
            lambda sf: sf.query_more_raw(next_records_url),
            sobject=sobject,
        )

    def count(self, soql: str, *, sobject: str) -> int:
        """Run a ``SELECT COUNT() ...`` query and return the count."""
        return int(self.query(soql, sobject=sobject)["totalSize"])

    def get_deleted(self, sobject: str, *, start: datetime, end: datetime) -> dict[str, Any]:
        """List records deleted in a window (sObject Get Deleted, at most 15 days back)."""
        # requests encodes `+` in the offset as %2B, which the resource needs.
        params = {"start": format_datetime(start), "end": format_datetime(end)}
        body = self._call(
            f"list deleted {sobject}",
            lambda sf: sf.restful(f"sobjects/{sobject}/deleted/", params=params),
            sobject=sobject,
        )
        return _expect_mapping(body, f"list deleted {sobject}", keys=("deletedRecords",))

    def convert_leads(
        self,
        converts: Sequence[LeadConvert],
        *,
        allow_duplicate_save: bool | None = None,
    ) -> list[LeadConvertResult]:
        """Convert up to 100 leads with the SOAP ``convertLead`` call (REST has none).

        A conversion cannot be undone, so the call is never sent again once it may have reached
        Salesforce: after a timeout or a reset the transport error is raised, and the caller
        re-reads the leads to learn what happened. An expired session is renewed and the call
        repeated once: Salesforce refuses the session before it converts anything.

        Args:
            converts: the leads, at most 100 (callers batch).
            allow_duplicate_save: when not None, sent as the DuplicateRuleHeader's ``allowSave``.

        Returns:
            One result per lead, in the order given; a refused lead is a result with its errors.

        Raises:
            ValueError: for more than 100 leads, before anything is sent.
            AuthenticationError: when the session is refused and cannot be renewed.
            ApiBudgetError: when the org's API allowance, or sfbridge's reserve, is used up.
            RetriableSalesforceError: when the connection failed (the leads may be converted), or
                a fault says Salesforce is briefly unavailable.
            ProtocolError: when the answer does not account for every lead; some may be converted.
            FatalSalesforceError: for any other SOAP fault (nothing was converted).
        """
        if len(converts) > MAX_CONVERTS:
            msg = f"convert leads: {len(converts)} leads given; one call takes at most {MAX_CONVERTS}, send batches"
            raise ValueError(msg)
        if not converts:
            return []
        body = self._soap(
            "convert leads",
            lambda session: convert_request(converts, session_id=session, allow_duplicate_save=allow_duplicate_save),
            sobject="Lead",
        )
        try:
            results = parse_convert_response(body, expected=[convert.lead_id for convert in converts])
        except ProtocolError as exc:
            msg = f"{exc}; some of the {len(converts)} leads may be converted: re-read them before sending again"
            raise ProtocolError(msg) from exc
        log.info("salesforce_leads_converted", leads=len(converts), converted=sum(r.success for r in results))
        return results

    def merge_records(self, merges: Sequence[MergeRequest]) -> list[MergeResult]:
        """Merge duplicates with the SOAP ``merge`` call (REST has none): up to 200 merges a call.

        Each merge is its own transaction in Salesforce, and none may be sent twice: a merge
        whose answer was lost may have happened (its merged records deleted, their children
        re-parented), so after a timeout or a reset the transport error is raised and the caller
        re-reads the records (``queryAll`` shows merged ones deleted, with ``MasterRecordId``).

        Args:
            merges: the merges, at most 200 (callers batch); all of one object.

        Returns:
            One result per merge, in the order given; a refused merge is a result with its errors.

        Raises:
            ValueError: for more than 200 merges or merges of two objects, before anything is sent.
            RetriableSalesforceError: when the connection failed (merges may have happened), or
                a fault says Salesforce is briefly unavailable.
            ProtocolError: when the answer does not account for every merge; some may have happened.
            FatalSalesforceError: for any other SOAP fault (nothing was merged).
        """
        if len(merges) > MAX_MERGE_REQUESTS:
            msg = f"merge records: {len(merges)} merges given; one call takes at most {MAX_MERGE_REQUESTS}"
            raise ValueError(msg)
        if not merges:
            return []
        objects = {merge.sobject for merge in merges}
        if len(objects) > 1:
            msg = f"merge records: one call merges one object, not {', '.join(sorted(objects))}"
            raise ValueError(msg)
        sobject = objects.pop()
        body = self._soap("merge records", lambda session: merge_request(merges, session_id=session), sobject=sobject)
        try:
            results = parse_merge_response(body, masters=[merge.master_id for merge in merges])
        except ProtocolError as exc:
            msg = f"{exc}; some of the {len(merges)} merges may have happened: re-read the records before sending again"
            raise ProtocolError(msg) from exc
        log.info(
            "salesforce_records_merged", sobject=sobject, merges=len(merges), merged=sum(r.success for r in results)
        )
        return results

    def undelete_records(self, ids: Sequence[str]) -> list[UndeleteResult]:
        """Take records out of the Recycle Bin with the SOAP ``undelete`` call: up to 200 a call.

        Undeleting cannot happen twice (a record no longer in the Recycle Bin is refused, not
        restored again), so a lost answer is settled by re-reading the records.

        Args:
            ids: the deleted records' Ids.

        Returns:
            One result per Id, in the order given.

        Raises:
            ValueError: for more than 200 Ids, before anything is sent.
            SalesforceError: as for :meth:`merge_records`.
        """
        if len(ids) > MAX_UNDELETES:
            msg = f"undelete records: {len(ids)} Ids given; one call takes at most {MAX_UNDELETES}"
            raise ValueError(msg)
        if not ids:
            return []
        body = self._soap("undelete records", lambda session: undelete_request(ids, session_id=session))
        results = parse_undelete_response(body, ids=ids)
        log.info("salesforce_records_undeleted", records=len(ids), undeleted=sum(r.success for r in results))
        return results

    def _soap(self, what: str, envelope: Callable[[str], bytes], *, sobject: str | None = None) -> bytes:
        """POST a partner API envelope (built for the session on each attempt); the answer's body.

        Never repeated once it may have reached Salesforce (SOAP writes are not idempotent):
        only an expired session is renewed and the call made again, which Salesforce refuses
        before doing anything. The org's API usage is read from the answer's LimitInfoHeader.
        """
        url_path = f"/services/Soap/u/{self.api_version}"
        # SOAP 1.1: the partner WSDL binds every operation with soapAction="".
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}

        def send(sf: Client) -> bytes:
            # Built on each attempt: after a renewal the envelope carries the new session id.
            response = sf.session.post(
                f"https://{sf.sf_instance}{url_path}", data=envelope(sf.session_id), headers=headers
            )
            fault = soap_fault(response.content, response.status_code, headers=response.headers, sobject=sobject)
            if fault is not None:
                raise fault
            return response.content

        body = self._call(what, send, sobject=sobject, idempotent=False)
        usage = soap_api_usage(body)
        if usage is not None:  # SOAP reports the allowance in its LimitInfoHeader, not Sforce-Limit-Info
            self.usage.used, self.usage.limit = usage
        return body

    def update_records(self, updates: Sequence[RecordUpdate]) -> list[SaveResult]:
        """Set field values on up to 200 records in one sObject Collections request.

        ``allOrNone`` is false: each record is saved or refused on its own, and a refused record
        (converted since planning, a validation rule, a row lock) is a :class:`SaveResult`
        carrying Salesforce's errors, not an exception; the caller decides what to re-send.

        Args:
            updates: the records and their new values, at most 200 (callers batch).

        Returns:
            One result per update, in the same order.

        Raises:
            ValueError: for more than 200 updates (or another batch Salesforce would refuse),
                before anything is sent.
            FatalSalesforceError: when Salesforce refuses the whole request (HTTP 400, e.g. a
                field the object lacks).
            ProtocolError: when the results cannot be matched to the records.
        """
        if not updates:
            return []
        payload = orjson.dumps(collection_payload(updates))
        objects = {update.sobject for update in updates}
        sobject = objects.pop() if len(objects) == 1 else None
        # Setting fixed values is idempotent: if the answer is lost and the PATCH goes again,
        # every record ends with the same values one send gives (only triggers re-run and
        # LastModifiedDate moves), so transient failures may be retried after the request
        # reached Salesforce, unlike a conversion.
        body = self._call(
            f"update {len(updates)} {sobject or 'mixed'} records",
            lambda sf: sf.restful("composite/sobjects", method="PATCH", data=payload),
            sobject=sobject,
            idempotent=True,
        )
        return parse_save_results(body, updates)

    def fetch_records(self, sobject: str, ids: Sequence[str], fields: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Re-read records by Id (an apply's pre-flight), deleted ones included.

        ``queryAll`` returns records in the Recycle Bin (deleted or merged away) with
        ``IsDeleted`` true instead of leaving them out; Id, IsDeleted and SystemModstamp are
        always selected. Long Id lists are split into queries that each fit in a URL.

        Args:
            sobject: the object the Ids belong to.
            ids: 15- or 18-character Ids.
            fields: the other fields to read.

        Returns:
            18-character Id → the record's fields, without ``attributes``. An Id Salesforce
            does not return at all (purged from the Recycle Bin, never existed) is absent.

        Raises:
            InvalidIdError: naming an Id that is malformed or not of ``sobject``, before
                anything is sent.
            ValueError: for an object or field that is not an API name.
        """
        what = f"re-read {sobject}"
        records: dict[str, dict[str, Any]] = {}
        for soql in reread_queries(sobject, ids, fields):
            page = self.query(soql, sobject=sobject, include_deleted=True)
            while True:
                records.update(index_records(page["records"], what=what))
                if page["done"]:
                    break
                # queryAll's next pages are under /query/ too; the URL carries the cursor.
                page = self.query_more(str(page.get("nextRecordsUrl", "")), sobject=sobject)
        return records

    # -- Bulk API 2.0 query jobs -------------------------------------------------------

    def create_query_job(self, soql: str, *, include_deleted: bool = False) -> BulkJob:
        """Start a Bulk API 2.0 query job (``POST /jobs/query``); it runs on Salesforce's side.

        Creating a job is not idempotent: a POST sent again after it reached Salesforce would
        start a second job, another scan of the object counted against the org's daily query
        jobs, whose results nobody reads. So the request is re-sent only when the connection
        was never opened; after a timeout, a reset or a 5xx the error is raised, and the next
        run starts a fresh job.

        Args:
            soql: the query (no ORDER BY, no compound fields: see :func:`~sfbridge.salesforce.bulk_csv.bulk_soql`).
            include_deleted: ``queryAll``: deleted and merged records too, with IsDeleted true.

        Returns:
            The new job (state UploadComplete).

        Raises:
            FatalSalesforceError: when Salesforce refuses the query (MALFORMED_QUERY, INVALID_FIELD...).
            RetriableSalesforceError: when the request may have reached Salesforce and failed;
                a job may have been started.
        """
        payload = orjson.dumps(query_job_request(soql, include_deleted=include_deleted))
        what = "create bulk query job"
        body = self._call(what, lambda sf: sf.restful("jobs/query", method="POST", data=payload), idempotent=False)
        job = parse_job(body, what=what)
        log.info("salesforce_bulk_job_created", job_id=job.id, sobject=job.sobject, operation=job.operation)
        return job

    def query_job(self, job_id: str) -> BulkJob:
        """Read a query job's state (``GET /jobs/query/{id}``)."""
        job_id = check_job_id(job_id)
        what = f"read bulk query job {job_id}"
        return parse_job(self._call(what, lambda sf: sf.restful(f"jobs/query/{job_id}")), what=what)

    def wait_for_job(
        self,
        job_id: str,
        *,
        timeout: float,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> BulkJob:
        """Poll a query job with capped exponential back-off until it is JobComplete.

        Args:
            job_id: the job.
            timeout: seconds to wait in all.
            sleep: how to pause between looks (default: the gateway's, which tests replace).
            clock: a monotonic clock in seconds.

        Returns:
            The completed job (``number_records_processed`` says how many records it found).

        Raises:
            BulkJobError: when the job failed (with Salesforce's errorMessage) or was aborted.
            BulkJobTimeoutError: when it is not complete in time (it may still be running).
        """
        job_id = check_job_id(job_id)
        return wait_for_completion(
            lambda: self.query_job(job_id), job_id=job_id, timeout=timeout, sleep=sleep or self._sleep, clock=clock
        )

    def job_result_pages(
        self, job_id: str, *, locator: str | None = None, max_records: int | None = None
    ) -> Iterator[ResultPage]:
        """Stream a completed job's results, one page at a time, from ``locator`` on.

        Each page is downloaded whole (into a spooled file) before it is handed on, with its
        own retries: a locator names the same page for as long as the job exists. A page is
        released when the next one is asked for, so at most one is held.

        Args:
            job_id: the job (JobComplete: see :meth:`wait_for_job`).
            locator: where to start (a :class:`~sfbridge.salesforce.bulk_pages.BulkDownload`'s
                ``next_locator`` to resume); None for the first page.
            max_records: records per page to ask for (None: Salesforce's default, which may
                be very large; the pull should ask for tens of thousands).

        Returns:
            An iterator of pages; the last has ``next_locator`` None.

        Raises:
            ValueError: for a malformed job Id or a page size below 1, before anything is sent.
            BulkJobError: (while iterating) 412 JOB_NOT_COMPLETE, a job that is gone, or one
                created with another API version.
        """
        job_id = check_job_id(job_id)
        if max_records is not None and max_records < 1:
            msg = f"max_records must be at least 1, not {max_records}"
            raise ValueError(msg)
        return self._result_pages(job_id, locator=locator, max_records=max_records)

    def _result_pages(self, job_id: str, *, locator: str | None, max_records: int | None) -> Iterator[ResultPage]:
        what = f"read bulk query job {job_id} results"
        while True:

            def fetch(sf: Client, at: str | None = locator) -> ResultPage:
                url = f"{sf.base_url}jobs/query/{job_id}/results"
                return fetch_result_page(
                    sf.session, url, headers=sf.headers, job_id=job_id, locator=at, max_records=max_records
                )

            page = self._call(what, fetch)
            try:
                yield page
            finally:
                page.close()
            if page.last:
                return
            locator = page.next_locator

    def abort_job(self, job_id: str) -> BulkJob:
        """Abort a query job (``PATCH /jobs/query/{id}`` with state Aborted), e.g. after an interruption.

        Setting the state is idempotent, so a lost answer is retried safely. A job that has
        already completed or failed cannot be aborted; Salesforce refuses and the error is raised.
        """
        job_id = check_job_id(job_id)
        payload = orjson.dumps({"state": "Aborted"})
        what = f"abort bulk query job {job_id}"
        body = self._call(what, lambda sf: sf.restful(f"jobs/query/{job_id}", method="PATCH", data=payload))
        job = parse_job(body, what=what)
        log.info("salesforce_bulk_job_aborted", job_id=job.id, state=job.state)
        return job

    # -- the one call path --------------------------------------------------------------

    def _call(
        self,
        what: str,
        fn: Callable[[Client], T],
        *,
        sobject: str | None = None,
        idempotent: bool = True,
    ) -> T:
        # Logging in has retries of its own: a login that failed them is not tried again for
        # each attempt of the call (max_attempts squared token requests to an unreachable org).
        self._require_client()
        retrying = make_retrying(self.profile.network, idempotent=idempotent, sleep=self._sleep)
        for attempt in retrying:
            with attempt:
                return self._call_once(what, fn, sobject=sobject)
        raise AssertionError  # pragma: no cover (tenacity re-raises the last error)

    def _call_once(self, what: str, fn: Callable[[Client], T], *, sobject: str | None) -> T:
        self._check_budget(what)
        client = self._require_client()
        try:
            return self._translated(what, fn, client, sobject=sobject)
        except AuthenticationError as exc:
            if exc.error_code != INVALID_SESSION or not self._require_token().refreshable:
                raise self._explain_expired(exc) from exc
            # The token expired mid-run (sessions time out; admins revoke them): mint a new
            # one from the same source once, then repeat the call.
            log.info("salesforce_session_renewed", call=what)
            self._login()
            return self._translated(what, fn, self._require_client(), sobject=sobject)

    def _translated(self, what: str, fn: Callable[[Client], T], client: Client, *, sobject: str | None) -> T:
        try:
            return fn(client)
        except LibraryError as exc:
            raise rest_error(exc.status, exc.content, self._session.last_headers, sobject=sobject) from exc
        except json.JSONDecodeError as exc:  # orjson's and requests' errors both derive from it
            raise protocol_error(exc, getattr(exc, "doc", b""), what=what) from exc
        except requests.RequestException as exc:
            raise transport_error(exc, what=what) from exc

    def check_budget(self, what: str) -> None:
        """Raise :class:`ApiBudgetError` now if a call would be refused for the API reserve.

        Apply asks before journalling a batch as sent, so a batch the reserve stops is not
        recorded as possibly sent.
        """
        self._check_budget(what)

    def _check_budget(self, what: str) -> None:
        remaining = self.usage.remaining_fraction()
        reserve = self.profile.api_reserve_percent / 100
        if remaining is not None and remaining < reserve:
            msg = (
                f"stopped before '{what}': the org has used {self.usage.used:,} of its "
                f"{self.usage.limit:,} daily API requests, and sfbridge leaves the last "
                f"{self.profile.api_reserve_percent:g}% to the org's other integrations "
                "(api_reserve_percent). Everything committed so far is kept; run again later."
            )
            raise ApiBudgetError(msg, error_code="API_RESERVE_REACHED")

    def _explain_expired(self, exc: AuthenticationError) -> AuthenticationError:
        if exc.error_code != INVALID_SESSION:
            return exc
        if self.profile.auth is AuthMethod.ACCESS_TOKEN:
            fix = f"set a fresh token in {env_name(self.profile.name, 'access_token')}"
        else:
            fix = "the session was renewed once and was refused again; check the app's policies"
        return AuthenticationError(
            f"Salesforce says the session is expired or invalid; {fix}", error_code=INVALID_SESSION
        )

    # -- logging in ---------------------------------------------------------------------

    def _require_token(self) -> Token:
        if self._token is None:
            self._login()
        assert self._token is not None  # noqa: S101 (set by _login)
        return self._token

    def _require_client(self) -> Client:
        if self._client is None:
            self._login()
        assert self._client is not None  # noqa: S101 (set by _login)
        return self._client

    def _login(self) -> None:
        self._check_budget("log in")
        retrying = make_retrying(self.profile.network, idempotent=True, sleep=self._sleep)
        token = retrying(fetch_token, self.profile, self._secrets, session=self._session)
        self._token = token
        # A "direct" client: simple-salesforce never refreshes it behind our back, so renewal,
        # retries and the budget all stay in this module.
        self._client = Client.for_token(
            token.access_token.get_secret_value(),
            instance_url=token.instance_url,
            api_version=self.profile.api_version,
            session=self._session,
        )
        log.info(
            "salesforce_logged_in",
            auth=self.profile.auth.value,
            instance=urlsplit(token.instance_url).hostname,
            api_version=self.profile.api_version,
        )


def _body(response: requests.Response) -> Any:  # noqa: ANN401 (parsed JSON or text)
    try:
        return response.json()
    except ValueError:
        return response.text


def _page(body: bytes, what: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise protocol_error(exc, body, what=what) from exc
    return _expect_mapping(parsed, what, keys=("records", "done", "totalSize"))


def _expect_mapping(body: Any, what: str, *, keys: tuple[str, ...] = ()) -> dict[str, Any]:  # noqa: ANN401
    if not isinstance(body, dict) or any(key not in body for key in keys):
        msg = f"{what}: Salesforce sent JSON of an unexpected shape (missing {', '.join(keys)})"
        raise ProtocolError(msg)
    return body
