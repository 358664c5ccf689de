"""Who each Lead and Contact is: ordinary people by company slot, or a planted identity.

`person_of` rebuilds any record's person from its own stream, which is how a duplicate
variant or a hard-negative partner learns about the record it mirrors without the org
being held in memory.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from sfbridge_tools.synthetic.contact_life import contact_life
from sfbridge_tools.synthetic.geo import COUNTRIES
from sfbridge_tools.synthetic.lifecycle import build_life
from sfbridge_tools.synthetic.people import Person, colleague, private_person
from sfbridge_tools.synthetic.pools import Name, fold
from sfbridge_tools.synthetic.seeding import Kind, fresh_rng, reseed
from sfbridge_tools.synthetic.special import account_match, hard_negative, junk
from sfbridge_tools.synthetic.streams import is_special_contact, is_special_lead
from sfbridge_tools.synthetic.variants import base_first_name, make_variant

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext
    from sfbridge_tools.synthetic.lifecycle import Life
    from sfbridge_tools.synthetic.planting import Plant, Ref

__all__ = ["contact_identity", "lead_identity", "person_of"]

_COUNTRY_WEIGHTS = [c.weight for c in COUNTRIES]


def _base_overrides(plant: Plant | None, rng: random.Random) -> dict[str, object]:
    """Keyword overrides for a duplicate cluster's base person (see `variants`)."""
    female = rng.random() < 0.5  # noqa: PLR2004
    if plant is None or plant.body != "dup_base":
        return {}
    recipes = plant.arg[0]
    overrides: dict[str, object] = {"gmail": "gmail" in recipes}
    first = base_first_name(recipes, rng, female=female)
    if first is not None:
        overrides.update(first=first, female=female)
    return overrides


def lead_identity(ctx: OrgContext, rng: random.Random, index: int, life: Life) -> Person:
    """Return lead `index`'s person, drawn from its stream right after its life."""
    layout, d = ctx.layout, ctx.directory
    plant = layout.lead_plants.get(index)
    if plant is None and life.rank < 0:  # the common case: a prospect at a lead-only company
        at, slot = layout.lead_company(index)
        return colleague(d, rng, d.companies.get(at), slot, index, freemail=rng.random() < 0.25)  # noqa: PLR2004
    if life.rank >= 0:
        account = d.companies.get(layout.conv_account[life.rank])
        return colleague(d, rng, account, layout.conv_slot[life.rank], index, freemail=rng.random() < 0.12)  # noqa: PLR2004
    if plant is not None and plant.body in _SPECIAL_BODIES:
        return _SPECIAL_BODIES[plant.body](ctx, rng, index, plant)
    overrides = _base_overrides(plant, rng)
    company, slot = layout.lead_company(index)
    freemail = rng.random() < 0.25  # noqa: PLR2004
    person = colleague(d, rng, d.companies.get(company), slot, index, freemail=freemail, **overrides)  # type: ignore[arg-type]
    return _latin_surname(person) if "first" in overrides else person


def _variant(ctx: OrgContext, rng: random.Random, _index: int, plant: Plant) -> Person:
    base_ref, recipe = plant.arg
    return make_variant(person_of(ctx, base_ref), recipe, rng, ctx.directory.companies)


def _hard_negative(ctx: OrgContext, rng: random.Random, index: int, plant: Plant) -> Person:
    return hard_negative(ctx, rng, index, plant, lambda ref: person_of(ctx, ref))


_SPECIAL_BODIES = {
    "junk": junk,
    "matches_account": account_match,
    "hard_negative": _hard_negative,
    "dup_variant": _variant,
}


def contact_identity(ctx: OrgContext, rng: random.Random, index: int) -> Person:
    """Return direct contact `index`'s person, drawn from its stream right after its life."""
    layout = ctx.layout
    plant = layout.contact_plants.get(index)
    d = ctx.directory
    number = ctx.person_number(("C", index))
    if plant is not None and plant.body == "dup_variant":
        base_ref, recipe = plant.arg
        return make_variant(person_of(ctx, base_ref), recipe, rng, d.companies)
    account = layout.contact_account[index]
    if account < 0:
        country = rng.choices(COUNTRIES, _COUNTRY_WEIGHTS)[0]
        return private_person(d, rng, country, number, company="")
    overrides = _base_overrides(plant, rng)
    freemail = rng.random() < 0.1  # noqa: PLR2004
    company = d.companies.get(account)
    person = colleague(d, rng, company, layout.contact_slot[index], number, freemail=freemail, **overrides)  # type: ignore[arg-type]
    return _latin_surname(person) if "first" in overrides else person


def _latin_surname(person: Person) -> Person:
    """Write a surname in Latin letters when a Western given name was imposed (Inés Inoue, not Inés 井上)."""
    if fold(person.last.text) != person.last.plain:
        person.last = Name(person.last.plain, person.last.plain, person.last.slug)
    return person


def person_of(ctx: OrgContext, ref: Ref) -> Person:
    """Rebuild the person of a Lead ("L", i) or direct Contact ("C", j) from its own stream."""
    kind, index = ref
    special = is_special_lead(ctx, index) if kind == "L" else is_special_contact(ctx, index)
    if not special:
        msg = f"{ref} shares its block's stream and cannot be rebuilt alone"
        raise ValueError(msg)
    rng = fresh_rng()
    if kind == "L":
        reseed(rng, ctx.seed, Kind.LEAD, index)
        return lead_identity(ctx, rng, index, build_life(ctx, rng, index))
    reseed(rng, ctx.seed, Kind.CONTACT, index)
    contact_life(ctx, rng, index)
    return contact_identity(ctx, rng, index)
