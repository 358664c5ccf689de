"""Lead records: a lead's life and person turned into REST field values."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from sfbridge_tools.synthetic.clock import DAY, rest_date, rest_datetime
from sfbridge_tools.synthetic.fieldsets import add_address, add_contact_points, add_names, plant_fault
from sfbridge_tools.synthetic.lifecycle import SQL
from sfbridge_tools.synthetic.seeding import below, between

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.lifecycle import Life
    from sfbridge_tools.synthetic.people import Person

__all__ = ["lead_record"]

_RATINGS = ("Hot", "Warm", "Warm", "Cold", "Cold")
_MEDIUM = {
    "Advertisement": "cpc",
    "Web": "email",
    "Webinar": "webinar",
    "Partner Referral": "referral",
    "Trade Show": "event",
}
_DESCRIPTIONS = (
    "Asked for pricing for {n} seats.",
    "Met at our booth; wants a demo next quarter.",
    "Downloaded the pipeline hygiene whitepaper.",
    "Referred by an existing customer.",
    "Wants to replace spreadsheets for pipeline tracking.",
    "Requested a callback about onboarding.",
)
_JUNK_NOTES = {
    "job_seeker": "Hi, I am looking for a job in sales. Do you have any career opportunities?",
    "student": "Doing research for a class project on CRM adoption.",
    "test_record": "test",
    "competitor": "Evaluating vendors in this space; please send a full feature list and pricing.",
}
_WEBSITE_BITS = 96  # two bits of the roll: a quarter of business leads give their website
_SITE_FORMS = ("www.{d}", "https://www.{d}", "http://{d}", "{d}")


def _firmographics(ctx: OrgContext, rng: random.Random, record: dict[str, Any], person: Person) -> None:
    if person.company_index < 0:
        return
    company = ctx.directory.companies.get(person.company_index)
    roll = rng.getrandbits(16)
    if roll & 3:
        record["Industry"] = company.industry
    if roll & 4:
        record["NumberOfEmployees"] = company.employees
    if roll & 8 and roll & 16:
        record["AnnualRevenue"] = float(company.employees * (120 + roll % 150) * 1000)
    if person.email and person.email.endswith(company.domain) and roll & _WEBSITE_BITS == _WEBSITE_BITS:
        record["Website"] = _SITE_FORMS[roll % 4].format(d=company.domain)


def _marketing(rng: random.Random, record: dict[str, Any], life: Life) -> None:
    source = life.source
    if source is None:
        return
    record["LeadSource"] = source.value
    if source.utm and rng.random() < 0.7:  # noqa: PLR2004
        utm = source.utm[below(rng, len(source.utm))]
        record["UTM_Source__c"] = utm
        record["UTM_Medium__c"] = _MEDIUM.get(source.value, "organic")
        record["UTM_Campaign__c"] = (
            f"{2024 + below(rng, 3)}-q{1 + below(rng, 4)}-{utm}-{source.value.lower().replace(' ', '-')}"
        )


def _conversion(ctx: OrgContext, record: dict[str, Any], life: Life) -> None:
    record["IsConverted"] = life.converted_at is not None
    if life.converted_at is None:
        return
    layout, mint = ctx.layout, ctx.mint
    record["ConvertedDate"] = rest_date(life.converted_at)
    record["ConvertedAccountId"] = mint["Account"](layout.conv_account[life.rank])
    record["ConvertedContactId"] = mint["Contact"](layout.direct_contacts + life.rank)
    if life.opportunity:
        record["ConvertedOpportunityId"] = mint["Opportunity"](life.rank)


def _audit(record: dict[str, Any], life: Life) -> None:
    record["CreatedDate"] = rest_datetime(life.created)
    record["CreatedById"] = life.creator
    record["LastModifiedDate"] = rest_datetime(life.modified)
    record["LastModifiedById"] = life.modified_by
    record["SystemModstamp"] = rest_datetime(life.modstamp)
    if life.last_activity is not None:
        record["LastActivityDate"] = rest_date(life.last_activity)


def lead_record(ctx: OrgContext, rng: random.Random, index: int, life: Life, person: Person) -> dict[str, Any]:
    """Return Lead `index` as a sparse REST record (a missing key is a null field)."""
    record: dict[str, Any] = {"Id": ctx.mint["Lead"](index), "IsDeleted": False}
    add_names(record, person)
    if person.title:
        record["Title"] = person.title
    record["Company"] = person.company or "[not provided]"  # what web-to-lead writes for a blank
    add_address(record, person)
    add_contact_points(record, person)
    _firmographics(ctx, rng, record, person)
    if rng.random() < 0.12:  # noqa: PLR2004
        record["Description"] = _DESCRIPTIONS[below(rng, len(_DESCRIPTIONS))].format(n=5 * between(rng, 1, 40))
    _marketing(rng, record, life)
    record["Status"] = life.status
    if rng.random() < 0.5:  # noqa: PLR2004
        record["Rating"] = _RATINGS[below(rng, len(_RATINGS))]
    record["OwnerId"] = life.owner
    _conversion(ctx, record, life)
    _flags(ctx, rng, record, life)
    _audit(record, life)
    if index in ctx.layout.lead_plants:
        _plant(ctx, record, person, life, index)
    return record


def _flags(ctx: OrgContext, rng: random.Random, record: dict[str, Any], life: Life) -> None:
    """Set the booleans (never null in REST) and the org's scoring fields."""
    fresh = ctx.now - life.created < 30 * DAY
    unread = life.owner.startswith("005") and not life.tasks and life.converted_at is None and fresh
    record["IsUnreadByOwner"] = unread and rng.random() < 0.7  # noqa: PLR2004
    record["HasOptedOutOfEmail"] = rng.random() < 0.04  # noqa: PLR2004
    record["DoNotCall"] = rng.random() < 0.03  # noqa: PLR2004
    record["HasOptedOutOfFax"] = rng.random() < 0.01  # noqa: PLR2004
    if life.score is not None:
        record["Lead_Score__c"] = life.score
    record["Ready_To_Convert__c"] = life.status == SQL and life.converted_at is None and rng.random() < 0.6  # noqa: PLR2004
    if life.disqualified:
        record["Disqualified_Reason__c"] = life.disqualified


def _plant(ctx: OrgContext, record: dict[str, Any], person: Person, life: Life, index: int) -> None:
    plant = ctx.layout.lead_plants.get(index)
    if plant is None:
        return
    if plant.body == "premature":
        for flag in plant.arg:
            if flag.startswith("blank:"):
                record.pop(flag.split(":", 1)[1], None)
    elif plant.body == "junk" and plant.arg[0] in _JUNK_NOTES:
        record["Description"] = _JUNK_NOTES[plant.arg[0]]
    else:
        plant_fault(record, person, plant, window=(life.created, ctx.now), turn=index)
