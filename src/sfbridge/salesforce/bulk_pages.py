"""Bulk API 2.0 query results: download pages one at a time, and resume where a download stopped.

A job's CSV results come in pages; each names the next in its ``Sforce-Locator`` header, the
literal string ``null`` on the last one, and says how many records it holds in
``Sforce-NumberOfRecords``. Locators stay valid while the job exists, so a page can be fetched
again (retries are safe) and a download that stopped can go on from the last page it committed
(:class:`BulkDownload`).
https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_job_results.htm
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import IO, Any

import orjson
import requests
import structlog

from sfbridge.errors import ProtocolError
from sfbridge.salesforce.bulk import BulkJob, BulkJobError, check_job_id
from sfbridge.salesforce.translate import rest_error

__all__ = ["BulkDownload", "ResultPage", "fetch_result_page"]

log = structlog.get_logger()

# A results page is kept in memory up to this size, then spills to a temporary file.
_SPOOL_BYTES = 8 * 1024 * 1024
_CHUNK_BYTES = 256 * 1024
_LAST_PAGE = "null"  # Sforce-Locator's value on the last page: the string, not an absent header


class ResultPage:
    """One page of a job's results: its CSV body and where the next page is.

    The body is spooled (memory up to 8 MiB, then a temporary file), so a page of any size
    costs little memory; it is released when the next page is asked for, or by :meth:`close`.
    """

    def __init__(
        self,
        job_id: str,
        *,
        locator: str | None,
        next_locator: str | None,
        number_of_records: int,
        body: IO[bytes],
    ) -> None:
        """Hold one downloaded page.

        Args:
            job_id: the job the page belongs to.
            locator: the locator it was fetched with (None for the first page).
            next_locator: the next page's locator, None on the last page.
            number_of_records: records on the page (``Sforce-NumberOfRecords``).
            body: the CSV, header row first.
        """
        self.job_id = job_id
        self.locator = locator
        self.next_locator = next_locator
        self.number_of_records = number_of_records
        self._body = body

    @property
    def last(self) -> bool:
        """True for the last page of the results."""
        return self.next_locator is None

    def open(self) -> IO[bytes]:
        """Return the CSV body, rewound to its start."""
        self._body.seek(0)
        return self._body

    def content(self) -> bytes:
        """Read the whole CSV body (for small pages and tests; parse :meth:`open` for big ones)."""
        return self.open().read()

    def close(self) -> None:
        """Release the body."""
        self._body.close()


def fetch_result_page(
    session: requests.Session,
    url: str,
    *,
    headers: Mapping[str, str],
    job_id: str,
    locator: str | None,
    max_records: int | None,
) -> ResultPage:
    """Download one results page, streaming the body into a spooled file.

    Args:
        session: the HTTP session.
        url: ``.../jobs/query/{id}/results``.
        headers: the authorised request headers.
        job_id: the job.
        locator: the page's locator (None for the first page).
        max_records: the page size to ask for (None: Salesforce's default).

    Returns:
        The page.

    Raises:
        BulkJobError: for 412 JOB_NOT_COMPLETE, a job that is gone (404) or a job created with
            another API version (409).
        SalesforceError: for other failures, as :func:`~sfbridge.salesforce.translate.rest_error`
            classifies them.
        ProtocolError: when the page lacks the headers that say how it continues.
    """
    params = {"locator": locator} if locator else {}
    if max_records is not None:
        params["maxRecords"] = str(max_records)
    with session.get(url, headers={**headers, "Accept": "text/csv"}, params=params, stream=True) as response:
        if response.status_code >= 300:  # noqa: PLR2004
            raise _results_error(response, job_id=job_id)
        number, next_locator = _page_headers(response, job_id=job_id)
        body = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (handed to the page)
        try:
            for chunk in _chunks(response):
                body.write(chunk)
        except BaseException:
            body.close()
            raise
    body.seek(0)
    log.info("salesforce_bulk_page_fetched", job_id=job_id, records=number, last=next_locator is None)
    return ResultPage(job_id, locator=locator, next_locator=next_locator, number_of_records=number, body=body)


def _chunks(response: requests.Response) -> Iterator[bytes]:
    if response.raw is None:
        # The replay transport (`sfbridge demo`) hands requests a finished body and no raw
        # stream; iter_content would try to read the missing stream.
        yield response.content
        return
    yield from response.iter_content(_CHUNK_BYTES)


def _page_headers(response: requests.Response, *, job_id: str) -> tuple[int, str | None]:
    what = f"Bulk API query job {job_id}: the results page"
    count = response.headers.get("Sforce-NumberOfRecords", "")
    locator = response.headers.get("Sforce-Locator", "")
    if "html" in response.headers.get("Content-Type", "").lower():
        msg = f"{what} is an HTML page, not CSV (a proxy or gateway in the way?)"
        raise ProtocolError(msg)
    if not count.strip().isdigit():
        msg = f"{what} has no usable Sforce-NumberOfRecords header"
        raise ProtocolError(msg)
    if not locator.strip():
        # Salesforce writes "null" on the last page; a missing header would silently end the
        # download early, so it is refused rather than taken for the end.
        msg = f"{what} has no Sforce-Locator header, so it cannot tell whether more pages follow"
        raise ProtocolError(msg)
    locator = locator.strip()
    return int(count), None if locator == _LAST_PAGE else locator


def _results_error(response: requests.Response, *, job_id: str) -> Exception:
    try:
        content: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        content = response.text
    error = rest_error(response.status_code, content, response.headers)
    status = response.status_code
    if error.error_code == "JOB_NOT_COMPLETE" or status == 412:  # noqa: PLR2004
        reason = "is not complete yet, so it has no results to read (wait for JobComplete first)"
    elif status == 404:  # noqa: PLR2004
        reason = "is gone: it was deleted, or its results expired; start a new pull"
    elif status == 409:  # noqa: PLR2004
        reason = "was created with another API version; read its results with the version that created it"
    else:
        return error
    state = error.error_code or f"HTTP {status}"
    return BulkJobError(job_id, state=state, reason=reason, error_code=error.error_code, status=status)


@dataclass(frozen=True)
class BulkDownload:
    """How far the download of a job's results got: persist it after each committed page.

    Resume with ``gateway.job_result_pages(state.job_id, locator=state.next_locator)``; a
    state with ``complete`` set has nothing left to fetch.
    """

    job_id: str
    next_locator: str | None = None
    pages_done: int = 0
    records_done: int = 0
    complete: bool = False

    def after(self, page: ResultPage) -> BulkDownload:
        """Return the state once ``page`` is committed.

        Raises:
            ValueError: when the page is not the one this state expects next.
        """
        if page.job_id != self.job_id or page.locator != self.next_locator or self.complete:
            msg = f"page {page.locator!r} of job {page.job_id} does not follow {self}"
            raise ValueError(msg)
        return replace(
            self,
            next_locator=page.next_locator,
            pages_done=self.pages_done + 1,
            records_done=self.records_done + page.number_of_records,
            complete=page.last,
        )

    def verify(self, job: BulkJob) -> None:
        """Check a finished download holds every record the job found.

        Raises:
            ProtocolError: when the pages' record counts do not add up to the job's.
        """
        expected = job.number_records_processed
        if self.complete and expected is not None and expected != self.records_done:
            msg = f"Bulk API query job {job.id} found {expected} records, but its pages held {self.records_done}"
            raise ProtocolError(msg)

    def to_json(self) -> dict[str, Any]:
        """Serialise for a sync-state column."""
        return {
            "job_id": self.job_id,
            "next_locator": self.next_locator,
            "pages_done": self.pages_done,
            "records_done": self.records_done,
            "complete": self.complete,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BulkDownload:
        """Read a saved state back.

        Raises:
            ValueError: when the data is not a saved download state.
        """
        try:
            state = cls(
                job_id=check_job_id(str(data["job_id"])),
                next_locator=None if data.get("next_locator") is None else str(data["next_locator"]),
                pages_done=int(data.get("pages_done", 0)),
                records_done=int(data.get("records_done", 0)),
                complete=bool(data.get("complete", False)),
            )
        except (KeyError, TypeError) as exc:
            msg = f"not a saved Bulk API download state: {exc}"
            raise ValueError(msg) from exc
        return state
