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
