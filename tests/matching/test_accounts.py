"""Linking people to Accounts by company name without legal form, or by a business email domain."""

import polars as pl

from sfbridge.matching.accounts import account_keys, account_links
from sfbridge.matching.normalise import normalise_people
from sfbridge.matching.people import people_frame

ACCOUNTS = pl.DataFrame(
    {
        "Id": ["001A", "001B", "001C"],
        "Name": ["Hart Hotels, Inc.", "Birch Security Corp.", "Gmail Fans Club"],
        "Website": ["https://www.harthotels.example", "birch-security.example", "gmail.com"],
    }
)


def links(*rows):
    people = normalise_people(people_frame(pl.DataFrame(list(rows), infer_schema_length=None)), default_region="US")
    found = account_links(people, account_keys(ACCOUNTS))
    return {
        (people["record_id"][row["idx"]], row["account_id"], row["by_name"], row["by_domain"])
        for row in found.iter_rows(named=True)
    }


def test_account_links_by_name_and_by_domain():
    """A bare company name and a (sub)domain of an Account's website both link to that Account."""
    assert links(
        {"record_id": "L1", "sobject": "Lead", "company": "hart hotels"},
        {"record_id": "L2", "sobject": "Lead", "company": "HS Gdansk", "email": "b.p@mail.birch-security.example"},
        {"record_id": "L3", "sobject": "Lead", "company": "Hart Hotels LLC", "email": "a@harthotels.example"},
    ) == {("L1", "001A", True, False), ("L2", "001B", False, True), ("L3", "001A", True, True)}


def test_account_links_never_by_free_mail():
    """A gmail.com address says nothing about an employer, even if an Account's website is gmail.com."""
    assert links({"record_id": "L1", "sobject": "Lead", "company": "Solo", "email": "x@gmail.com"}) == set()


PUBLIC_SUFFIX_ACCOUNTS = pl.DataFrame(
    {
        "Id": ["001G", "001F", "001H", "001K", "001P", "001U"],
        "Name": ["Government Digital Service", "Foo Trading", "Alice Pages", "Acme", "GitHub Pages", "Typo Ltd"],
        # Websites typed as a bare public suffix happen too ("co.uk" for a UK company's missing domain).
        "Website": ["https://www.gov.uk", "foo.co.uk", "https://alice.github.io/", "acme.com", "github.io", "co.uk"],
    }
)


def domain_links(*emails):
    rows = [
        {"record_id": f"L{n}", "sobject": "Lead", "company": f"Lead company {n}", "email": email}
        for n, email in enumerate(emails, start=1)
    ]
    people = normalise_people(people_frame(pl.DataFrame(rows)), default_region="GB")
    found = account_links(people, account_keys(PUBLIC_SUFFIX_ACCOUNTS))
    return {(people["record_id"][row["idx"]], row["account_id"]) for row in found.iter_rows(named=True)}


def test_an_account_on_a_public_suffix_is_not_the_company_of_everyone_under_it():
    """gov.uk is a public suffix: hmrc.gov.uk and dwp.gov.uk are other bodies; only @gov.uk itself is GDS."""
    assert domain_links("a@hmrc.gov.uk", "b@mail.dwp.gov.uk", "c@gov.uk") == {("L3", "001G")}


def test_two_companies_under_one_country_suffix_stay_apart():
    """foo.co.uk and bar.co.uk are different companies; a subdomain of foo.co.uk is still Foo."""
    assert domain_links("a@bar.co.uk", "b@mail.foo.co.uk", "c@foo.co.uk") == {("L2", "001F"), ("L3", "001F")}


def test_two_sites_on_a_shared_host_are_different_owners():
    """alice.github.io and bob.github.io are two people's sites (github.io is on the private PSL)."""
    assert domain_links("a@bob.github.io", "b@alice.github.io", "c@mail.eu.acme.com") == {
        ("L2", "001H"),
        ("L3", "001K"),
    }
