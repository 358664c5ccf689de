"""Duplicate clusters into MergeRecords actions: masters, three records a merge, values, and clusters held back."""

from datetime import UTC, datetime

import pytest

from sfbridge.errors import PlanError
from sfbridge.ids import to_18
from sfbridge.matching.mergeable import PLAN_MERGES, merge_outlook
from sfbridge.models import ActionKind, Finding, Plan, Severity
from sfbridge.plan import plan_json, read_plan, sealed
from sfbridge.plan.merges import merge_actions
from sfbridge.report.plan import plan_diff
from sfbridge.rules import Rules

SEEN = datetime(2026, 11, 2, 9, tzinfo=UTC)
OWNER, OTHER_OWNER = to_18("0059P0000Am3kw2"), to_18("0059P0000Am3kw3")


def lead(n):
    return to_18(f"00Q9P0000Mg{n:04d}")


def contact(n):
    return to_18(f"0039P0000Mg{n:04d}")


def duplicate(record_id, rank, *, group="G1", score=0.99, merged_values=None):
    sobject = "Lead" if record_id.startswith("00Q") else "Contact"
    evidence = {"rank": rank, "matches": [{"other_id": "x", "reasons": ["same email a@b.example", "same phone"]}]}
    if merged_values is not None:
        evidence["merged_values"] = merged_values
    return Finding(
        check="duplicate",
        severity=Severity.MEDIUM,
        sobject=sobject,
        record_id=record_id,
        reason=f"{record_id} looks like the same person",
        suggested_action="merge",
        evidence=evidence,
        related={"survivor": "?"},
        group=group,
        score=score,
    )


def stored(record_id, **values):
    base = {"Id": record_id, "SystemModstamp": SEEN, "OwnerId": OWNER, "FirstName": "Dana", "LastName": "Keller"}
    if record_id.startswith("00Q"):
        base |= {"IsConverted": False, "Street": None, "City": None, "State": None, "PostalCode": None, "Country": None}
    return base | values


def records(*rows):
    by_object = {"Lead": {}, "Contact": {}}
    for row in rows:
        by_object["Lead" if row["Id"].startswith("00Q") else "Contact"][row["Id"]] = row
    return by_object


def plan(findings, stored_records, **merge):
    return merge_actions(findings, rules=Rules.model_validate({"merge": merge}), records=stored_records)


def test_three_leads_merge_into_the_survivor_in_one_merge_taking_the_chosen_values():
    """The survivor is the master; the value chosen from a merged record is set where it differs; all stamps kept."""
    chosen = {
        "last_name": {"value": "Puga", "from": lead(2), "rule": "most_common"},
        "email": {"value": "dana@acme.example", "from": lead(1), "rule": "survivor"},
        "title": {"value": "CTO", "from": lead(3), "rule": "most_recent"},
    }
    findings = [duplicate(lead(1), 1, merged_values=chosen), duplicate(lead(2), 2), duplicate(lead(3), 3)]
    rows = records(
        stored(lead(1), LastName="Pga", Email="dana@acme.example", Title=None),
        stored(lead(2), LastName="Puga"),
        stored(lead(3), Title="CTO", SystemModstamp=datetime(2026, 10, 1, tzinfo=UTC)),
    )
    actions, notes = plan(findings, rows)
    assert notes == []
    (action,) = actions
    assert (action.kind, action.sobject, action.record_id) == (ActionKind.MERGE_RECORDS, "Lead", lead(1))
    assert action.merge.merged_ids == (lead(2), lead(3))
    assert action.values == {"LastName": "Puga", "Title": "CTO"}  # the email is the master's already
    assert action.expected == {"LastName": "Pga", "Title": None}
    assert action.merge.sources == {"LastName": lead(2), "Title": lead(3)}
    assert action.merge.seen == {lead(1): SEEN, lead(2): SEEN, lead(3): datetime(2026, 10, 1, tzinfo=UTC)}
    assert action.merge.records[lead(1)]["LastName"] == "Pga"
    assert action.merge.score == 0.99
    assert action.merge.reasons == ("same email a@b.example", "same phone")


def test_a_cluster_of_five_is_two_merges_into_one_master_values_on_the_first():
    chosen = {"first_name": {"value": "Dana", "from": contact(5), "rule": "most_common"}}
    findings = [duplicate(contact(n), n, merged_values=chosen if n == 1 else None) for n in range(1, 6)]
    rows = records(stored(contact(1), FirstName="Dan"), *(stored(contact(n)) for n in range(2, 6)))
    actions, _ = plan(findings, rows)
    assert [(a.record_id, a.merge.merged_ids, a.merge.step, a.merge.steps) for a in actions] == [
        (contact(1), (contact(2), contact(3)), 1, 2),
        (contact(1), (contact(4), contact(5)), 2, 2),
    ]
    assert [a.values for a in actions] == [{"FirstName": "Dana"}, {}]
    assert len({a.key for a in actions}) == 2


def test_a_cluster_with_a_lead_merges_only_its_contacts_into_the_best_ranked_contact():
    """Salesforce cannot merge a Lead and a Contact: the Lead survivor is left to conversion, its values too."""
    chosen = {
        "title": {"value": "CTO", "from": lead(1), "rule": "survivor"},
        "phone": {"value": "+1 415 555 0134", "from": contact(3), "rule": "most_recent"},
    }
    findings = [duplicate(lead(1), 1, merged_values=chosen), duplicate(contact(3), 2), duplicate(contact(2), 3)]
    rows = records(stored(lead(1)), stored(contact(2), Title=None), stored(contact(3), Phone="+1 415 555 0134"))
    (action,), _ = plan(findings, rows)
    assert (action.sobject, action.record_id, action.merge.merged_ids) == ("Contact", contact(3), (contact(2),))
    assert action.values == {}  # the phone is the master's own; the title is the Lead's


def test_the_address_moves_whole_from_one_record_blanks_included():
    chosen = {
        "street": {"value": "1 Main St", "from": lead(2), "rule": "survivor"},
        "city": {"value": "Austin", "from": lead(2), "rule": "survivor"},
    }
    findings = [duplicate(lead(1), 1, merged_values=chosen), duplicate(lead(2), 2)]
    rows = records(
        stored(lead(1), Street="9 Old Rd", City="Dallas", State="TX"),
        stored(lead(2), Street="1 Main St", City="Austin", State=None),
    )
    (action,), _ = plan(findings, rows)
    assert action.values == {"Street": "1 Main St", "City": "Austin", "State": None}


@pytest.mark.parametrize(
    ("merge_rules", "changes", "why"),
    [
        ({}, {"score": 0.9}, "weakest match is under merge.merge_threshold 0.95"),
        ({"same_owner_only": True}, {"OwnerId": OTHER_OWNER}, "different owners"),
        ({}, {"RecordTypeId": to_18("0129P0000Rt0001")}, "different record types"),
        ({}, {"IsConverted": True}, "is converted"),
    ],
)
def test_a_cluster_the_rules_hold_back_is_a_note_with_the_reason(merge_rules, changes, why):
    score = changes.pop("score", 0.99)
    findings = [duplicate(lead(1), 1, score=score), duplicate(lead(2), 2, score=score)]
    actions, notes = plan(findings, records(stored(lead(1)), stored(lead(2), **changes)), **merge_rules)
    assert actions == []
    (note,) = notes
    assert (note.check, note.record_id) == ("duplicate", lead(1))
    assert why in note.why


def test_different_owners_merge_by_default_and_the_master_keeps_its_owner():
    findings = [duplicate(lead(1), 1), duplicate(lead(2), 2)]
    (action,), _ = plan(findings, records(stored(lead(1)), stored(lead(2), OwnerId=OTHER_OWNER)))
    assert "OwnerId" not in action.values


def test_clusters_plan_in_group_order_and_a_record_gone_from_the_store_is_a_note():
    findings = [duplicate(lead(3), 1, group="G2"), duplicate(lead(4), 2, group="G2")]
    findings += [duplicate(lead(1), 1, group="G1"), duplicate(lead(2), 2, group="G1")]
    actions, notes = plan(findings, records(stored(lead(1)), stored(lead(2)), stored(lead(3))))
    assert [a.record_id for a in actions] == [lead(1)]
    assert "is not in the store any more" in notes[0].why


def _plan_with(action):
    return sealed(
        Plan(
            org="demo",
            org_id="00D9P0000L6772hUQA",
            instance_url="https://example.my.salesforce.com",
            user_id=None,
            api_version="66.0",
            created_at=SEEN,
            snapshot_at=SEEN,
            audit_run_id=None,
            rules_digest="x",
            actions=(action,),
        )
    )


@pytest.mark.parametrize(
    ("merge_changes", "message"),
    [
        ({"merged_ids": (lead(1),)}, "other than its master"),
        ({"merged_ids": (lead(2), lead(3), lead(4))}, "other than its master"),
        ({"seen": {lead(1): SEEN}}, "SystemModstamp of every record"),
        ({"merged_ids": (contact(2),), "seen": {lead(1): SEEN, contact(2): SEEN}}, "not a Lead Id"),
    ],
)
def test_a_plan_file_with_a_merge_salesforce_would_refuse_is_refused(tmp_path, merge_changes, message):
    (action,), _ = plan([duplicate(lead(1), 1), duplicate(lead(2), 2)], records(stored(lead(1)), stored(lead(2))))
    good = tmp_path / "good.json"
    good.write_bytes(plan_json(_plan_with(action)))
    assert read_plan(good).actions == (action,)
    bad = action.model_copy(update={"merge": action.merge.model_copy(update=merge_changes)})
    path = tmp_path / "plan.json"
    path.write_bytes(plan_json(_plan_with(bad)))
    with pytest.raises(PlanError, match=message):
        read_plan(path)


def test_plan_diff_shows_a_merge_side_by_side_with_the_master_after_it():
    """Each record a column, the master as it will be last; changed fields are marked, in reading order."""
    chosen = {"last_name": {"value": "Puga", "from": lead(2), "rule": "most_common"}}
    findings = [duplicate(lead(1), 1, merged_values=chosen), duplicate(lead(2), 2)]
    (action,), _ = plan(
        findings, records(stored(lead(1), LastName="Pga", Title="CTO"), stored(lead(2), LastName="Puga"))
    )
    lines = plan_diff(_plan_with(action)).splitlines()
    assert lines[1] == f"= merge Lead {lead(2)} into {lead(1)} (kept); it takes 1 value(s)"
    assert lines[2].split() == ["kept", lead(1), "merged", lead(2), "after", "the", "merge"]
    rows = {line.split()[1] if line.startswith("  *") else line.split()[0]: line for line in lines[3:]}
    assert rows["LastName"].startswith("  * LastName")
    assert rows["LastName"].split()[2:] == ["Pga", "Puga", "Puga"]
    assert rows["Title"].split() == ["Title", "CTO", "CTO"]  # the merged lead has none; the master keeps its own
    assert lines.index(rows["FirstName"]) < lines.index(rows["LastName"]) < lines.index(rows["Title"])
    assert "weakest match 0.9900" in "\n".join(lines)


# -- what the reports say a plan would do (the audit notes it on each cluster) ---------------


def outlook(findings, stored_records, **rules):
    return merge_outlook(findings, rules=Rules.model_validate(rules), records=stored_records)


def test_the_outlook_names_the_merge_a_plan_makes_on_the_clusters_master():
    findings = [duplicate(lead(n), n) for n in range(1, 6)]
    said = outlook(findings, records(*(stored(lead(n)) for n in range(1, 6))))
    steps = "in 2 steps (Salesforce merges three records at most)"
    assert said == {lead(1): f"{PLAN_MERGES} 4 Leads into {lead(1)} {steps}"}


def test_the_outlook_says_why_a_cluster_is_left_to_a_person_as_the_plan_would():
    findings = [duplicate(lead(1), 1), duplicate(lead(2), 2), duplicate(contact(1), 3), duplicate(contact(2), 4)]
    rows = records(
        stored(lead(1)),
        stored(lead(2), RecordTypeId=to_18("0129P0000Rt0001")),
        stored(contact(1)),
        stored(contact(2)),
    )
    said = outlook(findings, rows)
    assert said[lead(1)].startswith("not merged: the records have different record types")
    assert said[contact(1)] == f"{PLAN_MERGES} 1 Contact into {contact(1)}"
    _, notes = plan(findings, rows)
    assert [note.why for note in notes] == [said[lead(1)]]  # the plan's note says the same


def test_the_outlook_of_rules_that_leave_merging_out_of_plans_says_so():
    findings = [duplicate(lead(1), 1, score=0.5), duplicate(lead(2), 2, score=0.5)]
    rows = records(stored(lead(1)), stored(lead(2)))
    assert "under merge.merge_threshold" in outlook(findings, rows)[lead(1)]
    said = outlook([duplicate(lead(1), 1), duplicate(lead(2), 2)], rows, plan={"actions": ["fill_lead_source"]})
    assert said[lead(1)] == "not merged: merge_duplicates is not among the [plan] actions in the rules"
