"""Plans: findings into actions, the reviewable file and its digest, and `sfbridge plan` on the demo org."""

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import orjson
import pytest

from sfbridge.errors import PlanError
from sfbridge.ids import to_18
from sfbridge.models import Action, ActionKind, Finding, Plan, RecordMerge, Severity
from sfbridge.plan import PlanTarget, make_plan, plan_digest, plan_json, read_plan, sealed
from sfbridge.plan.actions import RecordFacts, actions_for
from sfbridge.rules import Rules

SEEN = datetime(2026, 11, 2, 9, tzinfo=UTC)
USER, QUEUE = to_18("0059P0000Am3kw2"), to_18("00G9P0000Qq0001")
ACCOUNT, CONTACT, LONELY_CONTACT = to_18("0019P0000To8vtl"), to_18("0039P0000M9zxcc"), to_18("0039P0000M9zxdd")


def lead_id(number):
    return to_18(f"00Q9P0000F9q{number:03d}")


def finding(check, number, **values):
    return Finding(
        check=check,
        severity=Severity.HIGH,
        sobject=values.pop("sobject", "Lead"),
        record_id=lead_id(number),
        reason=f"{check} reason",
        suggested_action="fix it",
        **values,
    )


def facts(**leads):
    records = {
        lead_id(int(key[1:])): {"Id": lead_id(int(key[1:])), "SystemModstamp": SEEN} | values
        for key, values in leads.items()
    }
    contacts = {
        CONTACT: {"Id": CONTACT, "AccountId": ACCOUNT},
        LONELY_CONTACT: {"Id": LONELY_CONTACT, "AccountId": None},
    }
    return RecordFacts(records={"Lead": records, "Contact": contacts}, converted_status="Closed - Converted")


def rules(**plan):
    return Rules.model_validate({"plan": plan})


def test_an_existing_contact_lead_converts_into_that_contact_and_its_account():
    """lead_is_existing_contact → ConvertLead with contactId and the Contact's accountId, no opportunity."""
    actions, notes = actions_for(
        [finding("lead_is_existing_contact", 1, related={"contact": CONTACT})],
        rules=rules(),
        facts=facts(l1={"Status": "Working", "OwnerId": USER, "IsConverted": False}),
    )
    assert notes == []
    (action,) = actions
    assert action.kind is ActionKind.CONVERT_LEAD
    assert action.conversion.contact_id == CONTACT
    assert action.conversion.account_id == ACCOUNT
    assert action.conversion.create_opportunity is False
    assert action.conversion.owner_id is None
    assert action.seen_modstamp == SEEN
    assert action.expected == {"IsConverted": False, "Status": "Working", "OwnerId": USER}


def test_a_lead_two_checks_would_convert_is_converted_once_into_the_contact_it_matches():
    """Found by rehearsing on the local sandbox: a lead both ready and an existing contact was converted twice."""
    lead = {"Status": "Working", "OwnerId": USER, "IsConverted": False}
    actions, notes = actions_for(
        [finding("ready_to_convert", 1), finding("lead_is_existing_contact", 1, related={"contact": CONTACT})],
        rules=rules(),
        facts=facts(l1=lead),
    )
    (action,) = actions
    assert (action.kind, action.check, action.conversion.contact_id) == (
        ActionKind.CONVERT_LEAD,
        "lead_is_existing_contact",
        CONTACT,
    )
    assert [(note.check, note.why) for note in notes] == [
        ("ready_to_convert", "converted by this plan already, as lead_is_existing_contact finds it (the closer match)")
    ]


def test_a_queue_owned_lead_gets_the_configured_owner_or_a_note():
    """ConvertLead needs a user to own the new records when the lead sits in a queue."""
    found = [finding("lead_matches_account", 1, related={"account": ACCOUNT})]
    queued = facts(l1={"Status": "Open", "OwnerId": QUEUE})
    (action,), _ = actions_for(found, rules=rules(convert_owner_id=USER), facts=queued)
    assert action.conversion.owner_id == USER
    assert action.conversion.account_id == ACCOUNT
    actions, (note,) = actions_for(found, rules=rules(), facts=queued)
    assert actions == []
    assert "convert_owner_id" in note.why


def test_findings_that_cannot_be_acted_on_safely_become_notes():
    """A Contact without an Account, a junk lead that also matches, no fallback owner: notes, not guesses."""
    found = [
        finding("lead_is_existing_contact", 1, related={"contact": LONELY_CONTACT}),
        finding("lead_matches_account", 2, related={"account": ACCOUNT}),
        finding(
            "junk_lead", 2, suggested_values={"Status": "Closed - Not Converted"}, evidence={"category": "test_record"}
        ),
        finding("inactive_owner", 3),
    ]
    lead_facts = facts(l1={"OwnerId": USER}, l2={"OwnerId": USER, "Status": "Open"}, l3={"OwnerId": USER})
    actions, notes = actions_for(found, rules=rules(disqualified_reason_field="Reason__c"), facts=lead_facts)
    assert [(a.check, a.values) for a in actions] == [
        ("junk_lead", {"Status": "Closed - Not Converted", "Reason__c": "Test record"})
    ]
    assert actions[0].expected == {"Status": "Open", "Reason__c": None}
    whys = {note.record_id: note.why for note in notes}
    assert "has no Account" in whys[lead_id(1)]
    assert "junk" in whys[lead_id(2)]
    assert "fallback_owner_id" in whys[lead_id(3)]


def test_only_the_actions_the_rules_allow_are_planned():
    """plan.actions limits what a plan may propose (here: updates only, no conversions)."""
    found = [
        finding("lead_matches_account", 1, related={"account": ACCOUNT}),
        finding("missing_lead_source", 2, suggested_values={"LeadSource": "Web"}),
        finding("inactive_owner", 3),
    ]
    allowed = rules(actions=["fill_lead_source", "reassign_inactive_owner"], fallback_owner_id=USER)
    actions, _ = actions_for(found, rules=allowed, facts=facts(l1={}, l2={"LeadSource": None}, l3={"OwnerId": "005x"}))
    assert [(a.check, a.values) for a in actions] == [
        ("missing_lead_source", {"LeadSource": "Web"}),
        ("inactive_owner", {"OwnerId": USER}),
    ]


def _plan():
    return sealed(
        Plan(
            org="demo",
            org_id="00D9P0000L6772hUQA",
            instance_url="https://sfbridge-demo.my.salesforce.com",
            user_id=None,
            api_version="66.0",
            created_at=SEEN,
            snapshot_at=SEEN,
            audit_run_id=None,
            rules_digest="0" * 64,
            actions=(),
        )
    )


def test_a_plan_file_reads_back_whole_and_an_edited_one_is_refused(tmp_path):
    """The digest seals the content: one changed character and apply refuses the file."""
    path = tmp_path / "plan.json"
    path.write_bytes(plan_json(_plan()))
    assert read_plan(path) == _plan()
    edited = orjson.loads(path.read_bytes()) | {"org_id": "00D5g000004ABCDEAA"}
    path.write_bytes(orjson.dumps(edited))
    with pytest.raises(PlanError, match="changed after it was made"):
        read_plan(path)


NAIVE = datetime(2026, 1, 1, 9)  # noqa: DTZ001 (a kept value may be naive)


def _varied_plan(value):
    """A plan whose merge carries ``value`` among a record's values, beside datetimes, floats, enums and Nones."""
    action = Action(
        key="merge:00Q9P0000Fa3d87UQA:1",
        kind=ActionKind.MERGE_RECORDS,
        sobject="Lead",
        record_id="00Q9P0000Fa3d87UQA",
        check="duplicate",
        reason="the same person ✓",
        seen_modstamp=datetime(2026, 10, 29, 20, 40, 51, 120, tzinfo=UTC),
        expected={"Phone": None, "AnnualRevenue": 1e20, "NumberOfEmployees": 3},
        values={"Phone": "+39 06 4156 8081", "Rating": 0.5},
        merge=RecordMerge(
            master_id="00Q9P0000Fa3d87UQA",
            merged_ids=("00Q9P0000Fa3ek6UQA",),
            group="00Q9P0000Fa3d87UQA",
            score=1.0,
            reasons=("same email",),
            seen={"00Q9P0000Fa3d87UQA": SEEN, "00Q9P0000Fa3ek6UQA": None},
            records={"00Q9P0000Fa3ek6UQA": {"Value": value, "Local": NAIVE}},
        ),
    )
    plan = _plan()
    return sealed(plan.model_copy(update={"actions": (action,), "is_sandbox": False}))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(0))),
        datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        date(2026, 11, 2),
        float("nan"),
        Decimal("1.10"),  # not orjson's: written pydantic's way
        ("a", 1),
    ],
)
def test_a_plan_file_is_pydantics_json_of_the_plan_byte_for_byte(value):
    """plan_json and the digest write what orjson makes of model_dump(mode="json"), however they get there."""
    plan = _varied_plan(value)
    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    assert plan_json(plan) == orjson.dumps(plan.model_dump(mode="json"), option=options)
    canonical = orjson.dumps(plan.model_dump(mode="json", exclude={"digest"}), option=orjson.OPT_SORT_KEYS)
    assert plan_digest(plan) == plan.digest == hashlib.sha256(canonical).hexdigest()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "JSON is broken"),
        (b"[1, 2]", "no actions"),
        (b'{"actions": [], "format": 9}', "format 9"),
        (b'{"actions": [{"kind": "Delete"}], "format": 1}', "not a valid plan"),
    ],
)
def test_a_broken_plan_file_gets_a_message_naming_it(tmp_path, content, message):
    """Bad plan files never raise a traceback: the message names the file and the fix."""
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    with pytest.raises(PlanError, match=message) as caught:
        read_plan(path)
    assert str(path) in str(caught.value)


def test_make_plan_on_the_demo_store(demo_store):
    """The demo org's findings become conversions and updates, sealed, with the org and rules recorded."""
    from sfbridge.demo import load_demo_org  # noqa: PLC0415
    from sfbridge.rules import load_rules  # noqa: PLC0415

    demo_rules = load_rules(load_demo_org().rules)
    plan = make_plan(demo_store, target=PlanTarget(org="demo", api_version="66.0"), rules=demo_rules, now=SEEN)
    kinds = {(action.kind, action.check) for action in plan.actions}
    assert (ActionKind.CONVERT_LEAD, "lead_is_existing_contact") in kinds
    assert (ActionKind.UPDATE_RECORD, "junk_lead") in kinds
    assert (ActionKind.MERGE_RECORDS, "duplicate") in kinds
    assert plan.org_id == "00D9P0000L6772hUQA"
    assert all(action.seen_modstamp is not None for action in plan.actions)
    converted = {action.conversion.converted_status for action in plan.actions if action.conversion}
    assert converted == {"Closed - Converted"}  # the org's IsConverted LeadStatus, read from the store
    assert len({action.key for action in plan.actions}) == len(plan.actions)
