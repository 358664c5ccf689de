"""The org profile's field fill rates as a person reads them (pure).

An admin asks which fields their people actually fill. So each object's fields come in three
groups: the fields people fill, most filled first; checkboxes, which are always "filled"
(false until ticked), so their rate says nothing; then the fields Salesforce sets itself (Id,
CreatedDate, formulas: no one fills those). Each shows its label in the org, its API name beside it.

The profile knows a field's label and kind when the pull kept the object's describe
(:class:`sfbridge.checks.profile.FieldFill`); a profile without them falls back on the API
name made readable and a list of the standard fields Salesforce sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sfbridge.report.evidence import label

__all__ = ["GROUPS", "fill_rate_groups"]

#: The groups, in the order shown: key and heading.
GROUPS = (
    ("filled_by_people", "Filled by people"),
    ("checkbox", "Checkboxes (always filled: false until ticked)"),
    ("set_by_salesforce", "Set by Salesforce"),
)
#: Standard fields Salesforce sets, for a profile made without the describe.
_SET_BY_SALESFORCE = frozenset(
    {
        "Id",
        "IsDeleted",
        "MasterRecordId",
        "Name",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "LastActivityDate",
        "LastViewedDate",
        "LastReferencedDate",
        "ConvertedDate",
        "ConvertedAccountId",
        "ConvertedContactId",
        "ConvertedOpportunityId",
        "PhotoUrl",
        "JigsawContactId",
        "EmailBouncedReason",
        "EmailBouncedDate",
    }
)


def _group(fill: Mapping[str, Any]) -> str:
    set_by_salesforce = fill.get("set_by_salesforce")
    if set_by_salesforce is None:
        set_by_salesforce = fill.get("field") in _SET_BY_SALESFORCE
    if set_by_salesforce:
        return "set_by_salesforce"
    return "checkbox" if fill.get("checkbox") else "filled_by_people"


def fill_rate_groups(rates: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One object's fill rates in :data:`GROUPS` order, each group's fields most filled first.

    Returns:
        The groups that have fields: ``key``, ``title`` and ``fields`` (each fill rate with its
        ``label``: the org's, else the API name made readable).
    """
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in GROUPS}
    for fill in rates:
        shown = {**fill, "label": fill.get("label") or label(str(fill.get("field", "")))}
        grouped[_group(fill)].append(shown)
    return [
        {
            "key": key,
            "title": title,
            "fields": sorted(grouped[key], key=lambda fill: (-float(fill.get("fill_rate") or 0), fill["label"])),
        }
        for key, title in GROUPS
        if grouped[key]
    ]
