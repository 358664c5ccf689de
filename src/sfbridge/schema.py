"""What to pull for each object, and which of its described fields can be pulled and stored.

Pure: turns a describe body plus an :class:`ObjectSpec` into an :class:`ObjectSchema`.
Compound fields (address, location) are skipped because their parts are separate fields,
and base64 fields because REST only returns them one record at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema

__all__ = [
    "DEFAULT_SPECS",
    "IMPORT_CURSOR",
    "CountPolicy",
    "ObjectSpec",
    "SyncMode",
    "column_kind",
    "object_schema",
    "spec_for",
    "stored_type",
]

#: The cursor ``sfbridge import`` leaves in an object's sync state. No describe names such a
#: field, so the first pull of an imported object sees a cursor other than its own: it drops the
#: imported table and reads the object whole, typed from the org's describe (sfbridge.pull.objects).
IMPORT_CURSOR = "import"

_SKIPPED_TYPES = frozenset({"address", "location", "base64"})
_KINDS = {
    "boolean": ColumnKind.BOOLEAN,
    "int": ColumnKind.INTEGER,
    "long": ColumnKind.INTEGER,
    "double": ColumnKind.NUMBER,
    "currency": ColumnKind.NUMBER,
    "percent": ColumnKind.NUMBER,
    "date": ColumnKind.DATE,
    "datetime": ColumnKind.DATETIME,
}


class SyncMode(StrEnum):
    """How an object is kept in step."""

    INCREMENTAL = "incremental"  # changed rows since the bookmark, then deletions
    FULL = "full"  # every row every time; for small objects without a usable cursor


class CountPolicy(StrEnum):
    """How the store's row count must compare with the org's ``COUNT()``."""

    EXACT = "exact"
    # The store may hold more: rows Salesforce stops counting without deleting them
    # (archived Tasks after a year, field history past its retention) stay as history.
    AT_LEAST = "at_least"


@dataclass(frozen=True)
class ObjectSpec:
    """The pull recipe for one object.

    ``fields`` None means every field describe lists; otherwise the named fields that
    describe also lists (plus Id, the cursor and IsDeleted, which every pull needs).
    """

    sobject: str
    fields: tuple[str, ...] | None = None
    where: tuple[str, ...] = ()
    mode: SyncMode = SyncMode.INCREMENTAL
    count_policy: CountPolicy = CountPolicy.EXACT
    optional: bool = False
    parent: tuple[str, str] | None = None


DEFAULT_SPECS: Mapping[str, ObjectSpec] = {
    spec.sobject: spec
    for spec in (
        ObjectSpec("Lead"),
        ObjectSpec("Contact"),
        ObjectSpec("Account"),
        ObjectSpec(
            "User",
            fields=(
                "Name",
                "FirstName",
                "LastName",
                "Username",
                "Email",
                "IsActive",
                "UserType",
                "ProfileId",
                "UserRoleId",
                "ManagerId",
                "Title",
                "Department",
                "CreatedDate",
                "LastLoginDate",
            ),
        ),
        # Queues own leads (Lead.OwnerId starting 00G); their names make reports readable.
        ObjectSpec(
            "Group",
            fields=("Name", "DeveloperName", "Type", "Email", "CreatedDate"),
            where=("Type = 'Queue'",),
            mode=SyncMode.FULL,
        ),
        # LeadStatus is not replicateable and has a handful of rows: re-read it whole.
        ObjectSpec("LeadStatus", mode=SyncMode.FULL),
        ObjectSpec(
            "Opportunity",
            fields=("AccountId", "StageName", "CreatedDate", "IsClosed", "IsWon"),
        ),
        ObjectSpec(
            "Task",
            fields=("WhoId", "ActivityDate", "CreatedDate", "Status", "IsClosed"),
            count_policy=CountPolicy.AT_LEAST,
        ),
        # Only Status changes matter to the checks. With field history off for Lead, the org
        # refuses the object; the pull notes it and goes on.
        ObjectSpec(
            "LeadHistory",
            fields=("LeadId", "Field", "OldValue", "NewValue", "CreatedDate", "CreatedById"),
            where=("Field = 'Status'",),
            count_policy=CountPolicy.AT_LEAST,
            optional=True,
            parent=("LeadId", "Lead"),
        ),
    )
}


def spec_for(sobject: str) -> ObjectSpec:
    """Return the recipe for an object (a plain incremental pull for objects we don't know)."""
    return DEFAULT_SPECS.get(sobject, ObjectSpec(sobject))


def column_kind(sf_type: str) -> ColumnKind:
    """Map a describe field type to how it is stored.

    >>> column_kind("datetime"), column_kind("picklist"), column_kind("currency")
    (<ColumnKind.DATETIME: 'datetime'>, <ColumnKind.TEXT: 'text'>, <ColumnKind.NUMBER: 'number'>)
    """
    return _KINDS.get(sf_type, ColumnKind.TEXT)


def stored_type(sf_type: str) -> bool:
    """Tell whether the mirror stores fields of a describe type (compound and base64 ones it skips).

    >>> stored_type("string"), stored_type("address")
    (True, False)
    """
    return sf_type not in _SKIPPED_TYPES


def _pullable(entry: Mapping[str, Any]) -> bool:
    return stored_type(str(entry.get("type"))) and not entry.get("deprecatedAndHidden", False)


def object_schema(describe: Mapping[str, Any], spec: ObjectSpec) -> ObjectSchema:
    """Choose the fields to pull from a describe body.

    Args:
        describe: the object's describe response.
        spec: the recipe (which fields, which mode).

    Returns:
        The schema: Id first, then the chosen fields in describe order.
    """
    entries = [entry for entry in describe["fields"] if _pullable(entry)]
    names = {entry["name"] for entry in entries}
    cursor = next((c for c in ("SystemModstamp", "CreatedDate") if c in names), None)
    if spec.mode is SyncMode.FULL:
        cursor = None
    if spec.fields is not None:
        wanted = {"Id", "IsDeleted", *spec.fields, *([cursor] if cursor else [])}
        entries = [entry for entry in entries if entry["name"] in wanted]
    entries.sort(key=lambda entry: entry["name"] != "Id")  # stable: Id first, rest as described
    fields = tuple(
        FieldInfo(
            name=entry["name"],
            sf_type=entry["type"],
            kind=column_kind(entry["type"]),
            custom=bool(entry.get("custom", False)),
        )
        for entry in entries
    )
    return ObjectSchema(
        sobject=str(describe["name"]),
        fields=fields,
        replicateable=bool(describe.get("replicateable", False)),
        cursor=cursor,
    )


def missing_fields(spec: ObjectSpec, schema: ObjectSchema) -> Sequence[str]:
    """Name the fields a recipe asks for that the org does not offer (hidden by FLS, say)."""
    return [name for name in spec.fields or () if not schema.has(name)]
