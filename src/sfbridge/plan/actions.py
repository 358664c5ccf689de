"""Findings into actions: which finding asks for which change, and what the record looked like.

Pure: the findings and the records' stored values in, actions and notes out. A finding the
plan cannot act on safely (no fallback owner configured, a Contact without an Account, a
lead that is also junk) becomes a note the reviewer reads, never a guess.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sfbridge.models import Action, ActionKind, Finding, LeadConversion, PlanNote
from sfbridge.rules import PlanAction, Rules

__all__ = ["ACTION_OF_CHECK", "RecordFacts", "actions_for"]

#: Which plan action each check's findings lead to.
ACTION_OF_CHECK: Mapping[str, PlanAction] = {
    "lead_is_existing_contact": "convert_existing_contact",
    "lead_matches_account": "convert_into_account",
    "ready_to_convert": "convert_ready",
    "junk_lead": "disqualify_junk",
    "missing_lead_source": "fill_lead_source",
    "inactive_owner": "reassign_inactive_owner",
    "duplicate": "merge_duplicates",  # cluster by cluster: see sfbridge.plan.merges
}

# Leads may be owned by a queue (a Group, Ids starting 00G); the records a conversion creates
# cannot be, so convertLead then needs ownerId, a user.
_QUEUE_PREFIX, _USER_PREFIX = "00G", "005"


@dataclass(frozen=True)
class RecordFacts:
    """The stored values of the records findings name, as the plan saw them.

    Attributes:
        records: per object, record Id → field values (``SystemModstamp`` among them).
        converted_status: the LeadStatus conversions set, or None when the org has none.
    """

    records: Mapping[str, Mapping[str, Mapping[str, Any]]]
    converted_status: str | None

    def of(self, sobject: str, record_id: str) -> Mapping[str, Any] | None:
        """One record's values, or None when the store does not hold it."""
        return self.records.get(sobject, {}).get(record_id)


def _modstamp(values: Mapping[str, Any]) -> datetime | None:
    stamp = values.get("SystemModstamp")
    return stamp if isinstance(stamp, datetime) else None


def _update(finding: Finding, values: Mapping[str, Any], record: Mapping[str, Any]) -> Action:
    return Action(
        key=f"{finding.check}:{finding.record_id}",
        kind=ActionKind.UPDATE_RECORD,
        sobject=finding.sobject,
        record_id=finding.record_id,
        check=finding.check,
        reason=finding.reason,
        seen_modstamp=_modstamp(record),
        expected={name: record.get(name) for name in values},
        values=dict(values),
    )


class _Planner:
    def __init__(self, rules: Rules, facts: RecordFacts) -> None:
        self.rules, self.facts = rules, facts
        self.actions: list[Action] = []
        self.notes: list[PlanNote] = []

    def note(self, finding: Finding, why: str) -> None:
        self.notes.append(PlanNote(check=finding.check, record_id=finding.record_id, why=why))

    def convert(self, finding: Finding, lead: Mapping[str, Any], *, account: str | None, contact: str | None) -> None:
        status = self.facts.converted_status
        if status is None:
            self.note(finding, "the org has no converted LeadStatus (IsConverted = true) to convert with")
            return
        owner = str(lead.get("OwnerId") or "")
        owner_id = None
        if owner.startswith(_QUEUE_PREFIX):
            plan = self.rules.plan
            owner_id = plan.convert_owner_id or (
                plan.fallback_owner_id if str(plan.fallback_owner_id or "").startswith(_USER_PREFIX) else None
            )
            if owner_id is None:
                why = f"owned by queue {owner}: set plan.convert_owner_id to the user who will own the new records"
                self.note(finding, why)
                return
        opportunity = self.rules.conversion.opportunity_required if finding.check == "ready_to_convert" else None
        conversion = LeadConversion(
            converted_status=status,
            account_id=account,
            contact_id=contact,
            owner_id=owner_id,
            create_opportunity=self.rules.plan.opportunity_for_matches if opportunity is None else opportunity,
        )
        self.actions.append(
            Action(
                key=f"{finding.check}:{finding.record_id}",
                kind=ActionKind.CONVERT_LEAD,
                sobject="Lead",
                record_id=finding.record_id,
                check=finding.check,
                reason=finding.reason,
                seen_modstamp=_modstamp(lead),
                expected={"IsConverted": False, "Status": lead.get("Status"), "OwnerId": lead.get("OwnerId")},
                conversion=conversion,
            )
        )

    def act(self, finding: Finding, action: PlanAction) -> None:  # noqa: C901 (one branch per action)
        record = self.facts.of(finding.sobject, finding.record_id)
        if record is None:
            self.note(finding, f"{finding.sobject} {finding.record_id} is not in the store any more")
            return
        if action == "convert_existing_contact":
            contact_id = finding.related.get("contact")
            contact = self.facts.of("Contact", contact_id or "") or {}
            account = contact.get("AccountId")
            if not account:
                # convertLead merges into a Contact only together with that Contact's Account.
                self.note(finding, f"Contact {contact_id} has no Account, and convertLead needs one to merge into it")
                return
            self.convert(finding, record, account=str(account), contact=contact_id)
        elif action == "convert_into_account":
            self.convert(finding, record, account=finding.related.get("account"), contact=None)
        elif action == "convert_ready":
            self.convert(finding, record, account=None, contact=None)
        elif action == "disqualify_junk":
            if "Status" not in finding.suggested_values:
                self.note(finding, "the org has no disqualified status (set statuses.disqualified in the rules)")
                return
            values = dict(finding.suggested_values)
            reason_field = self.rules.plan.disqualified_reason_field
            if reason_field:
                # Imported here: sfbridge.checks imports every check (the matcher with them),
                # which a plan reusing an audit's findings has no other use for.
                from sfbridge.checks.junk import disqualified_reason  # noqa: PLC0415

                values[reason_field] = disqualified_reason(str(finding.evidence.get("category", "junk")))
            self.actions.append(_update(finding, values, record))
        elif action == "fill_lead_source":
            if "LeadSource" not in finding.suggested_values:
                return  # nothing to infer it from: the finding stays a finding
            self.actions.append(_update(finding, finding.suggested_values, record))
        elif action == "reassign_inactive_owner":
            owner = self.rules.plan.fallback_owner_id
            if owner is None:
                self.note(finding, "no plan.fallback_owner_id (a user or queue) to give it to")
                return
            self.actions.append(_update(finding, {"OwnerId": owner}, record))


def actions_for(
    findings: Sequence[Finding], *, rules: Rules, facts: RecordFacts
) -> tuple[list[Action], list[PlanNote]]:
    """Turn findings into the actions the rules allow, with notes for those left out.

    A lead that is junk is not converted. Actions come in the order of the findings.

    Args:
        findings: an audit's findings.
        rules: the rules (``plan`` section: which actions, owners, statuses).
        facts: the named records' stored values.

    Returns:
        The actions, and a note per finding that could not become one.
    """
    planner = _Planner(rules, facts)
    wanted = set(rules.plan.actions)
    junk = {item.record_id for item in findings if item.check == "junk_lead"}
    converting = _conversion_of(findings, wanted)
    for finding in findings:
        action = ACTION_OF_CHECK.get(finding.check)
        if action is None or action not in wanted or action == "merge_duplicates":
            continue
        if action.startswith("convert") and finding.record_id in junk:
            planner.note(finding, "also a junk lead: disqualify it rather than convert it")
            continue
        chosen = converting.get(finding.record_id)
        if action.startswith("convert") and chosen is not None and chosen is not finding:
            # A lead converts once: a second convertLead of it is refused (CANNOT_UPDATE_CONVERTED_LEAD).
            planner.note(finding, f"converted by this plan already, as {chosen.check} finds it (the closer match)")
            continue
        planner.act(finding, action)
    return planner.actions, planner.notes


#: Which conversion a lead several checks would convert gets: the one into the records it
#: already matches first (its Contact, then its Account), a new Account last.
_CONVERSION_ORDER = ("lead_is_existing_contact", "lead_matches_account", "ready_to_convert")


def _conversion_rank(check: str) -> int:
    return _CONVERSION_ORDER.index(check) if check in _CONVERSION_ORDER else len(_CONVERSION_ORDER)


def _conversion_of(findings: Sequence[Finding], wanted: Collection[str]) -> dict[str, Finding]:
    """Per lead, the finding whose conversion the plan makes (when several checks would convert it)."""
    chosen: dict[str, Finding] = {}
    for finding in findings:
        action = ACTION_OF_CHECK.get(finding.check)
        if action is None or action not in wanted or not action.startswith("convert"):
            continue
        held = chosen.get(finding.record_id)
        if held is None or _conversion_rank(finding.check) < _conversion_rank(held.check):
            chosen[finding.record_id] = finding
    return chosen
