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
from itertools import chain
from typing import Any, cast

import orjson

from sfbridge.models import Finding

__all__ = ["PLAIN_CLASSES", "Cell", "Columns", "FindingsTable", "findings_table", "table_columns"]

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


@dataclass(frozen=True)
class Columns:
    """The keys that make a table's columns, by kind, in order of first use.

    Attributes:
        suggested: the fields a fix sets (``suggested_values``).
        related: the related records' roles.
        evidence: the evidence keys.
    """

    suggested: list[str]
    related: list[str]
    evidence: list[str]

    @property
    def header(self) -> list[str]:
        """The table's column names."""
        return [
            "Id",
            *self.suggested,
            *_FIXED,
            *(f"Related: {key}" for key in self.related),
            *(f"Evidence: {key}" for key in self.evidence),
        ]

    def positions(self, within: Columns) -> list[int]:
        """Where each of these columns is in a table laid out by ``within`` (whose keys include these).

        By kind, not by name: the part of a table a subset of its findings (one object's)
        fills is these positions of its rows.
        """
        start_related = 1 + len(within.suggested) + len(_FIXED)
        start_evidence = start_related + len(within.related)
        suggested, related, evidence = (
            {key: index for index, key in enumerate(keys)}
            for keys in (within.suggested, within.related, within.evidence)
        )
        return [
            0,
            *(1 + suggested[key] for key in self.suggested),
            *range(1 + len(within.suggested), start_related),
            *(start_related + related[key] for key in self.related),
            *(start_evidence + evidence[key] for key in self.evidence),
        ]


_FIXED = ("Object", "Severity", "Reason", "Suggested Action", "Group", "Score")


def table_columns(findings: Sequence[Finding]) -> Columns:
    """The columns findings fill (:func:`findings_table`'s), without laying out their rows."""
    return Columns(
        suggested=_keys(item.suggested_values for item in findings),
        related=_keys(item.related for item in findings),
        evidence=_keys(item.evidence for item in findings),
    )


def findings_table(findings: Sequence[Finding], *, columns: Columns | None = None) -> FindingsTable:
    """Lay out findings (of one check, or of one check and object) as a table; see the module docstring.

    ``columns``: :func:`table_columns` of the same findings, when the caller has them already.

    >>> findings_table([]).header
    ['Id', 'Object', 'Severity', 'Reason', 'Suggested Action', 'Group', 'Score']
    """
    if columns is None:
        columns = table_columns(findings)
    suggested, related, evidence = columns.suggested, columns.related, columns.evidence
    header = columns.header
    # A large audit lays out 2.5M cells: _cells looks values up with map() and only the few
    # that are not plain already go through _cell.
    rows: list[list[Cell]] = [
        [
            item.record_id,
            *_cells(item.suggested_values, suggested),
            item.sobject,
            item.severity.value,
            item.reason,
            item.suggested_action,
            item.group or "",
            item.score,
            *[item.related.get(key, "") for key in related],
            *_cells(item.evidence, evidence),
        ]
        for item in findings
    ]
    return FindingsTable(header, rows, mapped=1 + len(suggested))


#: Classes whose values are already a :data:`Cell` (and plain evidence): most values, told apart by class alone.
PLAIN_CLASSES = frozenset({type(None), str, int, float, bool})


def _cells(values: Mapping[str, Any], keys: list[str]) -> list[Cell]:
    # A value of a PLAIN_CLASSES class is a Cell as it is (mypy cannot narrow by class).
    return cast(
        "list[Cell]", [value if value.__class__ in PLAIN_CLASSES else _cell(value) for value in map(values.get, keys)]
    )


def _cell(value: Any) -> Cell:  # noqa: ANN401 (any evidence value)
    # Lists and mappings (a duplicate's matches, say) become compact JSON text; dates were
    # already made ISO text by the check or stay as the record held them.
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def _keys(mappings: Iterable[Mapping[str, Any]]) -> list[str]:
    # Each key once, in order of first use; iterating a mapping gives its keys.
    return list(dict.fromkeys(chain.from_iterable(mappings)))
