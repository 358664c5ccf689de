"""Contact hygiene and data quality: contacts without an Account, bounced and invalid emails, phones.

Emails and phones are judged on the people of ``context.matches`` (unconverted Leads and all
Contacts: converted Leads cannot be edited, their Contact carries the data on), whose
normalisation reads each distinct value once: email syntax by email-validator, phone numbers
by libphonenumber in the record's country, then in the org's fallback regions (see
:mod:`sfbridge.matching.phones`). A number that is another region's, written without its
country code, is a ``phone_format`` finding with the value to set, not an invalid one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers
import polars as pl

from sfbridge.checks.context import CheckContext
from sfbridge.checks.registry import Check, Reads
from sfbridge.matching.email_syntax import suggest_email_fixes, trimmed_email
from sfbridge.models import Finding
from sfbridge.rules import PhoneRequirement, Rules

__all__ = ["CHECKS", "bounced_email", "invalid_email", "invalid_phone", "orphan_contact", "phone_format"]

_BOUNCE = {"EmailBouncedReason": pl.Utf8(), "EmailBouncedDate": pl.Datetime("us", "UTC")}
_PHONE_FIELDS = {"phone": "Phone", "mobile_phone": "MobilePhone"}


def _people_needs(_rules: Rules) -> Mapping[str, frozenset[str]]:
    return {}  # the people only, loaded for every check that reads them


def _bounce_needs(_rules: Rules) -> Mapping[str, frozenset[str]]:
    fields = frozenset({"Id", "FirstName", "LastName", "Email", *_BOUNCE})
    return {"Lead": fields | {"IsConverted"}, "Contact": fields}


def _name(row: Mapping[str, Any]) -> str:
    return " ".join(str(row[part]) for part in ("first_name", "last_name") if row.get(part)) or "(no name)"


def _orphan_finding(context: CheckContext, row: Mapping[str, Any]) -> Finding:
    account = row.get("account_id")
    found = f"; its email domain {row['email_domain']} is Account {row['account_name']!r}'s website" if account else ""
    return context.finding(
        "orphan_contact",
        sobject="Contact",
        record_id=row["record_id"],
        reason=f"{_name(row)} is not linked to any Account{found}",
        suggested_action=(
            f"Link it to Account {account} ({row['account_name']})"
            if account
            else "Link it to its company's Account, or delete it if it is not a real contact"
        ),
        evidence={"name": _name(row), "email": row["email"], "suggested_account": row.get("account_name")},
        suggested_values={"AccountId": account} if account else {},
        related={"account": account} if account else {},
    )


def _orphan_contact(context: CheckContext) -> list[Finding]:
    people = context.matches.people
    orphans = people.filter((pl.col("sobject") == "Contact") & pl.col("account_id").is_null()).drop("account_id")
    # An orphan's own company is unknown (it comes from the Account), so only its email domain can place it.
    links = context.matches.account_links(orphans.with_columns(company_key=pl.lit(None, pl.Utf8)))
    best = links.group_by("idx", maintain_order=True).first().select("idx", "account_id", "account_name")
    rows = orphans.join(best, on="idx", how="left").sort("record_id").iter_rows(named=True)
    return [_orphan_finding(context, row) for row in rows]


def _bounced(context: CheckContext, sobject: str) -> pl.DataFrame:
    columns = {"Id": pl.Utf8(), "FirstName": pl.Utf8(), "LastName": pl.Utf8(), "Email": pl.Utf8(), **_BOUNCE}
    frame = context.snapshot.frame(sobject, columns | ({"IsConverted": pl.Boolean()} if sobject == "Lead" else {}))
    if sobject == "Lead":
        frame = frame.filter(~pl.col("IsConverted").fill_null(value=False))
    bounced = pl.col("EmailBouncedReason").str.strip_chars().str.len_chars().fill_null(0) > 0
    found = frame.filter(bounced | pl.col("EmailBouncedDate").is_not_null())
    return found.select(*columns, sobject=pl.lit(sobject))


def _bounce_finding(context: CheckContext, row: Mapping[str, Any]) -> Finding:
    when = row["EmailBouncedDate"]
    on = f" on {when:%Y-%m-%d}" if when else ""
    why = f": {row['EmailBouncedReason']}" if row["EmailBouncedReason"] else ""
    return context.finding(
        "bounced_email",
        sobject=row["sobject"],
        record_id=row["Id"],
        reason=f"Email to {row['Email'] or '(no address)'} bounced{on}{why}",
        suggested_action=(
            "Find a current address and update Email (Salesforce clears the bounce when the address changes); "
            "until then, leave this record out of email sends"
        ),
        evidence={
            "email": row["Email"],
            "bounced_reason": row["EmailBouncedReason"],
            "bounced_date": when.isoformat() if when else None,
        },
    )


def _bounced_email(context: CheckContext) -> list[Finding]:
    frames = [_bounced(context, sobject) for sobject in ("Lead", "Contact")]
    rows = pl.concat(frames).sort("sobject", "Id", descending=[True, False]).iter_rows(named=True)
    return [_bounce_finding(context, row) for row in rows]


def _invalid_email_finding(context: CheckContext, row: Mapping[str, Any], fix: str | None) -> Finding:
    return context.finding(
        "invalid_email",
        sobject=row["sobject"],
        record_id=row["record_id"],
        reason=f"Email {row['email']!r} is not a valid address: {row['email_problem']}",
        suggested_action=f"Correct Email to {fix}"
        if fix
        else "Correct Email or clear it; mail to it cannot be delivered",
        evidence={"email": row["email"], "problem": row["email_problem"]},
        suggested_values={"Email": fix} if fix else {},
    )


def _invalid_email(context: CheckContext) -> list[Finding]:
    people = context.matches.people
    # The people frame leaves the trimmed address out (see Matching.people): trimmed here, as
    # the email normalisers read it, for the few invalid ones.
    trimmed = trimmed_email(pl.col("email"))
    invalid = people.filter(trimmed.is_not_null() & ~pl.col("email_valid")).with_columns(email_trim=trimmed)
    invalid = invalid.sort("record_id")
    fixes = suggest_email_fixes(invalid.get_column("email_trim").to_list())
    return [
        _invalid_email_finding(context, row, fix) for row, fix in zip(invalid.iter_rows(named=True), fixes, strict=True)
    ]


def _failing(column: str, require: PhoneRequirement) -> pl.Expr:
    # Levels are an ordered enum (placeholder < malformed < format < possible < valid), so
    # "below what the rules require" is one comparison; placeholders fail at every level.
    written = pl.col(column).str.strip_chars().str.len_chars().fill_null(0) > 0
    level = pl.col(f"{column}_level")
    return (written & ((level == "placeholder") | (level < require))).alias(f"{column}_failing")


def _bad_phones(row: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        field: {"value": row[column], "problem": row[f"{column}_problem"], "level": row[f"{column}_level"]}
        for column, field in _PHONE_FIELDS.items()
        if row[f"{column}_failing"]
    }


def _country(row: Mapping[str, Any]) -> str:
    return row["country"] or f"unknown, so the default {row['region']}"


def _invalid_phone_finding(context: CheckContext, row: Mapping[str, Any]) -> Finding:
    bad = _bad_phones(row)
    listed = "; ".join(f"{field} {facts['value']!r} {facts['problem']}" for field, facts in bad.items())
    return context.finding(
        "invalid_phone",
        sobject=row["sobject"],
        record_id=row["record_id"],
        reason=f"{listed} (read in region {row['region']}; country: {_country(row)})",
        suggested_action=f"Correct {' and '.join(bad)} to the full number (+country code if abroad), or clear it",
        evidence={"fields": bad, "country": row["country"], "read_in_region": row["region"]},
    )


def _invalid_phone(context: CheckContext) -> list[Finding]:
    people = context.matches.people
    failing = [_failing(column, context.rules.phones.require) for column in _PHONE_FIELDS]
    rows = people.with_columns(failing).filter(pl.any_horizontal(failing)).sort("record_id")
    return [_invalid_phone_finding(context, row) for row in rows.iter_rows(named=True)]


def _phone_format_finding(context: CheckContext, row: Mapping[str, Any]) -> Finding:
    fixes = {
        field: {"value": row[column], "region": row[f"{column}_fallback"], "fix": row[f"{column}_fix"]}
        for column, field in _PHONE_FIELDS.items()
        if row[f"{column}_fallback"]
    }
    listed = "; ".join(
        f"{field} {facts['value']!r} is written without its country code; it is a {facts['region']} number "
        f"(+{phonenumbers.country_code_for_region(facts['region'])})"
        for field, facts in fixes.items()
    )
    sets = " and ".join(f"{field} to {facts['fix']}" for field, facts in fixes.items())
    return context.finding(
        "phone_format",
        sobject=row["sobject"],
        record_id=row["record_id"],
        reason=f"{listed} (read in region {row['region']} it is no number; country: {_country(row)})",
        suggested_action=f"Set {sets}, so it dials from anywhere",
        evidence={"fields": fixes, "country": row["country"], "read_in_region": row["region"]},
        suggested_values={field: facts["fix"] for field, facts in fixes.items()},
    )


def _phone_format(context: CheckContext) -> list[Finding]:
    people = context.matches.people
    rows = people.filter(pl.any_horizontal([pl.col(f"{column}_fallback").is_not_null() for column in _PHONE_FIELDS]))
    return [_phone_format_finding(context, row) for row in rows.sort("record_id").iter_rows(named=True)]


orphan_contact = Check(
    name="orphan_contact",
    title="Contacts without an account",
    explains=(
        "A Contact with no Account is private to its owner, missing from account reports and "
        "roll-ups, and easy to duplicate. Link it to its company's Account."
    ),
    run=_orphan_contact,
    needs=_people_needs,
    reads=Reads.PEOPLE,
    objects=("Contact",),
)

bounced_email = Check(
    name="bounced_email",
    title="Bounced emails",
    explains="Email to these Leads and Contacts bounced: campaigns to them are wasted and hurt sender reputation.",
    run=_bounced_email,
    needs=_bounce_needs,
)

invalid_email = Check(
    name="invalid_email",
    title="Invalid email addresses",
    explains="The Email field does not hold a well-formed address (after trimming spaces), so mail cannot be sent.",
    run=_invalid_email,
    needs=_people_needs,
    reads=Reads.PEOPLE,
)

invalid_phone = Check(
    name="invalid_phone",
    title="Invalid phone numbers",
    explains=(
        "Phone or Mobile holds something that is not a number in use in the record's country nor "
        "in the org's other regions (text like N/A, too few digits, placeholders like 000-000-0000): "
        "reps cannot call and dialers reject it. How strict is set by phones.require."
    ),
    run=_invalid_phone,
    needs=_people_needs,
    reads=Reads.PEOPLE,
)

phone_format = Check(
    name="phone_format",
    title="Phone numbers without their country code",
    explains=(
        "Phone or Mobile is another country's number written without its country code (a US "
        "number on a Spanish contact): read in the record's country it is no number, so dialers "
        "misdial it. Set the full +country-code value shown."
    ),
    run=_phone_format,
    needs=_people_needs,
    reads=Reads.PEOPLE,
)

CHECKS: tuple[Check, ...] = (orphan_contact, bounced_email, invalid_email, invalid_phone, phone_format)
