"""Address normalisation: seconds for N distinct synthetic streets, and usaddress measured beside it.

Builds N distinct addresses in the shapes Salesforce orgs hold (US, GB, CA, AU, DE, FR, ES,
IT, NL; units, multi-line Street values, a company line, postcodes as typed and as a
spreadsheet saves them) and times :func:`sfbridge.matching.addresses.address_columns` on
them, the street columns alone and all columns.

With ``--usaddress`` (needs ``pip install usaddress usaddress-scourgify``, not dependencies
of sfbridge) it also reads labelled US streets with ``usaddress`` (its tags turned into the
same keys) and with this module, counting the house number, street key and unit each gets
right, and times usaddress and scourgify per value on ``--usaddress-values`` US streets.

    python benchmarks/address_bench.py --streets 500000
    python benchmarks/address_bench.py --streets 100000 --usaddress
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from machine import machine  # benchmarks/machine.py, beside this script

from sfbridge.matching.addresses import (
    _NUMBER_WORDS as NUMBER_WORDS,
)
from sfbridge.matching.addresses import (
    ADDRESS_COLUMNS,
    _street_steps,
    address_columns,
    normalise_address,
)

NAMES = [
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "Highland",
    "Church",
    "Mill",
    "River",
    "Spring",
    "Willow",
    "Jefferson",
    "Lincoln",
    "Madison",
    "Franklin",
    "Chestnut",
    "Walnut",
    "Cherry",
    "Meadow",
    "Forest",
    "Ridge",
    "Valley",
    "Market",
    "Union",
    "Bridge",
]
EN_TYPES = ("Street", "St.", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Drive", "Dr", "Lane", "Ln")
EN_UNITS = ("Apt {u}", "Apt. {u}", "Suite {u}", "Ste {u}", "#{u}", "Unit {u}", "Fl {u}")
DIRECTIONS = ("", "", "", "N ", "S. ", "East ", "W ", "NE ")
DE_NAMES = [
    "Haupt",
    "Bahnhof",
    "Schiller",
    "Goethe",
    "Garten",
    "Kirch",
    "Linden",
    "Berg",
    "Schul",
    "Dorf",
    "Mühlen",
    "Friedrich",
    "Königs",
    "Rosen",
]
DE_TYPES = ("straße", "str.", "strasse", " Str.", "weg", "platz", "allee", "gasse", "ring")
FR_TYPES = ("rue", "Rue", "avenue", "Av.", "boulevard", "Bd", "chemin", "place", "allée")
FR_NAMES = ("de la Paix", "Victor Hugo", "du Général Leclerc", "Saint-Honoré", "des Lilas", "Jean Jaurès", "de Paris")
ES_TYPES = ("Calle", "C/", "Avenida", "Avda.", "Plaza", "Paseo", "Pº")
IT_TYPES = ("Via", "V.", "Viale", "Piazza", "P.za", "Corso")
ES_IT_NAMES = ("Mayor", "Roma", "Garibaldi", "de Gracia", "Cavour", "del Sol", "Mazzini", "de la Constitución")
NL_NAMES = ("Kerk", "Dorps", "Molen", "School", "Stations", "Nieuwe", "Wilhelmina", "Beatrix")
NL_TYPES = ("straat", "str.", "laan", "weg", "plein", "gracht")
COMPANY_LINE = 0.05  # share of US-style streets with a company or "c/o" line above them
COMPANIES = ("Acme Corp", "Globex Inc.", "c/o Finance Dept", "Attn: Accounts Payable", "Initech")


def _street(rng: random.Random, number: int) -> tuple[str, str, str]:
    """One street value, its region and a postcode as someone might type it."""
    unit = rng.choice(("", "", "", str(rng.randint(1, 40)), f"{rng.randint(1, 9)}{rng.choice('ABC')}"))
    kind = rng.choices(("en", "de", "fr", "es-it", "nl"), weights=(45, 20, 13, 14, 8))[0]
    if kind == "en":
        street = f"{number} {rng.choice(DIRECTIONS)}{rng.choice(NAMES)} {rng.choice(EN_TYPES)}"
        if unit:
            joiner = rng.choice((" ", ", ", "\n"))
            street += joiner + rng.choice(EN_UNITS).format(u=unit)
        if rng.random() < COMPANY_LINE:
            street = rng.choice(COMPANIES) + "\n" + street
        postcode = rng.choice(
            (f"{rng.randint(501, 99950):05d}", f"{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}")
        )
        return street, rng.choice(("US", "US", "US", "GB", "CA", "AU")), postcode
    if kind == "de":
        sep = rng.choice(("", "", " ", "-"))
        street = f"{rng.choice(DE_NAMES)}{sep}{rng.choice(DE_TYPES)} {number}{rng.choice(('', '', 'a', ' b'))}"
        return street, "DE", f"{rng.randint(1067, 99998):05d}"
    if kind == "fr":
        comma = rng.choice(("", ","))
        return f"{number}{comma} {rng.choice(FR_TYPES)} {rng.choice(FR_NAMES)}", "FR", f"{rng.randint(1000, 95999):05d}"
    if kind == "es-it":
        types, region = rng.choice(((ES_TYPES, "ES"), (IT_TYPES, "IT")))
        sep = rng.choice((" ", ", ", " nº ", ", n. "))
        return f"{rng.choice(types)} {rng.choice(ES_IT_NAMES)}{sep}{number}", region, f"{rng.randint(1000, 52999):05d}"
    street = f"{rng.choice(NL_NAMES)}{rng.choice(NL_TYPES)} {number}"
    return street, "NL", f"{rng.randint(1000, 9999)} {rng.choice(('AB', 'CD', 'XZ'))}"


def synthetic_addresses(count: int, seed: int = 12) -> pl.DataFrame:
    """``count`` rows with distinct streets (and their city, state, postcode and region)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[tuple[str, str, str, str, str]] = []
    number = 0
    while len(rows) < count:
        number = rng.choice((number % 20000 + 1, rng.randint(1, 20000)))
        street, region, postcode = _street(rng, number)
        if street in seen:
            continue
        seen.add(street)
        city = rng.choice(("Springfield", "St. Louis", "München", "Paris", "Madrid", "Roma", "Amsterdam", "London"))
        state = rng.choice(("California", "Calif.", "CA", "NY", "Bayern", "Ontario", "", "NSW"))
        rows.append((street, city, state, postcode, region))
    return pl.DataFrame(rows, schema=["street", "city", "state", "postal_code", "region"], orient="row")


def _best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


# Labelled US streets: (street, house number, street key, unit). The street keys are this
# module's canonical tokens; the question is which parser finds the parts.
US_CASES: tuple[tuple[str, str | None, str | None, str | None], ...] = (
    ("123 N. Main Street, Apt 4", "123", "n main st", "4"),
    ("123 MAIN ST.", "123", "main st", None),
    ("500 W 5th Ave Suite 200", "500", "w 5 ave", "200"),
    ("500 West Fifth Avenue, Ste. 200", "500", "w 5 ave", "200"),
    ("1600 Pennsylvania Avenue NW", "1600", "pennsylvania ave nw", None),
    ("12-14 Elm Rd #3B", "12-14", "elm rd", "3b"),
    ("Acme Corp\n123 Main St\nSuite 400", "123", "main st", "400"),
    ("123 Main St\nApt. 12-C", "123", "main st", "12c"),
    ("2nd Floor, 55 Water St", "55", "water st", "2"),
    ("123 N.E. 5th St", "123", "ne 5 st", None),
    ("PO Box 123", None, None, "po box 123"),
    ("P.O. Box 77", None, None, "po box 77"),
    ("12345 Highway 101 N", "12345", "hwy 101 n", None),
    ("4 Privet Drive, Little Whinging", "4", "privet dr", None),
    ("c/o Jane Doe, 77 Mass Ave", "77", "mass ave", None),
    ("350 Fifth Avenue, 34th Floor", "350", "5 ave", "34"),
    ("1 Infinite Loop Bldg 3", "1", "infinite loop", "3"),
    ("221B Baker St", "221b", "baker st", None),
    ("88 Colin P Kelly Jr St", "88", "colin p kelly jr st", None),
    ("400 Broad St Unit B", "400", "broad st", "b"),
    ("1 Martin Luther King Jr Blvd", "1", "mlk jr blvd", None),
    ("742 Evergreen Terrace", "742", "evergreen ter", None),
    ("10 Saint Marks Pl Apt 2R", "10", "st marks pl", "2r"),
    ("One Microsoft Way", "1", "microsoft way", None),
    ("9 Route 9W", "9", "rte 9w", None),
    ("45 County Road 12", "45", "county rd 12", None),
    ("1200 S Figueroa St, Ste 1500", "1200", "s figueroa st", "1500"),
    ("3 Elm St Fl 2", "3", "elm st", "2"),
    # Harder shapes, where a trained tagger might be expected to win.
    ("100 Avenue of the Americas", "100", "ave of the americas", None),
    ("20 W 34th St", "20", "w 34 st", None),
    ("1234 Avenue B", "1234", "ave b", None),
    ("123 1/2 Main St", "1231/2", "main st", None),
    ("N6W23001 Bluemound Rd", "n6w23001", "bluemound rd", None),
    ("123 Main St Springfield IL", "123", "main st", None),
    ("Rural Route 2 Box 10", None, "rural rte 2", "po box 10"),
    ("77 Massachusetts Ave Rm 4-123", "77", "massachusetts ave", "4123"),
    ("1 Park Plaza, Suite 5A", "1", "park pl", "5a"),
    ("5000 Forbes Ave.\nMellon Institute", "5000", "forbes ave", None),
)


def _usaddress_keys(street: str) -> dict[str, str | None]:
    import usaddress  # type: ignore[import-not-found]  # noqa: PLC0415 - measured only on request

    try:
        tags, _ = usaddress.tag(street.replace("\n", ", "))
    except usaddress.RepeatedLabelError as error:
        tags = {label: text for text, label in error.parsed_string}
    name = " ".join(
        tags.get(label, "")
        for label in (
            "StreetNamePreModifier",
            "StreetNamePreDirectional",
            "StreetNamePreType",
            "StreetName",
            "StreetNamePostType",
            "StreetNamePostDirectional",
        )
    ).strip()
    # The same canonical words as the module, so only the parsing differs (a leading "1" keeps
    # this module from reading a number at the end of the name as a house number).
    keyed = normalise_address(f"1 {name}", None, None, None, "US")
    unit = tags.get("OccupancyIdentifier") or tags.get("SubaddressIdentifier")
    if unit:
        # The module's unit form: no "#", "-" or spaces, and no ordinal suffix ("34th" floor).
        unit = re.sub(r"(\d)(?:st|nd|rd|th)$", r"\1", re.sub(r"[#\s-]", "", unit.lower()))
    elif tags.get("USPSBoxID"):
        unit = "po box " + tags["USPSBoxID"]
    number = (tags.get("AddressNumber") or "").lower()
    return {
        "house_number": NUMBER_WORDS.get(number, number) or None,
        "street_key": keyed["street_key"],
        "unit": unit or None,
    }


def _accuracy(read: Callable[[str], dict[str, Any]]) -> dict[str, int]:
    right = {"house_number": 0, "street_key": 0, "unit": 0, "all three": 0}
    for street, number, key, unit in US_CASES:
        got = read(street)
        hits = [got["house_number"] == number, got["street_key"] == key, got["unit"] == unit]
        for field, hit in zip(("house_number", "street_key", "unit"), hits, strict=True):
            right[field] += hit
        right["all three"] += all(hits)
    return right


def _measure_usaddress(values: int) -> None:
    import usaddress  # noqa: PLC0415
    from scourgify import normalize_address_record  # type: ignore[import-not-found]  # noqa: PLC0415

    print(f"labelled US streets: {len(US_CASES)}")
    print("  sfbridge :", _accuracy(lambda s: normalise_address(s, None, None, None, "US")))
    print("  usaddress:", _accuracy(_usaddress_keys))
    # US-style streets only (number first, English types, units, company lines): usaddress's own ground.
    english = synthetic_addresses(values * 3).filter(pl.col("region").is_in(["US", "GB", "CA", "AU"]))
    streets = english.head(values).get_column("street").to_list()
    start = time.perf_counter()
    for street in streets:
        with contextlib.suppress(usaddress.RepeatedLabelError):
            usaddress.tag(street)
    per_value = (time.perf_counter() - start) / len(streets)
    print(f"  usaddress.tag: {per_value * 1e6:.0f} µs a value over {len(streets):,} US streets")
    sample = streets[:10000]
    start, failed = time.perf_counter(), 0
    for street in sample:
        try:
            normalize_address_record(
                {"address_line_1": street, "city": "Springfield", "state": "IL", "postal_code": "62701"}
            )
        except Exception:  # noqa: BLE001 - scourgify raises several kinds on what it cannot read
            failed += 1
    per_value = (time.perf_counter() - start) / len(sample)
    print(f"  scourgify: {per_value * 1e6:.0f} µs a value over {len(sample):,}, {failed} raised")
    frame = pl.LazyFrame({"street": streets}).with_columns(region=pl.lit("US"))
    seconds = _best(lambda: _street_steps(frame).collect(), 3)
    print(f"  sfbridge street columns: {seconds / len(streets) * 1e6:.1f} µs a value over {len(streets):,}")


def main() -> None:
    """Time the normaliser on N distinct streets (and usaddress when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streets", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--usaddress", action="store_true")
    parser.add_argument("--usaddress-values", type=int, default=100_000)
    args = parser.parse_args()
    print(machine())
    start = time.perf_counter()
    frame = synthetic_addresses(args.streets)
    print(f"{frame.height:,} distinct streets generated in {time.perf_counter() - start:.1f} s")
    lazy = frame.lazy().select("street", "region")
    streets = _best(lambda: _street_steps(lazy).collect(), args.repeat)
    everything = _best(lambda: address_columns(frame), args.repeat)
    cpu = time.process_time()
    address_columns(frame)
    cpu = time.process_time() - cpu
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"street columns: {streets:.2f} s; all columns (address_columns): {everything:.2f} s wall, {cpu:.2f} s CPU")
    print(f"(load average {load} on this machine while measuring: other work shares the cores)")
    keyed = address_columns(frame).select(ADDRESS_COLUMNS)
    print("filled:", {name: keyed.height - keyed.get_column(name).null_count() for name in ADDRESS_COLUMNS})
    if args.usaddress:
        _measure_usaddress(args.usaddress_values)


if __name__ == "__main__":
    main()
