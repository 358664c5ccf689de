"""Record the bundled demo org: a full first pull, then an incremental pull three hours later.

Between the two runs the simulated org changes the way a live org does (edits, a status
change with its history row and task, new leads, deletions, a new custom field), touching
only records outside the answer key so the planted problems stay exactly as listed.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.ids import to_18
from sfbridge.salesforce.whoami import destination
from sfbridge.sandbox.describes import ORGANIZATION_FIELDS, synthesized_describe
from sfbridge.sandbox.org import SimulatedOrg
from sfbridge.wire import format_datetime
from sfbridge_tools.record import (
    Recorder,
    client_credentials_profile,
    load_describes,
    new_store,
    save,
    simulated_org,
)
from sfbridge_tools.synthetic.generator import generate_org
from sfbridge_tools.synthetic.shape import DEMO_SHAPE

__all__ = ["DEMO_INSTANCE", "SECOND_RUN_AFTER", "record_demo"]

DEMO_INSTANCE = "https://sfbridge-demo.my.salesforce.com"
SECOND_RUN_AFTER = timedelta(hours=3)
API_VERSION = "66.0"


def _planted_ids(answer_key: dict[str, Any]) -> set[str]:
    """Every Id the answer key mentions anywhere (keys, values, clusters, hard negatives)."""
    found: set[str] = set()

    def walk(value: Any) -> None:  # noqa: ANN401 (JSON)
        if isinstance(value, str) and len(value) == 18 and value[:3].isalnum():  # noqa: PLR2004
            found.add(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer_key)
    return found


def _quiet_records(sim: SimulatedOrg, planted: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Open Leads and Contacts outside the answer key, with no Tasks, sorted by Id."""
    touched = {task.get("WhoId") for task in sim.records.get("Task", [])}
    converted = {lead.get("ConvertedContactId") for lead in sim.records["Lead"]}
    leads = [
        lead
        for lead in sim.records["Lead"]
        if not lead.get("IsConverted") and lead["Id"] not in planted and lead["Id"] not in touched
    ]
    contacts = [
        c
        for c in sim.records["Contact"]
        if c["Id"] not in planted and c["Id"] not in touched and c["Id"] not in converted
    ]
    return {"Lead": sorted(leads, key=lambda r: r["Id"]), "Contact": sorted(contacts, key=lambda r: r["Id"])}


def _change_org(sim: SimulatedOrg, planted: set[str], at: datetime) -> dict[str, Any]:
    """Apply the day's changes and say what they were."""
    quiet = _quiet_records(sim, planted)
    edited, deleted_leads = quiet["Lead"][:4], quiet["Lead"][-2:]
    deleted_contact = quiet["Contact"][-1]
    entry = copy.deepcopy(next(f for f in sim.describes["Lead"]["fields"] if f["name"] == "UTM_Campaign__c"))
    entry.update(name="Preferred_Language__c", label="Preferred Language", length=40, byteLength=120)
    sim.add_field("Lead", entry)
    for lead, language in zip(edited, ("de", "fr", "es", "ja"), strict=True):
        sim.upsert("Lead", {"Id": lead["Id"], "Rating": "Warm", "Preferred_Language__c": language})
    new_leads = _new_leads(sim, at)
    for lead in deleted_leads:
        sim.delete("Lead", lead["Id"])  # its history goes with it
    sim.delete("Contact", deleted_contact["Id"])
    return {
        "new_field": "Lead.Preferred_Language__c",
        "edited_leads": [lead["Id"] for lead in edited],
        "created_leads": new_leads,
        "deleted": {"Lead": [lead["Id"] for lead in deleted_leads], "Contact": [deleted_contact["Id"]]},
    }


def _new_leads(sim: SimulatedOrg, at: datetime) -> list[str]:
    owner = next(u["Id"] for u in sim.records["User"] if u.get("IsActive") and u["Id"] != sim.user_id)
    people = (
        (
            "Ingrid",
            "Solberg",
            "Fjordline Analytics AS",
            "ingrid.solberg@fjordline-analytics.no",
            "+47 22 12 34 56",
            "Webinar",
        ),
        (
            "Tomasz",
            "Wierzbicki",
            "Kestrel Freight Sp. z o.o.",
            "t.wierzbicki@kestrel-freight.pl",
            "+48 22 555 01 87",
            "Web",
        ),
    )
    created = []
    for n, (first, last, company, email, phone, source) in enumerate(people, start=1):
        lead_id = to_18(f"00Q5g0000{990_000 + n:06d}")
        sim.upsert(
            "Lead",
            {
                "Id": lead_id,
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Company": company,
                "Email": email,
                "Phone": phone,
                "LeadSource": source,
                "Status": "Open - Not Contacted",
                "IsConverted": False,
                "IsUnreadByOwner": True,
                "OwnerId": owner,
                "CreatedById": sim.user_id,
                "LastModifiedById": sim.user_id,
                "CreatedDate": format_datetime(at - timedelta(minutes=40 * n)),
            },
        )
        created.append(lead_id)
    return created


def record_demo(folder: Path, scratch: Path) -> None:
    """Generate the demo org, record both runs, and write manifest and answer key."""
    org = generate_org(DEMO_SHAPE)
    describes = load_describes(folder / "describe")
    first = org.snapshot
    second = first + SECOND_RUN_AFTER
    records = {name: list(org.records(name)) for name in org.sobjects()}
    # The org's own row, for what `plan` and `apply` read of it (name, and that it is no production org).
    organization = {
        "Id": org.org_id,
        "Name": "sfbridge Demo Org",
        "OrganizationType": "Enterprise Edition",
        "IsSandbox": True,
        "InstanceName": "USA123S",
    }
    sim = simulated_org(
        org_id=org.org_id,
        user_id=org.integration_user_id,
        instance_url=DEMO_INSTANCE,
        records=records | {"Organization": [organization]},
        describes=describes
        | {"Organization": synthesized_describe(describes["Lead"], "Organization", ORGANIZATION_FIELDS)},
        clock=lambda: first,
        api_version=API_VERSION,
    )
    sim.api_used = 2_318  # a working org has spent some of its day already
    profile = client_credentials_profile(DEMO_INSTANCE, name="demo", page_size=500)
    recorder = Recorder(sim, profile, new_store(scratch))
    interactions = recorder.run(first, objects=DEFAULT_OBJECTS)
    answer_key = org.answer_key()
    sim.clock = lambda: second
    changes = _change_org(sim, _planted_ids(answer_key), second)
    interactions += recorder.run(second, objects=DEFAULT_OBJECTS)
    # The org's list of objects, for `sfbridge pull --org demo --objects NAME` with a name sfbridge
    # does not know (a custom object, or a typo it can then suggest the right spelling for).
    interactions += recorder.ask(first, lambda gateway: gateway.sobject_names())
    # What `sfbridge plan` reads of the org and its user before pulling (the plan records whether it is a sandbox).
    interactions += recorder.ask(first, destination)
    save(
        folder / "http" / "demo_pull.json",
        interactions,
        recorded_at=first,
        description="the demo org: a first full pull, then an incremental pull three hours later",
    )
    manifest = {
        "org_id": org.org_id,
        "instance_url": DEMO_INSTANCE,
        "login_url": DEMO_INSTANCE,
        "auth": "client_credentials",
        "api_version": API_VERSION,
        "recorded_at": format_datetime(first),
        "runs": [
            {"recorded_at": format_datetime(first), "what": "first pull: every record"},
            {"recorded_at": format_datetime(second), "what": "three hours later: incremental", "changes": changes},
        ],
        "counts": {name: len(rows) for name, rows in records.items()},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (folder / "answer_key.json").write_text(
        json.dumps(answer_key, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
