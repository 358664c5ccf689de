"""The one call path to an org: logging in, renewing the session, the API reserve, retries.

Every call the gateway makes goes through :meth:`OrgConnection._call`, which refuses to
spend the org's reserved API allowance, retries transient failures with back-off (idempotent
calls only), renews an expired session once, and translates every failure into sfbridge's
exception tree. The gateway's parts (:mod:`.identity`, :mod:`.rest_reads`, :mod:`.rest_writes`,
:mod:`.soap_writes`, :mod:`.bulk_jobs`) build on this class; :mod:`.gateway` joins them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

import requests
import structlog

from sfbridge.config import AuthMethod, OrgProfile, env_name
from sfbridge.credentials import Secrets
from sfbridge.errors import ApiBudgetError, AuthenticationError
from sfbridge.salesforce.auth import Token, fetch_token
from sfbridge.salesforce.client import Client, LibraryError
from sfbridge.salesforce.retry import make_retrying
from sfbridge.salesforce.session import TimeoutSession
from sfbridge.salesforce.translate import INVALID_SESSION, protocol_error, rest_error, transport_error

__all__ = ["OrgConnection"]


log = structlog.get_logger()
T = TypeVar("T")


class OrgConnection:
    """A logged-in connection to one org, and the one path every call to it takes."""

    def __init__(
        self,
        profile: OrgProfile,
        secrets: Secrets,
        *,
        session: TimeoutSession,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Keep what logging in and calling need; nothing is sent until the first call.

        Args:
            profile: the org profile.
            secrets: its credentials.
            session: the HTTP session (timeouts, usage tracking, maybe a replay transport).
            sleep: how retries wait (tests pass a no-op).
        """
        self.profile = profile
        self._secrets = secrets
        self._session = session
        self._sleep = sleep
        self._token: Token | None = None
        self._client: Client | None = None
        self._warned_no_date = False
        self.usage = session.usage

    @property
    def instance_url(self) -> str:
        """The org's instance URL (logs in first if needed)."""
        return self._require_token().instance_url

    @property
    def api_version(self) -> str:
        """The REST API version in use, e.g. ``66.0``."""
        return self.profile.api_version

    def server_time(self, *, learn: bool = True) -> datetime:
        """Salesforce's current time, to the second, from the ``Date`` header of its last answer.

        Windows and bookmarks are taken from this, never from the local clock (see
        :mod:`sfbridge.salesforce.server_clock`). Before the first answer, one cheap call is
        made to learn it (unless ``learn`` is False: on the way out of a failure). An answer
        without ``Date`` (a proxy that strips it) leaves only the local clock, which is used
        with a warning.
        """
        now = self._session.server_clock.now()
        if now is None and learn:
            self._call("list resources", lambda sf: sf.restful(""))
            now = self._session.server_clock.now()
        if now is None:
            if not self._warned_no_date:
                log.warning("server_time_unknown", reason="Salesforce's answers carry no Date header")
                self._warned_no_date = True
            now = datetime.now(UTC).replace(microsecond=0)
        return now

    def check_budget(self, what: str) -> None:
        """Raise :class:`ApiBudgetError` now if a call would be refused for the API reserve.

        Apply asks before journalling a batch as sent, so a batch the reserve stops is not
        recorded as possibly sent.
        """
        self._check_budget(what)

    # -- the one call path --------------------------------------------------------------

    def _call(
        self,
        what: str,
        fn: Callable[[Client], T],
        *,
        sobject: str | None = None,
        idempotent: bool = True,
    ) -> T:
        # Logging in has retries of its own: a login that failed them is not tried again for
        # each attempt of the call (max_attempts squared token requests to an unreachable org).
        self._require_client()
        retrying = make_retrying(self.profile.network, idempotent=idempotent, sleep=self._sleep)
        for attempt in retrying:
            with attempt:
                return self._call_once(what, fn, sobject=sobject)
        raise AssertionError  # pragma: no cover (tenacity re-raises the last error)

    def _call_once(self, what: str, fn: Callable[[Client], T], *, sobject: str | None) -> T:
        self._check_budget(what)
        client = self._require_client()
        try:
            return self._translated(what, fn, client, sobject=sobject)
        except AuthenticationError as exc:
            if exc.error_code != INVALID_SESSION or not self._require_token().refreshable:
                raise self._explain_expired(exc) from exc
            # The token expired mid-run (sessions time out; admins revoke them): mint a new
            # one from the same source once, then repeat the call.
            log.info("salesforce_session_renewed", call=what)
            self._login()
            return self._translated(what, fn, self._require_client(), sobject=sobject)

    def _translated(self, what: str, fn: Callable[[Client], T], client: Client, *, sobject: str | None) -> T:
        try:
            return fn(client)
        except LibraryError as exc:
            raise rest_error(exc.status, exc.content, self._session.last_headers, sobject=sobject) from exc
        except json.JSONDecodeError as exc:  # orjson's and requests' errors both derive from it
            raise protocol_error(exc, getattr(exc, "doc", b""), what=what) from exc
        except requests.RequestException as exc:
            raise transport_error(exc, what=what) from exc

    def _check_budget(self, what: str) -> None:
        remaining = self.usage.remaining_fraction()
        reserve = self.profile.api_reserve_percent / 100
        if remaining is not None and remaining < reserve:
            msg = (
                f"stopped before '{what}': the org has used {self.usage.used:,} of its "
                f"{self.usage.limit:,} daily API requests, and sfbridge leaves the last "
                f"{self.profile.api_reserve_percent:g}% to the org's other integrations "
                "(api_reserve_percent). Everything committed so far is kept; run again later."
            )
            raise ApiBudgetError(msg, error_code="API_RESERVE_REACHED")

    def _explain_expired(self, exc: AuthenticationError) -> AuthenticationError:
        if exc.error_code != INVALID_SESSION:
            return exc
        if self.profile.auth is AuthMethod.ACCESS_TOKEN:
            fix = f"set a fresh token in {env_name(self.profile.name, 'access_token')}"
        else:
            fix = "the session was renewed once and was refused again; check the app's policies"
        return AuthenticationError(
            f"Salesforce says the session is expired or invalid; {fix}", error_code=INVALID_SESSION
        )

    # -- logging in ---------------------------------------------------------------------

    def _require_token(self) -> Token:
        if self._token is None:
            self._login()
        assert self._token is not None  # noqa: S101 (set by _login)
        return self._token

    def _require_client(self) -> Client:
        if self._client is None:
            self._login()
        assert self._client is not None  # noqa: S101 (set by _login)
        return self._client

    def _login(self) -> None:
        self._check_budget("log in")
        retrying = make_retrying(self.profile.network, idempotent=True, sleep=self._sleep)
        token = retrying(fetch_token, self.profile, self._secrets, session=self._session)
        self._token = token
        # A "direct" client: simple-salesforce never refreshes it behind our back, so renewal,
        # retries and the budget all stay in this module.
        self._client = Client.for_token(
            token.access_token.get_secret_value(),
            instance_url=token.instance_url,
            api_version=self.profile.api_version,
            session=self._session,
        )
        log.info(
            "salesforce_logged_in",
            auth=self.profile.auth.value,
            instance=urlsplit(token.instance_url).hostname,
            api_version=self.profile.api_version,
        )
