"""Countries and cities of the synthetic org: locales, legal suffixes, addresses, postcodes.

Cities are real; postcodes follow each country's format (``#`` a digit, ``@`` a letter).
Phone numbering lives in `phones`, keyed by the same country codes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COUNTRIES", "City", "Country", "postcode", "street_line"]

_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True, slots=True)
class City:
    """A city: its name, state/province (empty where addresses carry none), postcode shapes."""

    name: str
    state: str
    postcodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Country:
    """A country companies and people can be in.

    Attributes:
        code: ISO 3166 alpha-2 code, also the key of its phone numbering plan.
        name: the name written in address Country fields.
        weight: relative share of companies.
        locales: Faker locales of people's names, with weights.
        suffixes: legal-form suffixes, most common first.
        cities: where companies sit.
        house_first: whether the house number precedes the street name.
        gendered_surnames: whether surnames change with gender (Polish, Greek).
    """

    code: str
    name: str
    weight: float
    locales: tuple[tuple[str, float], ...]
    suffixes: tuple[str, ...]
    cities: tuple[City, ...]
    house_first: bool = True
    gendered_surnames: bool = False


def _cities(*rows: tuple[str, str, str]) -> tuple[City, ...]:
    return tuple(City(name, state, tuple(codes.split())) for name, state, codes in rows)


# fmt: off
COUNTRIES: tuple[Country, ...] = (
    Country("US", "United States", 0.42, (("en_US", 0.82), ("es_MX", 0.12), ("en_IE", 0.06)),
            ("Inc.", "LLC", "Corp.", ", Inc.", "Corporation", "Co.", "L.P."),
            _cities(("San Francisco", "CA", "941##"), ("San Jose", "CA", "951##"), ("Los Angeles", "CA", "900##"),
                    ("San Diego", "CA", "921##"), ("Seattle", "WA", "981##"), ("Portland", "OR", "972##"),
                    ("Denver", "CO", "802##"), ("Austin", "TX", "787##"), ("Dallas", "TX", "752##"),
                    ("Houston", "TX", "770##"), ("Chicago", "IL", "606##"), ("Minneapolis", "MN", "554##"),
                    ("Atlanta", "GA", "303##"), ("Miami", "FL", "331##"), ("Boston", "MA", "021##"),
                    ("New York", "NY", "100## 101##"), ("Philadelphia", "PA", "191##"),
                    ("Pittsburgh", "PA", "152##"), ("Washington", "DC", "200##"), ("Raleigh", "NC", "276##"),
                    ("Nashville", "TN", "372##"), ("Phoenix", "AZ", "850##"), ("Salt Lake City", "UT", "841##"),
                    ("Columbus", "OH", "432##"), ("Detroit", "MI", "482##"), ("St. Louis", "MO", "631##"),
                    ("Madison", "WI", "537##"), ("Charlotte", "NC", "282##"), ("Indianapolis", "IN", "462##"))),
    Country("GB", "United Kingdom", 0.14, (("en_GB", 0.85), ("en_IE", 0.15)),
            ("Ltd", "Limited", "plc", "LLP", "Ltd."),
            _cities(("London", "", "EC1A_#@@ EC2M_#@@ SW1A_#@@ W1D_#@@ N1_#@@ SE1_#@@ E14_#@@"),
                    ("Manchester", "", "M1_#@@ M2_#@@ M3_#@@"), ("Birmingham", "", "B1_#@@ B2_#@@ B3_#@@"),
                    ("Leeds", "", "LS1_#@@ LS2_#@@"), ("Bristol", "", "BS1_#@@ BS2_#@@"),
                    ("Edinburgh", "", "EH1_#@@ EH2_#@@ EH3_#@@"), ("Glasgow", "", "G1_#@@ G2_#@@"),
                    ("Cambridge", "", "CB1_#@@ CB2_#@@"), ("Reading", "", "RG1_#@@ RG2_#@@"))),
    Country("DE", "Germany", 0.08, (("de_DE", 1.0),), ("GmbH", "AG", "GmbH & Co. KG", "KG", "SE"),
            _cities(("Berlin", "", "101## 107##"), ("München", "", "803## 804##"), ("Hamburg", "", "200##"),
                    ("Frankfurt am Main", "", "603##"), ("Köln", "", "506##"), ("Stuttgart", "", "701##"),
                    ("Düsseldorf", "", "402##"), ("Leipzig", "", "041##")),
            house_first=False),
    Country("FR", "France", 0.06, (("fr_FR", 1.0),), ("S.A.", "SAS", "SARL", "S.A.S."),
            _cities(("Paris", "", "7500# 7501#"), ("Lyon", "", "6900#"), ("Marseille", "", "1300#"),
                    ("Toulouse", "", "31000 31100 31200"), ("Bordeaux", "", "33000 33100 33200"),
                    ("Nantes", "", "44000 44100 44200"), ("Lille", "", "59000 59800"),
                    ("Strasbourg", "", "67000 67100"), ("Rennes", "", "35000 35200"))),
    Country("AU", "Australia", 0.05, (("en_AU", 1.0),), ("Pty Ltd", "Pty. Ltd.", "Ltd"),
            _cities(("Sydney", "NSW", "2000 2060 2065"), ("Melbourne", "VIC", "3000 3004 3121"),
                    ("Brisbane", "QLD", "4000 4006"), ("Perth", "WA", "6000 6005"),
                    ("Adelaide", "SA", "5000 5006"), ("Canberra", "ACT", "2600 2601"))),
    Country("CA", "Canada", 0.04, (("en_CA", 0.75), ("fr_CA", 0.25)), ("Inc.", "Ltd.", "Corp.", "Ltée"),
            _cities(("Toronto", "ON", "M5V_#@# M5H_#@# M4W_#@#"), ("Vancouver", "BC", "V6B_#@# V6C_#@#"),
                    ("Montréal", "QC", "H2Y_#@# H3B_#@#"), ("Calgary", "AB", "T2P_#@#"),
                    ("Ottawa", "ON", "K1P_#@# K2P_#@#"))),
    Country("NL", "Netherlands", 0.03, (("nl_NL", 1.0),), ("B.V.", "N.V."),
            _cities(("Amsterdam", "", "1017_@@ 1082_@@"), ("Rotterdam", "", "3011_@@ 3012_@@"),
                    ("Utrecht", "", "3511_@@"), ("Eindhoven", "", "5611_@@"), ("Den Haag", "", "2511_@@")),
            house_first=False),
    Country("ES", "Spain", 0.03, (("es_ES", 1.0),), ("S.L.", "S.A."),
            _cities(("Madrid", "", "280##"), ("Barcelona", "", "080##"), ("Valencia", "", "460##"),
                    ("Sevilla", "", "410##"), ("Bilbao", "", "480##")),
            house_first=False),
    Country("IT", "Italy", 0.03, (("it_IT", 1.0),), ("S.r.l.", "S.p.A."),
            _cities(("Milano", "MI", "201##"), ("Roma", "RM", "001##"), ("Torino", "TO", "101##"),
                    ("Bologna", "BO", "401##"), ("Firenze", "FI", "501##")),
            house_first=False),
    Country("JP", "Japan", 0.03, (("ja_JP", 1.0),), ("K.K.", "Co., Ltd.", "Inc."),
            _cities(("Chiyoda-ku", "Tokyo", "100-00##"), ("Minato-ku", "Tokyo", "105-00##"),
                    ("Shibuya-ku", "Tokyo", "150-00##"), ("Osaka", "Osaka", "530-00##"),
                    ("Yokohama", "Kanagawa", "220-00##"), ("Nagoya", "Aichi", "450-00##"))),
    Country("BR", "Brazil", 0.02, (("pt_BR", 1.0),), ("Ltda.", "S.A."),
            _cities(("São Paulo", "SP", "01310-### 04538-###"), ("Rio de Janeiro", "RJ", "20040-###"),
                    ("Belo Horizonte", "MG", "30130-###"), ("Curitiba", "PR", "80010-###")),
            house_first=False),
    Country("MX", "Mexico", 0.02, (("es_MX", 1.0),), ("S.A. de C.V.", "S. de R.L. de C.V."),
            _cities(("Ciudad de México", "CDMX", "066## 113##"), ("Guadalajara", "JAL", "441##"),
                    ("Monterrey", "NL", "640##")),
            house_first=False),
    Country("PL", "Poland", 0.02, (("pl_PL", 1.0),), ("Sp. z o.o.", "S.A."),
            _cities(("Warszawa", "", "00-### 02-###"), ("Kraków", "", "30-###"), ("Wrocław", "", "50-###"),
                    ("Gdańsk", "", "80-###")),
            house_first=False, gendered_surnames=True),
    Country("GR", "Greece", 0.01, (("el_GR", 1.0),), ("S.A.", "A.E.", "E.P.E."),
            _cities(("Athens", "", "105_## 106_##"), ("Thessaloniki", "", "546_##")),
            house_first=False, gendered_surnames=True),
)
# fmt: on


def postcode(bits: int, city: City) -> str:
    """Return a postcode of the city's shape (``_`` stands for a space), drawn from `bits`.

    Taking an int rather than a random stream lets a company's address follow from a hash of
    its index.
    """
    template = city.postcodes[bits % len(city.postcodes)]
    bits //= len(city.postcodes)
    out = []
    for ch in template:
        if ch == "#":
            bits, digit = divmod(bits, 10)
            out.append(str(digit))
        elif ch == "@":
            bits, letter = divmod(bits, len(_POSTCODE_LETTERS))
            out.append(_POSTCODE_LETTERS[letter])
        else:
            out.append(" " if ch == "_" else ch)
    return "".join(out)


def street_line(bits: int, country: Country, street: str) -> str:
    """Return a street address line in the country's usual order, sometimes with a unit line."""
    number = 1 + bits % 399
    bits //= 399
    if country.code == "JP":
        line = f"{1 + bits % 8}-{1 + bits // 8 % 19}-{1 + bits // 152 % 29} {street}"
    elif country.house_first:
        line = f"{number} {street}"
    else:
        line = f"{street} {number}"
    roll = bits % 100
    if roll < 12 and country.code in {"US", "CA", "AU"}:  # noqa: PLR2004 (share of offices in suites)
        line += f"\nSuite {1 + bits // 100 % 29}00"
    elif roll < 8 and country.code == "GB":  # noqa: PLR2004
        line = f"Floor {1 + bits // 100 % 11}\n{line}"
    return line
