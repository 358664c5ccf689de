"""Logs: JSON for machines, and never a secret, whatever a module passes."""

import io
import json

import structlog

from sfbridge.log import configure_logging


def test_json_logs_redact_secret_keys_and_token_shaped_values():
    """Secret-named fields are blanked, and session ids or bearer tokens inside any text too."""
    stream = io.StringIO()
    configure_logging(json=True, level="info", stream=stream)
    structlog.get_logger().info(
        "login_attempt",
        access_token="00D5g000000AbCd!AQ4AQsecretsecret",
        client_secret="s3cret",
        detail="header was Bearer 00D5g000000AbCd!AQ4AQsecretsecret",
        url="https://acme.my.salesforce.com/services/data/v66.0/",
    )
    line = json.loads(stream.getvalue())
    assert line["access_token"] == line["client_secret"] == "[redacted]"
    assert "secretsecret" not in stream.getvalue()
    assert "s3cret" not in stream.getvalue()
    assert line["url"] == "https://acme.my.salesforce.com/services/data/v66.0/"
    assert line["event"] == "login_attempt"
    assert line["level"] == "info"


def test_levels_below_the_threshold_are_dropped():
    """Debug lines do not reach a scheduler's log unless asked for."""
    stream = io.StringIO()
    configure_logging(json=True, level="info", stream=stream)
    structlog.get_logger().debug("pull_page_committed", rows=2000)
    assert stream.getvalue() == ""
