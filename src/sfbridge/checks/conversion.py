"""Premature conversions: converted leads that broke the org's conversion policy, with every broken rule.

The moment of conversion is the CreatedDate of the lead's history row recording it (a Status
change to a converted status, or the ``leadConverted`` row); Lead.ConvertedDate is only a
date, so it is the fallback, read as the end of that day (UTC). Converted leads are read-only,
so their score and fields today are their values at conversion.

Rules are judged only where the data can decide them, and the finding says which were not:
without LeadHistory (not pulled or imported, or no Status rows for a lead: Salesforce keeps field
history 18-24 months, and Status may not be tracked) the qualified-status rule is skipped;
without Task the activity rule is; with only a date of conversion the minutes rule is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from sfbridge.checks.context import CheckContext, missing_input
from sfbridge.checks.registry import Check
from sfbridge.models import Finding
from sfbridge.rules import ConversionRules, Rules

__all__ = ["CHECKS", "RULE_NAMES", "premature_conversion"]

_TEXT = pl.Utf8()
_STAMP = pl.Datetime("us", "UTC")
_FROM_HISTORY, _FROM_DATE = "LeadHistory", "ConvertedDate (a date only: end of that day assumed)"
_QUALIFIED, _FAST, _ACTIVITY, _SCORE, _OPPORTUNITY = (
    "no_qualified_status",
    "converted_too_fast",
    "no_activity",
    "score_below_minimum",
    "no_opportunity",
)
_BLANK = "required_field_blank:"
_RELATED = {"contact": "ConvertedContactId", "opportunity": "ConvertedOpportunityId"}
#: The rules a conversion can break, in the order findings list them (then one per required field).
RULE_NAMES = (_QUALIFIED, _FAST, _ACTIVITY, _SCORE, _BLANK + "<field>", _OPPORTUNITY)


def _iso(moment: datetime | None) -> str | None:
    # Evidence is stored as JSON: moments go in as ISO 8601 text in UTC.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _converted_leads(ctx: CheckContext) -> pl.DataFrame:
    policy = ctx.rules.conversion
    columns: dict[str, pl.DataType] = {
        "Id": _TEXT,
        "Status": _TEXT,
        "IsConverted": pl.Boolean(),
        "CreatedDate": _STAMP,
        "ConvertedDate": pl.Date(),
        "ConvertedContactId": _TEXT,
        "ConvertedOpportunityId": _TEXT,
    }
    # Read as text, then parse: a score kept in a text field must not break the check.
    columns |= dict.fromkeys(policy.required_fields, _TEXT) | (
        {policy.score_field: _TEXT} if policy.score_field else {}
    )
    leads = ctx.snapshot.frame("Lead", columns).filter(pl.col("IsConverted").fill_null(value=False))
    if policy.score_field:
        leads = leads.with_columns(_score=pl.col(policy.score_field).str.strip_chars().cast(pl.Float64, strict=False))
    return leads


def _with_conversion_time(ctx: CheckContext, leads: pl.DataFrame) -> pl.DataFrame:
    history = ctx.snapshot.frame(
        "LeadHistory", {"LeadId": _TEXT, "CreatedDate": _STAMP, "Field": _TEXT, "NewValue": _TEXT}
    )
    converted = list(ctx.statuses.converted)
    # A converted lead's own Status is the converted status it was given: exact even without LeadStatus.
    marks = history.join(leads.select(pl.col("Id").alias("LeadId"), "Status"), on="LeadId", how="inner").filter(
        (pl.col("Field") == "leadConverted")
        | (
            (pl.col("Field") == "Status")
            & (pl.col("NewValue").is_in(converted) | (pl.col("NewValue") == pl.col("Status")))
        )
    )
    moments = marks.group_by("LeadId").agg(_history_at=pl.col("CreatedDate").min())
    end_of_day = pl.col("ConvertedDate").cast(pl.Datetime("us")).dt.replace_time_zone("UTC") + pl.duration(days=1)
    return leads.join(moments, left_on="Id", right_on="LeadId", how="left").with_columns(
        _at=pl.coalesce(pl.col("_history_at"), end_of_day),
        _at_from=pl.when(pl.col("_history_at").is_not_null()).then(pl.lit(_FROM_HISTORY)).otherwise(pl.lit(_FROM_DATE)),
    )


def _with_status_trail(ctx: CheckContext, leads: pl.DataFrame) -> pl.DataFrame:
    history = ctx.snapshot.frame(
        "LeadHistory", {"LeadId": _TEXT, "CreatedDate": _STAMP, "Field": _TEXT, "OldValue": _TEXT, "NewValue": _TEXT}
    ).filter(pl.col("Field") == "Status")
    timed = history.join(leads.select(pl.col("Id").alias("LeadId"), "_at"), on="LeadId", how="inner")
    # Statuses held before conversion: every value set before it, and every value changed from
    # up to it (the first row's OldValue is the status the lead was created with).
    held = pl.concat(
        [
            timed.filter(pl.col("CreatedDate") <= pl.col("_at")).select("LeadId", _held=pl.col("OldValue")),
            timed.filter(pl.col("CreatedDate") < pl.col("_at")).select("LeadId", _held=pl.col("NewValue")),
        ]
    )
    trail = held.drop_nulls("_held").group_by("LeadId").agg(pl.col("_held").unique().sort())
    tracked = timed.select("LeadId").unique().with_columns(_tracked=pl.lit(value=True))
    return (
        leads.join(trail, left_on="Id", right_on="LeadId", how="left")
        .join(tracked, left_on="Id", right_on="LeadId", how="left")
        .with_columns(pl.col("_held").fill_null([]), pl.col("_tracked").fill_null(value=False))
    )


def _with_activity(ctx: CheckContext, leads: pl.DataFrame) -> pl.DataFrame:
    tasks = ctx.snapshot.frame("Task", {"WhoId": _TEXT, "CreatedDate": _STAMP}).drop_nulls("WhoId")
    # Conversion moves a lead's Tasks to its new Contact: look for either.
    people = pl.concat(
        [
            leads.select(pl.col("Id").alias("_lead"), pl.col("Id").alias("WhoId"), "_at"),
            leads.select(pl.col("Id").alias("_lead"), pl.col("ConvertedContactId").alias("WhoId"), "_at").drop_nulls(
                "WhoId"
            ),
        ]
    )
    before = tasks.join(people, on="WhoId", how="inner").filter(pl.col("CreatedDate") < pl.col("_at"))
    counts = before.group_by("_lead").agg(_tasks=pl.len())
    return leads.join(counts, left_on="Id", right_on="_lead", how="left").with_columns(pl.col("_tasks").fill_null(0))


def _rule_columns(ctx: CheckContext, policy: ConversionRules, skipped: dict[str, str]) -> dict[str, pl.Expr]:
    rules: dict[str, pl.Expr] = {}
    if policy.qualified_status_required and _QUALIFIED not in skipped:
        qualified = sorted(ctx.statuses.qualified)
        rules[_QUALIFIED] = pl.col("_tracked") & ~pl.col("_held").list.eval(pl.element().is_in(qualified)).list.any()
    if policy.min_minutes_from_creation > 0:
        too_fast = (pl.col("_at") - pl.col("CreatedDate")) < pl.duration(minutes=policy.min_minutes_from_creation)
        rules[_FAST] = (pl.col("_at_from") == _FROM_HISTORY) & too_fast
    if policy.activity_required and _ACTIVITY not in skipped:
        rules[_ACTIVITY] = (pl.col("_tasks") == 0) & pl.col("_at").is_not_null()
    if policy.score_field and policy.min_score is not None:
        rules[_SCORE] = pl.col("_score").is_null() | (pl.col("_score") < policy.min_score)
    for field in policy.required_fields:
        rules[_BLANK + field] = pl.col(field).str.strip_chars().fill_null("") == ""
    if policy.opportunity_required:
        rules[_OPPORTUNITY] = pl.col("ConvertedOpportunityId").is_null()
    return {name: expr.fill_null(value=False) for name, expr in rules.items()}


def _not_judged(ctx: CheckContext, policy: ConversionRules) -> dict[str, str]:
    skipped = {}
    if policy.qualified_status_required and not ctx.snapshot.has("LeadHistory"):
        skipped[_QUALIFIED] = missing_input("LeadHistory", "the status history cannot be read")
    elif policy.qualified_status_required and not ctx.statuses.qualified:
        skipped[_QUALIFIED] = "the org has no qualified status (set statuses.qualified in the rules)"
    if policy.activity_required and not ctx.snapshot.has("Task"):
        skipped[_ACTIVITY] = missing_input("Task", "activity before conversion cannot be read")
    if policy.score_field and policy.min_score is None:
        skipped[_SCORE] = "score_field is set but min_score is not"
    return skipped


def _premature(ctx: CheckContext) -> list[Finding]:
    policy = ctx.rules.conversion
    skipped = _not_judged(ctx, policy)
    leads = _with_activity(ctx, _with_status_trail(ctx, _with_conversion_time(ctx, _converted_leads(ctx))))
    rules = _rule_columns(ctx, policy, skipped)
    if not rules:
        return []
    flagged = leads.with_columns(**rules).filter(pl.any_horizontal(list(rules)))
    return [_finding(ctx, row, list(rules), skipped) for row in flagged.iter_rows(named=True)]


def _finding(ctx: CheckContext, row: dict[str, Any], names: list[str], skipped: dict[str, str]) -> Finding:
    broken = [name for name in names if row[name]]
    notes = dict(skipped)
    if _QUALIFIED in names and not row["_tracked"]:
        notes[_QUALIFIED] = "no Status history for this lead (kept 18-24 months, or Status not tracked)"
    if _FAST in names and row["_at_from"] != _FROM_HISTORY:
        notes[_FAST] = "the conversion time is known only to the day (ConvertedDate)"
    evidence: dict[str, Any] = {
        "broken_rules": broken,
        "CreatedDate": _iso(row["CreatedDate"]),
        "converted_at": _iso(row["_at"]),
        "conversion_time_from": row["_at_from"],
    }
    phrases = [_explain(ctx, name, row, evidence) for name in broken if not name.startswith(_BLANK)]
    blanks = [name.removeprefix(_BLANK) for name in broken if name.startswith(_BLANK)]
    if blanks:
        evidence |= {field: row[field] for field in blanks}
        phrases.append(f"required field{'s' if len(blanks) > 1 else ''} {', '.join(blanks)} blank")
    if notes:
        evidence["not_judged"] = notes
    return ctx.finding(
        "premature_conversion",
        sobject="Lead",
        record_id=row["Id"],
        reason="Converted against the conversion policy: " + "; ".join(phrases) + ".",
        suggested_action="Review it with its owner (conversions cannot be undone) and enforce the policy upstream.",
        evidence=evidence,
        related={role: row[field] for role, field in _RELATED.items() if row[field]},
    )


def _explain(ctx: CheckContext, name: str, row: dict[str, Any], evidence: dict[str, Any]) -> str:
    policy = ctx.rules.conversion
    if name == _QUALIFIED:
        qualified = sorted(ctx.statuses.qualified)
        evidence |= {"statuses_before_conversion": row["_held"], "qualified_statuses": qualified}
        return f"never had a qualified status ({', '.join(qualified)}) before conversion"
    if name == _FAST:
        minutes = round((row["_at"] - row["CreatedDate"]).total_seconds() / 60, 1)
        evidence |= {"minutes_to_convert": minutes, "min_minutes_from_creation": policy.min_minutes_from_creation}
        return f"converted {minutes:g} minutes after creation (minimum {policy.min_minutes_from_creation})"
    if name == _ACTIVITY:
        evidence["tasks_before_conversion"] = 0
        return "no activity (Task) logged before conversion"
    if name == _SCORE:
        field, score = str(policy.score_field), row["_score"]
        evidence |= {field: score, "min_score": policy.min_score}
        shown = "blank" if score is None else f"{score:g}"
        return f"{field} {shown}, below the minimum {policy.min_score:g}"
    evidence["ConvertedOpportunityId"] = None
    return "no Opportunity created, though the policy requires one"


def _needs(rules: Rules) -> dict[str, frozenset[str]]:
    policy = rules.conversion
    lead = {
        "Id",
        "Status",
        "IsConverted",
        "CreatedDate",
        "ConvertedDate",
        "ConvertedContactId",
        "ConvertedOpportunityId",
    }
    lead |= set(policy.required_fields) | ({policy.score_field} if policy.score_field else set())
    return {
        "Lead": frozenset(lead),
        "LeadHistory": frozenset({"Id", "LeadId", "CreatedDate", "Field", "OldValue", "NewValue"}),
        "Task": frozenset({"Id", "WhoId", "CreatedDate"}),
    }


premature_conversion = Check(
    name="premature_conversion",
    title="Premature conversions",
    explains=(
        "Converted leads that broke the conversion policy: no qualified status in their history, converted "
        "minutes after creation, no activity, score below the minimum, required fields blank, or no Opportunity "
        "where one is required. Conversion cannot be undone, so these show where the process leaks."
    ),
    run=_premature,
    needs=_needs,
    objects=("Lead",),
)

#: This module's checks, in report order.
CHECKS: tuple[Check, ...] = (premature_conversion,)
