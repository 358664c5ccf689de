"""Where an apply writes, said before it writes: the org, its kind (sandbox or production), the user.

An admin approving a plan must see which org it will change, and a plan reviewed against a
sandbox must never run in production (nor a production plan in a sandbox, where it would
prove nothing): the plan records ``Organization.IsSandbox`` when made, and apply reads it
again from the org before sending anything.
"""

from __future__ import annotations

from collections import Counter

from sfbridge.errors import PlanError
from sfbridge.models import Plan
from sfbridge.salesforce.whoami import Destination

__all__ = ["apply_line", "refuse_other_kind"]


def refuse_other_kind(plan: Plan, where: Destination) -> None:
    """Refuse a plan made against a sandbox for a production org, and the reverse.

    Raises:
        PlanError: naming both kinds, when the plan and the org disagree. A plan made offline
            (it does not know) or an org whose kind cannot be read is not refused here; the
            org Id check still binds the plan to its org.
    """
    if plan.is_sandbox is None or where.is_sandbox is None or plan.is_sandbox == where.is_sandbox:
        return
    made = "a sandbox" if plan.is_sandbox else "production"
    msg = (
        f"this plan was made against {made}, but it would write to {where.line()}: "
        "make the plan against the org you apply it to (sfbridge plan --org ...)"
    )
    raise PlanError(msg)


def apply_line(plan: Plan, where: Destination, *, profile: str) -> str:
    """What apply is about to do, in one line: the actions per kind, the org, its kind, the user, the profile.

    >>> from datetime import UTC, datetime
    >>> made = datetime(2026, 12, 1, tzinfo=UTC)
    >>> url = "https://acme.my.salesforce.com"
    >>> plan = Plan(org="acme", org_id="00D", instance_url=url, user_id=None, api_version="66.0",
    ...     created_at=made, snapshot_at=made, audit_run_id=None, rules_digest="", actions=())
    >>> apply_line(plan, Destination("00D", "Acme", False, "005", "ops@acme.example", url), profile="acme")[:60]
    "0 actions () to PRODUCTION org 'Acme' (00D) at https://acme."
    """
    counts = Counter(action.kind.value for action in plan.actions)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
    return f"{len(plan.actions)} actions ({kinds}) to {where.line()} (profile {profile!r})"
