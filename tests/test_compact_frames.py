"""Low-cardinality text columns are held as Categoricals at load, and no check or finding can tell."""

from datetime import UTC, datetime

import polars as pl
import pytest

from conftest import copy_store
from sfbridge.audit import audit
from sfbridge.checks import select_checks
from sfbridge.models import ColumnKind, SyncState
from sfbridge.rules import Rules
from sfbridge.store import Store, frames
from test_derived import generated_store

_STATUSES = ("Open", "Working", "Closed")


def _lead_store(url: str) -> Store:
    """A store with 3,000 Leads: unique Ids and Emails, three Statuses, a few Countries."""
    store = Store.open(url)
    store.bind_org("00D000000000001EAA", "https://example.my.salesforce.com")
    columns = dict.fromkeys(["Id", "Email", "Status", "Country"], ColumnKind.TEXT)
    store.prepare_mirror("Lead", columns)
    state = SyncState(sobject="Lead", cursor="SystemModstamp", bookmark=None, deletes_since=None,
                      completed_at=datetime(2026, 11, 2, tzinfo=UTC), columns=columns)  # fmt: skip
    store.save_state(state)
    rows = [
        (f"00Q{n:015d}", f"p{n}@example.com", _STATUSES[n % 3], None if n % 7 == 0 else ("US", "FR")[n % 2])
        for n in range(3_000)
    ]
    store.write_page(state, list(columns), rows, synced_at=datetime(2026, 11, 2, tzinfo=UTC), run_id=None)
    return store


def test_repeating_text_columns_load_as_categoricals_and_read_as_text(tmp_path, monkeypatch):
    """Status and Country repeat a few values: Categoricals, whichever path read them; checks still get text."""
    monkeypatch.setattr(frames, "_COMPACT_FROM_ROWS", 1_000)  # as a frame of 10,000 rows or more
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)  # read by a reader process, as a large store is
    fields = {"Lead": ["Id", "Email", "Status", "Country"]}
    on_disk = _lead_store(str(tmp_path / "leads.db")).load_snapshot(fields)
    in_memory = _lead_store(":memory:").load_snapshot(fields)
    lead = on_disk.frames["Lead"]
    assert lead.schema["Status"] == pl.Categorical
    assert lead.schema["Country"] == pl.Categorical
    assert lead.schema["Id"] == pl.Utf8  # every value distinct: nothing to gain
    assert lead.schema["Email"] == pl.Utf8
    assert lead.sort("Id").equals(in_memory.frames["Lead"].sort("Id"))
    read = on_disk.frame("Lead", {"Id": pl.Utf8(), "Status": pl.Utf8(), "Country": pl.Utf8()})
    assert read.schema == {"Id": pl.Utf8, "Status": pl.Utf8, "Country": pl.Utf8}
    assert read.sort("Id").get_column("Status").to_list() == [_STATUSES[n % 3] for n in range(3_000)]
    assert read.get_column("Country").null_count() == len(range(0, 3_000, 7))


def test_small_frames_keep_plain_text(tmp_path):
    """Below 10,000 rows nothing is compacted (the saving would not pay for counting)."""
    snapshot = _lead_store(str(tmp_path / "leads.db")).load_snapshot({"Lead": ["Id", "Status"]})
    assert snapshot.frames["Lead"].schema["Status"] == pl.Utf8


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_store(tmp_path_factory.mktemp("generated") / "org.db")


def _findings(store: Store) -> list[dict]:
    result = audit(store, org="t", rules=Rules(), checks=select_checks(None))
    return [finding.model_dump(mode="json") for finding in result.findings]


@pytest.mark.parametrize("org", ["demo", "generated"])
def test_an_audit_finds_the_same_with_every_text_column_compacted(org, demo_store, generated, tmp_path, monkeypatch):
    """Every text column of every object a Categorical (Ids too, the hardest case): the same findings."""
    store = copy_store(demo_store if org == "demo" else generated, tmp_path / "copy.db")
    monkeypatch.setattr(frames, "_ISOLATE_FROM_BYTES", 0)  # through the readers, as at scale
    monkeypatch.setattr(frames, "_COMPACT_FROM_ROWS", 10**9)
    plain = _findings(store)
    monkeypatch.setattr(frames, "_COMPACT_FROM_ROWS", 0)
    monkeypatch.setattr(frames, "_COMPACT_SHARE", 1.0)
    compacted = _findings(store)
    assert compacted == plain
