"""The retry policy for calls to Salesforce: which failures, how long to wait, how often.

Only transient failures are retried (5xx, UNABLE_TO_LOCK_ROW, the concurrent-request limit,
timeouts, resets). A call that is not idempotent is re-sent only when the connection was
never opened, so a retry can never repeat a write Salesforce may already have made.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential, wait_random

from sfbridge.config import NetworkSettings
from sfbridge.errors import RetriableSalesforceError

__all__ = ["is_transient", "make_retrying"]

log = structlog.get_logger()


def is_transient(exc: BaseException, *, idempotent: bool) -> bool:
    """Tell whether a failed call may be sent again.

    Args:
        exc: what the call raised (already translated into sfbridge's tree).
        idempotent: whether sending the call twice is harmless (reads, PATCH of set values).

    Returns:
        True when a retry is safe and may help.
    """
    if not isinstance(exc, RetriableSalesforceError):
        return False
    return idempotent or not exc.request_sent


def make_retrying(
    network: NetworkSettings,
    *,
    idempotent: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> Retrying:
    """Build a tenacity ``Retrying`` for one kind of call.

    Args:
        network: attempts and back-off bounds.
        idempotent: whether the call may be repeated after it reached the server.
        sleep: how to wait (tests pass a recorder instead of sleeping).

    Returns:
        A ``Retrying`` that re-raises the last error once attempts run out.
    """
    # Exponential (initial, 2x initial, 4x ...) capped at backoff_max, plus jitter so that many
    # clients failing together do not retry in lockstep.
    backoff = wait_exponential(multiplier=network.backoff_initial, max=network.backoff_max) + wait_random(
        0, network.backoff_initial
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            # Salesforce (or the proxy in front of it) said how long; do not hammer it sooner,
            # but never sleep longer than the configured ceiling.
            return float(min(max(hint, 0.0), network.backoff_max))
        return float(min(backoff(state), network.backoff_max))

    return Retrying(
        retry=retry_if_exception(lambda exc: is_transient(exc, idempotent=idempotent)),
        wait=wait,
        stop=stop_after_attempt(network.max_attempts),
        before_sleep=_log_backoff,
        sleep=sleep,
        reraise=True,
    )


def _log_backoff(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "salesforce_retry",
        attempt=state.attempt_number,
        wait_seconds=round(state.upcoming_sleep, 2),
        error_code=getattr(exc, "error_code", None),
        status=getattr(exc, "status", None),
        error=str(exc),
    )
