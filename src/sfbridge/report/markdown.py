"""Markdown renderings for tickets and emails: an org's ``report.md`` and the several-org ``index.md``.

Pure functions from the ``findings.json`` document (and trends) to text. Record values reach
the text through reasons and names, and an org's data is not ours to trust: every value goes
through :func:`md_text`, so a pipe cannot split a table cell, a backtick cannot open code, and
brackets, parentheses and ``<`` cannot make a link or an HTML tag. Record links come from
:func:`sfbridge.report.links.lightning_url`, which links only a checked instance and Id.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from sfbridge.models import Severity
from sfbridge.report.basis import ReportBasis, report_basis
from sfbridge.report.evidence import Fact, company_title, fact_keys, fact_value, shared_facts, who
from sfbridge.report.health import overall_score
from sfbridge.report.links import lightning_url
from sfbridge.report.matchmodel import TF_NOTE, best_waterfall, model_view, waterfall_view
from sfbridge.report.trends import CHANGES

__all__ = ["md_text", "render_index_markdown", "render_report_markdown"]

# Inline, only these characters mean something: | (a cell), ` (code), [ ] (links, images),
# * _ ~ (emphasis), & (entities) and \ itself. Backslash escapes work for them in CommonMark and
# GitHub; < and > become entities, which every dialect renders as text. Parentheses, # and !
# stay as they are: without a [ ] pair before them, and mid-line, they are plain text.
_ESCAPES = str.maketrans({char: "\\" + char for char in "\\`*_[]|~&"} | {"<": "&lt;", ">": "&gt;"})
_HEADLINE_OBJECTS = (
    ("Lead", "Leads"),
    ("Contact", "Contacts"),
    ("Account", "Accounts"),
    ("Opportunity", "Opportunities"),
)
_SEVERITIES = tuple(level.value for level in reversed(Severity))  # high first
_CELL_LIMIT = 400
#: Fact columns per check's table: a Markdown table is read in a ticket or an e-mail, narrower than a page.
_FACT_COLUMNS = 3


def md_text(value: Any, *, limit: int | None = None) -> str:  # noqa: ANN401 (any record value)
    r"""Make a value safe inline Markdown text: one line, no markup, optionally shortened.

    >>> md_text("A|B `x` [x](http://evil) <script>")
    'A\\|B \\`x\\` \\[x\\](http://evil) &lt;script&gt;'
    >>> md_text("Zoë\n李小龍 محمد")
    'Zoë 李小龍 محمد'
    """
    text = "" if value is None else str(value)
    text = "".join(char for char in text if unicodedata.category(char) != "Cc" or char.isspace())
    text = " ".join(text.split())  # a line break (\n, \r, U+2028...) would end a table row
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.translate(_ESCAPES)


def render_report_markdown(
    document: Mapping[str, Any],
    *,
    trends: Mapping[str, Any] | None = None,
    top: int = 10,
    basis: ReportBasis | None = None,
) -> str:
    """Render an audit as Markdown: headline, summary per check, org profile, top findings, how duplicates were scored.

    Each duplicate among the top findings gets a line with its best match's weights, step by
    step; the match model's weights per comparison close the report.

    Args:
        document: the findings.json document.
        trends: the comparison with the previous audit, as ``render_report_html`` takes it:
            the trends document (:func:`sfbridge.report.trends.audit_trends`) or a plain
            mapping of check → ``new``, ``resolved``, ``still_open`` (None for a check that
            audit did not run). Default: the document's ``trends``; None in both means this
            is the org's first audit.
        top: how many findings to show per check, most severe first.
        basis: the document's findings by check, most pressing first, and its health scores
            (:func:`sfbridge.report.basis.report_basis`, shared with report.html; None:
            worked out here).

    Returns:
        Markdown text (GitHub-flavoured tables), ending with a newline.
    """
    by_check, context = _split_trends(trends, document)
    if basis is None:
        basis = report_basis(document)
    org = document.get("org") or {}
    lines = [f"# Salesforce audit: {md_text(org.get('name') or org.get('org_id') or 'org')}", ""]
    lines += [_headline(document), "", "## Summary", "", _totals(document, by_check, context), ""]
    lines += _health_lines(basis.health)
    lines += _summary_table(document, by_check)
    lines += _profile_lines(document.get("profile"))
    lines += _top_findings(document, basis, top=top)
    lines += _model_lines(document.get("match_model"))
    return "\n".join(lines).rstrip() + "\n"


def _split_trends(
    trends: Mapping[str, Any] | None, document: Mapping[str, Any]
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """The per-check changes, and the trends document they came from (for the previous run's id and date)."""
    if trends is None:
        context = document.get("trends")
        return (context["by_check"] if context else None), context
    if "by_check" in trends:  # a trends document
        return trends["by_check"], trends
    return trends, document.get("trends")  # a plain check → counts mapping


def _headline(document: Mapping[str, Any]) -> str:
    org = document.get("org") or {}
    parts = [f"Org {md_text(org.get('org_id') or '?')}"]
    if org.get("instance_url"):
        parts[0] += f" at {md_text(org['instance_url'])}"
    parts.append(f"records as of {_when(document.get('snapshot_at'))}")
    if document.get("run_id") is not None:
        parts.append(f"audit run {md_text(document['run_id'])}")
    parts.append(f"written {_when(document.get('generated_at'))}")
    return " · ".join(parts)


def _totals(
    document: Mapping[str, Any],
    trends: Mapping[str, Mapping[str, int] | None] | None,
    context: Mapping[str, Any] | None,
) -> str:
    summary = document.get("summary") or {}
    severities = summary.get("by_severity") or {}
    shown = [f"{int(severities[level]):,} {level}" for level in _SEVERITIES if severities.get(level)]
    text = f"**{_findings(int(summary.get('total', 0)))}**" + (f" ({', '.join(shown)})" if shown else "") + "."
    if trends is None:
        return text + " This is the first audit of this org sfbridge keeps: nothing to compare with yet."
    totals = {change: sum(int((counts or {}).get(change, 0)) for counts in trends.values()) for change in CHANGES}
    previous = context or {}
    since = ""
    if previous.get("previous_run_id") is not None:
        since = f" (audit run {md_text(previous['previous_run_id'])}, {_when(previous.get('previous_started_at'))})"
    return (
        f"{text} Since the previous audit{since}: {totals['new']:,} new, "
        f"{totals['resolved']:,} resolved, {totals['still_open']:,} still open."
    )


def _health_lines(health: Sequence[Mapping[str, Any]]) -> list[str]:
    scores = [entry for entry in health if entry.get("score") is not None]
    overall = overall_score(scores)
    if overall is None:
        return []
    areas = " · ".join(f"{md_text(entry['title'])} {int(entry['score'])}" for entry in scores)
    return [f"Health score **{overall}**/100 ({areas}).", ""]


def _summary_table(document: Mapping[str, Any], trends: Mapping[str, Mapping[str, int] | None] | None) -> list[str]:
    rows = ["| Check | Findings | Severity | Since the previous audit |", "|---|---:|---|---|"]
    for check in document.get("checks") or []:
        name = str(check.get("name", ""))
        title = f"{md_text(check.get('title') or name)} ({md_text(name)})"
        change = "-" if trends is None else _change(trends.get(name))
        rows.append(f"| {title} | {int(check.get('count', 0)):,} | {md_text(check.get('severity'))} | {change} |")
    return [*rows, ""]


def _change(counts: Mapping[str, Any] | None) -> str:
    if counts is None:
        return "not in the previous audit"
    new, resolved = int(counts.get("new", 0)), int(counts.get("resolved", 0))
    if not new and not resolved:
        return "no change"
    return f"+{new:,} new, {resolved:,} resolved"


def _profile_lines(profile: Mapping[str, Any] | None) -> list[str]:
    if not profile:
        return []
    counts = profile.get("record_counts") or {}
    usage = profile.get("lead_usage") or {}
    records = [f"{int(counts[name]):,} {plural}" for name, plural in _HEADLINE_OBJECTS if name in counts]
    if usage.get("open_leads") is not None and "Lead" in counts:
        records[0] += f" ({int(usage['open_leads']):,} open)"
    lines = ["## Org profile", ""]
    if records:
        lines.append(f"- Records: {', '.join(records)}")
    if usage.get("mode"):
        lines.append(f"- Lead usage: {md_text(usage['mode'])}. {md_text(usage.get('explanation'))}".rstrip())
    lines += _conversion_lines(profile.get("sources") or [])
    return [*lines, ""] if len(lines) > 2 else []  # noqa: PLR2004 (the heading and its blank line)


def _conversion_lines(sources: Sequence[Mapping[str, Any]]) -> list[str]:
    leads = sum(int(source.get("leads", 0)) for source in sources)
    if not leads:
        return []
    converted = sum(int(source.get("converted", 0)) for source in sources)
    best = max(sources, key=lambda source: (int(source.get("leads", 0)), str(source.get("source"))))
    return [
        f"- Converted: {converted:,} of {leads:,} leads ({converted / leads:.1%})",
        (
            f"- Largest lead source: {md_text(best.get('source'))} with {int(best.get('leads', 0)):,} leads, "
            f"{float(best.get('conversion_rate') or 0):.1%} converted"
        ),
    ]


def _top_findings(document: Mapping[str, Any], basis: ReportBasis, *, top: int) -> list[str]:
    instance = (document.get("org") or {}).get("instance_url")
    lines: list[str] = []
    for check in document.get("checks") or []:
        name = str(check.get("name", ""))
        mine = basis.check(name)
        count = len(mine.findings)
        if not count or top <= 0:
            continue
        title = md_text(check.get("title") or name)
        lines += [f"### {title}: {_findings(count)} ({md_text(check.get('severity'))})", ""]
        shown = basis.most_pressing(name, top)
        lines += _finding_table(shown, instance)
        if count > top:
            # The per-object CSVs of the objects it found something on (the ones with the rest), and the workbook.
            lines += ["", f"…and {count - top:,} more in findings.xlsx and {md_text(', '.join(mine.files))}."]
        lines.append("")
        lines += _waterfall_lines(shown)
    return ["## Top findings", "", *lines] if lines else []


def _waterfall_lines(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Per finding with a scored match: its best match's weights, step by step, adding up to the total."""
    lines = []
    for item in findings:
        best = best_waterfall(item)
        view = waterfall_view(best[1]) if best is not None else None
        if best is None or view is None:
            continue
        other = f"{best[0].get('other_sobject') or ''} {best[0].get('other_id') or ''}".strip()
        steps = " · ".join(
            f"{md_text(step['label'])}{' ' + md_text(step['level']) if step['level'] else ''} {step['weight']}"
            for step in view["steps"]
        )
        lines.append(
            f"- {md_text(item.get('record_id'))} ↔ {md_text(other)}: {steps} = **{view['total']}** "
            f"(score {view['score']:.4f})"
        )
    if not lines:
        return []
    return [
        "Why they matched (the best match's weights, in log2 odds; see how duplicates were scored):",
        "",
        *lines,
        "",
    ]


def _model_lines(model: Any) -> list[str]:  # noqa: ANN401 (the document's match_model)
    """How duplicates were scored: where the weights came from, the prior, and every level's weight."""
    view = model_view(model)
    if view is None:
        return []
    lines = ["## How duplicates were scored", "", md_text(view["how"]), ""]
    probability = view["prior_probability"]
    chance = f", a probability of {probability:.3g}" if probability is not None else ""
    lines.append(f"- Prior: {view['prior_text']} (log2 odds{chance}) that {view['prior_of']} are one person")
    keys = ", ".join(md_text(key) for key in view["blocking_keys"]) or "none (hand-set weights)"
    lines += [f"- Trained on pairs sharing these blocking keys: {keys}", ""]
    learned = view["learned"]
    lines += [
        "| Comparison | Level | m | u | Match weight |" if learned else "| Comparison | Level | Match weight |",
        "|---|---|---:|---:|---:|" if learned else "|---|---|---:|",
    ]
    for comparison in view["comparisons"]:
        for level in comparison["levels"]:
            name = md_text(level["level"]) + (" †" if level["tf"] else "")
            cells = [md_text(comparison["title"]), name]
            cells += [level["m"], level["u"]] if learned else []
            lines.append("| " + " | ".join([*cells, level["weight"]]) + " |")
    lines.append("")
    if view["has_tf"]:
        lines += [f"† {md_text(TF_NOTE)}", ""]
    return lines


def _finding_table(shown: Sequence[Mapping[str, Any]], instance: str | None) -> list[str]:
    """The most pressing findings of a check: who, the facts the check is about, why (:mod:`~sfbridge.report.evidence`).

    What every row would repeat (the suggested action, a fact they all share) is said once above the table.
    """
    facts = fact_keys(shown, limit=_FACT_COLUMNS)
    actions = {str(item.get("suggested_action") or "") for item in shown}
    common = actions.pop() if len(actions) == 1 else None
    lines = [f"What to do: {md_text(common, limit=_CELL_LIMIT)}", ""] if common else []
    if shared := shared_facts(shown):
        said = "; ".join(f"{md_text(title)} **{md_text(text)}**" for _, title, text in shared)
        lines += [f"Every finding below: {said}.", ""]
    severity = len({item.get("severity") for item in shown}) > 1  # else the heading says it
    header = ["Name", company_title(shown), "Owner", *(title for _, title in facts)]
    header += [*(["Severity"] if severity else []), "Reason", *(["Suggested action"] if common is None else [])]
    numeric = [all(isinstance(fact_value(item, key), int | float | None) for item in shown) for key, _ in facts]
    rule = ["---"] * 3 + ["---:" if number else "---" for number in numeric] + ["---"] * (len(header) - 3 - len(facts))
    lines += ["| " + " | ".join(md_text(title) for title in header) + " |", "|" + "|".join(rule) + "|"]
    return lines + [_finding_row(item, instance, facts, severity=severity, action=common is None) for item in shown]


def _finding_row(
    item: Mapping[str, Any], instance: str | None, facts: Sequence[Fact], *, severity: bool, action: bool
) -> str:
    sobject, record_id = str(item.get("sobject", "")), str(item.get("record_id", ""))
    url = lightning_url(instance, sobject, record_id)
    person = who(item)
    name = md_text(person["name"] or record_id)
    # The name links to the record (md_text leaves no bracket to close the link); no checked link, no link.
    cells = [
        f"[{name}]({url})" if url else name,
        md_text(person["company"], limit=_CELL_LIMIT),
        md_text(person["owner"], limit=_CELL_LIMIT),
        *(md_text(fact_value(item, key), limit=_CELL_LIMIT) for key, _ in facts),
        *([md_text(item.get("severity"))] if severity else []),
        md_text(item.get("reason"), limit=_CELL_LIMIT),
    ]
    cells += [md_text(item.get("suggested_action"), limit=_CELL_LIMIT)] if action else []
    return "| " + " | ".join(cells) + " |"


def _findings(count: int) -> str:
    return f"{count:,} finding" if count == 1 else f"{count:,} findings"


def _when(moment: Any) -> str:  # noqa: ANN401 (ISO text from the document)
    """ISO 8601 text as ``YYYY-MM-DD HH:MM UTC`` (as given when it is not ISO text)."""
    text = "" if moment is None else str(moment)
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}).*", text)
    return f"{match[1]} {match[2]} UTC" if match else md_text(text or "?")


def render_index_markdown(entries: Sequence[Mapping[str, Any]]) -> str:
    """Render the several-org index: one row per org, side by side.

    Args:
        entries: one per org (:mod:`sfbridge.report.index`), as ``render_index_html`` takes them.

    Returns:
        Markdown text, ending with a newline.
    """
    header = ["Org", "Org Id", "Health", "Findings", *(level.capitalize() for level in _SEVERITIES)]
    header += ["Since the previous audit", "Status", "Report"]
    lines = ["# Salesforce audits", "", "| " + " | ".join(header) + " |", "|---|---|" + "---:|" * 6 + "---|---|---|"]
    for entry in entries:
        summary = entry.get("summary") or {}
        severities = summary.get("by_severity") or {}
        score = overall_score(entry.get("health") or [])
        numbers = [score, summary.get("total"), *(severities.get(level) for level in _SEVERITIES)]
        cells = [
            md_text(entry.get("org")),
            md_text(entry.get("org_id") or "-"),
            *("-" if value is None else f"{int(value):,}" for value in numbers),
            _since(entry.get("trends"), has_summary=bool(summary)),
            _status(entry),
            _report_link(entry.get("report")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _since(totals: Mapping[str, Any] | None, *, has_summary: bool) -> str:
    if totals is None:
        return "first audit" if has_summary else "-"
    return _change(totals)


_STATUS_TEXT = {"ok": "ok", "over_threshold": "findings at or above --fail-on", "error": "audit failed"}


def _status(entry: Mapping[str, Any]) -> str:
    status = entry.get("status")
    text = md_text(_STATUS_TEXT.get(str(status), status or "?"))
    if entry.get("error"):
        return f"{text}: {md_text(entry['error'], limit=_CELL_LIMIT)}"
    return text


def _report_link(report: Any) -> str:  # noqa: ANN401 (a path from the entry)
    if not report:
        return "-"
    markdown = PurePosixPath(str(report)).with_suffix(".md")
    if not all(_SAFE_PART.fullmatch(part) for part in markdown.parts):  # nothing absolute, no "..", no markup
        return md_text(markdown)
    return f"[{markdown}]({markdown})"


_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
