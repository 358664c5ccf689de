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
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from sfbridge.models import Finding, Severity
from sfbridge.report.findings_table import Cell, FindingsTable, findings_table

__all__ = ["SCHEMA_VERSION", "findings_csv", "findings_document", "findings_json", "formula_guarded", "summarise"]

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


def findings_json(document: Mapping[str, Any]) -> bytes:
    """Render the findings document as stable, indented JSON: UTF-8 bytes, non-ASCII kept as is."""
    # orjson: a million-record audit has ~150k findings, which the json module takes ~15 s to indent.
    options = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(document, option=options, default=str)  # bytes: a large document is not copied to text


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
    writer = csv.writer(out, lineterminator="\r\n")  # Data Loader and Excel both expect CRLF
    writer.writerow(table.header)
    writer.writerows(_csv_rows(table))  # one pass: a large audit writes 150k rows
    return out.getvalue()


def _csv_rows(table: FindingsTable) -> Iterator[list[Cell]]:
    # The table is this call's own: its rows are edited in place rather than copied.
    score = table.header.index("Score")
    for row in table.rows:
        value = row[score]
        row[score] = "" if value is None else f"{value:.3f}"
        row[table.mapped :] = [formula_guarded(cell) for cell in row[table.mapped :]]
        yield row
