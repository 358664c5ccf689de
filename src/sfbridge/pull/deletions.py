"""Learn which mirrored records were deleted in the org since the last check.

Salesforce keeps a delete log per replicateable object for about 15 days (Get Deleted);
within that window one call lists every deletion, hard deletes and emptied recycle bins
included. Past it, or when the log was purged early (``earliestDateAvailable`` later than
our last check), the only exact answer is a full reconcile: read every Id the org has and
compare with the store, which also fetches any record the store is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from sfbridge.errors import ProtocolError
from sfbridge.models import ObjectSchema
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.pages import iter_records, plan_query
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import ObjectSpec
from sfbridge.wire import parse_datetime

__all__ = ["DELETE_LOG_WINDOW", "DeletionCheck", "check_deletions", "reconcile_ids"]

log = structlog.get_logger()

#: Get Deleted answers for at most 15 days back; an hour of margin covers clock skew.
#: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm
DELETE_LOG_WINDOW = timedelta(days=15) - timedelta(hours=1)
# The log is kept to the minute; a window shorter than that cannot hold anything new.
_MIN_WINDOW = timedelta(minutes=1)

FetchMissing = Callable[[Sequence[str]], int]


@dataclass(frozen=True)
class DeletionCheck:
    """What a deletion check found and up to when it is now known."""

    deleted: int
    checked_until: datetime
    method: str
    fetched: int = 0


def check_deletions(
    gateway: SalesforceGateway,
    store: Mirror,
    schema: ObjectSchema,
    spec: ObjectSpec,
    *,
    since: datetime | None,
    now: datetime,
    fetch_missing: FetchMissing,
) -> DeletionCheck:
    """Flag records deleted in the org since ``since`` (or reconcile when that is unknowable).

    Args:
        gateway: the connection.
        store: the mirror.
        schema: the object's pulled fields.
        spec: the object's recipe.
        since: when deletions were last known to be checked; None forces a reconcile.
        now: the current moment (the end of the window).
        fetch_missing: pulls records the org has and the store lacks, returning how many.

    Returns:
        How many records were flagged and up to when deletions are now known.
    """
    if since is not None and now - since < _MIN_WINDOW:
        return DeletionCheck(deleted=0, checked_until=since, method="none")
    if since is not None and schema.replicateable and now - since <= DELETE_LOG_WINDOW:
        answer = gateway.get_deleted(schema.sobject, start=since, end=now)
        earliest = _moment(answer, "earliestDateAvailable")
        if earliest is None or earliest <= since:
            ids = [str(entry["id"]) for entry in answer["deletedRecords"] if isinstance(entry, dict) and "id" in entry]
            flagged = store.mark_deleted(schema.sobject, ids, at=now)
            covered = _moment(answer, "latestDateCovered") or now
            return DeletionCheck(deleted=flagged, checked_until=min(covered, now), method="get_deleted")
        log.warning(
            "delete_log_purged",
            sobject=schema.sobject,
            earliest_available=earliest.isoformat(),
            needed_from=since.isoformat(),
        )
    return reconcile_ids(gateway, store, schema, spec, now=now, fetch_missing=fetch_missing)


def reconcile_ids(
    gateway: SalesforceGateway,
    store: Mirror,
    schema: ObjectSchema,
    spec: ObjectSpec,
    *,
    now: datetime,
    fetch_missing: FetchMissing,
) -> DeletionCheck:
    """Compare every Id in the org with the store: flag the gone, fetch the missing."""
    plan = plan_query(schema, spec, since=None, fields=["Id"])
    org_ids: set[str] = set()
    for records, _total in iter_records(gateway, plan.soql(), sobject=schema.sobject, batch_size=2000):
        org_ids.update(str(record["Id"]) for record in records)
    live = store.live_ids(schema.sobject)
    flagged = store.mark_deleted(schema.sobject, sorted(live - org_ids), at=now)
    missing = sorted(org_ids - live)
    fetched = fetch_missing(missing) if missing else 0
    log.info("ids_reconciled", sobject=schema.sobject, org=len(org_ids), flagged=flagged, fetched=fetched)
    return DeletionCheck(deleted=flagged, checked_until=now, method="reconcile", fetched=fetched)


def _moment(answer: dict[str, Any], key: str) -> datetime | None:
    value = answer.get(key)
    if value is None:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError as exc:
        msg = f"Get Deleted sent a {key} that is not a datetime"
        raise ProtocolError(msg) from exc
