"""report.md and index.md: what they say, in what order, and that record values stay plain text."""

import copy
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from sfbridge.ids import to_18
from sfbridge.report.markdown import md_text, render_index_markdown, render_report_markdown

INSTANCE = "https://acme.my.salesforce.com"
LEAD_1, LEAD_2, LEAD_3 = (to_18(f"00Q5g00000AbC0{n}") for n in (1, 2, 3))
CONTACT = to_18("0035g00000AbC01")
HOSTILE = "Ann | Lee `rm -rf` <script>alert(1)</script> [x](http://evil) ![i](http://evil/i.png)\nSecond | line"


def finding(check, record_id, severity="medium", reason="reason", **overrides):
    item = {
        "check": check,
        "severity": severity,
        "sobject": "Contact" if record_id.startswith("003") else "Lead",
        "record_id": record_id,
        "reason": reason,
        "suggested_action": "Fix it.",
        "evidence": {},
        "suggested_values": {},
        "related": {},
        "group": None,
        "score": None,
    }
    item.update(overrides)
    return item


def document(findings=(), *, trends=None, instance_url=INSTANCE):
    checks = [
        {"name": "junk_lead", "title": "Junk leads", "severity": "medium"},
        {"name": "duplicate", "title": "Duplicate people", "severity": "medium"},
        {"name": "orphan_contact", "title": "Contacts without an account", "severity": "low"},
    ]
    for check in checks:
        check["count"] = sum(1 for item in findings if item["check"] == check["name"])
    return {
        "schema": "sfbridge.findings",
        "schema_version": 1,
        "generated_at": "2026-11-02T12:05:00Z",
        "org": {"name": "acme", "org_id": "00D5g000000AbCdEAK", "instance_url": instance_url},
        "snapshot_at": "2026-11-02T12:00:00Z",
        "run_id": 7,
        "summary": {
            "total": len(findings),
            "by_check": {},
            "by_severity": {"info": 0, "low": 1, "medium": len(findings) - 1, "high": 0},
        },
        "trends": trends,
        "checks": checks,
        "rules": {},
        "profile": {
            "record_counts": {"Lead": 1000, "Contact": 600, "Account": 200, "Opportunity": 211},
            "lead_usage": {"open_leads": 580, "mode": "lead-based", "explanation": "The org works Leads."},
            "sources": [
                {"source": "Web", "leads": 600, "converted": 60, "conversion_rate": 0.1},
                {"source": "(none)", "leads": 400, "converted": 20, "conversion_rate": 0.05},
            ],
        },
        "findings": list(findings),
    }


class _Cells(HTMLParser):
    """Collects the rendered HTML's tags, links and table cells per row."""

    def __init__(self):
        super().__init__()
        self.tags, self.links, self.rows, self._cell = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs)["href"])
        if tag == "tr":
            self.rows.append([])
        if tag in {"td", "th"}:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in {"td", "th"}:
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def rendered(markdown):
    """What a GitHub-like renderer makes of the Markdown."""
    parser = _Cells()
    parser.feed(MarkdownIt("commonmark").enable("table").render(markdown))
    return parser


def top_rows(html):
    """The top findings tables' rows (after their Name header), headers left out."""
    start = next(index for index, row in enumerate(html.rows) if row[0] == "Name")
    return [row for row in html.rows[start:] if row[0] != "Name"]


def test_report_summarises_each_check_and_the_org_profile():
    """The summary table has one row per check (count, severity); the profile's headline numbers follow."""
    text = render_report_markdown(document([finding("junk_lead", LEAD_1), finding("orphan_contact", CONTACT, "low")]))
    assert text.startswith("# Salesforce audit: acme\n")
    assert "| Junk leads (junk\\_lead) | 1 | medium | - |" in text
    assert "| Duplicate people (duplicate) | 0 | medium | - |" in text
    assert "This is the first audit of this org" in text
    assert "- Records: 1,000 Leads (580 open), 600 Contacts, 200 Accounts, 211 Opportunities" in text
    assert "- Converted: 80 of 1,000 leads (8.0%)" in text
    assert "- Largest lead source: Web with 600 leads, 10.0% converted" in text
    assert text.endswith("\n")


def test_top_findings_are_the_most_severe_first_and_capped():
    """Per check, high before medium before low, at most `top`, and the rest pointed at the CSV."""
    items = [
        finding("junk_lead", LEAD_1, "low", reason="third"),
        finding("junk_lead", LEAD_2, "high", reason="first"),
        finding("junk_lead", LEAD_3, "medium", reason="second"),
    ]
    text = render_report_markdown(document(items), top=2)
    section = text[text.index("### Junk leads") :]
    assert section.index("first") < section.index("second")
    assert "third" not in section
    assert "…and 1 more in findings.xlsx and junk\\_lead.Lead.csv." in section
    assert "### Duplicate people" not in text  # a clean check has no findings section


def test_records_link_to_their_lightning_pages_only_when_instance_and_id_check_out():
    """Valid Ids get `<instance>/lightning/r/<Object>/<Id>/view`; a javascript: instance gets no link."""
    items = [finding("junk_lead", LEAD_1), finding("orphan_contact", CONTACT, "low")]
    links = rendered(render_report_markdown(document(items))).links
    assert links == [
        f"{INSTANCE}/lightning/r/Lead/{LEAD_1}/view",
        f"{INSTANCE}/lightning/r/Contact/{CONTACT}/view",
    ]
    assert rendered(render_report_markdown(document(items, instance_url="javascript:alert(1)//"))).links == []
    assert rendered(render_report_markdown(document([finding("junk_lead", "00Q<b>x</b>")]))).links == []


def test_hostile_record_values_cannot_break_the_table_or_inject_links_or_html():
    """Pipes, backticks, <script>, [x](http://evil) and newlines in a value render as the text they are."""
    people = {"name": HOSTILE, "company": HOSTILE, "owner_name": HOSTILE, "rule": HOSTILE}
    items = [
        finding("junk_lead", LEAD_1, reason=HOSTILE, suggested_action=HOSTILE, evidence=people),
        finding("junk_lead", LEAD_2, evidence={"name": "Bo Ek", "rule": "test_words"}),
    ]
    html = rendered(render_report_markdown(document(items)))
    assert "script" not in html.tags
    assert "img" not in html.tags
    assert "code" not in html.tags
    assert all("evil" not in link for link in html.links)
    header = next(row for row in html.rows if row[0] == "Name")
    assert header == ["Name", "Company", "Owner", "Rule", "Reason", "Suggested action"]
    row = top_rows(html)[0]
    assert row == [" ".join(HOSTILE.split())] * 6  # each value on one line, in its own cell; the name a link
    assert html.links[0] == f"{INSTANCE}/lightning/r/Lead/{LEAD_1}/view"


def test_top_findings_name_the_person_and_show_the_checks_facts_oldest_first():
    """Each row names the person, their company and owner, then the check's facts as columns; the oldest comes first."""
    items = [
        finding(
            "junk_lead", LEAD_1, evidence={"name": "Ann Lee", "company": "Acme", "owner_name": "Bo Ek", "days_idle": 91}
        ),
        finding(
            "junk_lead",
            LEAD_2,
            evidence={"name": "Zoë Ng", "Company": "Globex", "owner_name": "Cy Li", "days_idle": 400},
        ),
        finding("junk_lead", LEAD_3, evidence={"days_idle": 200, "last_touch": "2026-01-02T09:00:00Z"}),
    ]
    text = render_report_markdown(document(items))
    html = rendered(text)
    header = next(row for row in html.rows if row[0] == "Name")
    assert header == ["Name", "Company", "Owner", "Days idle", "Last touch", "Reason"]
    assert "| Name | Company | Owner | Days idle | Last touch | Reason |\n|---|---|---|---:|---|---|" in text
    rows = top_rows(html)
    assert [row[:4] for row in rows] == [
        ["Zoë Ng", "Globex", "Cy Li", "400"],
        [LEAD_3, "", "", "200"],
        ["Ann Lee", "Acme", "Bo Ek", "91"],
    ]
    assert rows[1][4] == "2026-01-02"  # a date, not a timestamp
    assert html.links[0] == f"{INSTANCE}/lightning/r/Lead/{LEAD_2}/view"
    assert "What to do: Fix it." in text  # said once, not in every row
    assert "days\\_idle" not in text  # the key is a label, "Days idle"


def test_non_latin_names_pass_through_unchanged():
    """Names in other scripts are not escaped or mangled."""
    name = "山田 太郎 · Дмитрий Иванов · محمد"
    text = render_report_markdown(document([finding("junk_lead", LEAD_1, reason=f"{name} is a test record")]))
    assert f"{name} is a test record" in text
    assert md_text(name) == name


def test_md_text_escapes_markup_and_folds_lines():
    """The escaping helper: one line, control characters dropped, long values shortened."""
    assert md_text("a|b") == "a\\|b"
    assert md_text("`x`") == "\\`x\\`"
    assert md_text("<b>&amp;") == "&lt;b&gt;\\&amp;"
    assert md_text("one\r\ntwo\u2028three\x00") == "one two three"
    assert md_text("x" * 10, limit=5) == "xxxx…"
    assert md_text(None) == ""


def test_changes_since_the_previous_audit_come_from_the_documents_trends_or_the_argument():
    """Each check says what is new and resolved; a check the previous audit did not run says so."""
    trends = {
        "previous_run_id": 5,
        "previous_started_at": "2026-10-26T12:00:00Z",
        "by_check": {
            "junk_lead": {"new": 2, "resolved": 1, "still_open": 3, "previous_run_id": 5},
            "duplicate": {"new": 0, "resolved": 0, "still_open": 0, "previous_run_id": 5},
            "orphan_contact": None,
        },
        "totals": {"new": 2, "resolved": 1, "still_open": 3},
    }
    text = render_report_markdown(document([finding("junk_lead", LEAD_1)], trends=trends))
    assert "| Junk leads (junk\\_lead) | 1 | medium | +2 new, 1 resolved |" in text
    assert "| Duplicate people (duplicate) | 0 | medium | no change |" in text
    assert "not in the previous audit |" in text
    assert "Since the previous audit (audit run 5, 2026-10-26 12:00 UTC): 2 new, 1 resolved, 3 still open." in text
    assert render_report_markdown(document([finding("junk_lead", LEAD_1)]), trends=trends) == text
    given = render_report_markdown(document(), trends={"junk_lead": {"new": 9, "resolved": 0, "still_open": 0}})
    assert "+9 new, 0 resolved" in given


def test_rendering_is_pure():
    """The same document renders the same text, and is not changed by rendering."""
    source = document([finding("junk_lead", LEAD_1, reason=HOSTILE)])
    before = copy.deepcopy(source)
    assert render_report_markdown(source) == render_report_markdown(source)
    assert source == before


def test_index_compares_orgs_and_shows_a_failed_one_with_its_error():
    """One row per org: health, counts, change, status; a failed org shows its (escaped) error."""
    entries = [
        {
            "org": "acme",
            "org_id": "00D5g000000AbCdEAK",
            "instance_url": INSTANCE,
            "report": "acme/report.html",
            "summary": {"total": 12, "by_severity": {"high": 1, "medium": 5, "low": 6, "info": 0}},
            "health": [{"area": "duplicates", "title": "Duplicates", "score": 90}, {"area": "x", "score": 70}],
            "status": "ok",
            "exit_code": 0,
            "error": None,
            "trends": {"new": 3, "resolved": 4, "still_open": 9},
        },
        {
            "org": "globex",
            "org_id": None,
            "instance_url": None,
            "report": None,
            "summary": None,
            "health": [],
            "status": "error",
            "exit_code": 3,
            "error": "login refused | see [docs](http://evil)",
            "trends": None,
        },
    ]
    text = render_index_markdown(entries)
    html = rendered(text)
    counts = ["79", "12", "1", "5", "6", "0"]  # health (the geometric mean of 90 and 70), total, high ... info
    assert html.rows[1] == ["acme", "00D5g000000AbCdEAK", *counts, "+3 new, 4 resolved", "ok", "acme/report.md"]
    assert html.rows[2][-2] == "audit failed: login refused | see [docs](http://evil)"
    assert html.links == ["acme/report.md"]
    assert re.search(r"\| globex \| - \| - \|", text)
