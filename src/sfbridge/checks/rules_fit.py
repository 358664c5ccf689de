"""Whether a rules file fits the org: its field names against describe, its statuses against LeadStatus.

A typo in the rules does not fail a check: a field the org lacks reads as an empty column
(every converted lead then misses a "required" field), and a status that does not exist is
written by ``apply``. So before an audit or a plan uses the rules, every field and status they
name is looked up in what the org said (the describe and the LeadStatus rows the last pull
kept), and each mismatch is reported with the closest valid value.

What is checked, and where the checks read it:

==================================  ===================================================
key                                 must be
==================================  ===================================================
``conversion.score_field``          a Lead field holding numbers (a number field, or
                                    text holding numbers: the check parses text)
``conversion.required_fields``      Lead fields
``conversion.ready_field``          a Lead checkbox (or text or number: "true", 1)
``lead_source.inference_field``     a Lead field (Contacts are read for it too, but a
                                    UTM field often exists on Lead alone: not required)
``lead_source.mapping`` values      active values of the Lead.LeadSource picklist
``plan.disqualified_reason_field``  a Lead text or picklist field the sfbridge user can
                                    edit; a restricted picklist must hold every reason
                                    a plan writes
``statuses.closed``, ``.qualified`` Lead statuses
``statuses.disqualified``           a Lead status that is not a converted one
``plan.converted_status``           a converted Lead status
==================================  ===================================================

Names must be spelt as the org spells them (``Email``, not ``email``): Salesforce reads API
names in any case, but the mirror's columns and ``Lead.Status`` values are compared exactly,
so a case difference is reported with the org's spelling to use.

Only values the rules file changes are checked: a built-in default (``UTM_Source__c``, the
standard LeadSource mapping) is a guess that suits most orgs, and the checks already treat a
default field the org lacks as "no data". An object the store never described (or a
LeadStatus never pulled) is skipped: there is nothing to check against, and no false alarm.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from sfbridge.checks.junk import CATEGORIES, disqualified_reason
from sfbridge.describes import DescribedField
from sfbridge.errors import ConfigError
from sfbridge.models import ColumnKind, LeadStatusValue
from sfbridge.rules import Rules

__all__ = [
    "OrgFacts",
    "RulesMismatchError",
    "RulesProblem",
    "require_rules_fit",
    "rules_problems",
]

_NUMERIC = frozenset({"int", "long", "double", "currency", "percent"})
_TEXTUAL = frozenset({"string", "textarea", "picklist"})
_LISTED = 8  # valid values named when none is close
# Fields the pull skips (see sfbridge.schema), and what to name instead.
_UNSTORED = {
    "address": "a compound address, which the mirror stores as its parts: name one (Street, City, State, "
    "PostalCode, Country)",
    "location": "a compound geolocation, which the mirror stores as its parts: name its Latitude or Longitude",
}


@dataclass(frozen=True)
class OrgFacts:
    """What the org said about itself, as the store keeps it.

    ``fields``: per object, its fields by API name (an object never described is absent).
    ``statuses``: the LeadStatus rows, or None when LeadStatus was never pulled.
    """

    fields: Mapping[str, Mapping[str, DescribedField]] = field(default_factory=dict)
    statuses: tuple[LeadStatusValue, ...] | None = None


@dataclass(frozen=True)
class RulesProblem:
    """One value of the rules that does not fit the org: its key, and what is wrong and how to fix it."""

    key: str
    message: str

    def __str__(self) -> str:
        """``key: message``."""
        return f"{self.key}: {self.message}"


class RulesMismatchError(ConfigError):
    """The rules name fields or statuses the org does not have; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[RulesProblem], *, source: str | None) -> None:
        """One line per problem, each naming the rules file, the key and the closest valid value.

        Args:
            problems: the problems (at least one).
            source: the rules file, when the rules came from one.
        """
        self.problems = tuple(problems)
        where = source or "the rules"
        super().__init__("\n".join(f"{where}: {problem}" for problem in problems))
        self.source = source


def require_rules_fit(rules: Rules, org: OrgFacts, *, source: str | None) -> None:
    """Refuse rules that name fields or statuses the org lacks.

    Args:
        rules: the rules.
        org: what the store knows of the org.
        source: the rules file, named in the message.

    Raises:
        RulesMismatchError: listing every problem (exit 2).
    """
    problems = rules_problems(rules, org)
    if problems:
        raise RulesMismatchError(problems, source=source)


def rules_problems(rules: Rules, org: OrgFacts) -> list[RulesProblem]:
    """Every value of the rules that does not fit the org, in the order of the rules file.

    Args:
        rules: the rules.
        org: what the store knows of the org.

    Returns:
        The problems; empty when the rules fit (or nothing is known to check them against).
    """
    fit = _Fit(org)
    fit.statuses(rules)
    fit.conversion(rules)
    fit.lead_source(rules)
    fit.plan(rules)
    return fit.problems


def _default(section: BaseModel, name: str) -> Any:  # noqa: ANN401 (any setting's default)
    return type(section).model_fields[name].get_default(call_default_factory=True)


def _changed(section: BaseModel, name: str) -> bool:
    """Whether a setting differs from its built-in default (only what a user chose is checked)."""
    return bool(getattr(section, name) != _default(section, name))


def _closest(value: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant: the same name in another case, else the most similar."""
    folded: dict[str, str] = {}
    for candidate in candidates:
        folded.setdefault(candidate.casefold(), candidate)
    if value.casefold() in folded:
        return folded[value.casefold()]
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1)
    return folded[close[0]] if close else None


def _quoted(values: Iterable[str]) -> str:
    shown = [repr(value) for value in values]
    more = len(shown) - _LISTED
    return ", ".join(shown[:_LISTED]) + (f" and {more} more" if more > 0 else "")


class _Fit:
    """Collects the problems of one rules file against one org."""

    def __init__(self, org: OrgFacts) -> None:
        self.org = org
        self.problems: list[RulesProblem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(RulesProblem(key, message))

    # -- fields ---------------------------------------------------------------------------

    def field(self, key: str, sobject: str, name: str) -> DescribedField | None:
        """The field a key names, or None (a problem noted) when the org has no such stored field."""
        fields = self.org.fields.get(sobject)
        if fields is None:  # never described here: nothing to check against
            return None
        found = fields.get(name)
        if found is None:
            close = _closest(name, fields)
            hint = (
                f"did you mean {close!r}?"
                if close
                else f"check its API name in Setup > Object Manager > {sobject} > Fields & Relationships, "
                "and that the sfbridge user can see it (field-level security)"
            )
            self.problem(key, f"{sobject} has no field {name!r}; {hint}")
            return None
        if not found.stored:
            what = _UNSTORED.get(str(found.sf_type), f"a {found.sf_type} field, which the mirror does not store")
            self.problem(key, f"{sobject}.{name} is {what}")
            return None
        return found

    def typed(
        self, key: str, name: str, *, types: frozenset[str], kinds: frozenset[ColumnKind], needs: str
    ) -> DescribedField | None:
        """A Lead field of one of the types a key's check can read, or None (a problem noted)."""
        found = self.field(key, "Lead", name)
        if found is None:
            return None
        fits = found.sf_type in types if found.sf_type is not None else found.kind in kinds
        if not fits:
            self.problem(key, f"Lead.{name} is a {found.sf_type or found.kind.value} field; {needs}")
            return None
        return found

    def conversion(self, rules: Rules) -> None:
        policy = rules.conversion
        if policy.score_field:
            self.typed(
                "conversion.score_field",
                policy.score_field,
                types=_NUMERIC | _TEXTUAL,
                kinds=frozenset({ColumnKind.NUMBER, ColumnKind.INTEGER, ColumnKind.TEXT}),
                needs="a score must be a number field (or a text field holding numbers)",
            )
        if _changed(policy, "required_fields"):
            standard = set(_default(policy, "required_fields"))
            for name in policy.required_fields:
                if name not in standard:
                    self.field("conversion.required_fields", "Lead", name)
        if policy.ready_field:
            self.typed(
                "conversion.ready_field",
                policy.ready_field,
                types=_NUMERIC | _TEXTUAL | {"boolean"},
                kinds=frozenset({ColumnKind.BOOLEAN, ColumnKind.NUMBER, ColumnKind.INTEGER, ColumnKind.TEXT}),
                needs="the ready mark must be a checkbox (or a text or number field holding true, yes or 1)",
            )

    def lead_source(self, rules: Rules) -> None:
        section = rules.lead_source
        if section.inference_field and _changed(section, "inference_field"):
            self.field("lead_source.inference_field", "Lead", section.inference_field)
        standard = _default(section, "mapping")
        chosen = {key: value for key, value in section.mapping.items() if standard.get(key) != value}
        source = self.org.fields.get("Lead", {}).get("LeadSource")
        if not chosen or source is None or not source.active_values:
            return
        for key, value in chosen.items():
            if value not in source.active_values:
                self.problem(f"lead_source.mapping.{key}", _not_a_value(value, source, "Lead.LeadSource"))

    def plan(self, rules: Rules) -> None:
        name = rules.plan.disqualified_reason_field
        if not name:
            return
        key = "plan.disqualified_reason_field"
        found = self.typed(
            key,
            name,
            types=_TEXTUAL | {"multipicklist"},
            kinds=frozenset({ColumnKind.TEXT}),
            needs="plans write the reason as text: choose a text or picklist field",
        )
        if found is None:
            return
        if found.updateable is False:
            self.problem(
                key,
                f"Lead.{name} is not editable by the sfbridge user (a formula, system or read-only field, "
                "or its field-level security); choose a field it can edit, or grant edit access",
            )
            return
        if found.restricted_picklist:
            # A restricted picklist refuses any other value: apply would fail on every such lead.
            missing = [
                reason
                for reason in dict.fromkeys(disqualified_reason(c) for c in CATEGORIES)
                if reason not in found.active_values
            ]
            if missing:
                shown = ", ".join(_with_hint(value, found.active_values) for value in missing)
                self.problem(
                    key,
                    f"Lead.{name} is a restricted picklist without {shown}, which plans write as the reason "
                    "a junk lead is disqualified; add those values to it, or choose a text field",
                )

    # -- statuses ---------------------------------------------------------------------------

    def status(self, key: str, name: str) -> LeadStatusValue | None:
        """The Lead status a key names, or None (a problem noted) when the org has none by that value."""
        statuses = self.org.statuses or ()
        found = next((status for status in statuses if status.value == name), None)
        if found is not None:
            return found
        labelled = next((status for status in statuses if status.label == name), None)
        if labelled is not None:
            self.problem(
                key,
                f"{name!r} is the label of the Lead status {labelled.value!r}; Lead.Status holds "
                f"{labelled.value!r}, so name it that way",
            )
            return None
        values = [status.value for status in statuses]
        close = _closest(name, values)
        hint = f"did you mean {close!r}?" if close else f"its statuses are {_quoted(values)}"
        self.problem(key, f"the org has no Lead status {name!r}; {hint}")
        return None

    def statuses(self, rules: Rules) -> None:
        statuses = self.org.statuses
        if not statuses:  # LeadStatus never pulled (or pulled empty): nothing to check against
            return
        section = rules.statuses
        for key, names in (("statuses.closed", section.closed), ("statuses.qualified", section.qualified)):
            if names != "auto":
                for name in names:
                    self.status(key, name)
        if section.disqualified != "auto":
            found = self.status("statuses.disqualified", section.disqualified)
            if found is not None and found.converted:
                others = [status.value for status in statuses if not status.converted]
                # The most similar unconverted status: for "Closed - Converted", "Closed - Not Converted".
                similar = difflib.get_close_matches(found.value, others, n=1, cutoff=0)
                self.problem(
                    "statuses.disqualified",
                    f"{found.value!r} is a converted status (convertLead sets it), but a junk lead stays "
                    "unconverted; choose a status that is not converted"
                    + (f", such as {similar[0]!r}" if similar else ""),
                )
        converted_status = rules.plan.converted_status
        if converted_status != "auto":
            found = self.status("plan.converted_status", converted_status)
            if found is not None and not found.converted:
                converted = [status.value for status in statuses if status.converted]
                self.problem(
                    "plan.converted_status",
                    f"{found.value!r} is not a converted status, and convertLead accepts only those; "
                    f"the org's converted statuses are {_quoted(converted)}",
                )


def _not_a_value(value: str, picklist: DescribedField, where: str) -> str:
    if value in {entry.value for entry in picklist.picklist}:
        return f"{value!r} is an inactive {where} value; activate it, or choose an active one"
    close = _closest(value, picklist.active_values)
    hint = f"did you mean {close!r}?" if close else f"its values are {_quoted(picklist.active_values)}"
    return f"{value!r} is not a {where} value; {hint}"


def _with_hint(value: str, values: Sequence[str]) -> str:
    close = _closest(value, values)
    return f"{value!r} (it has {close!r})" if close else repr(value)
