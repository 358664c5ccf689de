"""A plan for human review: a summary table, and a diff of every change it would make (pure)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table

from sfbridge.models import Action, ActionKind, Plan
from sfbridge.plan.merges import shown_fields

__all__ = ["action_line", "merge_lines", "plan_diff", "plan_table"]

_CELL = 30  # characters of a value shown in a merge's side-by-side table


def shown_value(value: Any) -> str:  # noqa: ANN401 (a field value)
    """A field value as plan --show and runs show write it: ``(blank)``, or its repr."""
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
    if action.kind is ActionKind.MERGE_RECORDS and action.merge is not None:
        merge = action.merge
        step = f", merge {merge.step} of {merge.steps} into it" if merge.steps > 1 else ""
        values = f"; it takes {len(action.values)} value(s)" if action.values else ""
        return f"merge {action.sobject} {', '.join(merge.merged_ids)} into {action.record_id} (kept{step}){values}"
    changes = ", ".join(
        f"{name}: {shown_value(action.expected.get(name))} → {shown_value(value)}"
        for name, value in action.values.items()
    )
    return f"update {action.sobject} {action.record_id}: {changes}"


def _cell(value: Any) -> str:  # noqa: ANN401 (a field value)
    text = "" if value is None else str(value)
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def merge_lines(action: Action) -> list[str]:
    """A merge's records side by side, field by field, and the master as it will be (``*`` marks a change)."""
    merge = action.merge
    if merge is None:
        return []
    ids = merge.record_ids
    # The plan file keeps its keys sorted; people read a person's fields in their usual order.
    stored = {name for record in merge.records.values() for name in record}
    fields = [name for name in shown_fields(action.sobject) if name in stored] + sorted(
        stored - set(shown_fields(action.sobject))
    )
    width = max((len(name) for name in fields), default=5)
    header = ["kept " + ids[0], *(f"merged {record_id}" for record_id in ids[1:]), "after the merge"]
    lines = ["    " + " " * (width + 2) + "  ".join(f"{title:<{_CELL}}" for title in header).rstrip()]
    for name in fields:
        master = merge.records.get(ids[0], {}).get(name)
        after = action.values.get(name, master)
        cells = [_cell(merge.records.get(record_id, {}).get(name)) for record_id in ids]
        mark = "*" if name in action.values else " "
        row = "  ".join(f"{cell:<{_CELL}}" for cell in [*cells, _cell(after)])
        lines.append(f"  {mark} {name:<{width}}  {row}".rstrip())
    if merge.score is not None:
        lines.append(f"    cluster {merge.group}: weakest match {merge.score:.4f}; {'; '.join(merge.reasons[:4])}")
    return lines


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
    """Every change as a diff line (``~`` update, ``>`` conversion, ``=`` merge, ``#`` left as is), for review.

    A merge shows its records side by side and the master as it will be.
    """
    marks = {ActionKind.CONVERT_LEAD: ">", ActionKind.MERGE_RECORDS: "=", ActionKind.UPDATE_RECORD: "~"}
    lines = [f"# plan {plan.digest[:12]} for org {plan.org_id} at {plan.instance_url}"]
    for action in plan.actions:
        lines.append(f"{marks[action.kind]} {action_line(action)}")
        lines.extend(merge_lines(action))
        lines.append(f"    because ({action.check}): {action.reason}")
    lines.extend(f"# {note.check} {note.record_id}: no action, {note.why}" for note in plan.notes)
    return "\n".join(lines) + "\n"
