"""Check field mappings against the org's describe before anything is written.

Each Lead field must exist; each target must exist, be writable, take the Lead's type, be long
enough, accept the Lead's picklist values when it is a restricted picklist, and receive only
one mapping. Every problem names the mapping and says how to fix it.

Which describe ``type`` may feed which (source → target); anything else is refused:

==================  ==========================================================
Lead field type     target types
==================  ==========================================================
string              string, textarea, phone, url, picklist (unrestricted only)
textarea            textarea, string
email               email, string, textarea
phone, url          the same type, string, textarea
picklist            picklist, multipicklist, string, textarea
multipicklist       multipicklist, textarea, string
reference           reference (to the same objects), string
id                  string, textarea
boolean             boolean (with ``policy = "overwrite"``: a checkbox is never blank)
int, long, double,  int, long, double, currency, percent, if the integer digits fit
currency, percent   (and no decimals are dropped)
date, datetime,     the same type (a date has no time zone to invent a time from)
time
==================  ==========================================================

Free text cannot go into an email field (Salesforce validates the address and would refuse
the row) nor into a restricted picklist (any value outside the list is refused); text and
picklist values must fit the target's ``length``.
"""

from __future__ import annotations

import difflib
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sfbridge.errors import ConfigError
from sfbridge.mappings.model import FieldMapping, Mappings, Policy

__all__ = [
    "COMPATIBLE_TYPES",
    "InvalidMappingsError",
    "MappingProblem",
    "ProblemKind",
    "require_valid_mappings",
    "validate_mappings",
]

Field = Mapping[str, Any]

_NUMBERS = frozenset({"int", "long", "double", "currency", "percent"})
_TEXT_OUT = frozenset({"string", "textarea"})

#: Describe type of the Lead field → describe types of the target fields it may feed.
COMPATIBLE_TYPES: Mapping[str, frozenset[str]] = {
    "string": frozenset({"string", "textarea", "phone", "url", "picklist"}),
    "textarea": _TEXT_OUT,
    "email": _TEXT_OUT | {"email"},
    "phone": _TEXT_OUT | {"phone"},
    "url": _TEXT_OUT | {"url"},
    "picklist": _TEXT_OUT | {"picklist", "multipicklist"},
    "multipicklist": _TEXT_OUT | {"multipicklist"},
    "reference": frozenset({"reference", "string"}),
    "id": _TEXT_OUT,
    "boolean": frozenset({"boolean"}),
    **dict.fromkeys(_NUMBERS, _NUMBERS),
    "date": frozenset({"date"}),
    "datetime": frozenset({"datetime"}),
    "time": frozenset({"time"}),
}

# Target types whose values are text and so have a maximum length in characters.
_SIZED = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "multipicklist"})
_PICKLISTS = frozenset({"picklist", "multipicklist"})
_SHOWN = 5  # refused picklist values named in a message
_UNSUPPORTED_HINTS = {
    "address": "a compound address: map its parts (Street, City, PostalCode, State, Country) instead",
    "location": "a compound geolocation: map its Latitude and Longitude parts instead",
}


class ProblemKind(StrEnum):
    """What is wrong with a mapping."""

    NO_DESCRIBE = "no_describe"
    MISSING_FIELD = "missing_field"
    READ_ONLY = "read_only"
    UNSUPPORTED_TYPE = "unsupported_type"
    INCOMPATIBLE_TYPE = "incompatible_type"
    TOO_LONG = "too_long"
    NUMBER_TOO_LARGE = "number_too_large"
    PICKLIST_VALUES = "picklist_values"
    NEVER_BLANK = "never_blank"
    DUPLICATE_TARGET = "duplicate_target"


@dataclass(frozen=True)
class MappingProblem:
    """One reason a mapping cannot be applied; ``message`` names the mapping and the fix."""

    mapping: FieldMapping
    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        """The message."""
        return self.message


class InvalidMappingsError(ConfigError):
    """The mappings do not fit the org's fields; ``problems`` lists every reason."""

    def __init__(self, problems: list[MappingProblem], *, source: str | None = None) -> None:
        """List every problem, one per line.

        Args:
            problems: the problems (at least one).
            source: the mappings file, when known.
        """
        self.problems = problems
        lines = "\n  ".join(problem.message for problem in problems)
        super().__init__(
            f"{len(problems)} field mapping problem(s); fix them, then plan again:\n  {lines}", source=source
        )


def validate_mappings(mappings: Mappings, describes: Mapping[str, Mapping[str, Any]]) -> list[MappingProblem]:
    """Check every mapping against describe bodies.

    Args:
        mappings: the mappings.
        describes: object name → its describe body (``Lead`` and each target object).

    Returns:
        Every problem, in file order; empty when all mappings can be applied.
    """
    fields = {name: {field["name"]: field for field in body["fields"]} for name, body in describes.items()}
    problems: list[MappingProblem] = []
    seen: dict[tuple[str, str], FieldMapping] = {}
    for rule in mappings.rules:
        problems.extend(_check(rule, fields))
        key = (rule.target_object.value, rule.target_field.casefold())
        if key in seen:
            message = (
                f"{rule.label}: {_target(rule)} is already the target of "
                f"{seen[key].label}; a field can take only one Lead value, so remove one of the two"
            )
            problems.append(MappingProblem(rule, ProblemKind.DUPLICATE_TARGET, message))
        seen.setdefault(key, rule)
    return problems


def require_valid_mappings(
    mappings: Mappings, describes: Mapping[str, Mapping[str, Any]], *, source: str | None = None
) -> None:
    """Check every mapping against describe bodies and refuse the plan if any is wrong.

    Args:
        mappings: the mappings.
        describes: object name → its describe body (``Lead`` and each target object).
        source: the mappings file, named in the message.

    Raises:
        InvalidMappingsError: listing every problem.
    """
    problems = validate_mappings(mappings, describes)
    if problems:
        raise InvalidMappingsError(problems, source=source)


def _check(rule: FieldMapping, fields: Mapping[str, Mapping[str, Field]]) -> Iterator[MappingProblem]:
    source = yield from _lookup(rule, fields, "Lead", rule.lead_field)
    target = yield from _lookup(rule, fields, rule.target_object.value, rule.target_field)
    if source is None or target is None:
        return
    yield from _writable(rule, target)
    yield from _policy_can_write(rule, target)
    unsupported = [
        (sobject, field)
        for sobject, field in (("Lead", source), (rule.target_object.value, target))
        if field["type"] not in COMPATIBLE_TYPES
    ]
    for sobject, field in unsupported:
        yield _problem(rule, ProblemKind.UNSUPPORTED_TYPE, _unsupported(sobject, field))
    if unsupported:
        return
    if target["type"] not in COMPATIBLE_TYPES[source["type"]]:
        fix = ", ".join(sorted(COMPATIBLE_TYPES[source["type"]]))
        what = (
            f"Lead.{rule.lead_field} ({source['type']}) cannot feed {_target(rule)} ({target['type']}); "
            f"choose a target of type {fix}"
        )
        yield _problem(rule, ProblemKind.INCOMPATIBLE_TYPE, what)
        return
    yield from _fits(rule, source, target)


def _lookup(
    rule: FieldMapping, fields: Mapping[str, Mapping[str, Field]], sobject: str, name: str
) -> Generator[MappingProblem, None, Field | None]:
    # A generator that yields the problem (if any) and returns the field (or None) via
    # ``yield from``, so a missing source and a missing target are both reported.
    if sobject not in fields:
        what = f"no describe of {sobject} was given; pull {sobject} (its describe) before planning"
        yield _problem(rule, ProblemKind.NO_DESCRIBE, what)
        return None
    found = fields[sobject].get(name)
    if found is None:
        yield _problem(rule, ProblemKind.MISSING_FIELD, _missing(sobject, name, fields[sobject]))
    return found


def _missing(sobject: str, name: str, fields: Mapping[str, Field]) -> str:
    # API names are case-insensitive in Salesforce, but records come back keyed by the
    # describe's spelling, so a mapping must use exactly that spelling.
    same = [known for known in fields if known.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, list(fields), n=1)
    hint = (
        f"did you mean {close[0]!r}?" if close else f"check the field's API name in Setup > Object Manager > {sobject}"
    )
    return f"{sobject} has no field {name!r} (or the sfbridge user cannot see it); {hint}"


def _writable(rule: FieldMapping, target: Field) -> Iterator[MappingProblem]:
    # Describe's flags already reflect the calling user's field-level security, so "not
    # updateable" covers formula and system fields and fields the integration user cannot edit.
    # sfbridge writes with an update after convertLead; Salesforce sets mapped values as it
    # creates the records, so a target must be both updateable and createable.
    missing = [flag for flag in ("updateable", "createable") if not target.get(flag)]
    if missing:
        what = (
            f"{_target(rule)} is not {' or '.join(missing)} (a formula, system or read-only field, or the "
            "sfbridge user lacks edit access); map to a writable field or grant edit access in its field-level security"
        )
        yield _problem(rule, ProblemKind.READ_ONLY, what)


def _policy_can_write(rule: FieldMapping, target: Field) -> Iterator[MappingProblem]:
    if target["type"] == "boolean" and rule.policy is Policy.FILL_BLANK:
        what = 'a checkbox is never blank, so fill_blank would never write it; set policy = "overwrite"'
        yield _problem(rule, ProblemKind.NEVER_BLANK, what)


def _unsupported(sobject: str, field: Field) -> str:
    kind = field["type"]
    hint = _UNSUPPORTED_HINTS.get(kind, f"of type {kind}, which sfbridge does not map")
    return f"{sobject}.{field['name']} is {hint}"


def _fits(rule: FieldMapping, source: Field, target: Field) -> Iterator[MappingProblem]:
    if target["type"] in _SIZED:
        longest = _longest(source)
        if longest > target["length"]:
            what = (
                f"Lead values can be {longest} characters but {_target(rule)} holds {target['length']}; "
                "lengthen the target field or map a longer one"
            )
            yield _problem(rule, ProblemKind.TOO_LONG, what)
    if target["type"] in _PICKLISTS and target.get("restrictedPicklist"):
        yield from _picklist_values(rule, source, target)
    if source["type"] in _NUMBERS:
        yield from _number_fits(rule, source, target)
    if source["type"] == "reference":
        yield from _same_references(rule, source, target)


def _longest(field: Field) -> int:
    # A picklist's `length` is its column size (255), not what its values need: use its values,
    # so Lead.Industry (values up to 18 characters) fits Account.Industry (40).
    if field["type"] == "picklist" and field["picklistValues"]:
        return max(len(value["value"]) for value in field["picklistValues"])
    return int(field["length"])


def _picklist_values(rule: FieldMapping, source: Field, target: Field) -> Iterator[MappingProblem]:
    # A restricted picklist refuses any value outside its active values
    # (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST), so every active Lead value must be one of them.
    if source["type"] not in _PICKLISTS:
        what = (
            f"{_target(rule)} is a restricted picklist and Lead.{rule.lead_field} is free text, so its values "
            "cannot be shown to fit; map a Lead picklist with the same values, or unrestrict the target"
        )
        yield _problem(rule, ProblemKind.PICKLIST_VALUES, what)
        return
    allowed = {value["value"] for value in target["picklistValues"] if value["active"]}
    refused = [
        value["value"] for value in source["picklistValues"] if value["active"] and value["value"] not in allowed
    ]
    if refused:
        shown = ", ".join(repr(value) for value in refused[:_SHOWN])
        if len(refused) > _SHOWN:
            shown += f" and {len(refused) - _SHOWN} more"
        what = (
            f"the restricted picklist {_target(rule)} does not accept Lead values {shown}; add them as active "
            "values of the target (or its global value set)"
        )
        yield _problem(rule, ProblemKind.PICKLIST_VALUES, what)


def _number_fits(rule: FieldMapping, source: Field, target: Field) -> Iterator[MappingProblem]:
    source_digits, target_digits = _integer_digits(source), _integer_digits(target)
    if source_digits > target_digits:
        what = (
            f"Lead numbers can have {source_digits} digits before the point but {_target(rule)} holds "
            f"{target_digits}; widen the target's length or map a wider field"
        )
        yield _problem(rule, ProblemKind.NUMBER_TOO_LARGE, what)
    if _scale(source) > _scale(target):
        # Salesforce rounds extra decimals silently: a lost cent is data loss nobody sees.
        what = (
            f"Lead numbers keep {_scale(source)} decimal places but {_target(rule)} keeps {_scale(target)}, "
            "so values would be rounded; add decimal places to the target"
        )
        yield _problem(rule, ProblemKind.NUMBER_TOO_LARGE, what)


def _integer_digits(field: Field) -> int:
    # Integer fields describe their size in `digits`; the others in precision (all digits)
    # and scale (digits after the point).
    if field["type"] in {"int", "long"}:
        return int(field["digits"]) or (18 if field["type"] == "long" else 9)
    return int(field["precision"]) - int(field["scale"])


def _scale(field: Field) -> int:
    return 0 if field["type"] in {"int", "long"} else int(field["scale"])


def _same_references(rule: FieldMapping, source: Field, target: Field) -> Iterator[MappingProblem]:
    if target["type"] != "reference":
        return
    outside = sorted(set(source["referenceTo"]) - set(target["referenceTo"]))
    if outside:
        what = (
            f"Lead.{rule.lead_field} can point to {', '.join(outside)}, which {_target(rule)} cannot "
            f"(it points to {', '.join(target['referenceTo']) or 'nothing'}); map a lookup to the same objects"
        )
        yield _problem(rule, ProblemKind.INCOMPATIBLE_TYPE, what)


def _target(rule: FieldMapping) -> str:
    return f"{rule.target_object.value}.{rule.target_field}"


def _problem(rule: FieldMapping, kind: ProblemKind, what: str) -> MappingProblem:
    return MappingProblem(rule, kind, f"{rule.label}: {what}")
