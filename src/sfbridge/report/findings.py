"""Audit outputs for machines: ``findings.json`` (versioned schema) and the Data Loader CSVs.

Pure functions returning text. The JSON schema is documented in the README ("findings.json");
its ``schema_version`` changes only when a field changes meaning or goes away.

A CSV is ready for Data Loader: its columns are :mod:`sfbridge.report.findings_table`'s
(``Id`` first, then the fields a fix would set under their API names, then context that
Data Loader leaves unmapped). An update job takes one object, so the audit writes one CSV
per check and object (:mod:`sfbridge.outputs`).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, BinaryIO, TextIO

import orjson

from sfbridge.models import Finding, Severity
from sfbridge.report.findings_table import Cell, FindingsTable, findings_table

__all__ = [
    "SCHEMA_VERSION",
    "csv_lines",
    "csv_rows",
    "findings_csv",
    "findings_document",
    "findings_json",
    "formula_guarded",
    "summarise",
    "write_csv",
    "write_findings_json",
]

#: Version of the findings.json layout.
SCHEMA_VERSION = 1


def summarise(findings: Sequence[Finding]) -> dict[str, Any]:
    """Counts per check and per severity."""
    by_check: dict[str, dict[str, Any]] = {}
    for item in findings:
        entry = by_check.setdefault(item.check, {"count": 0, "severity": item.severity.value})
        entry["count"] += 1
    severities = Counter(item.severity.value for item in findings)
    return {
        "total": len(findings),
        "by_check": by_check,
        "by_severity": {level.value: severities.get(level.value, 0) for level in Severity},
    }


def findings_document(  # noqa: PLR0913 (keyword-only: one per section of the document)
    findings: Sequence[Finding],
    *,
    org: Mapping[str, Any],
    snapshot_at: datetime,
    run_id: int | None,
    checks: Sequence[Mapping[str, Any]],
    rules: Mapping[str, Any],
    profile: Mapping[str, Any] | None = None,
    generated_at: datetime | None = None,
    trends: Mapping[str, Any] | None = None,
    match_model: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the findings.json document.

    Args:
        findings: every finding of the audit.
        org: ``name``, ``org_id`` and ``instance_url`` of the org.
        snapshot_at: the moment the audited records stand for.
        run_id: the audit run in the store.
        checks: per check run: ``name``, ``title``, ``explains``, ``severity``.
        rules: the rules the audit ran with.
        profile: the org profile (plain data), if one was made.
        generated_at: when the document was made (defaults to now).
        trends: the comparison with the org's previous audit
            (:func:`sfbridge.report.trends.audit_trends`; None for its first audit).
        match_model: how the duplicate search weighed pairs
            (:meth:`sfbridge.checks.CheckContext.match_model`; None when no check scored pairs,
            or for an audit stored by an sfbridge that did not keep it).

    Returns:
        Plain data, ready for JSON.
    """
    counts = Counter(item.check for item in findings)
    return {
        "schema": "sfbridge.findings",
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(generated_at or datetime.now(UTC)),
        "org": dict(org),
        "snapshot_at": _iso(snapshot_at),
        "run_id": run_id,
        "summary": summarise(findings),
        # Added within schema version 1: a new key changes no field's meaning.
        "trends": dict(trends) if trends is not None else None,
        "checks": [{**dict(check), "count": counts.get(str(check["name"]), 0)} for check in checks],
        "rules": dict(rules),
        "profile": dict(profile) if profile is not None else None,
        # Added within schema version 1, like trends.
        "match_model": dict(match_model) if match_model is not None else None,
        "findings": [item.plain for item in findings],
    }


_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
#: Findings rendered at a time by :func:`write_findings_json`.
_JSON_BATCH = 2_000
#: Around a batch's items, rendered as ``{"findings": [...]}`` (:func:`write_findings_json`).
_BATCH_OPEN, _BATCH_CLOSE = b'{\n  "findings": [', b"\n  ]\n}"


def findings_json(document: Mapping[str, Any]) -> bytes:
    """Render the findings document as stable, indented JSON: UTF-8 bytes, non-ASCII kept as is."""
    # orjson: a million-record audit has ~150k findings, which the json module takes ~15 s to indent.
    return orjson.dumps(document, option=_JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE, default=str)


def write_findings_json(file: BinaryIO, document: Mapping[str, Any]) -> None:
    """Write :func:`findings_json`'s bytes to ``file`` a few thousand findings at a time.

    The whole text of a 160k-finding audit is some 270 MB; written in batches, it is never
    held at once. The findings are the document's last key (:func:`findings_document`):
    everything before them is rendered as a whole, then each batch of findings, indented as
    they are inside the document.
    """
    items = document.get("findings")
    if not items or not isinstance(items, list) or list(document)[-1] != "findings":
        file.write(findings_json(document))  # not the shape to stream: rendered whole
        return
    rest = orjson.dumps(
        {key: value for key, value in document.items() if key != "findings"}, option=_JSON_OPTIONS, default=str
    )
    # The rest ends "\n}"; the findings follow its last key, as the document's last.
    file.write(rest[:-2] + b',\n  "findings": [' if rest != b"{}" else _BATCH_OPEN)
    for start in range(0, len(items), _JSON_BATCH):
        # Rendered as the findings of a document of its own, a batch comes out indented as the
        # document's are: no second pass to indent it (a 270 MB pass, and a copy, at 1M records).
        batch = orjson.dumps({"findings": items[start : start + _JSON_BATCH]}, option=_JSON_OPTIONS, default=str)
        if start:
            file.write(b",")  # between batches
        file.write(memoryview(batch)[len(_BATCH_OPEN) : -len(_BATCH_CLOSE)])  # its items, written without a copy
    file.write(_BATCH_CLOSE + b"\n")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


#: First characters that make Excel, LibreOffice or Sheets read a CSV cell as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_guarded(value: Cell) -> Cell:
    r"""A text cell that a spreadsheet would run as a formula, made plain text by a leading apostrophe.

    >>> formula_guarded('=HYPERLINK("https://evil.example")'), formula_guarded("Acme"), formula_guarded(-3)
    ('\'=HYPERLINK("https://evil.example")', 'Acme', -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def object_csv_name(check: str, sobject: str) -> str:
    """The Data Loader CSV that holds one check's findings on one object: ``junk_lead.Lead.csv``."""
    return f"{check}.{sobject}.csv"


def object_csv_names(check: str, findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The per-object CSVs that hold a check's findings (from findings.json items), in order of first finding."""
    return [object_csv_name(check, str(sobject)) for sobject in dict.fromkeys(item.get("sobject") for item in findings)]


def findings_csv(findings: Sequence[Finding]) -> str:
    """Render findings (of one check, or one check and object) as a Data Loader-ready CSV.

    The columns Data Loader maps (``Id`` and the fields a fix sets) hold the exact values it
    is to write. The others are for the person reading the file, and open in a spreadsheet
    when it is double-clicked: a record value there that starts like a formula
    (``=``, ``+``, ``-``, ``@``) is guarded with a leading apostrophe so it stays text
    (CSV injection); findings.json keeps every value exactly.

    Args:
        findings: the findings of the file.

    Returns:
        CSV text with a header row (just the header when there are no findings).
    """
    table = findings_table(findings)
    out = io.StringIO()
    write_csv(out, table.header, csv_rows(table))
    return out.getvalue()


def write_csv(file: TextIO, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    """Write a header and rows (:func:`csv_rows`) as CSV to a text file opened with ``newline=""``."""
    writer = csv.writer(file, lineterminator="\r\n")  # Data Loader and Excel both expect CRLF
    writer.writerow(header)
    writer.writerows(rows)  # one pass: a large audit writes 150k rows


def csv_rows(table: FindingsTable) -> Iterator[list[Cell]]:
    """The table's rows as a CSV has them: the score to three places, the unmapped cells guarded (new lists)."""
    score, mapped = table.header.index("Score"), table.mapped
    for row in table.rows:
        value = row[score]
        # formula_guarded, inlined: a large audit's CSVs guard some 5M cells.
        shown = [
            *row[:mapped],
            *[
                ("'" + cell if cell.startswith(_FORMULA_START) else cell) if isinstance(cell, str) else cell
                for cell in row[mapped:]
            ],
        ]
        shown[score] = "" if value is None else formula_guarded(f"{value:.3f}")  # a negative score is guarded too
        yield shown


def csv_lines(table: FindingsTable) -> Iterator[tuple[str, list[str]]]:
    """:func:`csv_rows` as :func:`write_csv` would write them: per row, its line (no line end) and its fields' text.

    The same text ``csv.writer`` gives, made without it: a large audit's CSVs are some 140 MB,
    most of it a duplicate's matches as JSON, which the writer copies a character at a time,
    and a check's per-object files would go through it again. Here a row's cells are guarded
    and made text in one pass and joined; only a row whose line holds a quote, a line break or
    a comma inside a cell has its fields quoted, as the writer's minimal quoting does (quotes
    doubled). The fields let a per-object file pick its columns without quoting again.
    """
    score, mapped, width = table.header.index("Score"), table.mapped, len(table.header)
    for row in table.rows:
        # csv.writer's text of a cell: None is empty, a number str() (a float's repr, the same);
        # the unmapped text cells guarded as csv_rows guards them.
        fields = [
            *[cell if cell.__class__ is str else ("" if cell is None else str(cell)) for cell in row[:mapped]],
            *[
                ("'" + cell if cell.startswith(_FORMULA_START) else cell)
                if cell.__class__ is str
                else ("" if cell is None else str(cell))
                for cell in row[mapped:]
            ],
        ]
        value = row[score]
        shown = "" if value is None else f"{value:.3f}"
        fields[score] = "'" + shown if shown.startswith(_FORMULA_START) else shown  # a negative score is guarded
        line = ",".join(fields)
        if '"' in line or "\n" in line or "\r" in line:
            fields = [
                '"' + field.replace('"', '""') + '"'
                if '"' in field or "," in field or "\n" in field or "\r" in field
                else field
                for field in fields
            ]
            line = ",".join(fields)
        elif line.count(",") != width - 1:  # only commas to quote: a reason or a name that has one
            fields = ['"' + field + '"' if "," in field else field for field in fields]
            line = ",".join(fields)
        yield line, fields
