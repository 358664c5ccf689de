"""Applying merges: pre-flight, before-images in the journal, lost answers settled by re-reading, never merged twice."""

from datetime import UTC, datetime

import pytest

from conftest import fixed_clock
from scenario import (
    killed_before_sending,
    lost_answer,
    merges_sent,
    operations,
    refuse,
    row,
    scenario_org,
    serving,
    undeletes_sent,
    updates_sent,
)
from sfbridge.errors import SalesforceError
from sfbridge.ids import to_18
from sfbridge.models import Action, ActionKind, ColumnKind, JournalState, RecordMerge, SyncState
from sfbridge.push.revert import revert_run
from sfbridge.sandbox.faults import soap_operation
from test_apply import SEEN, SEEN_AT, USER, latest_steps, plan_of, run, states

MIRRORED = ("FirstName", "LastName", "Email", "Phone", "OwnerId", "LeadSource", "Description")


def lead_id(number):
    return to_18(f"00Q9P0000Mg{number:04d}")


def task_id(number):
    return to_18(f"00T9P0000Rt{number:04d}")


def lead(number, **values):
    return {
        "Id": lead_id(number),
        "IsDeleted": False,
        "MasterRecordId": None,
        "SystemModstamp": SEEN,
        "IsConverted": False,
        "FirstName": "Dana",
        "LastName": "Keller",
        "Email": f"dana{number}@acme.example",
        "Phone": None,
        "OwnerId": USER,
        "LeadSource": "Web",
        "Description": f"record {number}",
    } | values


def merge(master, *merged, step=1, steps=1, **values):
    return Action(
        key=f"merge:{lead_id(master)}:{step}",
        kind=ActionKind.MERGE_RECORDS,
        sobject="Lead",
        record_id=lead_id(master),
        check="duplicate",
        reason="the same person",
        seen_modstamp=SEEN_AT,
        expected={name: lead(master).get(name) for name in values},
        values=values,
        merge=RecordMerge(
            master_id=lead_id(master),
            merged_ids=tuple(lead_id(n) for n in merged),
            group=lead_id(master),
            step=step,
            steps=steps,
            score=0.99,
            seen={lead_id(n): SEEN_AT for n in (master, *merged)},
        ),
    )


def org_of(*numbers, **options):
    task = {"Id": task_id(1), "WhoId": lead_id(2), "IsDeleted": False}
    return scenario_org([*(lead(n) for n in numbers), task], **options)


@pytest.fixture
def store(sqlite_store):
    columns = dict.fromkeys(("Id", *MIRRORED), ColumnKind.TEXT)
    sqlite_store.save_state(
        SyncState(
            sobject="Lead",
            cursor="SystemModstamp",
            bookmark=None,
            deletes_since=None,
            completed_at=None,
            columns=columns,
        )
    )
    return sqlite_store


def test_a_merge_of_three_sets_the_masters_values_and_journals_every_records_before_image(store, gateway_factory):
    org = org_of(1, 2, 3)
    plan = plan_of(merge(1, 2, 3, Phone="+1 415 555 0134"))
    report = run(org, plan, store, gateway_factory)
    assert report.complete
    assert merges_sent(org) == [[(lead_id(1), (lead_id(2), lead_id(3)))]]
    assert row(org, lead_id(1))["Phone"] == "+1 415 555 0134"
    assert all(row(org, lead_id(n))["MasterRecordId"] == lead_id(1) for n in (2, 3))
    sent, done = store.journal_of_run(report.run_id)
    assert (sent.state, done.state) == (JournalState.SENT, JournalState.DONE)
    assert set(sent.before) == {lead_id(1), lead_id(2), lead_id(3)}
    assert set(MIRRORED) <= set(sent.before[lead_id(2)])  # every mirrored field of every record
    assert sent.before[lead_id(3)]["Description"] == "record 3"
    assert done.after == {
        "master": lead_id(1),
        "merged": [lead_id(2), lead_id(3)],
        "updated_related": [task_id(1)],  # the task Salesforce moved to the master
        "values": {"Phone": "+1 415 555 0134"},
    }


def test_consecutive_merges_into_one_master_go_in_one_call_and_both_are_done(store, gateway_factory):
    org = org_of(1, 2, 3, 4, 5)
    plan = plan_of(merge(1, 2, 3, steps=2, Phone="1"), merge(1, 4, 5, step=2, steps=2))
    report = run(org, plan, store, gateway_factory)
    assert report.complete
    assert [len(call) for call in merges_sent(org)] == [2]
    assert all(row(org, lead_id(n))["IsDeleted"] for n in (2, 3, 4, 5))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({2: {"SystemModstamp": "2026-11-03T08:00:00.000+0000"}}, "changed since the plan was made"),
        ({1: {"Phone": "+44 20 7946 0018"}}, "the master's Phone is now"),
        ({2: {"IsDeleted": True, "MasterRecordId": to_18("00Q9P0000Mg0009")}}, "was merged into 00Q9P0000Mg0009"),
        ({2: {"IsDeleted": True}}, "was deleted since the plan was made"),
        ({1: {"IsConverted": True}}, "was converted since the plan was made"),
    ],
)
def test_a_merge_whose_records_changed_since_the_plan_is_skipped_with_the_reason(store, gateway_factory, change, why):
    org = org_of(1, 2)
    for number, values in change.items():
        row(org, lead_id(number)).update(values)
    report = run(org, plan_of(merge(1, 2, Phone="+1 415 555 0134")), store, gateway_factory)
    (outcome,) = report.outcomes
    assert outcome.state is JournalState.SKIPPED
    assert why in outcome.detail
    assert merges_sent(org) == []


def test_a_merge_someone_already_made_is_done_without_sending(store, gateway_factory):
    org = org_of(1, 2)
    row(org, lead_id(2)).update(IsDeleted=True, MasterRecordId=lead_id(1))
    report = run(org, plan_of(merge(1, 2)), store, gateway_factory)
    assert states(report) == {lead_id(1): JournalState.DONE}
    assert "already merged" in report.outcomes[0].detail
    assert merges_sent(org) == []


def test_a_lost_merge_answer_is_learned_by_re_reading_not_by_merging_again(store, gateway_factory):
    org = org_of(1, 2, 3, 4, faults=[lost_answer("merge")])
    report = run(org, plan_of(merge(1, 2), merge(3, 4)), store, gateway_factory)
    assert len(merges_sent(org)) == 1  # sent once
    assert states(report) == {lead_id(1): JournalState.DONE, lead_id(3): JournalState.DONE}
    assert all("re-reading" in (outcome.detail or "") for outcome in report.outcomes)
    assert report.outcomes[0].after["updated_related"] is None  # Salesforce's answer never arrived


def test_a_crash_after_sending_a_merge_resumes_without_merging_twice(store, gateway_factory):
    """The process dies while the merge call is out; the next apply re-reads, finds it done, sends the rest."""
    org = org_of(1, 2, 3, 4)
    plan = plan_of(merge(1, 2), merge(3, 4))

    org.faults = [killed_before_sending("merge")]
    with pytest.raises(KeyboardInterrupt):
        run(org, plan, store, gateway_factory, merge_batch_size=2)
    row(org, lead_id(2)).update(IsDeleted=True, MasterRecordId=lead_id(1))  # Salesforce did merge 2 into 1
    assert {step.state for step in latest_steps(store, plan.digest).values()} == {JournalState.SENT}
    report = run(org, plan, store, gateway_factory, merge_batch_size=2)
    assert merges_sent(org)[1:] == [[(lead_id(3), (lead_id(4),))]]  # only the merge that had not happened
    assert states(report) == {lead_id(1): JournalState.DONE, lead_id(3): JournalState.DONE}


def test_a_refused_merge_is_failed_with_salesforces_reason(store, gateway_factory):
    org = org_of(
        1, 2, 3, 4, validation_rules=[refuse(lead_id(3), "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Email must be set")]
    )
    report = run(org, plan_of(merge(1, 2), merge(3, 4)), store, gateway_factory)
    assert states(report) == {lead_id(1): JournalState.DONE, lead_id(3): JournalState.FAILED}
    assert report.outcomes[1].detail == "FIELD_CUSTOM_VALIDATION_EXCEPTION: Email must be set"
    assert not report.complete


def test_merges_wait_for_the_plans_updates_and_run_last(store, gateway_factory):
    """Merging deletes records: updates of this plan go first (here one on a record the merge removes)."""
    from test_apply import update  # noqa: PLC0415

    org = scenario_org(
        [
            {"Id": to_18("00Q9P0000F9q001"), "IsDeleted": False, "SystemModstamp": SEEN, "LeadSource": None},
            *(lead(n) for n in (1, 2)),
        ]
    )
    report = run(org, plan_of(merge(1, 2), update(1, LeadSource="Web")), store, gateway_factory)
    assert report.complete
    assert operations(org) == ["update", "merge"]  # the update had been sent before the merge


# -- revert ---------------------------------------------------------------------------------


def revert(org, store, gateway_factory, run_id, *, before=None):
    from test_apply import make_profile  # noqa: PLC0415

    with serving(org, before=before):
        return revert_run(gateway_factory(make_profile()), store, run_id, org="scenario")


def test_revert_undeletes_the_merged_records_puts_the_masters_values_back_and_names_what_stays(store, gateway_factory):
    org = org_of(1, 2, 3)
    applied = run(org, plan_of(merge(1, 2, 3, Phone="+1 415 555 0134", Description="merged")), store, gateway_factory)
    report = revert(org, store, gateway_factory, applied.run_id)
    assert undeletes_sent(org) == [[lead_id(2), lead_id(3)]]
    assert not any(row(org, lead_id(n))["IsDeleted"] for n in (2, 3))
    assert (row(org, lead_id(1))["Phone"], row(org, lead_id(1))["Description"]) == (None, "record 1")
    (outcome,) = report.merges
    assert outcome.state is JournalState.DONE
    assert outcome.after["undeleted"] == [lead_id(2), lead_id(3)]
    assert outcome.after["values"] == {"Phone": None, "Description": "record 1"}
    assert outcome.after["not_restorable"] == [task_id(1)]
    assert f"1 related records Salesforce moved to the master stay with it ({task_id(1)})" in outcome.detail
    assert row(org, task_id(1))["WhoId"] == lead_id(1)  # Salesforce cannot move it back
    assert report.complete
    assert [step.state for step in store.journal_of_run(report.run_id)] == [JournalState.SENT, JournalState.DONE]


def test_revert_after_the_recycle_bins_15_days_refuses_with_the_date_the_window_closed(store, gateway_factory):
    org = org_of(1, 2)
    applied = run(org, plan_of(merge(1, 2, Phone="+1 415 555 0134")), store, gateway_factory)
    # Salesforce's clock (the Date header); the merge deleted lead 2 at 10:00 on 3 Nov.
    org.clock = fixed_clock(datetime(2026, 11, 19, 9, tzinfo=UTC))
    report = revert(org, store, gateway_factory, applied.run_id)
    (outcome,) = report.merges
    assert outcome.state is JournalState.SKIPPED
    assert "closed on 2026-11-18 10:00 UTC" in outcome.detail
    assert undeletes_sent(org) == []
    assert updates_sent(org) == []  # the master keeps the merged values: nothing half put back
    assert not report.complete


def test_revert_of_a_merge_whose_record_was_purged_early_says_so(store, gateway_factory):
    org = org_of(1, 2)
    applied = run(org, plan_of(merge(1, 2)), store, gateway_factory)
    org.purge("Lead", lead_id(2))  # someone emptied the Recycle Bin
    (outcome,) = revert(org, store, gateway_factory, applied.run_id).merges
    assert outcome.state is JournalState.SKIPPED
    assert "no longer in the Recycle Bin (the Recycle Bin was emptied or ran over its capacity)" in outcome.detail
    assert undeletes_sent(org) == []


def test_revert_leaves_a_master_value_someone_changed_since_the_merge(store, gateway_factory):
    org = org_of(1, 2)
    applied = run(org, plan_of(merge(1, 2, Phone="+1 415 555 0134", Description="merged")), store, gateway_factory)
    org.upsert("Lead", {"Id": lead_id(1), "Description": "typed by a user"})
    (outcome,) = revert(org, store, gateway_factory, applied.run_id).merges
    assert outcome.state is JournalState.DONE
    assert row(org, lead_id(1))["Description"] == "typed by a user"
    assert row(org, lead_id(1))["Phone"] is None
    assert "Description is now 'typed by a user', not 'merged' as the merge set it: left as it is" in outcome.detail


def test_reverting_twice_sends_nothing_the_first_revert_did(store, gateway_factory):
    org = org_of(1, 2)
    applied = run(org, plan_of(merge(1, 2, Phone="+1 415 555 0134")), store, gateway_factory)
    revert(org, store, gateway_factory, applied.run_id)
    sent = (len(undeletes_sent(org)), len(updates_sent(org)))
    (outcome,) = revert(org, store, gateway_factory, applied.run_id).merges
    assert (len(undeletes_sent(org)), len(updates_sent(org))) == sent
    assert outcome.state is JournalState.DONE
    assert outcome.after["already_back"] == [lead_id(2)]


def test_revert_of_a_merge_learned_by_re_reading_uses_the_sent_steps_before_image(store, gateway_factory):
    org = org_of(1, 2, faults=[lost_answer("merge")])
    applied = run(org, plan_of(merge(1, 2, Phone="+1 415 555 0134")), store, gateway_factory)
    (outcome,) = revert(org, store, gateway_factory, applied.run_id).merges
    assert outcome.state is JournalState.DONE
    assert row(org, lead_id(1))["Phone"] is None
    assert not row(org, lead_id(2))["IsDeleted"]
    assert outcome.after["not_restorable"] is None
    assert "answer to the merge was lost" in outcome.detail


def test_revert_never_undoes_a_merge_someone_else_made(store, gateway_factory):
    org = org_of(1, 2)
    row(org, lead_id(2)).update(IsDeleted=True, MasterRecordId=lead_id(1))
    applied = run(org, plan_of(merge(1, 2)), store, gateway_factory)
    (outcome,) = revert(org, store, gateway_factory, applied.run_id).merges
    assert outcome.state is JournalState.SKIPPED
    assert "never sent" in outcome.detail
    assert undeletes_sent(org) == []
    assert row(org, lead_id(2))["IsDeleted"]


def test_a_refused_undelete_fails_the_revert_and_keeps_the_masters_values(store, gateway_factory):
    org = org_of(1, 2)
    applied = run(org, plan_of(merge(1, 2, Phone="+1 415 555 0134")), store, gateway_factory)

    def restored_meanwhile(request):
        if soap_operation(request.body) == "undelete":  # restored by someone between the read and the call
            org.upsert("Lead", {"Id": lead_id(2), "IsDeleted": False, "MasterRecordId": None})

    (outcome,) = revert(org, store, gateway_factory, applied.run_id, before=restored_meanwhile).merges
    assert outcome.state is JournalState.FAILED
    assert "UNDELETE_FAILED: Entity is not in the recycle bin" in outcome.detail
    assert row(org, lead_id(1))["Phone"] == "+1 415 555 0134"


def test_a_lost_undelete_answer_stops_the_revert_and_the_next_revert_sends_nothing_twice(store, gateway_factory):
    org = org_of(1, 2, 3, 4)
    applied = run(org, plan_of(merge(1, 2, Phone="+1 415 555 0134"), merge(3, 4)), store, gateway_factory)
    org.faults = [lost_answer("undelete")]
    with pytest.raises(SalesforceError, match="run the revert again"):
        revert(org, store, gateway_factory, applied.run_id)
    assert updates_sent(org) == []  # the master's values wait until its records are known to be back
    report = revert(org, store, gateway_factory, applied.run_id)
    assert undeletes_sent(org) == [[lead_id(2), lead_id(4)]]  # once
    assert [outcome.state for outcome in report.merges] == [JournalState.DONE, JournalState.DONE]
    assert row(org, lead_id(1))["Phone"] is None


def test_reverting_consecutive_merges_into_one_master_undoes_both(store, gateway_factory):
    org = org_of(1, 2, 3, 4, 5)
    plan = plan_of(merge(1, 2, 3, steps=2, Phone="+1 415 555 0134"), merge(1, 4, 5, step=2, steps=2))
    applied = run(org, plan, store, gateway_factory)
    report = revert(org, store, gateway_factory, applied.run_id)
    assert [outcome.state for outcome in report.merges] == [JournalState.DONE, JournalState.DONE]
    assert not any(row(org, lead_id(n))["IsDeleted"] for n in (2, 3, 4, 5))
    assert row(org, lead_id(1))["Phone"] is None
    assert [outcome.after["values"] for outcome in report.merges] == [{"Phone": None}, {}]
