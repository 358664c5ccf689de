"""The match model: Fellegi-Sunter m and u probabilities per comparison level, learned from the org.

For each comparison (first name, last name, email, phone, birthdate, country, place) and each
of its agreement levels:

- ``u``: how often two *different* people agree at that level. Estimated from random pairs
  of the org's people (nearly all random pairs are two people), as Splink does
  (``estimate_u_using_random_sampling``); for exact agreements on a name, email or phone,
  exactly, from how often each value occurs.
- ``m``: how often two records of *one* person agree at that level. There are no labels, so it
  is estimated by expectation-maximisation over candidate pairs (Fellegi and Sunter 1969;
  Winkler 1988): guess each pair's chance of being one person, re-estimate m from those
  chances, repeat until m stops changing.
- The match weight of a level is log2(m/u); a pair's weight is the prior log-odds that two
  random records are one person plus its levels' weights (see :mod:`~sfbridge.matching.scoring`).

What keeps the estimates honest:

- EM learns from the kinds of blocking key whose pairs are often one person (by the priors'
  reading, at least ``TRAINING_SHARE`` of them), as a Splink user picks training blocking
  rules: most pairs that merely share a surname's sound in a city are two people.
- A blocking key makes its own fields agree whatever the truth (people sharing an email key
  agree on email), so EM runs one session per training kind of key, leaving out the
  comparisons that kind conditioned (:data:`~sfbridge.matching.blocking.CONDITIONED`), as
  Splink trains one blocking rule at a time; each comparison's m is the sessions' estimates
  where it was free, weighted by how many pairs of one person each saw.
- Candidates are chosen by agreements, and what goes with them agrees too (one city, so one
  country; one employer, so one office address): two people among candidates look nothing
  like two random people. Inside the EM, the non-matches' distribution is therefore learned
  too (drawn towards the random pairs' u), as Winkler's EM does on blocked pairs; the random
  pairs' u is the one pairs are scored with. Pairs a hard-negative rule keeps apart count as
  two people.
- The hand-set weights of :mod:`~sfbridge.matching.priors` are a Dirichlet prior worth
  ``PRIOR_PAIRS`` pairs: a level an org rarely shows keeps its prior weight, and an org with
  fewer than ``MIN_PAIRS`` training pairs is scored by the priors alone.

Why this model and not Splink itself as the scoring engine, decided by measurement
(``benchmarks/matching_accuracy.py``, both engines side by side in one run, the results in
``benchmarks/README.md``): on every labelled set this engine's F1 is above Splink's
unsupervised F1 on the same fields, and above Splink's best over four recipes and every
threshold (which reads the labels) on all but the historical figures; Splink's EM takes
"same address" for "same person" and joins households that sfbridge's hard-negative rules
keep apart. Splink would also add DuckDB and sqlglot (about 84 MB installed) to every install
and a second dataframe engine beside polars, for the Spark back end that orgs of one
machine's size do not need. Splink's methods are kept (u from random pairs, EM per blocking
rule, term frequencies, waterfalls); its runtime is a benchmark-only dependency.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from sfbridge.matching.blocking import CONDITIONED, KINDS
from sfbridge.matching.priors import CANDIDATE_PRIOR, COMPARISONS, WEIGHTS

__all__ = ["MIN_PAIRS", "PRIOR_PAIRS", "TRAINING_SHARE", "MatchModel", "fit_model", "prior_model", "training_kinds"]

#: Fewer training pairs than this and the org is scored by the hand-set priors alone.
MIN_PAIRS = 200
#: A kind of blocking key trains the model when at least this share of its pairs are one
#: person by the priors' reading.
TRAINING_SHARE = 0.1
#: How many pairs' worth of evidence the priors count for in each m estimate.
PRIOR_PAIRS = 20.0
_MAX_ITERATIONS = 500  # per session; EM creeps when one level is rare
_TOLERANCE = 1e-5  # the largest change of any m that counts as converged
_FLOOR = 1e-9  # no probability is exactly zero: log2(0) has no weight


@dataclass(frozen=True)
class MatchModel:
    """m and u per comparison level, and the prior, with how they were found.

    Attributes:
        prior: log2 odds, before any comparison, that two records are one person. Learned:
            of two random records; priors only: of two records sharing a blocking key.
        m: per comparison, per level (``missing`` apart, which weighs nothing), P(level | one person).
        u: the same, P(level | two people).
        learned: whether m and u were estimated from the org (False: the hand-set priors).
        pairs: the candidate pairs the model was fitted on.
        random_pairs: the random pairs u was estimated from.
        iterations: EM iterations run.
        converged: whether EM stopped because m stopped changing.
        match_rate: the EM's share of candidate pairs that are one person.
        tf: per comparison, the levels whose weight depends on how many people share the value.
        training_kinds: the kinds of blocking key the EM learned from.
        hand_set_reason: why the priors were used (``too_few_pairs``, ``learn_weights_off``),
            None when learned.
        kept_from: the snapshot moment (ISO) of the earlier audit that learned this model, when
            it was kept and not learned now (see :mod:`~sfbridge.matching.kept_model`).
        drift: how far the candidate pairs (their patterns, how many) and the people moved since
            it was learned, when kept (:meth:`~sfbridge.matching.kept_model.KeptModel.drift`).
    """

    prior: float
    m: Mapping[str, Mapping[str, float]]
    u: Mapping[str, Mapping[str, float]]
    learned: bool
    pairs: int = 0
    random_pairs: int = 0
    iterations: int = 0
    converged: bool = True
    match_rate: float | None = None
    tf: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    training_kinds: tuple[str, ...] = ()
    hand_set_reason: str | None = None
    kept_from: str | None = None
    drift: float | None = None

    def weight(self, comparison: str, level: str) -> float:
        """log2(m/u) of one level (the hand-set weight itself for the priors); ``missing`` weighs nothing."""
        if level == "missing":
            return 0.0
        if not self.learned:
            return WEIGHTS[comparison][level]
        return math.log2(max(self.m[comparison][level], _FLOOR) / max(self.u[comparison][level], _FLOOR))

    def weights(self) -> dict[str, dict[str, float]]:
        """Every level's match weight, per comparison (``missing`` is 0)."""
        return {
            comparison: {level: round(self.weight(comparison, level), 3) for level in WEIGHTS[comparison]}
            for comparison in COMPARISONS
        }

    def as_json(self) -> dict[str, Any]:
        """The model as findings.json and the run store it: how it was found, and every level's m, u and weight.

        Every number is a Python int or float: fitting computes with numpy, and orjson (the
        store's JSON columns, findings.json) refuses numpy scalars.
        """
        return {
            "learned": bool(self.learned),
            "prior_log2_odds": round(float(self.prior), 3),
            "candidate_pairs": int(self.pairs),
            "random_pairs": int(self.random_pairs),
            "em_iterations": int(self.iterations),
            "converged": bool(self.converged),
            "training_match_rate": None if self.match_rate is None else round(float(self.match_rate), 5),
            "training_blocking_keys": list(self.training_kinds),
            "hand_set_reason": self.hand_set_reason,
            "kept_from_snapshot": self.kept_from,
            "drift": None if self.drift is None else round(float(self.drift), 5),
            "min_training_pairs": MIN_PAIRS,
            "comparisons": {
                comparison: {
                    level: {
                        # Hand-set weights have no m or u of their own (those the scoring uses
                        # only reproduce the weights), so none is shown as if measured.
                        "m": _rounded(self.m[comparison][level]) if self.learned else None,
                        "u": _rounded(self.u[comparison][level]) if self.learned else None,
                        "weight": round(float(self.weight(comparison, level)), 3),
                        "term_frequency_adjusted": level in self.tf.get(comparison, ()),
                    }
                    for level in WEIGHTS[comparison]
                    if level != "missing"
                }
                for comparison in COMPARISONS
            },
        }


def _rounded(value: float) -> float:
    return float(f"{value:.4g}")


def _levels(comparison: str) -> list[str]:
    return [level for level in WEIGHTS[comparison] if level != "missing"]


def _from_weights(u: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """M implied by the hand weights and a u: m ∝ u·2^w, normalised per comparison."""
    m = {}
    for comparison in COMPARISONS:
        raw = {level: u[comparison][level] * 2.0 ** WEIGHTS[comparison][level] for level in _levels(comparison)}
        total = sum(raw.values())
        m[comparison] = {level: value / total for level, value in raw.items()}
    return m


def _even_u() -> dict[str, dict[str, float]]:
    # The hand weights are odds against candidates, not random pairs: any u reproduces them
    # through m = u·2^w; an even u keeps m's shape readable.
    return {
        comparison: dict.fromkeys(_levels(comparison), 1.0 / len(_levels(comparison))) for comparison in COMPARISONS
    }


def prior_model(*, pairs: int = 0, reason: str | None = None) -> MatchModel:
    """The hand-set weights as a model: for orgs too small to learn from, and as the fitting's prior.

    Args:
        pairs: the candidate pairs it scores (for the record).
        reason: why it is used (``too_few_pairs``, ``learn_weights_off``).
    """
    u = _even_u()
    # The hand-set weight of a shared email or phone drops with how many people hold it
    # (scoring._shared), as a learned model's drops with its term frequency.
    shared = {"email": ("same",), "phone": ("same",)}
    return MatchModel(
        prior=CANDIDATE_PRIOR, m=_from_weights(u), u=u, learned=False, pairs=pairs, tf=shared, hand_set_reason=reason
    )


def _codes(levels: pl.DataFrame) -> np.ndarray:
    """Level codes, one column per comparison: the level's position in ``_levels``, -1 for missing."""
    columns = []
    for comparison in COMPARISONS:
        order = {level: code for code, level in enumerate(_levels(comparison))}
        columns.append(levels.get_column(comparison).replace_strict(order, default=-1, return_dtype=pl.Int8).to_numpy())
    return np.column_stack(columns) if columns else np.empty((levels.height, 0), dtype=np.int8)


def estimate_u(levels: pl.DataFrame) -> dict[str, dict[str, float]]:
    """U from the levels of random pairs: each level's share among the pairs where both values are present.

    A level never seen in the sample gets half a pair's worth (so its weight is large but finite).

    Args:
        levels: one row per random pair, a column per comparison.

    Returns:
        Per comparison, per level (``missing`` apart), its probability among two people.
    """
    u: dict[str, dict[str, float]] = {}
    for comparison in COMPARISONS:
        counts = levels.get_column(comparison).value_counts()
        seen = dict(zip(counts.get_column(comparison).to_list(), counts.get_column("count").to_list(), strict=True))
        names = _levels(comparison)
        present = sum(seen.get(level, 0) for level in names)
        u[comparison] = {level: (seen.get(level, 0) + 0.5) / (present + 0.5 * len(names)) for level in names}
    return u


def training_kinds(scored: pl.DataFrame) -> tuple[str, ...]:
    """The kinds of blocking key whose pairs are often enough one person to learn from.

    Args:
        scored: candidate pairs with ``kinds`` and ``score`` under the priors.

    Returns:
        The kinds, in :data:`~sfbridge.matching.blocking.KINDS` order.
    """
    chosen = []
    for bit, kind in enumerate(KINDS):
        scores = scored.filter((pl.col("kinds") & (1 << bit)) != 0).get_column("score")
        likely = int((scores >= 0.5).sum())  # noqa: PLR2004 (even odds)
        if scores.len() and likely / scores.len() >= TRAINING_SHARE:
            chosen.append(kind)
    return tuple(chosen)


def fit_model(
    candidates: pl.DataFrame,
    random_levels: pl.DataFrame,
    *,
    people: int,
    u_same: Mapping[str, float] | None = None,
    tf: Mapping[str, tuple[str, ...]] | None = None,
) -> MatchModel:
    """Fit m by EM over the training pairs among the candidates, with u from random pairs.

    Args:
        candidates: one row per candidate pair: a level column per comparison, ``kinds``
            (the blocking-key bits of :class:`~sfbridge.matching.blocking.Candidates`),
            ``hard_negative`` (the rule keeping the pair apart, or null) and ``score`` under
            the priors (which picks the training kinds; without it every pair trains).
        random_levels: the levels of random pairs (for u).
        people: how many people were matched (for the prior of two random records).
        u_same: exact u of the ``same`` level, per comparison, where the value frequencies
            give it (sharper than a sample for rare agreements such as one email).
        tf: per comparison, the levels whose weights are adjusted by term frequency when scoring.

    Returns:
        The fitted model, or the priors when there are too few pairs to learn from.
    """
    if "score" in candidates.columns:
        kinds = training_kinds(candidates)
        mask = sum(1 << KINDS.index(kind) for kind in kinds)
        training = candidates.filter((pl.col("kinds") & mask) != 0)
    else:
        kinds, training = KINDS, candidates
    if training.height < MIN_PAIRS or people < 2:  # noqa: PLR2004 (two people make a pair)
        return prior_model(pairs=candidates.height, reason="too_few_pairs")
    all_pairs, candidates = candidates.height, training
    u = estimate_u(random_levels)
    for comparison, value in (u_same or {}).items():
        _set_same(u[comparison], value)
    prior_m = _from_weights(u)

    codes = _codes(candidates)
    kinds_bits = candidates.get_column("kinds").to_numpy()
    apart = candidates.get_column("hard_negative").is_not_null().to_numpy()
    # One EM session per training kind of key, on its pairs, without the comparisons that kind
    # made agree (as Splink trains one blocking rule at a time). A pair of one person shares
    # most keys, so leaving out every comparison any of its keys conditioned would leave
    # nothing to learn from; a session leaves out only its own.
    # The pairs are first folded into distinct (levels, rule, keys) patterns, once: a million
    # records' hundreds of thousands of pairs are a few thousand patterns.
    stacked = np.column_stack([codes.astype(np.int64), apart.astype(np.int64), kinds_bits.astype(np.int64)])
    distinct, inverse = _distinct_rows(stacked)
    weights = np.bincount(inverse.ravel(), minlength=len(distinct)).astype(np.float64)
    codes, apart, kinds_bits = distinct[:, : len(COMPARISONS)], distinct[:, -2] == 1, distinct[:, -1]
    sessions = []
    for kind in kinds:
        chosen = (kinds_bits >> KINDS.index(kind)) & 1 == 1
        session = codes[chosen].copy()
        for column, comparison in enumerate(COMPARISONS):
            if comparison in CONDITIONED[kind]:
                session[:, column] = -1
        sessions.append(_em(session, apart[chosen], weights[chosen], u, prior_m))
    m, iterations, converged = _combined(sessions, prior_m)
    # The pairs of one person among the training pairs: those of the session that saw most
    # (a pair of one person shares most keys, so nearly every one is in that session).
    rate = min(max(max(session.matches for session in sessions) / weights.sum(), 1e-6), 1 - 1e-6)
    # The prior of two random records: the expected pairs of one person among all pairs (the
    # training pairs hold nearly all of them: the other kinds are mostly two people).
    total_pairs = people * (people - 1) / 2
    random_rate = min(max(rate * candidates.height / total_pairs, 1e-12), 0.5)
    return MatchModel(
        prior=math.log2(random_rate / (1 - random_rate)),
        m=m,
        u=u,
        learned=True,
        pairs=all_pairs,
        random_pairs=random_levels.height,
        iterations=iterations,
        converged=converged,
        match_rate=rate,
        tf=dict(tf or {}),
        training_kinds=kinds,
    )


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` of integer rows, faster.

    Each row is packed into one integer whose order is the rows' lexicographic order, so the
    distinct rows and the inverse are exactly np.unique's; sorting rows as records takes
    several times longer for hundreds of thousands of pairs.
    """
    low = rows.min(axis=0, initial=0)
    spans = rows.max(axis=0, initial=0) - low + 1
    if not len(rows) or math.prod(int(span) for span in spans) >= 2**63:  # none, or too many for one int64
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
        return distinct, inverse.ravel()
    keys = np.zeros(len(rows), dtype=np.int64)
    for column, span in enumerate(spans):
        keys = keys * span + (rows[:, column] - low[column])
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return rows[first], inverse.ravel()


@dataclass(frozen=True)
class _Session:
    """What one EM session learned: m for the comparisons it left free, and how much it saw."""

    m: dict[str, dict[str, float]]
    free: frozenset[str]
    matches: float  # the expected pairs of one person in the session
    rate: float
    iterations: int
    converged: bool


def _em(
    codes: np.ndarray,
    apart: np.ndarray,
    weights: np.ndarray,
    u: Mapping[str, Mapping[str, float]],
    prior_m: Mapping[str, Mapping[str, float]],
) -> _Session:
    """Expectation-maximisation over pairs' level codes (-1: left out), from the priors.

    Args:
        codes: one row per pattern of pairs, a level code per comparison (-1 for missing or left out).
        apart: per row, whether a hard-negative rule keeps its pairs apart (then they are two people).
        weights: per row, how many pairs it stands for.
        u: the random pairs' u (the start, and the prior, of the candidates' own u).
        prior_m: the priors' m (the start, and the prior, of m).

    Returns:
        The session's m (for the comparisons it had free), match rate and convergence.
    """
    # Pairs with the same levels are one pattern: EM runs over hundreds of patterns, not millions of pairs.
    patterns, inverse = np.unique(np.column_stack([codes, apart.astype(codes.dtype)]), axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(patterns))
    held, patterns = patterns[:, -1] == 1, patterns[:, :-1]
    free = frozenset(c for column, c in enumerate(COMPARISONS) if (patterns[:, column] >= 0).any())
    m = {c: dict(prior_m[c]) for c in COMPARISONS}
    # Candidates are chosen by agreements, and what goes with those agreements agrees too (one
    # city, so one country; one employer, so one office address): two people among candidates
    # look nothing like two random people. So the EM learns the candidates' own u beside m,
    # drawn towards the random pairs' u, as Winkler's EM does on blocked pairs.
    u_c = {c: dict(u[c]) for c in COMPARISONS}
    rate, iterations, converged, weighted = 0.1, 0, False, counts * 0.0
    for iterations in range(1, _MAX_ITERATIONS + 1):  # noqa: B007 (the count is reported)
        # E: each pattern's chance of being one person, from the comparisons it has free.
        odds = np.full(len(patterns), math.log2(rate / (1 - rate)))
        for column, comparison in enumerate(COMPARISONS):
            names = _levels(comparison)
            log_m = np.log2([max(m[comparison][level], _FLOOR) for level in names])
            log_u = np.log2([max(u_c[comparison][level], _FLOOR) for level in names])
            present = patterns[:, column] >= 0
            odds[present] += (log_m - log_u)[patterns[present, column]]
        # A pair a hard-negative rule keeps apart is two people, whatever its agreements say:
        # colleagues agree on company, address and domain at once.
        posterior = np.where(held, 0.0, 1.0 / (1.0 + np.exp2(-np.clip(odds, -60, 60))))
        weighted, others = posterior * counts, (1.0 - posterior) * counts
        # M: m and u from the pairs' chances, the priors counting as PRIOR_PAIRS pairs each.
        change = 0.0
        for column, comparison in enumerate(COMPARISONS):
            u_c[comparison] = _estimate(patterns[:, column], others, u[comparison], comparison)
            if comparison in free:
                new_m = _estimate(patterns[:, column], weighted, prior_m[comparison], comparison)
                change = max(change, *(abs(new_m[level] - m[comparison][level]) for level in new_m))
                m[comparison] = new_m
        new_rate = float(min(max(weighted.sum() / counts.sum(), 1e-6), 1 - 1e-6))
        change, rate = max(change, abs(new_rate - rate)), new_rate
        if change < _TOLERANCE:
            converged = True
            break
    return _Session(m, free, float(weighted.sum()), rate, iterations, converged)


def _combined(
    sessions: list[_Session], prior_m: Mapping[str, Mapping[str, float]]
) -> tuple[dict[str, dict[str, float]], int, bool]:
    """Each comparison's m: the sessions that had it free, weighted by the pairs of one person each saw."""
    m = {}
    for comparison in COMPARISONS:
        learned = [(session.matches, session.m[comparison]) for session in sessions if comparison in session.free]
        total = sum(weight for weight, _ in learned)
        if not learned or total <= 0:
            m[comparison] = dict(prior_m[comparison])  # no session could see it: the prior stands
            continue
        m[comparison] = {
            level: sum(weight * values[level] for weight, values in learned) / total for level in prior_m[comparison]
        }
    iterations = sum(session.iterations for session in sessions)
    return m, iterations, all(session.converged for session in sessions)


def _estimate(codes: np.ndarray, weights: np.ndarray, prior: Mapping[str, float], comparison: str) -> dict[str, float]:
    """Each level's share of the weighted pairs that have it free, the prior counting as PRIOR_PAIRS pairs."""
    names = _levels(comparison)
    free = codes >= 0
    seen = np.bincount(codes[free], weights=weights[free], minlength=len(names))
    total = seen.sum() + PRIOR_PAIRS
    return {level: float((seen[code] + PRIOR_PAIRS * prior[level]) / total) for code, level in enumerate(names)}


def _set_same(levels: dict[str, float], same: float) -> None:
    """Give the ``same`` level an exact u and rescale the others to fill the rest."""
    if "same" not in levels:
        return
    same = min(max(same, _FLOOR), 1 - 1e-6)
    others = sum(value for level, value in levels.items() if level != "same")
    for level, value in levels.items():
        levels[level] = same if level == "same" else value * (1 - same) / others if others else 0.0
