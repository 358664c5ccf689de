"""Salesforce's clock, read from the ``Date`` header of its answers.

Windows and bookmarks must come from the server's clock, never the local one: a pull that
asks Get Deleted for deletions "until now" by a local clock running a minute fast claims a
minute Salesforce has not covered yet, and one running slow re-reads or misses. Every HTTP
answer carries ``Date`` (RFC 9110 §6.6.1: origin servers send it), to the second; the
moment it was received is kept with a monotonic reading, so "now on the server" is the
last ``Date`` plus the time elapsed here since, and never jumps when the local wall clock is
adjusted. It is floored to the whole second: a window end a fraction early is only re-read
next time, one late could claim changes the server has not made yet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["ServerClock"]


class ServerClock:
    """The server's time, as last told by a ``Date`` header, advanced by a monotonic clock."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        """Start with no reading (``now()`` is None until a response with ``Date`` arrives)."""
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._told: datetime | None = None
        self._at = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the server's time from a response's headers (an unreadable ``Date`` is ignored)."""
        value = headers.get("Date")
        if not value:
            return
        try:
            told = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if told.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may parse naive
            told = told.replace(tzinfo=UTC)
        with self._lock:
            self._told, self._at = told.astimezone(UTC), self._monotonic()

    def now(self) -> datetime | None:
        """The server's current time to the second, or None before any ``Date`` was seen.

        >>> clock = ServerClock(monotonic=lambda: 10.0)
        >>> clock.now() is None
        True
        >>> clock.observe({"Date": "Mon, 02 Nov 2026 15:00:00 GMT"})
        >>> clock.now().isoformat()
        '2026-11-02T15:00:00+00:00'
        """
        with self._lock:
            if self._told is None:
                return None
            elapsed = max(0.0, self._monotonic() - self._at)
            return (self._told + timedelta(seconds=elapsed)).replace(microsecond=0)
