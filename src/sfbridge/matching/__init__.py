"""Matching people: normalisers, blocking, scoring, clustering and explanations for duplicates.

Build a people frame (:func:`people_from_frames`), wrap it in :class:`Matching`, and read
``people`` (normalised fields), ``pairs`` (matched pairs with scores and reasons) or
``clusters`` (members and survivors). The normalisers are usable on their own.

The names below are imported on first use (PEP 562), not with the package: the phone-reading
worker processes import :mod:`sfbridge.matching.phones` only, and loading the whole engine
(scipy, rapidfuzz, polars' expressions of every normaliser) would cost each of them much more
than reading phones does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfbridge.matching.engine import Matching, MatchSettings
    from sfbridge.matching.people import (
        ACCOUNT_FIELDS,
        CONTACT_FIELDS,
        LEAD_FIELDS,
        PEOPLE_SCHEMA,
        people_frame,
        people_from_frames,
    )

# Exported name → the module that defines it.
_HOMES = {
    "Matching": "sfbridge.matching.engine",
    "MatchSettings": "sfbridge.matching.engine",
    "ACCOUNT_FIELDS": "sfbridge.matching.people",
    "CONTACT_FIELDS": "sfbridge.matching.people",
    "LEAD_FIELDS": "sfbridge.matching.people",
    "PEOPLE_SCHEMA": "sfbridge.matching.people",
    "people_frame": "sfbridge.matching.people",
    "people_from_frames": "sfbridge.matching.people",
}

__all__ = [
    "ACCOUNT_FIELDS",
    "CONTACT_FIELDS",
    "LEAD_FIELDS",
    "PEOPLE_SCHEMA",
    "MatchSettings",
    "Matching",
    "people_frame",
    "people_from_frames",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401 (any exported name)
    home = _HOMES.get(name)
    if home is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
