"""People: names by company slot, business and free-mail addresses, phone lines, addresses.

Uniqueness comes from construction, not from lookups: a person's surname is the slot-th
surname of their company's country pool (offset per company), so colleagues never share a
surname slug and business addresses never collide; free-mail addresses and phone lines carry
the person's number, which is unique in the org.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sfbridge_tools.synthetic.companies import Company, CompanyBook
from sfbridge_tools.synthetic.geo import City, Country, postcode, street_line
from sfbridge_tools.synthetic.phones import Phone, phone_for, render
from sfbridge_tools.synthetic.pools import Name, NamePool
from sfbridge_tools.synthetic.seeding import below, mix
from sfbridge_tools.synthetic.vocab import FREE_MAIL, TITLES

__all__ = ["Directory", "Person", "business_email", "colleague", "free_email", "private_person", "token"]

_SALUTATIONS_F = ("Ms.", "Ms.", "Mrs.", "Dr.")
_SALUTATIONS_M = ("Mr.", "Mr.", "Mr.", "Dr.", "Prof.")
_LOCAL_TITLES = {"DE": 27, "FR": 28, "ES": 30, "MX": 30, "IT": 31, "NL": 32}
_ENGLISH_TITLES = 27


@dataclass(frozen=True, slots=True)
class Directory:
    """What person construction needs from the org: name pools, companies, number spaces.

    Attributes:
        pools: name pools by country code.
        companies: the org's companies.
        people: size of the person-number space (Leads + Contacts).
    """

    pools: dict[str, NamePool]
    companies: CompanyBook
    people: int
    addresses: dict[int, tuple[str, str]] = field(default_factory=dict)
    token_digits: int = field(init=False)

    def __post_init__(self) -> None:
        """Fix the free-mail token width: digits of the person-number space, at least 3."""
        object.__setattr__(self, "token_digits", max(3, len(str(self.people))))

    def address(self, company: Company) -> tuple[str, str]:
        """Return (street line, postcode) of a company's office, computed once per company."""
        cached = self.addresses.get(company.index)
        if cached is None:
            pool = self.pools[company.country.code]
            street = pool.streets[company.street_seed % len(pool.streets)]
            cached = (
                street_line(company.street_seed >> 8, company.country, street),
                postcode(mix(company.index, 13), company.city),
            )
            self.addresses[company.index] = cached
        return cached

    def mobile_index(self, number: int) -> int | None:
        """Phone index of a person's mobile: every fourth person has one."""
        return None if number % 4 else self.people + number // 4

    def switchboard_index(self, company_index: int) -> int:
        """Phone index of a company's main line, after every person line."""
        return self.people + self.people // 4 + 1 + company_index


@dataclass(slots=True)
class Person:
    """A person as a Lead or Contact carries them; fields are REST values or None."""

    first: Name
    last: Name
    female: bool
    country: Country
    city: City
    street: str | None
    postcode: str | None
    email: str | None
    phone_line: Phone | None
    phone: str | None
    mobile: str | None
    company: str
    company_index: int
    title: str | None
    department: str | None
    salutation: str | None
    number: int
    cycle: int = 0


def _first(pool: NamePool, rng: random.Random, *, female: bool) -> Name:
    names = pool.female if female else pool.male
    return names[rng.getrandbits(24) % len(names)]


def _written(name: Name, rng: random.Random, country: Country) -> Name:
    # Half the Japanese people in a Western org's CRM are typed in romaji.
    if country.code == "JP" and rng.random() < 0.5:  # noqa: PLR2004
        return Name(name.plain, name.plain, name.slug)
    return name


def business_email(company: Company, first: Name, last: Name, cycle: int) -> str:
    """Return a colleague's address in the company's pattern; `cycle` > 0 disambiguates."""
    given, family = first.slug.replace("-", "") or "x", last.slug or "x"
    pattern = company.email_pattern
    if cycle:
        local = f"{given}.{family}{cycle + 1}"
    elif pattern == 0:
        local = f"{given}.{family}"
    elif pattern == 1:
        local = given[0] + family
    elif pattern == 2:  # noqa: PLR2004 (pattern numbers, see companies)
        local = f"{given[0]}.{family}"
    else:
        local = f"{given}_{family}" if pattern == 3 else f"{family}.{given}"  # noqa: PLR2004
    return f"{local}@{company.domain}"


_GMAIL_SHARE = 0.45  # of personal addresses, everywhere


def free_email(rng: random.Random, providers: tuple[str, ...], first: Name, last: Name, token: str) -> str:
    """Return a personal address; `token` (unique per person) keeps it unique in the org.

    Args:
        rng: the record's stream.
        providers: the country's free-mail domains (``("gmail.com",)`` forces gmail).
        first: given name.
        last: family name.
        token: digits unique to the person (see `token`).
    """
    domain = "gmail.com" if rng.random() < _GMAIL_SHARE else providers[below(rng, len(providers))]
    given, family = first.slug.replace("-", "") or "x", last.slug.replace("-", "") or "x"
    head = (f"{given}.{family}", given + family, given[0] + family, f"{family}.{given}")[below(rng, 4)]
    return f"{head}{token}@{domain}"


def token(directory: Directory, number: int) -> str:
    """Return the digits a person appends to personal addresses (injective in `number`)."""
    return str((number * 7_919 + 13) % 10**directory.token_digits)


def _title(rng: random.Random, country: Country) -> tuple[str, str]:
    local = _LOCAL_TITLES.get(country.code)
    if local is not None and rng.random() < 0.15:  # noqa: PLR2004
        return TITLES[local]
    return TITLES[below(rng, _ENGLISH_TITLES)]


def _lines(directory: Directory, rng: random.Random, country: Country, number: int) -> tuple[Phone, str, str | None]:
    line = phone_for(country.code, number)
    mobile_index = directory.mobile_index(number)
    mobile = None if mobile_index is None else render(phone_for(country.code, mobile_index), rng)
    return line, render(line, rng, extension_rate=0.04), mobile


def _slot_names(
    pool: NamePool, rng: random.Random, company: Company, slot: int, *, female: bool | None
) -> tuple[Name, Name, bool, int]:
    """Return (given name, slot surname, gender, e-mail cycle) of a company's `slot`."""
    r = rng.random
    drawn_female = r() < 0.5  # noqa: PLR2004
    female = drawn_female if female is None else female
    lasts = pool.last_female if female else pool.last
    names = pool.female if female else pool.male
    cycle, offset = slot // len(lasts), (company.surname_seed + slot) % len(lasts)
    first, last = names[int(r() * len(names))], lasts[offset]
    if company.country.code == "JP":
        first, last = _written(first, rng, company.country), _written(last, rng, company.country)
    return first, last, female, cycle


def colleague(  # noqa: PLR0913 (each override is a planted-record need)
    directory: Directory,
    rng: random.Random,
    company: Company,
    slot: int,
    number: int,
    *,
    freemail: bool = False,
    gmail: bool = False,
    first: Name | None = None,
    female: bool | None = None,
) -> Person:
    """Return the person in `slot` of `company` (slots of one company never share a surname).

    Args:
        directory: org-wide pools and number spaces.
        rng: the record's stream.
        company: where the person works.
        slot: the person's place among the company's people.
        number: the person's number (phone line, free-mail token).
        freemail: give a personal address instead of a business one.
        gmail: give a personal gmail.com address.
        first: use this given name instead of drawing one.
        female: the gender `first` goes with (drawn when not given).
    """
    country = company.country
    drawn, last, female, cycle = _slot_names(directory.pools[country.code], rng, company, slot, female=female)
    first = first or drawn
    if freemail or gmail:
        providers = ("gmail.com",) if gmail else FREE_MAIL[country.code]
        email = free_email(rng, providers, first, last, token(directory, number))
    else:
        email = business_email(company, first, last, cycle)
    line, phone, mobile = _lines(directory, rng, country, number)
    street, code = directory.address(company)
    title, department = _title(rng, country)
    return Person(
        first,
        last,
        female,
        country,
        company.city,
        street,
        code,
        email,
        line,
        phone,
        mobile,
        company.official_name,
        company.index,
        title,
        department,
        _salutation(rng, female=female),
        number,
        cycle,
    )


def private_person(directory: Directory, rng: random.Random, country: Country, number: int, *, company: str) -> Person:
    """Return someone outside any company of the org, with a personal address and home line."""
    pool = directory.pools[country.code]
    female = rng.random() < 0.5  # noqa: PLR2004
    lasts = pool.last_female if female else pool.last
    first = _written(_first(pool, rng, female=female), rng, country)
    last = _written(lasts[below(rng, len(lasts))], rng, country)
    line, phone, mobile = _lines(directory, rng, country, number)
    city = country.cities[below(rng, len(country.cities))]
    bits = rng.getrandbits(48)
    return Person(
        first=first,
        last=last,
        female=female,
        country=country,
        city=city,
        street=street_line(bits, country, pool.streets[bits % len(pool.streets)]),
        postcode=postcode(bits >> 16, city),
        email=free_email(rng, FREE_MAIL[country.code], first, last, token(directory, number)),
        phone_line=line,
        phone=phone,
        mobile=mobile,
        company=company,
        company_index=-1,
        title=None,
        department=None,
        salutation=_salutation(rng, female=female),
        number=number,
    )


def _salutation(rng: random.Random, *, female: bool) -> str | None:
    if rng.random() < 0.6:  # noqa: PLR2004 (most forms leave it blank)
        return None
    options = _SALUTATIONS_F if female else _SALUTATIONS_M
    return options[below(rng, len(options))]
