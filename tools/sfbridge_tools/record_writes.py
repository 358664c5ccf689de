"""The recorded scenarios of an apply's REST calls (fixtures/http/writes/): re-reads and updates.

A simulated org that also takes sObject Collections updates answers the real gateway's
``fetch_records`` (queryAll by Id, in URL-sized chunks, deleted records included, paged) and
``update_records``, refusing records the way Salesforce does: a converted Lead, a validation
rule, a field the object lacks. ``python -m sfbridge_tools.record_writes`` re-records them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sfbridge.errors import FatalSalesforceError, ProtocolError, SfbridgeError
from sfbridge.ids import to_18
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.session import ApiUsage, TimeoutSession
from sfbridge.salesforce.writes import RecordUpdate
from sfbridge.sandbox.org import Fault
from sfbridge.sandbox.writes import SaveError, WritableOrg
from sfbridge.wire import format_datetime
from sfbridge_tools.record import (
    DEMO_DIR,
    SCENARIO_DIR,
    SECRETS,
    client_credentials_profile,
    load_describes,
    save,
)
from sfbridge_tools.recording import RecordingAdapter

__all__ = ["REREAD_FIELDS", "WritableOrg", "lead_id", "main", "record_writes"]

INSTANCE = "https://sfbridge-scenario.my.salesforce.com"
ORG_ID = "00D9P0000L6772hUQA"
USER_ID = "0059P0000Am3kw2QQA"
#: The plan was made at PLANNED_AT; the apply runs (and is recorded) an hour later.
PLANNED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
APPLY_AT = PLANNED_AT + timedelta(hours=1)
#: What the re-read scenarios select besides Id, IsDeleted and SystemModstamp.
REREAD_FIELDS = ("Status", "IsConverted", "LeadSource", "OwnerId")
#: More Leads than one ``Id IN (...)`` query holds in a URL (about 575 18-character Ids).
_MANY_LEADS = 600
_UNAVAILABLE = [{"message": "Server unavailable, please try again later", "errorCode": "SERVER_UNAVAILABLE"}]


def lead_id(n: int) -> str:
    """The 18-character Id of scenario Lead ``n``."""
    return to_18(f"00Q9P0000G{n:05d}")


def contact_id(n: int) -> str:
    """The 18-character Id of scenario Contact ``n``."""
    return to_18(f"0039P0000H{n:05d}")


def _stamps(n: int) -> dict[str, Any]:
    stamp = format_datetime(PLANNED_AT - timedelta(days=30) + timedelta(minutes=n))
    return {"IsDeleted": False, "CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp}


def _lead(n: int, **values: Any) -> dict[str, Any]:  # noqa: ANN401 (field values)
    return {
        "Id": lead_id(n),
        **_stamps(n),
        "LastName": f"Prospect {n}",
        "Company": f"Scenario Company {n}",
        "Status": "Open - Not Contacted",
        "IsConverted": False,
        "LeadSource": None,
        "OwnerId": USER_ID,
        **values,
    }


def _contact(n: int, **values: Any) -> dict[str, Any]:  # noqa: ANN401 (field values)
    return {
        "Id": contact_id(n),
        **_stamps(n),
        "LastName": f"Customer {n}",
        "LeadSource": None,
        "OwnerId": USER_ID,
        **values,
    }


def _failed(status_code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    # A record that was not saved has no `id` in its SaveResult ("If this field is empty, the
    # object was not updated"); results are matched to records by position.
    return {"success": False, "errors": [{"statusCode": status_code, "message": message, "fields": fields or []}]}


def _lead_source_locked(sobject: str, row: Mapping[str, Any], values: Mapping[str, Any]) -> SaveError | None:
    """The scenario org's validation rule: a qualified Lead keeps its Lead Source."""
    if sobject == "Lead" and "LeadSource" in values and row.get("Status") == "Qualified":
        return {
            "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "message": "Lead Source cannot change once a Lead is qualified.",
            "fields": ["LeadSource"],
        }
    return None


class _Writes:
    """Builds each scenario's org and records what the gateway exchanges with it."""

    def __init__(self, out: Path, describes: dict[str, dict[str, Any]]) -> None:
        self.out = out
        self.describes = {name: describes[name] for name in ("Lead", "Contact")}

    def org(
        self,
        leads: list[dict[str, Any]],
        contacts: list[dict[str, Any]] | None = None,
        **changes: Any,  # noqa: ANN401 (SimulatedOrg fields)
    ) -> WritableOrg:
        return WritableOrg(
            org_id=ORG_ID,
            user_id=USER_ID,
            instance_url=INSTANCE,
            api_version="66.0",
            describes=copy.deepcopy(self.describes),
            records={"Lead": leads, "Contact": contacts or []},
            clock=lambda: APPLY_AT,
            validation_rules=[_lead_source_locked],
            **changes,
        )

    def record(
        self,
        name: str,
        org: WritableOrg,
        call: Callable[[SalesforceGateway], object],
        *,
        description: str,
        expect: type[SfbridgeError] | None = None,
    ) -> None:
        adapter = RecordingAdapter(org)
        session = TimeoutSession(connect_timeout=5, read_timeout=5, usage=ApiUsage())
        session.mount("https://", adapter)
        profile = client_credentials_profile(INSTANCE)
        gateway = SalesforceGateway(profile, SECRETS, session=session, sleep=lambda _seconds: None)
        try:
            call(gateway)
        except SfbridgeError as exc:
            if expect is None or not isinstance(exc, expect):
                raise
        else:
            if expect is not None:
                msg = f"{name}: the scenario was meant to fail with {expect.__name__} but succeeded"
                raise AssertionError(msg)
        save(self.out / f"{name}.json", adapter.recorded, description=description, recorded_at=APPLY_AT)


def record_writes(out: Path, *, describes: dict[str, dict[str, Any]]) -> None:
    """Write every apply-call scenario cassette under ``out`` (``fixtures/http``)."""
    s = _Writes(out, describes)
    _update_partial_failure(s)
    _update_retry_503(s)
    _update_unknown_field(s)
    _update_result_count_mismatch(s)
    _reread_two_queries(s)
    _reread_paged(s)


def _update_partial_failure(s: _Writes) -> None:
    org = s.org(
        [
            _lead(1),
            _lead(2, Status="Closed - Converted", IsConverted=True, ConvertedContactId=contact_id(9)),
            _lead(3, Status="Qualified", LeadSource="Other"),
        ],
        [_contact(1)],
    )
    updates = [
        RecordUpdate("Lead", lead_id(1), {"LeadSource": "Web"}),
        RecordUpdate("Lead", lead_id(2), {"LeadSource": "Web"}),
        RecordUpdate("Lead", lead_id(3), {"LeadSource": "Partner Referral"}),
        RecordUpdate("Contact", contact_id(1), {"LeadSource": "Trade Show"}),
    ]
    s.record(
        "writes/update_partial_failure",
        org,
        lambda gateway: gateway.update_records(updates),
        description="4 updates: Lead 2 was converted since planning, Lead 3 trips a validation rule, 2 saved",
    )


def _update_retry_503(s: _Writes) -> None:
    org = s.org([_lead(1), _lead(2)], faults=[Fault("PATCH", "/composite/sobjects", 503, _UNAVAILABLE)])
    updates = [RecordUpdate("Lead", lead_id(n), {"Status": "Working - Contacted"}) for n in (1, 2)]
    s.record(
        "writes/update_retry_503",
        org,
        lambda gateway: gateway.update_records(updates),
        description="the Collections PATCH answers 503 SERVER_UNAVAILABLE once; sent again, both records save",
    )


def _update_unknown_field(s: _Writes) -> None:
    updates = [RecordUpdate("Lead", lead_id(n), {"Preferred_Language__c": "de"}) for n in (1, 2)]
    s.record(
        "writes/update_unknown_field",
        s.org([_lead(1), _lead(2)]),
        lambda gateway: gateway.update_records(updates),
        description="the update names a field Lead lacks: 400 INVALID_FIELD for the whole request",
        expect=FatalSalesforceError,
    )


def _update_result_count_mismatch(s: _Writes) -> None:
    # Not something Salesforce sends: a proxy or a changed API answering one result for two.
    one = [{"id": lead_id(1), "success": True, "errors": []}]
    org = s.org([_lead(1), _lead(2)], faults=[Fault("PATCH", "/composite/sobjects", 200, one)])
    updates = [RecordUpdate("Lead", lead_id(n), {"Rating": "Hot"}) for n in (1, 2)]
    s.record(
        "writes/update_result_count_mismatch",
        org,
        lambda gateway: gateway.update_records(updates),
        description="one save result comes back for two records (a proxy in the way?)",
        expect=ProtocolError,
    )


def _reread_two_queries(s: _Writes) -> None:
    leads = [_lead(n, LeadSource="Web" if n % 3 else None) for n in range(1, _MANY_LEADS + 1)]
    org = s.org(leads)
    org.clock = lambda: PLANNED_AT + timedelta(minutes=20)
    org.delete("Lead", lead_id(515))  # in the Recycle Bin: queryAll still returns it
    org.records["Lead"] = [row for row in org.records["Lead"] if row["Id"] != lead_id(7)]  # purged
    org.clock = lambda: APPLY_AT
    ids = [lead_id(n) for n in range(1, _MANY_LEADS + 1)]
    s.record(
        "writes/reread_two_queries",
        org,
        lambda gateway: gateway.fetch_records("Lead", ids, REREAD_FIELDS),
        description=(
            f"re-read {_MANY_LEADS} Leads by Id: two queryAll calls to stay under the URL limit; "
            "Lead 515 is in the Recycle Bin, Lead 7 was purged"
        ),
    )


def _reread_paged(s: _Writes) -> None:
    # Salesforce may send fewer records per page than asked; forced small pages keep it small.
    org = s.org([_lead(n) for n in (1, 2, 3)], page_sizes=[2, 1])
    s.record(
        "writes/reread_paged",
        org,
        lambda gateway: gateway.fetch_records("Lead", [lead_id(n) for n in (1, 2, 3)], REREAD_FIELDS),
        description="re-read 3 Leads: the answer comes in two pages (nextRecordsUrl)",
    )


def main() -> None:
    """Re-record the apply-call scenarios."""
    record_writes(SCENARIO_DIR, describes=load_describes(DEMO_DIR / "describe"))


if __name__ == "__main__":
    main()
