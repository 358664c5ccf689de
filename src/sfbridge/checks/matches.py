"""Duplicate people, and open leads that are already a Contact or belong to an existing Account.

All three read one shared matching of unconverted Leads and Contacts (``context.matches``):
``duplicate`` reports every record of a cluster of one person (the survivor's finding carries
the values the merged record should take, see :mod:`sfbridge.matching.best_values`),
``lead_is_existing_contact``
the open leads whose cluster holds exactly one Contact (convert into it), and
``lead_matches_account`` the other open leads whose company or email domain is an Account's.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl

from sfbridge.checks.context import CheckContext
from sfbridge.checks.registry import Check
from sfbridge.matching.best_values import ADDRESS_FIELDS, FIELD_LABELS
from sfbridge.models import Finding
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


def _match_lists(members: pl.DataFrame) -> list[list[dict[str, Any]] | None]:
    """Each member's ``matches`` as evidence (``other_id``, ``other_sobject``, ``score``, ``reasons``, ``waterfall``).

    Polars turns nested structs into Python slowly, and each pair is in the matches of both its
    records: its reasons and waterfall are converted once, from the side whose record Id is the
    smaller, and both findings hold the same (never modified) lists.
    """
    flat = (
        members.select(member=pl.int_range(pl.len(), dtype=pl.UInt32), record_id="record_id", match="matches")
        .explode("match")
        .filter(pl.col("match").is_not_null())
        .unnest("match")
    )
    # Both records of a pair are members (pairs are within clusters), so each pair is here twice.
    first = flat.filter(pl.col("record_id") < pl.col("other_id"))
    # Each row's pair: the number of the pair's first side, looked up by the two Ids swapped.
    sides = pl.concat(
        [
            first.select("record_id", "other_id", pair=pl.int_range(pl.len(), dtype=pl.UInt32)),
            first.select(record_id="other_id", other_id="record_id", pair=pl.int_range(pl.len(), dtype=pl.UInt32)),
        ]
    )
    flat = flat.join(sides, on=["record_id", "other_id"], how="left", maintain_order="left")
    reasons, waterfalls = first.get_column("reasons").to_list(), _waterfalls(first.get_column("waterfall"))
    lists: list[list[dict[str, Any]] | None] = [None] * members.height
    columns = flat.select("member", "other_id", "other_sobject", pl.col("score").round(4), "pair")
    for member, other_id, other_sobject, score, pair in columns.iter_rows():
        match = {
            "other_id": other_id,
            "other_sobject": other_sobject,
            "score": score,
            "reasons": reasons[pair],
            "waterfall": waterfalls[pair],
        }
        held = lists[member]
        if held is None:
            lists[member] = [match]
        else:
            held.append(match)
    return lists


def _waterfalls(waterfall: pl.Series) -> list[list[dict[str, Any]]]:
    """A list column of ``step``/``level``/``weight`` structs as Python lists of dicts.

    A million records' matched pairs hold a quarter of a million steps but only a few thousand
    distinct ones (the prior, and each level's weight): each distinct step is one dict, shared
    by every waterfall that shows it, like the lists :func:`_match_lists` shares. Nothing edits
    a finding's evidence; this keeps the duplicate findings' memory and the garbage collector's
    work to a fraction.
    """
    steps = waterfall.explode().struct.unnest()
    shared: dict[tuple[Any, ...], dict[str, Any]] = {}
    flat = []
    for step, level, weight in steps.iter_rows():
        # The sign tells 0.0 from -0.0, which are one key but two numbers in findings.json.
        key = (step, level, weight, None if weight is None else math.copysign(1.0, weight))
        item = shared.get(key)
        if item is None:
            item = shared[key] = {"step": step, "level": level, "weight": weight}
        flat.append(item)
    lists, start = [], 0
    for length in waterfall.list.len().to_list():
        lists.append(flat[start : start + length])
        start += length
    return lists


# One value chosen for a merged record: field, value, source_id, rule, changes_survivor.
_Value = tuple[str, str | None, str, str, bool]


def _merged_lists(context: CheckContext) -> dict[str, list[_Value]]:
    """Per cluster, the values chosen for the merged record, in field order.

    Plain tuples from plain columns: polars turns a list of structs into dicts several times
    slower, and a million records' clusters choose two hundred thousand values.
    """
    values = context.matches.best_values.filter(pl.col("source_id").is_not_null())
    columns = values.select(
        "cluster_id", pl.col("field").cast(pl.Utf8), "value", "source_id", "rule", "changes_survivor"
    )
    merged: dict[str, list[_Value]] = {}
    for cluster, *value in columns.iter_rows():
        merged.setdefault(cluster, []).append(tuple(value))  # the five columns above
    return merged


def _merged_evidence(merged: Sequence[_Value]) -> dict[str, dict[str, Any]]:
    return {field: {"value": value, "from": source, "rule": rule} for field, value, source, rule, _ in merged}


def _value_changes(merged: Sequence[_Value], *, sobject: str) -> list[str]:
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


def _merge_action(row: Mapping[str, Any], merged: Sequence[_Value] | None) -> str:
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
    merged: list[_Value] | None,
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
            "matches": matches,
        }
        | ({"merged_values": _merged_evidence(merged)} if merged else {}),
        related={"survivor": row["survivor_id"]},
        group=row["cluster_id"],
        score=row["best_score"],
    )


def _duplicate(context: CheckContext) -> list[Finding]:
    members = _shown(context.matches.members)
    with _collection_paused():
        matches = _match_lists(members)
        # Only the survivor's finding carries the merged values: once per cluster keeps findings.json small.
        merged = _merged_lists(context)
        rows = members.select(_FINDING_COLUMNS).iter_rows(named=True)
        return [
            _duplicate_finding(
                context,
                row,
                matches[number],
                merged.get(row["cluster_id"]) if row["record_id"] == row["survivor_id"] else None,
            )
            for number, row in enumerate(rows)
        ]


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the duplicate findings are built; restore it after.

    A million records' duplicate findings are some 400,000 dicts, lists and models, all kept
    (no garbage cycles among them to collect). Building them, the collector runs again and
    again, and each of its full passes re-scans everything built so far: 0.8 s of a 2 s check.
    Paused, the next collection after scans them once (the check and the next one together
    took 0.4 s less at a million records).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    reads_people=True,
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
    reads_people=True,
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
    reads_people=True,
)

CHECKS: tuple[Check, ...] = (duplicate, lead_is_existing_contact, lead_matches_account)
