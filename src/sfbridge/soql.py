"""Pure SOQL builders: literal quoting, SELECTs, Id lists, and fitting a query into a URL.

Every SOQL string sfbridge sends is built here, never by f-strings spread through the code.
REST queries travel in the URL, which Salesforce caps at 16,384 bytes (HTTP 414), so wide
objects are queried in column groups and long Id lists in chunks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from urllib.parse import quote_plus

from sfbridge.ids import validate_id
from sfbridge.wire import format_soql_datetime

__all__ = [
    "API_NAME",
    "URL_LIMIT_BYTES",
    "before",
    "chunk_ids",
    "count",
    "encoded_length",
    "id_in",
    "quote",
    "select",
    "since",
    "split_fields",
    "until",
]

#: An object or field API name: a letter, then letters, digits and underscores (``Lead``, ``Score__c``).
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: Salesforce refuses request URIs longer than this (HTTP 414).
URL_LIMIT_BYTES = 16_384
#: Room left for the scheme, host, path and `?q=`: a My Domain host plus
#: `/services/data/v66.0/queryAll/?q=` stays well under 200 bytes.
_URL_OVERHEAD = 400

# The escapes SOQL documents for quoted strings (the link under quote()); "\\_" and "\\%" are
# LIKE-only and not applied here. simple-salesforce 1.12.10 has the same table
# (simple_salesforce.format.quote_soql_value, soql_escapes), and a test holds the two equal, but
# this stays hand-written: this module is the shared pure base (plan/ and pull/ import it) and
# may not reach the one adapter that wraps simple-salesforce (sfbridge.salesforce.client)
# without turning the layering upside down, and importing simple_salesforce costs ~0.4 s
# (requests, its REST and Bulk clients) for eight characters. Its datetime literals also differ:
# "+00:00" where this module writes "Z", and naive datetimes read as local time.
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def quote(value: str) -> str:
    r"""Quote a string as a SOQL literal, escaping what SOQL requires.

    https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm

    >>> quote("O'Brien")
    "'O\\'Brien'"
    >>> quote("a\\b")
    "'a\\\\b'"
    """
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"


def since(field: str, moment: datetime) -> str:
    """Build an inclusive lower bound on a datetime field.

    >>> from datetime import UTC
    >>> since("SystemModstamp", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    'SystemModstamp >= 2024-01-02T03:04:05Z'
    """
    return f"{field} >= {format_soql_datetime(moment)}"


def until(field: str, moment: datetime) -> str:
    """Build an inclusive upper bound on a datetime field.

    >>> from datetime import UTC
    >>> until("CreatedDate", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    'CreatedDate <= 2024-01-02T03:04:05Z'
    """
    return f"{field} <= {format_soql_datetime(moment)}"


def before(field: str, moment: datetime) -> str:
    """Build an exclusive upper bound on a datetime field (windows that split a range).

    >>> from datetime import UTC
    >>> before("SystemModstamp", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    'SystemModstamp < 2024-01-02T03:04:05Z'
    """
    return f"{field} < {format_soql_datetime(moment)}"


def id_in(ids: Sequence[str], *, field: str = "Id") -> str:
    """Build ``Id IN (...)`` from validated Ids (anything else is refused, never quoted in).

    >>> id_in(["00Q5g00000AbCdEEAV"])
    "Id IN ('00Q5g00000AbCdEEAV')"
    """
    return f"{field} IN (" + ", ".join(quote(validate_id(i)) for i in ids) + ")"


def select(
    fields: Sequence[str],
    sobject: str,
    *,
    where: Sequence[str] = (),
    order_by: Sequence[str] = (),
) -> str:
    """Build a SELECT; ``where`` clauses are AND-ed.

    >>> select(["Id", "Email"], "Lead", where=["IsConverted = false"], order_by=["Id"])
    'SELECT Id, Email FROM Lead WHERE IsConverted = false ORDER BY Id'
    """
    # SOQL, not SQL: field and object names come from describe, values only through quote().
    text = f"SELECT {', '.join(fields)} FROM {sobject}"  # noqa: S608
    if where:
        text += " WHERE " + " AND ".join(f"({c})" if " OR " in c else c for c in where)
    if order_by:
        text += " ORDER BY " + ", ".join(order_by)
    return text


def count(sobject: str, *, where: Sequence[str] = ()) -> str:
    """Build a ``SELECT COUNT()`` query.

    >>> count("LeadHistory", where=["Field = 'Status'"])
    "SELECT COUNT() FROM LeadHistory WHERE Field = 'Status'"
    """
    return select(["COUNT()"], sobject, where=where)


def encoded_length(soql: str) -> int:
    """Return the bytes a query takes in the URL once form-encoded (as requests sends it)."""
    return len(quote_plus(soql))


def split_fields(
    fields: Sequence[str],
    *,
    keep: Sequence[str],
    build: Callable[[Sequence[str]], str],
    limit: int = URL_LIMIT_BYTES - _URL_OVERHEAD,
) -> list[list[str]]:
    """Split a field list into groups whose queries each fit in a URL.

    Every group starts with the ``keep`` fields (Id and the cursor) so groups can be joined
    back by Id. When everything fits, there is exactly one group. Percent-encoding works
    character by character, so each added field costs the encoded length of ``", Field"``.

    Args:
        fields: all fields to select.
        keep: fields repeated in every group.
        build: turns a field group into the full SOQL text.
        limit: the encoded-length budget for the query text.

    Returns:
        The groups, each a field list.

    Raises:
        ValueError: when even the ``keep`` fields alone do not fit.

    >>> build = lambda group: select(group, "Lead")
    >>> split_fields(["Id", "A", "B", "C"], keep=["Id"], build=build, limit=30)
    [['Id', 'A', 'B'], ['Id', 'C']]
    """
    base = encoded_length(build(list(keep)))
    if base > limit:
        msg = "the fields every query needs do not fit in a request URL"
        raise ValueError(msg)
    groups: list[list[str]] = []
    current, size = list(keep), base
    for field in (f for f in fields if f not in keep):
        cost = encoded_length(f", {field}")
        if size + cost > limit and len(current) > len(keep):
            groups.append(current)
            current, size = list(keep), base
        current.append(field)
        size += cost
    groups.append(current)
    return groups


def chunk_ids(
    ids: Sequence[str],
    *,
    build: Callable[[Sequence[str]], str],
    limit: int = URL_LIMIT_BYTES - _URL_OVERHEAD,
) -> Iterator[list[str]]:
    """Yield slices of an Id list whose ``Id IN (...)`` queries each fit in a URL.

    Args:
        ids: the Ids (already validated).
        build: turns an Id slice into the full SOQL text.
        limit: the encoded-length budget.

    Yields:
        Consecutive Id slices.

    >>> ids = ["00Q5g00000AbCdEEAV"] * 5
    >>> [len(chunk) for chunk in chunk_ids(ids, build=lambda c: select(["Id"], "Lead", where=[id_in(c)]), limit=150)]
    [3, 2]
    """
    base = encoded_length(build([]))
    current: list[str] = []
    size = base
    for record_id in ids:
        cost = encoded_length(("', '" if current else "'") + record_id + "'")
        if current and size + cost > limit:
            yield current
            current, size = [], base
            cost = encoded_length("'" + record_id + "'")
        current.append(record_id)
        size += cost
    if current:
        yield current
