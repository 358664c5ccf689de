"""Normalise what a pull brought, at the pull, so the next audit reads ready values.

After a pull, the people's values no normaliser has seen yet (new phone numbers, names,
companies, addresses) are read once and kept in the store (:mod:`sfbridge.matching.derived`),
under the rules the next audit will use: an incremental pull of 50 changed records normalises
those records' new values, not the org. The audit derives whatever is still missing (rules
changed since, a store an older sfbridge pulled), so this step only ever saves time and never
changes a finding.

What it was done for is noted in the store (:func:`preparation_token`): an audit of those very
people's records under those rules expects no phone number left to read, so it does not start reading
them early (see :func:`sfbridge.checks.run_checks_detailed`'s ``people_prepared``). The note
only orders the audit's work: if the kept tables were replaced since (an audit under other
rules keeps its own), the audit reads what is missing itself, later, never finding otherwise.
That is ``sfbridge pull`` followed by ``audit --offline`` or ``plan``; ``sfbridge audit``
without ``--offline`` pulls first and does not prepare, but what the last preparation kept of
the objects that pull did not write still holds.

Given ``keep`` (as ``sfbridge pull`` gives it: what an audit of every check loads), the same load
also keeps the snapshot's frames in the store (:mod:`sfbridge.store.kept_frames`), so an audit
reads them back instead of loading the mirror again; and the people it normalised are kept too
(:meth:`sfbridge.store.Store.keep_people`), so an audit of the same people's records under the
same rules reads them ready (:func:`kept_people_reader`) instead of normalising them again from
the kept tables (at a million people on 2 cores, about 2 s against 6 to 7 s).

What was kept holds per object (:meth:`sfbridge.store.Store.object_tokens`): a preparation loads
and keeps again only the objects the pull wrote to, and normalises and keeps the people again
only when it wrote Leads, Contacts or Accounts. A scheduled pull that brought a few Tasks costs
its preparation the Task frame, not the org; an audit (``--offline`` or not) after it reads
every other frame, and the people, as kept.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
import structlog

from sfbridge.checks.context import PEOPLE_NEEDS, people_matching
from sfbridge.errors import StoreError
from sfbridge.matching.derived import settings_digest
from sfbridge.rules import Rules, rules_digest
from sfbridge.snapshot import Snapshot
from sfbridge.store import Store

if TYPE_CHECKING:
    from sfbridge.matching import Matching

__all__ = ["Prepared", "kept_people_reader", "people_prepared", "people_token", "preparation_token", "prepare_people"]

#: The store note (:meth:`sfbridge.store.Store.note`) holding the :func:`preparation_token` of the last preparation.
_PREPARED_NOTE = "people_prepared"

log = structlog.get_logger()


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare_people` did: how many people, whether it kept them, whose frames it kept, its seconds."""

    people: int
    seconds: float
    kept: tuple[str, ...] = ()
    people_kept: bool = False  # the normalised people were kept too (see Store.keep_people)
    unchanged: tuple[str, ...] = ()  # objects whose kept frame still held: neither loaded nor kept again
    stale: tuple[str, ...] = ()  # objects whose kept frame had gone stale: loaded to be kept (``kept``, unless refused)
    people_unchanged: bool = False  # the people kept before still held: not normalised again


def prepare_people(
    store: Store,
    rules: Rules,
    *,
    keep: Mapping[str, Collection[str]] | None = None,
    count_fill: Collection[str] = (),
) -> Prepared:
    """Normalise the store's people under ``rules``, keeping every normaliser's table for the next audit.

    Values an earlier run kept are not derived again; values no record holds any more are
    dropped from the tables.

    Args:
        store: a store holding a pulled org.
        rules: the rules the next audit will run under (default phone region, placeholders).
        keep: per object, the fields an audit loads (:func:`sfbridge.audit.snapshot_fields`):
            they are loaded with the people's and kept as frames (:mod:`sfbridge.store.kept_frames`),
            so an audit of this mirror reads them back instead of loading the mirror again.
        count_fill: with ``keep``, the objects whose fill counts are kept too (the audit's).

    Returns:
        How many people there are, what was kept, and the seconds it took.
    """
    timer = time.perf_counter()
    fields = {sobject: set(needed) for sobject, needed in PEOPLE_NEEDS.items()}
    for sobject, needed in (keep or {}).items():
        fields.setdefault(sobject, set()).update(needed)
    # Taken before the snapshot loads: a pull meanwhile leaves the note and what is kept stale
    # (an audit then reads what is missing itself), never claiming what was not prepared.
    tokens = store.object_tokens(fields)
    people_basis = _people_token(tokens)
    counted = count_fill if keep else ()
    # What the last preparation kept and still holds (no write to its object since) is neither
    # loaded nor kept again: a scheduled pull that brought a few Tasks keeps the Task frame
    # again, not a million Leads'; one that brought no Lead, Contact or Account keeps the people.
    fresh = store.fresh_kept(fields, tokens=tokens, count_fill=counted) if keep else set()
    people_kept_before = store.kept_people_count(people_basis, _people_settings(rules)) if keep else None
    loading = {sobject: needed for sobject, needed in fields.items() if sobject not in fresh}
    if people_kept_before is None:
        # The people's objects are loaded too (read back from what was kept, where it holds).
        loading.update({sobject: fields[sobject] for sobject in PEOPLE_NEEDS})
    kept: tuple[str, ...] = ()
    people, people_kept = people_kept_before or 0, people_kept_before is not None
    if loading:
        # One load for both: the people's fields are among the audit's.
        snapshot = store.load_snapshot(loading, count_fill=[sobject for sobject in counted if sobject in loading])
        if keep:
            kept = _keep_frames(store, tokens, snapshot, fresh)
            # Only the people's columns are kept on: normalising them needs that memory next.
            for sobject, frame in list(snapshot.frames.items()):
                needed = PEOPLE_NEEDS.get(sobject, frozenset())
                if needed:
                    snapshot.frames[sobject] = frame.select([name for name in frame.columns if name in needed])
                else:
                    del snapshot.frames[sobject]
        if people_kept_before is None:
            matching = people_matching(snapshot, rules, derived=store)
            try:
                people = matching.people.height
                people_kept = bool(keep) and _keep_people(store, people_basis, rules, matching)
            finally:
                matching.close()
    store.save_note(_PREPARED_NOTE, preparation_token(people_basis, rules))
    prepared = Prepared(
        people=people,
        seconds=time.perf_counter() - timer,
        kept=kept,
        people_kept=people_kept,
        unchanged=tuple(sorted(fresh)),
        stale=tuple(sorted(set(tokens) - fresh)) if keep else (),
        people_unchanged=people_kept_before is not None,
    )
    log.info(
        "people_prepared",
        people=prepared.people,
        kept=list(kept),
        people_kept=people_kept,
        unchanged=list(prepared.unchanged),
        people_unchanged=prepared.people_unchanged,
        seconds=round(prepared.seconds, 2),
    )
    return prepared


def people_token(store: Store) -> str:
    """What the people are made from, as it stands: the tokens of their objects' mirror tables (Lead, Contact, Account).

    Kept people (:meth:`~sfbridge.store.Store.keep_people`) and the preparation's note
    (:func:`people_prepared`) hold for it: a pull that wrote none of those objects leaves it
    as it was, whatever else it brought.
    """
    return _people_token(store.object_tokens(PEOPLE_NEEDS))


def _people_token(tokens: Mapping[str, str]) -> str:
    made_from = "|".join(f"{sobject}={tokens.get(sobject)}" for sobject in sorted(PEOPLE_NEEDS))
    return hashlib.sha256(made_from.encode()).hexdigest()


def _keep_people(store: Store, token: str, rules: Rules, matching: Matching) -> bool:
    """Keep the normalised people for the audit; whether the store took them."""
    try:
        store.keep_people(token, _people_settings(rules), matching.normalised_people())
    except (StoreError, pl.exceptions.PolarsError) as exc:
        # A cache, as the kept frames: an audit normalises the people itself, only slower.
        log.warning("people_not_kept", error=str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__)
        return False
    return True


def _people_settings(rules: Rules) -> str:
    # The rules, and the normalisers' code and libraries; the store's basis adds sfbridge's
    # whole code (the people's fields and filter are chosen outside the normalisers).
    return settings_digest("people kept", rules_digest(rules))


def kept_people_reader(store: Store, token: str, rules: Rules) -> Callable[[], pl.DataFrame | None]:
    """What reads back the people :func:`prepare_people` kept for this :func:`people_token` under these rules (or None).

    For :func:`sfbridge.checks.run_checks_detailed`'s ``read_normalised``: the audit of a prepared
    snapshot reads its people ready instead of normalising them again. The reader gives None
    when they were not kept, or do not read back (the audit then normalises them itself).
    """

    def read() -> pl.DataFrame | None:
        try:
            people = store.read_kept_people(token, _people_settings(rules))
        except StoreError as exc:
            # A cache: a store that cannot give them back costs the audit the normalising, not its run.
            log.warning("kept_people_unread", error=str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__)
            return None
        if people is not None:
            log.info("kept_people_read", people=people.height)
        return people

    return read


def _keep_frames(
    store: Store, tokens: Mapping[str, str], snapshot: Snapshot, fresh: Collection[str]
) -> tuple[str, ...]:
    """Keep the snapshot's frames for the audit but those ``fresh`` (kept already); the objects kept."""
    # An object first pulled since the tokens were taken has none: it is kept by the next preparation.
    frames = {
        sobject: frame for sobject, frame in snapshot.frames.items() if sobject not in fresh and sobject in tokens
    }
    try:
        store.keep_frames(tokens, frames, snapshot.fill_counts)
    except (StoreError, pl.exceptions.PolarsError) as exc:
        # A cache: the pull has landed, and an audit reads the mirror itself, only slower.
        log.warning("frames_not_kept", error=str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__)
        return ()
    return tuple(frames)


def preparation_token(token: str, rules: Rules) -> str:
    """What a preparation holds for: the people's objects as they stood, the rules, and the normalisers' code.

    Args:
        token: the :func:`people_token` taken before the preparation loaded them.
        rules: the rules the people were normalised under (all of them: their digest).

    Returns:
        A digest that also covers the matching code and the libraries' versions
        (:func:`~sfbridge.matching.derived.settings_digest`): after an upgrade no earlier
        preparation holds, until the next pull prepares again.
    """
    return settings_digest("people prepared", token, rules_digest(rules))


def people_prepared(store: Store, token: str, rules: Rules) -> bool:
    """Whether :func:`prepare_people` last ran on these people's records (:func:`people_token`) under these rules.

    By this code, too (:func:`preparation_token`).

    Then every person's values were kept in the store, phone readings included, and an audit of
    the snapshot expects nothing left to read (what is missing after all is read then, later).
    """
    return store.note(_PREPARED_NOTE) == preparation_token(token, rules)
