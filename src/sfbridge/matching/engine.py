"""The duplicate engine: normalise, block, compare, score, cluster and explain, each step on demand.

:class:`Matching` holds one people frame and computes each stage the first time it is asked
for, so the data-quality checks can use the normalised people (valid emails and phones)
without paying for the duplicate search, and the duplicate checks share one search.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from sfbridge.matching.accounts import account_keys, account_links
from sfbridge.matching.blocking import Candidates, blocking_keys, candidate_pairs
from sfbridge.matching.clusters import cluster_members, direct_links
from sfbridge.matching.compare import compare_sides, comparison_side
from sfbridge.matching.explain import reasons_column
from sfbridge.matching.normalise import PHONE_FIELDS, locate_people, normalise_located, phone_values
from sfbridge.matching.people import ACCOUNT_FIELDS
from sfbridge.matching.phones import PhoneBatch, PhoneSettings
from sfbridge.matching.scoring import score_pairs

__all__ = ["MatchSettings", "Matching"]

# The records' own values, carried next to each matched pair for explanations and evidence.
_SHOWN = {
    "show_id": "record_id",
    "show_sobject": "sobject",
    "show_first": "first_name",
    "show_last": "last_name",
    "show_email": "email",
    "show_company": "company",
    "show_city": "city",
    "show_birthdate": "birthdate",
}

# People columns nothing reads after normalising.
_UNREAD = ("title", "street", "state", "postal_code", *[f"{field}_ext" for field in PHONE_FIELDS])
_PAIR_BATCH = 100_000  # candidate pairs compared at a time
_MAX_WORKERS = 8  # each worker holds ~150 MB of imports; more rarely pays on an audit's phone count

# What ``scored`` keeps of each compared pair: levels, weights, and what explanations quote.
_SCORED = (
    "left",
    "right",
    "first",
    "last",
    "first_as_last",
    "last_as_first",
    "swapped",
    "email",
    "phone",
    "company",
    "city",
    "country",
    "birthdate",
    "email_key",
    "shared_phone",
    "email_count",
    "phone_count",
    "first_fold",
    "first_fold_r",
    "name_weight",
    "weight",
    "score",
)


@dataclass(frozen=True)
class MatchSettings:
    """How the engine decides and how hard it works.

    Attributes:
        threshold: the match probability from which two records are one person.
        max_block_size: blocks larger than this are not paired (see :mod:`~sfbridge.matching.blocking`).
        default_region: where phone numbers without a country code are read when the record's
            country is unknown.
        workers: processes reading phone numbers; 0 means one per CPU.
        phones: phone placeholders and fallback regions.
    """

    threshold: float = 0.85
    max_block_size: int = 100
    default_region: str = "US"
    workers: int = 0
    phones: PhoneSettings = field(default_factory=PhoneSettings)

    @property
    def processes(self) -> int:
        """The number of phone-reading processes to use: ``workers``, else the CPUs this process may use (at most 8)."""
        if self.workers:
            return self.workers
        # The CPUs this process may run on (a container's limit), not the machine's count.
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return min(usable, _MAX_WORKERS)


def _holders(people: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    # Lazily, so each filter copies the two columns it keeps, not the whole people frame.
    lazy = people.lazy()
    emails = lazy.filter(pl.col("email_valid")).group_by("email_key").agg(email_count=pl.col("idx").n_unique())
    phones = pl.concat(
        [
            lazy.filter(pl.col(f"{field}_valid")).select("idx", shared_phone=pl.col(f"{field}_e164"))
            for field in PHONE_FIELDS
        ]
    )
    holders = phones.group_by("shared_phone").agg(phone_count=pl.col("idx").n_unique())
    return emails.collect(), holders.collect()


class Matching:
    """Duplicate matching over one people frame; every result is computed once, when first read."""

    def __init__(self, people: pl.DataFrame, *, settings: MatchSettings, accounts: pl.DataFrame | None = None) -> None:
        """Hold a people frame (:data:`~sfbridge.matching.people.PEOPLE_SCHEMA`) and the org's Accounts.

        Args:
            people: the people to match.
            settings: thresholds and limits.
            accounts: Account rows (``Id``, ``Name``, ``Website``) people may belong to.
        """
        self._raw = people
        self._accounts = accounts if accounts is not None else pl.DataFrame(schema=dict(ACCOUNT_FIELDS))
        self.settings = settings
        self._reading: tuple[pl.DataFrame, pl.DataFrame, PhoneBatch] | None = None

    def start(self) -> None:
        """Start reading the phone numbers (in worker processes for many), so other work overlaps it.

        Reading phones is most of the cost of :attr:`people` on a large org; an audit starts it
        first and runs the checks that do not need people meanwhile. Call :meth:`close` when
        done (reading :attr:`people` closes it too).
        """
        if "people" not in self.__dict__:
            self._started()

    def _started(self) -> tuple[pl.DataFrame, pl.DataFrame, PhoneBatch]:
        if self._reading is None:
            located = locate_people(self._raw, default_region=self.settings.default_region)
            self._raw = self._raw.clear()  # the located frame holds every raw column
            values = phone_values(located)
            reader = self.settings.phones.reader(values, default_region=self.settings.default_region)
            self._reading = (located, values, PhoneBatch(values, workers=self.settings.processes, reader=reader))
        return self._reading

    def close(self) -> None:
        """Stop reading phone numbers, if a reading was started and not used."""
        if self._reading is not None:
            self._reading[2].close()
            self._reading = None

    @cached_property
    def people(self) -> pl.DataFrame:
        """The people with their normalised columns (see :func:`~sfbridge.matching.normalise.normalise_located`).

        The raw columns only ``filled`` reads (title and address) and the phone extensions
        are left out.
        """
        located, values, batch = self._started()
        try:
            # Only ``filled`` reads these columns; a million people's copies are ~150 MB.
            return normalise_located(located, values, batch).drop(_UNREAD)
        finally:
            self.close()

    @cached_property
    def candidates(self) -> Candidates:
        """The pairs compared, and the blocks skipped as too large."""
        return candidate_pairs(blocking_keys(self.people), max_block_size=self.settings.max_block_size)

    @cached_property
    def scored(self) -> pl.DataFrame:
        """Every candidate pair with its agreement levels, ``weight`` and ``score``."""
        emails, phones = _holders(self.people)
        side = comparison_side(self.people)
        # In batches: a comparison holds both people's values for each pair, which for a
        # million-record org's pairs at once would be the largest frame of the audit.
        candidates = self.candidates.pairs
        batches = []
        for pairs in list(candidates.iter_slices(_PAIR_BATCH)) or [candidates]:  # one empty batch for no pairs
            compared = compare_sides(side, pairs)
            compared = compared.join(emails, on="email_key", how="left").join(phones, on="shared_phone", how="left")
            # Keep the levels and what explanations quote; the compared values are done with.
            batches.append(score_pairs(compared).select(_SCORED))
        return pl.concat(batches)

    @cached_property
    def pairs(self) -> pl.DataFrame:
        """The matched pairs: ``left``/``right`` (row numbers), their records, ``score`` and ``reasons``."""
        matched = self.scored.filter(pl.col("score") >= self.settings.threshold)
        shown = self.people.select(**{name: pl.col(column) for name, column in _SHOWN.items()})
        left = shown.select(pl.all().gather(matched.get_column("left")))
        right = shown.select(pl.all().gather(matched.get_column("right"))).rename(lambda name: f"{name}_r")
        matched = pl.concat([matched, left, right], how="horizontal")
        reasons = reasons_column(matched)
        return matched.select(
            "left",
            "right",
            left_id=pl.col("show_id"),
            right_id=pl.col("show_id_r"),
            left_sobject=pl.col("show_sobject"),
            right_sobject=pl.col("show_sobject_r"),
            score=pl.col("score"),
            reasons=reasons,
        ).sort("left_id", "right_id")

    @cached_property
    def clusters(self) -> pl.DataFrame:
        """One row per record in a cluster, with the cluster's survivor (see :func:`.clusters.cluster_members`)."""
        return cluster_members(self.people, self.pairs.select("left", "right"))

    @cached_property
    def members(self) -> pl.DataFrame:
        """:attr:`clusters` with each record's own values and the records it matched directly.

        Adds ``first_name``, ``last_name``, ``email``, ``phone``, ``mobile_phone``,
        ``company``, ``account_id``, ``best_score`` and ``matches`` (a list of
        ``other_id``/``other_sobject``/``score``/``reasons``, best first).
        """
        shown = self.people.select(
            "idx", "first_name", "last_name", "email", "phone", "mobile_phone", "company", "account_id"
        )
        return self.clusters.join(shown, on="idx", how="left").join(
            direct_links(self.pairs), on="record_id", how="left"
        )

    @cached_property
    def account_keys(self) -> pl.DataFrame:
        """The Accounts' name keys and website domains (see :mod:`~sfbridge.matching.accounts`)."""
        return account_keys(self._accounts)

    def account_links(self, people: pl.DataFrame) -> pl.DataFrame:
        """Link some of :attr:`people` to Accounts by company name or email domain.

        Args:
            people: rows of :attr:`people`.

        Returns:
            See :func:`~sfbridge.matching.accounts.account_links`.
        """
        return account_links(people, self.account_keys)
