"""One exception tree for sfbridge, grouped by what the caller does next.

::

    SfbridgeError                      root: every error sfbridge raises on purpose
    ├── UserInputError                 the user fixes something, then re-runs (exit 2)
    │   ├── ConfigError                a config file, an environment variable, a key file
    │   ├── UsageError                 a command line that cannot work
    │   ├── ImportFileError            an exported CSV `sfbridge import` cannot read (file, line, fix)
    │   └── PlanError                  a plan file that is edited, broken or for another org
    ├── SalesforceError                talking to Salesforce failed (exit 3)
    │   ├── RetriableSalesforceError   transient: 5xx, UNABLE_TO_LOCK_ROW, timeouts, resets
    │   └── FatalSalesforceError       retrying will not help
    │       ├── AuthenticationError    a token exchange or session failed
    │       ├── ApiBudgetError     the org's daily API allowance (or our reserve) is used up
    │       ├── ProtocolError          the response is not what Salesforce sends (proxy pages...)
    │       └── ReplayError         a recorded exchange is missing (demo and tests only)
    ├── SyncIntegrityError             a pull cannot prove it got everything (exit 3)
    └── StoreError                     the local store cannot be opened or written (exit 3)

    KeyboardInterrupt                  (Python's) Ctrl-C: exit 130
    └── Terminated                     SIGTERM, SIGHUP or SIGBREAK (``signum``): exit 128 + signum

A run ended by either is recorded ``interrupted``, not ``failed`` (:func:`run_outcome`): it was
stopped from outside, and the next run resumes from what it committed. ``Terminated`` derives
from KeyboardInterrupt so that every ``except Exception`` lets it through, as it does Ctrl-C.

Exceptions carry their data as attributes (``error_code``, ``status``, ``sobject``) and build
their message in ``__init__``; messages never include tokens, response bodies or PII.
"""

from __future__ import annotations

import signal

__all__ = [
    "INTERRUPTED",
    "ApiBudgetError",
    "AuthenticationError",
    "ConfigError",
    "FatalSalesforceError",
    "ImportFileError",
    "PlanError",
    "ProtocolError",
    "ReplayError",
    "RetriableSalesforceError",
    "SalesforceError",
    "SfbridgeError",
    "StoreError",
    "SyncIntegrityError",
    "Terminated",
    "UsageError",
    "UserInputError",
    "run_outcome",
]


#: The runs table's outcome of a run stopped from outside: a signal, Ctrl-C, or a process that died.
INTERRUPTED = "interrupted"


class SfbridgeError(Exception):
    """Root of every error sfbridge raises on purpose."""


class UserInputError(SfbridgeError):
    """Something the user gave us is wrong; the message names the place and the fix."""


class ConfigError(UserInputError):
    """A config file, environment variable or referenced file is missing or invalid."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None) -> None:
        """Build the message from where the problem is.

        Args:
            message: what is wrong and how to fix it.
            source: the file (or environment) the value came from.
            key: the dotted key inside that source.
        """
        self.source = source
        self.key = key
        where = ": ".join(part for part in (source, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(UserInputError):
    """A command line that cannot work as given."""


class ImportFileError(UserInputError):
    """An exported file `sfbridge import` cannot read as it is: named with its line, and the fix."""

    def __init__(self, problem: str, *, file: str, fix: str, line: int | None = None) -> None:
        """Build the message from where the problem is and how to fix it.

        Args:
            problem: what is wrong (no record data beyond what locates it).
            file: the file, as the user knows it (inside a zip: ``export.zip:Lead.csv``).
            fix: what to do about it.
            line: the file's line (1 is the header), when one line is at fault.
        """
        self.file, self.line, self.problem, self.fix = file, line, problem, fix
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}; {fix}")


class PlanError(UserInputError):
    """A plan file that cannot be applied as it is: unreadable, edited, or made for another org."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        """Name the plan file in the message."""
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class SalesforceError(SfbridgeError):
    """A call to Salesforce failed; ``error_code`` keeps Salesforce's own code."""

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        status: int | None = None,
        sobject: str | None = None,
    ) -> None:
        """Keep the Salesforce error code and HTTP status with the message.

        Args:
            message: a plain description, free of tokens and record data.
            error_code: Salesforce's ``errorCode`` (REST), ``exceptionCode`` (SOAP) or ``error``
                (OAuth), when there is one.
            status: the HTTP status, when there is one.
            sobject: the object being worked on, when there is one.
        """
        self.error_code = error_code
        self.status = status
        self.sobject = sobject
        super().__init__(message)


class RetriableSalesforceError(SalesforceError):
    """A transient failure: the same call may succeed if sent again after a pause.

    ``retry_after`` holds the server's Retry-After hint in seconds, when it gave one.
    ``request_sent`` is False only when the request provably never reached Salesforce (the
    connection could not be opened): the one case where a non-idempotent call may be re-sent.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        request_sent: bool = True,
        error_code: str | None = None,
        status: int | None = None,
        sobject: str | None = None,
    ) -> None:
        """Remember the server's Retry-After hint and whether the request went out.

        Args:
            message: a plain description.
            retry_after: seconds the server asked us to wait, if it said.
            request_sent: False when the connection was never established.
            error_code: Salesforce's error code, as for SalesforceError.
            status: the HTTP status, as for SalesforceError.
            sobject: the object being worked on, as for SalesforceError.
        """
        self.retry_after = retry_after
        self.request_sent = request_sent
        super().__init__(message, error_code=error_code, status=status, sobject=sobject)


class FatalSalesforceError(SalesforceError):
    """Retrying will not help: permissions, bad SOQL, a retired API version..."""


class AuthenticationError(FatalSalesforceError):
    """Logging in failed or the session cannot be renewed."""


class ApiBudgetError(FatalSalesforceError):
    """The org's daily API allowance, or the reserve sfbridge keeps for others, is reached."""


class ProtocolError(FatalSalesforceError):
    """A response that Salesforce would not send: an HTML page, truncated or foreign JSON."""


class ReplayError(FatalSalesforceError):
    """A request has no recorded response in the replay cassette."""


class SyncIntegrityError(SfbridgeError):
    """A pull finished but cannot prove the store matches the org (counts differ, gaps)."""

    def __init__(self, message: str, *, sobject: str) -> None:
        """Name the object whose mirror cannot be trusted.

        Args:
            message: what differs and what to do.
            sobject: the object concerned.
        """
        self.sobject = sobject
        super().__init__(f"{sobject}: {message}")


class StoreError(SfbridgeError):
    """The local store cannot be opened, migrated or written."""


class Terminated(KeyboardInterrupt):
    """A termination signal stopped sfbridge (the CLI raises it in the main thread).

    Attributes:
        signum: the signal's number (15 for SIGTERM); the exit code is 128 + signum.
        signal_name: the signal's name, e.g. ``"SIGTERM"``.
    """

    def __init__(self, signum: int) -> None:
        """Name the signal in the message ("stopped by SIGTERM")."""
        self.signum = signum
        try:
            self.signal_name = signal.Signals(signum).name
        except ValueError:  # a number this platform has no name for
            self.signal_name = f"signal {signum}"
        super().__init__(f"stopped by {self.signal_name}")


def run_outcome(exc: BaseException) -> tuple[str, str]:
    """The runs table's outcome and error text for a run that ``exc`` ended.

    >>> run_outcome(Terminated(15))
    ('interrupted', 'stopped by SIGTERM')
    >>> run_outcome(KeyboardInterrupt())
    ('interrupted', 'interrupted (Ctrl-C)')
    >>> run_outcome(StoreError("disk full"))
    ('failed', 'disk full')
    """
    if isinstance(exc, Terminated):
        return INTERRUPTED, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted (Ctrl-C)"
    return "failed", str(exc) or exc.__class__.__name__
