"""Duplicate variants: the same person typed again the ways people and imports really do it.

Every recipe keeps the evidence a careful matcher needs, either the same normalised e-mail
(case and whitespace, gmail dots and +tags) or the same name (nickname-, accent- and
order-aware) with the same phone line; the surface text differs.
"""

from __future__ import annotations

import copy
import random
from typing import TYPE_CHECKING

from sfbridge_tools.synthetic.people import Person, business_email
from sfbridge_tools.synthetic.phones import render
from sfbridge_tools.synthetic.pools import Name, fold, slug
from sfbridge_tools.synthetic.seeding import below, between
from sfbridge_tools.synthetic.vocab import ACCENTED_FIRST, FREE_MAIL, NICKNAMES

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.companies import CompanyBook

__all__ = ["base_first_name", "make_variant"]

_FEMALE_FORMAL = (
    "Elizabeth",
    "Margaret",
    "Katherine",
    "Jennifer",
    "Patricia",
    "Susan",
    "Deborah",
    "Rebecca",
    "Victoria",
    "Abigail",
    "Dorothy",
)
_FEMALE_ACCENTED = ("Chloé", "Renée", "Zoë", "Inés", "Léa", "Ángela")
_HALF = 0.5
_TAGS = ("+crm", "+webinar", "+newsletter", "+work", "+sf")


def _name(text: str) -> Name:
    return Name(text, fold(text), slug(text))


def base_first_name(recipes: tuple[str, ...], rng: random.Random, *, female: bool) -> Name | None:
    """Return the given name a cluster's base person needs for its recipes, or None."""
    if "nickname" in recipes:
        names = _FEMALE_FORMAL if female else tuple(n for n in NICKNAMES if n not in _FEMALE_FORMAL)
        return _name(names[below(rng, len(names))])
    if "accents" in recipes:
        names = _FEMALE_ACCENTED if female else tuple(n for n in ACCENTED_FIRST if n not in _FEMALE_ACCENTED)
        return _name(names[below(rng, len(names))])
    return None


def _rephone(person: Person, rng: random.Random) -> str | None:
    if person.phone_line is None:
        return person.phone
    for _ in range(8):
        text = render(person.phone_line, rng)
        if text != person.phone:
            return text
    return person.phone


def _case(email: str, rng: random.Random) -> str:
    local, domain = email.split("@", 1)
    cased = (local.title(), local.upper(), local.capitalize())[below(rng, 3)] + "@" + domain.title()
    if cased == email:
        cased = email.upper()
    return (cased, f" {cased}", f"{cased} ")[below(rng, 3)]


def _gmail(email: str, rng: random.Random) -> str:
    local, domain = email.split("@", 1)
    bare = local.replace(".", "")
    roll = below(rng, 3)
    if roll == 0 and local != bare:
        out = bare
    elif roll == 1:
        out = ".".join(bare[i : i + 3] for i in range(0, len(bare), 3))
    else:
        out = local + _TAGS[below(rng, len(_TAGS))]
    return (out if out != local else local + "+x") + "@" + domain


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4 or not text.isalpha():  # noqa: PLR2004
        return text + text[-1]
    i = between(rng, 1, len(text) - 2)
    roll = below(rng, 3)
    if roll == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # transposed letters
    if roll == 1:
        return text[:i] + text[i + 1 :]  # dropped letter
    return text[:i] + text[i] + text[i:]  # doubled letter


def _nickname(person: Person, rng: random.Random, companies: CompanyBook) -> None:
    options = NICKNAMES.get(person.first.text, ("Alex",))
    nick = _name(options[below(rng, len(options))])
    if person.email and person.company_index >= 0 and not person.email.endswith(("gmail.com",)) and "@" in person.email:
        company = companies.get(person.company_index)
        if person.email.endswith("@" + company.domain):
            person.email = business_email(company, nick, person.last, person.cycle)
    elif person.email:
        local, domain = person.email.split("@", 1)
        person.email = local.replace(person.first.slug, nick.slug, 1) + "@" + domain
    person.first = nick
    person.phone = _rephone(person, rng)


def _company_suffix(person: Person, rng: random.Random, companies: CompanyBook) -> None:
    if person.company_index < 0:
        return
    company = companies.get(person.company_index)
    if company.suffix:
        person.company = company.base.upper() if rng.random() < 0.4 else company.base  # noqa: PLR2004
    else:
        suffix = company.country.suffixes[below(rng, len(company.country.suffixes))]
        person.company = company.base + (suffix if suffix.startswith(",") else " " + suffix)


def _email_case(person: Person, rng: random.Random, _companies: CompanyBook) -> None:
    if person.email:
        person.email = _case(person.email, rng)
        person.phone = _rephone(person, rng)


def _gmail_form(person: Person, rng: random.Random, _companies: CompanyBook) -> None:
    if person.email:
        person.email = _gmail(person.email, rng)


def _transposed(person: Person, _rng: random.Random, _companies: CompanyBook) -> None:
    person.first, person.last = person.last, person.first


def _accents(person: Person, _rng: random.Random, _companies: CompanyBook) -> None:
    person.first, person.last = _name(person.first.plain), _name(person.last.plain)


def _typo_form(person: Person, rng: random.Random, _companies: CompanyBook) -> None:
    # Typed in Latin letters: a typo in kanji is not a typo people make.
    written = person.last.text if fold(person.last.text) == person.last.plain else person.last.plain
    person.last = _name(_typo(written, rng))


def _phone_format(person: Person, rng: random.Random, _companies: CompanyBook) -> None:
    person.phone = _rephone(person, rng)
    provider = FREE_MAIL[person.country.code][-1]  # a personal address, or none at all
    personal = f"{person.first.slug}.{person.last.slug}.{person.number}@{provider}"
    person.email = None if rng.random() < _HALF else personal


def _missing_email(person: Person, _rng: random.Random, _companies: CompanyBook) -> None:
    person.email = None


_RECIPES = {
    "email_case": _email_case,
    "gmail": _gmail_form,
    "nickname": _nickname,
    "transposed": _transposed,
    "accents": _accents,
    "typo": _typo_form,
    "phone_format": _phone_format,
    "company_suffix": _company_suffix,
    "missing_email": _missing_email,
}


def make_variant(base: Person, recipe: str, rng: random.Random, companies: CompanyBook) -> Person:
    """Return a copy of `base` typed again according to `recipe` (see `planting.RECIPES`)."""
    person = copy.copy(base)
    _RECIPES[recipe](person, rng, companies)
    if recipe in {"transposed", "typo"} and rng.random() < _HALF:
        person.phone, person.mobile = None, None
    if rng.random() < 0.4:  # noqa: PLR2004 (the second form left the address out)
        person.street, person.postcode = None, None
    return person
