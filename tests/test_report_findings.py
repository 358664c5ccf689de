"""findings.json and the Data Loader CSVs: shapes, escaping, stability."""

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

import sfbridge.report.findings
from sfbridge.models import Finding, Severity
from sfbridge.report.findings import (
    SCHEMA_VERSION,
    findings_csv,
    findings_document,
    findings_json,
    write_findings_json,
)

AT = datetime(2026, 11, 2, 12, tzinfo=UTC)


def finding(**overrides):
    values = {
        "check": "missing_lead_source",
        "severity": Severity.LOW,
        "sobject": "Lead",
        "record_id": "00Q5g00000AbCdEEAV",
        "reason": 'LeadSource is blank; UTM_Source__c says "google"',
        "suggested_action": "Set LeadSource to Advertisement",
        "evidence": {"UTM_Source__c": "google", "history": ["a", "b"]},
        "suggested_values": {"LeadSource": "Advertisement"},
    }
    values.update(overrides)
    return Finding(**values)


def test_csv_puts_id_and_suggested_fields_first_for_data_loader():
    """Id, then the fields a fix sets under their API names, then context columns."""
    text = findings_csv([finding(), finding(record_id="00Q5g00000AbCdFEAV", suggested_values={})])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Id", "LeadSource", "Object"]
    assert rows[1][:2] == ["00Q5g00000AbCdEEAV", "Advertisement"]
    assert rows[2][1] == ""
    assert "Evidence: UTM_Source__c" in rows[0]
    assert json.loads(rows[1][rows[0].index("Evidence: history")]) == ["a", "b"]
    assert text.endswith("\r\n")


def test_csv_of_no_findings_is_just_a_header():
    """A clean check still gets a file, with the header only."""
    assert findings_csv([]).splitlines() == ["Id,Object,Severity,Reason,Suggested Action,Group,Score"]


def test_csv_keeps_commas_quotes_newlines_and_non_latin_text_intact():
    """Values that need quoting round-trip through a CSV reader unchanged."""
    tricky = 'Rennes, "Bretagne"\nsecond line, 山田 太郎'
    rows = list(csv.reader(io.StringIO(findings_csv([finding(reason=tricky)]))))
    assert rows[1][rows[0].index("Reason")] == tricky


def test_csv_guards_formula_looking_context_but_keeps_data_loader_values_exact():
    """A value starting like a formula is text in the columns people read, exact in the ones Data Loader maps."""
    hostile = '=HYPERLINK("https://evil.example","click")'
    item = finding(
        reason=f"{hostile} looks like a duplicate",
        evidence={"name": "@SUM(A1)", "phone": "+1 415 555 0100", "days": -3},
        suggested_values={"LeadSource": "-Web", "Phone": "+14155550100"},
    )
    rows = list(csv.reader(io.StringIO(findings_csv([item]))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["LeadSource"], row["Phone"]) == ("-Web", "+14155550100")  # what Data Loader writes, exactly
    assert row["Reason"] == f"'{hostile} looks like a duplicate"
    assert (row["Evidence: name"], row["Evidence: phone"]) == ("'@SUM(A1)", "'+1 415 555 0100")
    assert row["Evidence: days"] == "-3"  # a number is a number, not a formula


def test_findings_json_is_versioned_and_summarised():
    """The document carries its schema name and version, per-check counts and every finding."""
    document = findings_document(
        [finding(), finding(check="stale_lead", severity=Severity.MEDIUM, suggested_values={})],
        org={"name": "acme", "org_id": "00D5g000000AbCdEAK", "instance_url": "https://acme.my.salesforce.com"},
        snapshot_at=AT,
        run_id=7,
        checks=[
            {"name": "missing_lead_source", "title": "Missing lead source", "explains": "x", "severity": "low"},
            {"name": "stale_lead", "title": "Stale leads", "explains": "y", "severity": "medium"},
        ],
        rules={"stale_days": 90},
        generated_at=AT,
    )
    parsed = json.loads(findings_json(document))
    assert (parsed["schema"], parsed["schema_version"]) == ("sfbridge.findings", SCHEMA_VERSION)
    assert parsed["snapshot_at"] == "2026-11-02T12:00:00Z"
    assert parsed["summary"]["by_check"]["stale_lead"] == {"count": 1, "severity": "medium"}
    assert parsed["summary"]["by_severity"] == {"info": 0, "low": 1, "medium": 1, "high": 0}
    assert [check["count"] for check in parsed["checks"]] == [1, 1]
    assert parsed["findings"][0]["suggested_values"] == {"LeadSource": "Advertisement"}
    assert parsed["trends"] is None  # a first audit: nothing to compare with


def test_readme_documents_every_key_of_findings_json():
    """The README's findings.json section names every key of the document, of a finding and of trends."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### findings.json") : readme.index("### report.md")]
    named = set(re.findall(r"`([a-z_]+)(?:\.[a-z_]+)*`", section))  # `summary.total` names `summary`
    document = findings_document(
        [finding()], org={}, snapshot_at=AT, run_id=1, checks=[], rules={}, trends={"by_check": {}}
    )
    trends_keys = {"previous_run_id", "previous_started_at", "by_check", "totals", "new", "resolved", "still_open"}
    assert set(document) | set(document["findings"][0]) | trends_keys <= named
    assert f"`schema_version` {SCHEMA_VERSION}" in section


def old_write_findings_json(file, document, batch_size):
    """write_findings_json as it was: each batch rendered as a list, then indented again by a pass over its bytes."""
    options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    items = document["findings"]
    rest = orjson.dumps({key: value for key, value in document.items() if key != "findings"}, option=options)
    file.write(rest[:-2] + b',\n  "findings": [')
    for start in range(0, len(items), batch_size):
        batch = orjson.dumps(items[start : start + batch_size], option=options, default=str)
        file.write((b"," if start else b"") + batch[1:-2].replace(b"\n", b"\n  "))
    file.write(b"\n  ]\n}\n")


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5, 2_000])
def test_findings_json_written_in_batches_is_the_same_bytes_as_before_and_as_whole(monkeypatch, batch_size):
    """Batches of any size (one finding, a short last batch, all in one) give the old path's bytes and the whole's."""
    tricky = [
        finding(),
        finding(record_id="00Q5g00000AbCdFEAV", evidence={}, suggested_values={}),  # empty objects stay "{}"
        finding(reason='ends like a batch\n  ]\n}", "findings": [', evidence={"nested": {"deep": [{"a": []}]}}),
        finding(reason="Zoë Müller, 株式会社 ☎", evidence={"score": 0.1 + 0.2, "big": 2**63, "none": None}),
        finding(record_id="003000000000001AAA", sobject="Contact", evidence={"lines": ["x\r\ny", "\u2028"]}),
    ]
    document = findings_document(
        tricky, org={"name": "acme"}, snapshot_at=AT, run_id=7, checks=[], rules={"a": 1}, generated_at=AT
    )
    monkeypatch.setattr(sfbridge.report.findings, "_JSON_BATCH", batch_size)
    new, old = io.BytesIO(), io.BytesIO()
    write_findings_json(new, document)
    old_write_findings_json(old, document, batch_size)
    assert new.getvalue() == old.getvalue() == findings_json(document)
    assert json.loads(new.getvalue())["findings"] == [item.plain for item in tricky]
