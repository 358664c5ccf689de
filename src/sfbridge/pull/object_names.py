"""Check the objects a pull is asked for before it starts: spelt as the org spells them, or refused.

A typo (``--objects Leed``) would otherwise start a run and fail on describe with a bare 404,
after the objects before it were pulled. The objects sfbridge knows are accepted as they are
(their case corrected) without a request, so a pull of the usual objects costs nothing more;
any other name is looked up once in the org's global describe, and the closest known or
offered name is suggested for one that is not there.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.schema import DEFAULT_SPECS

__all__ = ["ObjectCheck", "check_objects"]

#: Objects sfbridge has a recipe for (LeadHistory among them: optional, skipped with a note
#: when the org does not track field history, so never refused here).
KNOWN_OBJECTS = tuple(dict.fromkeys((*DEFAULT_OBJECTS, *DEFAULT_SPECS)))


@dataclass(frozen=True)
class ObjectCheck:
    """The objects to pull, each spelt as the org spells it, and what is wrong with the others."""

    objects: tuple[str, ...]
    problems: tuple[str, ...]


def check_objects(names: Sequence[str], offered: Callable[[], Sequence[str]]) -> ObjectCheck:
    """Match each requested object to one sfbridge knows or the org offers.

    Args:
        names: the objects asked for, in order.
        offered: lists the objects the org offers this user (a global describe); called at
            most once, and only for a name sfbridge does not know.

    Returns:
        The objects in the org's spelling (object names are case-insensitive in Salesforce,
        but the store's tables and the pull's recipes use the canonical one), and one
        problem per name that is neither known nor offered, with the closest name.
    """
    known = {name.lower(): name for name in KNOWN_OBJECTS}
    org: dict[str, str] | None = None
    objects: list[str] = []
    problems: list[str] = []
    for name in names:
        if name.lower() in known:
            objects.append(known[name.lower()])
            continue
        if org is None:
            org = {entry.lower(): entry for entry in offered()}
        if name.lower() in org:
            objects.append(org[name.lower()])
        else:
            problems.append(f"{name!r} is not an object this org offers to the integration user{_hint(name, org)}")
    return ObjectCheck(tuple(dict.fromkeys(objects)), tuple(problems))


def _hint(name: str, org: dict[str, str]) -> str:
    # The objects sfbridge knows first: "Leed" means Lead, not some other four-letter object.
    for candidates in (list(KNOWN_OBJECTS), list(org.values())):
        lowered = {candidate.lower(): candidate for candidate in candidates}
        close = difflib.get_close_matches(name.lower(), lowered, n=1, cutoff=0.7)
        if close:
            return f" (did you mean {lowered[close[0]]!r}?)"
    return ""
