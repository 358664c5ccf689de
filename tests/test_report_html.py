"""report.html and the index page, rendered from small hand-built documents (pure, no browser)."""

import base64
import hashlib
import html as htmllib
import json
import re
from pathlib import Path

import pytest

from reportdocs import (
    CONTACT,
    INSTANCE,
    LEAD_1,
    LEAD_2,
    LEAD_3,
    USER,
    document,
    finding,
    lightning,
)
from sfbridge import report as report_package
from sfbridge.ids import to_18
from sfbridge.models import Finding, Severity
from sfbridge.report.health import health_scores, overall_score
from sfbridge.report.html import PREVIEW_CLUSTERS, render_index_html, render_report_html
from sfbridge.report.links import instance_base, lightning_url
from sfbridge.report.table_rows import PREVIEW_ROWS, ROW_FIELDS

LEAD_4 = "00Q5g00000AbCdHEAV"
SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)


@pytest.fixture(scope="module")
def page() -> str:
    return render_report_html(document())


def test_record_values_render_as_text_never_as_markup(page):
    """<script>, quotes and ampersands in record values are escaped; non-Latin names stay as they are."""
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#34;quoted&#34; &amp;" in page  # the cluster table
    assert "\\u003cscript\\u003ealert('x')\\u003c/script\\u003e" in page  # the table rows' JSON
    assert "Ελένη &lt;b&gt;Π.&lt;/b&gt;" in page  # an owner name, in the owner table and chart
    for name in ("山田 太郎", "Ærø ApS", "Ελένη"):
        assert name in page


def test_every_script_is_data_or_allowed_by_the_content_security_policy(page):
    """Executable scripts are exactly the page's own, and the CSP allows them by hash and nothing else."""
    policy = htmllib.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    assert "default-src 'none'" in policy
    allowed = set(re.findall(r"'sha256-([^']+)'", policy))
    running = [body for attributes, body in SCRIPT.findall(page) if "application/json" not in attributes]
    assert len(running) == 2  # Tabulator, and the page's own script
    digests = {base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() for body in running}
    assert digests == allowed


def test_no_resource_is_loaded_from_anywhere(page):
    """No src, no stylesheet link, no CSS url() or @import points off the page; only record links leave it."""
    assert not re.search(r"""\ssrc\s*=""", page)
    assert not re.search(r"<link\b", page)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page
    hrefs = re.findall(r"""href\s*=\s*["']([^"']*)""", page)
    external = [href for href in hrefs if not href.startswith("#")]
    assert external
    assert all(re.fullmatch(re.escape(INSTANCE) + r"/lightning/r/\w+/\w{18}/view", href) for href in external)


def test_charts_are_inline_svg_without_scripts(page):
    """The profile's charts are inline <svg> drawn at build time, with no script and no comment inside."""
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(svgs) >= 5  # health, funnel, sources, ages, owners
    assert all("<script" not in svg and "<!--" not in svg for svg in svgs)
    assert {'id="chart-funnel"', 'id="chart-owners"', 'id="chart-health"'} <= {
        match for svg in svgs for match in re.findall(r'id="chart-\w+"', svg)
    }


def test_rendering_is_pure_and_repeatable():
    """The same document gives the same page (chart ids are fixed, the time comes from the document)."""
    assert render_report_html(document()) == render_report_html(document())
    assert "2026-11-02 12:05 UTC" in render_report_html(document())


def test_record_links_point_at_lightning_pages(page):
    """Each record's link is <instance>/lightning/r/<Object>/<Id>/view; related records get theirs too."""
    assert lightning("Lead", LEAD_1) in page
    assert lightning("Contact", CONTACT) in page
    assert f'href="{lightning("User", USER)}"' in page  # the inactive owner in the owner table


def test_lightning_url_refuses_anything_but_a_valid_id_on_an_https_instance():
    """Bad Ids, wrong objects and non-HTTPS or decorated instances get no link at all."""
    assert lightning_url(INSTANCE + "/", "Lead", LEAD_1[:15]) == lightning("Lead", LEAD_1)
    assert lightning_url(INSTANCE, None, CONTACT) == lightning("Contact", CONTACT)
    for instance, sobject, record_id in [
        (INSTANCE, "Lead", "<script>"),
        (INSTANCE, "Contact", LEAD_1),  # a Lead Id is not a Contact
        (INSTANCE, "Lead", LEAD_1[:15] + "AAA"),  # a wrong case-safe suffix
        (INSTANCE, "Lead/../x", LEAD_1),
        ("javascript:alert(1)//", "Lead", LEAD_1),
        ("http://acme.my.salesforce.com", "Lead", LEAD_1),
        ("https://evil@acme.my.salesforce.com", "Lead", LEAD_1),
        ("https://acme.my.salesforce.com/path?q=1", "Lead", LEAD_1),
        (None, "Lead", LEAD_1),
    ]:
        assert lightning_url(instance, sobject, record_id) is None, (instance, sobject, record_id)
    assert instance_base("https://ACME.my.salesforce.com:443") == "https://acme.my.salesforce.com:443"


def test_first_audit_says_there_is_nothing_to_compare_with(page):
    """Without trends the summary says this is the first audit; no new/resolved columns appear."""
    assert "This is the first audit of this org" in page
    assert '<th class="num">Resolved</th>' not in page


def test_trends_per_check_are_shown():
    """A plain check → counts mapping shows per check and in total."""
    trends = {"stale_lead": {"new": 2, "resolved": 3, "still_open": 0}, "duplicate": {"new": 1, "resolved": 0}}
    html = render_report_html(document(), trends=trends)
    assert "first audit" not in html
    assert re.search(r"Since the previous audit: <strong>3</strong> new,\s*<strong>3</strong> resolved", html)
    row = re.search(r'<tr data-check="stale_lead">.*?</tr>', html, re.DOTALL).group(0)
    assert '<td class="num new">2</td>' in row
    assert '<td class="num resolved">3</td>' in row


def test_the_trends_document_of_the_audit_is_understood():
    """The audit's trends document (by_check, totals, previous run) works too, from the document itself."""
    trends = {
        "previous_run_id": 4,
        "previous_started_at": "2026-11-01T12:00:00Z",
        "by_check": {"stale_lead": {"new": 1, "resolved": 0, "still_open": 1, "previous_run_id": 4}, "duplicate": None},
        "totals": {"new": 1, "resolved": 0, "still_open": 1},
    }
    html = render_report_html(document(trends=trends))
    assert "(run 4, 2026-11-01 12:00 UTC)" in html
    assert "not compared: no earlier audit ran this check" in html


def test_a_document_without_a_profile_says_so():
    """A report rebuilt from a stored run has no profile: the page says so and scores are n/a."""
    html = render_report_html(document(with_profile=False))
    assert 'id="no-profile"' in html
    assert "n/a" in html
    assert "<figure" not in html  # every chart needs the profile's numbers


def test_large_sections_are_capped_and_point_at_the_files_with_them_all():
    """Above row_limit a section embeds the first rows and names the workbook and per-object CSVs with them all."""
    items = [finding("stale_lead", LEAD_1), finding("stale_lead", LEAD_2), finding("stale_lead", LEAD_3)]
    html = render_report_html(document(items), row_limit=2)
    capped = re.search(r'<p class="capped">(.*?)</p>', html, re.DOTALL).group(1)
    assert "shows the first 2 of 3 findings" in capped
    assert "<code>findings.xlsx</code> (sheet stale_lead)" in capped
    assert "<code>stale_lead.Lead.csv</code>" in capped
    assert "<code>stale_lead.csv</code>" not in html  # the deprecated file mixes objects: never pointed at
    assert LEAD_3 not in html


def test_duplicate_clusters_show_fields_side_by_side_with_the_reasons(page):
    """Each cluster lists its records as columns, the record to keep first, and why they matched."""
    cluster = re.search(r'<div class="cluster" data-group="(\w+)">(.*?)</div>', page, re.DOTALL)
    assert cluster.group(1) == CONTACT
    body = cluster.group(2)
    assert body.index(CONTACT) < body.index(LEAD_2)
    assert '<span class="keep">keep</span>' in body
    assert '<tr class="same"><th>Email</th><td>yamada@example.jp</td><td>yamada@example.jp</td></tr>' in body
    assert "same email yamada@example.jp" in body
    assert "<em>but other city</em>" in body


def test_a_cluster_shows_the_values_its_merged_record_should_carry_and_where_they_come_from(page):
    """The survivor's merged values under its cluster: the record kept's own unmarked, another record's named."""
    cluster = re.search(r'<div class="cluster" data-group="(\w+)">(.*?)</div>', page, re.DOTALL).group(2)
    merged = re.search(r'<p class="merged">(.*?)</p>', cluster, re.DOTALL).group(1)
    assert "First name <strong>Taro</strong>;" in merged
    assert "Title <strong>&lt;script&gt;alert(" in merged  # escaped, like every record value
    assert f"</strong> (from <code>{LEAD_2}</code>)" in merged
    assert CONTACT not in merged  # the survivor's own value needs no source


def test_each_cluster_says_what_a_plan_does_with_it_merge_or_why_not():
    """The audit's outlook on each cluster's master shows under the cluster: merged, or held back and why."""
    merging = [
        finding("duplicate", LEAD_1, group=LEAD_1, evidence={"merge": f"a plan merges 1 Lead into {LEAD_1}"}),
        finding("duplicate", LEAD_3, group=LEAD_1),
    ]
    held = [
        finding(
            "duplicate",
            LEAD_2,
            group=LEAD_2,
            evidence={"merge": "not merged: the records have different record types (<b>A</b>, B); choose one"},
        ),
        finding("duplicate", LEAD_4, group=LEAD_2),
    ]
    page = render_report_html(document([*merging, *held]))
    clusters = dict(re.findall(r'<div class="cluster" data-group="(\w+)">(.*?)</div>', page, re.DOTALL))
    assert f'<p class="outlook">Plan: a plan merges 1 Lead into {LEAD_1}</p>' in clusters[LEAD_1]
    assert (
        '<p class="outlook held">Plan: not merged: the records have different record types (&lt;b&gt;A&lt;/b&gt;, B)'
        in clusters[LEAD_2]
    )


def test_health_scores_follow_the_documented_formula():
    """Cost = worst severity weight per record; score = 100 * 0.5 ** ((cost / records in scope) / 7 %)."""
    scores = {entry["area"]: entry for entry in health_scores(document())}
    # Lead hygiene: two stale (low, 0.25 each) leads among 6 open leads: share 8.3 %, 100 * 0.5 ** (8.33 / 7) = 43.8.
    lead_hygiene = scores["lead_hygiene"]
    assert (lead_hygiene["score"], lead_hygiene["cost"], lead_hygiene["share"]) == (44, 0.5, 8.3)
    # Duplicates: two medium records among 8 leads + 2 contacts: share 10 %, 100 * 0.5 ** (10 / 7) = 37.2.
    assert scores["duplicates"]["score"] == 37
    # Ownership: one high lead among 6 open leads: share 16.7 %, 100 * 0.5 ** (16.67 / 7) = 19.2.
    assert (scores["ownership"]["score"], scores["ownership"]["band"]) == (19, "poor")
    assert set(scores) == {"lead_hygiene", "duplicates", "ownership"}  # areas with no check run are left out
    assert overall_score(list(scores.values())) == 31  # (44 * 37 * 19) ** (1 / 3)
    assert all(entry["score"] is None for entry in health_scores(document(with_profile=False)))


def test_a_score_depends_on_the_share_of_problems_not_on_the_orgs_size():
    """The same findings in an org ten times larger score higher; ten times the findings there score the same."""
    small = document()
    large = document()
    counts = large["profile"]["record_counts"]
    large["profile"]["record_counts"] = {name: count * 10 for name, count in counts.items()}
    tenfold = [
        finding | {"record_id": f"{finding['record_id']}{copy}"} for finding in large["findings"] for copy in range(10)
    ]
    large_tenfold = large | {"findings": tenfold}

    def duplicates(doc):
        return next(entry for entry in health_scores(doc) if entry["area"] == "duplicates")["score"]

    assert duplicates(large) > duplicates(small)
    assert duplicates(large_tenfold) == duplicates(small)


def test_dozens_of_high_findings_never_read_as_good_health():
    """The complaint: 265 findings, 36 of them high, on 1,600 people read "96" in green."""
    people, open_leads = 1_600, 580
    findings = [
        {"check": "inactive_owner", "severity": "high", "sobject": "Lead", "record_id": f"00Q{n:015d}"}
        for n in range(36)
    ] + [
        {"check": "duplicate", "severity": "medium", "sobject": "Lead", "record_id": f"00Q{n:015d}"} for n in range(229)
    ]
    doc = {
        "checks": [{"name": "inactive_owner"}, {"name": "duplicate"}],
        "findings": findings,
        "profile": {
            "record_counts": {"Lead": 1_000, "Contact": people - 1_000},
            "lead_usage": {"open_leads": open_leads},
        },
    }
    scores = health_scores(doc)
    assert all(entry["band"] != "good" for entry in scores)
    assert overall_score(scores) < 80


def test_index_compares_orgs_and_links_only_relative_reports():
    """One row per org with its scores and counts; a report path with a scheme is not linked."""
    good = document()
    entries = [
        {
            "org": "acme",
            "org_id": "00D5g0000000001EAA",
            "instance_url": INSTANCE,
            "report": "acme/report.html",
            "summary": good["summary"],
            "health": health_scores(good),
        },
        {
            "org": "<b>evil</b>",
            "org_id": None,
            "instance_url": None,
            "report": "javascript:alert(1)",
            "summary": {"total": 3, "by_severity": {"high": 3}},
            "health": {"duplicates": 50},
        },
        {"org": "broken", "report": None, "summary": None, "health": [], "error": "login refused"},
    ]
    html = render_index_html(entries)
    assert '<a href="acme/report.html">acme</a>' in html
    assert "javascript:" not in html
    assert "&lt;b&gt;evil&lt;/b&gt;" in html
    assert "The audit failed: login refused" in html
    assert 'id="chart-comparison"' in html
    assert re.search(r"<script(?![^>]*application/json)", html) is None  # the index runs no script


def test_inlined_assets_cannot_break_out_of_their_elements_and_match_their_readme():
    """No asset holds </script> or </style>; the vendored files are the ones the README names."""
    assets = Path(report_package.__file__).parent / "assets"
    for path in assets.rglob("*.js"):
        assert "</script" not in path.read_text(encoding="utf-8").lower(), path
    for path in assets.rglob("*.css"):
        assert "</style" not in path.read_text(encoding="utf-8").lower(), path
    vendor = assets / "vendor" / "tabulator"
    listed = dict(
        reversed(line.split())
        for line in re.findall(r"^[0-9a-f]{64}  \S+$", (vendor / "README.md").read_text(), re.MULTILINE)
    )
    assert listed == {name: hashlib.sha256((vendor / name).read_bytes()).hexdigest() for name in listed}
    assert set(listed) == {"tabulator.min.js", "tabulator_simple.min.css"}


def test_a_survivors_merged_values_show_under_its_cluster_not_as_a_blob_in_its_row(page):
    """The merged record's values are the cluster's to show; the duplicate's row has no key: value dump of them."""
    rows = table_rows(page, "duplicate")
    assert all("merged_values" not in row["details"] and "Taro" not in row["details"] for row in rows)
    assert "Title <strong>&lt;script&gt;alert(" in page  # under the cluster, escaped


def table_rows(page: str, check: str) -> list[dict]:
    """The rows a check's table embeds, as the page's script reads them (objects by ROW_FIELDS)."""
    box = re.search(rf'id="check-{check}".*?data-findings="(rows-\d+)"', page, re.DOTALL).group(1)
    payload = re.search(rf'<script type="application/json" id="{box}">(.*?)</script>', page, re.DOTALL).group(1)
    return [dict(zip(ROW_FIELDS, row, strict=True)) for row in json.loads(payload)]


def table_layout(page: str, check: str) -> dict:
    """The columns a check's table has, as the page's script reads them (data-layout)."""
    section = re.search(rf'id="check-{check}"(.*?)</section>', page, re.DOTALL).group(1)
    return json.loads(htmllib.unescape(re.search(r"data-layout='([^']*)'", section).group(1)))


def stale(record_id: str, days: int, severity: Severity = Severity.LOW, **evidence: object) -> Finding:
    return finding(
        "stale_lead",
        record_id,
        severity=severity,
        evidence={
            "Status": "Open",
            "last_touch": f"2025-{1 + days % 12:02d}-02T09:00:00Z",
            "days_idle": days,
            **evidence,
        },
    )


def test_rows_name_the_person_and_show_the_checks_facts_most_severe_then_oldest_first():
    """Name, company and owner lead each row; the check's evidence keys are labelled columns; the order is by need."""
    items = [
        stale(LEAD_1, 100, name="Ann Lee", company="Acme", owner_name="Bo Ek"),
        stale(LEAD_2, 400, name="Zoë Ng", Company="Globex", owner_name="Cy Li", source="web_form"),
        stale(LEAD_3, 200, name="Ærø Ås", company="Ærø ApS", owner_name="Inbound Queue"),
        stale(LEAD_4, 50, Severity.HIGH, name="Hi Prio", company="Initech", owner_name="Di Bo"),
    ]
    page = render_report_html(document(items))
    rows = table_rows(page, "stale_lead")
    assert [(row["name"], row["company"], row["owner"]) for row in rows] == [
        ("Hi Prio", "Initech", "Di Bo"),  # most severe first, however young
        ("Zoë Ng", "Globex", "Cy Li"),  # then the oldest: the largest days_idle
        ("Ærø Ås", "Ærø ApS", "Inbound Queue"),
        ("Ann Lee", "Acme", "Bo Ek"),
    ]
    layout = table_layout(page, "stale_lead")
    assert [fact["label"] for fact in layout["facts"]] == ["Last touch", "Days idle", "Source"]
    assert [fact["numeric"] for fact in layout["facts"]] == [False, True, False]
    assert [row["facts"] for row in rows][:2] == [["2025-03-02", 50, None], ["2025-05-02", 400, "web form"]]
    assert layout["company"] == "Company"
    assert layout["severity"] is True  # the rows differ; a check whose rows agree leaves it to the heading
    # Every row's Status is Open: said once above the table, not in a column repeating it.
    assert re.search(r'<p class="shared">Every finding here:\s*Status <strong>Open</strong>\.</p>', page)
    assert '<p class="todo"><strong>What to do.</strong> Fix it</p>' in page
    assert all(row["details"] == "" for row in rows)


def test_evidence_the_columns_do_not_show_reads_as_words():
    """Details are labelled words ("Lead score: 11"), never "key: value" blobs of API names and underscores."""
    evidence = {
        "broken_rules": ["score_below_minimum", "required_field_blank:Email"],
        "converted_at": "2024-11-12T17:36:33Z",
        "Lead_Score__c": 11.0,
        "min_score": 50.0,
        "fields": {"Phone": {"value": "N/A", "problem": "is not a phone number", "level": "malformed"}},
        "owner_active": False,
        "other_accounts": [{"Id": "x"}, {"Id": "y"}],
        "a": 1,
        "b": 2,
        "c": 3,
    }
    page = render_report_html(document([finding("stale_lead", LEAD_1, evidence=evidence)]))
    (row,) = table_rows(page, "stale_lead")
    assert [fact["label"] for fact in table_layout(page, "stale_lead")["facts"]] == [
        "Broken rules",
        "Converted at",
        "Lead score",
        "Min score",
    ]
    assert row["facts"] == ["score below minimum, required field blank: Email", "2024-11-12", 11, 50]
    assert row["details"] == (
        "Fields: Phone 'N/A' is not a phone number · Owner active: no · 2 other accounts · A: 1 · B: 2 · C: 3"
    )


def test_a_record_without_names_still_shows_and_contacts_have_an_account_column():
    """Findings from an older audit (no names in evidence) show their Id; a Contacts-only check says Account."""
    page = render_report_html(document([finding("stale_lead", CONTACT, sobject="Contact")]))
    (row,) = table_rows(page, "stale_lead")
    assert (row["id"], row["name"], row["company"], row["owner"]) == (CONTACT, "", "", "")
    assert table_layout(page, "stale_lead")["company"] == "Account"


def test_a_check_opens_on_its_first_rows_with_the_rest_one_click_away():
    """Above the preview size a table is marked to open on its first rows, with a button for all of them."""
    many = [stale(to_18(f"00Q5g00000A{index:04d}"), index) for index in range(PREVIEW_ROWS + 3)]
    page = render_report_html(document([*many, finding("inactive_owner", LEAD_1)]))
    stale_box = re.search(r'<div class="findings([^"]*)" data-findings="[^"]*"[^>]*data-preview="(\d+)"', page)
    assert stale_box.groups() == (" preview", str(PREVIEW_ROWS))
    assert f"Show all {PREVIEW_ROWS + 3} findings</button>" in page
    owner_section = re.search(r'id="check-inactive_owner"(.*?)</section>', page, re.DOTALL).group(1)
    assert 'class="findings preview"' not in owner_section  # one finding: nothing to fold
    assert "show-all" not in owner_section


def test_duplicate_clusters_beyond_the_first_few_fold_away():
    """The first clusters show; the others are inside one <details>, a click away."""
    items = []
    for index in range(PREVIEW_CLUSTERS + 2):
        master, other = (to_18(f"00Q5g00000C{index:02d}{suffix}") for suffix in ("a1", "b2"))
        items += [
            finding("duplicate", master, group=master, related={"survivor": master}, evidence={"name": "A"}),
            finding("duplicate", other, group=master, related={"survivor": master}, evidence={"name": "A"}),
        ]
    page = render_report_html(document(items))
    before, folded = page.split('<details class="more-clusters">')
    assert before.count('<div class="cluster"') == PREVIEW_CLUSTERS
    assert "<summary>The other 2 groups</summary>" in folded
    assert folded.count('<div class="cluster"') == 2


def test_fill_rates_lead_with_the_fields_people_fill_by_label_system_fields_last():
    """People's fields most filled first, then checkboxes, then what Salesforce sets; labels, API names beside."""
    doc = document()
    doc["profile"]["fill_rates"] = {
        "Lead": [
            {"field": "Id", "filled": 8, "fill_rate": 1.0, "label": "Lead ID", "set_by_salesforce": True},
            {"field": "Fax", "filled": 0, "fill_rate": 0.0, "label": "Fax", "set_by_salesforce": False},
            {"field": "DoNotCall", "filled": 8, "fill_rate": 1.0, "label": "Do Not Call", "checkbox": True},
            {"field": "LeadSource", "filled": 6, "fill_rate": 0.75, "label": "Lead Source", "set_by_salesforce": False},
            {"field": "Lead_Score__c", "filled": 7, "fill_rate": 0.875},  # an older profile: no label, no kind
            {"field": "SystemModstamp", "filled": 8, "fill_rate": 1.0},
        ]
    }
    page = render_report_html(doc)
    table = re.search(r'<details class="fill-rates" data-sobject="Lead">(.*?)</details>', page, re.DOTALL).group(1)
    groups = re.findall(r'<tbody data-group="(\w+)">', table)
    assert groups == ["filled_by_people", "checkbox", "set_by_salesforce"]
    labels = re.findall(r"<tr><td>(.*?) <span", table)
    assert labels == ["Lead score", "Lead Source", "Fax", "Do Not Call", "Lead ID", "System modstamp"]
    assert '<span class="muted api">Lead_Score__c</span>' in table
    assert "6 fields, the ones people fill first" in table


def test_the_index_puts_ids_under_the_org_and_shows_a_failed_orgs_error_across_the_row():
    """No Org Id or Instance columns (it fits 1,400 px); a failed org's error spans the numbers it has not got."""
    entries = [
        {
            "org": "acme",
            "org_id": "00D5g0000000001EAA",
            "instance_url": INSTANCE,
            "report": "acme/report.html",
            "summary": document()["summary"],
            "health": health_scores(document()),
        },
        {"org": "broken", "report": None, "summary": None, "health": [], "error": "login refused <b>x</b>"},
    ]
    html = render_index_html(entries)
    header = re.search(r"<thead>(.*?)</thead>", html, re.DOTALL).group(1)
    assert "Org Id" not in header
    assert "Instance" not in header
    acme = re.search(r'<tr data-org="acme">(.*?)</tr>', html, re.DOTALL).group(1)
    assert '<span class="muted small">00D5g0000000001EAA</span>' in acme
    assert '<span class="muted small">acme.my.salesforce.com</span>' in acme
    broken = re.search(r'<tr data-org="broken" class="failed">(.*?)</tr>', html, re.DOTALL).group(1)
    columns = header.count("<th")
    span = int(
        re.search(
            r'<td class="error" colspan="(\d+)">The audit failed: login refused &lt;b&gt;x&lt;/b&gt;', broken
        ).group(1)
    )
    assert 1 + span == columns
