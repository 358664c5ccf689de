"""The answer key: every planted problem, duplicate cluster and hard negative, by record Id.

Rule-based checks are evaluated on the planted records as generated (with the rules stated
under ``assumptions``), so the key cannot drift from the data; background records are built
clean of every check, which the test suite verifies with an independent evaluator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfbridge_tools.synthetic.clock import DAY, MINUTE, rest_datetime
from sfbridge_tools.synthetic.contacts import direct_contact
from sfbridge_tools.synthetic.geo import COUNTRIES
from sfbridge_tools.synthetic.identities import lead_identity
from sfbridge_tools.synthetic.leads import lead_record
from sfbridge_tools.synthetic.lifecycle import CONVERTED, Life, build_life
from sfbridge_tools.synthetic.phones import INVALID_PHONES
from sfbridge_tools.synthetic.seeding import Kind, fresh_rng, reseed
from sfbridge_tools.synthetic.vocab import (
    COMPETITORS,
    DISPOSABLE_DOMAINS,
    JOB_SEEKER_PHRASES,
    NICKNAMES,
    OWN_COMPANY,
    QUALIFIED_STATUSES,
    UTM_TO_SOURCE,
)

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.planting import Ref

__all__ = ["ASSUMPTIONS", "build_answer_key", "premature_reasons"]

STALE_DAYS, NEVER_TOUCHED_DAYS, QUEUE_AGE_DAYS, MIN_MINUTES, MIN_SCORE = 90, 30, 7, 30, 50
REQUIRED_AT_CONVERSION = ("Email", "Phone", "Title")

ASSUMPTIONS: dict[str, Any] = {
    "open_lead": "IsConverted = false and Status not in ('Closed - Converted', 'Closed - Not Converted')",
    "stale_days": STALE_DAYS,
    "stale_last_touch": "LastActivityDate, else the date of CreatedDate; LastModifiedDate and SystemModstamp "
    "are never used (automation bumps them: planted stale leads have recent ones)",
    "stale_rule": "open lead with snapshot date - last touch > stale_days",
    "never_touched_days": NEVER_TOUCHED_DAYS,
    "never_touched_rule": "open lead with no Task whose WhoId is the lead, LastActivityDate null, "
    "and snapshot - CreatedDate > never_touched_days",
    "stale_includes_never_touched": "yes: a never-touched lead created more than stale_days ago is in both lists",
    "queue_age_days": QUEUE_AGE_DAYS,
    "queue_aging_rule": "open lead whose OwnerId is a queue (00G, Group Type = Queue) and snapshot - CreatedDate "
    "> queue_age_days (leads are routed to queues on creation; ownership is not field-tracked)",
    "inactive_owner_rule": "open lead whose OwnerId is a User with IsActive = false",
    "qualified_statuses": list(QUALIFIED_STATUSES),
    "converted_status": CONVERTED,
    "conversion_time": "CreatedDate of the LeadHistory row with Field = 'Status' and NewValue = 'Closed - Converted' "
    "(ConvertedDate is a date only)",
    "min_minutes_to_convert": MIN_MINUTES,
    "activity_before_conversion": "a Task created before the conversion time whose WhoId is the lead or its "
    "ConvertedContactId (conversion moves a lead's Tasks to the new Contact)",
    "score_field": "Lead_Score__c",
    "min_score": MIN_SCORE,
    "score_null_counts_as_below": True,
    "required_fields_at_conversion": list(REQUIRED_AT_CONVERSION),
    "opportunity_required": False,
    "premature_reasons": [
        "no_qualified_status",
        "converted_too_fast",
        "no_activity",
        "score_below_minimum",
        *[f"required_field_blank:{f}" for f in REQUIRED_AT_CONVERSION],
    ],
    "missing_lead_source_scope": "Leads with IsConverted = false (open or closed) and all Contacts",
    "lead_source_inference_field": "UTM_Source__c",
    "lead_source_inference": dict(sorted(UTM_TO_SOURCE.items())),
    "lead_source_inference_matching": "trimmed, case-insensitive; unmapped or blank UTM values infer null",
    "junk_scope": "open leads; each junk lead has exactly one reason",
    "own_company_domains": [OWN_COMPANY[1]],
    "competitor_domains": [d for _, d in COMPETITORS],
    "disposable_email_domains": list(DISPOSABLE_DOMAINS),
    "student_rule": "email domain ends with .edu, or Title contains 'Student'",
    "job_seeker_phrases": list(JOB_SEEKER_PHRASES),
    "test_record_rule": "name or company like 'Test Test', 'asdf', 'Mickey Mouse', 'Donald Duck', 'Foo Bar', "
    "or an address at example.com/.org/.net",
    "duplicate_scope": "Leads with IsConverted = false and all Contacts (a converted lead and its Contact are "
    "one person by construction and are not listed)",
    "duplicate_evidence": "same normalised email (trimmed, case-folded; for gmail.com only, dots and +tags removed), "
    "or same nickname-/accent-/order-insensitive name with the same phone in E.164",
    "duplicate_evidence_excludes": "emails and phones that are themselves invalid (planted invalid values repeat "
    "across unrelated records, e.g. '0000000000')",
    "nickname_pairs_used": {k: list(v) for k, v in sorted(NICKNAMES.items())},
    "lead_is_existing_contact_rule": "open lead in a Lead↔Contact duplicate cluster → that cluster's one Contact",
    "lead_matches_account_rule": "open lead, not an existing contact, whose Company without legal suffix and "
    "case/punctuation matches an Account Name so normalised, or whose email domain is an Account Website's domain",
    "legal_suffixes": sorted({suffix.lstrip(", ") for country in COUNTRIES for suffix in country.suffixes}),
    "bounced_rule": "EmailBouncedReason or EmailBouncedDate set (Leads and Contacts)",
    "invalid_email_rule": "syntactically invalid after trimming surrounding whitespace; reserved TLDs "
    "(.example) and +tags are valid",
    "invalid_phone_fields": {"Lead": ["Phone", "MobilePhone"], "Contact": ["Phone", "MobilePhone"]},
    "invalid_phone_rule": "not a valid number per libphonenumber (is_valid_number); national formats are read in "
    "the record's country (Lead.Country, Contact.MailingCountry; default US); fictional ranges (NANP 555-01xx, "
    "Ofcom drama, ARCEP fiction, ACMA drama numbers) are valid; extensions are allowed",
    "invalid_phone_examples": list(INVALID_PHONES),
    "orphan_contact_rule": "Contact with AccountId null",
}


def _is_open(life: Life) -> bool:
    return life.converted_at is None and not life.status.startswith("Closed")


def premature_reasons(life: Life, record: dict[str, Any]) -> list[str]:
    """Return every conversion-policy rule a converted lead breaks (see ASSUMPTIONS)."""
    converted_at = life.converted_at
    if converted_at is None:
        return []
    reasons = []
    if not any(new in QUALIFIED_STATUSES for at, _, new, _ in life.events if at < converted_at):
        reasons.append("no_qualified_status")
    if converted_at - life.created < MIN_MINUTES * MINUTE:
        reasons.append("converted_too_fast")
    if not any(t.at < converted_at for t in life.tasks):
        reasons.append("no_activity")
    score = record.get("Lead_Score__c")
    if score is None or score < MIN_SCORE:
        reasons.append("score_below_minimum")
    reasons += [f"required_field_blank:{f}" for f in REQUIRED_AT_CONVERSION if not record.get(f)]
    return reasons


def _inferred(record: dict[str, Any]) -> str | None:
    return UTM_TO_SOURCE.get(str(record.get("UTM_Source__c") or "").strip().lower())


def _lead_checks(ctx: OrgContext, checks: dict[str, Any], index: int) -> None:
    rng = reseed(fresh_rng(), ctx.seed, Kind.LEAD, index)
    life = build_life(ctx, rng, index)
    record = lead_record(ctx, rng, index, life, lead_identity(ctx, rng, index, life))
    plant, lead_id, now = ctx.layout.lead_plants[index], record["Id"], ctx.now
    if _is_open(life):
        touch = life.last_activity if life.last_activity is not None else life.created - life.created % DAY
        if (now - now % DAY - touch) // DAY > STALE_DAYS:
            checks["stale_lead"].append(lead_id)
        if not life.tasks and now - life.created > NEVER_TOUCHED_DAYS * DAY:
            checks["never_touched_lead"].append(lead_id)
        if life.owner in ctx.staff.former:
            checks["inactive_owner"].append(lead_id)
        if life.owner.startswith("00G") and now - life.created > QUEUE_AGE_DAYS * DAY:
            checks["queue_aging"].append(lead_id)
    if life.converted_at is None and "LeadSource" not in record:
        checks["missing_lead_source"][lead_id] = _inferred(record)
    reasons = premature_reasons(life, record)
    if reasons:
        checks["premature_conversion"][lead_id] = reasons
    if plant.body == "junk":
        checks["junk_lead"][lead_id] = plant.arg[0]
    elif plant.body == "matches_account":
        checks["lead_matches_account"][lead_id] = ctx.mint["Account"](plant.arg[1])
    _quality(checks, plant.body, record)


def _quality(checks: dict[str, Any], body: str, record: dict[str, Any]) -> None:
    if "EmailBouncedDate" in record or "EmailBouncedReason" in record:
        checks["bounced_email"].append(record["Id"])
    if body in {"invalid_email", "invalid_phone"}:
        checks[body].append(record["Id"])


def _contact_checks(ctx: OrgContext, checks: dict[str, Any], index: int) -> None:
    rng = reseed(fresh_rng(), ctx.seed, Kind.CONTACT, index)
    record = direct_contact(ctx, rng, rng, index)
    plant = ctx.layout.contact_plants[index]
    if "AccountId" not in record:
        checks["orphan_contact"].append(record["Id"])
    if "LeadSource" not in record:
        checks["missing_lead_source"][record["Id"]] = _inferred(record)
    _quality(checks, plant.body, record)


def _id(ctx: OrgContext, ref: Ref) -> str:
    kind, index = ref
    return ctx.mint["Lead"](index) if kind == "L" else ctx.mint["Contact"](index)


def _empty_checks() -> dict[str, Any]:
    lists = (
        "stale_lead",
        "never_touched_lead",
        "inactive_owner",
        "queue_aging",
        "orphan_contact",
        "bounced_email",
        "invalid_email",
        "invalid_phone",
    )
    maps = (
        "missing_lead_source",
        "premature_conversion",
        "junk_lead",
        "lead_is_existing_contact",
        "lead_matches_account",
    )
    checks: dict[str, Any] = {name: [] for name in lists}
    checks.update({name: {} for name in maps})
    return checks


def build_answer_key(ctx: OrgContext) -> dict[str, Any]:
    """Return the answer key of the org (see module docstring and ASSUMPTIONS)."""
    layout = ctx.layout
    checks = _empty_checks()
    for index in sorted(layout.lead_plants):
        _lead_checks(ctx, checks, index)
    for index in sorted(layout.contact_plants):
        _contact_checks(ctx, checks, index)
    clusters = sorted(sorted(_id(ctx, ref) for ref in cluster) for cluster in layout.clusters)
    for cluster in layout.clusters:
        contacts = [ref for ref in cluster if ref[0] == "C"]
        if len(contacts) == 1:
            for ref in cluster:
                if ref[0] == "L":
                    checks["lead_is_existing_contact"][_id(ctx, ref)] = _id(ctx, contacts[0])
    ordered = {
        name: sorted(value) if isinstance(value, list) else dict(sorted(value.items()))
        for name, value in checks.items()
    }
    return {
        "version": 1,
        "snapshot": rest_datetime(ctx.now),
        "org_id": ctx.staff.org_id,
        "seed": ctx.seed,
        "shape": {name: getattr(ctx.shape, name) for name in ctx.shape.__slots__},
        "assumptions": ASSUMPTIONS,
        "checks": ordered,
        "duplicates": {"clusters": clusters},
        "hard_negatives": _negatives(ctx),
    }


def _negatives(ctx: OrgContext) -> dict[str, Any]:
    layout = ctx.layout
    out: dict[str, Any] = {"duplicate": sorted([_id(ctx, a), _id(ctx, b), why] for a, b, why in layout.hard_negatives)}
    for name, refs in sorted(layout.negatives.items()):
        out[name] = sorted(_id(ctx, ref) for ref in refs)
    return out
