"""What every check shares: the snapshot, the rules, the moment, and facts derived once.

A check is a pure function of a :class:`CheckContext`, which is itself built only from
(snapshot, rules, now); derived facts (the org's status sets, which leads are open, the
duplicate matching) are computed on first use and shared by the checks that need them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import polars as pl

from sfbridge.matching import ACCOUNT_FIELDS, CONTACT_FIELDS, LEAD_FIELDS, Matching, MatchSettings, people_from_frames
from sfbridge.matching.derived import DerivedStore
from sfbridge.matching.model import MatchModel
from sfbridge.models import Finding
from sfbridge.rules import Rules, StatusRules
from sfbridge.snapshot import Snapshot

__all__ = ["PEOPLE_NEEDS", "CheckContext", "StatusSets", "missing_input", "people_matching", "resolve_statuses"]

#: What :attr:`CheckContext.matches` is built from: loaded for every check that reads people.
PEOPLE_NEEDS: dict[str, frozenset[str]] = {
    "Lead": frozenset(LEAD_FIELDS),
    "Contact": frozenset(CONTACT_FIELDS),
    "Account": frozenset(ACCOUNT_FIELDS),
}


def missing_input(sobject: str, consequence: str) -> str:
    """How a check words an object it reads that the store lacks, and what that costs the check.

    A store gets its records from a pull (an optional object the org does not offer is
    skipped) or from an import of exported files (an object with no file is left out), so the
    wording names both.

    >>> missing_input("Task", "judged on LastActivityDate alone")
    'Task is not in the store (not pulled, or no file for it among the imported ones): judged on LastActivityDate alone'
    """
    return f"{sobject} is not in the store (not pulled, or no file for it among the imported ones): {consequence}"


# "auto" status reading: what a label says about the stage it names.
_CLOSED_WORDS = re.compile(
    r"\b(closed|disqualified|unqualified|junk|dead|lost|rejected|invalid|recycled)\b", re.IGNORECASE
)
_QUALIFIED = re.compile(r"\bqualified\b", re.IGNORECASE)
_NOT_QUALIFIED = re.compile(r"\b(un|dis|not)[\s-]*qualified\b", re.IGNORECASE)


@dataclass(frozen=True)
class StatusSets:
    """The org's Lead statuses sorted into what the checks need to know."""

    all: frozenset[str]
    converted: frozenset[str]
    closed: frozenset[str]
    qualified: frozenset[str]
    disqualified: str | None

    @property
    def open(self) -> frozenset[str]:
        """Statuses of leads still being worked."""
        return self.all - self.closed - self.converted


def resolve_statuses(lead_statuses: pl.DataFrame, rules: StatusRules) -> StatusSets:
    """Sort the org's LeadStatus values (``"auto"``) or take the configured lists.

    Args:
        lead_statuses: LeadStatus rows (ApiName, MasterLabel, IsConverted, SortOrder).
        rules: the configured status lists.

    Returns:
        The status sets; values are what ``Lead.Status`` holds (ApiName, else MasterLabel).
    """
    rows = lead_statuses.to_dicts() if lead_statuses.height else []
    names = [str(row.get("ApiName") or row.get("MasterLabel") or "") for row in rows]
    labels = {
        name: f"{row.get('ApiName') or ''} {row.get('MasterLabel') or ''}"
        for name, row in zip(names, rows, strict=True)
    }
    converted = frozenset(name for name, row in zip(names, rows, strict=True) if row.get("IsConverted"))
    if rules.closed == "auto":
        closed = frozenset(name for name in names if name in converted or _CLOSED_WORDS.search(labels[name]))
    else:
        closed = frozenset(rules.closed)
    if rules.qualified == "auto":
        qualified = frozenset(
            name for name in names if _QUALIFIED.search(labels[name]) and not _NOT_QUALIFIED.search(labels[name])
        )
    else:
        qualified = frozenset(rules.qualified)
    disqualified = rules.disqualified if rules.disqualified != "auto" else _first_closed(rows, names, closed, converted)
    return StatusSets(frozenset(names), converted, closed, qualified - closed, disqualified)


def _first_closed(
    rows: list[dict[str, Any]], names: list[str], closed: frozenset[str], converted: frozenset[str]
) -> str | None:
    candidates = sorted(
        (row.get("SortOrder") or 0, name) for row, name in zip(rows, names, strict=True) if name in closed - converted
    )
    return candidates[0][1] if candidates else None


def people_matching(
    snapshot: Snapshot,
    rules: Rules,
    *,
    derived: DerivedStore | None = None,
    read_normalised: Callable[[], pl.DataFrame | None] | None = None,
) -> Matching:
    """Unconverted Leads and all Contacts as people, normalised and matched on first use (:attr:`CheckContext.matches`).

    Args:
        snapshot: holding :data:`PEOPLE_NEEDS`.
        rules: the duplicate, phone and region settings.
        derived: where the normalisers' tables are kept between runs (None: nowhere).
        read_normalised: what reads back these very people normalised under these rules
            (:func:`sfbridge.prepare.kept_people_reader`), or None: the people are then made from the snapshot.
    """
    settings = _match_settings(rules)
    accounts = snapshot.frame("Account", ACCOUNT_FIELDS)
    ready = read_normalised() if read_normalised is not None else None
    if ready is not None:
        return Matching.from_normalised(
            ready, settings=settings, accounts=accounts, derived=derived, as_of=snapshot.taken_at
        )
    leads = snapshot.frame("Lead", LEAD_FIELDS).filter(~pl.col("IsConverted").fill_null(value=False))
    people = people_from_frames(leads, snapshot.frame("Contact", CONTACT_FIELDS), accounts)
    return Matching(people, settings=settings, accounts=accounts, derived=derived, as_of=snapshot.taken_at)


def _match_settings(rules: Rules) -> MatchSettings:
    duplicates = rules.duplicates
    return MatchSettings(
        threshold=duplicates.match_threshold,
        max_block_size=duplicates.max_block_size,
        default_region=rules.default_phone_region,
        placeholders=duplicates.placeholders(),
        learn=duplicates.learn_weights,
        relearn_drift=duplicates.relearn_drift,
        phones=rules.phones.settings(),
        survivor=duplicates.survivor.criteria(),
        values=duplicates.values.value_rules(),
    )


@dataclass
class CheckContext:
    """The inputs of every check, and facts derived from them once.

    ``derived`` is where the normalisers keep their tables of distinct values between runs
    (the store; see :mod:`sfbridge.matching.derived`): it changes how long a check takes,
    never what it finds.
    """

    snapshot: Snapshot
    rules: Rules
    now: datetime
    derived: DerivedStore | None = None
    read_normalised: Callable[[], pl.DataFrame | None] | None = None  # see people_matching

    @cached_property
    def statuses(self) -> StatusSets:
        """The org's statuses, sorted."""
        frame = self.snapshot.frame(
            "LeadStatus",
            {"ApiName": pl.Utf8(), "MasterLabel": pl.Utf8(), "IsConverted": pl.Boolean(), "SortOrder": pl.Int64()},
        )
        return resolve_statuses(frame, self.rules.statuses)

    @cached_property
    def matches(self) -> Matching:
        """Unconverted Leads and all Contacts as people, normalised and matched on first use.

        Converted Leads are left out: each is its Contact already, and Salesforce does not let
        them be edited. The duplicate checks and the email and phone checks share this.
        """
        return people_matching(self.snapshot, self.rules, derived=self.derived, read_normalised=self.read_normalised)

    def made_matches(self) -> Matching | None:
        """:attr:`matches` if something has read it already, else None (never makes the people)."""
        # cached_property keeps a computed value in the instance's __dict__: it is there only
        # if something read it, and reading the property here would make the people.
        matching = self.__dict__.get("matches")
        return matching if isinstance(matching, Matching) else None

    def match_model(self) -> dict[str, Any] | None:
        """The duplicate search's match model as findings.json and the run keep it, or None when no pair was scored.

        Never starts the search: only a model a check already had computed is read, so an
        audit without the duplicate checks stays without one. See
        :meth:`~sfbridge.matching.model.MatchModel.as_json`.
        """
        matching = self.made_matches()
        # Likewise the model (a cached_property of Matching): read only if a check computed it.
        model = matching.__dict__.get("model") if matching is not None else None
        return model.as_json() if isinstance(model, MatchModel) else None

    def open_lead_filter(self) -> pl.Expr:
        """An expression true for leads still being worked (not converted, not closed)."""
        return (~pl.col("IsConverted").fill_null(value=False)) & ~pl.col("Status").is_in(list(self.statuses.closed))

    def finding(self, check: str, **values: Any) -> Finding:  # noqa: ANN401 (Finding's fields)
        """Build a finding of a check with the check's configured severity."""
        return Finding(check=check, severity=self.rules.severity_of(check), **values)
