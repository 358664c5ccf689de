"""Duplicate people, and open leads that are already a Contact or belong to an existing Account.

All three read one shared matching of unconverted Leads and Contacts (``context.matches``):
``duplicate`` reports every record of a cluster of one person (the survivor's finding carries
the values the merged record should take, see :mod:`sfbridge.matching.best_values`),
``lead_is_existing_contact``
the open leads whose cluster holds exactly one Contact (convert into it), and
``lead_matches_account`` the other open leads whose company or email domain is an Account's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from sfbridge.checks.context import CheckContext
from sfbridge.checks.duplicate_evidence import MERGED_COLUMNS, MergedValue, json_as_is, match_lists, merged_lists
from sfbridge.checks.registry import Check, Reads
from sfbridge.matching.best_values import ADDRESS_FIELDS, FIELD_LABELS
from sfbridge.models import Finding, collection_paused
from sfbridge.rules import Rules

__all__ = ["CHECKS", "duplicate", "lead_is_existing_contact", "lead_matches_account"]

_MAX_REASONS = 4  # the strongest reasons go in the finding's sentence; all are in evidence
_EMAIL_FLAGS = ("email_domain", "email_valid", "email_free", "email_disposable")
_NAME = pl.concat_str(["first_name", "last_name"], separator=" ", ignore_nulls=True).replace("", "(no name)")
# A match as the lead checks read it: the score as findings show it, no waterfall (never read
# there, and the slowest part to turn into Python).
_MATCH_READ = pl.struct(
    pl.element().struct.field("other_id"),
    pl.element().struct.field("other_sobject"),
    pl.element().struct.field("score").round(4),
    pl.element().struct.field("reasons"),
)
# What a duplicate finding reads of its member (besides the matches and merged values).
_FINDING_COLUMNS = (
    "cluster_id",
    "record_id",
    "sobject",
    "size",
    "rank",
    "survivor_id",
    "survivor_sobject",
    "name",
    "email",
    "phone",
    "mobile_phone",
    "company",
    "best_id",
    "best_sobject",
    "best_score",
    "because",
    "has_contact",
    "has_lead",
)


def _needs(_rules: Rules) -> Mapping[str, frozenset[str]]:
    # Besides the people (loaded for every check that reads them): which leads are open.
    return {"Lead": frozenset({"Id", "Status", "IsConverted"})}


def _open_lead_ids(context: CheckContext) -> pl.Series:
    leads = context.snapshot.frame("Lead", {"Id": pl.Utf8(), "Status": pl.Utf8(), "IsConverted": pl.Boolean()})
    return leads.filter(context.open_lead_filter()).get_column("Id")


def _positive(reasons: Sequence[str]) -> list[str]:
    return [reason for reason in reasons if not reason.startswith("but ")][:_MAX_REASONS]


def _members(context: CheckContext) -> pl.DataFrame:
    """The matching's cluster members, with display values prepared column-wise (fast for 10⁵ rows)."""
    return _shown(context.matches.members).with_columns(matches=pl.col("matches").list.eval(_MATCH_READ))


def _shown(members: pl.DataFrame) -> pl.DataFrame:
    """Members with their name, best match, its reasons in a sentence, and whether the cluster holds a Contact."""
    best = pl.col("matches").list.first()
    positive = pl.element().filter(~pl.element().str.starts_with("but "))
    return members.with_columns(
        name=_NAME,
        best_id=best.struct.field("other_id"),
        best_sobject=best.struct.field("other_sobject"),
        because=best.struct.field("reasons").list.eval(positive).list.head(_MAX_REASONS).list.join("; "),
        best_score=pl.col("best_score").round(4),
        has_contact=(pl.col("sobject") == "Contact").any().over("cluster_id"),
        has_lead=(pl.col("sobject") == "Lead").any().over("cluster_id"),
    )


def _merged_evidence(merged: Sequence[MergedValue]) -> dict[str, dict[str, Any]]:
    return {field: {"value": value, "from": source, "rule": rule} for field, value, source, rule, _ in merged}


def _value_changes(merged: Sequence[MergedValue], *, sobject: str) -> list[str]:
    """The values the survivor takes from other records, as phrases ("Phone to ... (from ...)")."""
    phrases = []
    for field, value, source, _, changes in merged:
        # A Contact's company is its Account's name: changed by moving the Contact, not by a field.
        # The address is one phrase, below.
        if changes and field not in ADDRESS_FIELDS and not (field == "company" and sobject == "Contact"):
            phrases.append(f"{FIELD_LABELS[field]} to {value} (from {source})")
    address = [(value, source, changes) for field, value, source, _, changes in merged if field in ADDRESS_FIELDS]
    if any(changes for _, _, changes in address):
        # The address is one record's, whole: shown as one value, parts it lacks left out.
        text = ", ".join(value for value, _, _ in address if value)
        phrases.append(f"the address to {text} (from {address[0][1]})")
    return phrases


def _merge_action(row: Mapping[str, Any], merged: Sequence[MergedValue] | None) -> str:
    survivor, others = row["survivor_id"], row["size"] - 1
    if row["record_id"] == survivor:
        action = f"Keep this record and merge the other {others} record(s) of this person into it"
        if row["sobject"] == "Contact" and row["has_lead"]:
            action += " (convert Leads into it)"
        elif row["has_contact"]:
            # The survivor order put a Lead first (see [duplicates.survivor]); Salesforce cannot do that merge.
            action += " (a Contact cannot be merged into a Lead: convert this lead into the Contact instead)"
        changes = _value_changes(merged or [], sobject=row["sobject"])
        return action + (f"; then set {', '.join(changes)}" if changes else "")
    if row["sobject"] == "Contact" and row["survivor_sobject"] == "Lead":
        return f"Convert Lead {survivor}, the record to keep, into this contact: a contact cannot merge into a lead"
    if row["sobject"] == "Lead":
        verb = "Convert this lead into Contact" if row["survivor_sobject"] == "Contact" else "Merge this lead into Lead"
        return f"{verb} {survivor}, the record to keep"
    return f"Merge this contact into Contact {survivor}, the record to keep"


def _duplicate_finding(
    context: CheckContext,
    row: Mapping[str, Any],
    matches: list[dict[str, Any]] | None,
    merged: list[MergedValue] | None,
) -> Finding:
    because = f" ({row['because']})" if row["because"] else ""
    return context.finding(
        "duplicate",
        sobject=row["sobject"],
        record_id=row["record_id"],
        reason=(
            f"{row['name']} looks like the same person as {row['best_sobject']} {row['best_id']}{because}; "
            f"{row['size']} records in this group"
        ),
        suggested_action=_merge_action(row, merged),
        evidence={
            "name": row["name"],
            "email": row["email"],
            "phone": row["phone"],
            "mobile_phone": row["mobile_phone"],
            "company": row["company"],
            "group_size": row["size"],
            "rank": row["rank"],  # in the survivor order: 1 is the record to keep
            "matches": matches,
        }
        | ({"merged_values": _merged_evidence(merged)} if merged else {}),
        related={"survivor": row["survivor_id"]},
        group=row["cluster_id"],
        score=row["best_score"],
    )


def _duplicate(context: CheckContext) -> list[Finding]:
    members = _shown(context.matches.members)
    best_values = context.matches.best_values
    # Every value of these findings comes from these columns or is text made here: when their
    # types are JSON as they are, so are the findings, known without walking each one's
    # matches and waterfalls (Finding.json_ready: 1.2 s over a million records' duplicates).
    known_json = json_as_is(members.select(*_FINDING_COLUMNS, "matches")) and json_as_is(
        best_values.select(MERGED_COLUMNS)
    )
    with collection_paused():
        matches = match_lists(members)
        # Only the survivor's finding carries the merged values: once per cluster keeps findings.json small.
        merged = merged_lists(best_values)
        rows = members.select(_FINDING_COLUMNS).iter_rows(named=True)
        findings = [
            _duplicate_finding(
                context,
                row,
                matches[number],
                merged.get(row["cluster_id"]) if row["record_id"] == row["survivor_id"] else None,
            )
            for number, row in enumerate(rows)
        ]
    return [finding.mark_json_ready() for finding in findings] if known_json else findings


def _existing_contacts(context: CheckContext) -> pl.DataFrame:
    """Open leads in a cluster with exactly one Contact, with that Contact and its Account."""
    members = _members(context)
    contacts = (
        members.filter(pl.col("sobject") == "Contact")
        .group_by("cluster_id")
        .agg(count=pl.len(), contact_id=pl.col("record_id").first(), contact_account=pl.col("account_id").first())
        .filter(pl.col("count") == 1)
    )
    leads = members.filter((pl.col("sobject") == "Lead") & pl.col("record_id").is_in(_open_lead_ids(context).implode()))
    return leads.join(contacts.drop("count"), on="cluster_id").sort("record_id")


def _contact_evidence(row: Mapping[str, Any]) -> tuple[list[str], float | None]:
    direct = [match for match in row["matches"] or [] if match["other_id"] == row["contact_id"]]
    if direct:
        return _positive(direct[0]["reasons"]), direct[0]["score"]
    # Matched through another record of the same person (a duplicate lead, say).
    via = (row["matches"] or [{}])[0]
    reasons = [f"matches {via.get('other_sobject')} {via.get('other_id')}, which matches the Contact"]
    return reasons + _positive(via.get("reasons", [])), row["best_score"]


def _existing_contact_finding(context: CheckContext, row: Mapping[str, Any]) -> Finding:
    reasons, score = _contact_evidence(row)
    account = row["contact_account"]
    where = f" on Account {account}" if account else " (which has no Account)"
    related = {"contact": row["contact_id"]} | ({"account": account} if account else {})
    return context.finding(
        "lead_is_existing_contact",
        sobject="Lead",
        record_id=row["record_id"],
        reason=f"{row['name']} is already Contact {row['contact_id']}{where}: {'; '.join(reasons)}",
        suggested_action=f"Convert this lead into the existing Contact {row['contact_id']}{where}, not a new one",
        evidence={"name": row["name"], "email": row["email"], "phone": row["phone"], "reasons": reasons},
        related=related,
        group=row["cluster_id"],
        score=round(score, 4) if score is not None else None,
    )


def _lead_is_existing_contact(context: CheckContext) -> list[Finding]:
    rows = _existing_contacts(context).iter_rows(named=True)
    return [_existing_contact_finding(context, row) for row in rows]


def _account_reason(row: Mapping[str, Any]) -> str:
    reasons = []
    if row["by_name"]:
        reasons.append(
            f"company {row['company']!r} is Account {row['account_name']!r} without legal form and punctuation"
        )
    if row["by_domain"]:
        reasons.append(f"email domain {row['email_domain']} is the website domain of Account {row['account_name']!r}")
    return " and ".join(reasons)


def _account_finding(context: CheckContext, row: Mapping[str, Any]) -> Finding:
    reason = _account_reason(row)
    others = [account for account in row["candidates"] if account != row["account_id"]]
    return context.finding(
        "lead_matches_account",
        sobject="Lead",
        record_id=row["record_id"],
        reason=f"{row['name']} works for an existing customer Account: {reason}",
        suggested_action=f"Convert this lead into the existing Account {row['account_id']} ({row['account_name']})",
        evidence={
            "company": row["company"],
            "email_domain": row["email_domain"],
            "account_name": row["account_name"],
            "account_website_domain": row["website_domain"],
            "matched_by": [way for way in ("name", "domain") if row[f"by_{way}"]],
            "other_accounts": others,
        },
        related={"account": row["account_id"]},
    )


def _lead_matches_account(context: CheckContext) -> list[Finding]:
    excluded = _existing_contacts(context).get_column("record_id")
    open_ids = _open_lead_ids(context)
    wanted = open_ids.filter(~open_ids.is_in(excluded.implode()))
    columns = ["idx", "record_id", "first_name", "last_name", "company", "company_key", *_EMAIL_FLAGS]
    people = context.matches.people.select(columns)  # narrow first: a filter copies every column
    leads = people.filter(pl.col("record_id").is_in(wanted.implode()))
    links = context.matches.account_links(leads)
    best = links.group_by("idx", maintain_order=True).agg(pl.all().first(), candidates=pl.col("account_id"))
    shown = leads.select("idx", "record_id", "company", "email_domain", name=_NAME)
    rows = best.join(shown, on="idx").sort("record_id").iter_rows(named=True)
    return [_account_finding(context, row) for row in rows]


duplicate = Check(
    name="duplicate",
    title="Duplicate people",
    explains=(
        "Records of one person: Leads, Contacts, or a Lead that is also a Contact, matched on email, phone, "
        "nickname-aware names and company. Duplicates split activity history and get the same person "
        "emailed twice; merge each group into the record to keep."
    ),
    run=_duplicate,
    needs=_needs,
    reads=Reads.SEARCH_ONLY,  # members and best_values
)

lead_is_existing_contact = Check(
    name="lead_is_existing_contact",
    title="Open leads that are already contacts",
    explains=(
        "An open lead that is the same person as an existing Contact: converting it normally would create a "
        "second Contact. Convert it into the existing Contact and its Account instead."
    ),
    run=_lead_is_existing_contact,
    needs=_needs,
    reads=Reads.SEARCH_ONLY,  # members, and the open leads from the snapshot
    objects=("Lead",),
)

lead_matches_account = Check(
    name="lead_matches_account",
    title="Open leads from existing accounts",
    explains=(
        "An open lead whose company or business email domain is an existing Account's: converting it "
        "should attach it to that Account rather than create a duplicate Account."
    ),
    run=_lead_matches_account,
    needs=_needs,
    reads=Reads.PEOPLE_AND_SEARCH,  # members (the leads already a Contact are left out), and the people
    objects=("Lead",),
)

CHECKS: tuple[Check, ...] = (duplicate, lead_is_existing_contact, lead_matches_account)
