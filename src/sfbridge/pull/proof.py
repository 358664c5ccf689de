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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from sfbridge import soql
from sfbridge.models import ObjectSchema
from sfbridge.pull.mirror import Mirror
from sfbridge.pull.reconcile import Children, FetchMissing, Reconciled, reconcile_ids
from sfbridge.pull.windows import Window, bounds, read_windowed
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
    fetch_missing: FetchMissing
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
        done = _reconcile(gateway, store, inputs, large=large)
        flagged, fetched = flagged + done.flagged, fetched + done.fetched
        differing.update(dict.fromkeys(done.differing))
        org_count, stored = _counts(gateway, store, inputs)
    holds = not _differs(org_count, stored, exact=inputs.exact)
    return Proof(org_count, stored, holds, rounds, flagged, fetched, () if holds else tuple(differing)[:_SHOWN])


def _differs(org_count: int, stored: int, *, exact: bool) -> bool:
    # AT_LEAST objects keep rows Salesforce stops counting (archived Tasks, old history).
    return stored != org_count if exact else stored < org_count


def _counts(gateway: SalesforceGateway, store: Mirror, inputs: ProofInputs) -> tuple[int, int]:
    sobject, cutoff = inputs.schema.sobject, inputs.cutoff
    where = [*inputs.spec.where, *([soql.until("CreatedDate", cutoff)] if cutoff is not None else [])]

    def count(window: Window) -> int:
        return gateway.count(soql.count(sobject, where=[*where, *bounds("CreatedDate", window)]), sobject=sobject)

    # A count Salesforce times out on is the sum of counts over narrower CreatedDate windows
    # (CreatedDate never changes, so no record moves between windows while they are counted);
    # without a cut-off (no CreatedDate) there is nothing to narrow by.
    windows = read_windowed(count, end=cutoff, sobject=sobject) if cutoff is not None else [count(Window())]
    return sum(windows), store.count(sobject, created_until=cutoff)


def _reconcile(gateway: SalesforceGateway, store: Mirror, inputs: ProofInputs, *, large: bool) -> Reconciled:
    return reconcile_ids(
        gateway,
        store,
        inputs.schema,
        inputs.spec,
        cutoff=inputs.cutoff,
        exact=inputs.exact,
        large=large,
        now=inputs.now(),
        fetch_missing=inputs.fetch_missing,
        children=inputs.children,
    )
