"""Postal addresses as comparison keys: house number, street, unit, postcode, state and city.

One address is typed many ways: "123 N. Main Street, Apt 4" and "123 north main st #4";
"Hauptstraße 5", "Hauptstr. 5" and "Haupt Str 5"; "sw1a 1aa" and "SW1A 1AA"; a ZIP that
Excel saved as "2134". :func:`address_columns` turns Salesforce's Street, City, State and
PostalCode into keys on which such spellings agree and different addresses do not:

- **Street.** Salesforce's Street is a text area: its lines and commas split it into
  parts. The street part is the first part with a house number (or, failing that, the first
  with letters that is neither a unit, a PO box nor a "c/o" line), so a company line above
  it or a city typed after it ("10 Downing Street, London") is dropped. Units ("Apt 4B",
  "Suite 200", "#3", "2nd floor", "Whg 3", "2º B") are taken out as ``unit``; the house
  number is read first or last as the country writes it (first in the US, GB, FR, ...; last
  in DE, NL, ES, IT, ...; the other end is tried when that end has none). The rest is folded
  (case, accents, punctuation), German and Dutch compounds are split before their street
  type ("Hauptstraße" → "haupt str"), and every street-type, directional and ordinal word is
  replaced by one canonical token per meaning ("Street"/"St" → "st", "Avenue"/"Av"/"Avda"/
  "Avenida" → "ave", "North"/"Nord"/"N" → "n", "5th" → "5"). The canonical tokens are short
  forms whatever the language, and meanings that never compete in one country share one
  token ("Calle"/"C/" and the British "Close" → "cl"; "Place", "Platz", "Plaza", "Piazza",
  "Plein" → "pl"; "Rue", "Rua" and "R." → "rue"): the key is for comparing, not for display.
  In Germany, Austria and Switzerland "ae", "oe", "ue" count as "a", "o", "u" so "Müller",
  "Mueller" and "Muller" agree.
- **Postcode.** Read by the rules of the record's country: US ZIP (ZIP+4 dropped, zeros
  that a spreadsheet stripped put back), GB, CA, NL, DE, FR, ES, IT, AU formats, and the
  upper-case letters and digits elsewhere. A value that cannot be a postcode there ("00000",
  "N/A", "-") is null, never a key on which strangers meet. ``postcode_area`` is a coarser
  key for blocking that survives a typo in the last characters.
- **State.** US, Canadian, Australian and German names, codes and the AP-style abbreviations
  ("Calif.", "Mass.") map to the postal code ("CA", "MA", "ON", "NSW", "BY").
- **City.** Folded, with "St."/"Ste"/"Ft."/"Mt." read as "saint"/"sainte"/"fort"/"mount".

Everything is polars expressions (regular expressions and Aho-Corasick replacements) over
the distinct (value, region) pairs of each column: no Python runs per value. Measured with
``benchmarks/address_bench.py --streets 500000`` on this project's 2-core machine: 500,000
distinct synthetic addresses (US, GB, CA, AU, DE, FR, ES, IT, NL; units, multi-line values)
take 3.6 CPU-seconds for all columns, about 7 µs a street; the wall time was 6-8 s only
because other work kept the load average at 7 on the two cores.

**usaddress was measured and not adopted.** ``usaddress`` (a CRF tagger) reads a US street
in 76 µs on a quiet core (109-179 µs under the load above) and ``usaddress-scourgify`` (USPS
Publication 28 normalisation on top of it) in 123-333 µs, against 7-9 µs a street here in the
same runs: 700,000 US streets would take about a minute of CPU instead of five seconds, and
scourgify raised on 4 % of the synthetic streets (PO boxes, company lines). On 38 labelled
US streets (``US_CASES`` in the benchmark) usaddress's tags, put through this module's
canonical words, got all three of house number, street key and unit right for 36; this
module got 32 at first, and 38 after five rules for what usaddress read better (number words
"One Microsoft Way", Wisconsin grid numbers, "123 1/2", a city typed after the street type,
a route number not taken for a house number) plus a "P.O." fix. Its tags still need the
abbreviation table to compare "Street" with "St", and it cannot drop a company line or read
German, French or Spanish streets, so it would add time without a measured gain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

import polars as pl

from sfbridge.matching.fold import strip_accents_expr

__all__ = ["ADDRESS_COLUMNS", "STREET_TYPES", "address_columns", "normalise_address"]

#: The columns :func:`address_columns` adds, in order.
ADDRESS_COLUMNS: Final = (
    "house_number",
    "street_key",
    "unit",
    "postcode_key",
    "postcode_area",
    "state_key",
    "city_key",
)

_INPUTS: Final = ["street", "city", "state", "postal_code", "region"]
# Apostrophes are dropped, not made spaces: "St. Mary's" and "St Marys" agree.
_APOSTROPHES: Final = "['\u2019`\u00b4]"

# ---------------------------------------------------------------------------------------------
# Countries that write the house number after the street name ("Hauptstraße 5", "Calle Mayor 3").
# Everywhere else, and for an unknown country, the number is looked for first at the start.
_NUMBER_LAST: Final = frozenset(
    {
        "AR", "AT", "BA", "BE", "BG", "BO", "BR", "CH", "CL", "CO", "CZ", "DE", "DK", "EC", "EE", "ES",
        "FI", "GR", "HR", "HU", "IS", "IT", "LI", "LT", "LV", "MX", "NL", "NO", "PE", "PL", "PT", "PY",
        "RO", "RS", "RU", "SE", "SI", "SK", "TR", "UA", "UY", "VE",
    }
)  # fmt: skip
# Where "ü" is also written "ue": the two spellings must agree.
_UMLAUT_AS_E: Final = frozenset({"DE", "AT", "CH", "LI"})
# Where "5/10 Smith St" means unit 5 at number 10.
_UNIT_SLASH_NUMBER: Final = frozenset({"AU", "NZ"})

# ---------------------------------------------------------------------------------------------
# Street words. Each canonical token with the folded spellings that mean it, space separated;
# "+" joins the words of a multi-word spelling ("p+za" is "P.za", Italian for Piazza).
_STREET_WORDS: Final = {
    # Street types (English, after USPS Publication 28, and the continental ones).
    "st": "street st saint",
    "str": "strasse str strase straat strada",
    "ave": "avenue ave av avn aven avenu avnue avenida avda avd avgda avinguda",
    "rd": "road rd",
    "blvd": "boulevard blvd boul bd bld bvd blv boulv",
    "dr": "drive dr drv driv doctor",
    "ln": "lane ln laan",
    "ct": "court ct crt",
    "pl": "place pl plaza plz platz plein piazza pza p+za p+zza pzza praca pca placa plac",
    "ple": "piazzale p+le ple",
    "sq": "square sq sqr squ",
    "ter": "terrace ter terr",
    "hwy": "highway hwy hiway hiwy hway",
    "pkwy": "parkway pkwy pky pkway parkwy",
    "cir": "circle cir circ crcl",
    "cres": "crescent cres cresc crsnt",
    "cl": "close cl calle c cll clle",
    "way": "way wy",
    "trl": "trail trl",
    "expy": "expressway expy expwy",
    "fwy": "freeway fwy",
    "aly": "alley aly ally",
    "xing": "crossing xing",
    "pt": "point pt",
    "mt": "mount mt",
    "ft": "fort ft",
    "hts": "heights hts",
    "ctr": "center centre ctr cntr",
    "rte": "route rte rt",
    "gdn": "garden gardens gdn gdns",
    "grv": "grove grv",
    "wlk": "walk wlk",
    "cv": "cove cv",
    "brg": "bridge brg",
    "byp": "bypass byp",
    "cswy": "causeway cswy",
    "jct": "junction jct",
    "tpke": "turnpike tpke tpk",
    "esp": "esplanade esp",
    "prom": "promenade prom",
    "quai": "quai quay",
    "rue": "rue r rua",
    "ch": "chemin ch chem che",
    "allee": "allee all",
    "imp": "impasse imp",
    "fbg": "faubourg fbg",
    "paseo": "paseo po pso",
    "cra": "carrera cra kra kr cr",
    "ctra": "carretera ctra crta",
    "trav": "travesia travessa trav trv tv",
    "camino": "camino cno cmno",
    "ronda": "ronda rda",
    "via": "via v",
    "viale": "viale vle v+le",
    "cso": "corso c+so cso",
    "lgo": "largo l+go lgo",
    "vic": "vicolo vic",
    "estr": "estrada estr",
    "alameda": "alameda al",
    "jr": "junior jr",
    "mlk": "martin+luther+king mlk",
    # Directions in English, French, German, Spanish, Italian and Portuguese.
    "n": "north nord norte nth n",
    "s": "south sud sued sul sth s",
    "e": "east est ost e",
    "w": "west ouest oeste wst w",
    "ne": "northeast nordest nordost",
    "nw": "northwest nordouest nordwest",
    "se": "southeast sudest sudost",
    "sw": "southwest sudouest sudwest",
    # Ordinal words: "First Ave" is "1st Ave" is "1 ave".
    "1": "first",
    "2": "second",
    "3": "third",
    "4": "fourth",
    "5": "fifth",
    "6": "sixth",
    "7": "seventh",
    "8": "eighth",
    "9": "ninth",
    "10": "tenth",
}
# "N E" (from "N.E.") is "NE": two directions in a row are one.
_DIRECTION_PAIRS: Final = {f"{a} {b}": f"{a}{b}" for a in "ns" for b in "ew"}
# English street types (canonical), which end a street's name; and the canonical directions.
_ENGLISH_TYPES: Final = (
    "st|ave|rd|blvd|dr|ln|ct|pl|sq|ter|hwy|pkwy|cir|cres|cl|way|trl|expy|fwy|aly|xing|ctr|rte|grv|wlk|cv"
    "|brg|byp|cswy|jct|tpke|esp|prom"
)
_DIRECTIONS: Final = "n|s|e|w|ne|nw|se|sw"
_DIRECTION_NAMES: Final = {
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "ne": "northeast",
    "nw": "northwest",
    "se": "southeast",
    "sw": "southwest",
}
#: The canonical street types ("st", "ave", "rue", "str", ...): two streets of different types
#: are two streets ("12 Park Ave" / "12 Park Rd"), however alike their names.
STREET_TYPES: Final = frozenset(
    canonical
    for canonical in _STREET_WORDS
    # Directions, ordinals and words that are part of a name ("Fort", "Mount", "Point", "Junior").
    if not canonical.isdigit() and canonical not in {*_DIRECTION_NAMES, "jr", "mlk", "ft", "mt", "pt"}
)
_ENGLISH_ORDER: Final = frozenset({"US", "CA", "GB", "IE", "AU", "NZ"})
# Street types that German and Dutch write glued to the name ("Hauptstraße", "Kerkstraat").
_GLUED_TYPES: Final = (
    "strasse|strase|straat|str|weg|platz|allee|gasse|laan|plein|gracht|kade|singel|dijk|damm|ufer|chaussee|steig|pfad"
)

# Unit words: the identifier after one of these is an apartment, suite, floor or office.
_UNIT_WORDS: Final = (
    "apt|apartment|apartamento|apto|appt|app|appartement|dpto|depto|departamento|suite|ste|unit|unite|flat|rm|room"
    "|dept|whg|wohnung|etage|piso|planta|lot|spc|space|trlr|trailer|bldg|building|bat|batiment|bureau|office|ofc"
    "|pmb|puerta|pta|int|interior|local"
)
_FLOOR_WORDS: Final = "floor|fl|flr|etage|stock|og|piso|planta"
# A unit identifier: "4b", "200", "b4", "12-c"; or a single letter ("Unit B").
_UNIT_ID: Final = r"[a-z]?\d+[a-z]?(?:-[a-z0-9]+)?"
_UNIT_INLINE: Final = (
    rf"\b(?:{_UNIT_WORDS})(?:[\s#-]*({_UNIT_ID})|\s[\s#-]*([a-z]))\b"
    rf"|#\s*({_UNIT_ID}|[a-z])\b"
    rf"|\b(?:floor|fl|flr)\s*#?\s*(\d{{1,3}})\b"
    rf"|\b(\d{{1,3}})(?:st|nd|rd|th|er|e|eme|o|a)?\s*(?:{_FLOOR_WORDS})\b"
)
_UNIT_GROUPS: Final = 5
# A whole part of the street that is only a unit: "Apt 4", "#12", "2nd Floor", Spanish "2º B".
_UNIT_PART: Final = (
    rf"^(?:(?:{_UNIT_WORDS})(?:[\s#-]*{_UNIT_ID}|\s[\s#-]*[a-z])|#\s*(?:{_UNIT_ID}|[a-z])"
    rf"|(?:floor|fl|flr)\s*#?\s*\d{{1,3}}|\d{{1,3}}(?:st|nd|rd|th|er|e|eme|o|a)?\s*(?:{_FLOOR_WORDS})"
    r"|\d{1,3}\s?[oa](?:\s+[a-z0-9]{1,4})*)$"
)
# A house number: "12", "12a", "12-c", "12-14", "5/7"; "5 bis" in France.
_NUMBER: Final = r"\d+(?:-?[a-z])?(?:[-/]\d+[a-z]?)?"
_SUFFIX: Final = r"(?:\s?(?:bis|ter|quater)\b)?"
# First, also a Wisconsin grid number ("N6W23001 Bluemound Rd")
# and a half ("123 1/2 Main St").
_NUMBER_FIRST: Final = rf"^((?:[nsew]\d+[nsew]\d+|{_NUMBER}(?:\s\d/\d)?){_SUFFIX})(?:\s+(.*\p{{L}}.*))?$"
_NUMBER_LAST_RE: Final = rf"^(.*\p{{L}}.*?)\s+({_NUMBER}(?:\s?[a-z]\b)?{_SUFFIX})$"
# A number after one of these is part of the street's name ("Highway 101", "County Road 12"), not a house number.
_ROUTE_WORDS: Final = r"\b(?:highway|hwy|route|rte|rt|road|rd|interstate|i|us|sr|cr|fm|state|box|km|exit)$"
# "One Microsoft Way" is "1 Microsoft Way" where the number comes first.
_NUMBER_WORDS: Final = {
    word: str(number)
    for number, word in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 1)
}
_NUMBERED_PART: Final = rf"^{_NUMBER}{_SUFFIX}\s+\p{{L}}|\p{{L}}.*\s{_NUMBER}(?:\s?[a-z])?{_SUFFIX}$"
_PO_BOX: Final = (
    r"\b(?:p[\s.]*o[\s.]*b(?:ox)?|post\s+office\s+box|postfach|boite\s+postale|b[\s.]*p|apartado(?:\s+de\s+correos)?"
    r"|apdo|caixa\s+postal|casilla|box)[\s.]*(?:no\s*)?[#:]?\s*(\d+)\b"
)

# ---------------------------------------------------------------------------------------------
# Postcodes.
_POSTCODE_LETTERS_FIRST: Final = frozenset({"GB", "CA", "IE", "MT", "BN", "AR", "JE", "GG", "IM"})
_REPEATED: Final = "^(?:" + "|".join(f"{c}+" for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ")$"
_GB_POSTCODE: Final = r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$"
_CA_POSTCODE: Final = r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d$"
# Countries of five-digit postcodes; those in the second set have none starting "00" (Italy's 00100 is Rome).
_FIVE_DIGITS: Final = ("DE", "FR", "ES", "IT")
_NO_DOUBLE_ZERO: Final = frozenset({"DE", "FR", "ES"})

# ---------------------------------------------------------------------------------------------
# States and provinces: postal code -> the names and abbreviations people type.
_US_STATES: Final = {
    "AL": "alabama ala",
    "AK": "alaska alas",
    "AZ": "arizona ariz",
    "AR": "arkansas ark",
    "CA": "california calif cal",
    "CO": "colorado colo",
    "CT": "connecticut conn",
    "DE": "delaware del",
    "DC": "districtofcolumbia washingtondc",
    "FL": "florida fla",
    "GA": "georgia",
    "HI": "hawaii",
    "ID": "idaho ida",
    "IL": "illinois ill",
    "IN": "indiana ind",
    "IA": "iowa",
    "KS": "kansas kan kans",
    "KY": "kentucky ken",
    "LA": "louisiana",
    "ME": "maine",
    "MD": "maryland",
    "MA": "massachusetts mass",
    "MI": "michigan mich",
    "MN": "minnesota minn",
    "MS": "mississippi miss",
    "MO": "missouri",
    "MT": "montana mont",
    "NE": "nebraska neb nebr",
    "NV": "nevada nev",
    "NH": "newhampshire",
    "NJ": "newjersey",
    "NM": "newmexico",
    "NY": "newyork",
    "NC": "northcarolina",
    "ND": "northdakota",
    "OH": "ohio",
    "OK": "oklahoma okla",
    "OR": "oregon ore oreg",
    "PA": "pennsylvania penn penna",
    "RI": "rhodeisland",
    "SC": "southcarolina",
    "SD": "southdakota",
    "TN": "tennessee tenn",
    "TX": "texas tex",
    "UT": "utah",
    "VT": "vermont",
    "VA": "virginia",
    "WA": "washington wash",
    "WV": "westvirginia wva",
    "WI": "wisconsin wis wisc",
    "WY": "wyoming wyo",
    "PR": "puertorico",
    "VI": "virginislands usvirginislands",
    "GU": "guam",
    "AS": "americansamoa",
    "MP": "northernmarianaislands",
}
_CA_PROVINCES: Final = {
    "AB": "alberta alta",
    "BC": "britishcolumbia colombiebritannique",
    "MB": "manitoba man",
    "NB": "newbrunswick nouveaubrunswick",
    "NL": "newfoundlandandlabrador newfoundland terreneuveetlabrador nfld nf",
    "NS": "novascotia nouvelleecosse",
    "NT": "northwestterritories territoiresdunordouest nwt",
    "NU": "nunavut",
    "ON": "ontario ont",
    "PE": "princeedwardisland ileduprinceedouard pei",
    "QC": "quebec que pq",
    "SK": "saskatchewan sask",
    "YT": "yukon yk",
}
_AU_STATES: Final = {
    "NSW": "newsouthwales",
    "VIC": "victoria",
    "QLD": "queensland",
    "SA": "southaustralia",
    "WA": "westernaustralia",
    "TAS": "tasmania",
    "NT": "northernterritory",
    "ACT": "australiancapitalterritory",
}
# German names (umlauts written as plain vowels: keys are folded the way German text is) and English ones.
_DE_STATES: Final = {
    "BW": "badenwurttemberg",
    "BY": "bayern bavaria",
    "BE": "berlin",
    "BB": "brandenburg",
    "HB": "bremen",
    "HH": "hamburg",
    "HE": "hessen hesse",
    "MV": "mecklenburgvorpommern mecklenburgwesternpomerania",
    "NI": "niedersachsen lowersaxony",
    "NW": "nordrheinwestfalen northrhinewestphalia nrw",
    "RP": "rheinlandpfalz rhinelandpalatinate",
    "SL": "saarland",
    "SN": "sachsen saxony",
    "ST": "sachsenanhalt saxonyanhalt",
    "SH": "schleswigholstein",
    "TH": "thuringen thuringia",
}
# US and Canadian codes never collide, so either country's value reads in both (a blank
# Country falls back to the org's default region, so "Ontario" may come with region US).
_STATE_TABLES: Final = {
    "US": (_US_STATES, _CA_PROVINCES),
    "CA": (_US_STATES, _CA_PROVINCES),
    "AU": (_AU_STATES,),
    "DE": (_DE_STATES,),
}
_NORTH_AMERICA: Final = "US"  # the table used when the region is unknown

# City words that abbreviate a leading name part.
_CITY_WORDS: Final = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "port"}
_CITY_NAMES: Final = {"nyc": "new york", "new york city": "new york"}


# ---------------------------------------------------------------------------------------------
# Each step adds columns to a lazy frame of distinct values. The steps are separate
# ``with_columns`` calls on purpose: an expression that uses an earlier result twice (a
# when/then/otherwise, a coalesce) would otherwise evaluate that whole earlier chain twice,
# and the chains nest (measured: 20,000 streets took 3.4 s as one expression, 0.3 s staged).
Step = Callable[[pl.LazyFrame], pl.LazyFrame]
_REGION: Final = pl.col("region")


def _lower_plain(text: pl.Expr) -> pl.Expr:
    """Lower case without accents; letters NFKD cannot split (ß, æ, œ) spelled out."""
    spelled = text.str.replace_many(["ß", "ẞ", "æ", "Æ", "œ", "Œ"], ["ss", "ss", "ae", "ae", "oe", "oe"])
    return strip_accents_expr(spelled)


def _in(regions: frozenset[str]) -> pl.Expr:
    return _REGION.is_in(sorted(regions)).fill_null(value=False)


def _words(text: pl.Expr) -> pl.Expr:
    """Letters and digits only, single spaces, stripped."""
    return text.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()


def _umlauts_plain(name: str) -> pl.Expr:
    # "Müller" folds to "muller"; "Mueller" must too, in the countries that write it so.
    text = pl.col(name)
    plain = text.str.replace_many(["ae", "oe", "ue"], ["a", "o", "u"])
    return pl.when(_in(_UMLAUT_AS_E)).then(plain).otherwise(text)


def _blank_null(name: str) -> pl.Expr:
    text = pl.col(name)
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None).alias(name)


@functools.cache
def _street_word_table() -> tuple[list[str], list[str]]:
    """Aho-Corasick patterns for the street words, each a word between two spaces."""
    pairs: dict[str, str] = {}
    for canonical, spellings in _STREET_WORDS.items():
        for spelling in spellings.split():
            pairs.setdefault(spelling.replace("+", " "), canonical)
    # Longest first: leftmost-first matching then prefers "p za" to "p".
    ordered = sorted(pairs, key=lambda spelling: (-len(spelling), spelling))
    return [_spaced(s) for s in ordered], [_spaced(pairs[s]) for s in ordered]


def _spaced(words: str) -> str:
    # Words inside a pattern are two spaces apart, as in the text being replaced.
    return " " + "  ".join(words.split()) + " "


def _canonical_words(words: pl.Expr) -> pl.Expr:
    """Replace street-type, direction and ordinal words by their canonical tokens.

    Each word is padded to " word " and words are two spaces apart, so one Aho-Corasick pass
    finds whole words only and neighbouring words never share a space.
    """
    patterns, replacements = _street_word_table()
    spaced = pl.concat_str(pl.lit(" "), words.str.replace_all(" ", "  ", literal=True), pl.lit(" "))
    canonical = spaced.str.replace_many(patterns, replacements, leftmost=True)
    pairs = [_spaced(pair) for pair in _DIRECTION_PAIRS]
    canonical = canonical.str.replace_many(pairs, [_spaced(v) for v in _DIRECTION_PAIRS.values()], leftmost=True)
    return canonical.str.replace_all(" +", " ").str.strip_chars()


# ---------------------------------------------------------------------------------------------
# Streets.
def _street_text(street: pl.Expr) -> pl.Expr:
    """The street in lower case without accents, its lines and parts separated by commas.

    PO boxes are marked ("pobox 12"); punctuation goes except "#" and a "-" or "/" beside a digit.
    """
    # Spain writes the floor and door after the house number: "C/ Mayor 2, 1º A", "3ª izq.".
    # The ordinal sign marks them (and folds to a letter below): a unit, never a house number.
    street = street.str.replace_all(r",\s*(\d{1,3})\s*[º°ª]\s*([\p{L}\d]{0,4})\.?\s*(,|$)", ", piso ${1}${2}${3}")
    text = _lower_plain(street).str.replace_all(_APOSTROPHES, "")
    text = text.str.replace_all(r"\r\n|[\r\n;|]", ",")
    text = text.str.replace_all(_PO_BOX, ",pobox ${1},")
    # "No. 5", "Nr. 5", "Nº 5", "núm. 5": the number alone. A bare "N." only when the number ends
    # the part ("Via Roma n. 10"), because "N. 5th St" is North 5th Street.
    text = text.str.replace_all(r"\b(?:no|nr|nro|num|numero)\s*[.:]?\s*(\d)", "${1}")
    text = text.str.replace_all(r"\bn\s*[.°]\s*(\d+[a-z]?)\s*(,|$)", " ${1}${2}")
    text = text.str.replace_all(r"(\d)\s*([-/])\s*(\d)", "${1}${2}${3}")
    text = text.str.replace_all(r"[^\p{L}\p{N}#,/\-]+", " ")
    # A - or / with no digit beside it is a separator ("Saint-Honoré", "C/ Mayor"); twice,
    # because neighbouring separators share a letter ("a-b-c").
    for _ in range(2):
        text = text.str.replace_all(r"(^|\D)[-/]+(\D|$)", "${1} ${2}")
    # A house number alone in a part belongs to the street beside it: "5, rue de la Paix", "Calle Mayor, 3".
    text = text.str.replace_all(rf"^\s*({_NUMBER}{_SUFFIX})\s*,", "${1} ")
    return text.str.replace_all(rf",\s*({_NUMBER}(?:\s?[a-z])?)\s*(,|$)", " ${1}${2}")


def _street_parts(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """``_part`` (the street part), ``_unit_part`` (the first part that is only a unit), ``_po_box``."""
    text = pl.col("_text")
    # Australia and New Zealand write unit 5 at number 10 as "5/10".
    unit_slash = text.str.replace_all(r"(^|,)\s*([a-z]?\d+[a-z]?)/(\d+[a-z]?)\s", "${1}unit ${2} ${3} ")
    lazy = lazy.with_columns(_text=pl.when(_in(_UNIT_SLASH_NUMBER)).then(unit_slash).otherwise(text))
    lazy = lazy.with_columns(
        _parts=text.str.split(",").list.eval(pl.element().str.replace_all(" +", " ").str.strip_chars()),
        _po_box=text.str.extract(r"pobox (\d+)", 1),
    )
    parts, part = pl.col("_parts"), pl.element()
    is_other = part.str.contains(_UNIT_PART) | part.str.starts_with("pobox") | part.str.contains(r"^(?:c o|attn?)\b")
    lazy = lazy.with_columns(
        _numbered=parts.list.eval(part.filter(part.str.contains(_NUMBERED_PART) & ~is_other)).list.first(),
        _lettered=parts.list.eval(part.filter(part.str.contains(r"\p{L}") & ~is_other)).list.first(),
        _unit_part=parts.list.eval(part.filter(part.str.contains(_UNIT_PART))).list.first(),
    )
    return lazy.with_columns(_part=pl.coalesce("_numbered", "_lettered")).drop("_parts", "_numbered", "_lettered")


def _unit_id(text: pl.Expr) -> pl.Expr:
    """The identifier of the first unit in a text ("apt 4-b" → "4b"), or null."""
    groups = text.str.extract_groups(_UNIT_INLINE)
    found = pl.coalesce([groups.struct.field(str(index)) for index in range(1, _UNIT_GROUPS + 1)])
    return found.str.replace_all(r"[\s#-]", "")


def _units(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """``unit`` from the street part, else from a part that is only a unit, else the PO box.

    The street part loses its units.
    """
    part, unit_part = pl.col("_part"), pl.col("_unit_part")
    lazy = lazy.with_columns(
        _inline_unit=_unit_id(part),
        _part_unit=_unit_id(unit_part),
        _part=part.str.replace_all(_UNIT_INLINE, " ").str.replace_all(" +", " ").str.strip_chars(),
    )
    # A part that is only a unit without a unit word (Spanish "2º B") is its own identifier.
    spelled = unit_part.str.replace_all(" ", "", literal=True)
    po_box = pl.concat_str(pl.lit("po box "), "_po_box")
    return lazy.with_columns(unit=pl.coalesce("_inline_unit", "_part_unit", spelled, po_box)).drop(
        "_inline_unit", "_part_unit", "_unit_part", "_po_box"
    )


def _house_number(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """``house_number`` read at the end of the street part where its country writes it, else the other.

    ``_rest`` is the part without it.
    """
    part = pl.col("_part")
    word = part.str.extract(r"^(\S+)\s+\S+\s+\S", 1).replace_strict(_NUMBER_WORDS, default=None, return_dtype=pl.Utf8)
    spelled = pl.concat_str(word, part.str.replace(r"^\S+", ""))
    lazy = lazy.with_columns(_part=pl.when(word.is_not_null() & ~_in(_NUMBER_LAST)).then(spelled).otherwise(part))
    lazy = lazy.with_columns(
        _first=part.str.extract_groups(_NUMBER_FIRST),
        _last=part.str.extract_groups(_NUMBER_LAST_RE),
        _number_last=_in(_NUMBER_LAST),
    )
    lazy = lazy.with_columns(
        _first_number=pl.col("_first").struct.field("1"),
        _first_rest=pl.col("_first").struct.field("2").fill_null(""),
        _last_number=pl.when(~pl.col("_last").struct.field("1").str.contains(_ROUTE_WORDS)).then(
            pl.col("_last").struct.field("2")
        ),
        _last_rest=pl.col("_last").struct.field("1"),
    )
    first, last, number_last = pl.col("_first_number"), pl.col("_last_number"), pl.col("_number_last")
    number = pl.when(number_last).then(pl.coalesce(last, first)).otherwise(pl.coalesce(first, last))
    rest = (
        pl.when(number_last & last.is_not_null())
        .then("_last_rest")
        .when(first.is_not_null())
        .then("_first_rest")
        .when(last.is_not_null())
        .then("_last_rest")
        .otherwise(part)
    )
    lazy = lazy.with_columns(house_number=number.str.replace_all(" ", "", literal=True), _rest=rest)
    return lazy.drop("_first", "_last", "_number_last", "_first_number", "_first_rest", "_last_number", "_last_rest")


def _street_key(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """``street_key`` from ``_rest``: folded, glued types split, words canonical."""
    words = _words(pl.col("_rest"))
    # German and Dutch glue the type to the name; split it off so "Hauptstraße" is "Haupt Str".
    words = words.str.replace_all(rf"(\p{{L}}{{2,}}?)({_GLUED_TYPES})\b", "${1} ${2}")
    words = _canonical_words(words)
    # "5th", "1er", "2º": the number alone ("5th Ave" is "Fifth Ave").
    words = words.str.replace_all(r"\b(\d+)(?:st|nd|rd|th|er|eme|ere|o)\b", "${1}")
    # A direction that is the whole name ("North Road", "West St") is the name, not a
    # direction: spelled out, so "Notrh Rd" is one typo from it rather than nothing like "n rd".
    named = words.str.extract_groups(rf"^({_DIRECTIONS}) ({_ENGLISH_TYPES})$")
    direction = named.struct.field("1").replace_strict(_DIRECTION_NAMES, default=None, return_dtype=pl.Utf8)
    words = (
        pl.when(direction.is_not_null())
        .then(pl.concat_str(direction, pl.lit(" "), named.struct.field("2")))
        .otherwise(words)
    )
    lazy = lazy.with_columns(street_key=words)
    return _cut_after_type(lazy).with_columns(street_key=_umlauts_plain("street_key"))


def _cut_after_type(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """Drop words after an English street's type: the city typed on the street line.

    "123 Main St Springfield IL" is 123 Main St. Only in English-speaking countries, where the
    type ends the street name; only words of three letters or more go ("County Rd 12" keeps its
    number); and only after a type that follows a name (in "W St Clair", "St" is Saint).
    """
    key = pl.col("street_key")
    groups = key.str.extract_groups(rf"^(.+)\s({_ENGLISH_TYPES})((?:\s(?:{_DIRECTIONS}))?)((?:\s\S+)+)$")
    named, removed = groups.struct.field("1"), groups.struct.field("4")
    cut = (_in(_ENGLISH_ORDER) & named.str.contains(r"\p{L}{3,}|\d") & removed.str.contains(r"\p{L}{3,}")).fill_null(
        value=False
    )
    kept = pl.concat_str(named, pl.lit(" "), groups.struct.field("2"), groups.struct.field("3"))
    return lazy.with_columns(street_key=pl.when(cut).then(kept).otherwise(key))


def _street_steps(lazy: pl.LazyFrame) -> pl.LazyFrame:
    lazy = lazy.with_columns(_text=_street_text(pl.col("street")))
    for step in (_street_parts, _units, _house_number, _street_key):
        lazy = step(lazy)
    blanks = [_blank_null(name) for name in ("house_number", "street_key", "unit")]
    return lazy.with_columns(blanks).drop("_text", "_part", "_rest")


# ---------------------------------------------------------------------------------------------
# Postcodes.
def _padded(digits: pl.Expr, width: int, shortest: int) -> pl.Expr:
    """Digits zero-padded to ``width`` when a spreadsheet stripped up to ``width - shortest`` zeros."""
    length = digits.str.len_chars()
    return pl.when((length >= shortest) & (length <= width)).then(digits.str.zfill(width)).otherwise(None)


def _us_zip(digits: pl.Expr) -> pl.Expr:
    length = digits.str.len_chars()
    return (
        pl.when(length == 9)  # noqa: PLR2004 - ZIP+4 written without its hyphen
        .then(digits.str.slice(0, 5))
        .when(length == 8)  # noqa: PLR2004 - ZIP+4 whose ZIP lost its leading zero
        .then(pl.concat_str(pl.lit("0"), digits.str.slice(0, 4)))
        .when(length.is_between(4, 5))
        .then(digits.str.zfill(5))
        # Three digits are two stripped zeros only for the 005-009 ZIPs (Holtsville NY, Puerto Rico, Virgin Islands).
        .when((length == 3) & digits.str.contains("^[5-9]"))  # noqa: PLR2004
        .then(digits.str.zfill(5))
    )


def _postcode_keys() -> list[tuple[str, pl.Expr]]:
    """(region, key) for the countries whose postcode format is known, from ``_alnum``/``_digits``."""
    alnum, numeric, digits = pl.col("_alnum"), pl.col("_numeric"), pl.col("_digits")
    keys = [
        ("US", _us_zip(digits)),
        ("GB", pl.when(alnum.str.contains(_GB_POSTCODE)).then(alnum)),
        ("CA", pl.when(alnum.str.contains(_CA_POSTCODE)).then(alnum)),
        ("NL", pl.when(numeric.str.contains(r"^[1-9]\d{3}[A-Z]{2}$")).then(numeric)),
        ("AU", _padded(digits, 4, 3)),
    ]
    for region in _FIVE_DIGITS:
        shortest = 3 if region == "IT" else 4  # Rome's 00100 saved as a number is "100"
        keys.append((region, _padded(digits, 5, shortest)))
    return keys


def _postcode_steps(lazy: pl.LazyFrame) -> pl.LazyFrame:
    raw = pl.col("postal_code").str.strip_chars().str.to_uppercase()
    # "D-10117", "F-75001", "NL-1234 AB", "CA 94105": a country or state prefix before a numeric code.
    lazy = lazy.with_columns(
        _alnum=raw.str.replace_all(r"[^A-Z0-9]", ""),
        _numeric=raw.str.replace_all(r"^[A-Z]{1,3}\s*-?\s*(\d)", "${1}").str.replace_all(r"[^A-Z0-9]", ""),
    )
    numeric = pl.col("_numeric")
    lazy = lazy.with_columns(_digits=pl.when(numeric.str.contains(r"^\d+$")).then(numeric))
    # Elsewhere: the letters and digits, if they could be a postcode at all (3-10 of them, a digit among them).
    source = pl.when(_in(_POSTCODE_LETTERS_FIRST)).then("_alnum").otherwise(numeric)
    key: pl.Expr = pl.when(source.str.contains(r"^[A-Z0-9]{3,10}$") & source.str.contains(r"\d")).then(source)
    for region, known in _postcode_keys():
        key = pl.when(_REGION.eq(region)).then(known).otherwise(key)
    lazy = lazy.with_columns(postcode_key=key)
    code, lead2, lead3 = (
        pl.col("postcode_key"),
        pl.col("postcode_key").str.slice(0, 2),
        pl.col("postcode_key").str.slice(0, 3),
    )
    valid = (
        # "00000", "99999", "XXXX": typed to get past a required field, never a place.
        ~code.str.contains(_REPEATED)
        & (_REGION.ne_missing("US") | (lead3 >= "005"))  # no ZIP starts 000-004
        & (~_in(_NO_DOUBLE_ZERO) | (lead2 != "00"))
        & (_REGION.ne_missing("ES") | (lead2 <= "52"))  # Spain's provinces end at 52
    )
    lazy = lazy.with_columns(postcode_key=pl.when(valid).then(code))
    area = (
        pl.when(_REGION.is_in(["US", "CA"]))
        .then(lead3)
        .when(_REGION == "GB")
        .then(code.str.extract(_GB_POSTCODE, 1))
        .otherwise(code.str.slice(0, code.str.len_chars() // 2))
    )
    return lazy.with_columns(postcode_area=area).drop("_alnum", "_numeric", "_digits")


# ---------------------------------------------------------------------------------------------
# States and cities.
@functools.cache
def _state_table() -> dict[str, str]:
    """``"<region>|<folded state without spaces>"`` → the state's postal code."""
    table: dict[str, str] = {}
    for region, tables in _STATE_TABLES.items():
        for states in tables:
            for code, names in states.items():
                for name in [code.lower(), f"{region.lower()}{code.lower()}", *names.split()]:
                    table.setdefault(f"{region}|{name}", code)
    return table


def _state_steps(lazy: pl.LazyFrame) -> pl.LazyFrame:
    lazy = lazy.with_columns(state_key=_words(_lower_plain(pl.col("state"))))
    folded = pl.col("state_key")
    lazy = lazy.with_columns(state_key=_umlauts_plain("state_key"))
    tables = list(_STATE_TABLES)
    table_region = pl.when(_REGION.is_in(tables)).then(_REGION).otherwise(pl.lit(_NORTH_AMERICA))
    looked_up = pl.concat_str(table_region, pl.lit("|"), folded.str.replace_all(" ", "", literal=True))
    known = looked_up.replace_strict(_state_table(), default=None, return_dtype=pl.Utf8)
    # A region without a table reads North American names only when it is missing, not for, say, France.
    known = pl.when(_REGION.is_null() | _REGION.is_in(tables)).then(known)
    return lazy.with_columns(state_key=pl.coalesce(known, folded)).with_columns(_blank_null("state_key"))


def _city_steps(lazy: pl.LazyFrame) -> pl.LazyFrame:
    lazy = lazy.with_columns(city_key=_words(_lower_plain(pl.col("city")).str.replace_all(_APOSTROPHES, "")))
    words = pl.col("city_key")
    expanded = words.str.extract(r"^(\S+) ", 1).replace_strict(_CITY_WORDS, default=None, return_dtype=pl.Utf8)
    lazy = lazy.with_columns(
        city_key=pl.when(expanded.is_not_null())
        .then(pl.concat_str(expanded, words.str.replace(r"^\S+", "")))
        .otherwise(words)
        .replace(_CITY_NAMES)
    )
    return lazy.with_columns(city_key=_umlauts_plain("city_key")).with_columns(_blank_null("city_key"))


# ---------------------------------------------------------------------------------------------
def _by_distinct(values: pl.DataFrame, column: str, steps: Step, added: list[str]) -> pl.LazyFrame:
    """Run ``steps`` on the distinct (``column``, region) pairs; their ``added`` columns in row order."""
    keys = [column, "region"]
    distinct = steps(values.lazy().select(keys).unique()).select(*keys, *added)
    joined = values.lazy().select(keys).join(distinct, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return joined.select(added)


def address_columns(values: pl.DataFrame) -> pl.DataFrame:
    """Add the comparison keys of postal addresses to a frame of address values.

    Args:
        values: Utf8 columns ``street``, ``city``, ``state``, ``postal_code`` and ``region``
            (ISO 3166 alpha-2 from :func:`sfbridge.matching.countries.region_expr`; may be null).

    Returns:
        The same rows in the same order with Utf8 columns added (each null when there is none):
        ``house_number`` ("12a", "12-14"), ``street_key`` (the street folded with its type,
        direction and ordinal words canonical, without house number, unit or PO box:
        "123 N. Main Street, Apt 4" → "n main st"; "Hauptstraße 5" → "haupt str"),
        ``unit`` ("Apt 4B" → "4b"; a PO box is "po box 123"), ``postcode_key`` (the postcode in
        its country's form, null when implausible), ``postcode_area`` (US and CA first 3, GB
        outward code, elsewhere the first half), ``state_key`` ("Calif." → "CA"; unknown names
        folded) and ``city_key`` ("St. Louis" → "saint louis").

    >>> frame = pl.DataFrame({"street": ["123 N. Main Street, Apt 4", "Hauptstraße 5"], "city": ["St. Louis", "Köln"],
    ...     "state": ["Mo.", "NRW"], "postal_code": ["6310-1234", "D-50667"], "region": ["US", "DE"]})
    >>> keyed = address_columns(frame).drop("street", "city", "state", "postal_code", "region")
    >>> keyed.rows()[0]
    ('123', 'n main st', '4', '06310', '063', 'MO', 'saint louis')
    >>> keyed.rows()[1]
    ('5', 'haupt str', None, '50667', '50', 'NW', 'koln')
    """
    # A column of nothing but nulls comes without a type: read every input as text.
    text = values.select(pl.col(_INPUTS).cast(pl.Utf8))
    parts = [
        _by_distinct(text, "street", _street_steps, ["house_number", "street_key", "unit"]),
        _by_distinct(text, "postal_code", _postcode_steps, ["postcode_key", "postcode_area"]),
        _by_distinct(text, "state", _state_steps, ["state_key"]),
        _by_distinct(text, "city", _city_steps, ["city_key"]),
    ]
    added = pl.concat(parts, how="horizontal").collect()
    return values.hstack(added.select(ADDRESS_COLUMNS))


def normalise_address(
    street: str | None,
    city: str | None,
    state: str | None,
    postal_code: str | None,
    region: str | None,
) -> dict[str, str | None]:
    """The comparison keys of one address, as :func:`address_columns` computes them.

    >>> normalise_address("Flat 3, 10 Downing Street", "London", None, "sw1a 2aa", "GB")["street_key"]
    'downing st'
    """
    frame = pl.DataFrame([(street, city, state, postal_code, region)], schema=_INPUTS, orient="row")
    row = address_columns(frame).select(ADDRESS_COLUMNS).row(0, named=True)
    return {name: row[name] for name in ADDRESS_COLUMNS}
