"""The shape of a check, and the one table of all of them.

Each check module defines its checks as :class:`Check` values and lists them in a module-level
``CHECKS`` tuple; :mod:`sfbridge.checks` gathers them in order. A check declares the fields it
reads (``needs``), so the store loads only those columns for a large org.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sfbridge.checks.context import CheckContext
from sfbridge.models import Finding
from sfbridge.rules import Rules

__all__ = ["Check", "FieldNeeds"]

#: Fields a check reads, per object; a function of the rules (the score field, say).
FieldNeeds = Callable[[Rules], Mapping[str, frozenset[str]]]


@dataclass(frozen=True)
class Check:
    """One health check.

    Attributes:
        name: the stable identifier (``stale_lead``), used in ``--checks``, files and JSON.
        title: a short heading for reports.
        explains: what the finding means and why it matters, in plain words.
        run: the pure function producing its findings.
        needs: the fields it reads from the snapshot itself.
        reads_people: whether it reads ``context.matches`` (the normalised Leads and
            Contacts, built from :data:`~sfbridge.checks.context.PEOPLE_NEEDS`, which are
            loaded for it); such checks run last, while the phone numbers they need are read.
        reads_search: of those, whether it reads the duplicate search's results (the cluster
            members) as well as the people frame: the checks that read the people alone run
            before the search, and an audit lets the people columns only they read go first.
        reads_search_only: of those, whether it reads only the duplicate search's results
            (the cluster members and merged values), never the people frame itself: such
            checks run after the ones that do, and an audit lets the people frame go first.
        objects: the objects its findings can be on. The audit writes one Data Loader CSV
            per check and object (an update job takes one object), a header alone when the
            check found nothing there, so a scheduled import always finds its file.
    """

    name: str
    title: str
    explains: str
    run: Callable[[CheckContext], list[Finding]]
    needs: FieldNeeds
    reads_people: bool = False
    reads_search: bool = False
    reads_search_only: bool = False
    objects: tuple[str, ...] = ("Lead", "Contact")
