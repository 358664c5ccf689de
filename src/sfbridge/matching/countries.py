"""Read the free-text country of a record ("United States", "Deutschland", "UK") as a region code.

Salesforce's Country fields are free text unless the org turned on State and Country picklists,
so one org holds "United States", "USA" and "US" side by side. Phone numbers written in national
format can only be read in their country, so this maps what people type to ISO 3166 region codes
using the country names phonenumbers ships (every region, in about a hundred languages; a copy
bundled as ``country_names.json``), the codes themselves, and a few everyday short forms that
are not ISO codes.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import phonenumbers
import polars as pl

from sfbridge.matching.fold import fold, fold_expr

__all__ = ["region_expr", "region_for_country"]

# Short forms people type that are neither ISO codes nor names in phonenumbers' tables.
_EVERYDAY_NAMES = {
    "usa": "US",
    "u s a": "US",
    "u s": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "uae": "AE",
}


@functools.cache
def _regions_by_name() -> dict[str, str]:
    # The names are phonenumbers' own, copied into a bundled file (sfbridge_tools.country_names):
    # its module of them imports the geocoding table of every number prefix with it, 0.4 s and
    # some 100 MB held through the whole audit, for 3,500 names.
    bundled = json.loads(
        resources.files("sfbridge.matching").joinpath("country_names.json").read_text(encoding="utf-8")
    )
    table: dict[str, str] = {}
    for region, names in bundled["regions"].items():
        if region not in phonenumbers.SUPPORTED_REGIONS:
            continue
        table.setdefault(region.lower(), region)
        for name in names:
            key = fold(name)
            if key:
                # English names come first, so they win over a clash in another language.
                table.setdefault(key, region)
    table.update(_EVERYDAY_NAMES)
    return table


def region_for_country(country: str | None) -> str | None:
    """The ISO region code of a country as people type it, or None when unknown.

    >>> region_for_country("Deutschland"), region_for_country(" U.S.A. "), region_for_country("gb")
    ('DE', 'US', 'GB')
    >>> region_for_country("Atlantis") is None
    True
    """
    key = fold(country)
    return _regions_by_name().get(key) if key else None


def region_expr(country: pl.Expr, *, default: str) -> pl.Expr:
    """A column of region codes for a column of free-text countries.

    Args:
        country: the country column (``Lead.Country``, ``Contact.MailingCountry``).
        default: the region for blank or unknown countries (``rules.default_phone_region``).

    Returns:
        Region codes; never null.
    """
    table = _regions_by_name()
    return fold_expr(country).replace_strict(table, default=default, return_dtype=pl.Utf8)
