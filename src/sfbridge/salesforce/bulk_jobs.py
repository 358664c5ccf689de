"""Bulk API 2.0 query jobs, sent: create, read, wait for, page through and abort a job.

What the calls exchange (the job request, JobInfo, the wait loop) is :mod:`.bulk`; a results
page is downloaded by :mod:`.bulk_pages`. Creating a job is the one call here that is not
idempotent (a second POST starts a second job); reading, paging and aborting are retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import orjson
import structlog

from sfbridge.salesforce.bulk import BulkJob, check_job_id, parse_job, query_job_request, wait_for_completion
from sfbridge.salesforce.bulk_pages import ResultPage, fetch_result_page
from sfbridge.salesforce.client import Client
from sfbridge.salesforce.connection import OrgConnection

__all__ = ["BulkQueryJobs"]

log = structlog.get_logger()


class BulkQueryJobs(OrgConnection):
    """The gateway's Bulk API 2.0 query job calls."""

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
