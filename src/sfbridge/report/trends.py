"""Trends: what changed between audits of one org (new, resolved, still open per check), and the series.

Pure: the audit runs come in as plain rows (``id``, ``command``, ``started_at``, ``counts``)
and the findings of earlier runs through an injected ``load_keys``, so the store stays an edge.

A finding's identity is ``(check, sobject, record_id)``. Reasons, scores and duplicate group
ids are not part of it: a duplicate cluster's group id is its survivor's Id, which changes
when the cluster grows or its best record changes, while the record flagged stays the same.
Counts are of distinct identities, so ``new + still_open`` is the number of records a check
flags now and ``resolved + still_open`` the number it flagged before.

Each check is compared with the latest earlier audit that ran it (an audit's ``counts``
name every check it ran, zeros included). A check run with ``--checks`` alone yesterday does
not make today's full audit report every other check's findings as new, or resolved.

The trends document (``findings.json`` ``trends``, ``render_report_markdown(trends=...)``)::

    {
      "previous_run_id": 41,                   # the latest earlier audit of the org
      "previous_started_at": "2026-11-01T12:00:00Z",
      "by_check": {                            # every check of this audit
        "stale_lead": {"new": 2, "resolved": 1, "still_open": 11, "previous_run_id": 41},
        "duplicate": null                      # no earlier audit ran it: nothing to compare
      },
      "totals": {"new": 2, "resolved": 1, "still_open": 11}
    }

and ``None`` for an org's first audit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sfbridge.models import Finding, FindingKey, collection_paused

__all__ = ["CHANGES", "FindingKey", "audit_trends", "compare_keys", "finding_keys", "trend_series"]

#: The three counts of a compared check, in the order they are shown.
CHANGES = ("new", "resolved", "still_open")

KeyLoader = Callable[[int, Sequence[str]], AbstractSet[FindingKey]]


def finding_keys(findings: Iterable[Finding]) -> set[FindingKey]:
    """The identities of findings (duplicates of one identity collapse into one)."""
    with collection_paused():  # see audit_trends
        return {(item.check, item.sobject, item.record_id) for item in findings}


def compare_keys(
    previous: Iterable[FindingKey], current: Iterable[FindingKey], *, checks: Iterable[str]
) -> dict[str, dict[str, int]]:
    """Count new, resolved and still-open findings per check between two sets of identities.

    Args:
        previous: the identities found by the earlier audit.
        current: the identities found now.
        checks: the checks to compare (identities of other checks are ignored).

    Returns:
        Per check: ``new`` (flagged now, not before), ``resolved`` (flagged before, not now)
        and ``still_open`` (flagged by both).

    >>> compare_keys([("junk_lead", "Lead", "a"), ("junk_lead", "Lead", "b")],
    ...              [("junk_lead", "Lead", "b"), ("junk_lead", "Lead", "c"), ("junk_lead", "Lead", "d")],
    ...              checks=["junk_lead"])
    {'junk_lead': {'new': 2, 'resolved': 1, 'still_open': 1}}
    """
    wanted = list(checks)
    # Whole sets compared at once (C speed), then counted by check: not 300k keys sorted into
    # per-check sets in Python first. A key's check is part of it, so a difference per check
    # is the whole difference's keys of that check.
    before, now = _of_checks(previous, wanted), _of_checks(current, wanted)
    new, resolved = Counter(map(_CHECK, now - before)), Counter(map(_CHECK, before - now))
    flagged = Counter(map(_CHECK, now))
    return {
        check: {"new": new[check], "resolved": resolved[check], "still_open": flagged[check] - new[check]}
        for check in wanted
    }


_CHECK = itemgetter(0)


def _of_checks(keys: Iterable[FindingKey], checks: Sequence[str]) -> AbstractSet[FindingKey]:
    """The keys of these checks, as a set (the one given when it holds no other check's)."""
    wanted = set(checks)
    kept = keys if isinstance(keys, AbstractSet) else set(keys)
    if {key[0] for key in kept} <= wanted:
        return kept
    return {key for key in kept if key[0] in wanted}


def audit_trends(
    history: Sequence[Mapping[str, Any]],
    *,
    current: AbstractSet[FindingKey],
    checks: Sequence[str],
    load_keys: KeyLoader,
) -> dict[str, Any] | None:
    """Compare an audit with the earlier audits of its org (the document in the module docstring).

    Args:
        history: the earlier successful audits of the org, oldest first, as the store's
            ``audit_runs`` gives them (``id``, ``started_at``, ``counts``).
        current: the identities of this audit's findings.
        checks: the checks this audit ran.
        load_keys: reads the identities of one earlier run's findings for some checks.

    Returns:
        The trends, or None when the org has no earlier audit.
    """
    if not history:
        return None
    baseline = {check: _latest_run_of(history, check) for check in checks}
    # 160k keys a run at a million records, each a tuple the collector tracks, made while the
    # audit holds 2 GB of objects: its full passes over those cost more than the comparison.
    with collection_paused():
        earlier: set[FindingKey] = set()
        for run_id in sorted({run for run in baseline.values() if run is not None}):
            earlier |= load_keys(run_id, [check for check, run in baseline.items() if run == run_id])
        compared = compare_keys(earlier, current, checks=[check for check, run in baseline.items() if run is not None])
    by_check: dict[str, dict[str, int] | None] = {}
    for check, run in baseline.items():
        by_check[check] = None if run is None else {**compared[check], "previous_run_id": run}
    previous = history[-1]
    return {
        "previous_run_id": previous["id"],
        "previous_started_at": _iso(previous.get("started_at")),
        "by_check": by_check,
        "totals": {change: sum(counts[change] for counts in compared.values()) for change in CHANGES},
    }


def _latest_run_of(history: Sequence[Mapping[str, Any]], check: str) -> int | None:
    for run in reversed(history):
        if check in (run.get("counts") or {}):
            return int(run["id"])
    return None


def trend_series(
    runs: Sequence[Mapping[str, Any]],
    *,
    checks: Sequence[str] | None = None,
    latest: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The findings counts of an org's audits over time, one entry per audit.

    Args:
        runs: the org's successful audits, oldest first (the store's ``audit_runs``).
        checks: the checks to show (default: every check any of the runs ran, in the order
            they first appear).
        latest: the trends of the last run against the ones before it (:func:`audit_trends`).

    Returns:
        ``checks``; ``runs``: per run ``run_id``, ``command``, ``started_at``, ``counts``
        (check → findings, None where the run did not run the check) and ``total`` (of the
        checks shown); and ``latest`` as given.
    """
    shown = list(checks) if checks is not None else _checks_in(runs)
    series = []
    for run in runs:
        ran = run.get("counts") or {}
        counts = {check: (int(ran[check]) if check in ran else None) for check in shown}
        series.append(
            {
                "run_id": run["id"],
                "command": run.get("command"),
                "started_at": _iso(run.get("started_at")),
                "counts": counts,
                "total": sum(value for value in counts.values() if value is not None),
            }
        )
    return {"checks": shown, "runs": series, "latest": dict(latest) if latest is not None else None}


def _checks_in(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for run in runs:
        for check in run.get("counts") or {}:
            seen.setdefault(check, None)
    return list(seen)


def _iso(moment: Any) -> str | None:  # noqa: ANN401 (a datetime from the store, or text already)
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return None if moment is None else str(moment)
