"""How apply and revert compare a record's values with the ones they expect or wrote."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["modstamp_of", "same_value"]


def same_value(left: Any, right: Any) -> bool:  # noqa: ANN401 (field values)
    """Whether two field values are the same; blank text and null count as one.

    Salesforce returns blank text as null, while the store or a plan may hold "".

    >>> same_value(None, ""), same_value("Web", "Web"), same_value("Web", None)
    (True, True, False)
    """
    if left in (None, "") and right in (None, ""):
        return True
    return bool(left == right)


def modstamp_of(record: Mapping[str, Any]) -> datetime | None:
    """A re-read record's SystemModstamp as an aware datetime (REST writes ``...000+0000``).

    >>> modstamp_of({"SystemModstamp": "2026-11-02T09:00:00.000+0000"}).isoformat()
    '2026-11-02T09:00:00+00:00'
    """
    value = record.get("SystemModstamp")
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
