"""A plan for human review: a summary table, and a diff of every change it would make (pure)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table

from sfbridge.models import Action, ActionKind, Plan

__all__ = ["action_line", "plan_diff", "plan_table"]


def _shown(value: Any) -> str:  # noqa: ANN401 (a field value)
    return "(blank)" if value is None or value == "" else repr(value)


def action_line(action: Action) -> str:
    """One action as a short sentence: what changes on which record."""
    if action.kind is ActionKind.CONVERT_LEAD and action.conversion is not None:
        conversion = action.conversion
        if conversion.contact_id:
            into = f"into Contact {conversion.contact_id} on Account {conversion.account_id}"
        elif conversion.account_id:
            into = f"into Account {conversion.account_id} (new Contact)"
        else:
            into = "into a new Account and Contact"
        extras = [f"status {conversion.converted_status!r}"]
        extras.append("with an Opportunity" if conversion.create_opportunity else "no Opportunity")
        if conversion.owner_id:
            extras.append(f"owner {conversion.owner_id}")
        return f"convert Lead {action.record_id} {into} ({', '.join(extras)})"
    changes = ", ".join(
        f"{name}: {_shown(action.expected.get(name))} → {_shown(value)}" for name, value in action.values.items()
    )
    return f"update {action.sobject} {action.record_id}: {changes}"


def plan_table(plan: Plan) -> Table:
    """The plan at a glance: actions per kind and check, then the notes' reasons."""
    kinds = Counter((action.kind.value, action.check) for action in plan.actions)
    table = Table(
        title=f"Plan for org {plan.org_id} ({plan.org}), made {plan.created_at:%Y-%m-%d %H:%M} UTC",
        caption=(
            f"{len(plan.actions)} actions · {len(plan.notes)} findings left as they are · "
            f"API {plan.api_version} · digest {plan.digest[:12]}"
        ),
    )
    for header, justify in (("action", "left"), ("from check", "left"), ("count", "right")):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for (kind, check), count in sorted(kinds.items()):
        table.add_row(kind, check, f"{count:,}")
    for why, count in Counter(note.why for note in plan.notes).most_common():
        table.add_row("[dim]no action[/]", f"[dim]{why}[/]", f"[dim]{count:,}[/]")
    return table


def plan_diff(plan: Plan) -> str:
    """Every change as a diff line (``~`` update, ``>`` conversion, ``#`` left as is), for review."""
    lines = [f"# plan {plan.digest[:12]} for org {plan.org_id} at {plan.instance_url}"]
    for action in plan.actions:
        mark = ">" if action.kind is ActionKind.CONVERT_LEAD else "~"
        lines.append(f"{mark} {action_line(action)}")
        lines.append(f"    because ({action.check}): {action.reason}")
    lines.extend(f"# {note.check} {note.record_id}: no action, {note.why}" for note in plan.notes)
    return "\n".join(lines) + "\n"
