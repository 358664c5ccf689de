"""The org profile: how an org uses Leads (counts, funnel, sources, owners, fill rates), not findings.

A consultant reads it to learn an org in an hour, and compares several orgs side by side, so
it is a frozen, JSON-ready :class:`OrgProfileReport` (``model_dump()`` gives plain JSON types).
It is computed from the same snapshot and status reading as the checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, field_serializer

from sfbridge.checks.context import CheckContext
from sfbridge.describes import DescribedField
from sfbridge.rules import Rules
from sfbridge.snapshot import Snapshot

__all__ = [
    "ACCOUNT_BASED_SHARE",
    "LEAD_AGE_BUCKETS",
    "NO_SOURCE",
    "PROFILE_NEEDS",
    "AgeBucket",
    "FieldFill",
    "FunnelStage",
    "LeadUsage",
    "OrgProfileReport",
    "OwnerLoad",
    "SourceConversion",
    "org_profile",
]

#: Below this share of open leads among open leads plus contacts, an org is "account-based":
#: it works Contacts on Accounts and barely uses Leads (5 open leads per 95 contacts, say).
ACCOUNT_BASED_SHARE = 0.05
#: The fields the profile reads (fill rates come from the store's counts of every field).
PROFILE_NEEDS: dict[str, frozenset[str]] = {
    "Lead": frozenset({"Id", "Status", "IsConverted", "OwnerId", "LeadSource", "CreatedDate", "ConvertedDate"}),
    "Contact": frozenset({"Id"}),
    "User": frozenset({"Id", "Name", "IsActive"}),
    "Group": frozenset({"Id", "Name"}),
    "LeadStatus": frozenset({"ApiName", "MasterLabel", "SortOrder", "IsConverted"}),
    "Account": frozenset({"Id"}),
    "Opportunity": frozenset({"Id"}),
    "Task": frozenset({"Id"}),
    "LeadHistory": frozenset({"Id"}),
}
#: Upper bounds (days since CreatedDate, inclusive) of the open-lead age buckets; the last is open-ended.
LEAD_AGE_BUCKETS: tuple[int, ...] = (7, 30, 90, 180, 365)
#: How a blank LeadSource is shown.
NO_SOURCE = "(none)"

_TEXT = pl.Utf8()
_QUEUE_PREFIX = "00G"  # queues are Group records; a lead is owned by a User or a queue


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class LeadUsage(_Frozen):
    """Whether the org works Leads at all, or works Contacts on Accounts."""

    leads: int
    open_leads: int
    contacts: int
    open_lead_share: float | None
    mode: Literal["lead-based", "account-based", "empty"]
    explanation: str


class FunnelStage(_Frozen):
    """One Lead status: how many leads hold it and what kind of stage it is."""

    status: str
    label: str | None
    sort_order: int | None
    leads: int
    share: float
    open: bool
    closed: bool
    converted: bool
    qualified: bool
    in_picklist: bool


class SourceConversion(_Frozen):
    """Conversion by Lead Source: leads, converted leads, their rate and median days to convert."""

    source: str
    leads: int
    converted: int
    conversion_rate: float
    median_days_to_convert: float | None


class OwnerLoad(_Frozen):
    """Open leads held by one owner (a user or a queue)."""

    owner_id: str | None
    name: str | None
    active: bool | None
    queue: bool
    open_leads: int


class AgeBucket(_Frozen):
    """Open leads whose age (days since CreatedDate) falls in ``[min_days, max_days]`` (None: no upper bound)."""

    label: str
    min_days: int
    max_days: int | None
    open_leads: int


class FieldFill(_Frozen):
    """How often one field is filled, and what kind of field it is (when the pull kept the object's describe).

    ``label`` is the field's label in the org; ``set_by_salesforce`` tells a field no user can
    write (Id, CreatedDate, formulas, roll-ups) from one people fill; ``checkbox`` a field that
    is always filled (false until ticked). All three are None when no describe was kept.
    """

    field: str
    filled: int
    fill_rate: float
    label: str | None = None
    set_by_salesforce: bool | None = None
    checkbox: bool | None = None


class OrgProfileReport(_Frozen):
    """An org at a glance."""

    org_id: str
    instance_url: str
    taken_at: datetime
    as_of: datetime
    record_counts: dict[str, int]
    lead_usage: LeadUsage
    funnel: tuple[FunnelStage, ...]
    sources: tuple[SourceConversion, ...]
    owners: tuple[OwnerLoad, ...]
    fill_rates: dict[str, tuple[FieldFill, ...]]
    lead_ages: tuple[AgeBucket, ...] = ()  # a default: profiles stored before it existed still load

    @field_serializer("taken_at", "as_of")
    def _iso(self, moment: datetime) -> str:
        return moment.isoformat()


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _lead_usage(open_leads: int, leads: int, contacts: int, threshold: float) -> LeadUsage:
    people = open_leads + contacts
    share = round(open_leads / people, 4) if people else None
    if share is None:
        mode: Literal["lead-based", "account-based", "empty"] = "empty"
        words = "The org has no open leads and no contacts."
    elif share < threshold:
        mode = "account-based"
        words = (
            f"Open leads are {share:.1%} of open leads plus contacts (under {threshold:.0%}): Leads are barely used."
        )
    else:
        mode = "lead-based"
        words = f"Open leads are {share:.1%} of open leads plus contacts: the org works Leads."
    return LeadUsage(
        leads=leads, open_leads=open_leads, contacts=contacts, open_lead_share=share, mode=mode, explanation=words
    )


def _funnel(ctx: CheckContext, leads: pl.DataFrame) -> tuple[FunnelStage, ...]:
    counts = dict(leads.group_by("Status").len().iter_rows())
    statuses = ctx.snapshot.frame("LeadStatus", {"ApiName": _TEXT, "MasterLabel": _TEXT, "SortOrder": pl.Int64()}).sort(
        "SortOrder", nulls_last=True
    )
    rows = [(row["ApiName"] or row["MasterLabel"], row["MasterLabel"], row["SortOrder"]) for row in statuses.to_dicts()]
    listed = {name for name, _, _ in rows}
    # Values on leads but not in the picklist (deactivated, or set by an integration) come last.
    rows += [(name, None, None) for name in sorted(counts, key=str) if name not in listed and name is not None]
    sets, total = ctx.statuses, leads.height
    return tuple(
        FunnelStage(
            status=name,
            label=label,
            sort_order=order,
            leads=counts.get(name, 0),
            share=_share(counts.get(name, 0), total),
            open=name not in sets.closed and name not in sets.converted,
            closed=name in sets.closed,
            converted=name in sets.converted,
            qualified=name in sets.qualified,
            in_picklist=name in listed,
        )
        for name, label, order in rows
    )


def _sources(leads: pl.DataFrame) -> tuple[SourceConversion, ...]:
    # Days to convert: ConvertedDate (a date) minus the date the lead was created.
    days = (pl.col("ConvertedDate") - pl.col("CreatedDate").dt.date()).dt.total_days()
    converted = pl.col("IsConverted").fill_null(value=False)
    source = pl.col("LeadSource").str.strip_chars()
    table = (
        leads.with_columns(_source=pl.when(source.fill_null("") == "").then(pl.lit(NO_SOURCE)).otherwise(source))
        .group_by("_source")
        .agg(leads=pl.len(), converted=converted.sum(), median=days.filter(converted).median())
        .sort(["leads", "_source"], descending=[True, False])
    )
    return tuple(
        SourceConversion(
            source=row["_source"],
            leads=row["leads"],
            converted=row["converted"],
            conversion_rate=_share(row["converted"], row["leads"]),
            median_days_to_convert=row["median"],
        )
        for row in table.iter_rows(named=True)
    )


def _owners(ctx: CheckContext, open_leads: pl.DataFrame) -> tuple[OwnerLoad, ...]:
    users = ctx.snapshot.frame("User", {"Id": _TEXT, "Name": _TEXT, "IsActive": pl.Boolean()})
    groups = ctx.snapshot.frame("Group", {"Id": _TEXT, "Name": _TEXT}).rename({"Name": "_queue_name"})
    load = (
        open_leads.group_by("OwnerId")
        .len()
        .join(users, left_on="OwnerId", right_on="Id", how="left")
        .join(groups, left_on="OwnerId", right_on="Id", how="left")
        .sort(["len", "OwnerId"], descending=[True, False], nulls_last=True)
    )
    return tuple(
        OwnerLoad(
            owner_id=row["OwnerId"],
            name=row["Name"] or row["_queue_name"],
            active=row["IsActive"],
            queue=(row["OwnerId"] or "").startswith(_QUEUE_PREFIX),
            open_leads=row["len"],
        )
        for row in load.iter_rows(named=True)
    )


def _lead_ages(open_leads: pl.DataFrame, now: datetime) -> tuple[AgeBucket, ...]:
    ages = open_leads.select(days=(pl.lit(now) - pl.col("CreatedDate")).dt.total_days()).get_column("days")
    buckets, low = [], 0
    for high in (*LEAD_AGE_BUCKETS, None):
        inside = ages >= low if high is None else (ages >= low) & (ages <= high)
        label = f"over {low - 1} days" if high is None else f"{low}-{high} days"
        buckets.append(AgeBucket(label=label, min_days=low, max_days=high, open_leads=int(inside.sum())))
        low = (high or 0) + 1
    return tuple(buckets)


def _fill_rates(snapshot: Snapshot, sobject: str, described: Sequence[DescribedField] | None) -> tuple[FieldFill, ...]:
    frame = snapshot.frame(sobject)
    if sobject in snapshot.fill_counts:  # counted by the store over every field it holds
        counts = dict(snapshot.fill_counts[sobject])
        total = counts.pop("*", frame.height)
    elif frame.width:
        counts, total = frame.select(pl.all().is_not_null().sum()).row(0, named=True), frame.height
    else:
        return ()
    fields = {field.name: field for field in described or ()}
    return tuple(
        FieldFill(field=name, filled=filled, fill_rate=_share(filled, total), **_kind(fields.get(name)))
        for name, filled in counts.items()
    )


def _kind(field: DescribedField | None) -> dict[str, Any]:
    if field is None or field.sf_type is None:  # not described: the report falls back on the API name
        return {}
    return {
        "label": field.label or None,
        "set_by_salesforce": not (field.createable or field.updateable),
        "checkbox": field.sf_type == "boolean",
    }


def org_profile(
    snapshot: Snapshot,
    *,
    rules: Rules,
    now: datetime,
    described: Mapping[str, Sequence[DescribedField] | None] | None = None,
) -> OrgProfileReport:
    """Profile how an org uses Leads.

    Args:
        snapshot: the org's records (fill rates cover every field loaded for Lead and Contact).
        rules: the rules (their status lists decide which statuses are open, closed, qualified).
        now: the moment the profile is made.
        described: per object, the fields its last describe listed (the store keeps them),
            for the fill rates' labels and kinds; None or a missing object: not known.

    Returns:
        The profile: record counts, lead usage ("account-based" below
        :data:`ACCOUNT_BASED_SHARE`), the status funnel in LeadStatus order, conversion by
        source, open leads per owner, field fill rates, and open leads by age
        (:data:`LEAD_AGE_BUCKETS`).
    """
    ctx = CheckContext(snapshot=snapshot, rules=rules, now=now)
    columns = {
        "Id": _TEXT,
        "Status": _TEXT,
        "IsConverted": pl.Boolean(),
        "OwnerId": _TEXT,
        "LeadSource": _TEXT,
        "CreatedDate": pl.Datetime("us", "UTC"),
        "ConvertedDate": pl.Date(),
    }
    leads = snapshot.frame("Lead", columns)
    open_leads = leads.filter(ctx.open_lead_filter())
    contacts = snapshot.frame("Contact")
    return OrgProfileReport(
        org_id=snapshot.org_id,
        instance_url=snapshot.instance_url,
        taken_at=snapshot.taken_at,
        as_of=now,
        record_counts={sobject: frame.height for sobject, frame in snapshot.frames.items()},
        lead_usage=_lead_usage(open_leads.height, leads.height, contacts.height, ACCOUNT_BASED_SHARE),
        funnel=_funnel(ctx, leads),
        sources=_sources(leads),
        owners=_owners(ctx, open_leads),
        fill_rates={
            sobject: _fill_rates(snapshot, sobject, (described or {}).get(sobject)) for sobject in ("Lead", "Contact")
        },
        lead_ages=_lead_ages(open_leads, now),
    )
