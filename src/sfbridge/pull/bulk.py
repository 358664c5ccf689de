"""Read one object with a Bulk API 2.0 query job: create, wait, stream result pages into the store.

Large reads go through Bulk because REST pages cost one API call per 2,000 records (500 calls
for a million Leads) and a long REST read is where connectors miss rows. Salesforce returns
a job's pages in its own order, not by the cursor, so the object's bookmark moves only when
the whole job is in the store; until then the download's resume point (job Id and the
locator of the next page) is kept in the store after every committed page, and an
interrupted pull continues from it instead of starting a new job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from sfbridge.errors import SfbridgeError
from sfbridge.models import ObjectSchema
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.records import Page
from sfbridge.salesforce import SalesforceGateway
from sfbridge.salesforce.bulk import BulkJobError
from sfbridge.salesforce.bulk_csv import CsvRowConverter, bulk_soql
from sfbridge.salesforce.bulk_pages import BulkDownload

__all__ = ["BulkRead", "read_with_bulk"]

log = structlog.get_logger()

_PAGE_RECORDS = 50_000  # records per results page asked for; each is streamed, then written in batches
_JOB_TIMEOUT = 3_600.0  # seconds a query job may run before the pull gives up (it keeps running in Salesforce)


@dataclass
class BulkRead:
    """What a Bulk read brought in: rows, pages, the highest cursor seen, and (if asked) every Id."""

    fetched: int = 0
    pages: int = 0
    latest: datetime | None = None
    ids: set[str] = field(default_factory=set)


def _note_key(sobject: str) -> str:
    return f"bulk:{sobject}"


def _resume_point(store: Mirror, sobject: str, soql: str) -> BulkDownload | None:
    saved = store.note(_note_key(sobject))
    if saved is None:
        return None
    try:
        data = json.loads(saved)
        download = BulkDownload.from_json(data["download"])
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable note is no resume point: start a new job
    # Only the same query can continue: a changed bookmark or field list is another job.
    return download if data.get("soql") == soql else None


def read_with_bulk(
    gateway: SalesforceGateway,
    store: Mirror,
    schema: ObjectSchema,
    *,
    where: Sequence[str],
    write: Callable[[Page], None],
    advance: Callable[[int, int | None], None],
    collect_ids: bool,
) -> BulkRead:
    """Read the records matching ``where`` with a Bulk query job, committing page batches as they come.

    Args:
        gateway: the connection.
        store: the mirror (keeps the resume point between runs).
        schema: the object's fields (compound fields are left out: Bulk refuses them).
        where: the filters (the object's own and the incremental bound).
        write: commits one page of rows (with the state that does not yet move the bookmark).
        advance: reports rows committed so far and the job's total.
        collect_ids: keep every Id read (full reconciliation of small objects).

    Returns:
        What was read; the caller moves the bookmark to ``latest``.

    Raises:
        BulkJobError: when the job failed, was aborted or did not finish in time.
        SalesforceError: when Salesforce or the network fails (the resume point is kept).
    """
    soql = bulk_soql(schema, where=where)
    # A read that must see every Id (to find deletions) cannot skip pages an earlier run read.
    download = None if collect_ids else _resume_point(store, schema.sobject, soql)
    if download is not None:
        log.info("bulk_resume", sobject=schema.sobject, job=download.job_id, pages_done=download.pages_done)
        try:
            job = gateway.wait_for_job(download.job_id, timeout=_JOB_TIMEOUT)
        except BulkJobError as exc:  # expired, deleted or failed since: start again
            log.warning("bulk_resume_failed", sobject=schema.sobject, job=download.job_id, error=str(exc))
            download = None
    if download is None:
        job = gateway.create_query_job(soql, include_deleted=False)
        download = BulkDownload(job.id)
        store.save_note(_note_key(schema.sobject), json.dumps({"soql": soql, "download": download.to_json()}))
        log.info("bulk_job_created", sobject=schema.sobject, job=job.id)
        job = gateway.wait_for_job(job.id, timeout=_JOB_TIMEOUT)
    converter = CsvRowConverter(schema)
    read = BulkRead(fetched=download.records_done, pages=download.pages_done)
    total = job.number_records_processed
    pages = gateway.job_result_pages(download.job_id, locator=download.next_locator, max_records=_PAGE_RECORDS)
    for page in pages:
        for rows in converter.page_batches(page):
            batch = Page(converter.columns, rows, converter.cursor_index)
            write(batch)
            newest = batch.latest()
            if newest is not None:
                read.latest = max(read.latest, newest) if read.latest else newest
            if collect_ids:
                read.ids.update(batch.ids())
            read.fetched += len(batch)
            advance(read.fetched, total)
        download = download.after(page)
        read.pages += 1
        # Committed: a later run continues from the next page rather than the whole job.
        store.save_note(_note_key(schema.sobject), json.dumps({"soql": soql, "download": download.to_json()}))
    try:
        download.verify(job)
    except SfbridgeError:
        store.save_note(_note_key(schema.sobject), None)  # the count is off: a new job next time
        raise
    store.save_note(_note_key(schema.sobject), None)
    return read
