"""Salesforce wire formats for values: REST datetimes and dates, and SOQL datetime literals.

REST JSON writes datetimes as ``2013-05-20T20:49:32.000+0000`` (no colon in the offset) and
dates as ``2013-05-20``; SOQL takes datetime literals unquoted in ISO 8601 with ``Z``.
Python 3.11's ``datetime.fromisoformat`` reads both forms.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = [
    "canonical_datetime",
    "format_datetime",
    "format_soql_datetime",
    "parse_canonical",
    "parse_date",
    "parse_datetime",
]


def parse_datetime(value: str) -> datetime:
    """Parse a Salesforce datetime into an aware UTC datetime.

    Args:
        value: e.g. ``2013-05-20T20:49:32.000+0000`` or ``2013-05-20T20:49:32.000Z``.

    Returns:
        The datetime in UTC.

    Raises:
        ValueError: when the text is not a datetime.

    >>> parse_datetime("2013-05-20T20:49:32.000+0000")
    datetime.datetime(2013, 5, 20, 20, 49, 32, tzinfo=datetime.timezone.utc)
    """
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        # Salesforce always sends an offset; a bare value is UTC by its own convention.
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_UTC_SUFFIXES = ("+0000", "Z", "+00:00")


def canonical_datetime(value: str) -> str:
    """Check a Salesforce datetime and return it as the store keeps it: UTC text with microseconds.

    A value without an offset is UTC (Salesforce's own convention, as in :func:`parse_datetime`).

    >>> canonical_datetime("2013-05-20T20:49:32.000+0000")
    '2013-05-20 20:49:32.000000'
    >>> canonical_datetime("2013-05-20T22:49:32.5+02:00")
    '2013-05-20 20:49:32.500000'
    >>> canonical_datetime("2024-01-31T10:00:00.000Z")
    '2024-01-31 10:00:00.000000'
    """
    parsed = datetime.fromisoformat(value)  # validates; C-fast
    if value.endswith(_UTC_SUFFIXES) and len(value) in (24, 28):
        # Salesforce writes UTC with milliseconds: slicing is 3x cheaper than formatting, and
        # this runs for every datetime of every record pulled or imported.
        return f"{value[:10]} {value[11:23]}000"
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_canonical(value: str) -> datetime:
    """Read canonical UTC text back into an aware datetime.

    >>> parse_canonical("2013-05-20 20:49:32.000000")
    datetime.datetime(2013, 5, 20, 20, 49, 32, tzinfo=datetime.timezone.utc)
    """
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def parse_date(value: str) -> date:
    """Parse a Salesforce date (``2013-05-20``).

    >>> parse_date("2013-05-20")
    datetime.date(2013, 5, 20)
    """
    return date.fromisoformat(value)


def format_datetime(value: datetime) -> str:
    """Format an aware datetime the way the REST API writes it.

    >>> format_datetime(datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))
    '2024-01-02T03:04:05.678+0000'
    """
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def format_soql_datetime(value: datetime) -> str:
    """Format an aware datetime as a SOQL datetime literal (UTC, ``Z``, unquoted).

    SOQL documents literals to the second only (``1999-01-01T23:01:01Z``), and Salesforce
    stores datetimes to the second (the API always answers ``.000``), so the fraction is
    dropped: rounding down keeps a ``>=`` filter inclusive.

    >>> format_soql_datetime(datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))
    '2024-01-02T03:04:05Z'
    """
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
