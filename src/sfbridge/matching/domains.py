"""Internet domains of companies: from an Account's Website, and how an email domain relates to one.

Websites are typed every way ("https://www.acme.com/contact", "www.acme.com", "acme.com"); the
standard library's URL parser finds the host, and a leading "www." is not part of the company's
domain. A person's email domain belongs to a company when it is that domain or a subdomain of it
(``mail.acme.com``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import polars as pl

__all__ = ["parent_domains_expr", "website_domain", "website_domain_expr"]


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
    explode and a join find the Account whose website is any of them.

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
