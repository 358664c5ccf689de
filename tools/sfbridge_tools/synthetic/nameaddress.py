r"""Labelled people who share only a name and a postal address: FEBRL-style duplicates and hard negatives.

Leads as a trade-show list, a purchased list or a web form without email produce them: no
email, no phone, Salesforce's placeholder company ("[not provided]", sometimes blank or
"N/A"), a first and last name and an address in the United States (most), the United
Kingdom, Germany, France, Canada or Spain. Each person gets an original record and zero to
four duplicates; each duplicate carries one to four modifications, as the FEBRL generator
(Christen, 2005) plants them:

- typos in names, street and city (a letter inserted, deleted, substituted by a keyboard
  neighbour, or two letters transposed), first and last name swapped, a nickname or an initial
  for the first name (Robert → Bob, Bob → Robert), the record in capitals or lower case,
  accents dropped (Müller → Muller, Straße → Strasse);
- the street type abbreviated or written out (Street ↔ St, Avenue ↔ Ave, Straße ↔ Str.,
  rue ↔ r., Calle ↔ C/), an apartment or unit added or dropped, a postcode typo, a ZIP+4 or
  a postcode without its space, state and country written another way (CA ↔ California,
  United States ↔ USA) or left out, a missing first name, street, postcode or city.

A duplicate always keeps its street or its postcode, and at least one name: a careful person
could still tell it is the same person. Hard negatives are planted beside them (each a person
of its own, with duplicates of its own): family members at the same address (same surname,
another first name), namesakes (same first and last name, another address in the same city)
and neighbours (same street and postcode, another house number, another name).

The output is deterministic for a seed and a Faker version (names come from the demo
generator's Faker pools). ``cluster`` is the truth; ``role``, ``related`` and ``noise`` say
how each record was made. Write a file with::

    python -m sfbridge_tools.synthetic.nameaddress --records 1500 --seed 12 \
        --out fixtures/labelled/nameaddress/nameaddress_1500.csv
"""

from __future__ import annotations

import argparse
import functools
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import polars as pl

from sfbridge_tools.synthetic.geo import COUNTRIES, City, postcode
from sfbridge_tools.synthetic.pools import NamePool, build_name_pools, fold
from sfbridge_tools.synthetic.seeding import Kind, fresh_rng, reseed
from sfbridge_tools.synthetic.vocab import NICKNAMES

__all__ = ["COLUMNS", "NOISE_KINDS", "generate_name_address", "main"]

T = TypeVar("T")

#: The columns of a generated set: people fields, then the truth and how each record was made.
COLUMNS = (
    "record_id",
    "first_name",
    "last_name",
    "company",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "cluster",
    "role",
    "related",
    "noise",
)

# fmt: off
_COUNTRY_WEIGHTS = {"US": 0.55, "GB": 0.13, "DE": 0.09, "FR": 0.08, "CA": 0.08, "ES": 0.07}
#: How the Country field is written: the usual form first, then what people also type.
_COUNTRY_FORMS = {
    "US": ("United States", "USA", "US", "U.S.", "United States of America"),
    "GB": ("United Kingdom", "UK", "GB", "England", "Great Britain"),
    "DE": ("Germany", "Deutschland", "DE"),
    "FR": ("France", "FR"),
    "CA": ("Canada", "CA"),
    "ES": ("Spain", "España", "ES"),
}
_STATE_NAMES = {
    "CA": "California", "WA": "Washington", "OR": "Oregon", "CO": "Colorado", "TX": "Texas", "IL": "Illinois",
    "MN": "Minnesota", "GA": "Georgia", "FL": "Florida", "MA": "Massachusetts", "NY": "New York",
    "PA": "Pennsylvania", "DC": "District of Columbia", "NC": "North Carolina", "TN": "Tennessee", "AZ": "Arizona",
    "UT": "Utah", "OH": "Ohio", "MI": "Michigan", "MO": "Missouri", "WI": "Wisconsin", "IN": "Indiana",
    "ON": "Ontario", "BC": "British Columbia", "QC": "Québec", "AB": "Alberta",
}
# Street types (written out, abbreviated) with relative weights; None where no short form is used.
_TYPES: dict[str, tuple[tuple[str, str | None, float], ...]] = {
    "US": (("Street", "St", 5), ("Avenue", "Ave", 4), ("Road", "Rd", 3), ("Drive", "Dr", 3), ("Lane", "Ln", 2),
           ("Boulevard", "Blvd", 1), ("Court", "Ct", 1), ("Place", "Pl", 1), ("Terrace", "Ter", 0.5),
           ("Parkway", "Pkwy", 0.5), ("Circle", "Cir", 0.5)),
    "GB": (("Street", "St", 4), ("Road", "Rd", 5), ("Avenue", "Ave", 2), ("Lane", "Ln", 2), ("Close", "Cl", 1),
           ("Crescent", "Cres", 1), ("Gardens", "Gdns", 1), ("Drive", "Dr", 1), ("Terrace", "Terr", 0.5),
           ("Place", "Pl", 0.5), ("Grove", "Gr", 0.5)),
    # German types are written joined to the name (Goethestraße); Straße is by far the most common.
    "DE": (("straße", "str.", 8), ("weg", None, 2), ("platz", "pl.", 1), ("allee", None, 1), ("ring", None, 0.5)),
    "FR": (("rue", "r.", 8), ("avenue", "av.", 3), ("boulevard", "bd", 2), ("place", "pl.", 1),
           ("impasse", "imp.", 0.5), ("allée", "all.", 0.5), ("chemin", "ch.", 0.5)),
    "ES": (("Calle", "C/", 8), ("Avenida", "Avda.", 3), ("Plaza", "Pza.", 1), ("Paseo", "Pº", 1),
           ("Camino", "Cno.", 0.5), ("Carretera", "Ctra.", 0.5)),
}
_TYPES["CA"] = _TYPES["US"]
_BASES = {
    "US": ("Main", "Oak", "Maple", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Walnut", "Sunset",
           "Jefferson", "Lincoln", "Madison", "Franklin", "Highland", "Church", "Spring", "Ridge", "Willow",
           "Chestnut", "Jackson", "River", "Meadow", "Forest", "Adams", "Mill", "Center", "Cherry", "Prospect",
           "Dogwood", "Hickory", "Sycamore", "Magnolia", "Birch", "Laurel", "Valley", "Lakeview", "Woodland",
           "Fairview", "Riverside", "Broad", "Market", "Union", "Grant", "Monroe", "Harrison", "Liberty", "Orchard"),
    "GB": ("High", "Station", "Church", "Victoria", "Green", "Manor", "Park", "Queens", "Kings", "London", "Mill",
           "School", "New", "Albert", "York", "Chapel", "Windsor", "North", "Grange", "Main", "Springfield",
           "Richmond", "Alexandra", "George", "Stanley", "Orchard", "Beech", "Oak", "Highfield", "Westfield",
           "Cromwell", "Nelson", "Princes", "Castle", "Bridge", "Market"),
    "DE": ("Haupt", "Bahnhof", "Schiller", "Goethe", "Garten", "Berg", "Kirch", "Linden", "Wald", "Schul", "Mozart",
           "Feld", "Dorf", "Wiesen", "Sonnen", "Friedhof", "Birken", "Rosen", "Eichen", "Tal", "Post", "Markt",
           "Mühlen", "Kant", "Beethoven", "Bismarck", "Buchen", "Blumen", "Brunnen", "Ahorn", "Tannen", "Jahn",
           "Luisen", "Friedrich", "Kaiser", "Park", "Burg", "Fichten", "Heide", "Schützen"),
    "FR": ("de la Paix", "Victor Hugo", "Jean Jaurès", "de la République", "Pasteur", "du Général de Gaulle",
           "Gambetta", "des Lilas", "Voltaire", "de la Gare", "du Moulin", "des Écoles", "Nationale", "Saint-Michel",
           "de Verdun", "Émile Zola", "de l'Église", "des Acacias", "du Château", "Jules Ferry", "Carnot",
           "de la Liberté", "des Tilleuls", "Foch", "de Paris", "Molière", "du Stade", "Sainte-Anne"),
    "ES": ("Mayor", "Real", "de Alcalá", "Gran Vía", "de la Constitución", "del Sol", "de Cervantes", "San Juan",
           "Nueva", "de la Paz", "de Colón", "de Goya", "Santa Ana", "del Carmen", "de España", "de Andalucía",
           "del Pilar", "de la Iglesia", "San Francisco", "Los Olivos", "de Toledo", "de Valencia", "del Mar",
           "Jacinto Benavente", "Doctor Fleming", "San Antonio", "de la Estación", "Antonio Machado"),
}
_BASES["CA"] = (*_BASES["US"], "Yonge", "Queen", "King", "Bloor", "Dundas", "Granville", "Robson", "Sherbrooke")
_FEMALE_FORMAL = frozenset({"Elizabeth", "Margaret", "Katherine", "Jennifer", "Patricia", "Susan", "Deborah",
                            "Rebecca", "Victoria", "Abigail", "Dorothy"})
_DIRECTIONS = (("North", "N"), ("South", "S"), ("East", "E"), ("West", "W"))
# Keyboard neighbours (QWERTY) for substitution typos.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# fmt: on
_NEIGHBOURS = {
    ch: "".join(
        row[k]
        for r, row in enumerate(_ROWS)
        for k in range(len(row))
        if abs(r - i) <= 1 and abs(k - j) <= 1 and (r, k) != (i, j)
    )
    for i, line in enumerate(_ROWS)
    for j, ch in enumerate(line)
}
_FORMAL = {nick.lower(): formal for formal, nicks in NICKNAMES.items() for nick in nicks}
# English given names with common nicknames are frequent in English-speaking countries; Faker's
# pools under-represent them, so a share of people there is given one.
_FORMAL_SHARE = 0.12
_ENGLISH = frozenset({"US", "GB", "CA"})

_DUPLICATES = ((0, 0.40), (1, 0.32), (2, 0.15), (3, 0.08), (4, 0.05))
_MODIFICATIONS = ((1, 0.35), (2, 0.35), (3, 0.20), (4, 0.10))
_RELATIONS = (("family", 0.06), ("namesake", 0.05), ("neighbour", 0.05))
_PLACEHOLDERS = (("[not provided]", 0.85), ("", 0.08), ("N/A", 0.07))
_UNIT_SHARE = 0.18
_SHORT_TYPE_SHARE = 0.35


@dataclass(frozen=True, slots=True)
class _Address:
    country: str
    house: int
    base: str
    kind: int  # index into _TYPES[country]
    direction: int | None  # index into _DIRECTIONS (US and Canada only)
    unit: int | None
    city: City
    postcode: str


@dataclass(frozen=True, slots=True)
class _Person:
    first: str
    last: str
    female: bool
    address: _Address


@dataclass(slots=True)
class _Draft:
    """One record before it is written out: the structure the modifications work on."""

    person: _Person
    first: str | None
    last: str | None
    address: _Address
    short_type: bool
    unit_line: bool
    zip4: str | None = None
    squeeze_postcode: bool = False
    state_form: int = 0  # 0 the code, 1 the full name, -1 missing
    country_form: int = 0  # index into _COUNTRY_FORMS, -1 missing
    street_missing: bool = False
    postcode_missing: bool = False
    city_missing: bool = False


def _weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights)[0]


class _World:
    """Names, streets and places to draw people from."""

    def __init__(self, pools: dict[str, NamePool], rng: random.Random) -> None:
        self.pools = pools
        self.rng = rng
        self.countries = {country.code: country for country in COUNTRIES if country.code in _COUNTRY_WEIGHTS}

    def country(self) -> str:
        return _weighted(self.rng, list(_COUNTRY_WEIGHTS.items()))

    def first(self, country: str, *, female: bool) -> str:
        pool = self.pools[country]
        if country in _ENGLISH and self.rng.random() < _FORMAL_SHARE:
            return self.rng.choice([name for name in NICKNAMES if (name in _FEMALE_FORMAL) == female])
        return self.rng.choice(pool.female if female else pool.male).text

    def last(self, country: str) -> str:
        return self.rng.choice(self.pools[country].last).text

    def street(self, country: str) -> tuple[str, int, int | None]:
        rng = self.rng
        # Half the streets are named after a surname of the country, half from common street names.
        base = rng.choice(self.pools[country].last).text if rng.random() < 0.5 else rng.choice(_BASES[country])  # noqa: PLR2004
        if country == "DE" and " " in base:
            base = base.split()[-1]
        kind = _weighted(rng, [(index, weight) for index, (_, _, weight) in enumerate(_TYPES[country])])
        direction = rng.randrange(len(_DIRECTIONS)) if country in {"US", "CA"} and rng.random() < 0.12 else None  # noqa: PLR2004
        return base, kind, direction

    def address(self, country: str) -> _Address:
        rng = self.rng
        city = rng.choice(self.countries[country].cities)
        base, kind, direction = self.street(country)
        unit = 1 + rng.randrange(40) if rng.random() < _UNIT_SHARE else None
        # Low house numbers are the most common, as on real streets.
        house = 1 + int((rng.paretovariate(1.0) - 1) * 25) % 1999
        return _Address(country, house, base, kind, direction, unit, city, postcode(rng.getrandbits(48), city))

    def person(self) -> _Person:
        country = self.country()
        female = self.rng.random() < 0.5  # noqa: PLR2004
        return _Person(self.first(country, female=female), self.last(country), female, self.address(country))


def _related(world: _World, other: _Person, relation: str) -> _Person:
    rng = world.rng
    country = other.address.country
    if relation == "namesake":
        # Same name, another address in the same city.
        moved = replace(world.address(country), city=other.address.city)
        moved = replace(moved, postcode=postcode(rng.getrandbits(48), other.address.city))
        return replace(other, address=moved)
    if relation == "family":
        # Same surname and address, a first name that is neither a variant nor a look-alike of theirs.
        female = rng.random() < 0.5  # noqa: PLR2004
        while True:
            first = world.first(country, female=female)
            if first[:3].lower() != other.first[:3].lower() and _formal(first) != _formal(other.first):
                return _Person(first, other.last, female, other.address)
    # Neighbour: same street, postcode and city, another house number and another person.
    female = rng.random() < 0.5  # noqa: PLR2004
    while True:
        house = max(1, other.address.house + rng.choice((-1, 1)) * (1 + rng.randrange(30)))
        if house != other.address.house:
            break
    unit = 1 + rng.randrange(40) if rng.random() < _UNIT_SHARE else None
    first = world.first(country, female=female)
    return _Person(first, world.last(country), female, replace(other.address, house=house, unit=unit))


def _formal(first: str) -> str:
    return _FORMAL.get(first.lower(), first).lower()


# --- modifications ------------------------------------------------------------------------


def _typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: insert, delete, substitute (a neighbouring key) or transpose a letter."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 3:  # noqa: PLR2004 (a typo in "Al" or "Li" makes another name)
        return text
    while True:
        # People get the first letter right far more often than the others.
        at = rng.choice(letters[1:]) if rng.random() < 0.9 else letters[0]  # noqa: PLR2004
        op = rng.choice(("insert", "delete", "substitute", "transpose"))
        ch = text[at]
        lower = ch.lower()
        if op == "delete":
            out = text[:at] + text[at + 1 :]
        elif op == "transpose":
            if at + 1 >= len(text) or not text[at + 1].isalpha():
                continue
            out = text[:at] + text[at + 1] + ch + text[at + 2 :]
        else:
            new = rng.choice(_NEIGHBOURS.get(lower) or string.ascii_lowercase)
            new = new.upper() if ch.isupper() else new
            out = text[:at] + new + text[at:] if op == "insert" else text[:at] + new + text[at + 1 :]
        if out != text:
            return out


def _nickname(rng: random.Random, first: str) -> str | None:
    formal = next((name for name in NICKNAMES if name.lower() == first.lower()), None)
    if formal is not None:
        return rng.choice(NICKNAMES[formal])
    return _FORMAL.get(first.lower())


# Modifications of one field that exclude each other (a typo in a value left out says nothing).
_EXCLUSIVE = (
    {"typo_first", "initial", "missing_first", "nickname"},
    {"typo_street", "missing_street"},
    {"typo_postcode", "missing_postcode", "postcode_format"},
    {"typo_city", "missing_city"},
)


def _has_nickname(first: str) -> bool:
    return first.lower() in _FORMAL or any(name.lower() == first.lower() for name in NICKNAMES)


def _applies(kind: str, draft: _Draft, chosen: Sequence[str]) -> bool:  # noqa: C901, PLR0911 (one answer per kind)
    address = draft.address
    if kind in chosen or any(kind in group and group.intersection(chosen) for group in _EXCLUSIVE):
        return False
    if kind == "nickname":
        return draft.first is not None and _has_nickname(draft.first)
    if kind in {"typo_first", "initial", "missing_first"}:
        return draft.first is not None and draft.last is not None and len(draft.first) > 1
    if kind == "abbreviation":
        return _TYPES[address.country][address.kind][1] is not None or address.direction is not None
    if kind == "accents":
        texts = (draft.first or "", draft.last or "", _street(draft) or "", address.city.name)
        return any(fold(text) != text for text in texts)
    if kind == "postcode_format":
        return address.country in {"US", "GB", "CA"} and not draft.postcode_missing
    if kind == "state_form":
        return address.country in {"US", "CA"} and draft.state_form == 0
    if kind in {"missing_street", "typo_street"}:
        return not draft.street_missing and not (kind == "missing_street" and draft.postcode_missing)
    if kind in {"missing_postcode", "typo_postcode"}:
        return not draft.postcode_missing and not (kind == "missing_postcode" and draft.street_missing)
    if kind in {"missing_city", "typo_city"}:
        return not draft.city_missing
    return True


_TEXTUAL = {"typo_first", "typo_last", "typo_street", "typo_city", "typo_postcode", "case", "accents"}
_TYPO_FIELDS = {"typo_first": "first_name", "typo_last": "last_name", "typo_street": "street", "typo_city": "city"}
_CASED_FIELDS = ("first_name", "last_name", "street", "city", "state", "postal_code")


def _apply(rng: random.Random, kind: str, draft: _Draft) -> None:  # noqa: C901, PLR0912 (one branch per kind)
    """Change the draft for a modification of its structure (textual ones are made on the written record)."""
    address = draft.address
    if kind == "swap_names":
        draft.first, draft.last = draft.last, draft.first
    elif kind == "nickname":
        draft.first = _nickname(rng, draft.first or "")
    elif kind == "initial":
        draft.first = (draft.first or "")[0] + rng.choice((".", ""))
    elif kind == "missing_first":
        draft.first = None
    elif kind == "abbreviation":
        draft.short_type = not draft.short_type
    elif kind == "unit":
        draft.address = replace(address, unit=None if address.unit is not None else 1 + rng.randrange(40))
        draft.unit_line = rng.random() < 0.3  # noqa: PLR2004
    elif kind == "missing_street":
        draft.street_missing = True
    elif kind == "missing_postcode":
        draft.postcode_missing = True
    elif kind == "missing_city":
        draft.city_missing = True
    elif kind == "postcode_format":
        if address.country == "US":
            draft.zip4 = f"{rng.randrange(10_000):04d}"
        else:
            draft.squeeze_postcode = True
    elif kind == "state_form":
        draft.state_form = rng.choice((1, -1))
    elif kind == "country_form":
        forms = len(_COUNTRY_FORMS[address.country])
        draft.country_form = rng.choice([-1, *[form for form in range(forms) if form != draft.country_form]])


def _postcode_typo(rng: random.Random, value: str) -> str:
    spots = [i for i, ch in enumerate(value) if ch.isalnum()]
    at = rng.choice(spots)
    pool = string.digits if value[at].isdigit() else "ABDEFGHJLNPQRSTUWXYZ"
    return value[:at] + rng.choice(pool.replace(value[at], "")) + value[at + 1 :]


def _textual(rng: random.Random, kind: str, record: dict[str, str | None]) -> None:
    """Make a textual modification on a written record."""
    if kind in _TYPO_FIELDS:
        field = _TYPO_FIELDS[kind]
        record[field] = _typo(rng, record[field] or "") or None
    elif kind == "typo_postcode":
        record["postal_code"] = _postcode_typo(rng, record["postal_code"] or "") or None
    else:
        transform = fold if kind == "accents" else str.upper if rng.random() < 0.5 else str.lower  # noqa: PLR2004
        for field in _CASED_FIELDS:
            value = record[field]
            if value:
                record[field] = transform(value)


#: Each modification a duplicate may carry, with its relative weight.
NOISE_KINDS: tuple[tuple[str, float], ...] = (
    ("typo_first", 0.10),
    ("typo_last", 0.14),
    ("swap_names", 0.05),
    ("nickname", 0.08),
    ("initial", 0.03),
    ("missing_first", 0.03),
    ("case", 0.06),
    ("accents", 0.06),
    ("abbreviation", 0.10),
    ("typo_street", 0.08),
    ("unit", 0.07),
    ("missing_street", 0.04),
    ("typo_postcode", 0.05),
    ("postcode_format", 0.05),
    ("missing_postcode", 0.04),
    ("typo_city", 0.03),
    ("missing_city", 0.03),
    ("state_form", 0.03),
    ("country_form", 0.04),
)


# --- writing records ----------------------------------------------------------------------


def _street_de(address: _Address, kind: str, _draft: _Draft) -> str:
    line = f"{address.base}{kind} {address.house}"
    return f"{line}\nWhg. {address.unit}" if address.unit is not None else line


def _street_fr(address: _Address, kind: str, draft: _Draft) -> str:
    line, unit = f"{address.house} {kind} {address.base}", address.unit
    return (f"Appt {unit}\n{line}" if draft.unit_line else f"{line}, Appt {unit}") if unit is not None else line


def _street_es(address: _Address, kind: str, _draft: _Draft) -> str:
    line = f"{kind} {address.base}, {address.house}" if kind != "C/" else f"C/ {address.base} {address.house}"
    unit = address.unit
    return f"{line}, {1 + unit % 8}º {'ABCD'[unit % 4]}" if unit is not None else line


def _street_gb(address: _Address, kind: str, draft: _Draft) -> str:
    line, unit = f"{address.house} {address.base} {kind}", address.unit
    return (f"Flat {unit}\n{line}" if draft.unit_line else f"Flat {unit}, {line}") if unit is not None else line


def _street_us(address: _Address, kind: str, draft: _Draft) -> str:
    direction = ""
    if address.direction is not None:
        long_direction, short_direction = _DIRECTIONS[address.direction]
        direction = (short_direction if draft.short_type else long_direction) + " "
    line, unit = f"{address.house} {direction}{address.base} {kind}", address.unit
    if unit is None:
        return line
    return f"{line}\nApt {unit}" if draft.unit_line else f"{line} {'#' if unit % 3 == 0 else 'Apt '}{unit}"


_STREET_LINES = {"DE": _street_de, "FR": _street_fr, "ES": _street_es, "GB": _street_gb, "US": _street_us}


def _street(draft: _Draft) -> str | None:
    if draft.street_missing:
        return None
    address = draft.address
    long, short, _ = _TYPES[address.country][address.kind]
    kind = short if draft.short_type and short is not None else long
    return _STREET_LINES.get(address.country, _street_us)(address, kind, draft)


def _written(draft: _Draft, company: str) -> dict[str, str | None]:
    address = draft.address
    code = address.city.state
    state = None if not code or draft.state_form < 0 else _STATE_NAMES.get(code, code) if draft.state_form else code
    code_postcode = address.postcode.replace(" ", "") if draft.squeeze_postcode else address.postcode
    if draft.zip4:
        code_postcode = f"{code_postcode}-{draft.zip4}"
    forms = _COUNTRY_FORMS[address.country]
    return {
        "first_name": draft.first,
        "last_name": draft.last,
        "company": company or None,
        "street": _street(draft),
        "city": None if draft.city_missing else address.city.name,
        "state": state,
        "postal_code": None if draft.postcode_missing else code_postcode,
        "country": forms[draft.country_form] if draft.country_form >= 0 else None,
    }


def _original(rng: random.Random, person: _Person) -> _Draft:
    forms = len(_COUNTRY_FORMS[person.address.country])
    return _Draft(
        person=person,
        first=person.first,
        last=person.last,
        address=person.address,
        short_type=rng.random() < _SHORT_TYPE_SHARE,
        unit_line=rng.random() < 0.3,  # noqa: PLR2004
        # People write their country the usual way three times in four.
        country_form=0 if rng.random() < 0.75 else rng.randrange(forms),  # noqa: PLR2004
        state_form=1 if rng.random() < 0.1 else 0,  # noqa: PLR2004
    )


def _duplicate(rng: random.Random, original: _Draft, company: str) -> tuple[dict[str, str | None], list[str]]:
    draft = replace(original)
    wanted = _weighted(rng, _MODIFICATIONS)
    kinds: list[str] = []
    for _ in range(50):  # a few kinds never apply to some records (no nickname for "Zoë")
        if len(kinds) == wanted:
            break
        kind = _weighted(rng, NOISE_KINDS)
        if not _applies(kind, draft, kinds):
            continue
        kinds.append(kind)
        _apply(rng, kind, draft)
    record = _written(draft, company)
    for kind in kinds:
        if kind in _TEXTUAL:
            _textual(rng, kind, record)
    return record, kinds


@functools.cache
def _pools(seed: int) -> dict[str, NamePool]:
    # Building the pools (Faker) is most of the cost of a small set; they are read-only.
    return build_name_pools(reseed(fresh_rng(), seed, Kind.POOLS, 0))


def generate_name_address(records: int, *, seed: int = 12) -> pl.DataFrame:
    """Generate about `records` labelled Lead-like people (see module docstring).

    Args:
        records: how many records to make (the last person's duplicates may overshoot by up to 4).
        seed: any int; the same seed (and Faker version) gives the same frame.

    Returns:
        One row per record in :data:`COLUMNS`, shuffled, with missing values as nulls.
    """
    pools = _pools(seed)
    rng = fresh_rng(seed)
    world = _World(pools, rng)
    people: list[_Person] = []
    rows: list[dict[str, str | None]] = []
    while len(rows) < records:
        number = len(people)
        relation = _weighted(rng, [*_RELATIONS, ("", 1 - sum(weight for _, weight in _RELATIONS))])
        other = rng.randrange(number) if relation and number else None
        person = _related(world, people[other], relation) if other is not None else world.person()
        people.append(person)
        cluster = f"P{number:06d}"
        related = f"P{other:06d}" if other is not None else None
        original = _original(rng, person)
        meta = {"cluster": cluster, "related": related}
        rows.append(
            _written(original, _weighted(rng, _PLACEHOLDERS)) | meta | {"role": relation or "original", "noise": None}
        )
        for _ in range(_weighted(rng, _DUPLICATES)):
            row, kinds = _duplicate(rng, original, _weighted(rng, _PLACEHOLDERS))
            rows.append(row | meta | {"role": "duplicate", "noise": ";".join(kinds)})
    rng.shuffle(rows)
    for number, row in enumerate(rows, start=1):
        row["record_id"] = f"00Q{number:012d}"
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.Utf8()))


def main(argv: Sequence[str] | None = None) -> None:
    """Write a generated set as CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1500, help="about how many records")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    generate_name_address(args.records, seed=args.seed).write_csv(args.out)


if __name__ == "__main__":
    main()
