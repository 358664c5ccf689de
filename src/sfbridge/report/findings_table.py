"""The columns and rows of one check's findings: the one contract the CSVs and the workbook share.

``Id`` first, then one column per field a fix would set, named by its API name and holding
the suggested value (what a Data Loader update job maps by name), then ``Object``,
``Severity``, ``Reason``, ``Suggested Action``, ``Group``, ``Score``, ``Related: <role>`` and
``Evidence: <key>``, which Data Loader leaves unmapped. A column appears when any of the
findings given has a value for it, so a header-only table has only the fixed columns.

Cells are plain values (text, numbers, booleans, None); lists and mappings become compact
JSON text. Each writer renders them its own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from sfbridge.models import Finding

__all__ = ["Cell", "FindingsTable", "findings_table"]

#: A cell of the table: what a CSV writes as text and a workbook as a typed cell.
Cell = str | int | float | bool | None


@dataclass(frozen=True)
class FindingsTable:
    """One check's findings as a table.

    Attributes:
        header: the column names.
        rows: one row per finding, a cell per column.
        mapped: how many leading columns Data Loader maps (``Id`` and the fields a fix
            sets); their values must reach Salesforce exactly as they are.
    """

    header: list[str]
    rows: list[list[Cell]]
    mapped: int


def findings_table(findings: Sequence[Finding]) -> FindingsTable:
    """Lay out findings (of one check, or of one check and object) as a table; see the module docstring.

    >>> findings_table([]).header
    ['Id', 'Object', 'Severity', 'Reason', 'Suggested Action', 'Group', 'Score']
    """
    suggested = _keys(item.suggested_values for item in findings)
    evidence = _keys(item.evidence for item in findings)
    related = _keys(item.related for item in findings)
    header = ["Id", *suggested, "Object", "Severity", "Reason", "Suggested Action", "Group", "Score"]
    header += [f"Related: {key}" for key in related] + [f"Evidence: {key}" for key in evidence]
    rows: list[list[Cell]] = [
        [
            item.record_id,
            *[_cell(item.suggested_values.get(key)) for key in suggested],
            item.sobject,
            item.severity.value,
            item.reason,
            item.suggested_action,
            item.group or "",
            item.score,
            *[item.related.get(key, "") for key in related],
            *[_cell(item.evidence.get(key)) for key in evidence],
        ]
        for item in findings
    ]
    return FindingsTable(header, rows, mapped=1 + len(suggested))


def _cell(value: Any) -> Cell:  # noqa: ANN401 (any evidence value)
    # Lists and mappings (a duplicate's matches, say) become compact JSON text; dates were
    # already made ISO text by the check or stay as the record held them.
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def _keys(mappings: Iterable[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for mapping in mappings:
        for key in mapping:
            seen.setdefault(key, None)
    return list(seen)
