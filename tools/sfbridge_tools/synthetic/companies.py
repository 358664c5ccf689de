"""Companies: distinct base names built once, every other trait derived from the index.

Base names are distinct after normalisation (case, accents, punctuation, ``&``/``and``) and
so are their web domains, so no two companies can be mistaken for one another by a matcher
that strips legal suffixes; Accounts take the first indexes, lead-only companies the rest.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from sfbridge_tools.synthetic.geo import COUNTRIES, City, Country
from sfbridge_tools.synthetic.pools import fold
from sfbridge_tools.synthetic.seeding import mix

__all__ = ["Company", "CompanyBook", "normalise_company"]

# fmt: off
_NOUNS: dict[str, str] = {
    "Logistics": "Transportation", "Freight": "Shipping", "Analytics": "Technology", "Software": "Technology",
    "Networks": "Telecommunications", "Telecom": "Telecommunications", "Wireless": "Communications",
    "Foods": "Food & Beverage", "Brewing": "Food & Beverage", "Coffee": "Food & Beverage",
    "Bakery": "Food & Beverage", "Farms": "Agriculture", "Dairy": "Agriculture", "Robotics": "Machinery",
    "Motors": "Manufacturing", "Metals": "Manufacturing", "Plastics": "Manufacturing", "Textiles": "Apparel",
    "Apparel": "Apparel", "Outfitters": "Retail", "Furniture": "Retail", "Dental": "Healthcare",
    "Clinic": "Healthcare", "Health": "Healthcare", "Diagnostics": "Biotechnology",
    "Therapeutics": "Biotechnology", "Biotech": "Biotechnology", "Pharma": "Biotechnology",
    "Chemicals": "Chemicals", "Architects": "Engineering", "Engineering": "Engineering",
    "Construction": "Construction", "Builders": "Construction", "Roofing": "Construction",
    "Insurance": "Insurance", "Capital": "Finance", "Lending": "Banking", "Advisors": "Consulting",
    "Consulting": "Consulting", "Media": "Media", "Studios": "Entertainment", "Games": "Entertainment",
    "Publishing": "Media", "Energy": "Energy", "Solar": "Energy", "Power": "Utilities", "Water": "Utilities",
    "Recycling": "Environmental", "Hotels": "Hospitality", "Travel": "Hospitality", "Fitness": "Recreation",
    "Sports": "Recreation", "Learning": "Education", "Academy": "Education", "Electronics": "Electronics",
    "Semiconductors": "Electronics", "Devices": "Electronics", "Optics": "Electronics",
    "Aerospace": "Engineering", "Marine": "Shipping", "Security": "Technology", "Payments": "Finance",
    "Staffing": "Consulting", "Printing": "Manufacturing", "Packaging": "Manufacturing", "Supply": "Retail",
    "Distributors": "Retail", "Cosmetics": "Retail", "Veterinary": "Healthcare", "Labs": "Biotechnology",
    "Instruments": "Electronics", "Data": "Technology", "Cloud": "Technology", "Oil & Gas": "Energy",
}
_ADJECTIVE_WORDS = (
    "Silver_Harbor Blue_Ridge Summit Cedar Granite Evergreen Ironwood Meridian Pinnacle Riverbend Sterling "
    "Golden Maple Eagle Falcon Lakeside Hillcrest Redwood Crescent Beacon Atlas Apex Vertex Horizon Keystone "
    "Liberty Pioneer Frontier Heritage Prairie Coastal Metro Northern Southern Pacific Atlantic Alpine "
    "Aurora Cobalt Copper Crimson Emerald Indigo Ivory Jade Onyx Sapphire Scarlet Amber Azure Birch Willow "
    "Aspen Cypress Juniper Magnolia Sequoia Spruce Sycamore Hawthorn Rowan Laurel Orchard Meadow Valley "
    "Canyon Mesa Bayside Glacier Lighthouse Anchor Compass Mariner Voyager Nomad Sentinel Guardian Vanguard "
    "Paragon Zenith Nova Stellar Orbit Quantum Fusion Vector Nexus Prism Spectrum Radiant Solstice Equinox "
    "Tidal Harvest Clearwater Stonebridge Brookside Fairview Westfield Eastgate Northgate Southpoint "
    "Ashford Kingsbridge Riverside Oakridge Pinecrest Silverline Bluewater Greenfield Highland Lowland "
    "Midland Tristate Bright_Path Open_Field True_North Second_Wind Wildflower Thunderbird Snowcap Sunrise"
).replace("_", "\u00a0").split()
_ADJECTIVES = tuple(a.replace("\u00a0", " ") for a in _ADJECTIVE_WORDS)
_INDUSTRIES = tuple(sorted(set(_NOUNS.values())))
_ONSETS = ("Zen", "Vel", "Quor", "Nex", "Lum", "Cor", "Tal", "Ver", "Ax", "Bri", "Cal", "Dra", "Fen", "Gal", "Hal",
           "Jor", "Kal", "Lor", "Mor", "Nor", "Pel", "Quin", "Ros", "Sol", "Tor", "Val", "Wyn", "Xan", "Yar", "Zor")
_VOWELS = ("a", "i", "o", "e", "ia", "io", "ea", "")
_ENDINGS = ("ra", "ta", "na", "vo", "lix", "tix", "sys", "via", "nex", "dia", "ora", "ium", "ent", "ics", "ity")
# Name patterns: 0 {Adjective} {Noun}, 1 {Surname} {Noun}, 2 {Surname} & {Surname}, 3 coined, 4 coined + noun.
_PATTERN_TABLE = (0, 0, 1, 1, 2, 3, 3, 4, 4, 0)
_NOUN_LIST = tuple(_NOUNS)
_EMPLOYEES = (3, 8, 15, 30, 60, 120, 250, 500, 1200, 3000, 8000, 25000, 90000)
_MAX_MISSES = 2000
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# fmt: on


def normalise_company(name: str) -> str:
    """Return the comparison key of a company base name (case, accents, punctuation, ``&``).

    >>> normalise_company("Hartley & Vance"), normalise_company("HARTLEY and vance")
    ('hartley and vance', 'hartley and vance')
    """
    text = fold(name).lower().replace("&", " and ")
    return _NON_ALNUM.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class Company:
    """A company and its stable traits (see `CompanyBook.get`)."""

    index: int
    base: str
    country: Country
    city: City
    industry: str
    suffix: str
    the: bool
    domain: str
    email_pattern: int
    employees: int
    street_seed: int
    surname_seed: int
    #: The name as registered (``The Keller Logistics GmbH``), as Accounts carry it.
    official_name: str = ""

    def __post_init__(self) -> None:
        """Compose the registered name once (records read it constantly)."""
        name = ("The " if self.the else "") + self.base
        if self.suffix:
            name += self.suffix if self.suffix.startswith(",") else " " + self.suffix
        object.__setattr__(self, "official_name", name)


class CompanyBook:
    """All companies of an org: `count` distinct base names and traits derived from the index."""

    def __init__(self, count: int, rng: random.Random, surnames: list[str]) -> None:
        """Draw `count` distinct base names.

        Args:
            count: companies needed (Accounts plus lead-only companies).
            rng: the org's pool stream.
            surnames: Latin surnames for names like ``Keller Logistics``.
        """
        taken = {w.lower() for w in _ADJECTIVES} | {w.lower() for w in _NOUNS}
        self._surnames = sorted({s for s in surnames if s.isalpha() and s.isascii() and s.lower() not in taken})
        self._countries = [c for c in COUNTRIES for _ in range(round(c.weight * 200))]
        self._names: list[str] = []
        self._domains: list[str] = []
        self._industries: list[str] = []
        self._patterns = bytearray()
        keys: set[str] = set()
        self._misses = [0] * 5
        while len(self._names) < count:
            self._add(rng, keys)
        self._companies = [self._trait(index) for index in range(count)]

    def __len__(self) -> int:
        """Return how many companies the book holds."""
        return len(self._names)

    def _candidate(self, rng: random.Random) -> tuple[int, str, str | None]:
        r, surnames = rng.random, self._surnames
        pattern = _PATTERN_TABLE[int(r() * len(_PATTERN_TABLE))]
        if self._misses[pattern] > _MAX_MISSES:  # saturated: the two-surname and coined patterns are roomy
            pattern = 2 + 2 * (r() < 0.5)  # noqa: PLR2004
        noun = _NOUN_LIST[int(r() * len(_NOUN_LIST))] if pattern in {0, 1, 4} else None
        if pattern == 0:
            return pattern, f"{_ADJECTIVES[int(r() * len(_ADJECTIVES))]} {noun}", noun
        if pattern == 1:
            return pattern, f"{surnames[int(r() * len(surnames))]} {noun}", noun
        if pattern == 2:  # noqa: PLR2004 (pattern numbers)
            first, second = surnames[int(r() * len(surnames))], surnames[int(r() * len(surnames))]
            return (pattern, f"{first} & {second}", None) if first != second else (pattern, first, None)
        coined = (
            _ONSETS[int(r() * len(_ONSETS))] + _VOWELS[int(r() * len(_VOWELS))] + _ENDINGS[int(r() * len(_ENDINGS))]
        )
        return (pattern, f"{coined} {noun}", noun) if noun else (pattern, coined, None)

    def _add(self, rng: random.Random, keys: set[str]) -> None:
        pattern, base, noun = self._candidate(rng)
        # Every word is ASCII here, so lower-casing is the whole normalisation.
        lowered = base.lower()
        key = lowered.replace("&", "and").replace(" ", "")
        words = lowered.replace("&", " ").split()
        domain = ("-" if mix(len(self._names), 1) % 3 == 0 else "").join(words) + ".example"
        if key in keys or domain in keys:
            self._misses[pattern] += 1
            return
        keys.update((key, domain))
        self._names.append(base)
        self._domains.append(domain)
        self._industries.append(_NOUNS[noun] if noun else "")
        self._patterns.append(pattern)

    def get(self, index: int) -> Company:
        """Return company `index` with its traits."""
        return self._companies[index]

    def _trait(self, index: int) -> Company:
        base = self._names[index]
        h = mix(index, 7)
        country = self._countries[h % len(self._countries)]
        suffix_roll = (h >> 8) % 10
        return Company(
            index=index,
            base=base,
            country=country,
            city=country.cities[(h >> 12) % len(country.cities)],
            industry=self._industries[index] or _INDUSTRIES[(h >> 16) % len(_INDUSTRIES)],
            suffix="" if suffix_roll < 2 else country.suffixes[min(suffix_roll - 2, len(country.suffixes) - 1) // 2],  # noqa: PLR2004
            the=self._patterns[index] == 0 and (h >> 20) % 20 == 0,
            domain=self._domains[index],
            email_pattern=0 if country.gendered_surnames else (h >> 22) % 5,
            employees=_EMPLOYEES[min((h >> 25) % 9 + (h >> 29) % 5, len(_EMPLOYEES) - 1)],
            street_seed=mix(index, 9),
            surname_seed=mix(index, 11),
        )
