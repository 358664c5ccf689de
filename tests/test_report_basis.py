"""report.md and report.html from one shared basis: the same pages as each rendered on its own, whatever the limits."""

import pytest

from reportdocs import document, duplicate_pair, finding
from sfbridge.report.basis import report_basis
from sfbridge.report.evidence import ordered
from sfbridge.report.health import health_scores
from sfbridge.report.html import render_report_html
from sfbridge.report.markdown import render_report_markdown


def many():
    """A document whose stale leads differ in age (so their order matters), with a duplicate pair and an owner."""
    stale = [
        finding("stale_lead", f"00Q5g00000AbC{n:03d}AAA", evidence={"days_idle": (n * 37) % 23, "name": f"Lead {n}"})
        for n in range(40)
    ]
    return document([*stale, *duplicate_pair(), finding("inactive_owner", "00Q5g00000AbCdEEAV")])


def test_a_basis_groups_each_checks_findings_with_the_most_pressing_first():
    """A check's findings in the document's order, the first row_limit of the full order, its files; the health."""
    doc = many()
    basis = report_basis(doc, row_limit=5)
    stale = [item for item in doc["findings"] if item["check"] == "stale_lead"]
    assert basis.check("stale_lead").findings == stale
    assert basis.check("stale_lead").shown == ordered(stale)[:5]
    assert basis.check("stale_lead").files == ["stale_lead.Lead.csv"]
    assert basis.check("duplicate").files == ["duplicate.Lead.csv", "duplicate.Contact.csv"]
    assert basis.check("never_ran").findings == basis.check("never_ran").shown == []
    assert basis.health == health_scores(doc)


@pytest.mark.parametrize("limit", [0, 1, 5, 6, 40, 100])
def test_the_most_pressing_past_the_basis_row_limit_are_picked_again(limit):
    """Within row_limit they are the first of the basis's; past it, the full order's first, as ordered() gives."""
    doc = many()
    stale = [item for item in doc["findings"] if item["check"] == "stale_lead"]
    assert report_basis(doc, row_limit=5).most_pressing("stale_lead", limit) == ordered(stale)[:limit]


@pytest.mark.parametrize(("basis_limit", "top", "row_limit"), [(2_000, 10, 2_000), (3, 10, 2_000), (30, 4, 7)])
def test_both_reports_from_one_basis_are_the_pages_each_renders_alone(basis_limit, top, row_limit):
    """A shared basis changes no byte of report.md or report.html, even one that keeps fewer rows than they show."""
    doc = many()
    shared = report_basis(doc, row_limit=basis_limit)
    assert render_report_markdown(doc, top=top, basis=shared) == render_report_markdown(doc, top=top)
    assert render_report_html(doc, row_limit=row_limit, basis=shared) == render_report_html(doc, row_limit=row_limit)
