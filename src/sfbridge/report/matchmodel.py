"""How duplicates were scored, for the reports: the match model's weights and each pair's waterfall (pure).

An audit keeps the match model its duplicate search used (``match_model`` in findings.json:
:meth:`sfbridge.checks.CheckContext.match_model`) and each duplicate finding keeps, per
match, the waterfall of what added to and subtracted from the pair's weight. Both are plain
data; this module turns them into what report.html and report.md show, so a sceptic can see
why two records met: whether the weights were learned from the org or hand-set (and why),
the prior, the blocking keys the model trained on, every comparison level's m, u and weight,
and, per pair, the weights step by step with bars drawn as a waterfall.

Everything read from a document is checked for shape: a hand-edited or older findings.json
gives no section rather than a failed report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "COMPARISON_TITLES",
    "TF_NOTE",
    "best_waterfall",
    "level_label",
    "model_view",
    "probability",
    "signed",
    "waterfall_row",
    "waterfall_view",
]

#: What each comparison of the model compares, as the reports name it.
COMPARISON_TITLES: Mapping[str, str] = {
    "first": "First name",
    "last": "Last name",
    "email": "Email",
    "phone": "Phone",
    "birthdate": "Birthdate",
    "country": "Country",
    "place": "Where they work or live",
}
_STEP_TITLES: Mapping[str, str] = {**COMPARISON_TITLES, "prior": "Prior", "rule": "Rule"}

#: What a term-frequency-adjusted level means, in a few words.
TF_NOTE = (
    "Marked levels are adjusted for term frequency: there a pair's weight depends on how many people share "
    "the value, so sharing a rare value (an uncommon surname, one person's email) weighs more than sharing a "
    "common one (Smith, a switchboard number). The weight shown is for a typical value; each pair's waterfall "
    "shows its own."
)
_WHY_HAND_SET = {
    "learn_weights_off": "learning is turned off (learn_weights = false in the rules' [duplicates])",
    "too_few_pairs": "this org gave too few pairs to learn from",
}


def signed(value: Any) -> str:  # noqa: ANN401 (a number from a document)
    """A weight with its sign, two decimals: ``+4.00``, ``-3.25``, ``0.00`` (n/a for no number)."""
    number = _number(value)
    if number is None:
        return "n/a"
    if round(number, 2) == 0:
        return "0.00"
    return f"{number:+.2f}"


def probability(log2_odds: float) -> float:
    """The probability of log2 odds: 2^w / (1 + 2^w)."""
    return 1.0 / (1.0 + math.pow(2.0, -max(min(log2_odds, 60.0), -60.0)))


def level_label(level: Any) -> str:  # noqa: ANN401 (a level name from a document)
    """A level's name as words: ``employer_address`` → ``employer address``."""
    return str(level).replace("_", " ")


def _number(value: Any) -> float | None:  # noqa: ANN401 (a value from a document)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _share(value: Any) -> str:  # noqa: ANN401 (a probability from a document)
    number = _number(value)
    return "n/a" if number is None else f"{number:.3g}"


def _how(model: Mapping[str, Any]) -> str:
    """One paragraph: where the weights came from, and how well the fitting went."""
    pairs = _number(model.get("candidate_pairs"))
    least = _number(model.get("min_training_pairs"))
    # What the document says of the pairs, as a parenthesis (nothing when it says nothing).
    notes = [f"{int(pairs):,} candidate pairs in all"] if pairs is not None else []
    if model.get("learned"):
        random = _number(model.get("random_pairs"))
        iterations = _number(model.get("em_iterations"))
        text = (
            "Learned from this org: u (how often two different people agree) from "
            f"{int(random or 0):,} random pairs of its people, m (how often two records of one person agree) by "
            "expectation-maximisation over the pairs of its training blocking keys"
        )
        text += f" ({notes[0]})" if notes else ""
        ran = f" after {int(iterations):,} iterations" if iterations is not None else ""
        text += f"; EM converged{ran}." if model.get("converged") else f"; EM stopped{ran} without converging."
        rate = _number(model.get("training_match_rate"))
        if rate is not None:
            text += f" It reads {rate:.1%} of the pairs it trained on as one person."
        return text + _kept(model)
    reason = model.get("hand_set_reason")
    why = _WHY_HAND_SET.get(str(reason), "")
    if reason == "too_few_pairs":
        notes += [f"learning needs at least {int(least):,} among its training blocking keys"] if least else []
        why += f" ({'; '.join(notes)})" if notes else ""
    text = "Hand-set weights" + (f": {why}." if why else ".")
    return text + " They are sfbridge's own estimates, the same for every org, with no m or u of their own."


def _kept(model: Mapping[str, Any]) -> str:
    """The sentence saying a model was learned by an earlier audit and kept, or nothing."""
    learned_from = model.get("kept_from_snapshot")
    if not isinstance(learned_from, str):
        return ""
    drift = _number(model.get("drift"))
    moved = f"; the org's candidate pairs have moved by {drift:.2%} since" if drift else ""
    return (
        f" These weights were learned by the audit of the org as of {learned_from} and kept{moved}: they are "
        "learned anew once the pairs move further than [duplicates] relearn_drift."
    )


def model_view(model: Any) -> dict[str, Any] | None:  # noqa: ANN401 (the document's match_model)
    """What the reports show of a match model, or None when there is none (or it is not one).

    Args:
        model: the findings.json ``match_model``.

    Returns:
        ``learned``, ``how`` (a paragraph), ``prior`` and ``prior_text`` (signed),
        ``prior_probability``, ``prior_of`` (what the prior is the odds of), ``blocking_keys``,
        ``comparisons`` (per comparison: ``name``, ``title``, ``levels`` with ``level``,
        ``m``, ``u``, ``weight`` as text, ``sign`` and ``tf``) and ``has_tf``.
    """
    if not isinstance(model, Mapping) or not isinstance(model.get("comparisons"), Mapping):
        return None
    learned = bool(model.get("learned"))
    prior = _number(model.get("prior_log2_odds"))
    comparisons: list[dict[str, Any]] = []
    for name, levels in model["comparisons"].items():
        if not isinstance(levels, Mapping):
            continue
        rows: list[dict[str, Any]] = [
            {
                "level": level_label(level),
                "m": _share(values.get("m")) if learned else "",
                "u": _share(values.get("u")) if learned else "",
                "weight": signed(values.get("weight")),
                "sign": _sign(_number(values.get("weight"))),
                "tf": bool(values.get("term_frequency_adjusted")),
            }
            for level, values in levels.items()
            if isinstance(values, Mapping)
        ]
        comparisons.append(
            {"name": str(name), "title": COMPARISON_TITLES.get(str(name), level_label(name)), "levels": rows}
        )
    keys = model.get("training_blocking_keys")
    return {
        "learned": learned,
        "how": _how(model),
        "prior": prior,
        "prior_text": signed(prior),
        "prior_probability": None if prior is None else probability(prior),
        "prior_of": "two records of this org picked at random" if learned else "two records that share a blocking key",
        "blocking_keys": [level_label(key) for key in keys] if isinstance(keys, list) else [],
        "comparisons": comparisons,
        "has_tf": any(row["tf"] for comparison in comparisons for row in comparison["levels"]),
    }


def _sign(weight: float | None) -> str:
    if weight is None or round(weight, 2) == 0:
        return "zero"
    return "pos" if weight > 0 else "neg"


def best_waterfall(finding: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Any]] | None:
    """A finding's best match (the first of its evidence's ``matches``) and that match's waterfall, if it has one."""
    matches = (finding.get("evidence") or {}).get("matches")
    if not isinstance(matches, list) or not matches or not isinstance(matches[0], Mapping):
        return None
    steps = matches[0].get("waterfall")
    return (matches[0], steps) if isinstance(steps, list) and steps else None


def waterfall_view(steps: Sequence[Any]) -> dict[str, Any] | None:
    """A pair's waterfall with the geometry of its bars, or None when it has no step.

    Each step's bar runs from the running total before it to the running total after it, on
    one scale from the lowest to the highest running total (zero included), so the bars read
    as a waterfall: the prior takes the pair from 0 down, each comparison adds or takes away,
    and the total bar ends where the last step did.

    Args:
        steps: the waterfall (``step``, ``level``, ``weight`` per step, as findings.json has it).

    Returns:
        ``steps`` (``label``, ``level``, ``weight`` as signed text, ``sign``, ``left`` and
        ``width`` in percent of the scale), ``total`` (signed text), ``total_left``,
        ``total_width``, ``total_sign``, ``score`` (the total's probability) and ``zero`` (where 0 is, in percent).
    """
    read = [
        (str(step.get("step")), level_label(step.get("level") or ""), weight)
        for step in steps
        if isinstance(step, Mapping) and (weight := _number(step.get("weight"))) is not None
    ]
    if not read:
        return None
    running, spans = 0.0, []
    for _, _, weight in read:
        spans.append((running, running + weight))
        running += weight
    low = min(0.0, *(end for _, end in spans))
    high = max(0.0, *(end for _, end in spans))
    scale = (high - low) or 1.0

    def left(start: float, end: float) -> float:
        return round(100 * (min(start, end) - low) / scale, 1)

    def width(start: float, end: float) -> float:
        return round(100 * abs(end - start) / scale, 1)

    shown = [
        {
            "label": _STEP_TITLES.get(step, level_label(step)),
            "level": level,
            "weight": signed(weight),
            "sign": _sign(weight),
            "left": left(start, end),
            "width": width(start, end),
        }
        for (step, level, weight), (start, end) in zip(read, spans, strict=True)
    ]
    return {
        "steps": shown,
        "total": signed(running),
        "total_sign": _sign(running),
        "total_left": left(0.0, running),
        "total_width": width(0.0, running),
        "score": probability(running),
        "zero": round(100 * -low / scale, 1),
    }


def waterfall_row(finding: Mapping[str, Any]) -> list[Any] | None:
    """A finding's best-match waterfall as compact JSON for the page's table, or None.

    ``[with, total, score, zero, steps]``: ``with`` names the other record, ``steps`` are
    ``[label, level, weight, sign, left, width]`` lists, the last one the total's.
    """
    best = best_waterfall(finding)
    view = waterfall_view(best[1]) if best is not None else None
    if best is None or view is None:
        return None
    match = best[0]
    other = f"{match.get('other_sobject') or ''} {match.get('other_id') or ''}".strip()
    steps = [[s["label"], s["level"], s["weight"], s["sign"], s["left"], s["width"]] for s in view["steps"]]
    steps.append(["Total", "", view["total"], view["total_sign"], view["total_left"], view["total_width"]])
    return [other, view["total"], f"{view['score']:.4f}", view["zero"], steps]
