"""Person names: nickname-aware first-name keys, and which names are known given names.

"Bob" and "Robert" are one first name; "Jon" and "Joan" are two, though one letter apart.
The ``nicknames`` package knows both facts: it lists each name's canonical forms, and a name
it lists is a real given name, so two different known names that are not nicknames of each
other are a conflict, not a typo. Only an unknown spelling ("Jyayden") may be a typo.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import polars as pl
from nicknames import NickNamer

__all__ = ["first_name_keys", "is_known_name", "known_names", "nickname_link"]


@functools.cache
def _namer() -> NickNamer:
    return NickNamer()


@functools.cache
def known_names() -> frozenset[str]:
    """Every folded given name the nickname tables list, canonical or nickname."""
    namer = _namer()
    more = set(_MORE_CANONICALS).union(*_MORE_CANONICALS.values())
    return frozenset(namer.canonical_lookup) | frozenset(namer.nickname_lookup) | more


def is_known_name(name: str) -> bool:
    """Tell whether a folded first name is a given name the nickname tables list.

    >>> is_known_name("joan"), is_known_name("jyayden")
    (True, False)
    """
    return name in known_names()


# Common nicknames the ``nicknames`` tables (1.0.x) leave out, found by checking a list of
# everyday English ones against them: each name → the names it is a nickname of.
_MORE_CANONICALS: dict[str, frozenset[str]] = {
    "katie": frozenset({"katherine", "catherine", "kathryn"}),
    "kate": frozenset({"catherine"}),
    "kat": frozenset({"katherine", "catherine"}),
    "nat": frozenset({"natalie"}),
    "kris": frozenset({"kristen", "kristin"}),
    "liv": frozenset({"olivia"}),
    "mo": frozenset({"maurice"}),
    "rosie": frozenset({"rosemary"}),
}


def _canonicals(name: str) -> set[str]:
    return _namer().canonicals_of(name) | _MORE_CANONICALS.get(name, frozenset())


@functools.lru_cache(maxsize=65_536)
def _keys(name: str) -> frozenset[str]:
    # Cached: every batch of pairs asks again for the same few thousand names.
    return frozenset({name} | _canonicals(name))


def first_name_keys(names: Iterable[str]) -> pl.DataFrame:
    """The keys of folded first names: the name itself and each name it is a nickname of.

    Two names are nickname-equivalent when they share a key: "bob" has the key "robert",
    and so does "robert"; "bob" and "rob" share "robert" too.

    Args:
        names: folded first names.

    Returns:
        A frame of (``name``, ``key``), one row per key.
    """
    pairs = [(name, key) for name in dict.fromkeys(names) if name for key in sorted(_keys(name))]
    return pl.DataFrame(pairs, schema={"name": pl.Utf8(), "key": pl.Utf8()}, orient="row")


def nickname_link(first: str, second: str) -> str | None:
    """How two different folded first names are one name, in words, or None when they are not.

    >>> nickname_link("bob", "robert")
    'nickname bob = robert'
    >>> nickname_link("katie", "katherine")
    'nickname katie = katherine'
    >>> nickname_link("liz", "beth")
    'nicknames liz and beth both stand for elizabeth'
    >>> nickname_link("jon", "joan") is None
    True
    """
    if first == second:
        return None
    if first in _canonicals(second) or second in _canonicals(first):
        # The tables list some pairs both ways ("sue" of "susan" and back); the shorter is the nickname.
        short, full = sorted((first, second), key=lambda name: (len(name), name))
        return f"nickname {short} = {full}"
    shared = sorted(_keys(first) & _keys(second))
    if shared:
        return f"nicknames {first} and {second} both stand for {shared[0]}"
    return None
