"""Describes for the simulated orgs: the recorded ones read from a folder, and synthesized ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

__all__ = ["ORGANIZATION_FIELDS", "read_describes", "synthesized_describe"]

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
