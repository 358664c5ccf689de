"""An apply or revert run's journal as a table: each step, the values before, what was written, how it ended.

A merge journals the full before-image of every record it touches (all mirrored fields), too
much to read in a terminal cell; the table shows what a reviewer checks (the master's fields
the merge changed, who was merged, what Salesforce moved) and ``runs show --json`` holds all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from sfbridge.models import ActionKind, JournalEntry, JournalState
from sfbridge.report.plan import shown_value
from sfbridge.report.terminal import to_json

__all__ = ["STATE_STYLE", "journal_table", "pairs", "step_line"]

#: How a step's state is coloured; a step left ``sent`` or ``unknown`` needs a person to look.
STATE_STYLE = {
    JournalState.DONE: "green",
    JournalState.SKIPPED: "yellow",
    JournalState.FAILED: "bold red",
    JournalState.UNKNOWN: "bold red",
    JournalState.SENT: "bold red",
}

# Fields that say which person a merged record was, in the order they are shown.
_WHO = ("FirstName", "LastName", "Email", "Company")


def pairs(values: Mapping[str, Any]) -> str:
    """Field values as ``Name='value'`` pairs, for a cell.

    >>> pairs({"Phone": None, "LeadSource": "Web"})
    "Phone=None, LeadSource='Web'"
    """
    return ", ".join(f"{name}={value!r}" for name, value in values.items())


def _ids(ids: Sequence[str] | None) -> str:
    return ", ".join(ids or ()) or "none"


def _merge_before(entry: JournalEntry) -> str:
    if entry.action_key.startswith("revert:"):
        merged, values = entry.before.get("merged"), entry.before.get("values") or {}
        return f"merged: {_ids(merged)}\nset by the merge: {pairs(values)}"
    master = entry.before.get(entry.record_id)
    if not isinstance(master, Mapping):
        return ""  # a step learned by re-reading: its sent step holds the before-image
    changed = (entry.after.get("values") or {}).keys()
    lines = [f"master {entry.record_id}: " + (pairs({name: master.get(name) for name in changed}) or "unchanged")]
    for record_id, record in entry.before.items():
        if record_id != entry.record_id and isinstance(record, Mapping):
            who = " ".join(str(record[name]) for name in _WHO if record.get(name))
            lines.append(f"merged {record_id}: {who or '(no name)'}")
    fields = max((len(record) for record in entry.before.values() if isinstance(record, Mapping)), default=0)
    lines.append(f"({fields} fields of each record journalled; --json shows them)")
    return "\n".join(lines)


def _merge_after(entry: JournalEntry) -> str:
    after = entry.after
    if not after:
        return ""
    if entry.action_key.startswith("revert:"):
        lines = [f"undeleted: {_ids(after.get('undeleted'))}"]
        if after.get("already_back"):
            lines.append(f"already back: {_ids(after['already_back'])}")
        lines.append(f"put back on the master: {pairs(after.get('values') or {}) or 'nothing'}")
        return "\n".join(lines)
    if entry.state is not JournalState.DONE:  # sent, or refused: what was asked, not what happened
        return "\n".join(
            (
                f"merge into {after.get('master')}: {_ids(after.get('merged'))}",
                f"set on the master: {pairs(after.get('values') or {}) or 'nothing'}",
            )
        )
    related = after.get("updated_related")
    moved = "unknown (the answer was lost)" if related is None else f"{len(related)} ({_ids(related)})"
    return "\n".join(
        (
            f"merged into {after.get('master')}: {_ids(after.get('merged'))}",
            f"set on the master: {pairs(after.get('values') or {}) or 'nothing'}",
            f"related records moved to the master: {moved}",
        )
    )


def step_line(entry: JournalEntry) -> str:
    """A journal step in the words ``plan --show`` uses for the action: what changes on which records."""
    revert = entry.action_key.startswith("revert:")
    if entry.kind is ActionKind.MERGE_RECORDS:
        merged = entry.before.get("merged") if revert else entry.after.get("merged")
        records = ", ".join(merged or ()) or "its records"
        if revert:
            return f"undo the merge of {entry.sobject} {records} into {entry.record_id}"
        return f"merge {entry.sobject} {records} into {entry.record_id} (kept)"
    if entry.kind is ActionKind.CONVERT_LEAD:
        contact, account = entry.after.get("ContactId"), entry.after.get("AccountId")
        into = f" into Contact {contact} on Account {account}" if contact else ""
        return f"convert Lead {entry.record_id}{into}"
    changes = ", ".join(
        f"{name}: {shown_value(entry.before.get(name))} → {shown_value(value)}" for name, value in entry.after.items()
    )
    return f"{'put back' if revert else 'update'} {entry.sobject} {entry.record_id}: {changes}"


def journal_table(entries: Sequence[JournalEntry], *, title: str) -> Table:
    """The steps of a run, numbered, with before and after values (merges summarised) and details."""
    table = Table(title=title)
    for header in ("step", "action", "state", "before", "after", "detail"):
        table.add_column(header)
    for number, entry in enumerate(entries, start=1):
        merge = entry.kind is ActionKind.MERGE_RECORDS
        style = STATE_STYLE.get(entry.state, "")
        table.add_row(
            str(number),
            f"{escape(step_line(entry))}\n[dim]{escape(entry.action_key)}[/]",
            f"[{style}]{entry.state.value}[/]",
            # Record values are text, never markup ("[not provided]" is a value, not a style).
            escape(_merge_before(entry) if merge else (to_json(entry.before) if entry.before else "")),
            escape(_merge_after(entry) if merge else (to_json(entry.after) if entry.after else "")),
            escape(entry.detail or ""),
        )
    return table
