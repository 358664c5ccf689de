"""The org's layout: each lead's source and outcome, who converted where, and what is planted.

This is the only org-wide state the generator keeps besides companies and staff: a byte or
two per lead and contact, plus specs for the planted records (a few percent). Everything
else about a record is re-derived from its own random stream when it is generated.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from enum import IntEnum

from sfbridge_tools.synthetic.planting import Plant, PlantPlan, Ref, plan_plants
from sfbridge_tools.synthetic.shape import OrgShape
from sfbridge_tools.synthetic.vocab import SOURCES

__all__ = ["NO_SOURCE", "Layout", "Outcome", "Plant", "Ref", "build_layout"]

NO_SOURCE = 255
_MAX_CONVERTED_SHARE = 0.7  # of contacts: the rest are created directly on accounts


class Outcome(IntEnum):
    """Where a lead ended up."""

    OPEN = 0
    CONVERTED = 1
    CLOSED = 2


@dataclass(slots=True)
class Layout:
    """Per-record facts the streams share (see module docstring)."""

    shape: OrgShape
    source: bytearray
    outcome: bytearray
    lead_plants: dict[int, Plant]
    contact_plants: dict[int, Plant]
    conv_leads: array[int]
    conv_account: array[int]
    conv_slot: array[int]
    contact_account: array[int]
    contact_slot: array[int]
    lead_companies: int
    scatter: int
    special: bytearray = field(default_factory=bytearray)
    clusters: list[tuple[Ref, ...]] = field(default_factory=list)
    hard_negatives: list[tuple[Ref, Ref, str]] = field(default_factory=list)
    negatives: dict[str, list[Ref]] = field(default_factory=dict)

    @property
    def direct_contacts(self) -> int:
        """Contacts created on accounts (the others come from lead conversion)."""
        return self.shape.contacts - len(self.conv_leads)

    @property
    def natural_slots(self) -> int:
        """Slots per lead-only company used by background leads; planted extras come after."""
        return -(-self.shape.leads // self.lead_companies)

    def lead_company(self, lead: int) -> tuple[int, int]:
        """Return (company index, slot) of a lead at a lead-only company."""
        column, slot = lead % self.lead_companies, lead // self.lead_companies
        return self.shape.accounts + (column * self.scatter + slot) % self.lead_companies, slot

    def conversion_rank(self, lead: int) -> int:
        """Return the position of a converted lead among converted leads (its Contact's rank)."""
        rank = bisect_left(self.conv_leads, lead)
        if rank == len(self.conv_leads) or self.conv_leads[rank] != lead:
            msg = f"lead {lead} is not converted"
            raise KeyError(msg)
        return rank


def _coprime(n: int) -> int:
    return next(p for p in (7_919, 7_907, 7_901, 7_883, 104_729) if math.gcd(p, n) == 1)


def _outcomes(n: int, rng: random.Random, plan: PlantPlan) -> tuple[bytearray, bytearray]:
    weights = [s.share for s in SOURCES]
    source = bytearray(rng.choices(range(len(SOURCES)), weights, k=n))
    limits = [(s.convert, s.convert + s.close) for s in SOURCES]
    r, converted, closed, still_open = rng.random, Outcome.CONVERTED, Outcome.CLOSED, Outcome.OPEN
    outcome = bytearray(
        converted if roll < limits[code][0] else closed if roll < limits[code][1] else still_open
        for code, roll in ((code, r()) for code in source)
    )
    for index, plant in plan.leads.items():
        outcome[index] = Outcome.CONVERTED if plant.life == "premature" else Outcome.OPEN
        if plant.body == "missing_source":
            source[index] = NO_SOURCE
    return source, outcome


def _cap_conversions(outcome: bytearray, plan: PlantPlan, contacts: int, rng: random.Random) -> None:
    converted = [i for i, o in enumerate(outcome) if o == Outcome.CONVERTED and i not in plan.leads]
    room = int(contacts * _MAX_CONVERTED_SHARE) - sum(1 for p in plan.leads.values() if p.life == "premature")
    for index in rng.sample(converted, max(0, len(converted) - max(0, room))):
        outcome[index] = Outcome.CLOSED


def _account_weights(accounts: int, rng: random.Random) -> list[float]:
    # Log-normal account sizes: a few big customers, a long tail of small ones.
    total, cumulative = 0.0, []
    for _ in range(accounts):
        total += math.exp(rng.normalvariate(0.0, 1.0))
        cumulative.append(total)
    return cumulative


def _members(accounts: int, count: int, cumulative: list[float], rng: random.Random) -> array[int]:
    return array("i", rng.choices(range(accounts), cum_weights=cumulative, k=count))


def _slot_contacts(contact_account: array[int], plants: dict[int, Plant], slots: array[int]) -> array[int]:
    """Give each direct contact its place at its Account (orphans have none; variants join their base's)."""
    contact_slot = array("I", bytes(4 * len(contact_account)))
    for index in range(len(contact_account)):
        plant = plants.get(index)
        if plant is not None and plant.body == "orphan":
            contact_account[index] = -1
            continue
        if plant is not None and plant.body == "dup_variant" and plant.arg[0][0] == "C":
            contact_account[index] = contact_account[plant.arg[0][1]]
        contact_slot[index] = slots[contact_account[index]]
        slots[contact_account[index]] += 1
    return contact_slot


def _slot_conversions(conv_account: array[int], slots: array[int]) -> array[int]:
    """Give each converting lead a new place at the Account it converts into."""
    conv_slot = array("I", bytes(4 * len(conv_account)))
    for rank, account in enumerate(conv_account):
        conv_slot[rank] = slots[account]
        slots[account] += 1
    return conv_slot


def build_layout(shape: OrgShape, rng: random.Random) -> Layout:
    """Decide sources, outcomes, conversions, account membership and planted records.

    Args:
        shape: record counts.
        rng: the layout stream.

    Returns:
        The layout.
    """
    plan = plan_plants(shape, rng)
    source, outcome = _outcomes(shape.leads, rng, plan)
    _cap_conversions(outcome, plan, shape.contacts - plan.contacts_needed, rng)
    conv_leads = array("I", (i for i, o in enumerate(outcome) if o == Outcome.CONVERTED))
    direct = shape.contacts - len(conv_leads)
    cumulative, slots = _account_weights(shape.accounts, rng), array("I", bytes(4 * shape.accounts))
    contact_account = _members(shape.accounts, direct, cumulative, rng)
    contact_plants = plan.place_contacts(direct, rng)
    contact_slot = _slot_contacts(contact_account, contact_plants, slots)
    conv_account = array("I", _members(shape.accounts, len(conv_leads), cumulative, rng))
    lead_companies = max(1, -(-shape.leads // 3))
    layout = Layout(
        shape=shape, source=source, outcome=outcome, lead_plants=plan.leads, contact_plants=contact_plants,
        conv_leads=conv_leads, conv_account=conv_account, conv_slot=_slot_conversions(conv_account, slots),
        contact_account=contact_account, contact_slot=contact_slot, lead_companies=lead_companies,
        scatter=_coprime(lead_companies),
    )  # fmt: skip
    plan.finish(layout, slots, rng)
    # Leads other records look up directly get their own random stream (see `streams`).
    layout.special = bytearray(o == Outcome.CONVERTED for o in outcome)
    for index in plan.leads:
        layout.special[index] = 1
    return layout
