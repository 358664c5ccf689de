"""Narrow a read Salesforce gave up on (QUERY_TIMEOUT) by splitting its SystemModstamp range.

Salesforce stops a query that runs too long on its side with ``QUERY_TIMEOUT`` (HTTP 400),
typically a selective filter on a very large object during busy hours. The same rows read
as two queries over halves of the cursor range usually succeed, each scanning less, so a
timed-out window is split in two (from the newest row it had already committed) and each
half is read in order; halves that time out again are split again, down to a second.
Reads that may simply be repeated (a count, a list of Ids, soft deletes) go through
:func:`read_windowed`; the change read, which commits as it goes, splits from what it committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import structlog

from sfbridge import soql
from sfbridge.errors import FatalSalesforceError

__all__ = [
    "EARLIEST",
    "QUERY_TIMEOUT",
    "MaxSplitsError",
    "Window",
    "bounds",
    "is_query_timeout",
    "read_windowed",
    "split",
]

log = structlog.get_logger()
R = TypeVar("R")

QUERY_TIMEOUT = "QUERY_TIMEOUT"
#: Nothing in an org is older than the service (Salesforce opened in 1999), and SystemModstamp
#: is set by Salesforce itself (unlike CreatedDate, which data loads may backdate), so it
#: bounds a first read that has no lower bound of its own.
EARLIEST = datetime(1999, 1, 1, tzinfo=UTC)
#: SOQL datetime literals are whole seconds: a narrower window cannot be expressed.
_NARROWEST = timedelta(seconds=1)
#: Splits one read may make in all (a range of 27 years halves to a second in 30 splits).
MAX_SPLITS = 64


@dataclass(frozen=True)
class Window:
    """A range of the cursor: from ``start`` (inclusive) to ``end`` (exclusive); None is unbounded."""

    start: datetime | None = None
    end: datetime | None = None


class MaxSplitsError(FatalSalesforceError):
    """A read that still times out after being split as far as it can be."""


def is_query_timeout(exc: BaseException) -> bool:
    """Whether an error is Salesforce's QUERY_TIMEOUT (the read may succeed narrower)."""
    return isinstance(exc, FatalSalesforceError) and exc.error_code == QUERY_TIMEOUT


def split(window: Window, *, read_up_to: datetime | None, now: datetime, sobject: str, splits: int) -> list[Window]:
    """Split a timed-out window in two, from where its committed rows reached.

    Args:
        window: the window Salesforce timed out on.
        read_up_to: the newest cursor value already committed from this window (rows from
            there on are read again: several rows can share one SystemModstamp), or None.
        now: the end of an unbounded window (Salesforce's current time, or a count's cut-off).
        sobject: the object, for the message.
        splits: how many splits this read has made so far.

    Returns:
        The two halves, oldest first. The first keeps the window's own start when nothing was
        committed (an unbounded start stays unbounded: only the midpoint assumes records are
        no older than :data:`EARLIEST`); the second keeps its end.

    Raises:
        MaxSplitsError: when the window is a second wide already, or the read has split too often.

    >>> start = datetime(2026, 1, 1, tzinfo=UTC)
    >>> halves = split(Window(start, start + timedelta(hours=2)), read_up_to=None, now=start, sobject="Lead", splits=0)
    >>> [(h.start.hour, h.end.hour) for h in halves]
    [(0, 1), (1, 2)]
    """
    start = read_up_to or window.start
    nominal = max(part for part in (start, EARLIEST) if part is not None)
    end = window.end or now
    if end - nominal <= _NARROWEST or splits >= MAX_SPLITS:
        msg = (
            f"{sobject}: Salesforce timed out (QUERY_TIMEOUT) reading records between "
            f"{nominal:%Y-%m-%d %H:%M:%S} and {end:%Y-%m-%d %H:%M:%S} UTC even after narrowing the read "
            f"{splits} times; everything read so far is committed. Retry later, when the org is less busy"
        )
        raise MaxSplitsError(msg, error_code=QUERY_TIMEOUT, sobject=sobject)
    middle = (nominal + (end - nominal) / 2).replace(microsecond=0)
    if middle <= nominal:  # under two seconds wide: the second half takes the last second
        middle = nominal + _NARROWEST
    return [Window(start, middle), Window(middle, window.end)]


def bounds(field: str, window: Window) -> list[str]:
    """The SOQL conditions that keep a read inside a window of a datetime field.

    >>> bounds("CreatedDate", Window(None, datetime(2026, 1, 1, tzinfo=UTC)))
    ['CreatedDate < 2026-01-01T00:00:00Z']
    """
    return [
        *([soql.since(field, window.start)] if window.start is not None else []),
        *([soql.before(field, window.end)] if window.end is not None else []),
    ]


def read_windowed(
    read: Callable[[Window], R], *, end: datetime, sobject: str, start: datetime | None = None
) -> list[R]:
    """Run a read that may be repeated (a count, soft deletes) over narrower windows while it times out.

    Args:
        read: reads one window (its caller turns the window into conditions, see :func:`bounds`).
        end: what an unbounded window's end stands for when it is split (a cut-off, or now).
        sobject: the object, for the message.
        start: where the read starts (None: no lower bound).

    Returns:
        One result per window read, oldest window first.
    """
    results: list[R] = []
    windows, splits = [Window(start, None)], 0
    while windows:
        window = windows.pop(0)
        try:
            results.append(read(window))
        except FatalSalesforceError as exc:
            if not is_query_timeout(exc):
                raise
            windows[:0] = split(window, read_up_to=None, now=end, sobject=sobject, splits=splits)
            splits += 1
            log.warning("query_timeout_narrowed", sobject=sobject, splits=splits)
    return results
