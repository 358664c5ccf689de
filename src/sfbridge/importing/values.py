"""Exported CSV text into the values a pull stores: datetimes, dates, checkboxes, numbers, Ids.

The stored forms are the pull's (see :mod:`sfbridge.pull.records`): datetimes as UTC text
``YYYY-MM-DD HH:MM:SS.ffffff``, dates as ``YYYY-MM-DD``, so an imported row and a pulled row
of the same record are equal. An empty value is null (Salesforce keeps no empty text).

The forms read, with their sources:

- Datetimes: Data Export and Bulk API 2.0 write UTC with milliseconds,
  ``2024-01-31T10:00:00.000Z``; Data Loader's recommended form carries an offset,
  ``yyyy-MM-ddTHH:mm:ss.SSS+/-HHmm``, and it also takes ``...SSS'Z'`` ("Data Types Supported by
  Data Loader", Data Loader Guide). The REST/Bulk "Valid Date and DateTime Formats" page adds
  ``+HH:mm`` and optional milliseconds. A datetime without an offset is read as UTC, the
  convention of every Salesforce API (see :func:`sfbridge.wire.parse_datetime`).
- Dates: ``yyyy-MM-dd`` (same pages; a date takes no offset).
- Checkboxes: Data Loader reads true as ``yes, y, true, on, 1`` and false as ``no, n, false,
  off, 0``, case-insensitive ("Data Types Supported by Data Loader"); Data Export writes
  ``true``/``false``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sfbridge.ids import InvalidIdError, validate_id
from sfbridge.models import ColumnKind
from sfbridge.wire import canonical_datetime

__all__ = ["CONVERTERS", "infer_kind", "read_boolean", "read_datetime", "read_id"]

_TRUE = frozenset({"yes", "y", "true", "on", "1"})
_FALSE = frozenset({"no", "n", "false", "off", "0"})


def read_datetime(value: str) -> str:
    """An exported datetime as the pull stores it (UTC text, microseconds).

    >>> read_datetime("2024-01-31T10:00:00.000Z")
    '2024-01-31 10:00:00.000000'
    >>> read_datetime("2024-01-31T12:00:00.000+0200"), read_datetime("2024-01-31T10:00:00")
    ('2024-01-31 10:00:00.000000', '2024-01-31 10:00:00.000000')
    """
    if len(value) < 11 or value[10] not in "T ":  # noqa: PLR2004 (a date alone is not a moment)
        raise ValueError(value)
    return canonical_datetime(value)  # the pull's own form


def read_date(value: str) -> str:
    """An exported date (``2024-01-31``) as stored.

    >>> read_date("2024-01-31")
    '2024-01-31'
    """
    return date.fromisoformat(value).isoformat()


def read_boolean(value: str) -> bool:
    """A checkbox value, in any of the forms Data Loader reads.

    >>> read_boolean("true"), read_boolean("0"), read_boolean("Yes")
    (True, False, True)
    """
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(value)


def read_integer(value: str) -> int:
    """A whole number (a Salesforce ``int`` written ``5`` or ``5.0``)."""
    number = float(value)
    if number != int(number):
        raise ValueError(value)
    return int(number)


def read_id(value: str) -> str:
    """A record Id, checked (its case-safe suffix too), in its 18-character form.

    >>> read_id("00Q5g00000AbCdE")
    '00Q5g00000AbCdEEAV'
    """
    try:
        return validate_id(value)
    except InvalidIdError as exc:
        raise ValueError(str(exc)) from exc


#: How each stored kind reads a non-empty value (ValueError when it does not fit).
CONVERTERS: dict[ColumnKind, Callable[[str], Any]] = {
    ColumnKind.TEXT: str,
    ColumnKind.BOOLEAN: read_boolean,
    ColumnKind.INTEGER: read_integer,
    ColumnKind.NUMBER: float,
    ColumnKind.DATE: read_date,
    ColumnKind.DATETIME: read_datetime,
}

# What the values of an org's own field must all look like for it to be stored as other than text.
_EXPORTED_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:?\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# No leading zero (a postal or account code "02134" is text), no exponent, no thousands separator.
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")
_CHECKBOX = frozenset({"true", "false"})


def infer_kind(values: set[str]) -> ColumnKind:
    """How to store a custom field from its distinct non-empty values: text unless every one proves otherwise.

    Only the forms Data Export writes count as proof (``true``/``false``, never ``1``/``0``,
    which numbers hold too); a field with no values is text.

    >>> infer_kind({"true", "false"}), infer_kind({"85", "12.5"}), infer_kind({"02134"})
    (<ColumnKind.BOOLEAN: 'boolean'>, <ColumnKind.NUMBER: 'number'>, <ColumnKind.TEXT: 'text'>)
    """
    if not values:
        return ColumnKind.TEXT
    for kind, fits in (
        (ColumnKind.BOOLEAN, lambda v: v in _CHECKBOX),
        (ColumnKind.DATETIME, _EXPORTED_DATETIME.fullmatch),
        (ColumnKind.DATE, _DATE.fullmatch),
        (ColumnKind.NUMBER, _NUMBER.fullmatch),
    ):
        if all(fits(value) for value in values):
            return kind
    return ColumnKind.TEXT
