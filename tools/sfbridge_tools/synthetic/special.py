"""Identities of planted leads that are not ordinary prospects: junk, hard negatives, account matches."""

from __future__ import annotations

import copy
import random
from typing import TYPE_CHECKING

from sfbridge_tools.synthetic.companies import Company
from sfbridge_tools.synthetic.geo import COUNTRIES
from sfbridge_tools.synthetic.people import Person, colleague, free_email, private_person, token
from sfbridge_tools.synthetic.phones import phone_for, render
from sfbridge_tools.synthetic.pools import Name
from sfbridge_tools.synthetic.seeding import below, mix
from sfbridge_tools.synthetic.vocab import COMPETITORS, DISPOSABLE_DOMAINS, FREE_MAIL, OWN_COMPANY, STUDENT_DOMAINS

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.planting import Plant

__all__ = ["account_match", "hard_negative", "junk"]

_TEST_NAMES = (
    ("Test", "Test"),
    ("asdf", "asdf"),
    ("Mickey", "Mouse"),
    ("Test", "Lead"),
    ("Donald", "Duck"),
    ("Foo", "Bar"),
)
_TEST_COMPANIES = ("Test", "asdf", "Test Company", "ACME Test", "N/A", "xxx")
_JOBLESS = ("N/A", "Self-employed", "None", "Between jobs")
_JOB_TITLES = ("Job Seeker", "Looking for a job", "Open to work")
_STUDENT_TITLES = ("Student", "Graduate Student", "MBA Student")
_US = COUNTRIES[0]


def _pseudo_company(base: str, domain: str, key: int) -> Company:
    """A company outside the CompanyBook (competitor, university, the org itself)."""
    return Company(
        index=-key,
        base=base,
        country=_US,
        city=_US.cities[key % len(_US.cities)],
        industry="Technology",
        suffix="",
        the=False,
        domain=domain,
        email_pattern=0,
        employees=500,
        street_seed=mix(key, 5),
        surname_seed=mix(-key, 11),
    )


def junk(ctx: OrgContext, rng: random.Random, index: int, plant: Plant) -> Person:
    """Return a junk lead: competitor, student, job seeker, test record, disposable or internal."""
    reason, nth = plant.arg
    d = ctx.directory
    if reason in {"competitor", "student", "internal_employee"}:
        table = {"competitor": COMPETITORS, "student": STUDENT_DOMAINS, "internal_employee": (OWN_COMPANY,)}[reason]
        name, domain = table[nth % len(table)]
        key = 1000 + 10 * ("competitor", "student", "internal_employee").index(reason) + nth % len(table)
        person = colleague(d, rng, _pseudo_company(name, domain, key), nth // len(table), index)
        person.company = name
        if reason == "student":
            person.title, person.department = _STUDENT_TITLES[nth % 3], None
        return person
    person = private_person(d, rng, _US, index, company="")
    if reason == "job_seeker":
        person.company, person.title = _JOBLESS[nth % len(_JOBLESS)], _JOB_TITLES[nth % len(_JOB_TITLES)]
    elif reason == "disposable_email":
        company, slot = ctx.layout.lead_company(index)
        person = colleague(d, rng, ctx.directory.companies.get(company), slot, index)
        local = f"{person.first.slug.replace('-', '')}{token(d, index)}"
        person.email = f"{local}@{DISPOSABLE_DOMAINS[nth % len(DISPOSABLE_DOMAINS)]}"
    else:  # test_record
        first, last = _TEST_NAMES[nth % len(_TEST_NAMES)]
        person.first, person.last = Name(first, first, first.lower()), Name(last, last, last.lower())
        person.company = _TEST_COMPANIES[nth % len(_TEST_COMPANIES)]
        person.email = (
            "test@example.com" if nth == 0 else f"{first.lower()}{nth}@example.{('com', 'org', 'net')[nth % 3]}"
        )
        person.phone = person.mobile = person.street = person.postcode = person.title = None
        person.phone_line = None
    return person


def account_match(ctx: OrgContext, rng: random.Random, index: int, plant: Plant) -> Person:
    """Return a new colleague at an existing Account, who filled a form as a lead."""
    how, account, slot = plant.arg
    company = ctx.directory.companies.get(account)
    person = colleague(ctx.directory, rng, company, slot, index, freemail=how == "name_other_case")
    if how == "name_without_suffix":
        person.company = company.base
    elif how == "name_other_case":
        person.company = company.official_name.upper() if rng.random() < 0.5 else company.base.lower()  # noqa: PLR2004
    else:  # only the e-mail domain ties the lead to the Account
        initials = "".join(w[0] for w in company.base.replace("&", " ").split()).upper()
        person.company = f"{initials if len(initials) > 1 else company.base[:4].upper()} {company.city.name}"
    return person


def _natural(ctx: OrgContext, rng: random.Random, index: int, **kw: object) -> Person:
    company, slot = ctx.layout.lead_company(index)
    return colleague(ctx.directory, rng, ctx.directory.companies.get(company), slot, index, **kw)  # type: ignore[arg-type]


def _other_first(ctx: OrgContext, rng: random.Random, partner: Person, *, initial: bool) -> Name:
    pool = ctx.directory.pools[partner.country.code]
    names = pool.female if partner.female else pool.male
    for _ in range(200):
        name = names[below(rng, len(names))]
        if name.slug != partner.first.slug and (not initial or name.slug[:1] == partner.first.slug[:1]):
            return name
    return Name(partner.first.text + "a", partner.first.plain + "a", partner.first.slug + "a")


def hard_negative(ctx: OrgContext, rng: random.Random, index: int, plant: Plant, partner_of: object) -> Person:
    """Return one side of a pair that must never be merged (see `planting` hard kinds)."""
    kind, role, partner_ref, *extra = plant.arg
    d = ctx.directory
    if role == "a":
        person = _natural(ctx, rng, index, freemail=kind == "relatives_home_phone")
        if kind == "shared_switchboard":
            company = d.companies.get(person.company_index)
            person.phone_line = phone_for(company.country.code, d.switchboard_index(company.index))
            person.phone = render(person.phone_line, rng)
        elif kind == "freemail_vs_business":
            person.email = f"{person.first.slug[:1]}.{person.last.slug}@{d.companies.get(person.company_index).domain}"
        return person
    partner: Person = partner_of(partner_ref)  # type: ignore[operator]
    if kind == "shared_switchboard":
        company = d.companies.get(partner.company_index)
        person = colleague(d, rng, company, extra[0], index)
        person.phone_line = partner.phone_line
        person.phone = render(partner.phone_line, rng) if partner.phone_line else partner.phone
        return person
    person = _natural(ctx, rng, index, freemail=True)
    if kind == "same_name_other_company":
        person.first, person.last = partner.first, partner.last
    elif kind == "relatives_home_phone":  # one household: same surname, home line and address
        person.first, person.last = _other_first(ctx, rng, partner, initial=False), partner.last
        person.country, person.city, person.street, person.postcode = (
            partner.country,
            partner.city,
            partner.street,
            partner.postcode,
        )
        person.phone_line, person.mobile = partner.phone_line, None  # a mobile from another country would not parse
        person.phone = render(partner.phone_line, rng) if partner.phone_line else partner.phone
    else:  # freemail_vs_business
        person.first, person.last = _other_first(ctx, rng, partner, initial=True), partner.last
        person.email = f"{person.first.slug[:1]}.{person.last.slug}{token(d, index)}@gmail.com"
    if kind != "freemail_vs_business":
        person.email = free_email(rng, FREE_MAIL[person.country.code], person.first, person.last, token(d, index))
    return copy.copy(person)
