"""Account and Opportunity records."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from sfbridge_tools.synthetic.clock import DAY, HOUR, rest_date, rest_datetime
from sfbridge_tools.synthetic.people import Directory
from sfbridge_tools.synthetic.phones import phone_for, render
from sfbridge_tools.synthetic.seeding import below, between
from sfbridge_tools.synthetic.vocab import SOURCES

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.lifecycle import Life

__all__ = ["account_opportunities", "account_record", "lead_opportunity"]

# fmt: off
_TYPES = (("Prospect", 40), ("Customer - Direct", 35), ("Customer - Channel", 10), ("Channel Partner / Reseller", 5),
          ("Technology Partner", 4), ("Installation Partner", 2), ("Other", 4))
_TYPE_TABLE = tuple(t for t, w in _TYPES for _ in range(w))
# Each stage with its probability, forecast category value and that value's label.
_STAGES = (
    ("Prospecting", 10, "Pipeline", "Pipeline"), ("Qualification", 10, "Pipeline", "Pipeline"),
    ("Needs Analysis", 20, "Pipeline", "Pipeline"), ("Value Proposition", 50, "BestCase", "Best Case"),
    ("Id. Decision Makers", 60, "BestCase", "Best Case"), ("Perception Analysis", 70, "BestCase", "Best Case"),
    ("Proposal/Price Quote", 75, "BestCase", "Best Case"), ("Negotiation/Review", 90, "Forecast", "Commit"),
)
_WON = ("Closed Won", 100, "Closed", "Closed")
_LOST = ("Closed Lost", 0, "Omitted", "Omitted")
# fmt: on

_SITES = ("https://www.{d}", "www.{d}", "http://{d}", "{d}")


def account_record(ctx: OrgContext, rng: random.Random, index: int) -> dict[str, Any]:
    """Return Account `index` as a sparse REST record."""
    company = ctx.directory.companies.get(index)
    created = ctx.account_created(index)
    record: dict[str, Any] = {"Id": ctx.mint["Account"](index), "IsDeleted": False, "Name": company.official_name}
    kind = _TYPE_TABLE[below(rng, len(_TYPE_TABLE))]
    record["Type"] = kind
    billing = _address(ctx.directory, index)
    record.update(billing)
    if rng.random() < 0.5:  # noqa: PLR2004
        record.update({key.replace("Billing", "Shipping"): value for key, value in billing.items()})
    line = phone_for(company.country.code, ctx.directory.switchboard_index(index))
    record["Phone"] = render(line, rng)
    record["Website"] = _SITES[below(rng, len(_SITES))].format(d=company.domain)
    record["Industry"] = company.industry
    record["AnnualRevenue"] = float(company.employees * (100 + below(rng, 200)) * 1000)
    record["NumberOfEmployees"] = company.employees
    record["Ownership"] = "Public" if company.employees > 5_000 else "Private"  # noqa: PLR2004
    if rng.random() < 0.6:  # noqa: PLR2004
        record["Rating"] = ("Hot", "Warm", "Cold")[below(rng, 3)]
    record["OwnerId"] = ctx.account_owner(index)
    record["AccountSource"] = SOURCES[below(rng, len(SOURCES))].value
    if rng.random() < 0.3:  # noqa: PLR2004
        record["AccountNumber"] = f"CD{100_000 + index}"
    modified = created + below(rng, max(1, ctx.now - created))
    record.update(
        CreatedDate=rest_datetime(created),
        CreatedById=ctx.staff.admin if rng.random() < 0.4 else record["OwnerId"],  # noqa: PLR2004
        LastModifiedDate=rest_datetime(modified),
        LastModifiedById=record["OwnerId"],
        SystemModstamp=rest_datetime(modified),
        IsPartner=False,
        IsCustomerPortal=False,
    )
    if kind.startswith("Customer"):
        record["Customer_Since__c"] = rest_date(created + below(rng, max(1, ctx.now - created)))
    return record


def _address(directory: Directory, index: int) -> dict[str, Any]:
    company = directory.companies.get(index)
    street, code = directory.address(company)
    out = {"BillingStreet": street, "BillingCity": company.city.name}
    if company.city.state:
        out["BillingState"] = company.city.state
    out["BillingPostalCode"] = code
    out["BillingCountry"] = company.country.name
    return out


def _opportunity(ctx: OrgContext, rng: random.Random, created: int, owner: str, name: str) -> dict[str, Any]:
    age = ctx.now - created
    if age > 90 * DAY or rng.random() < age / (90 * DAY) * 0.5:
        stage = _WON if rng.random() < 0.45 else _LOST  # noqa: PLR2004
        closed = min(ctx.now - HOUR, created + between(rng, 7 * DAY, 120 * DAY))
        close_date, modified = closed, closed
    else:
        stage = _STAGES[below(rng, len(_STAGES))]
        close_date = ctx.now + between(rng, 10 * DAY, 120 * DAY)
        modified = created + below(rng, max(1, ctx.now - created))
    amount = float(round(rng.lognormvariate(10.2, 0.9), -2))
    day = rest_date(close_date)
    return {
        "IsDeleted": False,
        "IsPrivate": False,
        "Name": name,
        "StageName": stage[0],
        "Amount": amount,
        "Probability": float(stage[1]),
        "ExpectedRevenue": amount * stage[1] / 100,
        "CloseDate": day,
        "IsClosed": stage[0].startswith("Closed"),
        "IsWon": stage[0] == "Closed Won",
        "ForecastCategory": stage[2],
        "ForecastCategoryName": stage[3],
        "HasOpportunityLineItem": False,
        "OwnerId": owner,
        "CreatedDate": rest_datetime(created),
        "CreatedById": owner,
        "LastModifiedDate": rest_datetime(modified),
        "LastModifiedById": owner,
        "SystemModstamp": rest_datetime(modified),
        "LastStageChangeDate": rest_datetime(modified),
        "FiscalYear": int(day[:4]),
        "FiscalQuarter": (int(day[5:7]) + 2) // 3,
        "Fiscal": f"{day[:4]} {(int(day[5:7]) + 2) // 3}",
        "HasOpenActivity": False,
        "HasOverdueTask": False,
    }


def lead_opportunity(ctx: OrgContext, rng: random.Random, life: Life) -> dict[str, Any]:
    """Return the Opportunity created when a lead converted (`life.opportunity` is true)."""
    assert life.converted_at is not None  # noqa: S101 (callers pass converted leads only)
    account = ctx.layout.conv_account[life.rank]
    company = ctx.directory.companies.get(account)
    record = {"Id": ctx.mint["Opportunity"](life.rank), "AccountId": ctx.mint["Account"](account)}
    record.update(_opportunity(ctx, rng, life.converted_at, life.owner, f"{company.base} - New Business"))
    record["Type"] = "New Customer"
    if life.source is not None:
        record["LeadSource"] = life.source.value
    return record


def account_opportunities(ctx: OrgContext, rng: random.Random, index: int) -> list[dict[str, Any]]:
    """Return the upsell and renewal Opportunities reps opened directly on Account `index`."""
    count = (0, 0, 0, 0, 0, 0, 1, 1, 1, 2)[below(rng, 10)]
    company = ctx.directory.companies.get(index)
    out = []
    for k in range(count):
        created = ctx.account_created(index) + between(rng, DAY, max(2 * DAY, ctx.now - ctx.account_created(index)))
        counter = len(ctx.layout.conv_leads) + 2 * index + k
        name = f"{company.base} - {('Expansion', 'Renewal', 'Add-on Licenses')[below(rng, 3)]}"
        record = {"Id": ctx.mint["Opportunity"](counter), "AccountId": ctx.mint["Account"](index)}
        record.update(_opportunity(ctx, rng, min(created, ctx.now - HOUR), ctx.account_owner(index), name))
        record["Type"] = ("Existing Customer - Upgrade", "Existing Customer - Replacement")[below(rng, 2)]
        out.append(record)
    return out
