"""The engine's input: one row per person, built from Lead and Contact frames.

Leads and Contacts name the same facts differently (``Company`` vs the Account's ``Name``,
``Country`` vs ``MailingCountry``); the engine reads one shape, :data:`PEOPLE_SCHEMA`, so it
can match Leads with Contacts, and works on any people frame (the labelled test sets too).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

__all__ = [
    "ACCOUNT_FIELDS",
    "CONTACT_FIELDS",
    "LEAD_FIELDS",
    "PEOPLE_SCHEMA",
    "field_of",
    "people_frame",
    "people_from_frames",
]

_TEXT = pl.Utf8()
_UTC = pl.Datetime("us", "UTC")

#: The columns of a people frame; only ``sobject`` and ``record_id`` must be filled.
PEOPLE_SCHEMA: Mapping[str, pl.DataType] = {
    "sobject": _TEXT,
    "record_id": _TEXT,
    "first_name": _TEXT,
    "last_name": _TEXT,
    "email": _TEXT,
    "phone": _TEXT,
    "mobile_phone": _TEXT,
    "company": _TEXT,
    "account_id": _TEXT,
    "title": _TEXT,
    "street": _TEXT,
    "city": _TEXT,
    "state": _TEXT,
    "postal_code": _TEXT,
    "country": _TEXT,
    "birthdate": pl.Date(),
    "created_at": _UTC,
    "last_activity": pl.Date(),
    "is_converted": pl.Boolean(),
}

# Salesforce field → people column, per object.
_LEAD_COLUMNS = {
    "Id": "record_id",
    "FirstName": "first_name",
    "LastName": "last_name",
    "Email": "email",
    "Phone": "phone",
    "MobilePhone": "mobile_phone",
    "Company": "company",
    "Title": "title",
    "Street": "street",
    "City": "city",
    "State": "state",
    "PostalCode": "postal_code",
    "Country": "country",
    "CreatedDate": "created_at",
    "LastActivityDate": "last_activity",
    "IsConverted": "is_converted",
}
_CONTACT_COLUMNS = {
    "Id": "record_id",
    "FirstName": "first_name",
    "LastName": "last_name",
    "Email": "email",
    "Phone": "phone",
    "MobilePhone": "mobile_phone",
    "AccountId": "account_id",
    "Title": "title",
    "MailingStreet": "street",
    "MailingCity": "city",
    "MailingState": "state",
    "MailingPostalCode": "postal_code",
    "MailingCountry": "country",
    "Birthdate": "birthdate",
    "CreatedDate": "created_at",
    "LastActivityDate": "last_activity",
}


def _fields(columns: Mapping[str, str]) -> dict[str, pl.DataType]:
    return {field: PEOPLE_SCHEMA[column] for field, column in columns.items()}


def field_of(sobject: str, column: str) -> str | None:
    """The Salesforce field a people column comes from on an object ("street" of a Contact: MailingStreet).

    None when the object has no such field: a Contact's company is its Account's name.
    """
    columns = _LEAD_COLUMNS if sobject == "Lead" else _CONTACT_COLUMNS
    return next((field for field, name in columns.items() if name == column), None)


#: The Lead fields a people frame is built from, and their types.
LEAD_FIELDS: Mapping[str, pl.DataType] = _fields(_LEAD_COLUMNS)
#: The Contact fields a people frame is built from, and their types.
CONTACT_FIELDS: Mapping[str, pl.DataType] = _fields(_CONTACT_COLUMNS)
#: The Account fields used: a Contact's company is its Account's name.
ACCOUNT_FIELDS: Mapping[str, pl.DataType] = {"Id": _TEXT, "Name": _TEXT, "Website": _TEXT}


def people_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Give a frame exactly the people columns, in order: missing ones null, others cast.

    Args:
        frame: people rows with some or all of :data:`PEOPLE_SCHEMA`'s columns.

    Returns:
        The frame in the engine's shape.
    """
    present = set(frame.columns)
    return frame.select(
        [
            (pl.col(name) if name in present else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in PEOPLE_SCHEMA.items()
        ]
    )


def people_from_frames(leads: pl.DataFrame, contacts: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """One people frame from Lead, Contact and Account frames (Salesforce API names as columns).

    Args:
        leads: Lead rows with :data:`LEAD_FIELDS` (the caller picks which Leads).
        contacts: Contact rows with :data:`CONTACT_FIELDS`.
        accounts: Account rows with :data:`ACCOUNT_FIELDS`; a Contact's company is its Account's name.

    Returns:
        Leads then Contacts, in :data:`PEOPLE_SCHEMA`.
    """
    lead_people = leads.select([pl.col(field).alias(column) for field, column in _LEAD_COLUMNS.items()])
    names = accounts.select(pl.col("Id").alias("account_id"), pl.col("Name").alias("company"))
    contact_people = contacts.select([pl.col(field).alias(column) for field, column in _CONTACT_COLUMNS.items()]).join(
        names, on="account_id", how="left"
    )
    return pl.concat(
        [
            people_frame(lead_people.with_columns(sobject=pl.lit("Lead"))),
            people_frame(contact_people.with_columns(sobject=pl.lit("Contact"), is_converted=pl.lit(value=False))),
        ]
    )
