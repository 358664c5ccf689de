"""Contact records: created on Accounts by reps, or by converting a lead."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from sfbridge_tools.synthetic.clock import rest_date, rest_datetime
from sfbridge_tools.synthetic.contact_life import contact_life
from sfbridge_tools.synthetic.fieldsets import add_address, add_contact_points, add_names, plant_fault
from sfbridge_tools.synthetic.identities import contact_identity

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.contact_life import ContactLife
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.lifecycle import Life

__all__ = ["converted_contact", "direct_contact"]

# Lead fields the standard conversion mapping carries to the Contact (plus the org's UTM mapping).
_FROM_LEAD = (
    "FirstName",
    "LastName",
    "Salutation",
    "Name",
    "Title",
    "Phone",
    "MobilePhone",
    "Email",
    "LeadSource",
    "Description",
    "HasOptedOutOfEmail",
    "DoNotCall",
    "HasOptedOutOfFax",
    "UTM_Source__c",
)
_ADDRESS = ("Street", "City", "State", "PostalCode", "Country")


def direct_contact(ctx: OrgContext, life_rng: random.Random, rng: random.Random, index: int) -> dict[str, Any]:
    """Return direct contact `index` (created on an Account, or orphaned) as a sparse REST record.

    Args:
        ctx: the org.
        life_rng: the stream its life is drawn from.
        rng: the stream its fields are drawn from (the same object for contacts with their own).
        index: the contact's index.
    """
    life = contact_life(ctx, life_rng, index)
    person = contact_identity(ctx, rng, index)
    account = ctx.layout.contact_account[index]
    record: dict[str, Any] = {"Id": ctx.mint["Contact"](index), "IsDeleted": False}
    if account >= 0:
        record["AccountId"] = ctx.mint["Account"](account)
    add_names(record, person)
    add_address(record, person, "Mailing")
    add_contact_points(record, person)
    record.update({key: value for key, value in (("Title", person.title), ("Department", person.department)) if value})
    if life.source is not None:
        record["LeadSource"] = life.source.value
    record["OwnerId"] = life.owner
    record["HasOptedOutOfEmail"] = rng.random() < 0.05  # noqa: PLR2004
    record["HasOptedOutOfFax"] = False
    record["DoNotCall"] = rng.random() < 0.03  # noqa: PLR2004
    _audit(record, life)
    plant = ctx.layout.contact_plants.get(index)
    if plant is not None:
        plant_fault(record, person, plant, window=(life.created, ctx.now), turn=index)
    record["IsEmailBounced"] = "EmailBouncedDate" in record
    return record


def _audit(record: dict[str, Any], life: ContactLife) -> None:
    record["CreatedDate"] = rest_datetime(life.created)
    record["CreatedById"] = life.owner
    record["LastModifiedDate"] = rest_datetime(life.modified)
    record["LastModifiedById"] = life.modified_by
    record["SystemModstamp"] = rest_datetime(life.modstamp)
    if life.last_activity is not None:
        record["LastActivityDate"] = rest_date(life.last_activity)


def converted_contact(ctx: OrgContext, rank: int, lead: dict[str, Any], life: Life) -> dict[str, Any]:
    """Return the Contact that converting `lead` created (conversion rank `rank`)."""
    assert life.converted_at is not None  # noqa: S101 (callers pass converted leads only)
    account = ctx.layout.conv_account[rank]
    record: dict[str, Any] = {
        "Id": ctx.mint["Contact"](ctx.layout.direct_contacts + rank),
        "IsDeleted": False,
        "AccountId": ctx.mint["Account"](account),
    }
    record.update((key, lead[key]) for key in _FROM_LEAD if key in lead)
    record.update(("Mailing" + key, lead[key]) for key in _ADDRESS if key in lead)
    stamp = rest_datetime(life.converted_at)
    record.update(
        OwnerId=life.owner,
        CreatedDate=stamp,
        CreatedById=life.owner,
        LastModifiedDate=stamp,
        LastModifiedById=life.owner,
    )
    dues = [t.due for t in life.tasks if t.done]
    done = [t.at for t in life.tasks if t.done and t.after_conversion]
    record["SystemModstamp"] = rest_datetime(max([life.converted_at, *done]))
    if dues:
        record["LastActivityDate"] = rest_date(max(dues))
    record["IsEmailBounced"] = False
    return record
