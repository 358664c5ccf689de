"""Prove an object's mirror is exact: Salesforce's ``COUNT()`` against the store, Ids reconciled when they differ.

Both sides are counted with the same cut-off (records created up to the moment the pull
began, by Salesforce's clock), so a record created while the pull ran is not mistaken for
one it missed. When the counts still disagree (a record deleted in the second between the
deletion check and the count, a change committed late), the object's Ids are read (REST,
or a Bulk job for large objects) and compared with the store under the same cut-off:
records the org no longer has are flagged deleted, records the store lacks are fetched.
This is bounded (``MAX_RECONCILES`` rounds, each logged); only a difference that survives
them fails the pull, naming the records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from sfbridge import soql
from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
from sfbridge.pull.bulk import read_with_bulk
from sfbridge.pull.deletions import Children
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.pages import iter_records, plan_query
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import ObjectSpec

__all__ = ["MAX_RECONCILES", "Proof", "prove"]

log = structlog.get_logger()

#: Reconciles one pull may run for one object before it declares the mirror not exact.
MAX_RECONCILES = 2
_SHOWN = 10  # record Ids named in a failure message


@dataclass(frozen=True)
class Proof:
    """The counts that prove (or fail to prove) an object's mirror, and what reconciling did."""

    org_count: int
    stored: int
    holds: bool
    reconciles: int = 0
    flagged: int = 0
    fetched: int = 0
    differing: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProofInputs:
    """How to count and reconcile one object."""

    schema: ObjectSchema
    spec: ObjectSpec
    cutoff: datetime | None
    exact: bool
    bulk_threshold: int | None
    now: Callable[[], datetime]
    fetch_missing: Callable[[Sequence[str]], Sequence[str]]
    children: Children = ()


def prove(gateway: SalesforceGateway, store: Mirror, inputs: ProofInputs) -> Proof:
    """Count both sides; reconcile Ids while they disagree, at most ``MAX_RECONCILES`` times.

    Args:
        gateway: the connection.
        store: the mirror.
        inputs: the object, its cut-off and policy, and how to fetch missing records.

    Returns:
        The proof; ``holds`` False means a difference survived reconciling.
    """
    org_count, stored = _counts(gateway, store, inputs)
    flagged = fetched = rounds = 0
    differing: dict[str, None] = {}  # every Id a reconcile found on one side only, in order
    while _differs(org_count, stored, exact=inputs.exact) and rounds < MAX_RECONCILES:
        rounds += 1
        log.warning(
            "pull_count_mismatch_reconciling",
            sobject=inputs.schema.sobject,
            org_count=org_count,
            stored=stored,
            round=rounds,
        )
        large = inputs.bulk_threshold is not None and org_count >= inputs.bulk_threshold
        gone, got, found = _reconcile(gateway, store, inputs, large=large)
        flagged, fetched = flagged + gone, fetched + got
        differing.update(dict.fromkeys(found))
        org_count, stored = _counts(gateway, store, inputs)
    holds = not _differs(org_count, stored, exact=inputs.exact)
    return Proof(org_count, stored, holds, rounds, flagged, fetched, () if holds else tuple(differing)[:_SHOWN])


def _differs(org_count: int, stored: int, *, exact: bool) -> bool:
    # AT_LEAST objects keep rows Salesforce stops counting (archived Tasks, old history).
    return stored != org_count if exact else stored < org_count


def _where(inputs: ProofInputs) -> list[str]:
    cut = [soql.until("CreatedDate", inputs.cutoff)] if inputs.cutoff is not None else []
    return [*inputs.spec.where, *cut]


def _counts(gateway: SalesforceGateway, store: Mirror, inputs: ProofInputs) -> tuple[int, int]:
    sobject = inputs.schema.sobject
    org_count = gateway.count(soql.count(sobject, where=_where(inputs)), sobject=sobject)
    return org_count, store.count(sobject, created_before=inputs.cutoff)


def _reconcile(
    gateway: SalesforceGateway, store: Mirror, inputs: ProofInputs, *, large: bool
) -> tuple[int, int, tuple[str, ...]]:
    """Compare the org's Ids with the store's under the cut-off; flag the gone, fetch the missing."""
    sobject = inputs.schema.sobject
    org_ids = _org_ids(gateway, store, inputs, large=large)
    live = store.live_ids(sobject, created_before=inputs.cutoff)
    gone = sorted(live - org_ids) if inputs.exact else []
    missing = sorted(org_ids - live)
    flagged = store.mark_deleted(sobject, gone, at=inputs.now(), children=inputs.children) if gone else 0
    got = inputs.fetch_missing(missing) if missing else ()
    log.info(
        "ids_reconciled",
        sobject=sobject,
        org=len(org_ids),
        flagged=flagged,
        fetched=len(got),
        gone=gone[:_SHOWN],
        missing=missing[:_SHOWN],
    )
    return flagged, len(got), (*gone, *missing)


def _org_ids(gateway: SalesforceGateway, store: Mirror, inputs: ProofInputs, *, large: bool) -> set[str]:
    schema, where = inputs.schema, _where(inputs)
    if large:
        # A million Ids are 500 REST pages (500 API calls); a Bulk job reads them in a few.
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
    plan = plan_query(schema, inputs.spec, since=None, fields=["Id"], where=where[len(inputs.spec.where) :])
    ids: set[str] = set()
    for records, _total in iter_records(gateway, plan.soql(), sobject=schema.sobject, batch_size=2000):
        ids.update(str(record["Id"]) for record in records)
    return ids
