"""Compare the org's Ids with the store's and mend the difference: flag the gone, fetch the missing.

Used when the delete log cannot be trusted (a gap past its 15 days, a purge) and when a count
disagrees. The Ids are one consistent read: a REST query (one cursor, whatever changes while it
is paged), or a Bulk job for a large object (a million Ids are 500 REST calls, a Bulk job a
few) and for a REST read Salesforce times out on. Never a read split by a changeable field: a
record edited between two such reads could be missed, and a missed Id would be flagged deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from sfbridge import soql
from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
from sfbridge.pull.bulk import read_with_bulk
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.pages import iter_records
from sfbridge.pull.windows import is_query_timeout
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import ObjectSpec

__all__ = ["Children", "FetchMissing", "Reconciled", "reconcile_ids"]

log = structlog.get_logger()

_SHOWN = 10  # record Ids named in a log line
#: Pulls records the org has and the store lacks; returns the Ids it found.
FetchMissing = Callable[[Sequence[str]], Sequence[str]]
#: Child objects whose rows die with a deleted record: (child object, the field naming the parent).
Children = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Reconciled:
    """What comparing Ids found and did."""

    org: int
    flagged: int
    fetched: int
    differing: tuple[str, ...]


def reconcile_ids(  # noqa: PLR0913 (the comparison's inputs, keyword-only)
    gateway: SalesforceGateway,
    store: Mirror,
    schema: ObjectSchema,
    spec: ObjectSpec,
    *,
    cutoff: datetime | None,
    exact: bool,
    large: bool,
    now: datetime,
    fetch_missing: FetchMissing,
    children: Children = (),
) -> Reconciled:
    """Read every Id the org has (created up to ``cutoff``) and make the store's live Ids match.

    Args:
        gateway: the connection.
        store: the mirror.
        schema: the object.
        spec: its recipe (its own filters apply).
        cutoff: compare only records created up to this moment, on both sides (None: all).
        exact: flag store-only records deleted (False for objects whose rows Salesforce stops
            counting without deleting them: archived Tasks, history past its retention).
        large: read the Ids with a Bulk job.
        now: Salesforce's current time (when the deletions were learned).
        fetch_missing: pulls records the org has and the store lacks.
        children: child objects whose rows go with a deleted record.

    Returns:
        How many Ids the org has, what was flagged and fetched, and the Ids that differed.
    """
    sobject = schema.sobject
    where = [*spec.where, *([soql.until("CreatedDate", cutoff)] if cutoff is not None else [])]
    org_ids = _org_ids(gateway, store, schema, where=where, large=large)
    live = store.live_ids(sobject, created_until=cutoff)
    gone = sorted(live - org_ids) if exact else []
    missing = sorted(org_ids - live)
    flagged = store.mark_deleted(sobject, gone, at=now, children=children) if gone else 0
    fetched = len(fetch_missing(missing)) if missing else 0
    log.info(
        "ids_reconciled",
        sobject=sobject,
        org=len(org_ids),
        flagged=flagged,
        fetched=fetched,
        gone=gone[:_SHOWN],
        missing=missing[:_SHOWN],
    )
    return Reconciled(len(org_ids), flagged, fetched, (*gone, *missing))


def _org_ids(
    gateway: SalesforceGateway, store: Mirror, schema: ObjectSchema, *, where: Sequence[str], large: bool
) -> set[str]:
    if not large:
        ids: set[str] = set()
        query = soql.select(["Id"], schema.sobject, where=where)
        try:
            for records, _total in iter_records(gateway, query, sobject=schema.sobject, batch_size=2000):
                ids.update(str(record["Id"]) for record in records)
        except Exception as exc:
            if not is_query_timeout(exc):
                raise
            # Bulk splits the read by Id on Salesforce's side (PK chunking): it does not time out so.
            log.warning("reconcile_query_timeout", sobject=schema.sobject, fallback="bulk")
        else:
            return ids
    only_id = ObjectSchema(
        sobject=schema.sobject,
        fields=(FieldInfo(name="Id", sf_type="id", kind=ColumnKind.TEXT),),
        replicateable=schema.replicateable,
        cursor=None,
    )
    read = read_with_bulk(
        gateway, store, only_id, where=where, write=lambda _page: None, advance=lambda *_: None, collect_ids=True
    )
    return read.ids
