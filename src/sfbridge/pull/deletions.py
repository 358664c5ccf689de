"""Learn which mirrored records were deleted in the org since the last pull.

Two sources, because each misses what the other sees:

* Soft deletes (records in the Recycle Bin, merged-away records) are read with ``queryAll``
  and ``IsDeleted = true`` over the same SystemModstamp window as the changes: deleting a
  record stamps its SystemModstamp (Get Deleted's ``deletedDate`` "is obtained using the
  SystemModstamp system field"), so this sees a deletion made a second before the pull.
* Hard deletes (an emptied Recycle Bin, ``hardDelete``) leave no row to query; Get Deleted's
  delete log lists them, for about 15 days. Its answers lag: ``latestDateCovered`` may be
  earlier than the ``end`` asked for, and Salesforce says to start the next window there
  ("for safety, you must use this value for the startDate of your next call"), so the log is
  known to be checked only up to it.
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_getdeleted_getdeletedresult.htm

Past the log's window, or when the log was purged early (``earliestDateAvailable`` later than
our last check), the only exact answer is a full reconcile: read every Id the org has and
compare with the store, which also fetches any record the store is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from sfbridge import soql
from sfbridge.errors import ProtocolError
from sfbridge.models import ObjectSchema
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.pages import iter_records
from sfbridge.pull.reconcile import Children, FetchMissing, reconcile_ids
from sfbridge.pull.windows import Window, bounds, read_windowed
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import CountPolicy, ObjectSpec
from sfbridge.wire import parse_datetime

__all__ = ["DELETE_LOG_WINDOW", "DeletionCheck", "check_deletions", "flag_soft_deletes", "read_delete_log"]

log = structlog.get_logger()

#: Get Deleted answers for at most 15 days back; an hour of margin covers clock skew.
#: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm
DELETE_LOG_WINDOW = timedelta(days=15) - timedelta(hours=1)
# "The specified startDate must chronologically precede the specified endDate value by more
# than one minute" (getDeleted(), Rules and Guidelines); a shorter window is left to the next pull.
_MIN_WINDOW = timedelta(minutes=1, seconds=1)


@dataclass(frozen=True)
class DeletionCheck:
    """What a deletion check found and up to when the delete log is now known."""

    deleted: int
    checked_until: datetime
    method: str
    fetched: int = 0


def check_deletions(  # noqa: PLR0913 (the check's inputs, keyword-only)
    gateway: SalesforceGateway,
    store: Mirror,
    schema: ObjectSchema,
    spec: ObjectSpec,
    *,
    changed_since: datetime | None,
    log_since: datetime | None,
    now: datetime,
    fetch_missing: FetchMissing,
    children: Children = (),
    bulk_threshold: int | None = None,
) -> DeletionCheck:
    """Flag records deleted in the org: soft deletes since ``changed_since``, hard ones since ``log_since``.

    Args:
        gateway: the connection.
        store: the mirror.
        schema: the object's pulled fields.
        spec: the object's recipe.
        changed_since: the start of this pull's change window (soft deletes are read from there).
        log_since: where the delete log was last known to be checked; None forces a reconcile.
        now: Salesforce's current time (the end of the window).
        fetch_missing: pulls records the org has and the store lacks, returning their Ids.
        children: child objects whose rows go with a deleted record.
        bulk_threshold: objects the store holds this many records of compare Ids with a Bulk job.

    Returns:
        How many records were flagged, and up to when the delete log is now checked.
    """

    def reconcile(soft: int = 0) -> DeletionCheck:
        large = bulk_threshold is not None and store.count(schema.sobject) >= bulk_threshold
        done = reconcile_ids(
            gateway,
            store,
            schema,
            spec,
            cutoff=None,
            exact=spec.count_policy is CountPolicy.EXACT,
            large=large,
            now=now,
            fetch_missing=fetch_missing,
            children=children,
        )
        return DeletionCheck(deleted=soft + done.flagged, checked_until=now, method="reconcile", fetched=done.fetched)

    if log_since is None or not schema.replicateable or now - log_since > DELETE_LOG_WINDOW:
        return reconcile()
    soft = flag_soft_deletes(gateway, store, schema, since=changed_since, now=now, children=children)
    if now - log_since < _MIN_WINDOW:
        return DeletionCheck(deleted=soft, checked_until=log_since, method="query_all")
    hard = read_delete_log(gateway, store, schema, since=log_since, now=now, children=children)
    if hard is None:  # the log no longer reaches back to our last check
        return reconcile(soft)
    flagged, covered = hard
    return DeletionCheck(deleted=soft + flagged, checked_until=covered, method="get_deleted")


def flag_soft_deletes(
    gateway: SalesforceGateway,
    store: Mirror,
    schema: ObjectSchema,
    *,
    since: datetime | None,
    now: datetime,
    children: Children = (),
) -> int:
    """Flag records that ``queryAll`` shows deleted (IsDeleted) with a SystemModstamp from ``since`` on.

    Returns:
        How many live rows were flagged.
    """
    if since is None or schema.cursor != "SystemModstamp" or not schema.has("IsDeleted"):
        return 0

    def flag(window: Window) -> int:
        where = ["IsDeleted = true", *bounds("SystemModstamp", window)]
        query = soql.select(["Id", "SystemModstamp"], schema.sobject, where=where, order_by=["SystemModstamp", "Id"])
        flagged = 0
        pages = iter_records(gateway, query, sobject=schema.sobject, batch_size=2000, include_deleted=True)
        for records, _total in pages:
            ids = [str(record["Id"]) for record in records if "Id" in record]
            flagged += store.mark_deleted(schema.sobject, ids, at=now, children=children)
        return flagged

    # Flagging is idempotent, so a window Salesforce times out on is simply read again narrower.
    flagged = sum(read_windowed(flag, start=since, end=now, sobject=schema.sobject))
    if flagged:
        log.info("soft_deletes_flagged", sobject=schema.sobject, flagged=flagged, since=since.isoformat())
    return flagged


def read_delete_log(
    gateway: SalesforceGateway,
    store: Mirror,
    schema: ObjectSchema,
    *,
    since: datetime,
    now: datetime,
    children: Children = (),
) -> tuple[int, datetime] | None:
    """Flag what Get Deleted lists from ``since`` to ``now``.

    Returns:
        How many live rows were flagged and the moment the log is now checked up to (its
        ``latestDateCovered``, never later than ``now``); None when the log was purged past
        ``since`` and only a reconcile can tell.
    """
    answer = gateway.get_deleted(schema.sobject, start=since, end=now)
    earliest = _moment(answer, "earliestDateAvailable")
    if earliest is not None and earliest > since:
        log.warning(
            "delete_log_purged",
            sobject=schema.sobject,
            earliest_available=earliest.isoformat(),
            needed_from=since.isoformat(),
        )
        return None
    ids = [str(entry["id"]) for entry in answer["deletedRecords"] if isinstance(entry, dict) and "id" in entry]
    flagged = store.mark_deleted(schema.sobject, ids, at=now, children=children)
    # The next window starts where this answer says its coverage ended, never where we asked.
    covered = _moment(answer, "latestDateCovered") or now
    return flagged, max(since, min(covered, now))


def _moment(answer: dict[str, Any], key: str) -> datetime | None:
    value = answer.get(key)
    if value is None:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError as exc:
        msg = f"Get Deleted sent a {key} that is not a datetime"
        raise ProtocolError(msg) from exc
