"""Company domains from websites, and the parent domains an email domain may belong to."""

import polars as pl
import pytest

from sfbridge.matching.domains import parent_domains_expr, website_domain


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.Acme.com/contact", "acme.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("acme.com:8080/path", "acme.com"),
        ("http://shop.acme.com", "shop.acme.com"),
        ("n/a", None),
        ("", None),
        (None, None),
    ],
)
def test_website_domain_reads_the_host_without_www(website, domain):
    """Websites typed with or without scheme, www, port or path give one domain."""
    assert website_domain(website) == domain


def test_parent_domains_stop_at_two_labels():
    """mail.eu.acme.com may belong to eu.acme.com or acme.com, never to "com"."""
    frame = pl.DataFrame({"d": ["mail.eu.acme.com", "acme.com", None]})
    assert frame.select(parent_domains_expr(pl.col("d"))).to_series().to_list() == [
        ["mail.eu.acme.com", "eu.acme.com", "acme.com"],
        ["acme.com"],
        [],
    ]
