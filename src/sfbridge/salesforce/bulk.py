"""Bulk API 2.0 query jobs: the job request, JobInfo, and waiting for a job to complete.

The gateway sends the calls (:meth:`~sfbridge.salesforce.gateway.SalesforceGateway.create_query_job`
and its siblings); this module holds what they exchange. A query job runs on Salesforce's side,
UploadComplete → InProgress → JobComplete (or Failed, or Aborted); only a completed job has
results (:mod:`sfbridge.salesforce.bulk_pages` reads them, :mod:`sfbridge.salesforce.bulk_csv`
turns them into rows).
https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/queries.htm

Why not simple-salesforce's Bulk 2.0 client (reviewed in 1.12.10, ``simple_salesforce/bulk2.py``):
``SFBulk2Type.query``/``query_all``/``download`` create the job, wait and read every page in one
generator that yields only CSV text, so a killed pull cannot go on from the ``Sforce-Locator`` of
the last page stored; resuming means calling ``_Bulk2Client.get_query_results(job_id, locator)``,
a private class. ``get_query_results`` holds a whole page in memory as a decoded ``str`` and
drops NUL bytes silently (``filter_null_bytes``), where :mod:`~sfbridge.salesforce.bulk_pages`
spills large pages to disk. ``_Bulk2Client.wait_for_job`` polls against the local clock up to
its fixed ``DEFAULT_WAIT_TIMEOUT_SECONDS`` and raises a bare ``SalesforceOperationError`` (no job
Id or state to report); its HTTP errors come from ``util.call_salesforce`` → ``exception_handler``
without the response headers (no Retry-After), no retries, and no use of the run's API budget.
Rows arrive as untyped CSV (:mod:`~sfbridge.salesforce.bulk_csv` types them by describe). Those
are the jobs sfbridge needs, so the calls stay here and in the gateway.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import structlog

from sfbridge.errors import FatalSalesforceError, ProtocolError

__all__ = [
    "BulkJob",
    "BulkJobError",
    "BulkJobTimeoutError",
    "JobState",
    "check_job_id",
    "parse_job",
    "query_job_request",
    "raise_for_state",
    "wait_for_completion",
]

log = structlog.get_logger()

# Job Ids go into URL paths: accept only the shape of a Salesforce Id.
_JOB_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
_MAX_ERROR_MESSAGE = 300


class JobState(StrEnum):
    """The states of a query job (``Open`` is for ingest jobs only)."""

    UPLOAD_COMPLETE = "UploadComplete"
    IN_PROGRESS = "InProgress"
    JOB_COMPLETE = "JobComplete"
    FAILED = "Failed"
    ABORTED = "Aborted"


class BulkJobError(FatalSalesforceError):
    """A query job failed, was aborted, is gone, or its results were asked for too early.

    ``job_id`` names the job so it can be looked up in Setup → Bulk Data Load Jobs;
    ``state`` is the job's state as Salesforce last reported it (or what went wrong).
    """

    def __init__(
        self,
        job_id: str,
        *,
        state: str,
        reason: str,
        error_code: str | None = None,
        status: int | None = None,
        sobject: str | None = None,
    ) -> None:
        """Build the message from the job and what happened to it.

        Args:
            job_id: the query job's Id.
            state: the job's state, or a short word for the failure.
            reason: what happened and what to do, in plain words.
            error_code: Salesforce's errorCode, when there is one.
            status: the HTTP status, when there is one.
            sobject: the object queried, when known.
        """
        self.job_id = job_id
        self.state = state
        what = f"Bulk API query job {job_id}" + (f" ({sobject})" if sobject else "")
        super().__init__(f"{what} {reason}", error_code=error_code, status=status, sobject=sobject)


class BulkJobTimeoutError(BulkJobError):
    """A query job did not complete in the time allowed; it may still be running in Salesforce."""


@dataclass(frozen=True)
class BulkJob:
    """A query job as Salesforce describes it (its JobInfo)."""

    id: str
    state: str
    operation: str
    sobject: str | None = None
    api_version: str | None = None
    number_records_processed: int | None = None
    error_message: str | None = None
    column_delimiter: str | None = None
    line_ending: str | None = None

    @property
    def complete(self) -> bool:
        """True once the results can be read."""
        return self.state == JobState.JOB_COMPLETE


def check_job_id(job_id: str) -> str:
    """Refuse anything that is not shaped like a Salesforce Id (it goes into a URL path).

    >>> check_job_id("750R0000000zhfdIAA")
    '750R0000000zhfdIAA'
    """
    if not _JOB_ID.fullmatch(job_id):
        msg = f"{job_id!r} is not a Bulk API job Id"
        raise ValueError(msg)
    return job_id


def query_job_request(soql: str, *, include_deleted: bool) -> dict[str, str]:
    """Build the body of ``POST /jobs/query``.

    ``queryAll`` also returns deleted and merged records (IsDeleted true) and archived
    activities. CSV with commas and LF line endings is what the results parser reads.

    >>> query_job_request("SELECT Id FROM Lead", include_deleted=True)["operation"]
    'queryAll'
    """
    return {
        "operation": "queryAll" if include_deleted else "query",
        "query": soql,
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    }


def parse_job(body: object, *, what: str) -> BulkJob:
    """Read a JobInfo body (create, get, abort all answer with one).

    Args:
        body: the parsed JSON.
        what: the call, for messages.

    Returns:
        The job.

    Raises:
        ProtocolError: when the body is not a JobInfo, or the job writes CSV sfbridge cannot read.
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("id"), str) or not isinstance(body.get("state"), str):
        msg = f"{what}: Salesforce sent JSON of an unexpected shape (not a job description)"
        raise ProtocolError(msg)
    version = body.get("apiVersion")
    job = BulkJob(
        id=body["id"],
        state=body["state"],
        operation=str(body.get("operation", "")),
        sobject=_text(body.get("object")),
        # JSON has it as a number (66.0, or 59 in some answers); keep the profile's spelling.
        api_version=f"{float(version):.1f}" if isinstance(version, int | float) else _text(version),
        number_records_processed=_count(body.get("numberRecordsProcessed")),
        error_message=_text(body.get("errorMessage")),
        column_delimiter=_text(body.get("columnDelimiter")),
        line_ending=_text(body.get("lineEnding")),
    )
    if job.column_delimiter not in {None, "COMMA"}:
        msg = f"{what}: job {job.id} writes {job.column_delimiter}-separated results; sfbridge asks for COMMA"
        raise ProtocolError(msg)
    return job


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _count(value: object) -> int | None:
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None


def raise_for_state(job: BulkJob) -> None:
    """Raise :class:`BulkJobError` for a job that will never complete (Failed or Aborted)."""
    if job.state == JobState.FAILED:
        said = (job.error_message or "no reason given").strip()[:_MAX_ERROR_MESSAGE]
        reason = f"failed in Salesforce: {said}"
        raise BulkJobError(job.id, state=job.state, reason=reason, sobject=job.sobject)
    if job.state == JobState.ABORTED:
        reason = "was aborted (by a user, an admin, or an interrupted run); start a new pull"
        raise BulkJobError(job.id, state=job.state, reason=reason, sobject=job.sobject)


def wait_for_completion(
    read: Callable[[], BulkJob],
    *,
    job_id: str,
    timeout: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float] = time.monotonic,
    first_delay: float = 1.0,
    max_delay: float = 30.0,
) -> BulkJob:
    """Poll a job until it completes, waiting longer between looks (capped exponential back-off).

    Every look is an API request, and big jobs take minutes: doubling the pause keeps a long
    wait cheap while a small job is still seen done within a second or two.

    Args:
        read: reads the job once (the gateway's ``query_job``).
        job_id: the job, for messages.
        timeout: seconds to wait in all.
        sleep: how to pause (the gateway's injected sleep; tests record instead).
        clock: a monotonic clock in seconds.
        first_delay: the first pause.
        max_delay: the longest pause.

    Returns:
        The completed job.

    Raises:
        BulkJobError: when the job failed or was aborted.
        BulkJobTimeoutError: when it is still not complete after ``timeout`` seconds.
    """
    start = clock()
    delay = first_delay
    while True:
        job = read()
        raise_for_state(job)
        if job.complete:
            log.info("salesforce_bulk_job_complete", job_id=job.id, records=job.number_records_processed)
            return job
        elapsed = clock() - start
        if elapsed >= timeout:
            reason = (
                f"is still {job.state} after {timeout:g} s; it keeps running in Salesforce (see Setup → "
                "Bulk Data Load Jobs): wait longer, or abort it"
            )
            raise BulkJobTimeoutError(job_id, state=job.state, reason=reason, sobject=job.sobject)
        pause = min(delay, timeout - elapsed)
        log.debug("salesforce_bulk_job_waiting", job_id=job_id, state=job.state, wait_seconds=round(pause, 2))
        sleep(pause)
        delay = min(delay * 2, max_delay)
