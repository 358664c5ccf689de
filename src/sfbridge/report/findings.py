"""Audit outputs for machines: ``findings.json`` (versioned schema) and one CSV per check.

Pure functions returning text. The JSON schema is documented in the README ("findings.json");
its ``schema_version`` changes only when a field changes meaning or goes away.

A check's CSV is ready for Data Loader: ``Id`` first, then one column per field a fix would
set, named by its API name and holding the suggested value (so an update job maps them by
name), then the reason, the suggested action and the evidence (``Evidence: <field>``), which
Data Loader leaves unmapped.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from sfbridge.models import Finding, Severity

__all__ = ["SCHEMA_VERSION", "findings_csv", "findings_document", "findings_json", "summarise"]

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


def _cell(value: Any) -> Any:  # noqa: ANN401 (any evidence value)
    # The csv module writes None as an empty cell and numbers as text itself; only lists and
    # mappings need turning into text (compact JSON).
    if value is None or isinstance(value, str | int | float):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def findings_csv(findings: Sequence[Finding]) -> str:
    """Render one check's findings as a Data Loader-ready CSV (see the module docstring).

    Args:
        findings: findings of one check.

    Returns:
        CSV text with a header row (just the header when there are no findings).
    """
    suggested = _keys(item.suggested_values for item in findings)
    evidence = _keys(item.evidence for item in findings)
    related = _keys(item.related for item in findings)
    header = ["Id", *suggested, "Object", "Severity", "Reason", "Suggested Action", "Group", "Score"]
    header += [f"Related: {key}" for key in related] + [f"Evidence: {key}" for key in evidence]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # Data Loader and Excel both expect CRLF
    writer.writerow(header)
    writer.writerows(
        [
            item.record_id,
            *[_cell(item.suggested_values.get(key)) for key in suggested],
            item.sobject,
            item.severity.value,
            item.reason,
            item.suggested_action,
            item.group or "",
            "" if item.score is None else f"{item.score:.3f}",
            *[item.related.get(key, "") for key in related],
            *[_cell(item.evidence.get(key)) for key in evidence],
        ]
        for item in findings
    )
    return out.getvalue()


def _keys(mappings: Any) -> list[str]:  # noqa: ANN401 (an iterable of mappings)
    seen: dict[str, None] = {}
    for mapping in mappings:
        for key in mapping:
            seen.setdefault(key, None)
    return list(seen)
