"""Describes for the simulated orgs: the recorded ones read from a folder, and synthesized ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

__all__ = ["ORGANIZATION_FIELDS", "global_describe", "read_describes", "synthesized_describe"]

#: The Organization fields the simulated orgs answer (auth check, apply's confirmation).
ORGANIZATION_FIELDS = {
    "Id": "id",
    "Name": "string",
    "OrganizationType": "picklist",
    "IsSandbox": "boolean",
    "InstanceName": "string",
}


def read_describes(folder: Path) -> dict[str, dict[str, Any]]:
    """The recorded describes in a folder, by object (``Lead.json`` → ``Lead``)."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


def synthesized_describe(template: dict[str, Any], name: str, fields: dict[str, str]) -> dict[str, Any]:
    """Describe an object with the shape of a recorded one (same keys, entries cloned by type)."""
    by_type = {entry["type"]: entry for entry in template["fields"]}
    describe = copy.deepcopy(template)
    describe.update(
        name=name,
        label=name,
        labelPlural=name,
        custom=False,
        replicateable=False,
        childRelationships=[],
        recordTypeInfos=[],
    )
    describe["fields"] = []
    for field_name, field_type in fields.items():
        entry = copy.deepcopy(by_type[field_type])
        entry.update(name=field_name, label=field_name, custom=False)
        describe["fields"].append(entry)
    return describe


# The keys of one object in a global describe (GET /sobjects), a subset of its own describe.
_GLOBAL_KEYS = (
    "activateable",
    "associateEntityType",
    "associateParentEntity",
    "createable",
    "custom",
    "customSetting",
    "deepCloneable",
    "deletable",
    "deprecatedAndHidden",
    "feedEnabled",
    "hasSubtypes",
    "isInterface",
    "isSubtype",
    "keyPrefix",
    "label",
    "labelPlural",
    "layoutable",
    "mergeable",
    "mruEnabled",
    "name",
    "queryable",
    "replicateable",
    "retrieveable",
    "searchable",
    "triggerable",
    "undeletable",
    "updateable",
)
_GLOBAL_URLS = (
    "compactLayouts",
    "rowTemplate",
    "approvalLayouts",
    "listviews",
    "describe",
    "quickActions",
    "layouts",
    "sobject",
)


def global_describe(describes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The answer to GET /sobjects: each object's top-level flags and links, as Salesforce lists them."""
    entries = [
        {key: describe[key] for key in _GLOBAL_KEYS if key in describe}
        | {"urls": {key: url for key, url in describe.get("urls", {}).items() if key in _GLOBAL_URLS}}
        for _name, describe in sorted(describes.items())
    ]
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": entries}
