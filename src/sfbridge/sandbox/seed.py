"""A local sandbox seeded from a mirror: the mirrored org's records, served back as an org that takes writes.

``sfbridge demo --apply`` makes one from the demo store so a newcomer can rehearse plan,
apply, runs show and revert on the very records the audit saw, with nothing real at stake:
its Organization row says ``IsSandbox`` true and its name says what it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sfbridge.sandbox.describes import ORGANIZATION_FIELDS, synthesized_describe
from sfbridge.sandbox.writes import WritableOrg
from sfbridge.wire import format_datetime

__all__ = ["SANDBOX_NAME", "local_sandbox", "running_clock"]

#: What the local sandbox calls itself (Organization.Name), so no screen can mistake it for an org.
SANDBOX_NAME = "sfbridge local sandbox (simulated in this process, not a real org)"


def running_clock(start: datetime, *, monotonic: Callable[[], float] = time.monotonic) -> Callable[[], datetime]:
    """A clock that starts at ``start`` (Salesforce's time in the sandbox) and runs with real time."""
    began = monotonic()
    return lambda: start + timedelta(seconds=monotonic() - began)


def _wire(value: Any) -> Any:  # noqa: ANN401 (a stored field value)
    """A stored value as Salesforce's JSON carries it (datetimes with milliseconds and +0000)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _describe_with(describe: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """The describe, with a text field for each mirrored column it lacks (a custom field added later)."""
    known = {entry["name"] for entry in describe["fields"]}
    template = next((entry for entry in describe["fields"] if entry.get("type") == "string"), None)
    for name in columns:
        if name not in known and template is not None:
            describe["fields"].append({**template, "name": name, "label": name, "custom": name.endswith("__c")})
    return describe


def local_sandbox(
    *,
    org_id: str,
    user_id: str,
    instance_url: str,
    api_version: str,
    records: Mapping[str, Iterable[Mapping[str, Any]]],
    describes: Mapping[str, dict[str, Any]],
    clock: Callable[[], datetime],
) -> WritableOrg:
    """A writable simulated org holding these records (the store's own columns left out).

    Args:
        org_id: the Organization Id it answers with (the mirrored org's, so plans made from
            the mirror are for it).
        user_id: the user its sessions log in as.
        instance_url: the instance it answers as.
        api_version: the REST and SOAP version it serves.
        records: per object, the mirrored rows (deleted ones included, flagged IsDeleted).
        describes: per object, its describe; a mirrored column a describe lacks is added.
        clock: Salesforce's clock in the sandbox.
    """
    rows = {
        sobject: [{name: _wire(value) for name, value in row.items() if not name.startswith("_")} for row in found]
        for sobject, found in records.items()
    }
    organization = {
        "Id": org_id,
        "Name": SANDBOX_NAME,
        "OrganizationType": "Enterprise Edition",
        "IsSandbox": True,
        "InstanceName": "LOCAL",
    }
    described = {
        sobject: _describe_with(
            {**describe, "fields": list(describe["fields"])}, {name for row in rows.get(sobject, ()) for name in row}
        )
        for sobject, describe in describes.items()
    }
    template = next(iter(describes.values()))
    described["Organization"] = synthesized_describe(template, "Organization", ORGANIZATION_FIELDS)
    return WritableOrg(
        org_id=org_id,
        user_id=user_id,
        instance_url=instance_url,
        api_version=api_version,
        describes=described,
        records=rows | {"Organization": [organization]},
        clock=clock,
    )
