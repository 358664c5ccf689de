"""Whole-second epoch timestamps and their Salesforce REST text forms.

The generator keeps every instant as an int of UTC epoch seconds (Salesforce stores datetimes
to the second) and formats them only when a record is built. Formatting is hot at a million
records, so the date part comes from `sfbridge.wire.format_datetime` once per day and the
time of day from tables.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sfbridge.wire import format_datetime

__all__ = ["DAY", "HOUR", "MINUTE", "rest_date", "rest_datetime", "to_epoch"]

MINUTE = 60
HOUR = 3600
DAY = 86_400

_HOUR_MINUTE = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SECOND = tuple(f"{s:02d}.000+0000" for s in range(60))


def to_epoch(moment: datetime) -> int:
    """Return the whole UTC epoch seconds of an aware datetime (fractions dropped).

    Raises:
        ValueError: when the datetime is naive.
    """
    if moment.tzinfo is None:
        msg = "snapshot must be timezone-aware (UTC)"
        raise ValueError(msg)
    return int(moment.timestamp())


_DAYS: dict[int, str] = {}


def _day_prefix(day: int) -> str:
    # "2026-11-02T" from the project's one REST datetime formatter, once per day.
    prefix = _DAYS[day] = format_datetime(datetime.fromtimestamp(day * DAY, UTC))[:11]
    return prefix


def rest_datetime(epoch: int) -> str:
    """Format epoch seconds as REST datetime text.

    >>> rest_datetime(1_793_610_000)
    '2026-11-02T09:00:00.000+0000'
    """
    day, second = divmod(epoch, DAY)
    prefix = _DAYS.get(day) or _day_prefix(day)
    return prefix + _HOUR_MINUTE[second // MINUTE] + _SECOND[second % MINUTE]


def rest_date(epoch: int) -> str:
    """Format the UTC date of epoch seconds as REST date text.

    >>> rest_date(1_793_610_000)
    '2026-11-02'
    """
    day = epoch // DAY
    return (_DAYS.get(day) or _day_prefix(day))[:10]
