"""Bulk pulls: the same rows in the store as a REST pull, and an interrupted download resumed from its locator."""

from datetime import UTC, datetime

import pytest

from recorded import FIXTURES
from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.pull import PullOptions, pull
from sfbridge.pull import bulk as pull_bulk
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.session import ApiUsage, TimeoutSession
from sfbridge.store import Store
from sfbridge_tools.record import SECRETS, client_credentials_profile, load_describes
from sfbridge_tools.simbulk import BulkSimulatedOrg
from sfbridge_tools.synthetic import generate_org, shape_for_records

INSTANCE = "https://sfbridge-bulk.my.salesforce.com"
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def org_records():
    org = generate_org(shape_for_records(400), snapshot=NOW)
    return org, {name: list(org.records(name)) for name in org.sobjects()}


def simulated(org_records):
    org, records = org_records
    return BulkSimulatedOrg(
        org_id=org.org_id,
        user_id=org.integration_user_id,
        instance_url=INSTANCE,
        api_version="66.0",
        describes=load_describes(FIXTURES / "demo-org" / "describe"),
        records={name: [dict(row) for row in rows] for name, rows in records.items()},
        clock=lambda: NOW,
    )


def pull_into(sim, store, **options):
    session = TimeoutSession(connect_timeout=5, read_timeout=5, usage=ApiUsage())
    session.mount("https://", sim)
    gateway = SalesforceGateway(client_credentials_profile(INSTANCE), SECRETS, session=session, sleep=lambda _s: None)
    return pull(gateway, store, org="bulk", objects=DEFAULT_OBJECTS, options=PullOptions(clock=lambda: NOW, **options))


def rows(store, sobject):
    return sorted((dict(row) for row in store.rows(sobject)), key=lambda row: row["Id"])


def test_a_bulk_pull_stores_exactly_what_a_rest_pull_stores(org_records, tmp_path, monkeypatch):
    """Every object, every field, typed the same: CSV empties, booleans, datetimes, non-Latin text."""
    monkeypatch.setattr(pull_bulk, "_PAGE_RECORDS", 97)  # several result pages per object
    rest, bulk = Store.open(str(tmp_path / "rest.db")), Store.open(str(tmp_path / "bulk.db"))
    pull_into(simulated(org_records), rest)
    sim = simulated(org_records)
    report = pull_into(sim, bulk, bulk=True)
    assert len(sim._jobs) == len(DEFAULT_OBJECTS)
    for sobject in DEFAULT_OBJECTS:
        ignored = {"_synced_at"}
        left = [{k: v for k, v in row.items() if k not in ignored} for row in rows(rest, sobject)]
        right = [{k: v for k, v in row.items() if k not in ignored} for row in rows(bulk, sobject)]
        assert right == left, sobject
    assert {result.sobject: result.stored == result.org_count for result in report.objects} == dict.fromkeys(
        DEFAULT_OBJECTS, True
    )


def test_large_reads_go_to_bulk_by_the_threshold_and_small_ones_stay_on_rest(org_records, tmp_path):
    """The first REST page's totalSize decides: above bulk_threshold a job is created, below it REST pages go on."""
    sim = simulated(org_records)
    pull_into(sim, Store.open(str(tmp_path / "s.db")), bulk_threshold=150)
    big = {sobject for sobject, rows in org_records[1].items() if len(rows) >= 150}
    assert {job.sobject for job in sim._jobs.values()} == big - {"User", "Group", "LeadStatus"}


def test_an_interrupted_bulk_download_resumes_from_its_locator(org_records, tmp_path, monkeypatch):
    """A pull that dies after some result pages continues the same job from the next page, not from scratch."""
    monkeypatch.setattr(pull_bulk, "_PAGE_RECORDS", 50)
    store = Store.open(str(tmp_path / "s.db"))
    sim = simulated(org_records)
    original = Store.write_page
    writes = []

    def dies_on_the_third_lead_page(self, state, *args, **kwargs):
        if state.sobject == "Lead":
            writes.append(1)
            if len(writes) == 3:
                raise KeyboardInterrupt
        return original(self, state, *args, **kwargs)

    monkeypatch.setattr(Store, "write_page", dies_on_the_third_lead_page)
    with pytest.raises(KeyboardInterrupt):
        pull_into(sim, store, bulk=True)
    lead_jobs = [job for job in sim._jobs.values() if job.sobject == "Lead"]
    assert len(lead_jobs) == 1
    assert store.note("bulk:Lead") is not None  # the resume point survived the crash
    monkeypatch.setattr(Store, "write_page", original)
    report = pull_into(sim, store, bulk=True)
    assert [job.sobject for job in sim._jobs.values()].count("Lead") == 1  # the same job, continued
    lead = next(result for result in report.objects if result.sobject == "Lead")
    assert lead.stored == lead.org_count
    assert store.note("bulk:Lead") is None
