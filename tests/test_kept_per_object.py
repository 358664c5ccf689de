"""What a preparation keeps holds per object: a pull that wrote a few Tasks costs the next one the Task frame.

Each object's kept frame holds for its own mirror table (``Store.object_tokens``), and the kept
people for Lead's, Contact's and Account's (``people_token``): a scheduled pull that wrote
none of an object's rows leaves what was kept of it to the next audit, and the audit finds what
an audit of the mirror alone finds.
"""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text

from conftest import copy_store, generated_org_store
from kept import audit_findings, kept_people_reads, people_made, write_as_a_pull
from sfbridge.audit import prepare_for_audits, snapshot_fields
from sfbridge.checks import select_checks
from sfbridge.checks.context import PEOPLE_NEEDS
from sfbridge.cli.rehearsal import demo_sandbox, sandbox_gateway
from sfbridge.config import DEFAULT_OBJECTS, AuthMethod, OrgProfile
from sfbridge.demo import load_demo_org
from sfbridge.describes import DescribedField
from sfbridge.models import ColumnKind
from sfbridge.prepare import Prepared, kept_people_reader, people_token
from sfbridge.pull import PullOptions, pull
from sfbridge.rules import Rules
from sfbridge.store import Store, frames
from sfbridge.store.sync_state import object_writes_key
from sfbridge.store.tables import mirror_table_name

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
RULES = Rules()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_org_store(tmp_path_factory.mktemp("per-object") / "org.db", snapshot=NOW)


@pytest.fixture(autouse=True)
def compact_small_frames(monkeypatch):
    # Categorical columns in frames this small too, as a large org's snapshot has them.
    monkeypatch.setattr(frames, "_COMPACT_FROM_ROWS", 500)


def _objects() -> list[str]:
    return sorted(snapshot_fields(select_checks(None), RULES))


def _first_id(store: Store, sobject: str, where: str = "1 = 1") -> str:
    with store.engine.connect() as conn:
        query = f'SELECT "Id" FROM {mirror_table_name(sobject)} WHERE {where} ORDER BY "Id" LIMIT 1'  # noqa: S608
        return str(conn.execute(text(query)).scalar())


def _a_pull_that_found_nothing(store: Store) -> None:
    """What a pull writes when the org changed nothing: each object's sync state and describe, anew."""
    later = NOW + timedelta(minutes=15)
    for sobject in _objects():
        state = store.state(sobject)
        store.save_state(state.model_copy(update={"completed_at": later, "bookmark": later}), run_id=99)
        described = store.described(sobject)
        if described is not None:
            store.save_describe(sobject, described, described_at=later)


def _loads(monkeypatch) -> list[list[str]]:
    """The objects each snapshot load was asked for."""
    asked: list[list[str]] = []
    loading = Store.load_snapshot

    def counted(self, fields, **kwargs):
        asked.append(sorted(fields))
        return loading(self, fields, **kwargs)

    monkeypatch.setattr(Store, "load_snapshot", counted)
    return asked


def _from_the_mirror(store: Store, tmp_path) -> tuple[list[dict], dict | None]:
    """The findings of the same mirror with nothing kept: what the kept frames and people must not change."""
    bare = copy_store(store, tmp_path / "bare.db")
    bare.forget_kept_frames()
    return audit_findings(bare, RULES)


def test_each_objects_token_changes_with_its_own_writes_only(generated, tmp_path):
    store = copy_store(generated, tmp_path / "copy.db")
    objects = _objects()
    before, snapshot_before = store.object_tokens(objects), store.snapshot_token()
    assert sorted(before) == objects

    _a_pull_that_found_nothing(store)
    assert store.object_tokens(objects) == before
    assert store.snapshot_token() != snapshot_before  # the findings' basis moves: the ages' moment did

    write_as_a_pull(store, "Lead", ["Id", "LastName"], (_first_id(store, "Lead"), "Changed"), at=NOW)
    after = store.object_tokens(objects)
    assert {sobject for sobject in objects if after[sobject] != before[sobject]} == {"Lead"}

    # A Lead deleted takes its field history with it: both tables change, nothing else.
    history = mirror_table_name("LeadHistory")  # our own table name, not input
    with_history = _first_id(store, "Lead", f'"Id" IN (SELECT "LeadId" FROM {history})')  # noqa: S608
    store.mark_deleted("Lead", [with_history], at=NOW, children=[("LeadHistory", "LeadId")])
    deleted = store.object_tokens(objects)
    assert {sobject for sobject in objects if deleted[sobject] != after[sobject]} == {"Lead", "LeadHistory"}
    # Every pull asks the delete log: one that lists nothing new (or a deletion already flagged) writes nothing.
    store.mark_deleted("Lead", [], at=NOW, children=[("LeadHistory", "LeadId")])
    store.mark_deleted("Lead", [with_history], at=NOW, children=[("LeadHistory", "LeadId")])
    assert store.object_tokens(objects) == deleted

    # A describe that says something new (a field more) is a new typing of the table; the same again is not.
    fields = (DescribedField(name="Id", kind=ColumnKind.TEXT, sf_type="id"),)
    store.save_describe("Contact", fields, described_at=NOW)
    described = store.object_tokens(["Contact"])["Contact"]
    assert described != deleted["Contact"]
    store.save_describe("Contact", fields, described_at=NOW + timedelta(hours=1))
    assert store.object_tokens(["Contact"])["Contact"] == described
    more = DescribedField(name="Email", kind=ColumnKind.TEXT, sf_type="email")
    store.save_describe("Contact", (*fields, more), described_at=NOW + timedelta(hours=2))
    assert store.object_tokens(["Contact"])["Contact"] != described


def test_a_preparation_after_a_pull_of_tasks_keeps_the_task_frame_alone(generated, tmp_path, monkeypatch):
    """The pull brought a Task page: Task is loaded and kept again; every other frame, and the people, stay."""
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    task = _first_id(store, "Task", '"WhoId" IS NOT NULL')
    write_as_a_pull(store, "Task", ["Id", "WhoId"], (task, None), at=NOW)
    loads = _loads(monkeypatch)
    prepared = prepare_for_audits(store, RULES)
    assert prepared.kept == ("Task",)
    assert prepared.unchanged == tuple(sobject for sobject in _objects() if sobject != "Task")
    assert prepared.people_unchanged
    assert prepared.people_kept
    assert loads == [["Task"]]

    # The audit after it reads every frame and the people as kept, and finds what the mirror alone gives.
    people_read = kept_people_reads(monkeypatch)
    snapshot = store.load_snapshot({"Task": {"Id", "WhoId"}})
    assert snapshot.frames["Task"].filter(pl.col("Id") == task).get_column("WhoId").to_list() == [None]
    found = audit_findings(store, RULES)
    assert people_read == [True]
    assert found == _from_the_mirror(store, tmp_path)


def test_a_preparation_after_a_pull_of_leads_normalises_the_people_again(generated, tmp_path, monkeypatch):
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    lead = _first_id(store, "Lead", '"IsConverted" = 0')
    write_as_a_pull(store, "Lead", ["Id", "LastName"], (lead, "Changed"), at=NOW)
    assert kept_people_reader(store, people_token(store), RULES)() is None
    loads = _loads(monkeypatch)
    prepared = prepare_for_audits(store, RULES)
    assert prepared.kept == ("Lead",)
    assert not prepared.people_unchanged
    assert prepared.people_kept
    assert loads == [sorted(PEOPLE_NEEDS)]  # Contact and Account read back as kept, within the load

    kept = kept_people_reader(store, people_token(store), RULES)()
    assert kept is not None
    assert kept.filter(pl.col("record_id") == lead).get_column("last_name").to_list() == ["Changed"]
    assert_frame_equal(kept, people_made(store, RULES), categorical_as_str=False)
    assert audit_findings(store, RULES) == _from_the_mirror(store, tmp_path)


def test_a_preparation_after_a_pull_that_found_nothing_loads_nothing(generated, tmp_path, monkeypatch):
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    _a_pull_that_found_nothing(store)
    loads = _loads(monkeypatch)
    prepared = prepare_for_audits(store, RULES)
    assert loads == []
    assert prepared.kept == ()
    assert prepared.unchanged == tuple(_objects())
    assert prepared.people_unchanged
    assert prepared.people == people_made(store, RULES).height
    assert audit_findings(store, RULES) == _from_the_mirror(store, tmp_path)


def test_frames_kept_of_an_object_the_mirror_no_longer_holds_go(generated, tmp_path):
    """Keeping one object's frame replaces it alone: the others stay, but for an object no longer mirrored."""
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_state WHERE sobject = 'Opportunity'"))
    snapshot = store.load_snapshot({"Lead": {"Id"}})
    store.keep_frames(store.object_tokens(["Lead"]), snapshot.frames, {})
    with store.engine.connect() as conn:
        kept = set(conn.execute(text("SELECT sobject FROM kept_frames WHERE sobject NOT LIKE '#%'")).scalars())
    assert kept == set(_objects()) - {"Opportunity"}
    assert kept_people_reader(store, people_token(store), RULES)() is not None  # the people hold for their own token


def test_history_revived_with_its_lead_changes_the_history_token_alone(generated, tmp_path):
    store = copy_store(generated, tmp_path / "copy.db")
    history = mirror_table_name("LeadHistory")  # our own table name, not input
    lead = _first_id(store, "Lead", f'"Id" IN (SELECT "LeadId" FROM {history})')  # noqa: S608
    with store.engine.begin() as conn:  # flagged as a deleted Lead's history is, the Lead since undeleted
        flag = f'UPDATE {history} SET "_deleted_at" = :at WHERE "LeadId" = :lead'  # noqa: S608
        conn.execute(text(flag), {"at": NOW, "lead": lead})
    before = store.object_tokens(_objects())
    flagged, revived = store.follow_parents("LeadHistory", parent_field="LeadId", parent="Lead", at=NOW)
    assert flagged == 0
    assert revived > 0
    after = store.object_tokens(_objects())
    assert {sobject for sobject in before if after[sobject] != before[sobject]} == {"LeadHistory"}
    assert store.follow_parents("LeadHistory", parent_field="LeadId", parent="Lead", at=NOW) == (0, 0)
    assert store.object_tokens(_objects()) == after


def test_a_kept_file_that_no_longer_reads_is_kept_again_by_the_next_preparation(generated, tmp_path):
    """Its token still holds, so nothing else would replace it: the load that finds it damaged drops it."""
    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE kept_frames SET frame = :junk WHERE sobject = 'Task'"), {"junk": b"not arrow"})
        conn.execute(text("UPDATE kept_frames SET frame = :junk WHERE sobject LIKE '#people 1/%'"), {"junk": b"x"})
    snapshot = store.load_snapshot({"Task": {"Id", "WhoId"}})
    assert snapshot.frames["Task"].height > 0  # read from the mirror
    assert kept_people_reader(store, people_token(store), RULES)() is None
    prepared = prepare_for_audits(store, RULES)
    assert prepared.kept == ("Task",)
    assert not prepared.people_unchanged
    assert kept_people_reader(store, people_token(store), RULES)() is not None


def test_a_kept_file_the_store_will_not_drop_costs_the_load_nothing(generated, tmp_path, monkeypatch):
    """Dropping a damaged file is a cache's housekeeping: a store that refuses it (locked, read-only) fails no audit."""
    from sfbridge.errors import StoreError  # noqa: PLC0415 (this test only)
    from sfbridge.store import kept_frames  # noqa: PLC0415

    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE kept_frames SET frame = :junk WHERE sobject = 'Task'"), {"junk": b"not arrow"})

    def refuse(*_args, **_kwargs):
        msg = "cannot drop a damaged kept frame: OperationalError: database is locked"
        raise StoreError(msg)

    monkeypatch.setattr(kept_frames, "delete", refuse)
    snapshot = store.load_snapshot({"Task": {"Id", "WhoId"}})
    assert snapshot.frames["Task"].height > 0  # read from the mirror


def test_a_full_pull_keeps_everything_again(generated, tmp_path, monkeypatch):
    """``sfbridge pull --full`` is the repair: whatever still held is kept anew after it."""
    from sfbridge.cli import pulling  # noqa: PLC0415 (the pull command's last step)

    store = copy_store(generated, tmp_path / "copy.db")
    prepare_for_audits(store, RULES)
    profile = OrgProfile(name="t", auth=AuthMethod.CLIENT_CREDENTIALS, login_url="https://t.my.salesforce.com")
    said: list[Prepared] = []
    monkeypatch.setattr(pulling, "prepared_line", lambda prepared: said.append(prepared) or "")
    pulling.prepare_for_audit(store, profile, config_dir=tmp_path, quiet=False)
    pulling.prepare_for_audit(store, profile, config_dir=tmp_path, quiet=False, afresh=True)
    again, afresh = said
    assert again.kept == ()
    assert again.people_unchanged
    assert set(afresh.kept) == set(_objects())
    assert not afresh.people_unchanged


def test_an_object_of_a_long_name_is_counted_under_a_key_that_fits():
    """A managed package's object (a namespace, a 40-character name, a suffix) passes the meta key's 64 characters."""
    long_name = "acmepkg__" + "A" * 40 + "__History"
    keys = {object_writes_key(name) for name in (long_name, long_name + "x", "Lead")}
    assert len(keys) == 3
    assert all(len(key) <= 64 for key in keys)
    assert object_writes_key("Lead") == "mirror_writes:Lead"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_scheduled_pulls_keep_again_only_what_they_brought(demo_store, tmp_path, backend, request):
    """Through the real pull from a simulated org: a pull that found nothing keeps nothing of Leads again.

    Its overlap reads the last records of each object again, Group and LeadStatus are read whole,
    and its delete-log questions list nothing new: none is a write. A pull that brought one
    Task keeps the Task frame again, not the people.
    """
    sandbox = demo_sandbox(load_demo_org(), demo_store)
    store = Store.open(str(tmp_path / "pulled.db") if backend == "sqlite" else request.getfixturevalue("postgres_url"))

    def scheduled_pull() -> Prepared:
        options = PullOptions(page_size=500, clock=sandbox.clock)
        pull(sandbox_gateway(sandbox), store, org="local-sandbox", objects=list(DEFAULT_OBJECTS), options=options)
        return prepare_for_audits(store, RULES)

    first = scheduled_pull()
    assert set(first.kept) == set(DEFAULT_OBJECTS)
    quiet = scheduled_pull()
    assert store.recent_runs(limit=1)[0]["counts"]["Lead"]["fetched"] > 0  # the overlap read Leads again
    assert quiet.kept == ()
    assert quiet.people_unchanged
    task = next(row for row in sandbox.records["Task"] if not row["IsDeleted"])
    sandbox.upsert("Task", {"Id": task["Id"], "Status": "Completed"})
    busy = scheduled_pull()
    assert busy.kept == ("Task",)
    assert busy.people_unchanged
    kept = audit_findings(store, RULES)
    store.forget_kept_frames()
    assert kept == audit_findings(store, RULES)  # what the mirror alone gives
