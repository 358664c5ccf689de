"""Findings as an admin reads them: whose record, the facts a check is about, the rest in words, most pressing first.

report.html, report.md and the terminal summary all show a check's findings this way (pure):

- :func:`who`: the person's name, their company or account, the record's owner (the audit adds
  them to every finding's evidence: :mod:`sfbridge.audit_names`);
- :func:`fact_keys`: the evidence a check's findings share, each its own column under a label
  (``days_idle`` → "Days idle"), and the fields a fix would set; bulky evidence (a duplicate's
  matches, the merged record's values) is left to the views made for it (clusters, waterfalls);
- :func:`shared_facts`: facts every finding of a check states alike, said once above its table;
- :func:`details`: what else the evidence says, as one line of words;
- :func:`ordered`: the most severe first, then the oldest (the check's own age in days, else
  the record's CreatedDate), then the most certain (a duplicate's score).
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

from sfbridge.report.findings_table import PLAIN_CLASSES

__all__ = [
    "MAX_FACTS",
    "Fact",
    "company_title",
    "details",
    "fact_keys",
    "fact_value",
    "facts_and_shared",
    "label",
    "ordered",
    "shared_facts",
    "who",
    "words",
]

#: Fact columns a check's table shows at most; what does not fit is said in :func:`details`.
MAX_FACTS = 4
#: A fact from the fields a fix would set (``suggested_values``) is keyed with this prefix.
SUGGESTED = "suggested:"
#: Evidence other views show in full (the duplicate clusters and waterfalls), never squeezed into a cell.
BULKY = frozenset({"matches", "merged_values", "waterfall"})
#: Where :func:`who` finds each fact: the audit's keys first, then what some checks call them.
_WHO_KEYS = {"name": ("name",), "company": ("company", "Company"), "owner": ("owner_name",)}
_SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1, "info": 0}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CODE = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")
_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_LABELS = {"Id": "Id", "OwnerId": "Owner Id", "Status": "Status"}

#: A fact column: its key (an evidence key, or :data:`SUGGESTED` + a field) and its label.
Fact = tuple[str, str]


@cache  # the checks' evidence keys and fields: a few dozen names, asked for on every row a report shows
def label(key: str) -> str:
    """An evidence key or API name as a label: ``days_idle`` → "Days idle", ``UTM_Source__c`` → "UTM source".

    >>> [label(key) for key in ("days_idle", "LastActivityDate", "Lead_Score__c", "UTM_Source__c", "read_in_region")]
    ['Days idle', 'Last activity date', 'Lead score', 'UTM source', 'Read in region']
    """
    if key in _LABELS:
        return _LABELS[key]
    stem = key.removeprefix(SUGGESTED).removesuffix("__c").replace(".", " ").replace("_", " ")
    parts = [part for piece in stem.split() for part in _CAMEL.split(piece) if part]
    # Acronyms (UTM, ID, URL) stay as they are; every other word after the first is lower case.
    shown = [part if part.isupper() and len(part) > 1 else part.lower() for part in parts]
    if key.startswith(SUGGESTED):  # the value a fix would set: "Suggested lead source"
        shown = [
            "Suggested",
            *(part.lower() if index == 0 and not part.isupper() else part for index, part in enumerate(shown)),
        ]
    text = " ".join(shown)
    return text[:1].upper() + text[1:]


def _first(evidence: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = evidence.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def who(item: Mapping[str, Any]) -> dict[str, str]:
    """Whose record a finding is about: ``name``, ``company`` (or account) and ``owner``, "" when unknown."""
    evidence = item.get("evidence") or {}
    return {fact: _first(evidence, keys) for fact, keys in _WHO_KEYS.items()}


def company_title(items: Iterable[Mapping[str, Any]]) -> str:
    """What the company column is called for these findings: Company (Leads), Account (Contacts), or both."""
    objects = {str(item.get("sobject")) for item in items}
    return {frozenset({"Lead"}): "Company", frozenset({"Contact"}): "Account"}.get(
        frozenset(objects), "Company or account"
    )


def _scalar(value: Any) -> bool:  # noqa: ANN401 (any evidence value)
    if value.__class__ in PLAIN_CLASSES:  # most evidence values: no isinstance walk
        return True
    if isinstance(value, list | tuple):
        return all(_scalar(inner) and not isinstance(inner, list | tuple) for inner in value)
    return value is None or isinstance(value, str | int | float | bool)


def _filled(value: Any) -> bool:  # noqa: ANN401 (any evidence value)
    return value not in (None, "", [], {}, ())


def _repeats(key: str, items: Sequence[Mapping[str, Any]]) -> bool:
    """Whether an evidence key only repeats what the row shows already: its person, company, owner or a related Id."""
    for item in items:
        value = (item.get("evidence") or {}).get(key)
        if not _filled(value):
            continue
        shown = {*who(item).values(), *(str(other) for other in (item.get("related") or {}).values())}
        if str(value) not in shown:
            return False
    return True


def _candidates(items: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Evidence keys fit for a column, with how many findings fill them, in the order the check gives.

    A key fits when its values are plain (text, numbers, lists of them), it is not one of
    :func:`who`'s, and it says more than the row's names and related records.
    """
    filled: dict[str, int] = {}
    for item in items:
        for key, value in (item.get("evidence") or {}).items():
            if key not in BULKY and _scalar(value):
                filled[key] = filled.get(key, 0) + int(_filled(value))
    hidden = {key for keys in _WHO_KEYS.values() for key in keys}
    return {key: count for key, count in filled.items() if count and key not in hidden and not _repeats(key, items)}


def shared_facts(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """Facts every one of several findings states alike (all measured from CreatedDate, say): key, label, words.

    Said once above a table rather than in a column repeating one value down every row.
    """
    return _shared(items, _candidates(items))


def _shared(items: Sequence[Mapping[str, Any]], candidates: Mapping[str, int]) -> list[tuple[str, str, str]]:
    if len(items) < 2:  # noqa: PLR2004 (one finding's facts are its own, not shared)
        return []
    shared = []
    for key, count in candidates.items():
        if count != len(items):  # not filled by every finding: not shared, whatever its words
            continue
        values = {words((item.get("evidence") or {}).get(key)) for item in items}
        if len(values) == 1:
            shared.append((key, label(key), values.pop()))
    return shared


def fact_keys(items: Sequence[Mapping[str, Any]], *, limit: int = MAX_FACTS) -> list[Fact]:
    """The facts a check's findings are about, as columns: the evidence they fill, then the fields a fix would set.

    Of the keys fit for a column (not :func:`shared_facts`), those most findings fill are
    chosen, at most ``limit`` with the fix's fields, and shown in the order the check gives.
    """
    return facts_and_shared(items, limit=limit)[0]


def facts_and_shared(
    items: Sequence[Mapping[str, Any]], *, limit: int = MAX_FACTS
) -> tuple[list[Fact], list[tuple[str, str, str]]]:
    """:func:`fact_keys` and :func:`shared_facts` of the same findings, reading their evidence once for both.

    A report asks both of each check's shown rows (2,000 at most): apart, the keys fit for a
    column were found three times over.
    """
    candidates = _candidates(items)
    said = _shared(items, candidates)
    shared = {key for key, _, _ in said}
    filled = {key: count for key, count in candidates.items() if key not in shared}
    suggested: dict[str, None] = {}
    for item in items:
        suggested.update(dict.fromkeys(SUGGESTED + key for key in item.get("suggested_values") or {}))
    fixes = list(suggested)[: max(limit - 1, 0)]  # a fix's fields, and room for one fact at least
    order = {key: index for index, key in enumerate(filled)}
    # The age the rows are ordered by (days_idle...) always has its column; then the most filled keys.
    chosen = sorted(filled, key=lambda key: (not _is_age(key), -filled[key], order[key]))[: limit - len(fixes)]
    return [(key, label(key)) for key in [*sorted(chosen, key=order.__getitem__), *fixes]], said


def fact_value(item: Mapping[str, Any], key: str) -> str | int | float | None:
    """One fact of a finding as a cell: numbers stay numbers (they sort as numbers), the rest in words."""
    if key.startswith(SUGGESTED):
        value = (item.get("suggested_values") or {}).get(key.removeprefix(SUGGESTED))
    else:
        value = (item.get("evidence") or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return words(value) or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if math.isfinite(value) else str(value)


def words(value: Any) -> str:  # noqa: ANN401 (any evidence value)
    """An evidence value in words: yes/no, dates without their clock, codes without underscores, lists joined.

    >>> words(True), words("2026-08-24T05:00:22Z"), words(["score_below_minimum", "required_field_blank:Email"])
    ('yes', '2026-08-24', 'score below minimum, required field blank: Email')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping):
        return _mapping_words(value)
    if isinstance(value, list | tuple):
        if any(isinstance(inner, Mapping) for inner in value):
            return f"{len(value)}"
        return ", ".join(words(inner) for inner in value)
    return "" if value is None else _text_words(str(value))


def _mapping_words(value: Mapping[str, Any]) -> str:
    if "value" in value and "problem" in value:  # a field read and found wrong (invalid_phone's fields)
        return f"'{words(value['value'])}' {words(value['problem'])}"
    return ", ".join(f"{label(str(key))} {words(inner)}" for key, inner in value.items() if _filled(inner))


@lru_cache(maxsize=1 << 16)  # reports word the same reasons, codes and dates on many rows; bounded: text is the org's
def _text_words(text: str) -> str:
    if moment := _MOMENT.fullmatch(text):
        return moment.group(1)
    code, colon, rest = text.partition(":")
    if _CODE.fullmatch(code) and (not colon or (rest and " " not in rest)):
        return code.replace("_", " ") + (f": {rest}" if colon else "")
    return text


def details(
    item: Mapping[str, Any], shown: Iterable[str], *, limit: int = 300, person: Mapping[str, str] | None = None
) -> str:
    """What else a finding's evidence says, in words: "Lead score 11 · Min score 50" (``shown`` keys left out).

    ``person``: :func:`who` of the item, when the caller has it already.
    """
    skip = {*shown, *BULKY, *(key for keys in _WHO_KEYS.values() for key in keys)}
    # A value the row shows already (its person, company, owner, a related record) is not said twice.
    person = who(item) if person is None else person
    known = {*person.values(), *(str(other) for other in (item.get("related") or {}).values())}
    phrases = []
    for key, value in (item.get("evidence") or {}).items():
        # Skipped keys are not worded at all: they include the bulky ones (a duplicate's merged values).
        if key in skip or not _filled(value):
            continue
        text = words(value)
        if not text or text in known:
            continue
        if isinstance(value, list | tuple) and any(isinstance(inner, Mapping) for inner in value):
            phrases.append(f"{text} {label(key).lower()}")  # "2 other accounts"
        else:
            phrases.append(f"{label(key)}: {text}")
    line = " · ".join(phrases)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _is_age(key: str) -> bool:
    return key.startswith("days_") or key.endswith("_days")


#: A finding's evidence keys, in order → those of them that are ages (:func:`_is_age`): a check's
#: findings share one or a few key orders, and ordering a large audit asks about every finding.
_AGE_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}
#: Key orders remembered at most (the checks give a few dozen; anything beyond is not kept).
_AGE_KEYS_LIMIT = 4_096


def _age(item: Mapping[str, Any]) -> float | None:
    """The check's own age of the finding in days (days_idle, days_in_queue, days_since_created...), if it has one."""
    evidence = item.get("evidence") or {}
    keys = tuple(evidence)
    ages = _AGE_KEYS.get(keys)
    if ages is None:
        ages = tuple(key for key in keys if _is_age(key))
        if len(_AGE_KEYS) < _AGE_KEYS_LIMIT:
            _AGE_KEYS[keys] = ages
    for key in ages:  # the first age (in the evidence's order) that is a number
        value = evidence[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def ordered(items: Iterable[Mapping[str, Any]], *, limit: int | None = None) -> list[Mapping[str, Any]]:
    """Findings most pressing first: most severe, then oldest (largest age, else first created), then best score.

    ``limit``: only that many, the most pressing (the same as the first ``limit`` of all of
    them, without sorting the rest: a report shows a few thousand of 150k).
    """

    def key(pair: tuple[int, Mapping[str, Any]]) -> tuple[int, float, str, float, int]:
        index, item = pair
        age = _age(item)
        created = (item.get("evidence") or {}).get("CreatedDate")
        return (
            -_SEVERITY_RANK.get(str(item.get("severity")), -1),
            -age if age is not None else math.inf,
            str(created) if isinstance(created, str) and created else "\uffff",
            -float(item.get("score") or 0),
            index,  # keys never tie, so the first ``limit`` are the same however they are found
        )

    if limit is not None:
        return [item for _, item in heapq.nsmallest(limit, enumerate(items), key=key)]
    return [item for _, item in sorted(enumerate(items), key=key)]
