"""How a pull runs: its options and the progress it reports (shared by the pull and its object steps)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sfbridge.models import ObjectPullResult

__all__ = ["NO_PROGRESS", "Progress", "PullOptions"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PullOptions:
    """How to pull: page size, look-back overlap, full re-read, the local clock, and when to use Bulk.

    ``clock`` is the local clock, used only for sfbridge's own bookkeeping (when a row was
    written); every moment that bounds a read comes from Salesforce's clock.
    """

    page_size: int = 2000
    overlap: timedelta = timedelta(minutes=5)
    full: bool = False
    clock: Callable[[], datetime] = field(default=_utcnow)
    #: Read an object with a Bulk API 2.0 job when its pull reads at least this many rows.
    bulk_threshold: int | None = None
    #: Read every object that Bulk supports with a Bulk job, whatever its size (``--bulk``).
    bulk: bool = False


class Progress(Protocol):
    """Receives progress as pages are committed (the CLI draws bars from it)."""

    def advance(self, sobject: str, *, done: int, total: int | None) -> None:
        """Report rows committed so far for an object, and the query's total if known."""

    def finish(self, result: ObjectPullResult) -> None:
        """Report that an object is done."""


class _NoProgress:
    def advance(self, sobject: str, *, done: int, total: int | None) -> None:
        pass

    def finish(self, result: ObjectPullResult) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()
