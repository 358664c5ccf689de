"""The mappings file (``config/mappings.toml``) as typed models, and which values a mapping writes.

A mapping entry names one Lead field and the Contact, Account and/or Opportunity field that
should receive its value after a lead is converted, with a policy: ``fill_blank`` (the
default; the same rule Salesforce applies when a lead is merged into existing records) or
``overwrite``. Invalid files fail with a message naming the file, the mapping and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from sfbridge.errors import ConfigError
from sfbridge.soql import API_NAME
from sfbridge.tomlfile import read_toml, unknown_key

__all__ = [
    "FieldMapping",
    "MappingEntry",
    "Mappings",
    "OpportunityCreation",
    "Policy",
    "SettingsExport",
    "TargetObject",
    "find_mappings_file",
    "load_mappings",
    "values_to_write",
]


class Policy(StrEnum):
    """When a mapped value is written over what the target record already holds."""

    FILL_BLANK = "fill_blank"  # only into a blank field, as Salesforce does when merging
    OVERWRITE = "overwrite"  # whenever the Lead's value differs (never with a blank)


class TargetObject(StrEnum):
    """The objects a lead conversion creates or merges into."""

    ACCOUNT = "Account"
    CONTACT = "Contact"
    OPPORTUNITY = "Opportunity"


class OpportunityCreation(StrEnum):
    """LeadConvertSettings' ``opportunityCreationOptions``: the Opportunity box in Convert Lead."""

    VISIBLE_OPTIONAL = "VisibleOptional"
    VISIBLE_REQUIRED = "VisibleRequired"
    NOT_VISIBLE = "NotVisible"


def _api_name(value: str) -> str:
    if "." in value:
        msg = f"{value!r}: give the field's API name alone, without the object (e.g. {value.rsplit('.', 1)[-1]!r})"
        raise ValueError(msg)
    if not API_NAME.fullmatch(value):
        msg = f"{value!r} is not a field API name (letters, digits and _, e.g. 'Industry__c')"
        raise ValueError(msg)
    return value


ApiName = Annotated[str, AfterValidator(_api_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MappingEntry(_Strict):
    """One ``[[mapping]]`` table: a Lead field, its target field(s) and the policy."""

    lead: ApiName
    account: ApiName | None = None
    contact: ApiName | None = None
    opportunity: ApiName | None = None
    policy: Policy = Policy.FILL_BLANK

    @model_validator(mode="after")
    def _has_target(self) -> Self:
        if self.account is None and self.contact is None and self.opportunity is None:
            msg = "needs a target: add contact = ..., account = ... and/or opportunity = ..."
            raise ValueError(msg)
        return self


class SettingsExport(_Strict):
    """Options written into the exported LeadConvertSettings file only when set.

    Left unset, the deployed file does not mention them (the org keeps what it has).
    """

    allow_owner_change: bool | None = None
    opportunity_creation: OpportunityCreation | None = None


@dataclass(frozen=True)
class FieldMapping:
    """One Lead field → one target field, numbered by its ``[[mapping]]`` entry (from 1)."""

    number: int
    lead_field: str
    target_object: TargetObject
    target_field: str
    policy: Policy

    @property
    def label(self) -> str:
        """How messages name this mapping.

        >>> FieldMapping(3, "Segment__c", TargetObject.CONTACT, "Segment__c", Policy.FILL_BLANK).label
        'mapping 3 (Lead.Segment__c → Contact.Segment__c)'
        """
        return f"mapping {self.number} (Lead.{self.lead_field} → {self.target_object.value}.{self.target_field})"


class Mappings(_Strict):
    """Everything in a mappings file; empty by default (nothing is written)."""

    entries: tuple[MappingEntry, ...] = Field(default=(), alias="mapping")
    export: SettingsExport = SettingsExport()

    @property
    def rules(self) -> tuple[FieldMapping, ...]:
        """Every Lead field → target field pair, in file order (Account, Contact, Opportunity within an entry)."""
        return tuple(
            FieldMapping(number, entry.lead, target, field, entry.policy)
            for number, entry in enumerate(self.entries, start=1)
            for target, field in (
                (TargetObject.ACCOUNT, entry.account),
                (TargetObject.CONTACT, entry.contact),
                (TargetObject.OPPORTUNITY, entry.opportunity),
            )
            if field is not None
        )

    def rules_for(self, target: TargetObject) -> tuple[FieldMapping, ...]:
        """The mappings whose target is on one object."""
        return tuple(rule for rule in self.rules if rule.target_object is target)


def find_mappings_file(config_dir: Path) -> Path | None:
    """The mappings file beside the config file, if there is one (None: no mappings).

    Args:
        config_dir: the folder of the config file.

    Returns:
        ``config_dir/mappings.toml`` when it exists, else None.
    """
    path = config_dir / "mappings.toml"
    return path if path.is_file() else None


def load_mappings(path: Path | None) -> Mappings:
    """Read and check a mappings file (no file: no mappings).

    Args:
        path: the TOML file, or None.

    Returns:
        The mappings.

    Raises:
        ConfigError: naming the file, the mapping and the key of anything wrong.
    """
    if path is None:
        return Mappings()
    raw = read_toml(path, what="the mappings file")
    try:
        return Mappings.model_validate(raw)
    except ValidationError as exc:
        raise _mappings_error(exc, path=path) from exc


def _mappings_error(exc: ValidationError, *, path: Path) -> ConfigError:
    lines = []
    for error in exc.errors():
        loc = error["loc"]
        where = _where(loc)
        if error["type"] == "extra_forbidden":
            lines.append(unknown_key(Mappings, loc, where=where))
        elif loc == ("mapping",):
            lines.append("mapping: write each mapping as its own [[mapping]] table (double brackets)")
        else:
            lines.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    return ConfigError("\n  ".join(lines), source=str(path))


def _where(loc: tuple[int | str, ...]) -> str:
    # Entries are numbered from 1, as every other message about a mapping numbers them.
    if len(loc) >= 2 and loc[0] == "mapping" and isinstance(loc[1], int):  # noqa: PLR2004 (table, index)
        rest = ".".join(str(part) for part in loc[2:])
        return f"mapping {loc[1] + 1}" + (f", key {rest!r}" if rest else "")
    return ".".join(str(part) for part in loc)


def values_to_write(
    mappings: Mappings, lead: Mapping[str, Any], *, target_object: str, target_current: Mapping[str, Any]
) -> dict[str, Any]:
    """Which mapped Lead values to write to a record a conversion created or merged into.

    Run after each successful conversion, with the target as it now stands: a value the org's
    own Lead-field mapping already carried is equal to the Lead's and is not written again.

    Args:
        mappings: the mappings.
        lead: the Lead's field values (API name → value), as read before conversion.
        target_object: ``Account``, ``Contact`` or ``Opportunity``.
        target_current: the target record's current values (API name → value).

    Returns:
        Target field → value, only for fields that should change. A blank Lead value is never
        written: ``fill_blank`` writes into blank fields only, ``overwrite`` where they differ.

    Raises:
        ValueError: when ``target_object`` is not one of the three.
    """
    values: dict[str, Any] = {}
    for rule in mappings.rules_for(TargetObject(target_object)):
        value = lead.get(rule.lead_field)
        current = target_current.get(rule.target_field)
        if _is_blank(value):
            continue
        if rule.policy is Policy.FILL_BLANK and not _is_blank(current):
            continue
        if rule.policy is Policy.OVERWRITE and current == value:
            continue
        values[rule.target_field] = value
    return values


def _is_blank(value: object) -> bool:
    """Blank as Salesforce shows it: null or only whitespace (a checkbox is never blank).

    >>> [_is_blank(v) for v in (None, "", "  ", "x", 0, False)]
    [True, True, True, False, False, False]
    """
    return value is None or (isinstance(value, str) and not value.strip())
