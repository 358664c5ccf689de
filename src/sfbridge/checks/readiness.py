"""Leads ready to convert: open leads marked ready that meet the conversion policy today.

The same policy :mod:`sfbridge.checks.conversion` holds converted leads to, judged on an open
lead now: it holds (or held) a qualified status, is old enough, has been worked (a Task),
reaches the minimum score and has the required fields filled. Only leads the org marks
ready (``conversion.ready_field``, a checkbox such as ``Ready_To_Convert__c``) are judged:
without that mark the check finds nothing, because deciding a sale is ready is the org's
call, not sfbridge's. ``sfbridge plan`` turns these findings into conversions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from sfbridge.checks.context import CheckContext
from sfbridge.checks.registry import Check
from sfbridge.models import Finding
from sfbridge.rules import Rules

__all__ = ["CHECKS", "ready_to_convert"]

_TEXT = pl.Utf8()
_STAMP = pl.Datetime("us", "UTC")


def _truthy(column: str) -> pl.Expr:
    # A checkbox comes back boolean; a text or number field marks ready with "true", "yes" or 1.
    text = pl.col(column).cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return text.is_in(["true", "yes", "1", "1.0", "y"]).fill_null(value=False)


def _held_qualified(ctx: CheckContext) -> pl.DataFrame:
    # Leads whose Status history shows a qualified status at any point.
    qualified = sorted(ctx.statuses.qualified)
    history = ctx.snapshot.frame("LeadHistory", {"LeadId": _TEXT, "Field": _TEXT, "OldValue": _TEXT, "NewValue": _TEXT})
    held = history.filter(
        (pl.col("Field") == "Status") & (pl.col("OldValue").is_in(qualified) | pl.col("NewValue").is_in(qualified))
    )
    return held.select(pl.col("LeadId").alias("Id")).unique().with_columns(_held=pl.lit(value=True))


def _ready(ctx: CheckContext) -> list[Finding]:
    policy = ctx.rules.conversion
    if policy.ready_field is None:
        return []
    columns: dict[str, pl.DataType] = {"Id": _TEXT, "Status": _TEXT, "IsConverted": pl.Boolean(), "CreatedDate": _STAMP}
    columns |= {"Company": _TEXT, policy.ready_field: _TEXT} | dict.fromkeys(policy.required_fields, _TEXT)
    if policy.score_field:
        columns[policy.score_field] = _TEXT
    leads = ctx.snapshot.frame("Lead", columns).filter(ctx.open_lead_filter() & _truthy(policy.ready_field))
    if leads.is_empty():
        return []
    blocking: dict[str, pl.Expr] = {}
    if policy.qualified_status_required:
        leads = leads.join(_held_qualified(ctx), on="Id", how="left")
        now_qualified = pl.col("Status").is_in(sorted(ctx.statuses.qualified))
        blocking["not in a qualified status"] = ~(now_qualified | pl.col("_held").fill_null(value=False))
    if policy.min_minutes_from_creation > 0:
        young = pl.lit(ctx.now) - pl.col("CreatedDate") < pl.duration(minutes=policy.min_minutes_from_creation)
        blocking[f"created less than {policy.min_minutes_from_creation} minutes ago"] = young
    if policy.activity_required:
        worked = ctx.snapshot.frame("Task", {"WhoId": _TEXT}).drop_nulls().unique().with_columns(_worked=pl.lit(1))
        leads = leads.join(worked, left_on="Id", right_on="WhoId", how="left")
        blocking["no activity logged"] = pl.col("_worked").is_null()
    if policy.score_field and policy.min_score is not None:
        score = pl.col(policy.score_field).str.strip_chars().cast(pl.Float64, strict=False)
        blocking[f"{policy.score_field} below {policy.min_score:g}"] = score.is_null() | (score < policy.min_score)
    for field in policy.required_fields:
        blocking[f"{field} is blank"] = pl.col(field).str.strip_chars().fill_null("") == ""
    # A rule the data cannot decide (a null) blocks: a conversion is a one-way door.
    unmet = [expr.fill_null(value=True) for expr in blocking.values()]
    ready = (leads.filter(~pl.any_horizontal(unmet)) if unmet else leads).sort("Id")
    return [_finding(ctx, row) for row in ready.iter_rows(named=True)]


def _finding(ctx: CheckContext, row: Mapping[str, Any]) -> Finding:
    policy = ctx.rules.conversion
    marker = str(policy.ready_field)
    opportunity = "with an Opportunity" if policy.opportunity_required else "without an Opportunity"
    return ctx.finding(
        "ready_to_convert",
        sobject="Lead",
        record_id=row["Id"],
        reason=(
            f"Marked ready ({marker}) and meets the conversion policy: status {row['Status']!r}, "
            "activity, score and required fields as the rules ask."
        ),
        suggested_action=f"Convert it into a new Account ({row['Company'] or 'its company'}), {opportunity}.",
        evidence={"Status": row["Status"], "Company": row["Company"], marker: row[marker]},
    )


def _needs(rules: Rules) -> Mapping[str, frozenset[str]]:
    policy = rules.conversion
    if policy.ready_field is None:
        return {}
    lead = {"Id", "Status", "IsConverted", "CreatedDate", "Company", policy.ready_field, *policy.required_fields}
    if policy.score_field:
        lead.add(policy.score_field)
    needs = {"Lead": frozenset(lead)}
    if policy.qualified_status_required:
        needs["LeadHistory"] = frozenset({"Id", "LeadId", "Field", "OldValue", "NewValue"})
    if policy.activity_required:
        needs["Task"] = frozenset({"Id", "WhoId"})
    return needs


ready_to_convert = Check(
    name="ready_to_convert",
    title="Leads ready to convert",
    explains=(
        "Open leads the org marks ready (conversion.ready_field) that meet the conversion policy today: "
        "a qualified status, old enough, worked, scored and complete. `sfbridge plan` proposes converting them."
    ),
    run=_ready,
    needs=_needs,
    objects=("Lead",),
)

#: This module's checks, in report order.
CHECKS: tuple[Check, ...] = (ready_to_convert,)
