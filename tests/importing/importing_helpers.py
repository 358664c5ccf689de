"""What the import tests share: how findings compare, where the exports are, running `sfbridge import`."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from sfbridge.cli import app
from sfbridge.models import Finding
from sfbridge_tools.export_fixtures import OUT

DEMO_ORG_ID = "00D9P0000L6772hUQA"
EXPORT_ZIP = OUT / f"WE_{DEMO_ORG_ID}_1.ZIP"
DATALOADER = OUT / "dataloader"
runner = CliRunner()


def finding_key(finding: Finding) -> tuple[str, str, str]:
    """A finding's identity: its check and record."""
    return finding.check, finding.sobject, finding.record_id


def finding_facts(finding: Finding) -> dict[str, Any]:
    """What a finding says, less the wording of a duplicate pair's reasons.

    A duplicate pair's reasons read the two records in the order the search met them ("same
    first name Ines" or "... Inés"), which follows the rows' order in the store; a pull writes
    records in SystemModstamp order, an export lists them as it likes. Everything else must match.
    """
    facts = finding.model_dump()
    if finding.check == "duplicate":
        facts.pop("reason")
        evidence = dict(facts["evidence"])
        evidence["matches"] = sorted((m["other_id"], m["score"]) for m in evidence["matches"])
        facts["evidence"] = evidence
    return facts


def unpack(zipped: Path, folder: Path) -> Path:
    """The export's files, unpacked into a folder (to break one of them)."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(folder)
    return folder


def write_config(folder: Path) -> Path:
    """A profile for an org known only from its exports (no credentials are needed to import)."""
    path = folder / "sfbridge.toml"
    path.write_text(
        '[orgs.client]\nauth = "client_credentials"\nlogin_url = "https://client.my.salesforce.com"\n'
        'consumer_key = "3MVGclient"\n',
        encoding="utf-8",
    )
    return path


def run_import(folder: Path, export: Path, *options: str) -> Result:
    """`sfbridge import EXPORT --org client` with the store at folder/store.db."""
    args = ["import", str(export), "--org", "client", "--config", str(write_config(folder))]
    return runner.invoke(app, [*args, "--store", str(folder / "store.db"), *options], catch_exceptions=False)
