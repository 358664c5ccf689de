"""The demo org's Data Export imported: the same rows and the same findings as the pulled demo org."""

from __future__ import annotations

import zipfile

import pytest
from importing_helpers import DEMO_ORG_ID, EXPORT_ZIP, finding_facts, finding_key

from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.models import ColumnKind
from sfbridge.schema import IMPORT_CURSOR
from sfbridge.store.tables import DELETED_AT, SYNCED_AT
from sfbridge_tools.export_fixtures import OUT, write_exports
from sfbridge_tools.standard_fields import OUTPUT, render, standard_fields


def test_the_demo_export_finds_what_the_pulled_demo_finds(pulled_demo, imported_demo):
    """Every finding of the pulled demo org, and no other, comes out of its imported export, with the same facts."""
    imported, _report = imported_demo
    pulled_findings = {finding_key(f): f for f in pulled_demo.result.findings}
    imported_findings = {finding_key(f): f for f in imported.result.findings}
    assert len(pulled_findings) == len(pulled_demo.result.findings) == 265
    assert imported_findings.keys() == pulled_findings.keys()
    for key, finding in pulled_findings.items():
        assert finding_facts(imported_findings[key]) == finding_facts(finding), key


def test_the_imported_rows_are_the_pulled_rows(pulled_demo, imported_demo):
    """Each object's live records hold the same values, typed the same, whether pulled or imported."""
    imported, _report = imported_demo
    for sobject in DEFAULT_OBJECTS:
        pulled_rows = list(pulled_demo.store.rows(sobject))
        imported_rows = list(imported.store.rows(sobject))
        assert len(imported_rows) == len(pulled_rows) > 0, sobject
        shared = set(imported.store.state(sobject).columns) - {SYNCED_AT, DELETED_AT}
        for pulled, mine in zip(pulled_rows, imported_rows, strict=True):
            assert {k: mine[k] for k in shared} == {k: pulled[k] for k in shared}, (sobject, pulled["Id"])


def test_the_import_binds_the_store_and_stands_for_the_export(imported_demo, pulled_demo):
    """The org comes from Organization.csv and the zip's name; every object's state carries the import's cursor."""
    imported, report = imported_demo
    assert imported.store.org_id() == report.org_id == DEMO_ORG_ID
    assert "Organization.csv" in report.org_id_from
    assert "WE_" in report.org_id_from
    assert report.as_of == pulled_demo.result.snapshot_at == imported.result.snapshot_at
    assert report.missing == ()
    for sobject in DEFAULT_OBJECTS:
        state = imported.store.state(sobject)
        assert state.cursor == IMPORT_CURSOR
        assert state.completed_at == report.as_of
    run = imported.store.run(report.run_id)
    assert run["command"] == "import"
    assert run["outcome"] == "ok"
    assert run["counts"]["Lead"]["imported"] == 1000


def test_custom_fields_are_typed_from_their_values_and_said_so(imported_demo):
    """The org's own fields are not in the standard describe: typed from every value, and the report names them."""
    _imported, report = imported_demo
    lead = next(item for item in report.objects if item.sobject == "Lead")
    assert lead.typed_from_values["Lead_Score__c"] is ColumnKind.NUMBER
    assert lead.typed_from_values["Ready_To_Convert__c"] is ColumnKind.BOOLEAN
    assert lead.typed_from_values["UTM_Source__c"] is ColumnKind.TEXT
    assert "FirstName" not in lead.typed_from_values
    account = next(item for item in report.objects if item.sobject == "Account")
    assert account.typed_from_values == {"Customer_Since__c": ColumnKind.DATE}


def test_the_export_fixtures_regenerate_byte_for_byte(tmp_path):
    """`python -m sfbridge_tools.export_fixtures` rebuilds exactly the files under fixtures/import/."""
    written = write_exports(tmp_path)
    assert sorted(p.relative_to(tmp_path) for p in written) == sorted(
        p.relative_to(OUT) for p in OUT.rglob("*") if p.is_file()
    )
    for path in written:
        assert path.read_bytes() == (OUT / path.relative_to(tmp_path)).read_bytes(), path.name


def test_the_bundled_standard_describe_is_current():
    """`python -m sfbridge_tools.standard_fields` writes the bundled table as it is, custom fields left out."""
    assert OUTPUT.read_text(encoding="utf-8") == render(standard_fields())
    assert not any(name.endswith("__c") for fields in standard_fields().values() for name, _t, _l in fields)


def test_the_export_is_written_as_data_export_writes_it():
    """Every value quoted, UTC datetimes with milliseconds and Z, checkboxes true/false, CRLF line ends."""
    with zipfile.ZipFile(EXPORT_ZIP) as archive:
        lead = archive.read("Lead.csv").decode("utf-8")
    header, first = lead.split("\r\n")[:2]
    assert header.startswith('"Id",')
    assert first.startswith('"00Q')
    assert '"true"' in lead
    assert '"false"' in lead
    assert "T09:00:00.000Z" in lead or "T12:00:00.000Z" in lead


@pytest.mark.parametrize("sobject", ["Lead", "Contact"])
def test_people_keep_every_field_the_export_holds(imported_demo, sobject):
    """Lead and Contact keep all their exported fields, as a pull keeps every described field."""
    imported, _report = imported_demo
    with zipfile.ZipFile(EXPORT_ZIP) as archive:
        header = archive.read(f"{sobject}.csv").decode("utf-8").split("\r\n")[0]
    names = {cell.strip('"') for cell in header.split(",")}
    assert set(imported.store.state(sobject).columns) == names
