"""The pull stage against recorded Salesforce traffic (fixtures/http/pull/)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy
from structlog.testing import capture_logs

from conftest import make_profile
from recorded import cassette, replay
from sfbridge.errors import ApiBudgetError, ProtocolError, RetriableSalesforceError
from sfbridge.ids import to_18
from sfbridge.pull import PullOptions, pull
from sfbridge.store import Store

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def run_pull(gateway, store, name, *, objects=("Lead",), full=False):
    """Pull while replaying one scenario, with the clock the scenario was recorded at."""
    recorded_at = cassette(name).recorded_at
    options = PullOptions(clock=lambda: recorded_at, full=full)
    with replay(name):
        return pull(gateway, store, org="scenario", objects=list(objects), options=options)


def stored(store, sobject="Lead", *, include_deleted=False):
    return {row["Id"]: row for row in store.rows(sobject, include_deleted=include_deleted)}


def test_pull_follows_next_records_url_across_a_short_middle_page(gateway_factory, sqlite_store):
    """Three pages of 50, 17 and 53 records all arrive, each once, and the count check passes."""
    report = run_pull(gateway_factory(), sqlite_store, "pull/three_pages")
    (lead,) = report.objects
    assert (lead.pages, lead.fetched, lead.stored, lead.org_count) == (3, 120, 120, 120)
    assert len(stored(sqlite_store)) == 120
    state = sqlite_store.state("Lead")
    latest = max(row["SystemModstamp"] for row in stored(sqlite_store).values())
    assert state.bookmark == latest


def test_incremental_pull_reads_only_changes_and_applies_deletes(gateway_factory, sqlite_store):
    """The second run asks for rows since the bookmark, upserts them, and flags what Get Deleted lists."""
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_first")
    before = stored(sqlite_store)
    report = run_pull(gateway_factory(), sqlite_store, "pull/incremental_second")
    (lead,) = report.objects
    assert lead.mode == "incremental"
    assert lead.fetched < 20  # changed, created and the overlap: not the whole object again
    assert lead.deleted == 2
    after = stored(sqlite_store)
    everything = stored(sqlite_store, include_deleted=True)
    assert len(after) == 120 == lead.org_count  # 120 - 2 deleted + 2 created
    assert len(everything) == 122
    gone = set(before) - set(after)
    assert len(gone) == 2
    assert all(everything[i]["_deleted_at"] is not None for i in gone)
    assert sum(row["Title"] == "VP Revenue Operations" for row in after.values()) == 3
    assert {row["LastName"] for row in after.values() if row["Company"] == "Fresh Co"} == {"Newcomer 1", "Newcomer 2"}


def test_an_incremental_pull_leaves_the_records_its_overlap_reads_again_as_they_were(
    gateway_factory, sqlite_store, monkeypatch
):
    """The overlap reads records already stored; one that comes back as it is stored is not written again.

    So a pull that found nothing new in an object writes nothing to it, and what was kept of it
    for the audit (its frame: ``Store.object_tokens``) still holds.
    """
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_first")
    before = stored(sqlite_store)
    paged: list[str] = []
    writing = Store.write_page
    monkeypatch.setattr(
        Store,
        "write_page",
        lambda self, state, columns, rows, **kw: (
            paged.extend(row[0] for row in rows) or writing(self, state, columns, rows, **kw)
        ),
    )
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_second")
    after = stored(sqlite_store)
    fields = [name for name in after[paged[0]] if name != "_synced_at"]
    read_again = [
        record
        for record in paged
        if record in before and all(before[record][name] == after[record][name] for name in fields)
    ]
    assert read_again  # the overlap read records the first pull stored, unchanged since
    assert all(after[record]["_synced_at"] == before[record]["_synced_at"] for record in read_again)
    changed = [record for record in paged if record not in read_again]
    assert changed
    assert all(after[record]["_synced_at"] > max(row["_synced_at"] for row in before.values()) for record in changed)


def test_transient_503s_are_retried_honouring_retry_after(gateway_factory, sqlite_store, sleeps):
    """503, 503, 200: the pull succeeds after two logged retries, each waiting what Retry-After asked."""
    profile = make_profile(network={"backoff_initial": 0.5, "backoff_max": 30.0, "max_attempts": 3})
    with capture_logs() as logs:
        report = run_pull(gateway_factory(profile), sqlite_store, "pull/retry_503")
    assert report.objects[0].stored == 120
    retries = [entry for entry in logs if entry["event"] == "salesforce_retry"]
    assert [entry["attempt"] for entry in retries] == [1, 2]
    assert all(entry["error_code"] == "SERVER_UNAVAILABLE" for entry in retries)
    assert sleeps == [7.0, 7.0]


def test_expired_session_is_renewed_once_and_the_pull_continues(gateway_factory, sqlite_store):
    """401 INVALID_SESSION_ID mid-pull: one new token (the replay holds two logins), same page again."""
    with capture_logs() as logs:
        report = run_pull(gateway_factory(), sqlite_store, "pull/reauth_401")
    assert report.objects[0].stored == 120
    assert [entry["event"] for entry in logs].count("salesforce_session_renewed") == 1


def test_request_limit_exceeded_stops_and_keeps_committed_pages(gateway_factory, sqlite_store):
    """The org's daily limit stops the pull with a clear message; page 1 stays committed with its bookmark."""
    with pytest.raises(ApiBudgetError, match="24-hour API allowance"):
        run_pull(gateway_factory(), sqlite_store, "pull/request_limit")
    rows = stored(sqlite_store)
    assert len(rows) == 40
    assert sqlite_store.state("Lead").bookmark == max(row["SystemModstamp"] for row in rows.values())
    assert sqlite_store.recent_runs(limit=1)[0]["outcome"] == "failed"


def test_budget_reserve_stops_before_spending_the_orgs_last_tenth(gateway_factory, sqlite_store):
    """Past 90 % of the daily allowance, sfbridge stops itself before the next call."""
    with pytest.raises(ApiBudgetError) as caught:
        run_pull(gateway_factory(), sqlite_store, "pull/budget_reserve")
    assert caught.value.error_code == "API_RESERVE_REACHED"
    assert "other integrations" in str(caught.value)
    assert len(stored(sqlite_store)) == 40  # the page fetched before the reserve was reached


def test_html_page_from_a_proxy_is_a_clear_error(gateway_factory, sqlite_store):
    """A proxy's HTML answer with status 200 is named as such, and nothing is stored."""
    with pytest.raises(ProtocolError, match="HTML page"):
        run_pull(gateway_factory(), sqlite_store, "pull/proxy_html")
    assert sqlite_store.state("Lead").bookmark is None


def test_truncated_json_is_a_clear_error(gateway_factory, sqlite_store):
    """An answer cut short mid-JSON is reported as such, not as a traceback."""
    with pytest.raises(ProtocolError, match="cut short"):
        run_pull(gateway_factory(), sqlite_store, "pull/truncated_json")


def test_interrupted_pull_resumes_from_the_bookmark_without_loss_or_duplicates(gateway_factory, sqlite_store):
    """A run dying on page 3 keeps pages 1-2; the next run starts from their bookmark and completes."""
    with pytest.raises(RetriableSalesforceError):
        run_pull(gateway_factory(), sqlite_store, "pull/interrupted_first")
    assert len(stored(sqlite_store)) == 80
    bookmark = sqlite_store.state("Lead").bookmark
    report = run_pull(gateway_factory(), sqlite_store, "pull/interrupted_resume")
    (lead,) = report.objects
    assert lead.mode == "incremental"
    assert lead.fetched < 120  # it did not start over
    assert sqlite_store.state("Lead").bookmark > bookmark
    with sqlite_store.engine.connect() as conn:
        ids = conn.execute(sqlalchemy.text("SELECT Id FROM sf_lead")).scalars().all()
    assert len(ids) == len(set(ids)) == 120 == lead.org_count


def test_new_custom_field_becomes_a_column(gateway_factory, sqlite_store):
    """A field an admin adds between runs is added to the mirror and filled where set."""
    run_pull(gateway_factory(), sqlite_store, "pull/new_field_first")
    report = run_pull(gateway_factory(), sqlite_store, "pull/new_field_second")
    assert report.objects[0].new_columns == ("Preferred_Language__c",)
    values = [row["Preferred_Language__c"] for row in stored(sqlite_store).values()]
    assert sorted(v for v in values if v) == ["de", "fr", "ja"]
    assert values.count(None) == 117


@pytest.mark.postgres
def test_postgresql_store_holds_the_same_rows_as_sqlite(gateway_factory, sqlite_store, postgres_url):
    """The same two runs into PostgreSQL and SQLite leave identical rows, tombstones included."""
    postgres = Store.open(postgres_url)
    for store in (sqlite_store, postgres):
        run_pull(gateway_factory(), store, "pull/incremental_first")
        run_pull(gateway_factory(), store, "pull/incremental_second")

    def snapshot(store):
        return {
            record_id: {k: v for k, v in row.items() if k != "_synced_at"}
            for record_id, row in stored(store, include_deleted=True).items()
        }

    assert snapshot(postgres) == snapshot(sqlite_store)
    assert postgres.state("Lead") == sqlite_store.state("Lead")


def test_full_pull_reconciles_ids_and_flags_records_the_org_no_longer_has(gateway_factory, sqlite_store):
    """--full re-reads and compares Ids, so records purged without a delete-log entry are flagged."""
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_first")
    ghost = dict(next(iter(stored(sqlite_store).values())))
    ghost["Id"] = to_18("00Q5g0000099999")
    table = sqlite_store.table("Lead")
    with sqlite_store.engine.begin() as conn:
        conn.execute(table.insert().values({**ghost, "_synced_at": START, "_deleted_at": None}))
    assert sqlite_store.count("Lead") == 121
    report = run_pull(gateway_factory(), sqlite_store, "pull/full_reconcile", full=True)
    assert report.objects[0].deleted == 1
    assert ghost["Id"] not in stored(sqlite_store)
    assert sqlite_store.count("Lead") == 120


def test_a_gap_longer_than_the_delete_log_forces_an_id_reconcile(gateway_factory, sqlite_store):
    """After 20 days the 15-day delete log cannot be trusted: Ids are compared and the purged lead flagged."""
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_first")
    with capture_logs() as logs:
        report = run_pull(gateway_factory(), sqlite_store, "pull/delete_log_gap")
    assert report.objects[0].deleted == 1
    assert report.objects[0].stored == report.objects[0].org_count == 119
    assert any(entry["event"] == "ids_reconciled" for entry in logs)


def test_purged_delete_log_forces_an_id_reconcile(gateway_factory, sqlite_store):
    """When the delete log no longer reaches back to the last check, Ids are compared instead."""
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_first")
    with capture_logs() as logs:
        report = run_pull(gateway_factory(), sqlite_store, "pull/delete_log_purged")
    assert report.objects[0].deleted == 1
    assert [entry["event"] for entry in logs].count("delete_log_purged") == 1


def test_a_select_too_long_for_a_url_is_split_and_joined_back(gateway_factory, sqlite_store):
    """463 Lead fields need several column groups; every value lands in the right row."""
    report = run_pull(gateway_factory(), sqlite_store, "pull/wide_object")
    assert report.objects[0].stored == 25
    rows = stored(sqlite_store)
    assert len(next(iter(rows.values()))) > 460
    assert all(row["Marketing_Attribution_Touchpoint_399__c"] == "last field" for row in rows.values())
    assert sum(1 for row in rows.values() for k, v in row.items() if k.startswith("Marketing") and v == "touch 5") == 1
    queries = [item.url for item in cassette("pull/wide_object").interactions if "/query/" in item.url]
    assert all(len(url) <= 16_384 for url in queries)
    assert sum("Id+IN" in url for url in queries) >= 1  # the extra column group, by Id


def test_an_optional_object_the_org_lacks_is_noted_and_skipped(gateway_factory, sqlite_store):
    """Without field history, LeadHistory is skipped with a note; Lead is still pulled and the run succeeds."""
    report = run_pull(gateway_factory(), sqlite_store, "pull/no_field_history", objects=("Lead", "LeadHistory"))
    lead, history = report.objects
    assert lead.outcome == "synced"
    assert lead.stored == 120
    assert history.outcome == "skipped"
    assert "field history" in history.note
    assert sqlite_store.recent_runs(limit=1)[0]["outcome"] == "ok"


def test_a_delete_in_the_same_minute_as_the_pull_is_found_without_failing(gateway_factory, sqlite_store):
    """Get Deleted covers up to two minutes before `end`: queryAll finds the soft delete, a reconcile the hard one."""
    run_pull(gateway_factory(), sqlite_store, "pull/incremental_first")
    before = stored(sqlite_store)
    with capture_logs() as logs:
        report = run_pull(gateway_factory(), sqlite_store, "pull/deleted_same_minute")
    (lead,) = report.objects
    assert lead.outcome == "synced"
    assert lead.deleted == 2
    assert lead.stored == lead.org_count == 118
    gone = set(before) - set(stored(sqlite_store))
    assert len(gone) == 2
    events = [entry["event"] for entry in logs]
    assert events.count("soft_deletes_flagged") == 1
    assert events.count("pull_count_mismatch_reconciling") == 1  # the hard delete, seen by no log yet
    # The next window starts where Salesforce said its delete log is covered, not at `end`.
    assert sqlite_store.state("Lead").deletes_since == datetime(2026, 11, 2, 14, 58, tzinfo=UTC)
    again = run_pull(gateway_factory(), sqlite_store, "pull/deleted_same_minute_again")
    assert again.objects[0].outcome == "synced"
    assert again.objects[0].stored == 118


@pytest.mark.parametrize("skew", [timedelta(hours=1), -timedelta(minutes=7)])
def test_windows_come_from_salesforces_clock_not_a_skewed_local_one(gateway_factory, sqlite_store, skew):
    """With the local clock an hour fast or minutes slow, every window, cut-off and bookmark is the server's."""
    recorded = cassette("pull/incremental_first").recorded_at
    with replay("pull/incremental_first"):
        pull(
            gateway_factory(),
            sqlite_store,
            org="scenario",
            objects=["Lead"],
            options=PullOptions(clock=lambda: recorded + skew),
        )
    recorded = cassette("pull/deleted_same_minute").recorded_at
    with replay("pull/deleted_same_minute") as calls:
        report = pull(
            gateway_factory(),
            sqlite_store,
            org="scenario",
            objects=["Lead"],
            options=PullOptions(clock=lambda: recorded + skew),
        )
    assert report.objects[0].deleted == 2
    assert report.started_at == recorded  # the Date header of Salesforce's answers
    assert any("end=2026-11-02T15%3A00%3A40.000%2B0000" in call.request.url for call in calls)
    assert sqlite_store.state("Lead").completed_at == recorded
    assert sqlite_store.recent_runs(limit=1)[0]["started_at"] == recorded


def test_a_query_timeout_is_read_again_in_narrower_windows(gateway_factory, sqlite_store):
    """QUERY_TIMEOUT, then QUERY_TIMEOUT on the first half: three narrower reads bring all 120 Leads."""
    with capture_logs() as logs:
        report = run_pull(gateway_factory(), sqlite_store, "pull/query_timeout")
    (lead,) = report.objects
    assert (lead.outcome, lead.fetched, lead.stored, lead.org_count) == ("synced", 120, 120, 120)
    assert [entry["splits"] for entry in logs if entry["event"] == "query_timeout_narrowed"] == [1, 2]
    queries = [item.url for item in cassette("pull/query_timeout").interactions if "SystemModstamp+%3C+" in item.url]
    assert len(queries) == 3  # the first half (timed out), then its two halves; the last window is open-ended


def test_a_deleted_leads_history_leaves_the_mirror_with_it(gateway_factory, sqlite_store):
    """Salesforce deletes a lead's field history with it; pulling Lead alone flags the mirrored history rows too."""
    run_pull(gateway_factory(), sqlite_store, "pull/history_first", objects=("Lead", "LeadHistory"))
    history = stored(sqlite_store, "LeadHistory")
    report = run_pull(gateway_factory(), sqlite_store, "pull/history_lead_deleted")
    assert report.objects[0].deleted == 1
    (gone,) = set(stored(sqlite_store, include_deleted=True)) - set(stored(sqlite_store))
    orphaned = [row["Id"] for row in history.values() if row["LeadId"] == gone]
    assert orphaned
    assert set(stored(sqlite_store, "LeadHistory")) == set(history) - set(orphaned)
    # Undeleted, the lead brings its history back (the history pull follows the lead's mirror).
    table = sqlite_store.table("Lead")
    with sqlite_store.engine.begin() as conn:
        conn.execute(table.update().where(table.c.Id == gone).values(_deleted_at=None))
    flagged, revived = sqlite_store.follow_parents("LeadHistory", parent_field="LeadId", parent="Lead", at=START)
    assert (flagged, revived) == (0, len(orphaned))
