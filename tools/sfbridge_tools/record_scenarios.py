"""The recorded scenarios the pull and gateway tests replay (fixtures/http/).

Each scenario is a small simulated org plus, where the test needs it, an injected fault:
Salesforce's own error bodies and status codes, a proxy's HTML page, a truncated answer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sfbridge.ids import to_18
from sfbridge.sandbox.org import Fault, SimulatedOrg
from sfbridge_tools.record import (
    Recorder,
    client_credentials_profile,
    new_store,
    save,
    simulated_org,
)
from sfbridge_tools.synthetic.generator import generate_org
from sfbridge_tools.synthetic.shape import OrgShape

__all__ = ["INSTANCE", "SCENARIO_SHAPE", "SCENARIO_START", "record_scenarios"]

INSTANCE = "https://sfbridge-scenario.my.salesforce.com"
SCENARIO_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = SCENARIO_START + timedelta(hours=6)
SCENARIO_SHAPE = OrgShape(leads=120, contacts=30, accounts=10, users=30, inactive_users=5, queues=2)
# Salesforce may send fewer records per page than asked; forcing small pages keeps the
# multi-page scenarios small.
_PAGES = [40, 40, 40]
_LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
_UNAVAILABLE = [{"message": "Server unavailable, please try again later", "errorCode": "SERVER_UNAVAILABLE"}]
_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
# What Salesforce answers when a query runs too long on its side.
_QUERY_TIMEOUT = [{"message": "Your query request was running for too long.", "errorCode": "QUERY_TIMEOUT"}]
_PROXY_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
    "<p>Your request was blocked by the corporate web proxy.</p></body></html>\n"
)


class _Scenarios:
    """Builds each scenario's org and records it."""

    def __init__(self, out: Path, scratch: Path, describes: dict[str, dict[str, Any]]) -> None:
        self.out, self.scratch, self.describes = out, scratch, describes
        org = generate_org(SCENARIO_SHAPE, snapshot=SCENARIO_START)
        self.org_id, self.user_id = org.org_id, org.integration_user_id
        self.leads = list(org.records("Lead"))
        self.history = list(org.records("LeadHistory"))
        self._count = 0

    def sim(self, **changes: Any) -> SimulatedOrg:  # noqa: ANN401
        sim = simulated_org(
            org_id=self.org_id,
            user_id=self.user_id,
            instance_url=INSTANCE,
            records={"Lead": self.leads},
            describes={"Lead": self.describes["Lead"]},
            clock=lambda: SCENARIO_START,
        )
        for name, value in changes.items():
            setattr(sim, name, value)
        return sim

    def recorder(self, sim: SimulatedOrg, **profile: Any) -> Recorder:  # noqa: ANN401
        self._count += 1
        folder = self.scratch / f"scenario-{self._count}"
        folder.mkdir()
        return Recorder(sim, client_credentials_profile(INSTANCE, **profile), new_store(folder))

    def record(
        self, name: str, recorder: Recorder, *, at: datetime, description: str, fail: bool = False, full: bool = False
    ) -> None:
        interactions = recorder.run(at, objects=["Lead"], expect_failure=fail, full=full)
        save(self.out / f"{name}.json", interactions, description=description, recorded_at=at)


def _fault(
    path: str,
    status: int,
    body: Any,  # noqa: ANN401 (JSON or text)
    times: int = 1,
    headers: Mapping[str, str] | None = None,
) -> Fault:
    return Fault(method="GET", path_contains=path, status=status, body=body, headers=dict(headers or {}), times=times)


def record_scenarios(out: Path, scratch: Path, *, describes: dict[str, dict[str, Any]]) -> None:
    """Write every pull scenario cassette under ``out``."""
    s = _Scenarios(out, scratch, describes)
    for record in (
        _three_pages,
        _incremental,
        _retry_503,
        _reauth,
        _request_limit,
        _budget_reserve,
        _proxy_html,
        _truncated_json,
        _interrupted,
        _new_field,
        _full_reconcile,
        _delete_log_gap,
        _delete_log_purged,
        _wide_object,
        _no_field_history,
        _deleted_same_minute,
        _query_timeout,
        _history_of_deleted_lead,
    ):
        record(s)


def _three_pages(s: _Scenarios) -> None:
    recorder = s.recorder(s.sim(page_sizes=[50, 17, 53]), page_size=200)
    s.record(
        "pull/three_pages",
        recorder,
        at=SCENARIO_START,
        description="120 Leads in three pages, the middle one short (Salesforce may send fewer than asked)",
    )


def _incremental(s: _Scenarios) -> None:
    sim = s.sim()
    recorder = s.recorder(sim)
    s.record("pull/incremental_first", recorder, at=SCENARIO_START, description="first, full pull of 120 Leads")
    sim.clock = lambda: LATER - timedelta(hours=1)
    for lead in s.leads[10:13]:
        sim.upsert("Lead", {"Id": lead["Id"], "Title": "VP Revenue Operations"})
    for n in (1, 2):
        sim.upsert(
            "Lead",
            {
                "Id": to_18(f"00Q5g0000{900 + n:06d}"),
                "LastName": f"Newcomer {n}",
                "Company": "Fresh Co",
                "Status": "Open - Not Contacted",
                "IsConverted": False,
                "OwnerId": s.user_id,
            },
        )
    for lead in s.leads[20:22]:
        sim.delete("Lead", lead["Id"])
    s.record(
        "pull/incremental_second",
        recorder,
        at=LATER,
        description="six hours later: 3 Leads changed, 2 created, 2 deleted (Get Deleted lists them)",
    )


def _retry_503(s: _Scenarios) -> None:
    # A load balancer in front of the org asks clients to wait 7 seconds.
    sim = s.sim(faults=[_fault("/query/", 503, _UNAVAILABLE, times=2, headers={"Retry-After": "7"})])
    s.record(
        "pull/retry_503",
        s.recorder(sim),
        at=SCENARIO_START,
        description="the first query answers 503 SERVER_UNAVAILABLE twice, then succeeds",
    )


def _reauth(s: _Scenarios) -> None:
    # The session expires between page 1 and page 2: 401 on the next page, then a new token.
    sim = s.sim(faults=[_fault("/query/01g", 401, _EXPIRED)], page_sizes=_PAGES)
    s.record(
        "pull/reauth_401",
        s.recorder(sim),
        at=SCENARIO_START,
        description="page 2 answers 401 INVALID_SESSION_ID; sfbridge logs in again once and continues",
    )


def _request_limit(s: _Scenarios) -> None:
    sim = s.sim(faults=[_fault("/query/01g", 403, _LIMIT_EXCEEDED)], page_sizes=_PAGES)
    s.record(
        "pull/request_limit",
        s.recorder(sim),
        at=SCENARIO_START,
        fail=True,
        description="page 2 answers 403 REQUEST_LIMIT_EXCEEDED (TotalRequests): the pull stops",
    )


def _budget_reserve(s: _Scenarios) -> None:
    # 13,498 of 15,000 used (the OAuth login is not an API call): after page 2 the org is past
    # 90 %, so the reserve stops the pull.
    sim = s.sim(api_used=13_498, page_sizes=_PAGES)
    s.record(
        "pull/budget_reserve",
        s.recorder(sim),
        at=SCENARIO_START,
        fail=True,
        description="the org nears its daily API limit; sfbridge stops at its 10 % reserve",
    )


def _proxy_html(s: _Scenarios) -> None:
    sim = s.sim(faults=[_fault("/query/", 200, _PROXY_PAGE, headers={"Content-Type": "text/html;charset=UTF-8"})])
    s.record(
        "pull/proxy_html",
        s.recorder(sim),
        at=SCENARIO_START,
        fail=True,
        description="a corporate proxy answers the query with an HTML page and status 200",
    )


def _truncated_json(s: _Scenarios) -> None:
    sim = s.sim(
        faults=[
            _fault(
                "/query/",
                200,
                '{"totalSize":120,"done":false,"nextRecordsUrl":"/services/data/v66.0/query/01g',
                headers={"Content-Type": "application/json;charset=UTF-8"},
            )
        ]
    )
    s.record(
        "pull/truncated_json",
        s.recorder(sim),
        at=SCENARIO_START,
        fail=True,
        description="the query answer is cut short mid-JSON",
    )


def _interrupted(s: _Scenarios) -> None:
    # The third page (locator offset 80) fails on every attempt.
    sim = s.sim(faults=[_fault("-80", 500, _UNAVAILABLE, times=3)], page_sizes=_PAGES)
    recorder = s.recorder(sim)
    s.record(
        "pull/interrupted_first",
        recorder,
        at=SCENARIO_START,
        fail=True,
        description="page 3 fails on every attempt: the run stops with pages 1-2 committed",
    )
    sim.faults.clear()
    s.record(
        "pull/interrupted_resume",
        recorder,
        at=SCENARIO_START + timedelta(minutes=10),
        description="the next run resumes from the committed bookmark",
    )


def _new_field(s: _Scenarios) -> None:
    sim = s.sim()
    recorder = s.recorder(sim)
    s.record("pull/new_field_first", recorder, at=SCENARIO_START, description="full pull before the field exists")
    entry = copy.deepcopy(next(f for f in sim.describes["Lead"]["fields"] if f["name"] == "UTM_Campaign__c"))
    entry.update(name="Preferred_Language__c", label="Preferred Language", length=40, byteLength=120)
    sim.add_field("Lead", entry)
    sim.clock = lambda: LATER - timedelta(hours=1)
    for lead, language in zip(s.leads[:3], ("de", "fr", "ja"), strict=True):
        sim.upsert("Lead", {"Id": lead["Id"], "Preferred_Language__c": language})
    s.record(
        "pull/new_field_second",
        recorder,
        at=LATER,
        description="an admin added Preferred_Language__c and filled it on 3 Leads",
    )


def _full_reconcile(s: _Scenarios) -> None:
    recorder = s.recorder(s.sim())
    recorder.run(SCENARIO_START, objects=["Lead"])  # the first pull is incremental_first's
    s.record(
        "pull/full_reconcile",
        recorder,
        at=LATER,
        full=True,
        description="--full: every Lead again, then every Id compared with the store",
    )


def _delete_log_gap(s: _Scenarios) -> None:
    sim = s.sim()
    recorder = s.recorder(sim)
    recorder.run(SCENARIO_START, objects=["Lead"])  # the first pull is incremental_first's
    sim.clock = lambda: SCENARIO_START + timedelta(days=19)
    gone = s.leads[30]["Id"]
    sim.delete("Lead", gone)
    sim.deleted_log.clear()  # purged from the delete log (and the recycle bin) long ago
    s.record(
        "pull/delete_log_gap",
        recorder,
        at=SCENARIO_START + timedelta(days=20),
        description="20 days without a pull: past the 15-day delete log, so Ids are reconciled",
    )


def _delete_log_purged(s: _Scenarios) -> None:
    sim = s.sim()
    recorder = s.recorder(sim)
    recorder.run(SCENARIO_START, objects=["Lead"])  # the first pull is incremental_first's
    sim.clock = lambda: LATER - timedelta(hours=1)
    sim.delete("Lead", s.leads[40]["Id"])
    sim.deleted_log.clear()
    # A large delete log is trimmed early: it now starts after our last check.
    sim.earliest_delete_available = LATER - timedelta(hours=2)
    s.record(
        "pull/delete_log_purged",
        recorder,
        at=LATER,
        description="the delete log was purged after our last check, so Ids are reconciled",
    )


_WIDE_FIELDS = 400
_WIDE_LEADS = 25


def _wide_object(s: _Scenarios) -> None:
    # Orgs with hundreds of custom fields exist; one SELECT of them all would not fit in a URL.
    sim = s.sim()
    sim.records["Lead"] = sim.records["Lead"][:_WIDE_LEADS]
    template = next(f for f in sim.describes["Lead"]["fields"] if f["name"] == "UTM_Campaign__c")
    for n in range(_WIDE_FIELDS):
        entry = copy.deepcopy(template)
        name = f"Marketing_Attribution_Touchpoint_{n:03d}__c"
        entry.update(name=name, label=name.removesuffix("__c").replace("_", " "))
        sim.add_field("Lead", entry)
    for index, lead in enumerate(sim.records["Lead"]):
        lead[f"Marketing_Attribution_Touchpoint_{index % _WIDE_FIELDS:03d}__c"] = f"touch {index}"
        lead[f"Marketing_Attribution_Touchpoint_{_WIDE_FIELDS - 1:03d}__c"] = "last field"
    s.record(
        "pull/wide_object",
        s.recorder(sim),
        at=SCENARIO_START,
        description="a Lead with 400 extra custom fields: the SELECT is split into column groups",
    )


def _no_field_history(s: _Scenarios) -> None:
    # The scenario org has no LeadHistory: describe answers 404 NOT_FOUND, as for an object
    # the integration user cannot see.
    recorder = s.recorder(s.sim())
    interactions = recorder.run(SCENARIO_START, objects=["Lead", "LeadHistory"])
    save(
        s.out / "pull/no_field_history.json",
        interactions,
        recorded_at=SCENARIO_START,
        description="LeadHistory is not available (field history off): noted, and the pull goes on",
    )


Scenario = Callable[[_Scenarios], None]


def _deleted_same_minute(s: _Scenarios) -> None:
    # Two leads are deleted twenty seconds before the pull: one goes to the Recycle Bin, the
    # other is hard-deleted (emptied from the bin). Get Deleted's coverage lags two minutes
    # behind `end`, so it lists neither: queryAll finds the first (IsDeleted, SystemModstamp to
    # the second), and the count that still disagrees makes the pull reconcile Ids for the second.
    sim = s.sim(delete_log_lag=timedelta(minutes=2))
    recorder = s.recorder(sim)
    recorder.run(SCENARIO_START, objects=["Lead"])  # the first pull is incremental_first's
    moment = LATER + timedelta(seconds=40)
    sim.clock = lambda: LATER + timedelta(seconds=20)
    sim.delete("Lead", s.leads[50]["Id"])
    sim.purge("Lead", s.leads[51]["Id"])
    s.record(
        "pull/deleted_same_minute",
        recorder,
        at=moment,
        description="two Leads deleted 20 s before the pull (one soft, one hard); Get Deleted covers only up to "
        "two minutes before `end`: queryAll finds the soft delete, an Id reconcile the hard one",
    )
    s.record(
        "pull/deleted_same_minute_again",
        recorder,
        at=moment + timedelta(seconds=15),
        description="the same pull again fifteen seconds later: nothing new, nothing fails",
    )


def _query_timeout(s: _Scenarios) -> None:
    # The whole read times out, then its first half times out again: three windows in all.
    sim = s.sim(faults=[Fault("GET", "/query/", 400, _QUERY_TIMEOUT, times=2)])
    s.record(
        "pull/query_timeout",
        s.recorder(sim),
        at=SCENARIO_START,
        description="QUERY_TIMEOUT on the first read and on its first half: the pull narrows the "
        "SystemModstamp window until each read succeeds",
    )


def _history_of_deleted_lead(s: _Scenarios) -> None:
    history_describe = {"LeadHistory": s.describes["LeadHistory"]}
    sim = s.sim()
    sim.describes.update(copy.deepcopy(history_describe))
    sim.records["LeadHistory"] = [dict(row) for row in s.history]
    recorder = s.recorder(sim)
    with_history = next(row["LeadId"] for row in s.history if row.get("Field") == "Status")
    interactions = recorder.run(SCENARIO_START, objects=["Lead", "LeadHistory"])
    save(
        s.out / "pull/history_first.json",
        interactions,
        recorded_at=SCENARIO_START,
        description="Leads and their status history",
    )
    sim.clock = lambda: LATER - timedelta(minutes=30)
    sim.delete("Lead", with_history)  # its history goes with it, as in Salesforce
    interactions = recorder.run(LATER, objects=["Lead"])
    save(
        s.out / "pull/history_lead_deleted.json",
        interactions,
        recorded_at=LATER,
        description=f"Lead {with_history}, which has status history, is deleted; only Lead is pulled",
    )
