from datetime import UTC, datetime

import requests
from urllib3.exceptions import NewConnectionError

from sfbridge.errors import (
    ApiBudgetError,
    AuthenticationError,
    FatalSalesforceError,
    RetriableSalesforceError,
)
from sfbridge.salesforce.retry import is_transient
from sfbridge.salesforce.translate import explain_oauth_error, parse_retry_after, rest_error, transport_error


def test_server_unavailable_is_retriable_and_keeps_retry_after():
    """503 SERVER_UNAVAILABLE is transient; the Retry-After hint travels with the error."""
    error = rest_error(503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}], {"Retry-After": "7"})
    assert isinstance(error, RetriableSalesforceError)
    assert error.error_code == "SERVER_UNAVAILABLE"
    assert error.retry_after == 7.0


def test_unable_to_lock_row_is_retriable_even_as_400():
    """Row-lock contention clears by itself, whatever status it comes with."""
    error = rest_error(400, [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access"}])
    assert isinstance(error, RetriableSalesforceError)


def test_daily_limit_is_fatal_but_concurrency_limit_is_retriable():
    """TotalRequests exhaustion stops the run; the concurrent long-request limit is waited out."""
    daily = rest_error(403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}])
    busy = rest_error(
        403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "ConcurrentPerOrgLongTxn Limit exceeded."}]
    )
    assert isinstance(daily, ApiBudgetError)
    assert "allowance" in str(daily)
    assert isinstance(busy, RetriableSalesforceError)


def test_invalid_session_is_an_authentication_error_with_its_code():
    """401 INVALID_SESSION_ID keeps its code so the gateway can renew the session."""
    error = rest_error(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    assert isinstance(error, AuthenticationError)
    assert error.error_code == "INVALID_SESSION_ID"


def test_invalid_field_is_fatal_with_advice_and_the_object():
    """A hidden or removed field is not retried, and the message points at field-level security."""
    error = rest_error(400, [{"errorCode": "INVALID_FIELD", "message": "No such column 'X__c'"}], sobject="Lead")
    assert isinstance(error, FatalSalesforceError)
    assert not isinstance(error, RetriableSalesforceError)
    assert str(error).startswith("Lead: ")
    assert "field-level security" in str(error)


def test_html_error_page_is_described_not_dumped():
    """A proxy's HTML page is named as such; its markup does not reach the message."""
    error = rest_error(502, "<html><body><h1>Bad Gateway</h1><script>x</script></body></html>")
    assert isinstance(error, RetriableSalesforceError)
    assert "HTML page" in str(error)
    assert "<script>" not in str(error)


def test_retired_api_version_says_to_set_a_newer_one():
    """410 Gone is the REST answer for a retired API version."""
    error = rest_error(410, [{"errorCode": "NOT_FOUND", "message": "gone"}])
    assert "api_version is retired" in str(error)


def test_connection_refused_is_known_unsent_but_read_timeout_is_not():
    """Only a connection that never opened may re-send a non-idempotent call."""
    refused = transport_error(requests.exceptions.ConnectionError(NewConnectionError(None, "refused")), what="convert")
    read = transport_error(requests.exceptions.ReadTimeout("slow"), what="convert")
    assert is_transient(refused, idempotent=False)
    assert not is_transient(read, idempotent=False)
    assert is_transient(read, idempotent=True)


def test_tls_failure_is_fatal_and_never_suggests_turning_verification_off():
    """Certificate problems stop the run with advice about CA bundles."""
    error = transport_error(requests.exceptions.SSLError("bad cert"), what="query")
    assert isinstance(error, FatalSalesforceError)
    assert "REQUESTS_CA_BUNDLE" in str(error)


def test_retry_after_accepts_seconds_and_http_dates():
    """Retry-After may be seconds or an HTTP date; nonsense is ignored."""
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 02 Nov 2026 09:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("later") is None


def test_retry_after_dates_count_from_salesforces_clock_not_ours():
    """An HTTP-date Retry-After is measured against the response's Date, whatever the local clock says."""
    local_clock_an_hour_behind = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    error = rest_error(
        503,
        [{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}],
        {"Retry-After": "Mon, 02 Nov 2026 09:00:45 GMT", "Date": "Mon, 02 Nov 2026 09:00:00 GMT"},
    )
    assert error.retry_after == 45.0
    assert parse_retry_after("Mon, 02 Nov 2026 09:00:45 GMT", now=local_clock_an_hour_behind) == 3645.0


def test_retry_after_in_the_obsolete_minus_zero_zone_is_read_not_a_traceback():
    """'-0000' dates parse without a zone; they are GMT, not a TypeError from naive arithmetic."""
    date = "Mon, 02 Nov 2026 09:00:10 -0000"
    assert parse_retry_after(date, server_date="Mon, 02 Nov 2026 09:00:00 GMT") == 10.0
    assert parse_retry_after(date, now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC)) == 10.0


def test_oauth_errors_are_explained():
    """The common token-exchange failures map to the cause and the fix."""
    assert "certificate" in explain_oauth_error("invalid_grant", "invalid assertion")
    assert "test.salesforce.com" in explain_oauth_error("invalid_grant", "audience is invalid")
    assert "pre-authorized" in explain_oauth_error("invalid_grant", "user hasn't approved this consumer")
    assert "sf org login" in explain_oauth_error("invalid_grant", "expired access/refresh token")
    assert "My Domain" in explain_oauth_error("invalid_grant", "request not supported on this domain")
