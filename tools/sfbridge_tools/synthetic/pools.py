"""Name and street pools per country, drawn once from seeded Faker locales.

Faker is slow per call, so it is used only here: a few thousand draws build pools that the
generator then indexes with its own random streams. First-name pools keep Faker's
frequencies (common names repeat, as they do in real orgs); surname pools hold distinct
e-mail slugs, so that colleagues given different surname slots never share an address.
Pools depend on the Faker version: a Faker upgrade changes the names, not the structure.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from faker import Faker

from sfbridge_tools.synthetic.geo import COUNTRIES, Country

__all__ = ["Name", "NamePool", "build_name_pools", "fold", "slug"]

_FIRST_DRAWS = 1024
_LAST_DRAWS = 700
_STREET_DRAWS = 160
# fmt: off
_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE",
                          "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ı": "i", "þ": "th"})  # noqa: RUF001 (dotless i is meant)
_GREEK = {
    "ου": "ou", "ού": "ou", "αι": "ai", "ει": "ei", "οι": "oi", "μπ": "mp", "ντ": "nt", "θ": "th", "χ": "ch",  # noqa: RUF001 (Greek letters are the point)
    "ψ": "ps", "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "ι": "i", "κ": "k",  # noqa: RUF001 (Greek letters are the point)
    "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",  # noqa: RUF001 (Greek letters are the point)
    "υ": "y", "φ": "f", "ω": "o",  # noqa: RUF001 (Greek letters are the point)
}
# fmt: on

_JP_DISTRICTS = ("Marunouchi", "Otemachi", "Akasaka", "Roppongi", "Jingumae", "Umeda", "Minatomirai", "Sakae")


@dataclass(frozen=True, slots=True)
class Name:
    """A given name or surname.

    Attributes:
        text: as written in the record (accents kept, possibly non-Latin script).
        plain: Latin letters without accents (romanised for Japanese and Greek).
        slug: lower-case ASCII for e-mail addresses (``O'Brien`` → ``obrien``).
    """

    text: str
    plain: str
    slug: str


@dataclass(frozen=True, slots=True)
class NamePool:
    """Names and streets of one country (see module docstring for how each is drawn)."""

    female: tuple[Name, ...]
    male: tuple[Name, ...]
    last: tuple[Name, ...]
    last_female: tuple[Name, ...]
    streets: tuple[str, ...]


def fold(text: str) -> str:
    """Drop accents and transliterate Greek: ``José`` → ``Jose``, ``Ελένη`` → ``Eleni``.

    >>> fold("Zoë Müller-Łukasz"), fold("Ελένη")
    ('Zoe Muller-Lukasz', 'Eleni')
    """
    lowered = text.lower()
    if any("\u0370" <= ch <= "\u03ff" for ch in lowered):
        decomposed = unicodedata.normalize("NFD", lowered)
        lowered = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        for greek, latin in _GREEK.items():
            lowered = lowered.replace(greek, latin)
        return lowered[:1].upper() + lowered[1:]
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str) -> str:
    """Return the lower-case ASCII e-mail form of a name (letters and hyphens only).

    >>> slug("O'Brien"), slug("van der Berg"), slug("García-López")
    ('obrien', 'vanderberg', 'garcia-lopez')
    """
    return "".join(ch for ch in fold(text).lower() if ch.isascii() and (ch.isalpha() or ch == "-"))


def _name(text: str, plain: str | None = None) -> Name:
    plain = plain or fold(text)
    return Name(text, plain, slug(plain))


def _acceptable(text: str) -> bool:
    # Faker's Dutch and German lists hold nobility chains and historical names.
    return 1 < len(text) <= 18 and text.count(" ") <= 2 and "," not in text and not text.startswith("'")  # noqa: PLR2004


def _first_names(fake: Faker, locale: str, gender: str, draws: int) -> list[Name]:
    if locale == "ja_JP":
        pair = fake.first_name_female_pair if gender == "female" else fake.first_name_male_pair
        return [_name(kanji, romaji) for kanji, _kana, romaji in (pair() for _ in range(draws))]
    draw = fake.first_name_female if gender == "female" else fake.first_name_male
    return [_name(text) for text in (draw() for _ in range(draws)) if _acceptable(text)]


def _last_names(fake: Faker, locale: str, gender: str | None) -> list[Name]:
    if locale == "ja_JP":
        return [_name(kanji, romaji) for kanji, _kana, romaji in (fake.last_name_pair() for _ in range(_LAST_DRAWS))]
    draw = {"female": fake.last_name_female, "male": fake.last_name_male}.get(gender or "", fake.last_name)
    return [_name(text) for text in (draw() for _ in range(_LAST_DRAWS)) if _acceptable(text)]


def _distinct(names: list[Name], rng: random.Random) -> tuple[Name, ...]:
    seen: dict[str, Name] = {}
    for name in names:
        seen.setdefault(name.slug, name)
    out = sorted(seen.values(), key=lambda n: n.slug)
    rng.shuffle(out)
    return tuple(out)


def _hyphenated(names: tuple[Name, ...], rng: random.Random, count: int) -> list[Name]:
    latin = [n for n in names if n.text.isalpha() and n.text.isascii()]
    return [_name(f"{a.text}-{b.text}") for a, b in (rng.sample(latin, 2) for _ in range(count))]


def _country_pool(country: Country, fakers: dict[str, Faker], rng: random.Random) -> NamePool:
    female: list[Name] = []
    male: list[Name] = []
    last: list[Name] = []
    last_female: list[Name] = []
    streets: list[str] = []
    for locale, weight in country.locales:
        fake = fakers[locale]
        draws = max(16, round(_FIRST_DRAWS * weight))
        female += _first_names(fake, locale, "female", draws)
        male += _first_names(fake, locale, "male", draws)
        # Cap each locale's surnames by its weight: en_IE alone holds hundreds of O'Names.
        cap = max(20, round(_LAST_DRAWS * weight))
        last += _distinct(_last_names(fake, locale, "male" if country.gendered_surnames else None), rng)[:cap]
        if country.gendered_surnames:
            last_female += _distinct(_last_names(fake, locale, "female"), rng)[:cap]
        if locale == country.locales[0][0] and locale != "ja_JP":  # streets follow the main locale
            streets += sorted({fake.street_name() for _ in range(_STREET_DRAWS)})
    last_pool = _distinct(last, rng)
    if country.code in {"US", "GB", "AU", "CA"}:
        last_pool = _distinct(list(last_pool) + _hyphenated(last_pool, rng, len(last_pool) // 25), rng)
    return NamePool(
        female=tuple(female),
        male=tuple(male),
        last=last_pool,
        last_female=_distinct(last_female, rng) if last_female else last_pool,
        streets=tuple(streets) or _JP_DISTRICTS,
    )


def build_name_pools(rng: random.Random) -> dict[str, NamePool]:
    """Build every country's pools from Faker locales seeded from `rng`.

    Args:
        rng: the org's pool stream; it seeds Faker and shuffles the surname pools.

    Returns:
        Pools keyed by country code.
    """
    locales = sorted({locale for country in COUNTRIES for locale, _ in country.locales})
    fakers = {}
    for locale in locales:
        fake = Faker(locale)
        fake.seed_instance(rng.randrange(1 << 30))
        fakers[locale] = fake
    return {country.code: _country_pool(country, fakers, rng) for country in COUNTRIES}
