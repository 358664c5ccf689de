"""Charts for report.html, drawn as inline SVG when the page is built (pure: data in, SVG text out).

Why pygal: it is a maintained charting library whose native output is SVG, pure Python with
no browser or JavaScript runtime needed at build time, and its text stays text (crisp in
print, searchable, read by screen readers). matplotlib would also do, but it is a large
dependency that draws every glyph as a path unless told otherwise, for a few bar charts.

pygal's defaults reach out of the page: a ``<script>`` tag loading its tooltip JavaScript from
the web, plus an inline config script and comments naming its web site. The report must load
nothing and run no script it does not need, so :func:`_chart` turns its JS off and strips
scripts and comments from the SVG tree, and gives each chart a fixed id (pygal's is a random
UUID) so the same document renders the same page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pygal  # type: ignore[import-untyped]  # pygal ships no type hints
from pygal.style import Style  # type: ignore[import-untyped]  # likewise

from sfbridge.report.health import FAIR, GOOD, band

__all__ = ["age_chart", "comparison_chart", "funnel_chart", "health_chart", "owner_chart", "source_chart"]

#: Owners shown in the owner-load chart (the table under it lists them all).
OWNER_CHART_LIMIT = 15

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#9aa5b1",
    opacity="0.9",
    opacity_hover="1",
    colors=("#2f6fb2", "#c0392b", "#7b8794", "#27ae60", "#e67e22"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)


def _strip_scripts_and_comments(root: Any) -> Any:  # noqa: ANN401 (an lxml or ElementTree element)
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            if not tag or tag.rsplit("}", 1)[-1] == "script":  # comments have a callable tag
                parent.remove(child)
    return root


def _chart(kind: Callable[..., Any], chart_id: str, title: str, **options: Any) -> Any:  # noqa: ANN401 (pygal charts are untyped)
    chart = kind(
        style=_STYLE,
        js=[],  # no tooltip script from the web
        disable_xml_declaration=True,  # inline in HTML
        truncate_label=40,  # long enough for status and source names; a pasted paragraph does not squash the plot
        title=title,
        width=options.pop("width", 720),
        height=options.pop("height", 320),
        **options,
    )
    chart.uuid = chart_id  # the CSS prefix and element id: fixed, so output is reproducible
    chart.add_xml_filter(_strip_scripts_and_comments)
    return chart


def _svg(chart: Any) -> str:  # noqa: ANN401 (a pygal chart)
    return str(chart.render(is_unicode=True))


#: The score bands' colours, as report.css gives them (--good, --fair, --poor).
_BAND_COLOURS = {"good": "#1e7b45", "fair": "#b7791f", "poor": "#c0392b"}


def health_chart(scores: Sequence[Mapping[str, Any]]) -> str | None:
    """Score per area (0-100) as horizontal bars; None when no area has a score."""
    scored = [entry for entry in scores if entry.get("score") is not None]
    if not scored:
        return None
    chart = _chart(
        pygal.HorizontalBar,
        "health",
        "Health score by area (100 = no findings; 85+ good, 60+ fair)",
        range=(0, 100),
        show_legend=False,
        print_values=True,
        height=60 + 40 * len(scored),
    )
    # The axis marks where a score changes band, so bars of 74 and 91 read as different, not as
    # two long bars; each bar takes its band's colour, as the score cards do.
    chart.y_labels = [0, FAIR, GOOD, 100]
    chart.x_labels = [str(entry["title"]) for entry in scored]
    chart.add(
        "score",
        [{"value": int(entry["score"]), "color": _BAND_COLOURS[band(int(entry["score"]))]} for entry in scored],
    )
    return _svg(chart)


def funnel_chart(funnel: Sequence[Mapping[str, Any]]) -> str | None:
    """Leads per status, in the org's LeadStatus order."""
    if not funnel:
        return None
    chart = _chart(
        pygal.HorizontalBar,
        "funnel",
        "Leads by status",
        show_legend=False,
        print_values=True,
        height=60 + 34 * len(funnel),
    )
    # HorizontalBar draws the first label at the bottom; reverse so the funnel reads top-down.
    stages = list(reversed(funnel))
    chart.x_labels = [str(stage.get("label") or stage["status"]) for stage in stages]
    chart.add("leads", [int(stage["leads"]) for stage in stages])
    return _svg(chart)


def source_chart(sources: Sequence[Mapping[str, Any]]) -> str | None:
    """Conversion rate (%) by Lead Source."""
    if not sources:
        return None
    chart = _chart(
        pygal.Bar,
        "sources",
        "Conversion rate by Lead Source (%)",
        show_legend=False,
        print_values=True,
        x_label_rotation=30,
        value_formatter=lambda value: f"{value:.1f}",
    )
    chart.x_labels = [str(source["source"]) for source in sources]
    chart.add("conversion rate", [round(100 * float(source["conversion_rate"]), 1) for source in sources])
    return _svg(chart)


def age_chart(buckets: Sequence[Mapping[str, Any]]) -> str | None:
    """Open leads by age since creation."""
    if not buckets:
        return None
    chart = _chart(pygal.Bar, "ages", "Open leads by age (days since created)", show_legend=False, print_values=True)
    chart.x_labels = [str(bucket["label"]) for bucket in buckets]
    chart.add("open leads", [int(bucket["open_leads"]) for bucket in buckets])
    return _svg(chart)


def owner_chart(owners: Sequence[Mapping[str, Any]]) -> str | None:
    """Open leads of the busiest owners, inactive users in their own colour."""
    if not owners:
        return None
    # The busiest owners, plus every inactive user holding leads (the ones that need action).
    chosen = [
        o for i, o in enumerate(owners) if i < OWNER_CHART_LIMIT or (o.get("active") is False and not o.get("queue"))
    ]
    top = list(reversed(chosen))  # bottom-up, so the busiest is on top
    chart = _chart(
        pygal.HorizontalStackedBar,
        "owners",
        f"Open leads per owner (the {min(len(owners), OWNER_CHART_LIMIT)} busiest, and inactive users)",
        print_values=False,
        legend_at_bottom=True,
        height=100 + 26 * len(top),
    )
    chart.x_labels = [_owner_label(owner) for owner in top]
    inactive = [owner.get("active") is False and not owner.get("queue") for owner in top]
    chart.add(
        "active user or queue", [None if off else int(o["open_leads"]) for o, off in zip(top, inactive, strict=True)]
    )
    chart.add("inactive user", [int(o["open_leads"]) if off else None for o, off in zip(top, inactive, strict=True)])
    return _svg(chart)


def comparison_chart(orgs: Sequence[str], scores: Mapping[str, Sequence[int | None]]) -> str | None:
    """Several orgs' scores side by side, one group of bars per area (``scores``: area → one score per org)."""
    if not orgs or not scores:
        return None
    chart = _chart(pygal.Bar, "comparison", "Health score by area and org", range=(0, 100), legend_at_bottom=True)
    areas = list(scores)
    chart.x_labels = areas
    for index, org in enumerate(orgs):
        chart.add(org, [scores[area][index] for area in areas])
    return _svg(chart)


def _owner_label(owner: Mapping[str, Any]) -> str:
    name = str(owner.get("name") or owner.get("owner_id") or "(no owner)")
    return f"{name} (queue)" if owner.get("queue") else name
