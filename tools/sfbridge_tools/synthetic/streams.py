"""Random streams for records in index order.

Seeding a Mersenne Twister costs about 4 µs, as much as building half a record, so ordinary
records share one stream per block of `BLOCK` records (one for their lives, one for their
fields). Records that other records or the answer key look up directly (planted and
converted leads, planted contacts) get a stream of their own, seeded from their index, so
they can be rebuilt alone.
"""

from __future__ import annotations

import random
from collections.abc import Container, Iterator
from typing import TYPE_CHECKING

from sfbridge_tools.synthetic.seeding import Kind, fresh_rng, reseed

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.context import OrgContext

__all__ = ["BLOCK", "contact_streams", "is_special_contact", "is_special_lead", "lead_streams"]

BLOCK = 64


def is_special_lead(ctx: OrgContext, index: int) -> bool:
    """Tell whether lead `index` has its own stream (planted or converted)."""
    return bool(ctx.layout.special[index])


def is_special_contact(ctx: OrgContext, index: int) -> bool:
    """Tell whether direct contact `index` has its own stream (planted)."""
    return index in ctx.layout.contact_plants


def _streams(
    ctx: OrgContext, count: int, kinds: tuple[Kind, Kind, Kind], special: Container[int], *, bodies: bool
) -> Iterator[tuple[int, random.Random, random.Random]]:
    own_kind, life_kind, body_kind = kinds
    own, life, body = fresh_rng(), fresh_rng(), fresh_rng()
    for start in range(0, count, BLOCK):
        reseed(life, ctx.seed, life_kind, start // BLOCK)
        if bodies:
            reseed(body, ctx.seed, body_kind, start // BLOCK)
        for index in range(start, min(count, start + BLOCK)):
            if index in special:
                yield index, reseed(own, ctx.seed, own_kind, index), own
            else:
                yield index, life, body


def lead_streams(ctx: OrgContext, *, bodies: bool) -> Iterator[tuple[int, random.Random, random.Random]]:
    """Yield (index, life stream, field stream) for every lead in order.

    Args:
        ctx: the org.
        bodies: whether the caller will draw the leads' fields too (not just their lives).
    """
    kinds = (Kind.LEAD, Kind.LEAD_LIFE_BLOCK, Kind.LEAD_BODY_BLOCK)
    special = ctx.layout.special
    return _streams(ctx, ctx.shape.leads, kinds, _Flags(special), bodies=bodies)


def contact_streams(ctx: OrgContext, *, bodies: bool) -> Iterator[tuple[int, random.Random, random.Random]]:
    """Yield (index, life stream, field stream) for every direct contact in order."""
    kinds = (Kind.CONTACT, Kind.CONTACT_LIFE_BLOCK, Kind.CONTACT_BODY_BLOCK)
    return _streams(ctx, ctx.layout.direct_contacts, kinds, ctx.layout.contact_plants, bodies=bodies)


class _Flags:
    """`in` over a bytearray of 0/1 flags indexed by record index."""

    __slots__ = ("_flags",)

    def __init__(self, flags: bytearray) -> None:
        self._flags = flags

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and bool(self._flags[index])
