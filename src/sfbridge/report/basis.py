"""What report.md and report.html both draw from a findings.json document, worked out once for both (pure).

Both reports group the findings by check, pick each check's most pressing
(:func:`sfbridge.report.evidence.ordered`), name the files that hold the rest, and score the
org's health (:func:`sfbridge.report.health.health_scores`). At a million records that is
some 160k findings walked, keyed and scored for each report; an audit writing both works it
out once (:func:`report_basis`) and hands it to each, and a report rendered alone works it
out itself. A check's most pressing are picked up to ``row_limit`` (report.html's table); the
few report.md shows are the first of them, the same as picked alone (``ordered`` never ties).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sfbridge.report.evidence import ordered
from sfbridge.report.findings import object_csv_names
from sfbridge.report.health import health_scores

__all__ = ["ROW_LIMIT", "CheckBasis", "ReportBasis", "report_basis"]

#: Findings a section of report.html embeds at most (the CSV has them all).
ROW_LIMIT = 2_000


@dataclass(frozen=True)
class CheckBasis:
    """One check's findings as the reports show them."""

    #: Every finding of the check, in the document's order.
    findings: list[Mapping[str, Any]]
    #: The most pressing first (:func:`~sfbridge.report.evidence.ordered`), at most the basis's ``row_limit``.
    shown: list[Mapping[str, Any]]
    #: The per-object CSVs that hold every finding (:func:`~sfbridge.report.findings.object_csv_names`).
    files: list[str]


@dataclass(frozen=True)
class ReportBasis:
    """A document's findings by check, each check's most pressing, and the health scores (:func:`report_basis`).

    Shared by the reports: neither changes it.
    """

    checks: dict[str, CheckBasis]
    #: :func:`~sfbridge.report.health.health_scores` of the document.
    health: list[dict[str, Any]]
    row_limit: int

    def check(self, name: str) -> CheckBasis:
        """A check's findings (none for a check that found nothing, or that the document does not have)."""
        return self.checks.get(name) or _NOTHING

    def examples(self) -> dict[str, Mapping[str, Any]]:
        """Each check's most pressing finding (a check without findings has none): the terminal's examples."""
        return {name: top[0] for name in self.checks if (top := self.most_pressing(name, 1))}

    def most_pressing(self, name: str, limit: int) -> list[Mapping[str, Any]]:
        """A check's ``limit`` most pressing findings: the first of its ``shown``, or picked again past them."""
        mine = self.check(name)
        if limit <= self.row_limit:
            return mine.shown[: max(limit, 0)]
        return ordered(mine.findings, limit=limit)


_NOTHING = CheckBasis([], [], [])


def report_basis(document: Mapping[str, Any], *, row_limit: int = ROW_LIMIT) -> ReportBasis:
    """Group a findings.json document's findings by check and pick each one's ``row_limit`` most pressing.

    Args:
        document: the findings.json document (its ``findings``, ``checks`` and ``profile``).
        row_limit: findings kept in order per check (report.html's table); more are picked
            again when asked for (:meth:`ReportBasis.most_pressing`).

    Returns:
        The basis both reports render from.
    """
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for item in document.get("findings") or ():
        grouped.setdefault(str(item.get("check")), []).append(item)
    checks = {
        name: CheckBasis(items, ordered(items, limit=row_limit), object_csv_names(name, items))
        for name, items in grouped.items()
    }
    return ReportBasis(checks=checks, health=health_scores(document), row_limit=row_limit)
