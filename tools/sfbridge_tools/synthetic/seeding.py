"""Per-record random streams: every record is derived from (seed, kind, index) alone.

Re-seeding one `random.Random` per record lets any stream (Leads, their Tasks, their
history) regenerate exactly the same record without holding the org in memory.
"""

from __future__ import annotations

import _random  # the C core of `random.Random`: its seed() skips the Python wrapper
import random
from collections.abc import Sequence
from enum import IntEnum
from typing import TypeVar

__all__ = ["Kind", "below", "between", "fresh_rng", "mix", "pick", "reseed"]

_MASK64 = (1 << 64) - 1
T = TypeVar("T")


class Kind(IntEnum):
    """What a random stream is for; part of every derived seed."""

    LAYOUT = 1
    LEAD = 2
    CONTACT = 3
    ACCOUNT = 4
    USER = 5
    ORG = 6
    POOLS = 7
    ACCOUNT_OPP = 8
    LEAD_OPP = 9
    LEAD_LIFE_BLOCK = 10
    LEAD_BODY_BLOCK = 11
    CONTACT_LIFE_BLOCK = 12
    CONTACT_BODY_BLOCK = 13


_SEED = _random.Random.seed


def fresh_rng(seed: int = 0) -> random.Random:
    """Return a new Mersenne Twister for reproducible synthetic data (never for secrets)."""
    return random.Random(seed)


def reseed(rng: random.Random, seed: int, kind: Kind, index: int) -> random.Random:
    """Re-seed `rng` for record `index` of `kind` and return it.

    Calls the C seeding directly (a million records make the wrapper's microsecond count);
    the wrapper's only other effect, clearing the cached second `gauss()` value, does not
    matter because record streams never call `gauss()`.
    """
    _SEED(rng, ((seed & _MASK64) << 48) | (int(kind) << 40) | index)
    return rng


def mix(value: int, salt: int) -> int:
    """Return a well-spread 32-bit hash of two ints (a cheap, stable stand-in for a draw).

    Used for per-company traits that many records look up, where re-seeding would cost more
    than the record itself.

    >>> mix(1, 2) == mix(1, 2), mix(1, 2) == mix(2, 1)
    (True, False)
    """
    x = (value * 0x9E3779B97F4A7C15 + salt * 0xC2B2AE3D27D4EB4F) & _MASK64
    x = ((x ^ (x >> 31)) * 0xBF58476D1CE4E5B9) & _MASK64
    return (x ^ (x >> 29)) & 0xFFFFFFFF


def below(rng: random.Random, n: int) -> int:
    """Return an int in [0, n): `randrange` without its argument checks (hot paths)."""
    return int(rng.random() * n)


def between(rng: random.Random, low: int, high: int) -> int:
    """Return an int in [low, high) (high > low)."""
    return low + int(rng.random() * (high - low))


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """Return one element of a non-empty sequence."""
    return options[int(rng.random() * len(options))]
