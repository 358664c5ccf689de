"""report.html in a real headless browser (Debian's chromium, driven by Playwright).

The page must load with no console error and no request but for the file itself, show the
same numbers as findings.json, filter a table as you type, link records to their Lightning
pages, and run none of the markup a record value carries. A full-page screenshot is kept in
$SFBRIDGE_ARTIFACTS (or the test's temporary folder) for a person to look at.

These tests skip only when chromium is missing outside CI; `.ci/run` installs it, so they run in CI.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reportdocs import LEAD_1, NASTY, document, lightning, match_model
from sfbridge.cli import app
from sfbridge.report.health import health_scores
from sfbridge.report.html import render_index_html, render_report_html
from sfbridge.report.table_rows import PREVIEW_ROWS

CHROMIUM = os.environ.get("SFBRIDGE_CHROMIUM", "/usr/bin/chromium")
# Skipped only on a developer's machine without chromium; in CI (CI=true) a missing browser fails the tests.
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason=f"chromium not found at {CHROMIUM} (`apt-get install chromium`; .ci/run installs it)",
)
# Root needs --no-sandbox; the others keep chromium from calling home on a machine with no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory) -> Path:
    """`sfbridge demo`'s folder: findings.json, the CSVs and report.html."""
    folder = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(folder), "--log-format", "json"])
    assert result.exit_code == 0, result.output
    assert f"HTML report: {folder / 'report.html'}" in result.stdout.replace("\n", "")
    return folder


@pytest.fixture
def artifacts(tmp_path) -> Path:
    folder = Path(os.environ.get("SFBRIDGE_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Visit:
    """A page opened from a file, with what it logged and requested."""

    def __init__(self, browser, path: Path, width: int = 1280) -> None:
        """Open the file in a window ``width`` pixels wide and wait until its tables are built."""
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_function("document.body.dataset.ready === '1'")
        self.page.wait_for_function(
            "[...document.querySelectorAll('[data-findings]')].every(box => box.dataset.ready === '1')"
        )

    def text(self, selector: str) -> str:
        """The visible text of one element."""
        return self.page.locator(selector).inner_text().strip()

    def filter(self, check: str, words: str) -> object:
        """Type into a check's filter box and wait until the table shows fewer rows."""
        box = self.page.locator(f"#check-{check} [data-findings]")
        box.locator("input[type=search]").fill(words)
        self.page.wait_for_function("box => box.dataset.visible !== box.dataset.total", arg=box.element_handle())
        return box


@pytest.fixture
def visit(browser) -> Iterator[object]:
    pages = []

    def open_page(path: Path, width: int = 1280) -> Visit:
        pages.append(Visit(browser, path, width))
        return pages[-1]

    yield open_page
    for opened in pages:
        opened.page.close()


def test_the_demo_report_loads_offline_and_matches_findings_json(demo_outputs, visit, artifacts):
    """No console error, no request but the file; the summary's numbers are findings.json's."""
    shown = visit(demo_outputs / "report.html")
    assert shown.errors == []
    assert shown.requests == [shown.url]
    summary = json.loads((demo_outputs / "findings.json").read_text(encoding="utf-8"))["summary"]
    assert shown.page.locator("#total-findings").get_attribute("data-total") == str(summary["total"])
    assert shown.text("#total-findings").replace(",", "") == str(summary["total"])
    for level, count in summary["by_severity"].items():
        assert shown.text(f".totals [data-severity={level}]").split()[-1].replace(",", "") == str(count)
    for row in shown.page.locator("#check-counts tbody tr").all():
        check = row.get_attribute("data-check")
        expected = summary["by_check"].get(check, {}).get("count", 0)
        assert row.locator(".count").inner_text().replace(",", "") == str(expected), check
    path = artifacts / "report-demo.png"
    shown.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_typing_in_a_filter_box_narrows_the_table(demo_outputs, visit):
    """Filtering by one record's Id leaves that record's row; clearing the box brings every row back."""
    findings = json.loads((demo_outputs / "findings.json").read_text(encoding="utf-8"))["findings"]
    stale = [item for item in findings if item["check"] == "stale_lead"]
    target = stale[len(stale) // 2]
    shown = visit(demo_outputs / "report.html")
    box = shown.page.locator("#check-stale_lead [data-findings]")
    assert box.get_attribute("data-visible") == str(len(stale))
    shown.filter("stale_lead", target["record_id"].lower())
    assert box.get_attribute("data-visible") == "1"
    rows = box.locator(".tabulator-row")
    assert rows.count() == 1
    link = rows.first.locator("a").first
    instance = json.loads((demo_outputs / "findings.json").read_text(encoding="utf-8"))["org"]["instance_url"]
    assert link.get_attribute("href") == f"{instance}/lightning/r/Lead/{target['record_id']}/view"
    assert link.inner_text() == target["evidence"]["name"]  # the person, by name; the Id under it
    assert target["record_id"] in rows.first.locator(".rid").inner_text()
    box.locator("input[type=search]").fill("")
    shown.page.wait_for_function("box => box.dataset.visible === box.dataset.total", arg=box.element_handle())
    assert box.get_attribute("data-visible") == str(len(stale))


def test_record_values_stay_text_in_the_browser(tmp_path, visit, artifacts):
    """Markup in record values neither runs nor loads anything; it is shown as the characters it is."""
    doc = document()
    for item in doc["findings"]:
        item["reason"] = f"{item['reason']} {XSS}"
    doc["profile"]["owners"][0]["name"] = XSS
    path = tmp_path / "report.html"
    path.write_text(render_report_html(doc), encoding="utf-8")
    shown = visit(path)
    assert shown.errors == []
    assert shown.requests == [shown.url]  # an injected <img src=x> would have been requested
    assert shown.page.evaluate("window.__pwned") is None
    cell = shown.page.locator("#check-stale_lead .tabulator-row").first.locator("[tabulator-field=reason]")
    assert XSS in cell.inner_text()
    assert "Ελένη" in cell.inner_text()
    assert "山田 太郎" in shown.page.locator(".cluster").first.inner_text()
    assert NASTY in shown.page.locator(".cluster").first.inner_text()
    shown.filter("stale_lead", "ελένη")  # filtering folds case in any script: one of the two stale leads
    assert shown.page.locator("#check-stale_lead [data-findings]").get_attribute("data-visible") == "1"
    href = shown.page.locator("#check-stale_lead .tabulator-row").first.locator("a").first.get_attribute("href")
    assert href == lightning("Lead", LEAD_1)
    shown.page.screenshot(path=str(artifacts / "report-escaping.png"), full_page=True)


def test_the_page_prints_every_row_without_its_controls(demo_outputs, visit):
    """Print media hides the contents bar and filter boxes, and the tables print as plain HTML."""
    shown = visit(demo_outputs / "report.html")
    shown.page.emulate_media(media="print")
    assert shown.page.locator(".toc").is_hidden()
    assert shown.page.locator(".filter").first.is_hidden()
    pdf = shown.page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_each_duplicate_opens_its_best_matchs_waterfall(demo_outputs, visit, artifacts):
    """Under each duplicate row, 'why it matched' opens the weights step by step, adding up to the pair's total."""
    findings = json.loads((demo_outputs / "findings.json").read_text(encoding="utf-8"))["findings"]
    shown = visit(demo_outputs / "report.html")
    rows = shown.page.locator("#check-duplicate .tabulator-row")
    assert rows.count() == min(PREVIEW_ROWS, sum(1 for item in findings if item["check"] == "duplicate"))
    assert rows.locator("details.why").count() == rows.count()
    first = rows.first
    record = first.locator(".rid").inner_text().split()[-1]
    best = next(item for item in findings if item["record_id"] == record)["evidence"]["matches"][0]
    why = first.locator("details.why")
    assert why.locator(".waterfall").is_hidden()
    why.locator("summary").click()
    why.locator(".waterfall").wait_for(state="visible")  # the table redraws as it grows; the row stays open
    assert best["other_id"] in why.locator("summary").inner_text()
    weights = why.locator(".wf-weight").all_inner_texts()
    assert len(weights) == len(best["waterfall"]) + 1  # every step, then the total
    assert [float(text) for text in weights[:-1]] == [step["weight"] for step in best["waterfall"]]
    assert float(weights[-1]) == pytest.approx(sum(step["weight"] for step in best["waterfall"]), abs=0.011)
    assert why.locator(".wf-bar").first.bounding_box()["width"] > 0
    shown.page.locator("#check-duplicate button.show-all").click()
    shown.page.locator("#check-duplicate .tabulator-page[data-page='2']").click()
    assert shown.page.locator("#check-duplicate .tabulator-row").first.locator("details.why").count() == 1
    assert shown.page.locator("#match-model").is_visible()
    assert shown.page.locator("#match-model table.model").count() == 7
    assert shown.errors == []
    first.screenshot(path=str(artifacts / "report-waterfall.png"))


def test_a_click_on_why_it_matched_survives_a_redraw_between_press_and_release(demo_outputs, visit):
    """A press on 'why it matched' before the table redraws and a release after it still open the row.

    Tabulator redraws a table as it first scrolls into view, replacing each row's summary; chromium then
    sends no click for a press on the old summary, and a click that scrolled the table in was lost.
    """
    shown = visit(demo_outputs / "report.html")
    why = shown.page.locator("#check-duplicate .tabulator-row").first.locator("details.why")
    summary = why.locator("summary")
    summary.scroll_into_view_if_needed()
    # Found and measured in one step in the page: the table's own redraw as it scrolls in may replace
    # the summary between a lookup and a measure (the new one in the same place on the screen).
    x, y = shown.page.evaluate(
        """() => {
            const rect = document.querySelector("#check-duplicate .tabulator-row details.why summary")
                .getBoundingClientRect();
            return [rect.x + 20, rect.y + rect.height / 2];
        }"""
    )
    shown.page.mouse.move(x, y)
    pressed = summary.element_handle()
    shown.page.mouse.down()
    shown.page.evaluate("Tabulator.findTable('#check-duplicate .table')[0].redraw(true)")
    assert pressed.evaluate("node => node.isConnected") is False  # the summary under the pointer was replaced
    shown.page.mouse.up()
    why.locator(".waterfall").wait_for(state="visible")
    assert why.evaluate("node => node.open") is True
    summary.click()  # an ordinary click closes it again: one toggle per click, not two
    why.locator(".waterfall").wait_for(state="hidden")
    assert shown.errors == []


def test_waterfall_and_model_values_stay_text_in_the_browser(tmp_path, visit):
    """A hostile level in a waterfall or a blocking key name runs nothing: the script writes text only."""
    xss = XSS.replace("__pwned", "pwned")  # levels are shown with _ as spaces
    doc = document(match_model=match_model() | {"training_blocking_keys": [xss]})
    for item in doc["findings"]:
        for match in item["evidence"].get("matches", ()):
            match["waterfall"] = [
                {"step": "prior", "level": xss, "weight": -3.0},
                {"step": xss, "level": "x", "weight": 9},
            ]
    path = tmp_path / "report.html"
    path.write_text(render_report_html(doc), encoding="utf-8")
    shown = visit(path)
    why = shown.page.locator("#check-duplicate .tabulator-row").first.locator("details.why")
    # Clicked on the element itself, not at its place on the screen: with this page's long
    # hostile text the collapsing table may still reflow after it is ready, and a mouse click
    # left the row closed in about 1 run in 5 (none in 10 since). Opening with the mouse is
    # test_each_duplicate_opens_its_best_matchs_waterfall's.
    why.locator("summary").dispatch_event("click")
    why.locator(".waterfall").wait_for(state="visible")
    assert why.inner_text().count(xss) == 2
    assert xss in shown.text("#model-keys")
    assert shown.page.evaluate("window.pwned") is None
    assert shown.requests == [shown.url]
    assert shown.errors == []


def page_height(shown: Visit) -> int:
    return shown.page.evaluate("document.documentElement.scrollHeight")


def test_each_check_opens_on_its_first_rows_and_shows_all_in_one_click(demo_outputs, visit, artifacts):
    """Tables open on their most pressing rows: the page is a fraction of its height with every table shown in full."""
    shown = visit(demo_outputs / "report.html", width=1400)
    folded = page_height(shown)
    shown.page.screenshot(path=str(artifacts / "report-demo-1400.png"), full_page=True)
    findings = json.loads((demo_outputs / "findings.json").read_text(encoding="utf-8"))["findings"]
    stale = [item for item in findings if item["check"] == "stale_lead"]
    table = shown.page.locator("#check-stale_lead .tabulator-row")
    assert table.count() == PREVIEW_ROWS < len(stale)
    assert shown.page.locator("#check-stale_lead .tabulator-footer").is_hidden()
    button = shown.page.locator("#check-stale_lead button.show-all")
    assert button.inner_text() == f"Show all {len(stale)} findings"
    button.click()
    shown.page.wait_for_function(
        f"document.querySelectorAll('#check-stale_lead .tabulator-row').length === {len(stale)}"
    )
    assert button.get_attribute("aria-expanded") == "true"
    assert shown.page.locator("#check-stale_lead .tabulator-footer").is_visible()
    # Everything shown: every table in full, every other duplicate cluster open.
    folded_buttons = shown.page.locator("button.show-all[aria-expanded=false]")
    while folded_buttons.count():
        folded_buttons.first.click()
    shown.page.locator("details.more-clusters").evaluate("node => { node.open = true; }")
    unfolded = page_height(shown)
    assert folded < unfolded / 2, (folded, unfolded)
    assert folded < 25_000  # the demo page was ~58,000 px tall before tables opened folded
    assert shown.errors == []


def test_the_rows_name_people_most_pressing_first_and_the_filter_finds_a_name(demo_outputs, visit):
    """A stale lead's row shows the person, company, owner and days idle, oldest first; typing a name finds it."""
    findings = json.loads((demo_outputs / "findings.json").read_text(encoding="utf-8"))["findings"]
    stale = sorted(
        (item for item in findings if item["check"] == "stale_lead"), key=lambda item: -item["evidence"]["days_idle"]
    )
    shown = visit(demo_outputs / "report.html", width=1400)
    box = shown.page.locator("#check-stale_lead [data-findings]")
    titles = [title for title in box.locator(".tabulator-col-title").all_inner_texts() if title.strip()]
    assert titles[:4] == ["Name", "Company", "Owner", "Status"]
    assert "Days idle" in titles
    first = box.locator(".tabulator-row").first
    oldest = stale[0]["evidence"]
    assert first.locator("[tabulator-field=name] a").inner_text() == oldest["name"]
    assert first.locator("[tabulator-field=company]").inner_text() == oldest["company"]
    assert first.locator("[tabulator-field=owner]").inner_text() == oldest["owner_name"]
    days = box.locator(".tabulator-row [tabulator-field=fact3]").all_inner_texts()
    assert [int(text) for text in days] == [item["evidence"]["days_idle"] for item in stale[:PREVIEW_ROWS]]
    target = stale[-1]["evidence"]  # the least idle: not among the first rows, found by its name
    shown.filter("stale_lead", target["name"].split()[-1])
    rows = box.locator(".tabulator-row")
    assert target["name"] in rows.locator("[tabulator-field=name]").all_inner_texts()[0]
    assert int(box.get_attribute("data-visible")) < len(stale)
    shown.filter("stale_lead", "")  # cleared: every row matches again
    shown.page.wait_for_function("box => box.dataset.visible === box.dataset.total", arg=box.element_handle())


def test_a_phone_shows_each_rows_name_and_reason_without_scrolling_sideways(demo_outputs, visit, artifacts):
    """At 390 px the page does not overflow sideways; each table keeps the name and the reason, folding the rest."""
    shown = visit(demo_outputs / "report.html", width=390)
    shown.page.screenshot(path=str(artifacts / "report-demo-390.png"), full_page=True)
    assert shown.page.evaluate("document.documentElement.scrollWidth") <= 390
    for box in shown.page.locator("[data-findings]").all():
        row = box.locator(".tabulator-row").first
        for field in ("name", "reason"):
            cell = row.locator(f"[tabulator-field={field}]")
            assert cell.is_visible(), (box.get_attribute("data-findings"), field)
            edge = cell.bounding_box()
            assert edge["x"] >= 0
            assert edge["x"] + edge["width"] <= 390 + 1
    stale_row = shown.page.locator("#check-stale_lead .tabulator-row").first
    assert stale_row.locator("[tabulator-field=owner]").is_hidden()  # folded into the row's toggle
    stale_row.locator(".tabulator-responsive-collapse-toggle").click()
    assert "Owner" in stale_row.locator(".tabulator-responsive-collapse").inner_text()
    assert shown.errors == []


def test_the_index_of_several_orgs_fits_a_laptop_and_shows_a_failed_orgs_error(
    demo_outputs, tmp_path, browser, artifacts
):
    """At 1,400 px the orgs' table needs no sideways scrolling, and a failed org's error reads in full."""
    document = json.loads((demo_outputs / "findings.json").read_text(encoding="utf-8"))
    org = document["org"]
    entries = [
        {
            "org": name,
            "org_id": org["org_id"],
            "instance_url": org["instance_url"],
            "report": f"{name}/report.html",
            "summary": document["summary"],
            "health": health_scores(document),
            "trends": {"new": 3, "resolved": 1, "still_open": 200},
        }
        for name in ("acme-production", "globex-full-sandbox", "initech-europe")
    ]
    error = "login refused: INVALID_LOGIN: Invalid username, password, security token; or user locked out"
    entries.append({"org": "umbrella-production", "report": None, "summary": None, "health": [], "error": error})
    path = tmp_path / "index.html"
    path.write_text(render_index_html(entries), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # the index runs no script: nothing to wait for
    try:
        page.goto(path.resolve().as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        failed = page.locator("tr[data-org=umbrella-production] td.error")
        assert failed.is_visible()
        assert failed.inner_text() == f"The audit failed: {error}"
        assert failed.bounding_box()["x"] + failed.bounding_box()["width"] <= 1400
        page.screenshot(path=str(artifacts / "index-1400.png"), full_page=True)
    finally:
        page.close()
