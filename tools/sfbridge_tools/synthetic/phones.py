"""Phone numbers: per-country numbering blocks, unique numbers by index, many text formats.

Where a country reserves numbers for fiction the generator uses them first: NANP 555-0100
to 555-0199 in every area code, Ofcom's drama ranges (020 7946 0xxx, 0161 496 0xxx, ...; not 0115 496 0xxx, which
libphonenumber rejects),
ARCEP's fiction ranges (01 99 00 xx xx, ...) and ACMA's drama ranges ((02) 5550 xxxx, ...).
Every one of those is a *valid* number to libphonenumber. Indexes past a country's
fictional capacity, and countries without such ranges, fall back to plausible blocks (NANP
555-1000 to 555-9999 stays inside the 555 exchange).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["INVALID_PHONES", "Phone", "phone_for", "render"]

# fmt: off
_NANP_US = (  # assigned US area codes
    "201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215", "216", "217", "218",
    "219", "224", "225", "228", "229", "231", "234", "239", "240", "248", "251", "252", "253", "254", "256", "260",
    "262", "267", "269", "270", "272", "276", "281", "301", "302", "303", "304", "305", "307", "308", "309", "310",
    "312", "313", "314", "315", "316", "317", "318", "319", "320", "321", "323", "325", "330", "331", "334", "336",
    "337", "339", "346", "347", "351", "352", "360", "361", "380", "385", "386", "401", "402", "404", "405", "406",
    "407", "408", "409", "410", "412", "413", "414", "415", "417", "419", "423", "424", "425", "430", "432", "434",
    "435", "440", "442", "443", "458", "469", "470", "475", "478", "479", "480", "484", "501", "502", "503", "504",
    "505", "507", "508", "509", "510", "512", "513", "515", "516", "517", "518", "520", "530", "531", "534", "539",
    "540", "541", "551", "559", "561", "562", "563", "567", "570", "571", "573", "574", "575", "580", "585", "586",
    "601", "602", "603", "605", "606", "607", "608", "609", "610", "612", "614", "615", "616", "617", "618", "619",
    "620", "623", "626", "628", "629", "630", "631", "636", "641", "646", "650", "651", "657", "660", "661", "662",
    "667", "669", "678", "681", "682", "701", "702", "703", "704", "706", "707", "708", "712", "713", "714", "715",
    "716", "717", "718", "719", "720", "724", "725", "727", "731", "732", "734", "737", "740", "747", "754", "757",
    "760", "762", "763", "765", "769", "770", "772", "773", "774", "775", "779", "781", "785", "786", "801", "802",
    "803", "804", "805", "806", "808", "810", "812", "813", "814", "815", "816", "817", "818", "828", "830", "831",
    "832", "843", "845", "847", "848", "850", "856", "857", "858", "859", "860", "862", "863", "864", "865", "870",
    "872", "878", "901", "903", "904", "906", "907", "908", "909", "910", "912", "913", "914", "915", "916", "917",
    "918", "919", "920", "925", "928", "929", "931", "936", "937", "938", "940", "941", "947", "949", "951", "952",
    "954", "956", "959", "970", "971", "972", "973", "978", "979", "980", "984", "985", "989",
)
# fmt: on
# fmt: off
_NANP_CA = (  # assigned Canadian area codes
    "204", "226", "236", "249", "250", "289", "306", "343", "365", "403", "416", "418", "431", "437", "438", "450",
    "506", "514", "519", "548", "579", "581", "587", "604", "613", "639", "647", "672", "705", "709", "742", "778",
    "780", "782", "807", "819", "825", "867", "873", "902", "905",
)
# fmt: on

# fmt: off
#: Strings no phone library can read as a valid number, whatever the record's country.
INVALID_PHONES = (
    "123", "555-CALL-NOW", "0000000000", "12345", "(000) 000-0000", "N/A", "TBD", "111-111-1111",
    "99999", "call me", "000-000-0000", "+1 (555) 555-5555", "1234567",
)
# fmt: on


@dataclass(frozen=True, slots=True)
class _Tier:
    """Blocks of equal size: prefixes of the national significant number, then `free` digits."""

    prefixes: tuple[str, ...]
    free: int
    groups: tuple[int, ...]
    capacity: int
    modulus: int


@dataclass(frozen=True, slots=True)
class _Plan:
    cc: str
    trunk: str
    style: str
    tiers: tuple[_Tier, ...]


class Phone(NamedTuple):
    """One phone line: its country calling code, national significant number and plan style."""

    cc: str
    nsn: str
    trunk: str
    style: str
    groups: tuple[int, ...]
    #: A line borrowed from another country's plan: only international formats are valid.
    foreign: bool = False

    @property
    def e164(self) -> str:
        """The number in E.164 form (``+14155550134``)."""
        return f"+{self.cc}{self.nsn}"


def _tier(prefixes: str | list[str], free: int, groups: tuple[int, ...]) -> _Tier:
    items = prefixes.split() if isinstance(prefixes, str) else prefixes
    return _Tier(tuple(items), free, groups, len(items) * 10**free, 10**free)


# fmt: off
_UK_DRAMA = "1134960 1144960 1164960 1174960 1184960 1214960 1314960 1414960 1514960"
_PLANS: dict[str, _Plan] = {
    # US and Canada share the NANP: their 555 overflow blocks are split so they never meet.
    "US": _Plan("1", "", "nanp", (
        _tier([a + "55501" for a in _NANP_US], 2, (3, 3, 4)),
        _tier([a + "555" + d for a in _NANP_US for d in "123456"], 3, (3, 3, 4)))),
    "CA": _Plan("1", "", "nanp", (
        _tier([a + "55501" for a in _NANP_CA], 2, (3, 3, 4)),
        _tier([a + "555" + d for a in _NANP_CA for d in "123456789"], 3, (3, 3, 4)),
        _tier([a + "555" + d for a in _NANP_US for d in "789"], 3, (3, 3, 4)))),
    "GB": _Plan("44", "0", "eu", (
        _tier("2079460", 3, (2, 4, 4)),
        _tier(_UK_DRAMA, 3, (3, 3, 4)),
        _tier("2896496", 3, (2, 4, 4)),
        _tier("203 207", 7, (2, 4, 4)))),
    "FR": _Plan("33", "0", "eu", (
        _tier("19900 26191 35373 46571 53649 97742", 4, (1, 2, 2, 2, 2)),
        _tier("14 15 47 56", 7, (1, 2, 2, 2, 2)))),
    "AU": _Plan("61", "0", "eu", (
        _tier("25550 37010 75550 87010", 4, (1, 4, 4)),
        _tier("29 38", 7, (1, 4, 4)))),
    "DE": _Plan("49", "0", "eu", (_tier("302 893 404 697", 7, (2, 4, 4)),)),
    "NL": _Plan("31", "0", "eu", (_tier("205 106 302", 6, (2, 3, 4)),)),
    "ES": _Plan("34", "", "eu", (_tier("915 934 963", 6, (3, 3, 3)),)),
    "IT": _Plan("39", "", "eu", (_tier("028 064", 7, (2, 4, 4)),)),
    "JP": _Plan("81", "0", "jp", (_tier("35 66", 7, (1, 4, 4)),)),
    "BR": _Plan("55", "0", "br", (_tier("113 213", 7, (2, 4, 4)),)),
    "MX": _Plan("52", "", "eu", (_tier("555 338", 7, (2, 4, 4)),)),
    "PL": _Plan("48", "", "eu", (_tier("225 126", 6, (2, 3, 2, 2)),)),
    "GR": _Plan("30", "", "eu", (_tier("2103 2310", 6, (3, 3, 4)),)),
}
# fmt: on

# A multiplier coprime with every tier capacity scatters neighbouring indexes across blocks;
# the offset keeps index 0 away from the all-zero number.
_SCATTER = 7_919
_OFFSET = 104_729
_BORROW = "DE"


def phone_for(country: str, index: int) -> Phone:
    """Return the phone line number `index` of a country; distinct indexes give distinct lines.

    When a country's numbering runs out (NANP 555 blocks hold about 1.5 million lines), the
    line comes from a roomier plan at the same index; since indexes are unique per person,
    borrowed lines never collide with that plan's own.

    Raises:
        ValueError: when even the borrowed plan runs out (tens of millions of lines).
    """
    line = _own_line(country, index)
    if line is not None:
        return line
    borrowed = _own_line(_BORROW, index)
    if borrowed is None:
        msg = f"phone numbering for {country} exhausted at index {index}"
        raise ValueError(msg)
    return borrowed._replace(foreign=True)


def _own_line(country: str, index: int) -> Phone | None:
    plan = _PLANS[country]
    rest = index
    for tier in plan.tiers:
        capacity = tier.capacity
        if rest < capacity:
            block, digits = divmod((rest * _SCATTER + _OFFSET) % capacity, tier.modulus)
            nsn = tier.prefixes[block] + str(digits).zfill(tier.free)
            return Phone(plan.cc, nsn, plan.trunk, plan.style, tier.groups)
        rest -= capacity
    return None


def _split(nsn: str, groups: tuple[int, ...]) -> list[str]:
    out, start = [], 0
    for size in groups:
        out.append(nsn[start : start + size])
        start += size
    return out


def _nanp(phone: Phone, form: int) -> str:
    n = phone.nsn
    a, b, c = n[:3], n[3:6], n[6:]
    if form < 3:  # noqa: PLR2004 (the national forms are the common ones)
        return (f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}")[form]
    return (f"+1 ({a}) {b}-{c}", f"+1 {a} {b} {c}", f"+1-{a}-{b}-{c}", f"1-{a}-{b}-{c}", n, f"+1{n}")[form % 6]


def _intl(phone: Phone, form: int) -> str:
    cc, trunk, nsn = phone.cc, phone.trunk, phone.nsn
    kinds = 4 + (phone.style == "eu" and bool(trunk)) + (cc == "33")
    kind = form % kinds
    if kind == 3:  # noqa: PLR2004
        return f"+{cc}{nsn}"
    parts = _split(nsn, phone.groups)
    if kind == 4 and phone.style == "eu" and trunk:  # noqa: PLR2004
        return f"+{cc} ({trunk})" + " ".join(parts)
    if kind >= 4:  # noqa: PLR2004 (French dotted form)
        return trunk + ".".join(parts)
    international = kind == 2  # noqa: PLR2004
    if phone.style == "jp":
        return (f"+{cc} " if international else trunk) + "-".join(parts)
    if phone.style == "br":
        head, *tail = parts
        return f"+{cc} {head} " + "-".join(tail) if international else f"({head}) " + "-".join(tail)
    return (f"+{cc} " if international else trunk) + " ".join(parts)


def render(phone: Phone, rng: random.Random, *, extension_rate: float = 0.0) -> str:
    """Write a line as people type it, in one of its country's usual formats.

    National formats are only valid read in the line's own country, so callers keep a
    line's country equal to the record's address country.
    """
    form = int(rng.random() * 12)
    if phone.foreign:
        text = f"+{phone.cc} " + " ".join(_split(phone.nsn, phone.groups))
    else:
        text = _nanp(phone, form % 9) if phone.style == "nanp" else _intl(phone, form)
    if extension_rate and rng.random() < extension_rate:
        text += (" ext. ", " x", " ext ")[int(rng.random() * 3)] + str(2 + int(rng.random() * 398))
    return text
