"""The entries of a several-org index (``index.html``, ``index.md``): one per org, as plain data (pure).

An entry (the first six keys are what ``render_index_html`` reads; the rest say how the
org's audit went, for the index to show a failure instead of an empty row)::

    {
      "org": "acme-prod",                      # the profile name
      "org_id": "00D...",                      # None when the audit failed
      "instance_url": "https://acme.my.salesforce.com",
      "report": "acme-prod/report.html",       # relative to the index; None when the audit failed
      "summary": {...},                        # the findings.json summary; None when the audit failed
      "health": [...],                         # health_scores(document); [] when the audit failed
      "status": "ok" | "over_threshold" | "error",   # over_threshold: a finding reached --fail-on
      "exit_code": 0,                          # what a one-org audit of it would have exited with
      "error": None,                           # the message when status is "error"
      "trends": {"new": 3, "resolved": 5, "still_open": 40} | None,   # since its previous audit
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfbridge.report.health import health_scores

__all__ = ["STATUS_ERROR", "STATUS_OK", "STATUS_OVER_THRESHOLD", "error_entry", "index_entry"]

STATUS_OK, STATUS_OVER_THRESHOLD, STATUS_ERROR = "ok", "over_threshold", "error"


def index_entry(document: Mapping[str, Any], *, org: str, report: str, exit_code: int) -> dict[str, Any]:
    """The index entry of an org whose audit ran.

    Args:
        document: its findings.json document.
        org: the profile name.
        report: its report.html, relative to the index (a POSIX path).
        exit_code: 0, or 1 when a finding reached ``--fail-on``.

    Returns:
        The entry (see the module docstring).
    """
    places = document.get("org") or {}
    trends = document.get("trends")
    return {
        "org": org,
        "org_id": places.get("org_id"),
        "instance_url": places.get("instance_url"),
        "report": report,
        "summary": document.get("summary"),
        "health": health_scores(document),
        "status": STATUS_OK if exit_code == 0 else STATUS_OVER_THRESHOLD,
        "exit_code": exit_code,
        "error": None,
        "trends": dict(trends["totals"]) if trends else None,
    }


def error_entry(org: str, *, message: str, exit_code: int) -> dict[str, Any]:
    """The index entry of an org whose audit could not run (bad credentials, an empty store...)."""
    return {
        "org": org,
        "org_id": None,
        "instance_url": None,
        "report": None,
        "summary": None,
        "health": [],
        "status": STATUS_ERROR,
        "exit_code": exit_code,
        "error": message,
        "trends": None,
    }
