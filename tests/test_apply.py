"""Apply: exactly the plan, on its org, journalled, resumable, and never a lead converted twice."""

from datetime import UTC, datetime, timedelta

import pytest

from conftest import make_profile
from scenario import (
    ORG_ID,
    converts_sent,
    killed_before_sending,
    lost_answer,
    refuse,
    row,
    scenario_org,
    serving,
    still_running,
    updates_sent,
)
from sfbridge.errors import ApiBudgetError, PlanError, RetriableSalesforceError
from sfbridge.ids import to_18
from sfbridge.mappings import InvalidMappingsError, load_mappings
from sfbridge.models import Action, ActionKind, JournalEntry, JournalState, LeadConversion, Plan
from sfbridge.plan import sealed
from sfbridge.push import apply_plan
from sfbridge.push.revert import revert_run
from sfbridge.sandbox.faults import Disconnect, soap_operation

SEEN = "2026-11-02T09:00:00.000+0000"
SEEN_AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
ACCOUNT, CONTACT, QUEUE_OWNED = to_18("0019P0000To8vtl"), to_18("0039P0000M9zxcc"), to_18("00G9P0000Qq0001")
USER = to_18("0059P0000Am3kw2")


def lead_id(number):
    return to_18(f"00Q9P0000F9q{number:03d}")


def lead(number, **values):
    return {
        "Id": lead_id(number),
        "IsDeleted": False,
        "SystemModstamp": SEEN,
        "Status": "Open - Not Contacted",
        "OwnerId": USER,
        "LeadSource": None,
        "IsConverted": False,
        "ConvertedAccountId": None,
        "ConvertedContactId": None,
        "ConvertedOpportunityId": None,
    } | values


def convert(number, *, account=ACCOUNT, contact=CONTACT, owner=None):
    return Action(
        key=f"lead_is_existing_contact:{lead_id(number)}",
        kind=ActionKind.CONVERT_LEAD,
        sobject="Lead",
        record_id=lead_id(number),
        check="lead_is_existing_contact",
        reason="is already a Contact",
        seen_modstamp=SEEN_AT,
        expected={"IsConverted": False, "Status": "Open - Not Contacted", "OwnerId": USER},
        conversion=LeadConversion(
            converted_status="Closed - Converted", account_id=account, contact_id=contact, owner_id=owner
        ),
    )


def update(number, expected=None, **values):
    return Action(
        key=f"missing_lead_source:{lead_id(number)}",
        kind=ActionKind.UPDATE_RECORD,
        sobject="Lead",
        record_id=lead_id(number),
        check="missing_lead_source",
        reason="LeadSource is blank",
        seen_modstamp=SEEN_AT,
        expected=expected if expected is not None else dict.fromkeys(values),
        values=values,
    )


def plan_of(*actions, org_id=ORG_ID):
    return sealed(
        Plan(
            org="scenario",
            org_id=org_id,
            instance_url="https://sfbridge-scenario.my.salesforce.com",
            user_id=USER,
            api_version="66.0",
            created_at=SEEN_AT,
            snapshot_at=SEEN_AT,
            audit_run_id=1,
            rules_digest="0" * 64,
            actions=actions,
        )
    )


def _never_wait(seconds):
    """Apply's default sleep: a test that does not bring its own clock must never really wait."""
    assert seconds < 600, f"apply would wait {seconds} s"


def run(org, plan, store, gateway_factory, *, before=None, **options):
    options.setdefault("sleep", _never_wait)
    with serving(org, before=before):
        return apply_plan(gateway_factory(make_profile()), store, plan, org="scenario", **options)


def latest_steps(store, digest):
    """The last journalled step of each action of a plan, across its runs."""
    return {step.action_key: step for step in store.journal_of_plan(digest)}


def states(report):
    return {outcome.action.record_id: outcome.state for outcome in report.outcomes}


def test_apply_converts_and_updates_and_journals_before_values(sqlite_store, gateway_factory):
    """Updates go first, conversions in batches; the journal holds sent and done steps with before-values."""
    org = scenario_org([lead(n) for n in (1, 2, 3)])
    plan = plan_of(convert(1), convert(2), update(3, LeadSource="Web"))
    report = run(org, plan, sqlite_store, gateway_factory, convert_batch_size=1)
    assert report.complete
    assert row(org, lead_id(1))["IsConverted"]
    assert row(org, lead_id(2))["IsConverted"]
    assert row(org, lead_id(3))["LeadSource"] == "Web"
    assert converts_sent(org) == [[lead_id(1)], [lead_id(2)]]  # batches of the size asked for
    steps = sqlite_store.journal_of_run(report.run_id)
    assert [(s.record_id, s.state) for s in steps if s.record_id == lead_id(3)] == [
        (lead_id(3), JournalState.SENT),
        (lead_id(3), JournalState.DONE),
    ]
    done_update = next(s for s in steps if s.record_id == lead_id(3) and s.state is JournalState.DONE)
    assert done_update.before == {"LeadSource": None}
    assert done_update.after == {"LeadSource": "Web"}
    done_convert = next(s for s in steps if s.record_id == lead_id(1) and s.state is JournalState.DONE)
    assert done_convert.after["ContactId"] == CONTACT


def test_apply_skips_records_changed_converted_or_deleted_since_the_plan(sqlite_store, gateway_factory):
    """Pre-flight re-reads every target and skips, with a reason, what is no longer as planned."""
    org = scenario_org(
        [
            lead(1, SystemModstamp="2026-11-02T11:00:00.000+0000", Status="Working - Contacted"),
            lead(2, IsConverted=True, ConvertedContactId=CONTACT),
            lead(3, IsDeleted=True),
            lead(5),
        ]
    )
    plan = plan_of(convert(1), convert(2), update(3, LeadSource="Web"), convert(4), convert(5))
    report = run(org, plan, sqlite_store, gateway_factory)
    reasons = {outcome.action.record_id: outcome.detail for outcome in report.outcomes}
    assert states(report) == {
        lead_id(1): JournalState.SKIPPED,
        lead_id(2): JournalState.SKIPPED,
        lead_id(3): JournalState.SKIPPED,
        lead_id(4): JournalState.SKIPPED,
        lead_id(5): JournalState.DONE,
    }
    assert "changed since the plan" in reasons[lead_id(1)]
    assert "already converted" in reasons[lead_id(2)]
    assert "deleted" in reasons[lead_id(3)]
    assert "gone" in reasons[lead_id(4)]
    assert converts_sent(org) == [[lead_id(5)]]
    assert not report.complete


def test_apply_refuses_a_plan_made_for_another_org(sqlite_store, gateway_factory):
    """The session's org must be the plan's: nothing is read or written otherwise."""
    org = scenario_org([lead(1)])
    plan = plan_of(convert(1), org_id=to_18("00D5g000004ABCD"))
    with pytest.raises(PlanError, match="made for org 00D5g000004ABCD"):
        run(org, plan, sqlite_store, gateway_factory)
    assert converts_sent(org) == []


def test_apply_reports_per_lead_failures_and_per_record_update_failures(sqlite_store, gateway_factory):
    """A refused lead or record fails alone, with Salesforce's code; the rest are done."""
    org = scenario_org(
        [lead(n) for n in (1, 2, 3, 4)],
        validation_rules=[
            refuse(lead_id(2), "DUPLICATES_DETECTED", "Use one of these records?"),
            refuse(lead_id(4), "FIELD_CUSTOM_VALIDATION_EXCEPTION", "LeadSource is locked"),
        ],
    )
    plan = plan_of(convert(1), convert(2), update(3, LeadSource="Web"), update(4, LeadSource="Web"))
    report = run(org, plan, sqlite_store, gateway_factory)
    assert states(report) == {
        lead_id(1): JournalState.DONE,
        lead_id(2): JournalState.FAILED,
        lead_id(3): JournalState.DONE,
        lead_id(4): JournalState.FAILED,
    }
    details = {outcome.action.record_id: outcome.detail for outcome in report.outcomes}
    assert details[lead_id(2)].startswith("DUPLICATES_DETECTED")
    assert details[lead_id(4)].startswith("FIELD_CUSTOM_VALIDATION_EXCEPTION")


def test_a_lost_convert_answer_is_learned_by_re_reading_not_by_converting_again(sqlite_store, gateway_factory):
    """The connection drops after Salesforce converted the batch: the leads are re-read, not re-sent."""
    org = scenario_org([lead(n) for n in (1, 2)], faults=[lost_answer("convertLead")])
    report = run(org, plan_of(convert(1), convert(2)), sqlite_store, gateway_factory)
    assert converts_sent(org) == [[lead_id(1), lead_id(2)]]  # sent once
    assert states(report) == {lead_id(1): JournalState.DONE, lead_id(2): JournalState.DONE}
    assert all("re-reading" in (outcome.detail or "") for outcome in report.outcomes)


def test_a_crash_after_sending_resumes_without_converting_twice(sqlite_store, gateway_factory):
    """The process dies after a batch was sent, before its result was journalled; the next apply settles it."""
    org = scenario_org([lead(n) for n in (1, 2, 3)])
    plan = plan_of(convert(1), convert(2), convert(3))
    # The operator's Ctrl-C, or the machine going down, as the second batch goes out.
    org.faults = [killed_before_sending("convertLead", skip=1)]
    with pytest.raises(KeyboardInterrupt):
        run(org, plan, sqlite_store, gateway_factory, convert_batch_size=1)
    # Lead 2 was sent (journalled "sent") but the process died before its answer arrived.
    first_run = latest_steps(sqlite_store, plan.digest)
    assert first_run[convert(1).key].state is JournalState.DONE
    assert first_run[convert(2).key].state is JournalState.SENT
    row(org, lead_id(2)).update(IsConverted=True, ConvertedContactId=CONTACT, ConvertedAccountId=ACCOUNT)  # it did
    report = run(org, plan, sqlite_store, gateway_factory, convert_batch_size=1)
    assert converts_sent(org) == [[lead_id(1)], [lead_id(2)], [lead_id(3)]]  # 1 and 2 never sent again
    assert states(report) == {lead_id(n): JournalState.DONE for n in (1, 2, 3)}
    assert report.complete


def test_an_unsettled_batch_stops_the_run_and_the_next_run_settles_it(sqlite_store, gateway_factory):
    """When neither the answer nor the re-read gets through, the run stops; nothing is sent blind."""
    org = scenario_org([lead(1)], faults=[lost_answer("convertLead")])
    plan = plan_of(convert(1))
    network_gone = Disconnect("GET", "/query", times=1_000)

    def cut_the_network_once_converting(request):
        if soap_operation(request.body) == "convertLead":  # gone by the time apply re-reads the lead
            org.faults.append(network_gone)

    with pytest.raises(RetriableSalesforceError):
        run(org, plan, sqlite_store, gateway_factory, before=cut_the_network_once_converting)
    assert latest_steps(sqlite_store, plan.digest)[convert(1).key].state is JournalState.UNKNOWN
    org.faults.remove(network_gone)
    report = run(org, plan, sqlite_store, gateway_factory)
    assert converts_sent(org) == [[lead_id(1)]]  # converted by the first run, never sent again
    assert states(report) == {lead_id(1): JournalState.DONE}


def test_apply_stops_at_the_api_reserve_and_resumes_later(sqlite_store, gateway_factory):
    """Past the reserve the run stops with the journal intact; the next run sends only what is left."""
    # The reserve is the last 10% of 15,000: the first batch reaches it (logging in is free, the
    # resources list, the pre-flight read and each call count one, as in Salesforce).
    org = scenario_org([lead(n) for n in (1, 2, 3)], api_used=13_498)
    plan = plan_of(convert(1), convert(2), convert(3))
    with pytest.raises(ApiBudgetError):
        run(org, plan, sqlite_store, gateway_factory, convert_batch_size=1)
    assert converts_sent(org) == [[lead_id(1)]]
    assert latest_steps(sqlite_store, plan.digest)[convert(1).key].state is JournalState.DONE
    assert convert(2).key not in latest_steps(sqlite_store, plan.digest)
    org.api_used = 2_000  # a new day
    report = run(org, plan, sqlite_store, gateway_factory, convert_batch_size=1)
    assert converts_sent(org) == [[lead_id(1)], [lead_id(2)], [lead_id(3)]]
    assert report.complete


def test_revert_restores_updated_values_and_skips_records_changed_since(sqlite_store, gateway_factory):
    """Revert puts back the journalled before-values, leaves a record someone changed, and lists conversions."""
    org = scenario_org([lead(n, LeadSource="Phone" if n == 2 else None) for n in (1, 2, 3)])
    plan = plan_of(convert(1), update(2, {"LeadSource": "Phone"}, LeadSource="Web"), update(3, LeadSource="Web"))
    applied = run(org, plan, sqlite_store, gateway_factory)
    assert applied.complete
    org.upsert("Lead", {"Id": lead_id(3), "LeadSource": "Partner Referral"})  # a user changed it after the apply
    with serving(org):
        report = revert_run(gateway_factory(make_profile()), sqlite_store, applied.run_id, org="scenario")
    assert row(org, lead_id(2))["LeadSource"] == "Phone"  # put back
    assert row(org, lead_id(3))["LeadSource"] == "Partner Referral"  # left alone
    by_record = {entry.record_id: entry for entry in report.outcomes}
    assert by_record[lead_id(2)].state is JournalState.DONE
    assert by_record[lead_id(3)].state is JournalState.SKIPPED
    assert "Partner Referral" in by_record[lead_id(3)].detail
    assert [entry.record_id for entry in report.conversions] == [lead_id(1)]
    assert row(org, lead_id(1))["IsConverted"]  # a conversion is never undone


def test_mapped_lead_values_are_written_to_the_merged_contact_after_conversion(sqlite_store, gateway_factory, tmp_path):
    """A fill-blank mapping writes the Lead's Title into the Contact it was merged into, journalled for revert."""
    org = scenario_org([lead(1, Title="CTO"), {"Id": CONTACT, "IsDeleted": False, "Title": None}])
    (tmp_path / "mappings.toml").write_text('[[mapping]]\nlead = "Title"\ncontact = "Title"\n', encoding="utf-8")
    mappings = load_mappings(tmp_path / "mappings.toml")
    report = run(org, plan_of(convert(1)), sqlite_store, gateway_factory, mappings=mappings)
    assert report.complete
    assert row(org, CONTACT)["Title"] == "CTO"
    mapped = next(
        step
        for step in sqlite_store.journal_of_run(report.run_id)
        if step.sobject == "Contact" and step.state is JournalState.DONE
    )
    assert mapped.before == {"Title": None}
    assert mapped.after == {"Title": "CTO"}


def test_a_mapping_that_does_not_fit_the_org_stops_apply_before_any_write(sqlite_store, gateway_factory, tmp_path):
    """Mappings are checked against describe first: a missing field names the mapping, and nothing is sent."""
    org = scenario_org([lead(1)])
    (tmp_path / "mappings.toml").write_text('[[mapping]]\nlead = "Segment__c"\ncontact = "Title"\n', encoding="utf-8")
    with pytest.raises(InvalidMappingsError, match=r"mapping 1 \(Lead.Segment__c"):
        run(org, plan_of(convert(1)), sqlite_store, gateway_factory, mappings=load_mappings(tmp_path / "mappings.toml"))
    assert converts_sent(org) == []
    assert sqlite_store.recent_runs() == []


def test_updates_send_only_changed_values_and_a_record_once_per_request(sqlite_store, gateway_factory):
    """A value already in place is not written again; two updates of one record go in separate requests."""
    org = scenario_org([lead(1, LeadSource="Web"), lead(2)])
    owner = to_18("0059P0000Am3kw9")
    reassign = update(2, {"OwnerId": USER}, OwnerId=owner).model_copy(update={"key": f"inactive_owner:{lead_id(2)}"})
    report = run(
        org, plan_of(update(1, LeadSource="Web"), update(2, LeadSource="Web"), reassign), sqlite_store, gateway_factory
    )
    assert report.complete
    sent = [
        [(item["id"], sorted(set(item) - {"attributes", "id"})) for item in request] for request in updates_sent(org)
    ]
    assert sent == [[(lead_id(2), ["LeadSource"])], [(lead_id(2), ["OwnerId"])]]
    assert row(org, lead_id(2))["OwnerId"] == owner


def test_an_unsettled_lead_converted_by_someone_else_is_not_counted_as_this_plans(sqlite_store, gateway_factory):
    """A lead left "sent" that turns out converted into another Contact was not this plan's conversion."""
    org = scenario_org([lead(1)])
    plan = plan_of(convert(1))
    org.faults = [killed_before_sending("convertLead")]  # dies with the batch sent
    with pytest.raises(KeyboardInterrupt):
        run(org, plan, sqlite_store, gateway_factory)
    other = to_18("0039P0000M9zxzz")
    row(org, lead_id(1)).update(IsConverted=True, ConvertedContactId=other, ConvertedAccountId=ACCOUNT)
    report = run(org, plan, sqlite_store, gateway_factory)
    (outcome,) = report.outcomes
    assert outcome.state is JournalState.SKIPPED
    assert "already converted" in outcome.detail


def test_mapped_values_of_conversions_an_interrupted_run_made_are_written_on_resume(
    sqlite_store, gateway_factory, tmp_path
):
    """The run dies after converting, before writing mapped values; the next run writes them, converting nothing."""
    org = scenario_org([lead(1, Title="CTO"), {"Id": CONTACT, "IsDeleted": False, "Title": None}])
    (tmp_path / "mappings.toml").write_text('[[mapping]]\nlead = "Title"\ncontact = "Title"\n', encoding="utf-8")
    mappings = load_mappings(tmp_path / "mappings.toml")
    plan = plan_of(convert(1))

    def die_at_the_mapping_read(request):
        if "FROM+Contact" in (request.url or ""):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(org, plan, sqlite_store, gateway_factory, mappings=mappings, before=die_at_the_mapping_read)
    assert row(org, lead_id(1))["IsConverted"]
    assert row(org, CONTACT)["Title"] is None
    report = run(org, plan, sqlite_store, gateway_factory, mappings=mappings)
    assert converts_sent(org) == [[lead_id(1)]]
    assert row(org, CONTACT)["Title"] == "CTO"
    assert report.complete


class Clock:
    """A clock that sleeping advances (nothing really waits)."""

    def __init__(self, start=SEEN_AT):
        """Start at the plan's time."""
        self.now, self.slept = start, []

    def __call__(self):
        """The current time."""
        return self.now

    def sleep(self, seconds):
        """Move time forward instead of waiting."""
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_a_killed_run_with_a_batch_still_in_flight_is_settled_not_sent_again(sqlite_store, gateway_factory):
    """Killed mid-call while Salesforce still converts: the next run waits for the leads to show it, sends nothing."""
    org = scenario_org(
        [lead(n) for n in (1, 2)], faults=[still_running("convertLead", queries=3, error=KeyboardInterrupt)]
    )
    plan, clock = plan_of(convert(1), convert(2)), Clock()
    with pytest.raises(KeyboardInterrupt):
        run(org, plan, sqlite_store, gateway_factory, clock=clock, sleep=clock.sleep)
    assert not row(org, lead_id(1))["IsConverted"]  # not yet: the call is still running in the org
    clock.sleep(1)  # the scheduler starts the next run a second later
    report = run(org, plan, sqlite_store, gateway_factory, clock=clock, sleep=clock.sleep)
    assert converts_sent(org) == [[lead_id(1), lead_id(2)]]  # never sent again
    assert states(report) == {lead_id(1): JournalState.DONE, lead_id(2): JournalState.DONE}
    assert report.complete
    assert all("sent by run 1 of this plan" in outcome.detail for outcome in report.outcomes)
    assert 0 < sum(clock.slept) - 1 < 120  # waited for the org, not for the whole settle time
    assert sqlite_store.run(1)["outcome"] == "interrupted"


def test_a_batch_that_never_reached_salesforce_is_sent_once_after_the_settle_time(sqlite_store, gateway_factory):
    """Journalled "sent" but never received: once Salesforce cannot still be on it, the leads are sent once."""
    org = scenario_org([lead(1)])
    plan, clock = plan_of(convert(1)), Clock()
    org.faults = [killed_before_sending("convertLead")]  # dies before the org converts
    with pytest.raises(KeyboardInterrupt):
        run(org, plan, sqlite_store, gateway_factory, clock=clock, sleep=clock.sleep)
    report = run(org, plan, sqlite_store, gateway_factory, clock=clock, sleep=clock.sleep, settle_seconds=60)
    assert converts_sent(org) == [[lead_id(1)], [lead_id(1)]]  # the second send, after settling
    assert 60 <= sum(clock.slept) < 65
    assert states(report) == {lead_id(1): JournalState.DONE}


def test_a_lost_answer_while_salesforce_is_still_converting_is_waited_for(sqlite_store, gateway_factory):
    """The read times out while the org is still converting: re-reads wait for it; the batch is not sent again."""
    org = scenario_org([lead(n) for n in (1, 2)], faults=[still_running("convertLead", queries=2)])
    clock = Clock()
    report = run(org, plan_of(convert(1), convert(2)), sqlite_store, gateway_factory, clock=clock, sleep=clock.sleep)
    assert converts_sent(org) == [[lead_id(1), lead_id(2)]]
    assert states(report) == {lead_id(1): JournalState.DONE, lead_id(2): JournalState.DONE}
    assert clock.slept  # it waited instead of re-sending at once


def test_a_call_that_outlasts_the_read_timeout_is_still_waited_for(sqlite_store, gateway_factory):
    """Triggers make the call run past the 120 s read timeout: sfbridge waits for Salesforce, it does not re-send."""
    org = scenario_org([lead(n) for n in (1, 2)], faults=[still_running("convertLead", queries=5)])
    clock = Clock()

    def read_timeout_fires(request):
        if soap_operation(request.body) == "convertLead":
            clock.sleep(121)  # the read timeout fires 121 s after sending

    report = run(
        org,
        plan_of(convert(1), convert(2)),
        sqlite_store,
        gateway_factory,
        clock=clock,
        sleep=clock.sleep,
        before=read_timeout_fires,
    )
    assert converts_sent(org) == [[lead_id(1), lead_id(2)]]  # sent once
    assert states(report) == {lead_id(1): JournalState.DONE, lead_id(2): JournalState.DONE}


def test_a_conversion_this_plan_made_is_done_even_after_a_refused_resend(sqlite_store, gateway_factory):
    """An older sfbridge re-sent an in-flight batch and journalled the refusal: the lead is still this plan's, done."""
    org = scenario_org([lead(1, IsConverted=True, ConvertedContactId=CONTACT, ConvertedAccountId=ACCOUNT)])
    plan = plan_of(convert(1))
    action = convert(1)

    def step(state, detail=None):
        return JournalEntry(
            action_key=action.key,
            kind=action.kind,
            sobject="Lead",
            record_id=lead_id(1),
            state=state,
            detail=detail,
        )

    sqlite_store.journal(1, plan.digest, [step(JournalState.SENT)], at=SEEN_AT)
    sqlite_store.journal(2, plan.digest, [step(JournalState.SENT)], at=SEEN_AT)
    sqlite_store.journal(
        2, plan.digest, [step(JournalState.FAILED, "CANNOT_UPDATE_CONVERTED_LEAD: already converted")], at=SEEN_AT
    )
    report = run(org, plan, sqlite_store, gateway_factory)
    assert converts_sent(org) == []
    (outcome,) = report.outcomes
    assert outcome.state is JournalState.DONE
    assert "sent by run 1, 2 of this plan" in outcome.detail
    assert report.complete


def test_a_lead_already_converted_into_the_planned_contact_is_done_not_skipped(sqlite_store, gateway_factory):
    """Someone converted it exactly as planned: the plan's intent holds, nothing is sent, the run is complete."""
    org = scenario_org([lead(1, IsConverted=True, ConvertedContactId=CONTACT, ConvertedAccountId=ACCOUNT)])
    report = run(org, plan_of(convert(1)), sqlite_store, gateway_factory)
    (outcome,) = report.outcomes
    assert (outcome.state, report.complete, converts_sent(org)) == (JournalState.DONE, True, [])
    assert "planned records" in outcome.detail


def test_a_resend_refused_because_an_earlier_send_converted_the_lead_counts_as_done(sqlite_store, gateway_factory):
    """A lost call the org finishes only after the re-send: the refusal is read as this plan's conversion."""
    org = scenario_org([lead(1)], faults=[still_running("convertLead", queries=300)])  # lands after the settle time
    clock = Clock()
    report = run(org, plan_of(convert(1)), sqlite_store, gateway_factory, clock=clock, sleep=clock.sleep)
    assert converts_sent(org) == [[lead_id(1)], [lead_id(1)]]
    (outcome,) = report.outcomes
    assert outcome.state is JournalState.DONE
    assert report.complete


def test_an_apply_stopped_by_a_bug_is_not_left_running(sqlite_store, gateway_factory, monkeypatch):
    """Whatever stops a run (an error, a bug, a signal), the runs table says how it ended."""
    org = scenario_org([lead(1)])

    def broken(*_args, **_kwargs):
        msg = "a bug"
        raise ValueError(msg)

    monkeypatch.setattr("sfbridge.push.conversions.lead_convert", broken)
    with pytest.raises(ValueError, match="a bug"):
        run(org, plan_of(convert(1)), sqlite_store, gateway_factory)
    (last,) = sqlite_store.recent_runs(limit=1)
    assert (last["outcome"], last["error"]) == ("failed", "a bug")


def test_a_status_the_org_does_not_have_is_never_written(sqlite_store, gateway_factory):
    """A misspelt disqualified status (or a converted one) is skipped with the org's statuses named; nothing is sent."""
    org = scenario_org([lead(n) for n in (1, 2, 3)])
    plan = plan_of(
        update(1, {"Status": "Open - Not Contacted"}, Status="Closed - Not Convertd"),
        update(2, {"Status": "Open - Not Contacted"}, Status="Closed - Converted"),
        update(3, {"Status": "Open - Not Contacted"}, Status="Closed - Not Converted"),
    )
    report = run(org, plan, sqlite_store, gateway_factory)
    details = {outcome.action.record_id: (outcome.state, outcome.detail) for outcome in report.outcomes}
    assert details[lead_id(1)][0] is JournalState.SKIPPED
    assert "'Closed - Not Convertd' is not a Lead status of this org" in details[lead_id(1)][1]
    assert "'Closed - Not Converted'" in details[lead_id(1)][1]  # the statuses it has
    assert details[lead_id(2)][0] is JournalState.SKIPPED
    assert "converted status" in details[lead_id(2)][1]
    assert details[lead_id(3)][0] is JournalState.DONE
    assert [[item["id"] for item in request] for request in updates_sent(org)] == [[lead_id(3)]]
    assert row(org, lead_id(1))["Status"] == "Open - Not Contacted"


def test_a_revert_stopped_by_a_bug_is_not_left_running(sqlite_store, gateway_factory, monkeypatch):
    """Revert records how it ended whatever stops it, as apply does."""
    org = scenario_org([lead(1)])
    applied = run(org, plan_of(update(1, LeadSource="Web")), sqlite_store, gateway_factory)

    def broken(*_args, **_kwargs):
        msg = "a bug"
        raise ValueError(msg)

    monkeypatch.setattr("sfbridge.push.revert._revert", broken)
    with serving(org), pytest.raises(ValueError, match="a bug"):
        revert_run(gateway_factory(make_profile()), sqlite_store, applied.run_id, org="scenario")
    (last,) = sqlite_store.recent_runs(limit=1)
    assert (last["command"], last["outcome"], last["error"]) == ("revert", "failed", "a bug")
