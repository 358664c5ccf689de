"""The scenario org of the apply, revert and CLI tests: sfbridge's own simulated org, seeded and served.

Apply's behaviour depends on what the org holds between calls (a lead converted by an
earlier batch, a record changed by someone else), which fixed cassettes cannot express, so
these tests talk to :mod:`sfbridge.sandbox`, the simulator the demo rehearses on. This module
is test glue only: it seeds the org (the scenario org's Organization, integration user and
lead statuses, the recorded describes), serves it to ``requests`` through ``responses`` (so the
CLI's own sessions reach it too), and reads back what was sent.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import requests
import responses

from conftest import INSTANCE, fixed_clock
from sfbridge.ids import object_of_id
from sfbridge.sandbox.describes import read_describes
from sfbridge.sandbox.faults import Disconnect, SlowCall, soap_operation
from sfbridge.sandbox.seed import local_sandbox
from sfbridge.sandbox.writes import SaveError, ValidationRule, WritableOrg

ORG_ID, USER_ID = "00D9P0000L6772hUQA", "0059P0000Am3kw2QQA"
#: Salesforce's clock in the scenario org: the day after the plans were made.
ORG_TIME = datetime(2026, 11, 3, 10, tzinfo=UTC)
_DESCRIBES = Path(__file__).resolve().parent.parent / "fixtures" / "demo-org" / "describe"
_P = "{urn:partner.soap.sforce.com}"
_S = "{urn:sobject.partner.soap.sforce.com}"
_LEAD_STATUSES = {
    "Open - Not Contacted": False,
    "Working - Contacted": False,
    "Closed - Converted": True,
    "Closed - Not Converted": False,
}


def _object_of(record_id: str) -> str:
    sobject = object_of_id(record_id)
    if sobject is None:
        msg = f"{record_id}: not an Id of an object the scenario org holds"
        raise KeyError(msg)
    return sobject


@functools.cache
def _recorded_describes() -> dict[str, dict[str, Any]]:
    return read_describes(_DESCRIBES)


def scenario_org(records: Iterable[dict[str, Any]], *, is_sandbox: bool = True, **options: Any) -> WritableOrg:
    """The scenario org holding these records (each filed under its object by its Id's prefix)."""
    by_object: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_object.setdefault(_object_of(record["Id"]), []).append(dict(record))
    by_object["User"] = [{"Id": USER_ID, "Username": "integration@scenario.example", "IsActive": True}]
    by_object["LeadStatus"] = [
        {"Id": f"01J9P0000Ls{n:04d}AAA", "ApiName": name, "MasterLabel": name, "IsConverted": converted}
        for n, (name, converted) in enumerate(_LEAD_STATUSES.items())
    ]
    org = local_sandbox(
        org_id=ORG_ID,
        user_id=USER_ID,
        instance_url=INSTANCE,
        api_version="66.0",
        records=by_object,
        describes=_recorded_describes(),  # local_sandbox copies each field list it extends
        clock=fixed_clock(ORG_TIME),
    )
    # The scenario org is a real-looking one, sandbox or production as the test needs.
    org.records["Organization"][0].update(Name="sfbridge Scenario Org", IsSandbox=is_sandbox)
    for name, value in options.items():
        if not hasattr(org, name):
            msg = f"the simulated org has no setting {name!r}"
            raise TypeError(msg)
        setattr(org, name, value)
    return org


def lost_answer(operation: str, **options: Any) -> Disconnect:
    """Salesforce does the next ``operation`` SOAP call, and its answer is lost (a reset)."""
    return Disconnect("POST", "/services/Soap/u/", operation=operation, after_acting=True, **options)


def killed_before_sending(operation: str, **options: Any) -> Disconnect:
    """The process dies (Ctrl-C, the machine going down) as it sends the next ``operation`` call: nothing is done."""
    return Disconnect("POST", "/services/Soap/u/", operation=operation, error=KeyboardInterrupt, **options)


def still_running(operation: str, **options: Any) -> SlowCall:
    """Salesforce is still running the next ``operation`` call when the client stops waiting."""
    return SlowCall("POST", "/services/Soap/u/", operation=operation, **options)


def refuse(record_id: str, status_code: str, message: str) -> ValidationRule:
    """A rule of the org that refuses any save of one record with this error."""

    def rule(_sobject: str, row: dict[str, Any], _values: dict[str, Any]) -> SaveError | None:
        return {"statusCode": status_code, "message": message, "fields": []} if row.get("Id") == record_id else None

    return rule


def row(org: WritableOrg, record_id: str) -> dict[str, Any]:
    """The record as the org holds it now (KeyError when it is not there, purged say)."""
    found = [r for r in org.records.get(_object_of(record_id), []) if r["Id"] == record_id]
    if not found:
        raise KeyError(record_id)
    return found[0]


@contextmanager
def serving(
    org: WritableOrg, *, before: Callable[[requests.PreparedRequest], None] | None = None
) -> Iterator[responses.RequestsMock]:
    """Answer every request to the scenario instance from the org; ``before`` sees each one first."""

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        if before is not None:
            before(request)
        response = org.send(request)
        return response.status_code, dict(response.headers), response.content

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.GET, responses.POST, responses.PATCH):
            mock.add_callback(method, re.compile(re.escape(INSTANCE) + r"/.*"), callback=answer, content_type=None)
        yield mock


def _calls(org: WritableOrg, operation: str) -> list[ET.Element]:
    """The SOAP calls of one kind the org received, each its operation element."""
    found = []
    for request in org.received:
        if soap_operation(request.body) == operation:
            envelope = ET.fromstring(request.body)  # noqa: S314 (sfbridge's own request)
            found.append(envelope.find(f".//{_P}{operation}"))
    return found


def converts_sent(org: WritableOrg) -> list[list[str]]:
    """The leads of each convertLead call, in order."""
    return [
        [e.findtext(f"{_P}leadId") for e in call.findall(f"{_P}leadConverts")] for call in _calls(org, "convertLead")
    ]


def merges_sent(org: WritableOrg) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Each merge call's (master, merged records) requests, in order."""
    return [
        [
            (item.findtext(f"{_P}masterRecord/{_S}Id"), tuple(e.text for e in item.findall(f"{_P}recordToMergeIds")))
            for item in call.findall(f"{_P}request")
        ]
        for call in _calls(org, "merge")
    ]


def undeletes_sent(org: WritableOrg) -> list[list[str]]:
    """The records of each undelete call, in order."""
    return [[e.text for e in call.findall(f"{_P}ids")] for call in _calls(org, "undelete")]


def updates_sent(org: WritableOrg) -> list[list[dict[str, Any]]]:
    """The records of each sObject Collections update, in order."""
    return [
        json.loads(request.body)["records"]
        for request in org.received
        if request.method == "PATCH" and urlsplit(request.url).path.endswith("/composite/sobjects")
    ]


def operations(org: WritableOrg) -> list[str]:
    """The write calls the org received, in order: ``update`` or the SOAP call's name."""
    names = []
    for request in org.received:
        if request.method == "PATCH":
            names.append("update")
        elif (operation := soap_operation(request.body)) not in {"", "login"}:
            names.append(operation)
    return names
