"""Parse and evaluate the SOQL subset sfbridge sends, for the simulated org.

Grammar: ``SELECT fields|COUNT() FROM Object [WHERE cond [AND cond]...] [ORDER BY f[, f]...]``
where a condition is ``Field op literal`` (op one of = != < <= > >=; literal a quoted string,
true/false/null, a number, or a datetime such as ``2024-01-02T03:04:05Z``) or
``Field IN ('a', 'b')``. Anything else is refused the way Salesforce refuses it
(MALFORMED_QUERY), so the simulator cannot silently accept a query the real org would reject.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sfbridge.wire import parse_datetime

__all__ = ["Query", "SoqlError", "parse_soql"]

_QUERY = re.compile(
    r"SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<sobject>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>[\w\s,]+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"(?P<field>\w+)\s*(?P<op><=|>=|!=|=|<|>|\bIN\b)\s*(?P<value>.+)", re.IGNORECASE | re.DOTALL)
_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a is not None and a < b,
    "<=": lambda a, b: a is not None and a <= b,
    ">": lambda a, b: a is not None and a > b,
    ">=": lambda a, b: a is not None and a >= b,
}


class SoqlError(ValueError):
    """A query the simulated org refuses; ``code`` is the Salesforce errorCode."""

    def __init__(self, message: str, *, code: str) -> None:
        """Keep Salesforce's error code with the message."""
        self.code = code
        super().__init__(message)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m[1], m[1]), text)


def _literal(text: str) -> Any:  # noqa: ANN401 (a SOQL literal)
    text = text.strip()
    if match := _STRING.fullmatch(text):
        return _unescape(match[1])
    if _DATETIME.fullmatch(text):
        return parse_datetime(text)
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return float(text)
    except ValueError:
        msg = f"unexpected token: '{text[:40]}'"
        raise SoqlError(msg, code="MALFORMED_QUERY") from None


@dataclass(frozen=True)
class Condition:
    """One WHERE condition."""

    field: str
    op: str
    value: Any

    def holds(self, record: Mapping[str, Any]) -> bool:
        """Evaluate against a record whose datetimes are REST text."""
        actual = record.get(self.field)
        if isinstance(self.value, datetime) and isinstance(actual, str):
            actual = parse_datetime(actual)
        if self.op == "IN":
            return actual in self.value
        return _OPS[self.op](actual, self.value)


@dataclass(frozen=True)
class Query:
    """A parsed query."""

    fields: tuple[str, ...]
    sobject: str
    conditions: tuple[Condition, ...]
    order_by: tuple[str, ...]
    is_count: bool

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Tell whether a record passes every condition."""
        return all(condition.holds(record) for condition in self.conditions)

    def sort_key(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        """Key for ORDER BY (REST datetime text sorts like the datetimes it holds)."""
        return lambda record: tuple((record.get(f) is None, record.get(f) or "") for f in self.order_by)


def _split_and(where: str) -> list[str]:
    # Split on AND outside quotes and parentheses.
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(where):
        if ch == "'" and (i == 0 or where[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
        elif not quoted and depth == 0 and where[i : i + 5].upper() == " AND ":
            parts.append(where[start:i])
            start = i + 5
    parts.append(where[start:])
    return [part.strip() for part in parts]


def _condition(text: str) -> Condition:
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    match = _CONDITION.fullmatch(text)
    if not match:
        msg = f"unexpected token in WHERE: '{text[:40]}'"
        raise SoqlError(msg, code="MALFORMED_QUERY")
    op = match["op"].upper()
    if op == "IN":
        inner = match["value"].strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            msg = "IN needs a parenthesised list"
            raise SoqlError(msg, code="MALFORMED_QUERY")
        values = [_literal(item) for item in re.findall(r"'(?:[^'\\]|\\.)*'|[^,\s()]+", inner[1:-1])]
        return Condition(match["field"], "IN", frozenset(values))
    return Condition(match["field"], op, _literal(match["value"]))


def parse_soql(text: str, *, known_fields: Callable[[str], Sequence[str] | None]) -> Query:
    """Parse a query, checking the object and fields exist.

    Args:
        text: the SOQL.
        known_fields: returns an object's field names, or None when the object is unknown.

    Returns:
        The parsed query.

    Raises:
        SoqlError: MALFORMED_QUERY, INVALID_TYPE or INVALID_FIELD, as Salesforce would.
    """
    match = _QUERY.fullmatch(text.strip())
    if not match:
        msg = f"unexpected token: '{text[:40]}'"
        raise SoqlError(msg, code="MALFORMED_QUERY")
    sobject = match["sobject"]
    fields = known_fields(sobject)
    if fields is None:
        msg = f"sObject type '{sobject}' is not supported."
        raise SoqlError(msg, code="INVALID_TYPE")
    selected = tuple(f.strip() for f in match["fields"].split(","))
    is_count = selected == ("COUNT()",)
    conditions = tuple(_condition(part) for part in _split_and(match["where"])) if match["where"] else ()
    order = tuple(f.strip() for f in match["order"].split(",")) if match["order"] else ()
    for name in (*([] if is_count else selected), *(c.field for c in conditions), *order):
        if name not in fields:
            msg = (
                f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom field, "
                "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
                "describe call for the appropriate names."
            )
            raise SoqlError(msg, code="INVALID_FIELD")
    return Query(selected, sobject, conditions, order, is_count)
