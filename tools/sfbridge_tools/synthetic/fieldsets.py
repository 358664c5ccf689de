"""Field groups Leads and Contacts share: address, contact points, planted data-quality faults."""

from __future__ import annotations

from typing import Any

from sfbridge_tools.synthetic.clock import DAY, HOUR, rest_datetime
from sfbridge_tools.synthetic.people import Person
from sfbridge_tools.synthetic.phones import INVALID_PHONES, render
from sfbridge_tools.synthetic.planting import Plant
from sfbridge_tools.synthetic.seeding import between, fresh_rng, mix
from sfbridge_tools.synthetic.vocab import BOUNCE_REASONS, UTM_TO_SOURCE

__all__ = [
    "add_address",
    "add_contact_points",
    "add_names",
    "break_email",
    "full_name",
    "odd_valid_email",
    "plant_fault",
]

_INVALID_ANYWHERE = tuple(p for p in INVALID_PHONES if "CALL" not in p)
_UTM_CASES = (str, str.title, str.upper, lambda v: f" {v} ")


def full_name(person: Person) -> str:
    """Return the Name field: family name first for names written in Japanese script."""
    first, last = person.first.text if person.first else "", person.last.text
    if first and first[:1] >= "\u3000":
        return f"{last} {first}"
    return f"{first} {last}".strip()


def add_names(record: dict[str, Any], person: Person) -> None:
    """Set FirstName, LastName, Salutation and the compound Name."""
    if person.first.text:
        record["FirstName"] = person.first.text
    record["LastName"] = person.last.text
    if person.salutation:
        record["Salutation"] = person.salutation
    record["Name"] = full_name(person)


def add_address(record: dict[str, Any], person: Person, prefix: str = "") -> None:
    """Set Street/City/State/PostalCode/Country (with a prefix such as ``Mailing``)."""
    if person.street is not None:
        record[prefix + "Street"] = person.street
    record[prefix + "City"] = person.city.name
    if person.city.state:
        record[prefix + "State"] = person.city.state
    if person.postcode is not None:
        record[prefix + "PostalCode"] = person.postcode
    record[prefix + "Country"] = person.country.name


def add_contact_points(record: dict[str, Any], person: Person) -> None:
    """Set Phone, MobilePhone and Email where the person has them."""
    points = (("Phone", person.phone), ("MobilePhone", person.mobile), ("Email", person.email))
    record.update({key: value for key, value in points if value is not None})


def break_email(email: str | None, turn: int) -> str:
    """Return a syntactically broken version of an address (never a valid one)."""
    local, _, domain = (email or "pat.doe@example.org").strip().partition("@")
    forms = (
        f"{local}@@{domain}",
        f"{local}@",
        f"{local} at {domain}",
        f"{local}@{domain}.",
        f"{local}#{domain}",
        f"{local[:2]} {local[2:]}@{domain}",
        f"{local}@{domain.replace('.', ',')}",
        f"{local}@{domain.replace('.', '..')}",
    )
    return forms[turn % len(forms)]


def odd_valid_email(person: Person, turn: int) -> str | None:
    """Return an unusual but valid address for the person (plus tag, subdomain, apostrophe)."""
    if not person.email:
        return None
    local, _, domain = person.email.partition("@")
    if "'" in person.last.text and turn % 3 == 0:
        return f"{person.first.slug}.{person.last.text.lower().replace(' ', '')}@{domain}"
    return (f"{local}+crm@{domain}", f"{local}@mail.{domain}", f"{local}+{turn % 97}@{domain}")[turn % 3]


def _utm(record: dict[str, Any], gap: str, utm: str | None, turn: int) -> None:
    if gap != "none" and utm is not None:
        record["UTM_Source__c"] = _UTM_CASES[turn % len(_UTM_CASES)](utm) if utm in UTM_TO_SOURCE else utm


def plant_fault(record: dict[str, Any], person: Person, plant: Plant, *, window: tuple[int, int], turn: int) -> None:
    """Apply a planted data-quality fault (or hard negative) to a Lead or Contact record.

    Args:
        record: the record being built (changed in place).
        person: who the record is.
        plant: the planted spec.
        window: (created, snapshot) in epoch seconds, for dating a bounce.
        turn: the record's index, which picks among the variants of a fault.
    """
    rng, body, arg = fresh_rng(mix(turn, 41)), plant.body, plant.arg
    created, now = window
    if body == "missing_source":
        record.pop("LeadSource", None)
        record.pop("UTM_Source__c", None)
        _utm(record, arg[0], arg[1], turn)
    elif body == "bounced" and record.get("Email"):
        reason = BOUNCE_REASONS[turn % len(BOUNCE_REASONS)]
        record["EmailBouncedReason"] = reason.format(email=record["Email"])
        record["EmailBouncedDate"] = rest_datetime(max(created + HOUR, now - between(rng, DAY, 90 * DAY)))
    elif body == "invalid_email":
        record["Email"] = break_email(record.get("Email"), turn)
    elif body == "invalid_phone":
        us = person.country.code in {"US", "CA"}
        options = INVALID_PHONES if us else _INVALID_ANYWHERE
        record["Phone"] = options[turn % len(options)]
    elif body == "email_negative":
        odd = odd_valid_email(person, turn)
        if odd:
            record["Email"] = odd
    elif body == "phone_negative" and person.phone_line is not None:
        record["Phone"] = render(person.phone_line, rng, extension_rate=1.0)
