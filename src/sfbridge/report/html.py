"""report.html: one self-contained page per audit, and an index page comparing several orgs (pure).

The page opens with a health summary (a score per area, counts per check, change since the
last audit), then the org profile, then one section per check: what it means, why it matters,
and its findings in a sortable, filterable, paged table whose records link to their Lightning
pages; the duplicate check also shows its clusters side by side with the reasons, and each
duplicate why its records met (the best match's waterfall of weights, see
:mod:`sfbridge.report.matchmodel`), with a section on how the duplicates were scored.

Everything the page needs is inside it: the styles, the script, the table library (Tabulator,
vendored under ``assets/vendor``) and the charts, drawn as inline SVG by
:mod:`sfbridge.report.charts` when the page is built. It loads nothing from the network, so
it opens offline, from an e-mail attachment or a CI artefact, and prints without chrome.

Safety: Jinja2 autoescapes every value, table rows travel as JSON whose ``<``, ``>`` and ``&``
are escaped (so a record value cannot close the script element that carries them), the page's
script writes record values with ``textContent`` only, and every link comes from
:func:`sfbridge.report.links.lightning_url`, which validates the instance and the Id.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sfbridge import __version__
from sfbridge.report import charts
from sfbridge.report.basis import ReportBasis, report_basis
from sfbridge.report.fill_rates import fill_rate_groups
from sfbridge.report.health import FAIR, GOOD, HALF_SHARE, SEVERITY_WEIGHTS, band, health_scores, overall_score
from sfbridge.report.links import instance_base, lightning_url
from sfbridge.report.matchmodel import TF_NOTE, model_view
from sfbridge.report.sections import CLUSTER_FIELDS, ROW_FIELDS, ROW_LIMIT, check_sections, duplicate_clusters
from sfbridge.report.table_rows import PREVIEW_ROWS

__all__ = ["health_scores", "render_index_html", "render_report_html"]

_SOURCE_MAP = re.compile(r"^\s*(?://|/\*)# sourceMappingURL=.*$", re.MULTILINE)
_SEVERITIES = ("high", "medium", "low", "info")
#: The checks whose findings come from scored pairs (the match model's section speaks for them).
_MATCHING_CHECKS = ("duplicate", "lead_is_existing_contact")
#: The scripts report.html runs (the Content-Security-Policy allows exactly these, by hash).
_REPORT_SCRIPTS = ("vendor/tabulator/tabulator.min.js", "report.js")
#: Duplicate clusters shown open under the duplicate table; the others are one click away.
PREVIEW_CLUSTERS = 3


@cache
def _asset(name: str) -> str:
    """A file under ``assets/`` as text, without source-map comments (the maps are not shipped)."""
    text = resources.files("sfbridge.report").joinpath("assets", *name.split("/")).read_text(encoding="utf-8")
    return _SOURCE_MAP.sub("", text)


def _script_hashes(names: Sequence[str]) -> str:
    """CSP ``script-src`` sources allowing exactly these inlined assets (``'none'`` for none)."""
    digests = [base64.b64encode(hashlib.sha256(_asset(name).encode()).digest()).decode() for name in names]
    return " ".join(f"'sha256-{digest}'" for digest in digests) or "'none'"


def _script_json(value: Any) -> Markup:  # noqa: ANN401 (any JSON-ready value)
    """JSON safe inside a ``<script type="application/json">`` element: no ``</script>``, no ``<!--``."""
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (escaped above for the script-data context)


def _when(value: Any) -> str:  # noqa: ANN401 (ISO text or a datetime)
    """``2026-11-02T12:00:00Z`` → ``2026-11-02 12:00 UTC``; anything unreadable is shown as it is."""
    if value is None or value == "":
        return "unknown"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _number(value: Any) -> str:  # noqa: ANN401 (int, float or None)
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _percent(value: Any) -> str:  # noqa: ANN401 (a share 0-1, or None)
    return "n/a" if value is None else f"{100 * float(value):.1f}%"


def _svg(markup: str | None) -> Markup | None:
    # The SVG comes from pygal, which escapes every label it draws (record values included).
    return None if markup is None else Markup(markup)  # noqa: S704


def _relative_link(path: Any) -> str | None:  # noqa: ANN401 (an entry's report path)
    """A relative link to another report, or None (no scheme, no host: never off-site)."""
    if not path:
        return None
    parts = urlsplit(str(path))
    return None if parts.scheme or parts.netloc or str(path).startswith("/") else str(path)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sfbridge.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, number=_number, percent=_percent, svg=_svg, script_json=_script_json)
    env.globals.update(
        asset=lambda name: Markup(_asset(name)),  # noqa: S704 (our own files, inlined verbatim; the tests check them)
        version=__version__,
        severities=_SEVERITIES,
        weights=SEVERITY_WEIGHTS,
        band=band,
        half_share=round(100 * HALF_SHARE),
        bands={"good": GOOD, "fair": FAIR},
    )
    return env


def _profile_context(profile: Mapping[str, Any] | None, instance_url: str | None) -> dict[str, Any] | None:
    if not profile:
        return None
    owners = [
        {**owner, "url": lightning_url(instance_url, None, owner.get("owner_id"))}
        for owner in profile.get("owners", ())
    ]
    fills = {sobject: fill_rate_groups(rates) for sobject, rates in (profile.get("fill_rates") or {}).items()}
    return {
        **profile,
        "owners": owners,
        "inactive_owners": [owner for owner in owners if owner.get("active") is False and not owner.get("queue")],
        "fill_rates": fills,
        "lead_ages": profile.get("lead_ages") or (),
        "charts": {
            "funnel": charts.funnel_chart(profile.get("funnel") or ()),
            "sources": charts.source_chart(profile.get("sources") or ()),
            "ages": charts.age_chart(profile.get("lead_ages") or ()),
            "owners": charts.owner_chart(owners),
        },
    }


def render_report_html(
    document: Mapping[str, Any],
    *,
    trends: Mapping[str, Any] | None = None,
    generated_at: datetime | None = None,
    row_limit: int = ROW_LIMIT,
    basis: ReportBasis | None = None,
) -> str:
    """Render an audit's findings.json document as one self-contained HTML page.

    Args:
        document: the findings.json document (:func:`sfbridge.report.findings.findings_document`);
            without ``profile`` the page says the profile is not available.
        trends: the comparison with the previous audit: either the trends document of
            :func:`sfbridge.report.trends.audit_trends` (``by_check``, ``totals``,
            ``previous_run_id``...) or a plain mapping of check → ``new``, ``resolved`` and
            ``still_open`` counts. Default: the document's own ``trends``. None in both means
            a first audit, and the page says there is nothing to compare with.
        generated_at: when the page is made (default: the document's ``generated_at``, so
            the same document always renders the same page).
        row_limit: findings a check's table embeds at most; the page points at the CSV for more.
        basis: the document's findings by check, most pressing first, and its health scores
            (:func:`sfbridge.report.basis.report_basis`, shared with report.md; None: worked
            out here).

    Returns:
        The HTML page.
    """
    org = dict(document.get("org") or {})
    instance_url = org.get("instance_url")
    findings = document.get("findings") or ()
    if basis is None:
        basis = report_basis(document, row_limit=row_limit)
    by_check, previous = _trend_view(trends if trends is not None else document.get("trends"))
    sections = check_sections(document, trends=by_check, row_limit=row_limit, basis=basis)
    scores = basis.health
    # The duplicate check's own findings: the clusters are made of nothing else.
    clusters, cluster_count = duplicate_clusters(basis.check("duplicate").findings, instance_url=instance_url)
    summary = document.get("summary") or {}
    context = {
        "meta": {
            "name": org.get("name"),
            "org_id": org.get("org_id"),
            "instance_url": instance_url,
            "instance": instance_base(instance_url),
            "snapshot_at": document.get("snapshot_at"),
            "run_id": document.get("run_id"),
            "generated_at": generated_at if generated_at is not None else document.get("generated_at"),
        },
        "script_hashes": _script_hashes(_REPORT_SCRIPTS),
        "total": int(summary.get("total", len(findings))),
        "by_severity": summary.get("by_severity") or {},
        "scores": scores,
        "overall": overall_score(scores),
        "health_chart": charts.health_chart(scores),
        "trends": by_check,
        "previous": previous,
        "trend_totals": _trend_totals(sections) if by_check is not None else None,
        "sections": sections,
        "row_fields": ROW_FIELDS,
        "preview_rows": PREVIEW_ROWS,
        "preview_clusters": PREVIEW_CLUSTERS,
        "clusters": clusters,
        "cluster_count": cluster_count,
        "cluster_fields": [label for _, label in CLUSTER_FIELDS],
        "profile": _profile_context(document.get("profile"), instance_url),
        "match_model": model_view(document.get("match_model")),
        "tf_note": TF_NOTE,
        "threshold": _threshold(document.get("rules")),
        # A duplicate check that ran, for a note when the run kept no model (an older audit).
        "duplicates_ran": any(section["name"] in _MATCHING_CHECKS for section in sections),
    }
    return _environment().get_template("report.html.j2").render(context)


def _threshold(rules: Any) -> float | None:  # noqa: ANN401 (the document's rules)
    """The score from which a pair is a duplicate, as the audit's rules set it (None if they do not say)."""
    duplicates = rules.get("duplicates") if isinstance(rules, Mapping) else None
    value = duplicates.get("match_threshold") if isinstance(duplicates, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _trend_view(trends: Mapping[str, Any] | None) -> tuple[Mapping[str, Any] | None, dict[str, Any]]:
    """Per-check counts and what they compare with, from either shape ``trends`` may have."""
    if trends is None:
        return None, {}
    if "by_check" in trends:  # the trends document of sfbridge.report.trends
        previous = {"run_id": trends.get("previous_run_id"), "started_at": trends.get("previous_started_at")}
        return trends.get("by_check") or {}, previous
    return trends, {}


def _trend_totals(sections: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    compared = [section["trend"] for section in sections if section["trend"] is not None]
    return {key: sum(trend[key] for trend in compared) for key in ("new", "resolved", "still_open")}


def _health_of(entry: Mapping[str, Any]) -> dict[str, int | None]:
    """An index entry's health as area → score, from a health_scores() list or a plain mapping."""
    health = entry.get("health") or {}
    if isinstance(health, Mapping):
        return {
            str(area): (value.get("score") if isinstance(value, Mapping) else value) for area, value in health.items()
        }
    return {str(item["area"]): item.get("score") for item in health}


def render_index_html(entries: Sequence[Mapping[str, Any]]) -> str:
    """Render a page comparing several orgs' audits side by side.

    Args:
        entries: one per org: ``org`` (profile name), ``org_id``, ``instance_url``, ``report``
            (relative path to the org's report.html), ``summary`` (the document's summary) and
            ``health`` (:func:`~sfbridge.report.health.health_scores`' list, or area → score);
            optionally ``error`` (why its audit failed: shown instead of numbers) and
            ``trends`` (``new``/``resolved``/``still_open`` totals since its previous audit).

    Returns:
        The HTML page.
    """
    titles: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    healths: list[dict[str, int | None]] = []
    for entry in entries:
        health = _health_of(entry)
        healths.append(health)
        listed = entry.get("health")
        if isinstance(listed, Sequence):
            titles.update({str(item["area"]): str(item.get("title") or item["area"]) for item in listed})
        titles.update({area: titles.get(area, area.replace("_", " ").capitalize()) for area in health})
        summary = entry.get("summary") or {}
        rows.append(
            {
                "org": entry.get("org"),
                "org_id": entry.get("org_id"),
                "instance": instance_base(entry.get("instance_url")),
                "report": _relative_link(entry.get("report")),
                "total": summary.get("total"),
                "by_severity": summary.get("by_severity") or {},
                "health": health,
                "overall": overall_score([{"score": value} for value in health.values()]),
                "error": entry.get("error"),
                "trends": entry.get("trends"),
            }
        )
    chart = charts.comparison_chart(
        [str(row["org"]) for row in rows], {titles[area]: [health.get(area) for health in healths] for area in titles}
    )
    context = {"rows": rows, "areas": titles, "chart": chart, "script_hashes": _script_hashes(())}
    return _environment().get_template("index.html.j2").render(context)
