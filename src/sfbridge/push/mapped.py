"""After conversions: the mapped Lead values (config/mappings.toml) to write to the records made or merged into.

The org's own Lead field mapping carries what it maps during ``convertLead``; these are the
updates for what the admin's mappings add, computed from the lead as re-read before it was
converted and the target record as it stands now (:func:`sfbridge.mappings.values_to_write`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sfbridge.mappings import Mappings, TargetObject, values_to_write
from sfbridge.models import Action, ActionKind
from sfbridge.salesforce.gateway import SalesforceGateway

if TYPE_CHECKING:
    from sfbridge.push.run import ActionOutcome

__all__ = ["mapped_updates"]

# Where a conversion's result names each record it made or merged into.
_TARGETS = (("Account", "AccountId"), ("Contact", "ContactId"), ("Opportunity", "OpportunityId"))


def mapped_updates(
    gateway: SalesforceGateway,
    mappings: Mappings,
    converted: Sequence[ActionOutcome],
    *,
    leads: dict[str, dict[str, Any]],
) -> tuple[list[Action], dict[str, dict[str, Any]]]:
    """The updates carrying mapped Lead values to the records these conversions made or merged into.

    Args:
        gateway: a session on the org (re-reads the targets, and leads not re-read yet).
        mappings: the admin's field mappings.
        converted: the done conversions (``after`` holds the new or merged record Ids).
        leads: the leads as re-read before they were converted, by Id; conversions an earlier,
            interrupted run made are read now (a converted lead can still be read) and added.

    Returns:
        The update actions, and the targets' current values by Id (the updates' before-values).
    """
    if not mappings.rules or not converted:
        return [], {}
    unread = sorted({outcome.action.record_id for outcome in converted} - set(leads))
    if unread:
        leads.update(gateway.fetch_records("Lead", unread, sorted({rule.lead_field for rule in mappings.rules})))
    actions: list[Action] = []
    targets: dict[str, dict[str, Any]] = {}
    for target, id_key in _TARGETS:
        rules = mappings.rules_for(TargetObject(target))
        ids = sorted({str(outcome.after[id_key]) for outcome in converted if outcome.after.get(id_key)})
        if not rules or not ids:
            continue
        current = gateway.fetch_records(target, ids, sorted({rule.target_field for rule in rules}))
        targets.update(current)
        for outcome in converted:
            record_id = outcome.after.get(id_key)
            lead = leads.get(outcome.action.record_id)
            if not record_id or lead is None or record_id not in current:
                continue
            values = values_to_write(mappings, lead, target_object=target, target_current=current[record_id])
            if values:
                actions.append(
                    Action(
                        key=f"mapping:{target}:{outcome.action.key}",
                        kind=ActionKind.UPDATE_RECORD,
                        sobject=target,
                        record_id=str(record_id),
                        check="field_mapping",
                        reason=f"mapped values of Lead {outcome.action.record_id} (config/mappings.toml)",
                        seen_modstamp=None,
                        expected={name: current[record_id].get(name) for name in values},
                        values=values,
                    )
                )
    return actions, targets
