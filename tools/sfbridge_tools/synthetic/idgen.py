"""Salesforce Ids for synthetic records, minted from per-object counters.

A 15-character Id is the object's key prefix, a two-character pod, reserved zeros and a
counter (https://help.salesforce.com/s/articleView?id=000385585). The counter's low five
characters use only digits and lower-case letters, so the case-safe suffix depends on the
fixed head alone: it is computed once per head with `sfbridge.ids.to_18` and reused, which
keeps minting cheap at a million records.
"""

from __future__ import annotations

import string

from sfbridge.ids import KEY_PREFIXES, to_18

__all__ = ["ID_SPACE", "IdMint", "key_prefix"]

_LOW = string.digits + string.ascii_lowercase
_PAIRS = tuple(a + b for a in _LOW for b in _LOW)
_LOW_SPAN = len(_LOW) ** 5
_BLOCKS = string.ascii_uppercase + string.ascii_lowercase + string.digits

#: How many distinct counters (including `start`) a mint can serve before Ids repeat.
ID_SPACE = len(_BLOCKS) * _LOW_SPAN

# Objects sfbridge never reads but whose Ids appear in records (User.ProfileId, UserRoleId).
_EXTRA_PREFIXES = {"Profile": "00e", "UserRole": "00E"}


def key_prefix(sobject: str) -> str:
    """Return the three-character key prefix of an object the generator mints Ids for."""
    return KEY_PREFIXES.get(sobject) or _EXTRA_PREFIXES[sobject]


class IdMint:
    """Mint the 18-character Ids of one object from non-negative integer counters."""

    __slots__ = ("_head", "_heads", "_start")

    def __init__(self, sobject: str, *, pod: str, start: int) -> None:
        """Prepare a mint.

        Args:
            sobject: the object whose key prefix the Ids carry.
            pod: two letters or digits naming the org's instance.
            start: the counter of record 0 (orgs never start their counters at zero).
        """
        self._head = key_prefix(sobject) + pod + "0000"
        self._start = start
        self._heads: dict[int, tuple[str, str]] = {}

    def __call__(self, counter: int) -> str:
        """Return the Id for `counter`."""
        block, low = divmod(self._start + counter, _LOW_SPAN)
        parts = self._heads.get(block)
        if parts is None:
            head = self._head + _BLOCKS[block % len(_BLOCKS)]
            parts = self._heads[block] = (head, to_18(head + "00000")[15:])
        return parts[0] + _LOW[low // 1_679_616] + _PAIRS[low // 1296 % 1296] + _PAIRS[low % 1296] + parts[1]
