"""Read the free-text country of a record ("United States", "Deutschland", "UK") as a region code.

Salesforce's Country fields are free text unless the org turned on State and Country picklists,
so one org holds "United States", "USA" and "US" side by side. Phone numbers written in national
format can only be read in their country, so this maps what people type to ISO 3166 region codes
using the country names phonenumbers ships (every region, in about a hundred languages), the
codes themselves, and a few everyday short forms that are not ISO codes.
"""

from __future__ import annotations

import functools

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


def _names_of(by_language: dict[str, str]) -> list[str]:
    # A value "*aa" means "same as the entry for language aa" in phonenumbers' locale tables.
    names = []
    for language in sorted(by_language, key=lambda code: code not in {"aa", "en"}):
        name = by_language[language]
        names.append(by_language.get(name[1:], "") if name.startswith("*") else name)
    return names


@functools.cache
def _regions_by_name() -> dict[str, str]:
    # Imported here, when a country is first read: the module holds every region's name in
    # about a hundred languages, ~97 MB of Python objects for the life of the process. An
    # audit of a prepared store reads every country's region from the kept table and never
    # comes here, so the audit's process no longer carries it (at a million records, through
    # the duplicate search that sets its peak).
    from phonenumbers.geodata.locale import LOCALE_DATA  # noqa: PLC0415

    table: dict[str, str] = {}
    for region, by_language in LOCALE_DATA.items():
        if region not in phonenumbers.SUPPORTED_REGIONS:
            continue
        table.setdefault(region.lower(), region)
        for name in _names_of(by_language):
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
