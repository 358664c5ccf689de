"""Turn what Salesforce (or the network) answered into sfbridge's exception tree, once.

Pure functions of plain values (status, parsed body, headers, exception type), so the rules
are testable without HTTP and no module but the gateway needs to know simple-salesforce.
Messages keep Salesforce's errorCode and its short message, never tokens or record data.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import requests

from sfbridge.errors import (
    ApiBudgetError,
    AuthenticationError,
    ConfigError,
    FatalSalesforceError,
    ProtocolError,
    RetriableSalesforceError,
    SalesforceError,
)

__all__ = [
    "INVALID_SESSION",
    "explain_oauth_error",
    "parse_retry_after",
    "rest_error",
    "soap_error",
    "soap_protocol_error",
    "transport_error",
    "unserved_version_error",
]

INVALID_SESSION = "INVALID_SESSION_ID"

# Row-lock contention clears by itself; everything else in a 400 is our request's fault.
_RETRIABLE_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
_MAX_SNIPPET = 160

_ADVICE = {
    "INVALID_FIELD": "a field was removed or is hidden from the integration user by field-level "
    "security; check the user's profile or permission sets",
    "INVALID_TYPE": "the object is not available to the integration user (or not enabled in this org)",
    "INSUFFICIENT_ACCESS": "the integration user lacks a permission (API Enabled, View All on "
    "the object); see the README's permission list",
    "API_DISABLED_FOR_ORG": "this org's edition has no API access (Professional Edition needs the API add-on)",
    "API_CURRENTLY_DISABLED": "the user's profile lacks the API Enabled permission",
    "QUERY_TIMEOUT": "the query ran too long on Salesforce's side; pull that object with a "
    "smaller page size or fewer fields",
    "MALFORMED_QUERY": "sfbridge built a query Salesforce rejects; please report it with the object name",
    "UNSUPPORTED_API_VERSION": "the configured api_version is retired; set a newer one",
}


def _http_date(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110 IMF-fixdate or an obsolete form) as an aware UTC datetime, else None."""
    try:
        when = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    # "-0000" and the obsolete forms parse naive; HTTP dates are GMT all the same.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def parse_retry_after(
    value: str | None, *, server_date: str | None = None, now: datetime | None = None
) -> float | None:
    """Read a Retry-After header (seconds or an HTTP date) as seconds to wait.

    An HTTP date is counted from Salesforce's own clock, the same response's ``Date`` header:
    a local clock a minute off would wait a minute too long, or not at all. Without a readable
    ``Date``, ``now`` (the local clock when not given) stands in.

    >>> parse_retry_after("30"), parse_retry_after(None), parse_retry_after("soon")
    (30.0, None, None)
    >>> parse_retry_after("Mon, 02 Nov 2026 09:00:30 GMT", server_date="Mon, 02 Nov 2026 09:00:00 GMT")
    30.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    reference = _http_date(server_date) or now or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """The wait a response's Retry-After asks for, against the same response's Date."""
    headers = headers or {}
    return parse_retry_after(headers.get("Retry-After"), server_date=headers.get("Date"))


def _first_error(content: object) -> tuple[str | None, str]:
    """Pull (errorCode, message) out of a REST error body: a JSON list of error objects."""
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        entry = content[0]
        return entry.get("errorCode"), str(entry.get("message", ""))
    if isinstance(content, Mapping):  # a few endpoints (and OAuth) answer with one object
        code = content.get("errorCode") or content.get("error")
        return code, str(content.get("message") or content.get("error_description") or "")
    return None, _describe_foreign_body(content)


def _describe_foreign_body(content: object) -> str:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    head = " ".join(text.split())[:_MAX_SNIPPET]
    if "<html" in text.lower() or "<!doctype" in text.lower():
        return "an HTML page instead of a Salesforce answer (a proxy or gateway in the way?)"
    return f"an answer Salesforce would not send: {head!r}" if head else "an empty answer"


def rest_error(
    status: int,
    content: object,
    headers: Mapping[str, str] | None = None,
    *,
    sobject: str | None = None,
) -> SalesforceError:
    """Classify a failed REST call.

    Args:
        status: the HTTP status (≥ 300).
        content: the body, parsed from JSON when it was JSON, else text.
        headers: the response headers (for Retry-After).
        sobject: the object the call was about, if any.

    Returns:
        The sfbridge exception to raise.
    """
    code, message = _first_error(content)
    where = f"{sobject}: " if sobject else ""
    text = f"{where}Salesforce answered HTTP {status}" + (f" {code}" if code else "")
    text += f": {message}" if message else ""
    if code == INVALID_SESSION or status == 401:  # noqa: PLR2004
        return AuthenticationError(text, error_code=code, status=status, sobject=sobject)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return _limit_error(text, message, headers, error_code=code, status=status, sobject=sobject)
    retry_after = _retry_after(headers)
    if code in _RETRIABLE_CODES or status >= 500 or status == 429:  # noqa: PLR2004
        return RetriableSalesforceError(text, retry_after=retry_after, error_code=code, status=status, sobject=sobject)
    # 410 Gone is how REST answers a retired API version, whatever code the body carries.
    advice = _ADVICE["UNSUPPORTED_API_VERSION"] if status == 410 else _ADVICE.get(code or "")  # noqa: PLR2004
    return FatalSalesforceError(
        text + (f" ({advice})" if advice else ""), error_code=code, status=status, sobject=sobject
    )


def _limit_error(
    text: str,
    message: str,
    headers: Mapping[str, str] | None,
    *,
    error_code: str | None,
    status: int,
    sobject: str | None,
) -> SalesforceError:
    if "ConcurrentPerOrgLongTxn" in message or "Concurrent" in message:
        # Too many long-running requests at once across the org: wait and try again.
        retry_after = _retry_after(headers)
        return RetriableSalesforceError(
            text, retry_after=retry_after, error_code=error_code, status=status, sobject=sobject
        )
    return ApiBudgetError(
        text + " (the org's 24-hour API allowance is used up; sfbridge stopped and kept what "
        "it had committed; run again after the allowance recovers)",
        error_code=error_code,
        status=status,
        sobject=sobject,
    )


def soap_error(
    status: int,
    code: str | None,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    sobject: str | None = None,
) -> SalesforceError:
    """Classify a SOAP fault (``soapenv:Fault``) by its exceptionCode, as REST errors are.

    Salesforce sends faults with HTTP 500, as SOAP 1.1 does, so unlike :func:`rest_error`
    the status says nothing about whether a retry could help: only the code does. An expired
    session is the same :class:`AuthenticationError` REST raises, so the gateway renews it the
    same way.

    Args:
        status: the HTTP status the fault came with.
        code: the fault's ``exceptionCode`` (or its ``faultcode`` without the prefix).
        message: the fault's ``exceptionMessage`` (or ``faultstring``).
        headers: the response headers (for Retry-After).
        sobject: the object the call was about, if any.

    Returns:
        The sfbridge exception to raise.

    >>> type(soap_error(500, "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader")).__name__
    'AuthenticationError'
    >>> type(soap_error(500, "INVALID_FIELD", "No such column")).__name__
    'FatalSalesforceError'
    """
    where = f"{sobject}: " if sobject else ""
    text = f"{where}Salesforce answered HTTP {status} with SOAP fault {code or 'without a code'}"
    text += f": {message}" if message else ""
    if code == INVALID_SESSION:
        return AuthenticationError(text, error_code=code, status=status, sobject=sobject)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return _limit_error(text, message, headers, error_code=code, status=status, sobject=sobject)
    if code in _RETRIABLE_CODES:
        retry_after = _retry_after(headers)
        return RetriableSalesforceError(text, retry_after=retry_after, error_code=code, status=status, sobject=sobject)
    advice = _ADVICE.get(code or "")
    return FatalSalesforceError(
        text + (f" ({advice})" if advice else ""), error_code=code, status=status, sobject=sobject
    )


def protocol_error(exc: Exception, body: bytes | str, *, what: str) -> ProtocolError:
    """Describe a 2xx answer that is not the JSON Salesforce sends (proxy page, truncation).

    Args:
        exc: the parse error (the standard library's, orjson's or msgspec's; only its class
            name is reported).
        body: the raw body.
        what: the call, e.g. "query Lead".

    Returns:
        The error to raise.
    """
    detail = _describe_foreign_body(body)
    if not detail.startswith("an HTML"):
        detail = f"JSON that does not parse ({exc.__class__.__name__}); the answer was cut short?"
    return ProtocolError(f"{what}: Salesforce sent {detail}")


def soap_protocol_error(body: bytes | str, *, what: str, reason: str) -> ProtocolError:
    """Describe an answer to a SOAP call that is not the XML Salesforce sends.

    Args:
        body: the raw body (a proxy's HTML page or an empty answer is named as such).
        what: the call, e.g. "convert leads".
        reason: what is wrong with it otherwise, e.g. "XML that does not parse".

    Returns:
        The error to raise.
    """
    detail = _describe_foreign_body(body)
    if not detail.startswith(("an HTML", "an empty")):
        detail = reason
    return ProtocolError(f"{what}: Salesforce sent {detail}")


# Failures requests raises before anything leaves this machine, which no retry can fix.
_LOCAL_ERRORS = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,  # InvalidProxyURL too
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.URLRequired,
    requests.exceptions.InvalidJSONError,
)


def transport_error(exc: requests.RequestException, *, what: str) -> SalesforceError:
    """Classify a failure below HTTP: DNS, refused or reset connections, timeouts, TLS.

    Args:
        exc: what requests raised.
        what: the call, for the message.

    Returns:
        The sfbridge exception to raise.
    """
    name = exc.__class__.__name__
    if isinstance(exc, _LOCAL_ERRORS):
        # requests refused to build the request, so nothing was sent and sending it again
        # fails the same way. Its own message quotes the offending value (for a header, the
        # whole "Bearer <token>"), so only the class name is kept.
        msg = (
            f"{what}: the request could not be built ({name}): a credential or URL holds a "
            "character HTTP does not allow (a line break or space pasted with a token, say); "
            "check the org's SFBRIDGE_* variables and its login_url / instance_url"
        )
        return FatalSalesforceError(msg)
    if isinstance(exc, requests.exceptions.SSLError):
        msg = (
            f"{what}: TLS verification failed ({name}); sfbridge never turns verification off. "
            "If a corporate proxy re-signs traffic, point REQUESTS_CA_BUNDLE at its CA file"
        )
        return FatalSalesforceError(msg)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _never_connected(exc):
        return RetriableSalesforceError(f"{what}: could not connect ({name})", request_sent=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return RetriableSalesforceError(f"{what}: no answer within the read timeout ({name})")
    return RetriableSalesforceError(f"{what}: the connection failed ({name})")


def _never_connected(exc: requests.RequestException) -> bool:
    # urllib3 wraps "connection refused" and DNS failures in NewConnectionError: the request
    # bytes never left this machine.
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    return inner.__class__.__name__ in {"NewConnectionError", "NameResolutionError"}


# What an OAuth `error_description` (or SOAP login fault) means for the person fixing it.
_OAUTH_EXPLANATIONS = (
    (
        "invalid assertion",
        (
            "the JWT was rejected: the private key does not match the certificate uploaded to the "
            "Connected App / External Client App, or this machine's clock is off by more than a few minutes"
        ),
    ),
    (
        "audience is invalid",
        (
            "the JWT audience does not match the org: use login_url = https://test.salesforce.com for a "
            "sandbox, https://login.salesforce.com for production, or the org's My Domain URL"
        ),
    ),
    (
        "user hasn't approved this consumer",
        (
            "the user is not pre-authorized for the app: set 'Admin approved users are pre-authorized' "
            "and add the user's profile or a permission set"
        ),
    ),
    (
        "expired access/refresh token",
        "the token has expired or was revoked: log in again (for an sf CLI alias: sf org login web --alias ALIAS)",
    ),
    (
        "no client credentials user enabled",
        "the app has no 'Run As' user for the client credentials flow: set one in the app's OAuth policies",
    ),
    (
        "request not supported on this domain",
        "the client credentials flow only works on the org's My Domain URL (https://NAME.my.salesforce.com)",
    ),
    (
        "client identifier invalid",
        "the consumer key is wrong, or the app was created minutes ago and has not propagated yet (up to 10 minutes)",
    ),
    ("invalid client credentials", "the consumer secret does not match the consumer key"),
    ("invalid_client", "the consumer key or secret is wrong"),
    (
        "authentication failure",
        (
            "the username, password or security token is wrong, the user is locked out or restricted by "
            "login IP ranges, or login_url points at the wrong kind of org (sandbox vs production)"
        ),
    ),
    ("invalid_login", "the username, password or security token is wrong, or the user is locked out"),
    ("user is not admin approved", "the user is not pre-authorized for the app"),
)


def explain_oauth_error(code: object, description: object) -> str:
    """Say in plain words why a token exchange failed and what to change.

    Args:
        code: the OAuth ``error`` (or SOAP exceptionCode).
        description: the ``error_description`` (or SOAP exceptionMessage).

    Returns:
        One sentence naming the cause and the fix.

    >>> explain_oauth_error("invalid_grant", "audience is invalid").startswith("the JWT audience")
    True
    """
    haystack = f"{code} {description}".lower()
    for needle, explanation in _OAUTH_EXPLANATIONS:
        if needle in haystack:
            return explanation
    return "Salesforce refused the login; check the org profile and the credentials"


def auth_error(code: object, description: object) -> AuthenticationError:
    """Build the error for a failed token exchange, with Salesforce's words and ours."""
    said = f"{code}: {description}" if description else str(code)
    return AuthenticationError(
        f"login failed ({said}); {explain_oauth_error(code, description)}",
        error_code=str(code) if code else None,
    )


_NEWEST_SHOWN = 3


def unserved_version_error(org: str, version: str, served: Sequence[Mapping[str, object]]) -> ConfigError | None:
    """Name the config key to change when an org does not serve the configured API version.

    Args:
        org: the profile name.
        version: the configured ``api_version``.
        served: the org's answer to ``GET /services/data/`` (``version``, ``label``, ``url``).

    Returns:
        The error, or None when the org does serve ``version`` (the 404 meant something else).

    >>> error = unserved_version_error("acme", "67.0", [{"version": "66.0", "label": "Spring 2026"}])
    >>> error.key, "66.0 (Spring 2026)" in str(error)
    ('orgs.acme.api_version', True)
    >>> unserved_version_error("acme", "66.0", [{"version": "66.0", "label": "Spring 2026"}]) is None
    True
    """
    listed = []
    for entry in served:
        try:
            listed.append((float(str(entry.get("version"))), entry))
        except ValueError:
            continue
    if any(entry.get("version") == version for _, entry in listed):
        return None
    newest = [entry for _, entry in sorted(listed, key=lambda item: item[0], reverse=True)[:_NEWEST_SHOWN]]
    shown = ", ".join(f"{entry.get('version')} ({entry.get('label')})" for entry in newest) or "none listed"
    fix = f'set api_version = "{newest[0].get("version")}"' if newest else "set api_version to one it serves"
    msg = f"this org does not serve API version {version} (the newest it serves: {shown}); {fix} in the config file"
    return ConfigError(msg, key=f"orgs.{org}.api_version")
