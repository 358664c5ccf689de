"""What the pull keeps of each object's describe, so that offline runs can check rules against the org.

A describe body is large (a Lead's runs to hundreds of kilobytes) and the mirror tables keep
only what each field's values need. Checking a rules file needs a little more: whether a
field exists at all (and is stored), its type, whether sfbridge may write it, and its picklist
values with their active flag. The pull keeps that much per object, right after describing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from sfbridge.models import ColumnKind
from sfbridge.schema import column_kind, stored_type

__all__ = ["DescribedField", "PicklistValue", "described_fields", "fields_from_columns"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PicklistValue(_Frozen):
    """One value of a picklist field: what records hold, and whether users can still pick it."""

    value: str
    active: bool = True


class DescribedField(_Frozen):
    """One field as describe reports it, reduced to what checking rules needs.

    ``sf_type`` is None for a field known only from the mirror's columns (a store pulled
    before the pull kept describes): its ``kind`` is known, its flags and picklist are not.
    The write flags already reflect the sfbridge user's field-level security.
    """

    name: str
    kind: ColumnKind
    sf_type: str | None = None
    label: str = ""
    updateable: bool | None = None
    createable: bool | None = None
    nillable: bool | None = None
    restricted_picklist: bool = False
    picklist: tuple[PicklistValue, ...] = ()

    @property
    def stored(self) -> bool:
        """Whether the mirror holds this field's values (compound and base64 fields it does not)."""
        return self.sf_type is None or stored_type(self.sf_type)

    @property
    def active_values(self) -> tuple[str, ...]:
        """The picklist values users can pick today, in describe order."""
        return tuple(entry.value for entry in self.picklist if entry.active)


def described_fields(describe: Mapping[str, Any]) -> tuple[DescribedField, ...]:
    """Reduce a describe body to the fields worth keeping, in describe order.

    Fields Salesforce marks ``deprecatedAndHidden`` are left out: no query can read them.

    Args:
        describe: the object's describe response.

    Returns:
        One entry per field.
    """
    return tuple(
        DescribedField(
            name=str(entry["name"]),
            kind=column_kind(str(entry.get("type", ""))),
            sf_type=str(entry.get("type", "")),
            label=str(entry.get("label") or ""),
            updateable=bool(entry.get("updateable", False)),
            createable=bool(entry.get("createable", False)),
            nillable=bool(entry.get("nillable", False)),
            restricted_picklist=bool(entry.get("restrictedPicklist", False)),
            picklist=tuple(
                PicklistValue(value=str(value["value"]), active=bool(value.get("active", True)))
                for value in entry.get("picklistValues") or ()
                if value.get("value") is not None
            ),
        )
        for entry in describe.get("fields") or ()
        if not entry.get("deprecatedAndHidden", False)
    )


def fields_from_columns(columns: Mapping[str, ColumnKind]) -> tuple[DescribedField, ...]:
    """What a store's columns tell of an object's fields, for stores pulled before describes were kept."""
    return tuple(DescribedField(name=name, kind=kind) for name, kind in columns.items())
