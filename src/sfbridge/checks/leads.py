"""Lead upkeep checks: stale and never-touched leads, blank Lead Source, and who owns open leads.

Every check reads columns through :meth:`Snapshot.frame` and selects the flagged rows with
polars expressions and joins; Python only builds a :class:`Finding` per flagged row. A lead's
"last touch" is its LastActivityDate, else the date it was created: LastModifiedDate and
SystemModstamp are never used, because workflow, integrations and mass updates bump them
without anyone working the lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from sfbridge.checks.context import CheckContext, missing_input
from sfbridge.checks.registry import Check
from sfbridge.models import Finding
from sfbridge.rules import Rules

__all__ = ["CHECKS", "inactive_owner", "missing_lead_source", "never_touched_lead", "queue_aging", "stale_lead"]

_TEXT = pl.Utf8()
_STAMP = pl.Datetime("us", "UTC")
_LEAD_BASE = frozenset({"Id", "Status", "IsConverted"})
# Leads may be owned by a User or a queue; queues are Group records, whose Ids start with 00G.
# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_lead.htm
_QUEUE_PREFIX = "00G"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _open_leads(ctx: CheckContext, columns: Mapping[str, pl.DataType]) -> pl.DataFrame:
    wanted = {"Id": _TEXT, "Status": _TEXT, "IsConverted": pl.Boolean(), **columns}
    return ctx.snapshot.frame("Lead", wanted).filter(ctx.open_lead_filter())


def _iso(value: date | datetime) -> str:
    """Evidence is stored as JSON: dates and moments go in as ISO 8601 text (UTC moments end in Z)."""
    if isinstance(value, datetime):
        return _utc(value).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _blank(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().fill_null("") == ""


# --- stale_lead --------------------------------------------------------------------------


def _stale_leads(ctx: CheckContext) -> list[Finding]:
    limit, today = ctx.rules.stale_days, _utc(ctx.now).date()
    frame = _open_leads(ctx, {"LastActivityDate": pl.Date(), "CreatedDate": _STAMP})
    touched = pl.coalesce(pl.col("LastActivityDate"), pl.col("CreatedDate").dt.date())
    flagged = frame.with_columns(
        last_touch=touched,
        idle=(pl.lit(today) - touched).dt.total_days(),
        from_activity=pl.col("LastActivityDate").is_not_null(),
    ).filter(pl.col("idle") > limit)
    return [_stale_finding(ctx, row, limit) for row in flagged.iter_rows(named=True)]


def _stale_finding(ctx: CheckContext, row: dict[str, Any], limit: int) -> Finding:
    source = "LastActivityDate" if row["from_activity"] else "CreatedDate"
    touch = (
        f"last activity {row['last_touch']}" if row["from_activity"] else f"no activity; created {row['last_touch']}"
    )
    return ctx.finding(
        "stale_lead",
        sobject="Lead",
        record_id=row["Id"],
        reason=f"Open lead untouched for {row['idle']} days ({touch}); open leads idle over {limit} days are stale.",
        suggested_action="Work the lead (log a call or an email) or close it as not converting.",
        evidence={
            "Status": row["Status"],
            "last_touch": _iso(row["last_touch"]),
            "last_touch_from": source,
            "days_idle": row["idle"],
        },
    )


# --- never_touched_lead ------------------------------------------------------------------


def _never_touched(ctx: CheckContext) -> list[Finding]:
    limit = ctx.rules.never_touched_days
    cutoff = _utc(ctx.now) - timedelta(days=limit)
    frame = _open_leads(ctx, {"LastActivityDate": pl.Date(), "CreatedDate": _STAMP})
    frame = frame.filter(pl.col("LastActivityDate").is_null() & (pl.col("CreatedDate") < cutoff))
    tasks_known = ctx.snapshot.has("Task")
    if tasks_known:
        worked = ctx.snapshot.frame("Task", {"WhoId": _TEXT}).drop_nulls().unique()
        frame = frame.join(worked, left_on="Id", right_on="WhoId", how="anti")
    frame = frame.with_columns(age=(pl.lit(_utc(ctx.now)) - pl.col("CreatedDate")).dt.total_days())
    note = "no Task names it and it has no LastActivityDate" if tasks_known else "it has no LastActivityDate"
    return [
        ctx.finding(
            "never_touched_lead",
            sobject="Lead",
            record_id=row["Id"],
            reason=f"Open lead created {row['age']} days ago that nobody has worked: {note} (limit {limit} days).",
            suggested_action="Assign it to someone who will contact it, or close it if it is not a real prospect.",
            evidence={
                "Status": row["Status"],
                "CreatedDate": _iso(row["CreatedDate"]),
                "days_since_created": row["age"],
            }
            | ({} if tasks_known else {"tasks": missing_input("Task", "judged on LastActivityDate alone")}),
        )
        for row in frame.iter_rows(named=True)
    ]


# --- missing_lead_source -----------------------------------------------------------------


def _missing_lead_source(ctx: CheckContext) -> list[Finding]:
    field = ctx.rules.lead_source.inference_field
    extra = {field: _TEXT} if field else {}
    leads = ctx.snapshot.frame("Lead", {"Id": _TEXT, "IsConverted": pl.Boolean(), "LeadSource": _TEXT, **extra})
    # Converted leads are read-only in Salesforce: their Contact carries the source now.
    leads = leads.filter(~pl.col("IsConverted").fill_null(value=False))
    contacts = ctx.snapshot.frame("Contact", {"Id": _TEXT, "LeadSource": _TEXT, **extra})
    findings: list[Finding] = []
    for sobject, frame in (("Lead", leads), ("Contact", contacts)):
        blank = _with_inference(frame.filter(_blank("LeadSource")), field, ctx.rules.lead_source.mapping)
        findings.extend(_source_finding(ctx, sobject, row, field) for row in blank.iter_rows(named=True))
    return findings


def _with_inference(frame: pl.DataFrame, field: str | None, mapping: Mapping[str, str]) -> pl.DataFrame:
    if field is None:
        return frame.with_columns(hint=pl.lit(None, _TEXT), inferred=pl.lit(None, _TEXT))
    # Few distinct values even in a large org: fold them in Python (casefold, as the rules do).
    values = frame.get_column(field).drop_nulls().unique().to_list()
    lookup = {value: mapping[value.strip().casefold()] for value in values if value.strip().casefold() in mapping}
    inferred = pl.col(field).replace_strict(lookup, default=None, return_dtype=_TEXT)
    return frame.with_columns(hint=pl.col(field), inferred=inferred)


def _source_finding(ctx: CheckContext, sobject: str, row: dict[str, Any], field: str | None) -> Finding:
    inferred, hint = row["inferred"], row["hint"]
    evidence: dict[str, Any] = {"LeadSource": row["LeadSource"]}
    if field:
        evidence[field] = hint
    if inferred is not None:
        reason = f"Lead Source is blank; {field} is {hint!r}, which means {inferred!r}."
        action = f"Set LeadSource to {inferred!r} (inferred from {field})."
        evidence["inferred_from"] = field
    else:
        known = (
            f"{field} ({hint!r}) maps to no source"
            if hint is not None
            else "nothing on the record says where it came from"
        )
        reason = f"Lead Source is blank and {known}."
        action = "Find out where this record came from and set LeadSource: it drives marketing ROI reports."
    return ctx.finding(
        "missing_lead_source",
        sobject=sobject,
        record_id=row["Id"],
        reason=reason,
        suggested_action=action,
        evidence=evidence,
        suggested_values={"LeadSource": inferred} if inferred is not None else {},
    )


# --- inactive_owner ----------------------------------------------------------------------


def _inactive_owner(ctx: CheckContext) -> list[Finding]:
    users = ctx.snapshot.frame("User", {"Id": _TEXT, "Name": _TEXT, "IsActive": pl.Boolean()})
    # Only users known to be inactive: a null IsActive (field not pulled) proves nothing.
    inactive = users.filter(~pl.col("IsActive").fill_null(value=True)).select("Id", owner_name="Name")
    flagged = _open_leads(ctx, {"OwnerId": _TEXT}).join(inactive, left_on="OwnerId", right_on="Id", how="inner")
    return [
        ctx.finding(
            "inactive_owner",
            sobject="Lead",
            record_id=row["Id"],
            reason=f"Owned by {row['owner_name'] or row['OwnerId']}, an inactive user: nobody is working this lead.",
            suggested_action="Reassign it to an active user or a queue.",
            evidence={
                "Status": row["Status"],
                "OwnerId": row["OwnerId"],
                "owner_name": row["owner_name"],
                "owner_active": False,
            },
            related={"owner": row["OwnerId"]},
        )
        for row in flagged.iter_rows(named=True)
    ]


# --- queue_aging -------------------------------------------------------------------------


def _queue_aging(ctx: CheckContext) -> list[Finding]:
    limit, now = ctx.rules.queue_age_days, _utc(ctx.now)
    groups = ctx.snapshot.frame("Group", {"Id": _TEXT, "Name": _TEXT, "Type": _TEXT})
    frame = _open_leads(ctx, {"OwnerId": _TEXT, "CreatedDate": _STAMP})
    frame = frame.filter(
        pl.col("OwnerId").str.starts_with(_QUEUE_PREFIX) & (pl.col("CreatedDate") < now - timedelta(days=limit))
    )
    frame = frame.join(groups.rename({"Name": "queue_name"}), left_on="OwnerId", right_on="Id", how="left")
    frame = frame.filter(pl.col("Type").is_null() | (pl.col("Type") == "Queue"))
    frame = frame.with_columns(age=(pl.lit(now) - pl.col("CreatedDate")).dt.total_days())
    return [_queue_finding(ctx, row, limit) for row in frame.iter_rows(named=True)]


def _queue_finding(ctx: CheckContext, row: dict[str, Any], limit: int) -> Finding:
    queue = row["queue_name"] or row["OwnerId"]
    return ctx.finding(
        "queue_aging",
        sobject="Lead",
        record_id=row["Id"],
        reason=(
            f"Waiting in queue {queue!r} for {row['age']} days, over the {limit} allowed; measured from CreatedDate, "
            "because owner changes are not history-tracked (leads are routed to queues when created)."
        ),
        suggested_action="Have someone take it from the queue, or fix the assignment rule that routes it there.",
        evidence={
            "Status": row["Status"],
            "queue_id": row["OwnerId"],
            "queue_name": row["queue_name"],
            "days_in_queue": row["age"],
        }
        | {"CreatedDate": _iso(row["CreatedDate"]), "measured_from": "CreatedDate"},
        related={"queue": row["OwnerId"]},
    )


# --- the checks --------------------------------------------------------------------------


def _lead_fields(*fields: str) -> frozenset[str]:
    return _LEAD_BASE | frozenset(fields)


def _source_needs(rules: Rules) -> Mapping[str, frozenset[str]]:
    field = rules.lead_source.inference_field
    extra = frozenset({field}) if field else frozenset()
    return {"Lead": _lead_fields("LeadSource") | extra, "Contact": frozenset({"Id", "LeadSource"}) | extra}


stale_lead = Check(
    name="stale_lead",
    title="Stale leads",
    explains=(
        "Open leads whose last touch (LastActivityDate, else CreatedDate) is older than stale_days. "
        "LastModifiedDate is ignored: automation bumps it without anyone working the lead."
    ),
    run=_stale_leads,
    needs=lambda _rules: {"Lead": _lead_fields("LastActivityDate", "CreatedDate")},
    objects=("Lead",),
)
never_touched_lead = Check(
    name="never_touched_lead",
    title="Never-touched leads",
    explains="Open leads older than never_touched_days with no Task and no LastActivityDate: nobody ever worked them.",
    run=_never_touched,
    needs=lambda _rules: {"Lead": _lead_fields("LastActivityDate", "CreatedDate"), "Task": frozenset({"Id", "WhoId"})},
    objects=("Lead",),
)
missing_lead_source = Check(
    name="missing_lead_source",
    title="Missing Lead Source",
    explains=(
        "Unconverted leads and contacts with a blank LeadSource, which marketing ROI reports depend on; "
        "a value is suggested when the configured inference field (a UTM source, say) names a known source."
    ),
    run=_missing_lead_source,
    needs=_source_needs,
)
inactive_owner = Check(
    name="inactive_owner",
    title="Leads owned by inactive users",
    explains="Open leads owned by a deactivated user: nobody sees them in their list views or gets their reminders.",
    run=_inactive_owner,
    needs=lambda _rules: {"Lead": _lead_fields("OwnerId"), "User": frozenset({"Id", "Name", "IsActive"})},
    objects=("Lead",),
)
queue_aging = Check(
    name="queue_aging",
    title="Leads waiting in queues",
    explains=(
        "Open leads still owned by a queue more than queue_age_days after they were created "
        "(owner changes are not history-tracked, so the age counts from CreatedDate)."
    ),
    run=_queue_aging,
    needs=lambda _rules: {"Lead": _lead_fields("OwnerId", "CreatedDate"), "Group": frozenset({"Id", "Name", "Type"})},
    objects=("Lead",),
)

#: This module's checks, in report order.
CHECKS: tuple[Check, ...] = (stale_lead, never_touched_lead, missing_lead_source, inactive_owner, queue_aging)
