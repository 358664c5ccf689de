"""The shape of a check, and the one table of all of them.

Each check module defines its checks as :class:`Check` values and lists them in a module-level
``CHECKS`` tuple; :mod:`sfbridge.checks` gathers them in order. A check declares the fields it
reads (``needs``), so the store loads only those columns for a large org.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from sfbridge.checks.context import CheckContext
from sfbridge.models import Finding
from sfbridge.rules import Rules

__all__ = ["Check", "FieldNeeds", "Reads"]

#: Fields a check reads, per object; a function of the rules (the score field, say).
FieldNeeds = Callable[[Rules], Mapping[str, frozenset[str]]]


class Reads(Enum):
    """What a check reads besides its own fields, which sets when it runs.

    The people are the normalised Leads and Contacts (``context.matches``, built from
    :data:`~sfbridge.checks.context.PEOPLE_NEEDS`, which are loaded for such a check); the
    search is the duplicate search over them (cluster members, merged values). The order is
    :func:`sfbridge.checks.run_checks_detailed`'s.
    """

    #: The snapshot's records only: runs first (while phone numbers not read yet are read,
    #: unless the pull prepared this snapshot and none is left).
    RECORDS = "records"
    #: The people frame, not the search: runs before the search, and an audit lets the people
    #: columns only such checks read go before it.
    PEOPLE = "people"
    #: The people frame and the search's results.
    PEOPLE_AND_SEARCH = "people and search"
    #: The search's results only, never the people frame: runs last, and an audit lets the
    #: people frame go before it.
    SEARCH_ONLY = "search only"


@dataclass(frozen=True)
class Check:
    """One health check.

    Attributes:
        name: the stable identifier (``stale_lead``), used in ``--checks``, files and JSON.
        title: a short heading for reports.
        explains: what the finding means and why it matters, in plain words.
        run: the pure function producing its findings.
        needs: the fields it reads from the snapshot itself.
        reads: what it reads besides its own fields (:class:`Reads`), which sets when it runs.
        objects: the objects its findings can be on. The audit writes one Data Loader CSV
            per check and object (an update job takes one object), a header alone when the
            check found nothing there, so a scheduled import always finds its file.
    """

    name: str
    title: str
    explains: str
    run: Callable[[CheckContext], list[Finding]]
    needs: FieldNeeds
    reads: Reads = Reads.RECORDS
    objects: tuple[str, ...] = ("Lead", "Contact")

    @property
    def reads_people(self) -> bool:
        """Whether it reads the people or the search over them: it runs after the checks that do not."""
        return self.reads is not Reads.RECORDS
