"""Bad exports through `sfbridge import`: exit 2 naming the file, line and fix; nothing imported or left behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from importing_helpers import DEMO_ORG_ID, EXPORT_ZIP, run_import, unpack

from sfbridge.ids import to_18
from sfbridge.store import Store

LEAD_ID = "00Q9P0000F9qkitUQA"  # a well-formed Lead Id (see sfbridge.ids' doctests)


def lead_file(folder: Path, text: str | bytes, name: str = "Lead.csv") -> Path:
    """An export folder of one Lead file (and the org named by --org-id)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return folder


HEADER = "Id,LastName,Company,Status,CreatedDate,SystemModstamp\n"
GOOD = f"{LEAD_ID},Doe,Acme,Open,2026-01-05T10:00:00.000Z,2026-01-05T10:00:00.000Z\n"


def assert_refused(result, folder: Path, *words: str) -> None:
    """Exit 2, one message naming every word, and no store file left."""
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert "Traceback" not in result.output
    assert not (folder / "store.db").exists()


def test_a_good_single_lead_file_imports(tmp_path):
    """The bad cases below differ from this one, which imports, in one thing each."""
    export = lead_file(tmp_path / "export", HEADER + GOOD)
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["records"] == 1
    assert document["org_id"] == DEMO_ORG_ID
    assert document["as_of"] == "2026-01-05T10:00:00Z"
    assert "Task" in document["missing"]
    assert Store.open(str(tmp_path / "store.db"), create=False).count("Lead") == 1


def test_the_summary_names_what_was_typed_from_values_and_what_is_missing(tmp_path):
    """On a terminal's streams: the table of objects, the fields typed from values, each missing file's cost."""
    text = HEADER.replace("\n", ",Segment__c\n") + GOOD.replace("\n", ",Enterprise\n")
    result = run_import(tmp_path, lead_file(tmp_path / "export", text), "--org-id", DEMO_ORG_ID)
    assert result.exit_code == 0, result.output
    assert "Segment__c (text)" in result.stdout
    assert "typed from their values" in result.stderr
    assert "No Task file: never_touched_lead judges on LastActivityDate alone" in result.stderr
    assert f"Org {DEMO_ORG_ID} (from --org-id) as of 2026-01-05 10:00:00 UTC" in result.stderr


def test_semicolons_instead_of_commas(tmp_path):
    """A file saved with semicolons (Excel in many locales) is refused at its header."""
    export = lead_file(tmp_path / "export", (HEADER + GOOD).replace(",", ";"))
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv, line 1", "separated by semicolons, not commas", "comma-separated")


def test_a_file_not_in_utf8_names_its_line(tmp_path):
    """A Windows-1252 export is refused at the line of its first non-UTF-8 byte."""
    text = HEADER + GOOD + GOOD.replace("Doe", "Müller").replace("kit", "kiu")
    export = lead_file(tmp_path / "export", text.encode("cp1252"))
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv, line 3", "not UTF-8", "UTF-8")


def test_a_byte_order_mark_is_fine(tmp_path):
    """UTF-8 with a byte-order mark (Excel's 'CSV UTF-8') imports, its Id column found."""
    export = lead_file(tmp_path / "export", "\ufeff" + HEADER + GOOD.replace("Doe", "Müller"))
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert result.exit_code == 0, result.output
    rows = list(Store.open(str(tmp_path / "store.db"), create=False).rows("Lead"))
    assert rows[0]["LastName"] == "Müller"


def test_a_header_of_labels_is_refused_naming_the_api_names(tmp_path):
    """A report's export, headed 'Lead ID', 'Last Name', is not an export of records."""
    export = lead_file(tmp_path / "export", "Lead ID,Last Name,Company\n" + f"{LEAD_ID},Doe,Acme\n")
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv, line 1", "no Id column", "'Last Name' is the label of LastName")


def test_one_column_that_is_not_an_api_name(tmp_path):
    """`Owner.Name` is refused naming its column; --skip-unknown-columns leaves it out and imports."""
    text = "Id,LastName,Owner.Name,SystemModstamp\n" + f"{LEAD_ID},Doe,Ann Boss,2026-01-05T10:00:00.000Z\n"
    export = lead_file(tmp_path / "export", text)
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv, line 1", "column 3, 'Owner.Name'", "--skip-unknown-columns")
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID, "--skip-unknown-columns", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objects"][0]["left_out_columns"] == ["'Owner.Name' (not an API name)"]


def test_a_record_with_the_wrong_number_of_values_names_its_line(tmp_path):
    """Line numbers count the line breaks inside quoted values: the bad record starts on line 5."""
    second = '00Q9P0000F9qkjjUQA,"Doe\nJr.",Acme,Open,2026-01-05T10:00:00.000Z,2026-01-05T10:00:00.000Z\n'
    bad = "00Q9P0000F9qkk0UQA,Roe,Acme,Open,2026-01-05T10:00:00.000Z\n"
    export = lead_file(tmp_path / "export", HEADER + GOOD + second + bad)
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv, line 5", "5 values but the header names 6 columns")


def test_an_id_that_fails_its_checksum_names_its_line(tmp_path):
    """An Id whose case was changed (by a case-insensitive tool) fails its 18-character checksum."""
    export = lead_file(tmp_path / "export", HEADER + GOOD + GOOD.replace(LEAD_ID, LEAD_ID.lower()[:15] + "UQA"))
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv, line 3", "Id should hold an Id", "wrong case-safe suffix")


def test_a_value_that_does_not_fit_its_field_names_its_line(tmp_path):
    """A datetime written as a local date is refused with the field and line."""
    export = lead_file(tmp_path / "export", HEADER + GOOD.replace("2026-01-05T10:00:00.000Z,2026", "05/01/2026,2026"))
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv, line 2", "CreatedDate should hold a datetime", "'05/01/2026'")


def test_no_org_id_anywhere_asks_for_one(tmp_path):
    """Record Ids do not carry their org: without Organization.csv or a WE_ name, --org-id is needed."""
    export = lead_file(tmp_path / "export", HEADER + GOOD)
    result = run_import(tmp_path, export)
    assert_refused(result, tmp_path, "--org-id", "Company Information")


def test_two_sources_that_disagree_on_the_org(tmp_path):
    """--org-id naming another org than the export's Organization.csv is refused before anything is written."""
    result = run_import(tmp_path, EXPORT_ZIP, "--org-id", to_18("00D5g000004Abcd"))
    assert_refused(result, tmp_path, "named twice, differently", f"Organization.csv says {DEMO_ORG_ID}")


def test_an_org_id_that_is_not_one(tmp_path):
    """--org-id with a Lead's Id (or a typo) is refused naming where the org's Id is shown."""
    result = run_import(tmp_path, EXPORT_ZIP, "--org-id", LEAD_ID)
    assert_refused(result, tmp_path, "is not a Salesforce Organization Id", "Company Information")


def test_two_files_for_one_object(tmp_path):
    """lead.csv and Lead_export.csv in one folder: which is the org's is the user's call."""
    export = lead_file(tmp_path / "export", HEADER + GOOD)
    shutil.copy(export / "Lead.csv", export / "Lead_export.csv")
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "Lead.csv and", "Lead_export.csv hold Lead records", "one file per object")


def test_a_folder_without_object_files(tmp_path):
    """A folder of other CSVs names what sfbridge reads and what it found."""
    export = lead_file(tmp_path / "export", "Id,Name\n", name="Campaign.csv")
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "holds none of the files sfbridge imports", "Campaign.csv")


@pytest.mark.parametrize("broken", ["Task.csv", "Lead.csv"])
def test_a_bad_file_anywhere_leaves_an_existing_store_as_it_was(tmp_path, broken):
    """The first import stays whole when a second one fails on its first or last object."""
    assert run_import(tmp_path, EXPORT_ZIP).exit_code == 0
    store = Store.open(str(tmp_path / "store.db"), create=False)
    before = {sobject: store.count(sobject) for sobject in ("Lead", "Task")}
    runs_before = store.recent_runs(limit=10)
    export = unpack(EXPORT_ZIP, tmp_path / "unpacked")
    lines = (export / broken).read_bytes().split(b"\r\n")
    lines[-2] = lines[-2] + b',"extra"'  # the last record gets one value too many
    (export / broken).write_bytes(b"\r\n".join(lines))
    (export / "Lead.csv").write_bytes((export / "Lead.csv").read_bytes().replace(b'"Doe"', b'"Dough"'))
    result = run_import(tmp_path, export)
    assert result.exit_code == 2, result.output
    assert f"{broken}, line" in result.stderr
    store = Store.open(str(tmp_path / "store.db"), create=False)
    assert {sobject: store.count(sobject) for sobject in ("Lead", "Task")} == before
    assert store.recent_runs(limit=10) == runs_before


def test_one_record_twice(tmp_path):
    """An Id on two records is refused (the mirror keeps one row per record), naming the object."""
    export = lead_file(tmp_path / "export", HEADER + GOOD + GOOD.replace("Doe", "Roe"))
    result = run_import(tmp_path, export, "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "the Lead file", "two records have the same Id")


def test_a_path_that_is_not_there(tmp_path):
    """A mistyped path is named, with what to give instead."""
    result = run_import(tmp_path, tmp_path / "WE_nothing.ZIP", "--org-id", DEMO_ORG_ID)
    assert_refused(result, tmp_path, "WE_nothing.ZIP: no such file or folder", "zip, folder or CSV")


def test_headers_in_capitals_are_read_as_api_names(tmp_path):
    """A header written in capitals (ID, LASTNAME, LEAD_SCORE__C) names the same fields."""
    text = "ID,LASTNAME,SYSTEMMODSTAMP,LEAD_SCORE__C\n" + f"{LEAD_ID},Doe,2026-01-05T10:00:00.000Z,85\n"
    result = run_import(tmp_path, lead_file(tmp_path / "export", text), "--org-id", DEMO_ORG_ID)
    assert result.exit_code == 0, result.output
    row = next(Store.open(str(tmp_path / "store.db"), create=False).rows("Lead"))
    assert row["LastName"] == "Doe"
    assert row["LEAD_SCORE__c"] == 85.0
