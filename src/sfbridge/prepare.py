"""Normalise what a pull brought, at the pull, so the next audit reads ready values.

After a pull, the people's values no normaliser has seen yet (new phone numbers, names,
companies, addresses) are read once and kept in the store (:mod:`sfbridge.matching.derived`),
under the rules the next audit will use: an incremental pull of 50 changed records normalises
those records' new values, not the org. The audit derives whatever is still missing (rules
changed since, a store an older sfbridge pulled), so this step only ever saves time and never
changes a finding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog

from sfbridge.checks.context import PEOPLE_NEEDS, people_matching
from sfbridge.rules import Rules
from sfbridge.store import Store

__all__ = ["Prepared", "prepare_people"]

log = structlog.get_logger()


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare_people` did: how many people it normalised, and how long it took."""

    people: int
    seconds: float


def prepare_people(store: Store, rules: Rules) -> Prepared:
    """Normalise the store's people under ``rules``, keeping every normaliser's table for the next audit.

    Values an earlier run kept are not derived again; values no record holds any more are
    dropped from the tables.

    Args:
        store: a store holding a pulled org.
        rules: the rules the next audit will run under (default phone region, placeholders).

    Returns:
        How many people there are, and the seconds it took.
    """
    timer = time.perf_counter()
    snapshot = store.load_snapshot({sobject: set(fields) for sobject, fields in PEOPLE_NEEDS.items()})
    matching = people_matching(snapshot, rules, derived=store)
    try:
        people = matching.people.height
    finally:
        matching.close()
    prepared = Prepared(people=people, seconds=time.perf_counter() - timer)
    log.info("people_prepared", people=prepared.people, seconds=round(prepared.seconds, 2))
    return prepared
