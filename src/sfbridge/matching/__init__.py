"""Matching people: normalisers, blocking, scoring, clustering and explanations for duplicates.

Build a people frame (:func:`people_from_frames`), wrap it in :class:`Matching`, and read
``people`` (normalised fields), ``pairs`` (matched pairs with scores and reasons) or
``clusters`` (members and survivors). The normalisers are usable on their own.
"""

from sfbridge.matching.engine import Matching, MatchSettings
from sfbridge.matching.people import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    LEAD_FIELDS,
    PEOPLE_SCHEMA,
    people_frame,
    people_from_frames,
)

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
