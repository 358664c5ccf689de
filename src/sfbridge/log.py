"""Structured logging, configured once by the CLI: JSON lines for machines, text for people.

A redaction processor runs last before rendering, so no event can carry a token, password,
key or Authorization header into a log, whatever a module passes.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog

__all__ = ["configure_logging", "redact", "timed"]

_SECRET_KEYS = re.compile(
    r"token|secret|password|passwd|authorization|session_?id|private_?key|assertion", re.IGNORECASE
)
# A Salesforce access token / session id: the 15- or 18-char org Id, "!", then the secret.
_SESSION_ID = re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]+")
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)
REDACTED = "[redacted]"


def _scrub(value: Any) -> Any:  # noqa: ANN401 (any logged value)
    if isinstance(value, str):
        return _BEARER.sub(r"\1" + REDACTED, _SESSION_ID.sub(REDACTED, value))
    return value


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:  # noqa: ANN401
    """Blank secret-named keys and anything shaped like a session id or bearer token.

    >>> redact(None, "info", {"event": "x", "access_token": "abc", "url": "Bearer xyz"})
    {'event': 'x', 'access_token': '[redacted]', 'url': 'Bearer [redacted]'}
    """
    for key, value in list(event.items()):
        event[key] = REDACTED if _SECRET_KEYS.search(key) and value is not None else _scrub(value)
    return event


def configure_logging(*, json: bool, level: str = "info", stream: TextIO | None = None) -> None:
    """Set up structlog (and quiet the libraries' stdlib loggers).

    Args:
        json: JSON lines (for schedulers and log shippers) instead of readable text.
        level: the lowest level shown: debug, info, warning or error.
        stream: where logs go (standard error by default; standard output is for results).
    """
    numeric = logging.getLevelNamesMapping()[level.upper()]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=(stream or sys.stderr).isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # Look the stream up per logger, not once: standard error may be swapped (tests, rich).
        logger_factory=lambda *_args: structlog.PrintLogger(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    # simple-salesforce and urllib3 log through the standard library; keep them quiet.
    logging.basicConfig(level=logging.WARNING, stream=stream or sys.stderr)


@contextmanager
def timed(event: str, **fields: Any) -> Iterator[dict[str, Any]]:  # noqa: ANN401 (any logged value)
    """Log ``event`` at info level once the block is done, with its ``seconds`` and ``fields``.

    The block may add facts it learns (a count, say) to the dict it is given. Nothing is logged
    when the block raises: the error is reported where it is handled. ``sfbridge audit -v``
    shows where a large org's audit spends its time this way (``audit_stage``, ``check_done``).
    """
    started = time.perf_counter()
    learned: dict[str, Any] = {}
    yield learned
    structlog.get_logger().info(event, **fields, **learned, seconds=round(time.perf_counter() - started, 2))
