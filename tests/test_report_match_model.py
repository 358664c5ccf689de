"""How duplicates were scored, in report.html and report.md: the model's weights and each pair's waterfall (pure)."""

import html as htmllib
import json
import re

import pytest

from reportdocs import CHECKS, CONTACT, LEAD_2, WATERFALL, document, finding, match_model
from sfbridge.report import table_rows as row_module
from sfbridge.report.html import render_report_html
from sfbridge.report.markdown import render_report_markdown
from sfbridge.report.matchmodel import model_view, probability, signed, waterfall_row, waterfall_view
from sfbridge.report.sections import ROW_FIELDS

SECTION = re.compile(r'<section class="check" id="match-model">(.*?)</section>', re.DOTALL)
ROWS = re.compile(r'<script type="application/json" id="(rows-\d+)">(.*?)</script>', re.DOTALL)


def section_of(page: str) -> str:
    found = SECTION.search(page)
    assert found is not None, "no match-model section"
    return found.group(1)


def table_rows(page: str, check: str) -> list[dict]:
    """The rows a check's table embeds, as the page's script reads them (objects by ROW_FIELDS)."""
    box = re.search(rf'id="check-{check}".*?data-findings="(rows-\d+)"', page, re.DOTALL)
    payload = dict(ROWS.findall(page))[box.group(1)]
    return [dict(zip(ROW_FIELDS, row, strict=True)) for row in json.loads(payload)]


def test_a_learned_model_shows_where_it_came_from_and_every_levels_m_u_and_weight():
    """Learned: the EM's facts, the prior of two random records, the training keys, a table per comparison."""
    section = section_of(render_report_html(document(match_model=match_model())))
    assert "Learned from this org" in section
    assert "200,000 random pairs" in section
    assert "over the pairs of its training blocking keys (4,321 candidate pairs in all)" in section
    assert "EM converged after 17 iterations" in section
    assert "31.2% of the pairs it trained on" in section
    assert '<dd id="model-source">learned from this org</dd>' in section
    assert (
        "-20.50 (log<sub>2</sub> odds, a probability of 6.74e-07) that two records of this org picked at random"
        in section
    )
    assert "email, phone, name postcode" in section
    tables = dict(
        re.findall(r'<table class="plain compact model" data-comparison="(\w+)">(.*?)</table>', section, re.DOTALL)
    )
    assert list(tables) == ["first", "email", "place"]
    assert '<th class="num">m</th><th class="num">u</th>' in tables["email"]
    email_same = re.search(r"<tr class=\"tf\">(.*?)</tr>", tables["email"], re.DOTALL).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", email_same)[-3:] == ["0.7", "1.2e-06", "+19.15"]
    assert 'class="tf-mark"' in email_same
    assert 'wf-neg">-6.57' in tables["first"]
    assert "&lt;b&gt;odd&lt;/b&gt;" in tables["place"]  # level names are text, whatever they hold
    assert 'id="tf-note"' in section
    assert "each pair&#39;s waterfall shows its own" in section


def test_hand_set_weights_say_why_and_show_no_m_or_u():
    """Hand-set: the reason (too few pairs, with the counts), a prior of pairs sharing a key, weights only."""
    section = section_of(render_report_html(document(match_model=match_model(learned=False))))
    assert "Hand-set weights: this org gave too few pairs to learn from (82 candidate pairs in all;" in section
    assert "at least 200" in section
    assert "two records that share a blocking key are one person" in section
    assert "no pairs (hand-set weights)" in section
    assert ">m</th>" not in section
    off = match_model(learned=False) | {"hand_set_reason": "learn_weights_off"}
    assert "learn_weights = false" in section_of(render_report_html(document(match_model=off)))


def test_a_run_that_kept_no_model_says_so_and_an_audit_without_duplicates_has_no_section():
    """An older stored audit with duplicates: a note. No duplicate check at all: no section, no contents link."""
    page = render_report_html(document())
    assert 'id="no-match-model"' in section_of(page)
    stale_only = document([finding("stale_lead", LEAD_2)])
    stale_only["checks"] = [check for check in CHECKS if check["name"] == "stale_lead"]
    page = render_report_html(stale_only)
    assert 'id="match-model"' not in page
    assert 'href="#match-model"' not in page


def test_a_kept_model_says_which_audit_learned_it_in_both_reports():
    kept = match_model() | {"kept_from_snapshot": "2026-11-01T09:00:00Z", "drift": 0.0123}
    said = "These weights were learned by the audit of the org as of 2026-11-01T09:00:00Z and kept"
    section = section_of(render_report_html(document(match_model=kept)))
    assert said in section
    assert "the org&#39;s candidate pairs have moved by 1.23% since" in section
    assert said in render_report_markdown(document(match_model=kept))
    learned_now = section_of(render_report_html(document(match_model=match_model() | {"kept_from_snapshot": None})))
    assert "and kept" not in learned_now


@pytest.mark.parametrize("bad", [None, "oops", [1, 2], {"learned": True}, {"comparisons": "x"}])
def test_something_that_is_not_a_model_shows_no_model(bad):
    """A hand-edited findings.json cannot break the page: what is not a model reads as none."""
    assert model_view(bad) is None
    edited = document() | {"match_model": bad}
    assert 'id="no-match-model"' in render_report_html(edited)
    assert "How duplicates were scored" not in render_report_markdown(edited)


def test_each_duplicate_row_carries_its_best_matchs_waterfall_and_others_none():
    """The duplicate table's rows hold the waterfall (steps and a total that add up); other checks' rows hold null."""
    page = render_report_html(document(match_model=match_model()))
    assert re.search(r'id="check-duplicate".*?data-waterfall="1"', page, re.DOTALL)
    assert re.search(r'id="check-stale_lead".*?data-waterfall="0"', page, re.DOTALL)
    rows = table_rows(page, "duplicate")
    lead = next(row for row in rows if row["id"] == LEAD_2)
    other, total, score, _, steps = lead["waterfall"]
    assert other == f"Contact {CONTACT}"
    assert [step[:3] for step in steps] == [
        ["Prior", "learned", "-20.50"],
        ["First name", "same", "+6.25"],
        ["Email", "same", "+21.00"],
        ["Where they work or live", "other employer", "-1.75"],
        ["Total", "", "+5.00"],
    ]
    assert total == "+5.00"
    assert score == f"{probability(5.0):.4f}" == "0.9697"
    assert all(row["waterfall"] is None for row in table_rows(page, "stale_lead"))


def test_each_cluster_pair_shows_its_waterfall_as_html():
    """In the clusters, every pair opens its weights step by step: a label, a bar and a signed weight per step."""
    page = render_report_html(document(match_model=match_model()))
    cluster = re.search(r'<div class="cluster".*?</ul>', page, re.DOTALL).group(0)
    why = re.search(r'<details class="why"><summary>(.*?)</summary>(.*?)</details>', cluster, re.DOTALL)
    assert why.group(1) == "Weights, step by step (total +5.00)"
    weights = re.findall(r'<span class="wf-weight[^"]*">([^<]*)</span>', why.group(2))
    assert weights == ["-20.50", "+6.25", "+21.00", "-1.75", "+5.00"]
    bars = re.findall(r'class="wf-bar wf-(\w+)" style="left: ([\d.]+)%; width: ([\d.]+)%"', why.group(2))
    assert [sign for sign, _, _ in bars] == ["neg", "pos", "pos", "neg", "pos"]
    assert "score 0.9697" in why.group(2)


def test_waterfall_bars_run_from_one_running_total_to_the_next():
    """Each bar starts where the running total stood; the total bar runs from zero to where the last step ended."""
    view = waterfall_view(WATERFALL)
    low, high = -20.5, 6.75  # the lowest and highest running totals: after the prior, after the email
    scale = high - low

    def at(value):
        return round(100 * (value - low) / scale, 1)

    running = [0.0, -20.5, -14.25, 6.75, 5.0]
    for step, start, end in zip(view["steps"], running, running[1:], strict=False):
        assert step["left"] == at(min(start, end))
        assert step["width"] == pytest.approx(100 * abs(end - start) / scale, abs=0.11)
    assert view["zero"] == at(0.0)
    assert (view["total_left"], view["total_width"]) == (at(0.0), pytest.approx(100 * 5.0 / scale, abs=0.11))
    assert view["total"] == signed(5.0) == "+5.00"


def test_a_waterfall_reads_only_what_is_a_step():
    """Steps without a number are left out; nothing to show is None, in the table and the view alike."""
    assert waterfall_view([{"step": "prior", "weight": "x"}, "junk"]) is None
    assert waterfall_view([]) is None
    assert waterfall_row({"evidence": {"matches": [{"other_id": "x", "waterfall": None}]}}) is None
    assert waterfall_row({"evidence": {"matches": "x"}}) is None
    assert waterfall_row({"evidence": {}}) is None
    assert signed(None) == "n/a"
    assert signed(-0.001) == "0.00"


def test_waterfalls_are_built_only_for_the_rows_a_section_shows(monkeypatch):
    """A large audit pays for the rows the page embeds, not for every finding (150k on a million records)."""
    built = []
    monkeypatch.setattr(row_module, "waterfall_row", lambda item: built.append(item) or None)
    match = {"other_id": CONTACT, "other_sobject": "Contact", "score": 0.97, "reasons": [], "waterfall": WATERFALL}
    items = [
        finding("duplicate", f"00Q5g00000Ab{index:04d}AAA", evidence={"matches": [match]}, group=CONTACT)
        for index in range(50)
    ]
    page = render_report_html(document(items, match_model=match_model()), row_limit=7)
    assert len(built) == 7
    assert "shows the first 7 of 50 findings" in page


def test_markdown_ends_with_the_model_and_shows_each_duplicates_weights():
    """report.md: a line of weights per duplicate shown, then how duplicates were scored, escaped like any value."""
    text = render_report_markdown(document(match_model=match_model()))
    line = next(line for line in text.splitlines() if line.startswith(f"- {LEAD_2} ↔"))
    assert line == (
        f"- {LEAD_2} ↔ Contact {CONTACT}: Prior learned -20.50 · First name same +6.25 · Email same +21.00 · "
        "Where they work or live other employer -1.75 = **+5.00** (score 0.9697)"
    )
    model = text[text.index("## How duplicates were scored") :]
    assert text.index("## Top findings") < text.index("## How duplicates were scored")
    assert "Learned from this org" in model
    assert "| Comparison | Level | m | u | Match weight |" in model
    assert "| Email | same † | 0.7 | 1.2e-06 | +19.15 |" in model
    assert "| Where they work or live | &lt;b&gt;odd&lt;/b&gt; | 0.1 | 0.1 | 0.00 |" in model
    assert "† Marked levels are adjusted for term frequency" in model
    hand_set = render_report_markdown(document(match_model=match_model(learned=False)))
    assert "| Comparison | Level | Match weight |" in hand_set
    assert "too few pairs to learn from" in hand_set
    assert "How duplicates were scored" not in render_report_markdown(document())


def test_the_page_escapes_what_it_quotes_of_the_model():
    """A hostile blocking key name or level stays text in the page."""
    model = match_model() | {"training_blocking_keys": ["<script>x</script>"]}
    section = section_of(render_report_html(document(match_model=model)))
    assert "<script>x</script>" not in section
    assert htmllib.escape("<script>x</script>", quote=False) in section
