"""The store on its own: atomic pages, one org per store, the writer lock, clear errors."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sfbridge.errors import ConfigError, StoreError
from sfbridge.models import ActionKind, ColumnKind, Finding, JournalEntry, JournalState, Severity, SyncState
from sfbridge.store import Store

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
COLUMNS = {
    "Id": ColumnKind.TEXT,
    "LastName": ColumnKind.TEXT,
    "IsConverted": ColumnKind.BOOLEAN,
    "SystemModstamp": ColumnKind.DATETIME,
    "ConvertedDate": ColumnKind.DATE,
}


def prepared(store: Store) -> SyncState:
    store.prepare_mirror("Lead", COLUMNS)
    state = SyncState(
        sobject="Lead", cursor="SystemModstamp", bookmark=None, deletes_since=None, completed_at=None, columns=COLUMNS
    )
    store.save_state(state)
    return state


ROW = ("00Q5g00000AbCdEEAV", "Doe", False, "2026-11-01 08:00:00.000000", "2026-10-31")


def test_page_and_bookmark_commit_together(sqlite_store):
    """Rows and the bookmark that covers them are written in one transaction, and read back typed."""
    state = prepared(sqlite_store).model_copy(update={"bookmark": NOW})
    sqlite_store.write_page(state, list(COLUMNS), [ROW], synced_at=NOW, run_id=None)
    (row,) = sqlite_store.rows("Lead")
    assert row["SystemModstamp"] == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert row["ConvertedDate"].isoformat() == "2026-10-31"
    assert row["IsConverted"] is False
    assert sqlite_store.state("Lead").bookmark == NOW


def test_a_failing_page_leaves_neither_rows_nor_bookmark(sqlite_store):
    """If any row of a page cannot be written, none is, and the bookmark does not move."""
    state = prepared(sqlite_store).model_copy(update={"bookmark": NOW})
    broken = ("00Q5g00000AbCdFEAV", "Roe")  # too few values
    with pytest.raises(StoreError, match="cannot write Lead records"):
        sqlite_store.write_page(state, list(COLUMNS), [ROW, broken], synced_at=NOW, run_id=None)
    assert sqlite_store.count("Lead") == 0
    assert sqlite_store.state("Lead").bookmark is None


def test_a_store_holds_one_org(sqlite_store):
    """Pulling a second org into a store is refused, naming both orgs."""
    sqlite_store.bind_org("00D5g0000000001AAA", "https://a.my.salesforce.com")
    sqlite_store.bind_org("00D5g0000000001AAA", "https://a.my.salesforce.com")
    with pytest.raises(StoreError, match="mirrors org 00D5g0000000001AAA, not 00D5g0000000002AAA"):
        sqlite_store.bind_org("00D5g0000000002AAA", "https://b.my.salesforce.com")


def test_new_columns_are_added_to_an_existing_table(sqlite_store):
    """A wider schema adds columns and reports them; existing rows keep their values."""
    state = prepared(sqlite_store)
    sqlite_store.write_page(state, list(COLUMNS), [ROW], synced_at=NOW, run_id=None)
    added = sqlite_store.prepare_mirror("Lead", {**COLUMNS, "Score__c": ColumnKind.NUMBER})
    assert added == ["Score__c"]
    sqlite_store.save_state(state.model_copy(update={"columns": {**COLUMNS, "Score__c": ColumnKind.NUMBER}}))
    sqlite_store._tables.clear()
    (row,) = sqlite_store.rows("Lead")
    assert row["LastName"] == "Doe"
    assert row["Score__c"] is None


def test_writer_lock_is_exclusive_while_held(tmp_path):
    """A second writer on the same SQLite store is turned away until the first is done."""
    first, second = Store.open(str(tmp_path / "s.db")), Store.open(str(tmp_path / "s.db"))
    with (
        first.writer_lock("org"),
        pytest.raises(StoreError, match="another sfbridge process"),
        second.writer_lock("org"),
    ):
        pass
    with second.writer_lock("org"):
        pass


@pytest.mark.postgres
def test_writer_lock_is_exclusive_on_postgresql(postgres_url):
    """The PostgreSQL advisory lock turns away a second writer too."""
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    with first.writer_lock("org"), pytest.raises(StoreError), second.writer_lock("org"):
        pass
    with second.writer_lock("org"):
        pass


def test_unreachable_database_is_a_clear_error_without_the_password():
    """A PostgreSQL URL that cannot be reached names the host but never the password."""
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql://sfbridge:s3cret@127.0.0.1:1/nowhere")
    assert "cannot open the store" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_unsupported_database_is_refused():
    """Only SQLite and PostgreSQL are stores; anything else is a config error (exit 2)."""
    with pytest.raises(ConfigError, match="SQLite or PostgreSQL"):
        Store.open("mysql://localhost/x")


def test_runs_are_recorded_with_their_outcome(sqlite_store):
    """A run row is opened at the start and closed with outcome, counts and API calls."""
    run_id = sqlite_store.start_run("pull", org="acme", started_at=NOW)
    sqlite_store.finish_run(run_id, outcome="ok", finished_at=NOW, counts={"Lead": {"fetched": 3}}, api_calls=7)
    (run,) = sqlite_store.recent_runs()
    assert (run["command"], run["outcome"], run["api_calls"], run["counts"]) == (
        "pull",
        "ok",
        7,
        {"Lead": {"fetched": 3}},
    )


def test_fields_emptied_in_salesforce_are_emptied_in_the_store(sqlite_store):
    """A page that names a field as null on every row clears the stored value on upsert."""
    state = prepared(sqlite_store)
    sqlite_store.write_page(state, list(COLUMNS), [ROW], synced_at=NOW, run_id=None)
    later = ("00Q5g00000AbCdEEAV", "2026-11-02 08:00:00.000000")
    sqlite_store.write_page(
        state,
        ["Id", "SystemModstamp"],
        [later],
        synced_at=NOW,
        run_id=None,
        null_columns=["LastName", "IsConverted", "ConvertedDate"],
    )
    (row,) = sqlite_store.rows("Lead")
    assert (row["LastName"], row["IsConverted"], row["ConvertedDate"]) == (None, None, None)
    assert row["SystemModstamp"] == datetime(2026, 11, 2, 8, tzinfo=UTC)


def _saved_and_loaded(url):
    store = Store.open(url)
    store.bind_org("00D000000000001EAA", "https://example.my.salesforce.com")
    run_id = store.start_run("audit", org="x", started_at=datetime(2026, 11, 2, tzinfo=UTC))
    items = [
        Finding(
            check="duplicate",
            severity=Severity.MEDIUM,
            sobject="Lead",
            record_id="00Q000000000001EAA",
            reason="Zoë O'Brien looks like Contact 003…",
            suggested_action="Merge",
            evidence={"matches": [{"other_id": "003000000000001AAA", "score": 0.97, "reasons": ["same phone"]}]},
            suggested_values={"LeadSource": "Web", "Since": date(2026, 1, 5)},
            related={"survivor": "003000000000001AAA"},
            group="003000000000001AAA",
            score=0.97,
        ),
        Finding(check="stale_lead", severity=Severity.LOW, sobject="Lead", record_id="00Q000000000002EAA",
                reason="idle", suggested_action="Close it"),
    ]  # fmt: skip
    store.save_findings(run_id, items)
    store.save_findings(run_id, [])  # nothing to save is not an error
    return items, store.load_findings(run_id)


def test_findings_round_trip_through_sqlite(tmp_path):
    """Saved findings come back equal, JSON evidence and dates (as ISO text) included."""
    items, loaded = _saved_and_loaded(str(tmp_path / "store.db"))
    assert [item.plain for item in loaded] == [item.plain for item in items]
    assert loaded[0].suggested_values["Since"] == "2026-01-05"


@pytest.mark.postgres
def test_findings_round_trip_through_postgresql(postgres_url):
    """The same on PostgreSQL, whose JSON columns take the driver's text parameters."""
    items, loaded = _saved_and_loaded(postgres_url)
    assert [item.plain for item in loaded] == [item.plain for item in items]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_findings_read_back_without_validation_are_the_findings_validation_makes(backend, tmp_path, request):
    """Read on the driver's cursor and built without pydantic's checks: equal, field for field, to validated ones."""
    url = str(tmp_path / "store.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    _items, loaded = _saved_and_loaded(url)
    validated = [Finding.model_validate(item.model_dump()) for item in loaded]
    assert loaded == validated
    assert [item.model_fields_set for item in loaded] == [set(Finding.model_fields)] * 2
    assert [type(item.score) for item in loaded] == [float, type(None)]
    assert loaded[0].severity is Severity.MEDIUM
    store = Store.open(url, create=False)
    run_id = store.recent_runs(limit=1)[0]["id"]
    assert store.load_findings(run_id, checks={"stale_lead"}) == loaded[1:]
    assert store.finding_keys(run_id, ["duplicate"]) == {("duplicate", "Lead", "00Q000000000001EAA")}
    # Read from JSON and text: known to be JSON as they are, their JSON form made without walking them again.
    assert [item.__dict__.get("json_ready") for item in loaded] == [True, True]
    assert [item.plain for item in loaded] == [item.model_dump(mode="json") for item in validated]


def _journalled(url):
    store = Store.open(url)
    run_id = store.start_run("apply", org="scenario", started_at=datetime(2026, 11, 3, tzinfo=UTC))
    step = JournalEntry(
        action_key="junk_lead:00Q5g00000AbCdEEAV",
        kind=ActionKind.UPDATE_RECORD,
        sobject="Lead",
        record_id="00Q5g00000AbCdEEAV",
        state=JournalState.SENT,
        before={"Status": "Open", "Reason__c": None},
        after={"Status": "Closed - Junk", "Reason__c": "Test record"},
    )
    at = datetime(2026, 11, 3, 9, tzinfo=UTC)
    store.journal(run_id, "d" * 64, [step], at=at)
    store.journal(run_id, "d" * 64, [step.model_copy(update={"state": JournalState.DONE})], at=at)
    return store, run_id


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_apply_journal_keeps_every_step_and_knows_each_actions_last(backend, tmp_path, request):
    """Steps come back in order with their before/after values; the last step of each action wins."""
    url = str(tmp_path / "store.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store, run_id = _journalled(url)
    steps = store.journal_of_run(run_id)
    assert [step.state.value for step in steps] == ["sent", "done"]
    assert steps[0].before == {"Status": "Open", "Reason__c": None}
    assert steps[1].at == datetime(2026, 11, 3, 9, tzinfo=UTC)
    (last,) = {step.action_key: step for step in store.journal_of_plan("d" * 64)}.values()
    assert last.state.value == "done"
    assert last.run_id == run_id
    assert store.plan_digests_of_run(run_id) == ["d" * 64]


def test_a_store_path_under_the_home_folder_is_opened_there(tmp_path, monkeypatch):
    """`store = "~/sfbridge/acme.db"` means the home folder, not a folder named "~" (SQLite takes it literally)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))  # what Path.expanduser reads on Windows
    monkeypatch.chdir(tmp_path)
    for url in ("~/sfbridge/acme.db", "sqlite:///~/sfbridge/other.db"):
        Store.open(url).bind_org("00D5g000004ABCDEAA", "https://acme.my.salesforce.com")
    assert sorted(p.name for p in (tmp_path / "sfbridge").glob("*.db")) == ["acme.db", "other.db"]
    assert not (tmp_path / "~").exists()


def test_a_run_keeps_its_details_and_anything_else_reads_as_none(sqlite_store):
    """runs.details round-trips an object; a run without one, or with something that is not one, reads as {}."""
    kept = sqlite_store.start_run("audit", org="acme", started_at=NOW)
    details = {"match_model": {"learned": True, "comparisons": {"email": {"same": {"m": 0.9, "u": 1e-05}}}}}
    sqlite_store.finish_run(kept, outcome="ok", finished_at=NOW, counts={"duplicate": 2}, details=details)
    bare = sqlite_store.start_run("audit", org="acme", started_at=NOW)
    sqlite_store.finish_run(bare, outcome="ok", finished_at=NOW, counts={"duplicate": 0})
    odd = sqlite_store.start_run("audit", org="acme", started_at=NOW)
    sqlite_store.finish_run(odd, outcome="ok", finished_at=NOW, details=["not", "an", "object"])
    assert sqlite_store.run_details(kept) == details
    assert sqlite_store.run_details(bare) == {}
    assert sqlite_store.run_details(odd) == {}
    assert sqlite_store.run_details(999) == {}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_record_read_again_unchanged_is_no_write(backend, tmp_path, request):
    """An incremental pull's overlap reads the last records again on every run: a record as stored writes nothing.

    So the object's token holds (what was kept of it for the audit stays good). Any field that
    differs is written, the SystemModstamp the same or not (two edits in one second share it),
    and so is a field the page empties, or a record that comes back after a deletion.
    """
    url = str(tmp_path / "store.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store.open(url)
    state = prepared(store)
    store.write_page(state, list(COLUMNS), [ROW], synced_at=NOW, run_id=None)
    token = store.object_tokens(["Lead"])

    def written(columns: list[str], *rows: tuple, **page) -> bool:
        nonlocal token
        store.write_page(state, columns, list(rows), synced_at=NOW, run_id=None, **page)
        before, token = token, store.object_tokens(["Lead"])
        return token != before

    assert not written(list(COLUMNS), ROW)
    assert written(list(COLUMNS), (ROW[0], "Roe", *ROW[2:]))  # the same stamp: an edit in the same second
    assert [row["LastName"] for row in store.rows("Lead")] == ["Roe"]
    assert not written(list(COLUMNS), (ROW[0], "Roe", *ROW[2:]))
    assert written(["Id", "SystemModstamp"], (ROW[0], ROW[3]), null_columns=["LastName"])  # a field emptied
    assert [row["LastName"] for row in store.rows("Lead")] == [None]
    assert not written(["Id", "SystemModstamp"], (ROW[0], ROW[3]), null_columns=["LastName"])

    store.mark_deleted("Lead", [ROW[0]], at=NOW)
    token = store.object_tokens(["Lead"])
    assert written(["Id", "SystemModstamp"], (ROW[0], ROW[3]), null_columns=["LastName"])
    assert store.live_ids("Lead") == {ROW[0]}  # back, though nothing else of it changed

    # A page of two records, one of which changed (a checkbox alone, then a date alone): counted.
    first = (ROW[0], None, *ROW[2:])  # as stored by now
    other = ("00Q5g00000AbCdFEAV", "Roe", True, ROW[3], "2026-10-30")
    assert written(list(COLUMNS), first, other)  # the second one is new
    assert not written(list(COLUMNS), first, other)
    assert written(list(COLUMNS), first, (*other[:2], False, *other[3:]))
    assert written(list(COLUMNS), first, (*other[:2], False, other[3], "2026-10-29"))
    later = NOW + timedelta(hours=1)  # the unchanged record of a page keeps when it last changed
    store.write_page(
        state, list(COLUMNS), [first, (*other[:2], True, other[3], "2026-10-29")], synced_at=later, run_id=None
    )
    assert {row["Id"]: row["_synced_at"] for row in store.rows("Lead")} == {ROW[0]: NOW, other[0]: later}
    token = store.object_tokens(["Lead"])
    assert written(list(COLUMNS), first, (*other[:2], False, other[3], "2026-10-29"))
    assert not written(list(COLUMNS), first, (*other[:2], False, other[3], "2026-10-29"))
    assert {row["Id"]: (row["IsConverted"], row["ConvertedDate"].isoformat()) for row in store.rows("Lead")} == {
        ROW[0]: (False, "2026-10-31"),
        other[0]: (False, "2026-10-29"),
    }

    wider = {**COLUMNS, "Title": ColumnKind.TEXT}  # a field added since: the record read again brings its value
    store.prepare_mirror("Lead", wider)
    state = state.model_copy(update={"columns": wider})
    token = store.object_tokens(["Lead"])
    assert written([*COLUMNS, "Title"], (*ROW, "CEO"))
    assert {row["Id"]: row["Title"] for row in store.rows("Lead")} == {ROW[0]: "CEO", "00Q5g00000AbCdFEAV": None}


def test_a_page_of_an_object_of_many_fields_is_compared_whole(tmp_path):
    """A thousand fields in one comparison: a chain of ORs would pass SQLite's expression depth (1,000)."""
    columns = {"Id": ColumnKind.TEXT, **{f"Field{n}__c": ColumnKind.TEXT for n in range(1_000)}}
    store = Store.open(str(tmp_path / "store.db"))
    store.prepare_mirror("Lead", columns)
    state = SyncState(
        sobject="Lead", cursor=None, bookmark=None, deletes_since=None, completed_at=None, columns=columns
    )
    store.save_state(state)
    row = (ROW[0], *(f"value {n}" for n in range(1_000)))
    store.write_page(state, list(columns), [row], synced_at=NOW, run_id=None)
    token = store.object_tokens(["Lead"])
    store.write_page(state, list(columns), [row], synced_at=NOW, run_id=None)
    assert store.object_tokens(["Lead"]) == token
    store.write_page(state, list(columns), [(*row[:-1], "changed")], synced_at=NOW, run_id=None)
    assert store.object_tokens(["Lead"]) != token
