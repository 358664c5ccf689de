"""The HTTP session every Salesforce call goes through: timeouts, User-Agent, API usage.

simple-salesforce sets no timeout of its own, so a stalled socket would hang a scheduled job
forever; every request made through :class:`TimeoutSession` gets ``(connect, read)`` timeouts
unless the caller gives one. Every response's ``Sforce-Limit-Info`` header updates the shared
:class:`ApiUsage`, so the budget guard sees SOAP, REST and token calls alike, and its ``Date``
header sets the :class:`~sfbridge.salesforce.server_clock.ServerClock` windows are taken from.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from sfbridge import __version__
from sfbridge.salesforce.server_clock import ServerClock

__all__ = ["ApiUsage", "TimeoutSession", "parse_limit_info"]

# `api-usage=18/5000`, possibly followed by `; api-bursts=...` or `; per-app-api-usage=...`.
# https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
_API_USAGE = re.compile(r"(?:^|[;\s])api-usage=(\d+)/(\d+)")


def parse_limit_info(header: str) -> tuple[int, int] | None:
    """Read (used, daily limit) from a ``Sforce-Limit-Info`` header.

    Args:
        header: the header value.

    Returns:
        The pair, or None when the header carries no api-usage.

    >>> parse_limit_info("api-usage=10018/100000; api-bursts=1/750")
    (10018, 100000)
    >>> parse_limit_info("per-app-api-usage=17/250(appName=x)") is None
    True
    """
    match = _API_USAGE.search(header)
    return (int(match[1]), int(match[2])) if match else None


@dataclass
class ApiUsage:
    """What the org last told us about its 24-hour API allowance, and what we spent."""

    used: int | None = None
    limit: int | None = None
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, response: requests.Response) -> None:
        """Count one call and update the allowance from its header, if any."""
        parsed = parse_limit_info(response.headers.get("Sforce-Limit-Info", ""))
        with self._lock:
            self.calls += 1
            if parsed is not None:
                self.used, self.limit = parsed

    def remaining_fraction(self) -> float | None:
        """Return the share of the daily allowance still unused, or None when unknown."""
        if self.used is None or not self.limit:
            return None
        return max(0.0, (self.limit - self.used) / self.limit)


class TimeoutSession(requests.Session):
    """A requests session with default timeouts, our User-Agent and API-usage tracking.

    It never calls ``raise_for_status``: simple-salesforce and the gateway read error bodies.
    """

    def __init__(self, *, connect_timeout: float, read_timeout: float, usage: ApiUsage) -> None:
        """Set the defaults.

        Args:
            connect_timeout: seconds to wait for a TCP/TLS connection.
            read_timeout: seconds to wait between bytes of a response.
            usage: the tracker every response updates.
        """
        super().__init__()
        self.timeout = (connect_timeout, read_timeout)
        self.usage = usage
        self.server_clock = ServerClock()
        self.headers["User-Agent"] = f"sfbridge/{__version__} ({requests.utils.default_user_agent()})"
        self.last_headers: Mapping[str, str] = {}
        self.hooks["response"].append(self._track)

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # noqa: ANN401 (requests' own signature)
        """Send a request with the default timeout unless one is given."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)

    def _track(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:  # noqa: ANN401
        self.usage.record(response)
        self.server_clock.observe(response.headers)
        # simple-salesforce's exceptions keep the status and body but not the headers; the
        # gateway reads Retry-After from here when it translates one.
        self.last_headers = response.headers
