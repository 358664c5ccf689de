"""Internet domains of companies: from an Account's Website, and how an email domain relates to one.

Websites are typed every way ("https://www.acme.com/contact", "www.acme.com", "acme.com"); the
standard library's URL parser finds the host, and a leading "www." is not part of the company's
domain. A person's email domain belongs to a company when it is that domain or a subdomain of it
(``mail.acme.com``), but never above the email domain's registrable domain: ``hmrc.gov.uk`` and
``alice.github.io`` are their own owners' domains, not subdomains of a company ``gov.uk`` or
``github.io``. Which suffixes are public (``co.uk``, ``gov.uk``, ``github.io``, …) is the Public
Suffix List's job, read from the copy bundled in publicsuffixlist (never fetched: users' sites
and CI have no network).
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

import polars as pl
from publicsuffixlist import PublicSuffixList

__all__ = ["owned_parents", "parent_domains_expr", "registrable_domain", "website_domain", "website_domain_expr"]


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    # Reads the bundled list (~100 ms), so only when domains are compared, not on import.
    # publicsuffixlist (1.1.2.20261023, 520 KB, no dependencies) over tldextract 5.4: tldextract
    # fetches the list over the network and caches it under the home folder unless told not to,
    # and pulls in requests-file; both give the same answers on gov.uk, co.uk and github.io.
    return PublicSuffixList()


def registrable_domain(domain: str) -> str | None:
    """The domain one owner registered: the public suffix and one more label (None for a suffix).

    Private suffixes count (github.io, herokuapp.com): their subdomains have different owners.

    >>> registrable_domain("mail.eu.acme.com"), registrable_domain("hmrc.gov.uk")
    ('acme.com', 'hmrc.gov.uk')
    >>> registrable_domain("alice.github.io"), registrable_domain("co.uk")
    ('alice.github.io', None)
    """
    return _public_suffixes().privatesuffix(domain.lower())


def website_domain(website: str | None) -> str | None:
    """The domain of a website as typed in Salesforce, or None when there is none.

    >>> website_domain("https://www.Acme.com/contact"), website_domain("acme.co.uk:8080")
    ('acme.com', 'acme.co.uk')
    >>> website_domain("n/a") is None
    True
    """
    text = (website or "").strip()
    if not text:
        return None
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname
    except ValueError:  # an unparseable URL (a bad port, say) has no domain to offer
        return None
    if not host or "." not in host:
        return None
    host = host.rstrip(".")
    return host.removeprefix("www.") if host.count(".") > 1 else host


def website_domain_expr(website: pl.Expr) -> pl.Expr:
    """:func:`website_domain` over a column (Websites are few: one per Account)."""
    return website.map_elements(website_domain, return_dtype=pl.Utf8, skip_nulls=True)


def parent_domains_expr(domain: pl.Expr, *, depth: int = 3) -> pl.Expr:
    """The domains an email domain may belong to: itself and its parents that still have a dot.

    ``mail.eu.acme.com`` yields ``mail.eu.acme.com``, ``eu.acme.com`` and ``acme.com``, so an
    explode and a join find the Account whose website is any of them. Some of them may be public
    suffixes (``bar.co.uk`` yields ``co.uk``): :func:`owned_parents` drops those from what was found.

    Args:
        domain: a column of email domains.
        depth: how many leading labels may be dropped.

    Returns:
        A list column of candidate domains (empty for null).
    """
    candidates, current = [domain], domain
    for _ in range(depth):
        # Stop at two labels: "co.uk" or "com" alone is nobody's company domain.
        current = pl.when(current.str.count_matches(r"\.") > 1).then(current.str.replace(r"^[^.]+\.", ""))
        candidates.append(current)
    return pl.concat_list(candidates).list.drop_nulls()


def owned_parents(found: pl.DataFrame, *, domain: str, parent: str) -> pl.DataFrame:
    """Keep the rows whose parent is the domain itself or lies within its registrable domain.

    The public suffix list is consulted once per distinct domain of the rows given, so narrow a
    join's result with it (few rows), not every person's candidates.

    Args:
        found: rows with a domain column and a column of its parents (from :func:`parent_domains_expr`).
        domain: the domain column's name.
        parent: the parent column's name.

    Returns:
        The rows whose parent is the domain, or no shorter than the domain's registrable domain.
    """
    domains = found.select(pl.col(domain).unique()).drop_nulls()
    registrable = domains.with_columns(
        _registrable=pl.col(domain).map_elements(registrable_domain, return_dtype=pl.Utf8)
    )
    owned = (pl.col(parent) == pl.col(domain)) | (
        pl.col(parent).str.len_bytes() >= pl.col("_registrable").str.len_bytes()
    ).fill_null(value=False)
    return found.join(registrable, on=domain, how="left").filter(owned).drop("_registrable")
