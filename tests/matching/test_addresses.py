"""Address keys: one address typed many ways gets one key, two addresses never share one."""

import polars as pl
import pytest

from sfbridge.matching.addresses import ADDRESS_COLUMNS, address_columns, normalise_address


def street(text, region):
    keys = normalise_address(text, None, None, None, region)
    return keys["house_number"], keys["street_key"], keys["unit"]


def postcode(text, region):
    keys = normalise_address(None, None, None, text, region)
    return keys["postcode_key"], keys["postcode_area"]


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        # US
        ("123 N. Main Street, Apt 4", "US", ("123", "n main st", "4")),
        ("500 West Fifth Avenue, Ste. 200", "US", ("500", "w 5 ave", "200")),
        ("12-14 Elm Rd #3B", "US", ("12-14", "elm rd", "3b")),
        ("1600 Pennsylvania Avenue NW", "US", ("1600", "pennsylvania ave nw", None)),
        ("123 N.E. 5th St", "US", ("123", "ne 5 st", None)),
        ("12345 Highway 101 N", "US", ("12345", "hwy 101 n", None)),
        ("45 County Road 12", "US", ("45", "county rd 12", None)),
        ("PO Box 123", "US", (None, None, "po box 123")),
        ("One Microsoft Way", "US", ("1", "microsoft way", None)),
        ("123 Main St Springfield IL", "US", ("123", "main st", None)),
        ("10 W St Clair Ave", "US", ("10", "w st clair ave", None)),
        ("100 Avenue of the Americas", "US", ("100", "ave of the americas", None)),
        # GB
        ("Flat 3, 10 Downing Street", "GB", ("10", "downing st", "3")),
        ("221B Baker Street", "GB", ("221b", "baker st", None)),
        # A direction that is the whole name is the name: "North Road" is not "N Rd"
        ("Flat 35\n16 North Road", "GB", ("16", "north rd", "35")),
        ("16 N Rd", "GB", ("16", "north rd", None)),
        ("7 West Street", "GB", ("7", "west st", None)),
        # CA
        ("c/o Jane Roe\n1 King St W, Suite 400", "CA", ("1", "king st w", "400")),
        # AU: unit 5 at number 10
        ("5/10 Smith St", "AU", ("10", "smith st", "5")),
        # DE: number last, type glued or not, floor as unit
        ("Hauptstraße 5", "DE", ("5", "haupt str", None)),
        ("Haupt-Straße 5 a", "DE", ("5a", "haupt str", None)),
        ("Königstraße 12, 3. OG", "DE", ("12", "konig str", "3")),
        ("Straße des 17. Juni 135", "DE", ("135", "str des 17 juni", None)),
        # FR: number first, with or without a comma, "bis"
        ("5 rue de la Paix", "FR", ("5", "rue de la paix", None)),
        ("5 bis, Bd Saint-Germain", "FR", ("5bis", "blvd st germain", None)),
        # ES: number last, "nº", floor and door
        ("Calle Mayor 3", "ES", ("3", "cl mayor", None)),
        ("Avda. de la Constitución nº 12", "ES", ("12", "ave de la constitucion", None)),
        ("Pº de Gracia, 21", "ES", ("21", "paseo de gracia", None)),
        ("C/ Santa Ana 2, 1º A", "ES", ("2", "cl santa ana", "1a")),
        ("Calle Riera, 15, 7º C", "ES", ("15", "cl riera", "7c")),
        ("C/ Cadenas 14, 6ª", "ES", ("14", "cl cadenas", "6")),
        # IT
        ("P.za Navona, 5", "IT", ("5", "pl navona", None)),
        ("Via Roma n. 10", "IT", ("10", "via roma", None)),
        # NL
        ("Kerkstraat 12", "NL", ("12", "kerk str", None)),
        ("2e Hugo de Grootstraat 12", "NL", ("12", "2e hugo de groot str", None)),
        # PT
        ("R. Augusta, 100", "PT", ("100", "rue augusta", None)),
        # Nothing there
        ("   ", "US", (None, None, None)),
        (None, None, (None, None, None)),
    ],
)
def test_street_is_split_into_number_name_and_unit(text, region, expected):
    """House number, canonical street name and unit come apart in each country's order."""
    assert street(text, region) == expected


@pytest.mark.parametrize(
    ("first", "second", "region"),
    [
        ("123 Main St.", "123 MAIN STREET", "US"),
        ("123 N Main St", "123 North Main Street", "US"),
        ("123 NE 5th St", "123 N.E. Fifth Street", "US"),
        ("10 Downing St", "10 Downing Street, London", "GB"),
        ("Hauptstraße 5", "Hauptstr. 5", "DE"),
        ("Hauptstrasse 5", "Haupt Str 5", "DE"),
        ("Königstraße 12", "Koenigstr. 12", "DE"),
        ("5 rue de la Paix", "5, Rue De La Paix", "FR"),
        ("12 av. des Champs-Élysées", "12 Avenue des Champs Elysees", "FR"),
        ("Calle Mayor 3", "C/ Mayor, 3", "ES"),
        ("Avenida de América 10", "Avda. de America 10", "ES"),
        ("Via Roma 10", "V. Roma, 10", "IT"),
        ("Piazza Navona 5", "P.za Navona 5", "IT"),
        ("Kerkstraat 12", "Kerkstr. 12", "NL"),
        ("Rua Augusta 100", "R. Augusta 100", "PT"),
    ],
)
def test_spellings_of_one_address_agree(first, second, region):
    """Abbreviations, case, accents, punctuation and a city after the street do not matter."""
    assert street(first, region)[:2] == street(second, region)[:2]


@pytest.mark.parametrize(
    ("first", "second", "region"),
    [
        ("123 Main St", "123 Main Ave", "US"),
        ("123 Main St", "125 Main St", "US"),
        ("123 N Main St", "123 S Main St", "US"),
        ("12 Rue Saint-Honoré", "12 Rue Saint-Denis", "FR"),
        ("45 County Road 12", "45 County Road 14", "US"),
        ("Hauptstraße 5", "Hauptstraße 5a", "DE"),
        ("Hauptstraße 5", "Hauptweg 5", "DE"),
        ("Calle 12 45", "Calle 12a 45", "CO"),
    ],
)
def test_different_addresses_do_not_agree(first, second, region):
    """A different street type, direction, name or house number is a different address."""
    assert street(first, region)[:2] != street(second, region)[:2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme Corp\n123 Main St\nSuite 400", ("123", "main st", "400")),
        ("123 Main St\r\nApt. 12-C", ("123", "main st", "12c")),
        ("Attn: Accounts Payable\nP.O. Box 77", (None, None, "po box 77")),
        ("2nd Floor, 55 Water St", ("55", "water st", "2")),
    ],
)
def test_multi_line_street_keeps_the_street_line_and_the_unit(text, expected):
    """A company or attention line is dropped, a unit line becomes the unit."""
    assert street(text, "US") == expected


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("94105", "US", ("94105", "941")),
        ("94105-1234", "US", ("94105", "941")),  # ZIP+4
        ("941051234", "US", ("94105", "941")),
        ("2134", "US", ("02134", "021")),  # a spreadsheet dropped the leading zero
        ("2134-0001", "US", ("02134", "021")),
        ("901", "US", ("00901", "009")),  # San Juan, PR, both zeros dropped
        ("CA 94105", "US", ("94105", "941")),
        ("sw1a 1aa", "GB", ("SW1A1AA", "SW1A")),
        ("M1 1AE", "GB", ("M11AE", "M1")),
        ("k1a 0b1", "CA", ("K1A0B1", "K1A")),
        ("1234 ab", "NL", ("1234AB", "123")),
        ("D-10117", "DE", ("10117", "10")),
        ("1067", "DE", ("01067", "01")),
        ("F-75001", "FR", ("75001", "75")),
        ("8001", "ES", ("08001", "08")),
        ("100", "IT", ("00100", "00")),
        ("800", "AU", ("0800", "08")),
        ("2000", "AU", ("2000", "20")),
        ("100-0001", "JP", ("1000001", "100")),
        ("d02 x285", "IE", ("D02X285", "D02")),
    ],
)
def test_postcode_is_read_in_its_country_format(text, region, expected):
    """Postcodes take their country's canonical form and a coarser area for blocking."""
    assert postcode(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("00000", "US"),
        ("99999", "US"),
        ("123", "US"),
        ("N/A", "US"),
        ("-", "GB"),
        ("12345", "GB"),
        ("D1A 0B1", "CA"),
        ("1234", "NL"),
        ("53001", "ES"),
        ("00100", "DE"),
        ("0000", "AU"),
        ("xxxx", "BR"),
        ("none", None),
    ],
)
def test_implausible_postcodes_are_null(text, region):
    """Placeholders and values impossible in the country are no postcode at all."""
    assert postcode(text, region) == (None, None)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("California", "US", "CA"),
        ("Calif.", "US", "CA"),
        ("ca", "US", "CA"),
        ("N.Y.", "US", "NY"),
        ("Texas", None, "TX"),
        ("Ontario", "US", "ON"),  # a blank country read in the default region
        ("Québec", "CA", "QC"),
        ("B.C.", "CA", "BC"),
        ("New South Wales", "AU", "NSW"),
        ("WA", "AU", "WA"),
        ("Bayern", "DE", "BY"),
        ("Thüringen", "DE", "TH"),
        ("Thueringen", "DE", "TH"),
        ("NRW", "DE", "NW"),
        ("Île-de-France", "FR", "ile de france"),
        ("Texas", "FR", "texas"),
        ("", "US", None),
    ],
)
def test_state_names_and_abbreviations_become_codes(text, region, expected):
    """US, Canadian, Australian and German states read as their codes; others are folded."""
    assert normalise_address(None, None, text, None, region)["state_key"] == expected


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("St. Louis", "US", "saint louis"),
        ("Ft. Worth", "US", "fort worth"),
        ("NYC", "US", "new york"),
        ("St-Jean-sur-Richelieu", "CA", "saint jean sur richelieu"),
        ("Muenchen", "DE", "munchen"),
        ("München", "DE", "munchen"),
        ("  ", "US", None),
    ],
)
def test_city_key_resolves_common_abbreviations(text, region, expected):
    """A city typed with "St." or an umlaut spelled out gets the same key."""
    assert normalise_address(None, text, None, None, region)["city_key"] == expected


def test_address_columns_keeps_rows_order_and_height():
    """Rows come back in their order with the key columns added, repeats and nulls included."""
    values = pl.DataFrame(
        {
            "street": ["Hauptstr. 5", "123 Main St", "Hauptstr. 5", None, "123 Main St"],
            "city": ["Berlin", None, "Berlin", "Paris", "Boston"],
            "state": [None, "MA", None, None, "Mass."],
            "postal_code": ["10117", "2134", "10117", None, "02134-0001"],
            "region": ["DE", "US", "AT", None, "US"],
            "idx": [0, 1, 2, 3, 4],
        }
    )
    keyed = address_columns(values)
    assert keyed.columns == [*values.columns, *ADDRESS_COLUMNS]
    assert keyed.get_column("idx").to_list() == [0, 1, 2, 3, 4]
    assert keyed.get_column("street_key").to_list() == ["haupt str", "main st", "haupt str", None, "main st"]
    assert keyed.get_column("postcode_key").to_list() == ["10117", "02134", "10117", None, "02134"]
    assert keyed.get_column("state_key").to_list() == [None, "MA", None, None, "MA"]
    assert keyed.schema["unit"] == pl.Utf8


def test_normalise_address_agrees_with_address_columns():
    """The scalar helper is the column computation on one row."""
    row = ("Flat 3, 10 Downing Street", "London", None, "sw1a 2aa", "GB")
    frame = pl.DataFrame([row], schema=["street", "city", "state", "postal_code", "region"], orient="row")
    assert normalise_address(*row) == address_columns(frame).select(ADDRESS_COLUMNS).row(0, named=True)
