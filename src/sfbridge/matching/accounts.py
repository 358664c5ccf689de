"""Find the Account a person belongs to, by company name or by email domain.

A lead from "Hart Hotels" belongs to the Account "Hart Hotels, Inc." (same name once legal
form, case and punctuation are set aside), and so does a lead writing from
``@harthotels.com`` when that Account's website is ``www.harthotels.com``. Free-mail and
throw-away domains say nothing about an employer, so they never link a person to an Account.
"""

from __future__ import annotations

import polars as pl

from sfbridge.matching.companies import company_key_expr
from sfbridge.matching.domains import owned_parents, parent_domains_expr, website_domain_expr

__all__ = ["account_keys", "account_links"]

_SCHEMA = {
    "idx": pl.UInt32(),
    "account_id": pl.Utf8(),
    "account_name": pl.Utf8(),
    "website_domain": pl.Utf8(),
    "by_name": pl.Boolean(),
    "by_domain": pl.Boolean(),
}


def account_keys(accounts: pl.DataFrame) -> pl.DataFrame:
    """Each Account's name key and website domain.

    Args:
        accounts: Account rows with ``Id``, ``Name`` and ``Website``.

    Returns:
        ``account_id``, ``account_name``, ``company_key`` and ``website_domain``.
    """
    return accounts.select(
        account_id=pl.col("Id"),
        account_name=pl.col("Name"),
        company_key=company_key_expr(pl.col("Name")),
        website_domain=website_domain_expr(pl.col("Website")),
    )


def _by_name(people: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    named = people.filter(pl.col("company_key").is_not_null()).select("idx", "company_key")
    return named.join(keys.filter(pl.col("company_key").is_not_null()), on="company_key").select(
        "idx", "account_id", by_name=pl.lit(value=True)
    )


def _by_domain(people: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    business = people.filter(pl.col("email_valid") & ~pl.col("email_free") & ~pl.col("email_disposable"))
    candidates = business.select(
        "idx", "email_domain", website_domain=parent_domains_expr(pl.col("email_domain"))
    ).explode("website_domain")
    found = candidates.join(keys.filter(pl.col("website_domain").is_not_null()), on="website_domain")
    # A website on a public suffix (gov.uk, github.io) is no parent of the domains under it.
    owned = owned_parents(found, domain="email_domain", parent="website_domain")
    return owned.select("idx", "account_id", by_domain=pl.lit(value=True))


def account_links(people: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """Link people to Accounts by company name and by email domain.

    Args:
        people: normalised people (``idx``, ``company_key``, ``email_domain``, ``email_valid``,
            ``email_free``, ``email_disposable``).
        keys: from :func:`account_keys`.

    Returns:
        One row per (person, Account) linked: ``idx``, ``account_id``, ``account_name``,
        ``website_domain``, ``by_name`` and ``by_domain``; the best link of a person first
        (both ways, then by name, then by domain, then the smallest Account Id).
    """
    if people.is_empty() or keys.is_empty():
        return pl.DataFrame(schema=_SCHEMA)
    links = pl.concat([_by_name(people, keys), _by_domain(people, keys)], how="diagonal")
    links = links.group_by("idx", "account_id").agg(
        by_name=pl.col("by_name").fill_null(value=False).any(),
        by_domain=pl.col("by_domain").fill_null(value=False).any(),
    )
    shown = keys.select("account_id", "account_name", "website_domain").unique("account_id")
    return (
        links.join(shown, on="account_id", how="left")
        .sort(["idx", "by_name", "by_domain", "account_id"], descending=[False, True, True, False])
        .select(list(_SCHEMA))
    )
