"""The duplicate engine: normalise, block, compare, score, cluster and explain, each step on demand.

:class:`Matching` holds one people frame and computes each stage the first time it is asked
for, so the data-quality checks can use the normalised people (valid emails and phones)
without paying for the duplicate search, and the duplicate checks share one search.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import numpy as np
import polars as pl
import structlog

from sfbridge.matching.accounts import account_keys, account_links
from sfbridge.matching.best_values import MEMBER_COLUMNS, ValueRules, merged_values
from sfbridge.matching.blocking import Candidates, people_candidates
from sfbridge.matching.clusters import cluster_members, direct_links
from sfbridge.matching.compare import compare_sides, comparison_side
from sfbridge.matching.derived import Derived, DerivedStore, settings_digest
from sfbridge.matching.explain import reasons_column, waterfall_column
from sfbridge.matching.kept_model import kept_form, kept_model, level_patterns
from sfbridge.matching.linking import kept_links
from sfbridge.matching.model import MatchModel, fit_model, prior_model
from sfbridge.matching.normalise import PHONE_FIELDS, PhoneReadings, locate_people, normalise_located, phone_values
from sfbridge.matching.people import ACCOUNT_FIELDS
from sfbridge.matching.phones import PhoneSettings
from sfbridge.matching.placeholders import Placeholders
from sfbridge.matching.priors import COMPARISONS
from sfbridge.matching.scoring import TF_COLUMNS, TF_LEVELS, Frequencies, score_pairs, weight_columns
from sfbridge.matching.survivorship import DEFAULT_ORDER, SurvivorCriterion

log = structlog.get_logger()

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
    "show_street": "street",
    "show_postcode": "postal_code",
}

# People columns nothing reads after normalising (street and postcode are quoted in reasons);
# the email check trims the addresses it shows again (email_syntax.trimmed_email).
_UNREAD = ("title", "state", "email_trim", *[f"{field}_ext" for field in PHONE_FIELDS])
# Of those, what the merged values of clusters read: kept aside, and cut to cluster members
# once the clusters are known (a few per cent of the people).
_FOR_VALUES = ("title", "state")
_ASIDE_SCHEMA = {"idx": pl.UInt32, **dict.fromkeys(_FOR_VALUES, pl.Utf8)}
# People columns only the data-quality checks read (the email and phone checks), never the
# search: at a million people ~150 MB (a text column is 16 bytes a row even when null).
_CHECKED_ONLY = (
    "is_converted",
    "email_problem",
    "email_placeholder",
    *[f"{field}_{part}" for field in PHONE_FIELDS for part in ("problem", "level", "fallback", "fix")],
)
_PAIR_BATCH = 100_000  # candidate pairs compared at a time
# What only comparing and scoring the candidates read (cached properties of Matching): let go
# once ``scored`` is made.
_SCORING_ONLY = ("_side", "_candidate_levels", "_holders", "_frequencies")
# Random pairs u is estimated from (Splink's default is up to a million). Exact agreements'
# u comes from the value counts instead, so the sample only has to see the commoner levels;
# 100,000 pairs compare in about 0.7 s at a million records.
_RANDOM_PAIRS = 100_000
_SEED = 20261204  # the random pairs are drawn the same way every run: the same org, the same model
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
    "address",
    "postcode",
    "place",
    "same_domain",
    "email_key",
    "shared_phone",
    "email_count",
    "phone_count",
    "first_fold",
    "first_fold_r",
    "hard_negative",
    *weight_columns(),
    "weight",
    "score",
)

# What is kept of each compared pair until the model is fitted: its levels, the shared values
# term frequencies look up, and what explanations quote.
_LEVELS = (
    "left",
    "right",
    "kinds",
    "first_as_last",
    "last_as_first",
    "given_known",
    "given_known_swapped",
    *dict.fromkeys([*COMPARISONS, "company", "city", "address", "postcode", "same_domain"]),
    *dict.fromkeys(TF_COLUMNS.values()),
    "first_fold_r",
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
        placeholders: company and email values that mean "none" (never evidence).
        learn: whether to learn the weights from the people (False: the hand-set priors).
        relearn_drift: how far the candidate pairs (their agreement patterns, how many) and the
            people may move from those a kept model was learned from before it is learned anew
            (0: on every search; see :mod:`~sfbridge.matching.kept_model`).
        phones: phone placeholders and fallback regions.
        survivor: the criteria ranking a cluster's records, the record to keep first (see
            :mod:`~sfbridge.matching.survivorship`).
        values: the rules choosing each field's value of a merged record (see
            :mod:`~sfbridge.matching.best_values`).
    """

    threshold: float = 0.85
    max_block_size: int = 100
    default_region: str = "US"
    workers: int = 0
    placeholders: Placeholders = field(default_factory=Placeholders)
    learn: bool = True
    relearn_drift: float = 0.05
    phones: PhoneSettings = field(default_factory=PhoneSettings)
    survivor: tuple[SurvivorCriterion, ...] = DEFAULT_ORDER
    values: ValueRules = field(default_factory=ValueRules)

    @property
    def processes(self) -> int:
        """The number of phone-reading processes to use: ``workers``, else the CPUs this process may use (at most 8)."""
        if self.workers:
            return self.workers
        # The CPUs this process may run on (a container's limit), not the machine's count.
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return min(usable, _MAX_WORKERS)


def _holder_counts(people: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    # Lazily, so each filter copies the two columns it keeps, not the whole people frame.
    lazy = people.lazy()
    emails = lazy.filter(pl.col("email_evidence")).group_by("email_key").agg(email_count=pl.col("idx").n_unique())
    phones = pl.concat(
        [
            lazy.filter(pl.col(f"{field}_valid")).select("idx", shared_phone=pl.col(f"{field}_e164"))
            for field in PHONE_FIELDS
        ]
    )
    holders = phones.group_by("shared_phone").agg(phone_count=pl.col("idx").n_unique())
    return emails.collect(), holders.collect()


def _with_holders(compared: pl.DataFrame, emails: pl.DataFrame, phones: pl.DataFrame) -> pl.DataFrame:
    """Compared pairs with ``email_count`` and ``phone_count``: how many people hold the shared email and phone.

    A join hashes its whole right side: the holder tables have a row per email and number of
    a million people, a batch of pairs a few tens of thousands of values. So the tables are cut
    to the batch's values first.
    """
    for table, column in ((emails, "email_key"), (phones, "shared_phone")):
        shown = compared.get_column(column).drop_nulls().unique().implode()
        compared = compared.join(
            table.filter(pl.col(column).is_in(shown)), on=column, how="left", maintain_order="left"
        )
    return compared


class Matching:
    """Duplicate matching over one people frame; every result is computed once, when first read."""

    def __init__(
        self,
        people: pl.DataFrame,
        *,
        settings: MatchSettings,
        accounts: pl.DataFrame | None = None,
        derived: DerivedStore | None = None,
        as_of: datetime | None = None,
    ) -> None:
        """Hold a people frame (:data:`~sfbridge.matching.people.PEOPLE_SCHEMA`) and the org's Accounts.

        Args:
            people: the people to match.
            settings: thresholds and limits.
            accounts: Account rows (``Id``, ``Name``, ``Website``) people may belong to.
            derived: where the normalisers' tables of distinct values, and the learned match
                model, are kept between runs (see :mod:`sfbridge.matching.derived` and
                :mod:`sfbridge.matching.kept_model`); None derives every value and learns the model.
            as_of: the snapshot moment the people stand for: a model learned from them is kept
                as learned then.
        """
        self._raw = people
        self._as_of = as_of
        self._accounts = accounts if accounts is not None else pl.DataFrame(schema=dict(ACCOUNT_FIELDS))
        self.settings = settings
        self._derived = Derived(derived)
        self._reading: tuple[pl.DataFrame, PhoneReadings] | None = None
        self._for_values: pl.DataFrame | None = None  # idx and the dropped columns merged values read
        self._people_released = False  # see release_people
        self._located = False  # the raw people were located (and let go): see start
        self._checked_released = False  # see release_checked

    @classmethod
    def from_normalised(
        cls,
        normalised: pl.DataFrame,
        *,
        settings: MatchSettings,
        accounts: pl.DataFrame | None = None,
        derived: DerivedStore | None = None,
        as_of: datetime | None = None,
    ) -> Matching:
        """A matching whose people are already normalised: :meth:`normalised_people` of an earlier matching.

        The same people under the same settings give the same search, nothing derived again
        (``sfbridge pull`` keeps them so, see :mod:`sfbridge.prepare`).
        """
        matching = cls(pl.DataFrame(), settings=settings, accounts=accounts, derived=derived, as_of=as_of)
        matching._located = True  # nothing to locate, nothing to start reading
        matching._for_values = normalised.select("idx", *_FOR_VALUES)
        # Where the cached property `people` keeps its value: it is made, as if read once.
        matching.__dict__["people"] = normalised.drop(_FOR_VALUES)
        return matching

    def normalised_people(self) -> pl.DataFrame:
        """The people as :attr:`people` has them, with what :attr:`best_values` reads beside them (title, state).

        What :meth:`from_normalised` takes; made (normalised) now if they were not.
        """
        people = self.people
        # Once the clusters are known, the set-aside columns are cut to their members; once the
        # data-quality checks are done, their columns are gone: the people are no longer whole.
        if "clusters" in self.__dict__ or self._checked_released or self._for_values is None:
            msg = "Matching.normalised_people after release_checked or the clusters: the people are no longer whole"
            raise RuntimeError(msg)
        return people.with_columns(self._for_values.get_column(name) for name in _FOR_VALUES)

    def start(self) -> None:
        """Start reading the phone numbers (in worker processes for many), so other work overlaps it.

        Reading phones is most of the cost of :attr:`people` on a large org; an audit with
        phones still to read starts it first and runs the checks that do not need people
        meanwhile. Call :meth:`close` when done (reading :attr:`people` closes it too). Once
        started (or the people made), calling it again does nothing; after :meth:`close` or
        :meth:`release_people` it raises, as the people cannot be made again.
        """
        if "people" in self.__dict__:
            return
        if self._reading is None and (self._located or self._people_released):
            msg = "Matching.start after close or release_people: the raw people were let go"
            raise RuntimeError(msg)
        self._started()

    def _started(self) -> tuple[pl.DataFrame, PhoneReadings]:
        if self._reading is None:
            region = self.settings.default_region
            located = locate_people(self._raw, default_region=region, derived=self._derived)
            self._raw = self._raw.clear()  # the located frame holds every raw column
            self._located = True
            values = phone_values(located)
            reader = self.settings.phones.reader(values, default_region=region)
            readings = PhoneReadings(values, reader, workers=self.settings.processes, derived=self._derived)
            self._reading = (located, readings)
        return self._reading

    def close(self) -> None:
        """Stop reading phone numbers, if a reading was started and not used."""
        if self._reading is not None:
            self._reading[1].close()
            self._reading = None

    @cached_property
    def people(self) -> pl.DataFrame:
        """The people with their normalised columns (see :func:`~sfbridge.matching.normalise.normalise_located`).

        The raw columns only ``filled`` reads (title and state), the trimmed email and the
        phone extensions are left out; :attr:`best_values` reads the title and state of
        cluster members.
        """
        if self._people_released:
            # A reader the caller did not expect after release_people: fail loudly (the raw
            # people are gone, the frame cannot be made again).
            msg = "the people frame was released (Matching.release_people) before this read"
            raise RuntimeError(msg)
        located, readings = self._started()
        try:
            # Only ``filled`` reads these columns; a million people's copies are ~150 MB.
            placeholders = self.settings.placeholders
            people = normalise_located(
                located, readings, placeholders=placeholders, derived=self._derived, unread=_UNREAD
            )
            # As Categoricals while the search runs (a few thousand titles and states: 4 bytes a
            # person instead of a text view's 16, ~20 MB less at a million people); back to
            # text for the cluster members only (see clusters).
            self._for_values = people.select("idx", pl.col(_FOR_VALUES).cast(pl.Categorical))
            return people.drop(_UNREAD, strict=False)
        finally:
            self.close()

    @cached_property
    def candidates(self) -> Candidates:
        """The pairs compared, and the blocks skipped as too large."""
        return people_candidates(self.people, max_block_size=self.settings.max_block_size)

    @cached_property
    def _holders(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        return _holder_counts(self.people)

    @cached_property
    def _side(self) -> pl.DataFrame:
        return comparison_side(self.people)

    def _compared(self, pairs: pl.DataFrame) -> pl.DataFrame:
        emails, phones = self._holders
        batches = []
        # In batches: a comparison holds both people's values for each pair, which for a
        # million-record org's pairs at once would be the largest frame of the audit.
        for batch in list(pairs.iter_slices(_PAIR_BATCH)) or [pairs]:  # one empty batch for no pairs
            compared = _with_holders(compare_sides(self._side, batch), emails, phones)
            batches.append(compared.select(*_LEVELS, "email_count", "phone_count"))
        return pl.concat(batches)

    @cached_property
    def _candidate_levels(self) -> pl.DataFrame:
        return self._compared(self.candidates.pairs)

    def _random_pairs(self) -> pl.DataFrame:
        people = self.people.height
        total = people * (people - 1) // 2
        rng = np.random.default_rng(_SEED)
        if total <= _RANDOM_PAIRS:  # a small org: every pair
            left, right = np.triu_indices(people, k=1)
        else:
            left, right = rng.integers(0, people, _RANDOM_PAIRS), rng.integers(0, people, _RANDOM_PAIRS)
            left, right = np.minimum(left, right)[left != right], np.maximum(left, right)[left != right]
        return pl.DataFrame(
            {"left": left, "right": right}, schema={"left": pl.UInt32, "right": pl.UInt32}
        ).with_columns(kinds=pl.lit(0, dtype=pl.UInt32))

    @cached_property
    def model(self) -> MatchModel:
        """The weights: kept from an earlier search, learned from these people, or the hand-set priors.

        A learned model is kept (where ``derived`` keeps things) and scores later searches
        while their candidate pairs look as these do (see :mod:`~sfbridge.matching.kept_model`).
        """
        levels = self._candidate_levels
        if not self.settings.learn:
            return prior_model(pairs=levels.height, reason="learn_weights_off")
        patterns = level_patterns(levels)
        settings = self._model_settings()
        # A drift allowance of 0 learns on every search: no kept model is read (the one
        # learned is still kept, for a later search allowed some drift).
        kept = kept_model(self._derived.kept_model(settings)) if self.settings.relearn_drift > 0 else None
        if kept is not None:
            drift = kept.drift(patterns, self.people.height)
            if drift <= self.settings.relearn_drift:
                log.info("match_model_kept", learned_from=kept.snapshot_at, drift=round(drift, 5))
                return kept.scoring(drift=drift, pairs=levels.height)
            log.info("match_model_relearned", learned_from=kept.snapshot_at, drift=round(drift, 5))
        random = score_pairs(self._compared(self._random_pairs()), prior_model())
        model = fit_model(
            score_pairs(levels, prior_model()),
            random,
            people=self.people.height,
            u_same=self._u_same(),
            tf=TF_LEVELS,
        )
        if model.learned:
            moment = None if self._as_of is None else self._as_of.astimezone(UTC).isoformat().replace("+00:00", "Z")
            form = kept_form(model, patterns=patterns, people=self.people.height, snapshot_at=moment)
            self._derived.keep_model(settings, form)
        return model

    def _model_settings(self) -> str:
        """What a kept model must have been learned under: the settings that make the candidates and their levels."""
        chosen = self.settings
        return settings_digest(
            "match model", chosen.max_block_size, chosen.default_region, chosen.placeholders, chosen.phones
        )

    def _u_same(self) -> dict[str, float]:
        """P(two people share a value | both have one), per term-frequency comparison: Σ n² / M²."""
        return {comparison: self._frequencies.shared[comparison] for comparison in ("first", "last", "email", "phone")}

    @cached_property
    def _frequencies(self) -> Frequencies:
        emails, phones = self._holders
        return Frequencies.of(self.people, phones, emails)

    @cached_property
    def scored(self) -> pl.DataFrame:
        """Every candidate pair with its agreement levels, weights per comparison, ``weight`` and ``score``."""
        frequencies = self._frequencies if self.model.learned else None
        scored = score_pairs(self._candidate_levels, self.model, frequencies).select(_SCORED)
        # Only scoring reads these: a million people's comparison side, the candidates' levels
        # and the holder tables are some 300 MB the clusters and findings need next. Each is
        # computed again, the same, should anything read it later.
        for name in _SCORING_ONLY:
            self.__dict__.pop(name, None)
        return scored

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
            waterfall=waterfall_column(matched, self.model),
        ).sort("left_id", "right_id")

    @cached_property
    def clusters(self) -> pl.DataFrame:
        """One row per record in a cluster, with the cluster's survivor (see :func:`.clusters.cluster_members`).

        Clusters are linked strongest match first and never hold two records a hard-negative
        rule keeps apart (see :mod:`~sfbridge.matching.linking`).
        """
        apart = self.scored.filter(pl.col("hard_negative").is_not_null()).select("left", "right")
        links = kept_links(self.pairs.select("left", "right", "score"), apart)
        clusters = cluster_members(self.people, links, self.settings.survivor)
        if self._for_values is not None:
            # From here on only cluster members' titles and states are read: let the rest go.
            members = self._for_values.filter(pl.col("idx").is_in(clusters.get_column("idx").implode()))
            self._for_values = members.with_columns(pl.col(_FOR_VALUES).cast(pl.Utf8))
        # Every candidate pair's levels and weights (~100 MB at a million people) were read for
        # the matched pairs and the hard negatives: both are taken. Scored again if read again.
        self.__dict__.pop("scored", None)
        return clusters

    @cached_property
    def best_values(self) -> pl.DataFrame:
        """Per cluster and field, the value the merged record should carry (see :func:`.best_values.merged_values`).

        One row per cluster and field: ``cluster_id``, ``survivor_id``, ``field``, ``value``,
        ``source_id``, ``rule`` and ``changes_survivor``. Only cluster members are read.
        """
        clusters = self.clusters
        own = [column for column in MEMBER_COLUMNS if column not in clusters.columns and column not in _FOR_VALUES]
        people = self.people.select(pl.col(own).gather(clusters.get_column("idx")))
        members = pl.concat([clusters, people], how="horizontal")
        # Reading the clusters read the people, which set the columns aside.
        aside = self._for_values if self._for_values is not None else pl.DataFrame(schema=_ASIDE_SCHEMA)
        members = members.join(aside, on="idx", how="left")
        return merged_values(members, rules=self.settings.values, placeholders=self.settings.placeholders)

    def _pairs_within_clusters(self) -> pl.DataFrame:
        # A match left out of the clusters (a bridge between people a rule keeps apart) is no
        # reason shown for a cluster it does not join.
        cluster = self.clusters.select("idx", "cluster_id")
        pairs = self.pairs.join(cluster.rename({"idx": "left", "cluster_id": "left_cluster"}), on="left")
        pairs = pairs.join(cluster.rename({"idx": "right", "cluster_id": "right_cluster"}), on="right")
        return pairs.filter(pl.col("left_cluster") == pl.col("right_cluster")).drop("left_cluster", "right_cluster")

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
            direct_links(self._pairs_within_clusters()), on="record_id", how="left"
        )

    def release_checked(self) -> None:
        """Let the people columns go that only the data-quality checks read, keeping what the search reads.

        An audit runs those checks first and calls this before the search, whose frames then
        take the columns' place (~150 MB at a million people). Reading a dropped column of
        :attr:`people` afterwards raises (polars' ColumnNotFoundError).
        """
        self.__dict__["people"] = self.people.drop(_CHECKED_ONLY, strict=False)
        self._checked_released = True

    def release_people(self) -> None:
        """Let the people frame go, keeping what the search found: :attr:`members` and :attr:`best_values`.

        Both are computed first (each reads the people); so is the search, if it has not run.
        The people frame (~330 MB at a million people) and the search's other frames (the
        pairs, the clusters) are the largest things an audit holds while the duplicate findings
        are built, and those findings read only these two. Reading :attr:`people` afterwards
        (or anything made from it and not kept) raises.
        """
        self.members  # noqa: B018 (computed now, while the people are here)
        self.best_values  # noqa: B018
        for name in ("people", "candidates", "scored", "pairs", "clusters", *_SCORING_ONLY):
            self.__dict__.pop(name, None)
        self._for_values = None
        self._people_released = True

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
