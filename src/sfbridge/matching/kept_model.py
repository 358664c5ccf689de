"""The learned match model kept between audits, until the org's pairs have moved.

Learned again on every audit, the weights moved a little with every pull, and with them every
duplicate's score and waterfall: after 1 % of a million records changed, 42,687 of 43,279
duplicate findings changed though their records had not, and an admin comparing two audits
saw every cluster rescored. Splink's users train a model once and score with it until they
train again; here the model an audit learns is kept in the store, and later audits score with
it while the candidate pairs look as they did when it was learned.

What the model is learned from is the candidate pairs' agreement patterns (one level per
comparison: which pairs agree on email, nearly agree on a name, ...), and its prior follows
how many people and pairs there are. So the kept model holds how many pairs showed each
pattern and how many people there were, and a later audit compares its own. The *drift* is
the largest of: the share of pairs that would have to change pattern to turn one
distribution into the other (the total variation distance, 0 to 1), and how much the people
and the pairs have grown or shrunk (as a share of what they were). Up to ``[duplicates]
relearn_drift`` the kept model scores; above it, or under other matching settings, another
sfbridge or libraries (the settings digest), the model is learned anew and kept in its
place. Only a learned model is kept: the hand-set weights need no keeping.

The random pairs u is estimated from are never drawn for a kept model, and the term
frequencies still come from the org as it is now (a rare surname's weight follows how many
people hold it today).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from sfbridge.matching.model import MatchModel
from sfbridge.matching.priors import COMPARISONS, WEIGHTS

__all__ = ["KeptModel", "kept_form", "kept_model", "level_patterns", "pattern_drift"]

_FORMAT = 1  # of the kept form; another is learned anew


@dataclass(frozen=True)
class KeptModel:
    """A model an earlier audit learned: the model, the patterns it was learned from, and that audit's snapshot."""

    model: MatchModel
    patterns: Mapping[str, int]
    people: int
    snapshot_at: str | None

    def drift(self, patterns: Mapping[str, int], people: int) -> float:
        """How far a search of ``people`` whose candidates show ``patterns`` has moved from this model's."""
        return max(
            pattern_drift(self.patterns, patterns),
            _grown(sum(self.patterns.values()), sum(patterns.values())),
            _grown(self.people, people),
        )

    def scoring(self, *, drift: float, pairs: int) -> MatchModel:
        """The model as a later search scores its ``pairs`` candidates with it: where it was learned, the drift since.

        Its EM figures (iterations, training match rate, random pairs) stay those of the audit
        that learned it.
        """
        return replace(self.model, kept_from=self.snapshot_at, drift=drift, pairs=pairs)


def level_patterns(levels: pl.DataFrame) -> dict[str, int]:
    """How many candidate pairs show each agreement pattern: their levels, one per comparison, joined by ``|``."""
    counts = levels.group_by(list(COMPARISONS)).len()
    return {"|".join(str(value) for value in row[:-1]): int(row[-1]) for row in counts.iter_rows()}


def pattern_drift(then: Mapping[str, int], now: Mapping[str, int]) -> float:
    """The share of pairs whose pattern would have to change to turn one distribution into the other (0 to 1)."""
    before, after = sum(then.values()), sum(now.values())
    if not before or not after:
        return 0.0 if before == after else 1.0
    # In integers, then one division: a float sum's last bit would follow the keys' order, which
    # follows the process's string hashing, and the same store would not always decide alike.
    moved = sum(abs(then.get(key, 0) * after - now.get(key, 0) * before) for key in then.keys() | now.keys())
    return min(moved / (2 * before * after), 1.0)


def _grown(then: int, now: int) -> float:
    """How much a count grew or shrank, as a share of what it was (1 from or to nothing)."""
    if not then:
        return 0.0 if not now else 1.0
    return min(abs(now - then) / then, 1.0)


def kept_form(
    model: MatchModel, *, patterns: Mapping[str, int], people: int, snapshot_at: str | None
) -> dict[str, Any]:
    """A learned model as the store keeps it: every number exactly as fitted (JSON floats round-trip)."""
    return {
        "format": _FORMAT,
        "snapshot_at": snapshot_at,
        "patterns": dict(patterns),
        "people": int(people),
        "prior": float(model.prior),
        "m": _floats(model.m),
        "u": _floats(model.u),
        "pairs": int(model.pairs),
        "random_pairs": int(model.random_pairs),
        "iterations": int(model.iterations),
        "converged": bool(model.converged),
        "match_rate": None if model.match_rate is None else float(model.match_rate),
        "tf": {comparison: list(levels) for comparison, levels in model.tf.items()},
        "training_kinds": list(model.training_kinds),
    }


def kept_model(form: object) -> KeptModel | None:
    """The kept model of :func:`kept_form`, or None when the form is not one (another format, damaged)."""
    try:
        return _read(form)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _read(form: Any) -> KeptModel | None:  # noqa: ANN401 (whatever the store held)
    if form.get("format") != _FORMAT:
        return None
    patterns = {str(key): int(count) for key, count in form["patterns"].items()}
    m, u = _levels(form["m"]), _levels(form["u"])
    prior, people = float(form["prior"]), int(form["people"])
    if not math.isfinite(prior) or people < 0 or any(count < 0 for count in patterns.values()):
        return None
    snapshot_at = form["snapshot_at"]
    model = MatchModel(
        prior=prior,
        m=m,
        u=u,
        learned=True,
        pairs=int(form["pairs"]),
        random_pairs=int(form["random_pairs"]),
        iterations=int(form["iterations"]),
        converged=bool(form["converged"]),
        match_rate=None if form["match_rate"] is None else float(form["match_rate"]),
        tf={str(comparison): tuple(map(str, levels)) for comparison, levels in form["tf"].items()},
        training_kinds=tuple(map(str, form["training_kinds"])),
    )
    return KeptModel(model, patterns, people, None if snapshot_at is None else str(snapshot_at))


def _floats(table: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {comparison: {level: float(value) for level, value in kept.items()} for comparison, kept in table.items()}


def _levels(table: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """The m or u kept, holding every level of every comparison (those of this sfbridge) as a probability."""
    read = {}
    for comparison in COMPARISONS:
        levels = {level: float(table[comparison][level]) for level in WEIGHTS[comparison] if level != "missing"}
        if not all(0 <= value <= 1 for value in levels.values()):
            msg = f"{comparison}: not probabilities"
            raise ValueError(msg)
        read[comparison] = levels
    return read
