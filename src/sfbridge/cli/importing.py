"""`sfbridge import`: a Data Export zip or Data Loader CSVs into the org's store, for audits before API access."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from sfbridge.cli.common import (
    ConfigOption,
    JsonOption,
    LogFormat,
    LogFormatOption,
    OrgOption,
    StoreOption,
    VerboseOption,
    app,
    err,
    exit_codes,
    load_profile,
    out,
    setup_logging,
)
from sfbridge.errors import UsageError

if TYPE_CHECKING:
    from sfbridge.importing import ImportReport

__all__ = ["import_command", "import_json"]

#: What each object's absence costs the checks, said when the export has no file for it.
MISSING_MEANS = {
    "Lead": "no lead checks can run",
    "Contact": "contacts are neither audited nor matched against leads",
    "Account": "leads are not matched to accounts, and contacts' companies are unknown",
    "User": "inactive_owner finds nothing (whether owners are active is unknown)",
    "Group": "queues are named by their Id, not their name",
    "LeadStatus": (
        "with statuses.* 'auto' no status counts as closed or qualified, so every unconverted lead is open: "
        "list them in the rules file"
    ),
    "Opportunity": "the org profile counts no opportunities",
    "Task": "never_touched_lead judges on LastActivityDate alone; premature_conversion skips its activity rule",
    "LeadHistory": "premature_conversion skips its qualified-status rule",
}


def import_json(report: ImportReport) -> dict[str, Any]:
    """The import as JSON: the org, the moment it stands for, and per object what was written."""
    return {
        "org": report.org,
        "org_id": report.org_id,
        "org_id_from": report.org_id_from,
        "store": report.store_url,
        "as_of": report.as_of.isoformat().replace("+00:00", "Z"),
        "run_id": report.run_id,
        "records": report.records,
        "objects": [
            {
                "sobject": item.sobject,
                "file": item.file,
                "rows": item.rows,
                "left_out_rows": item.left_out_rows,
                "columns": item.columns,
                "typed_from_values": {name: kind.value for name, kind in item.typed_from_values.items()},
                "left_out_columns": list(item.left_out_columns),
            }
            for item in report.objects
        ],
        "missing": {sobject: MISSING_MEANS.get(sobject, "") for sobject in report.missing},
        "ignored_files": list(report.ignored_files),
        "elapsed_seconds": round(report.elapsed_seconds, 3),
    }


def _print(report: ImportReport) -> None:
    from rich.table import Table

    table = Table(title=f"Imported into {report.store_url}", title_justify="left")
    for name, justify in (("object", "left"), ("file", "left"), ("records", "right"), ("typed from values", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for item in report.objects:
        typed = ", ".join(f"{name} ({kind.value})" for name, kind in item.typed_from_values.items())
        table.add_row(item.sobject, escape(item.file), f"{item.rows:,}", escape(typed) or "-")
    out.print(table)
    for item in report.objects:
        if item.left_out_columns:
            err.print(f"{item.sobject}: left out {escape(', '.join(item.left_out_columns))}", highlight=False)
        if item.left_out_rows:
            err.print(
                f"{item.sobject}: left out {item.left_out_rows:,} rows a pull would not read (deleted records, "
                "or not queues / Status changes)",
                highlight=False,
            )
    if any(item.typed_from_values for item in report.objects):
        err.print(
            "Fields outside Salesforce's standard describe are typed from their values: text unless every value "
            "is a number, a date, a datetime or true/false. A later pull types them from the org's describe.",
            highlight=False,
        )
    for sobject in report.missing:
        err.print(f"No {sobject} file: {MISSING_MEANS.get(sobject, '')}.", highlight=False)
    if report.ignored_files:
        err.print(f"Not read: {escape(', '.join(report.ignored_files))}", highlight=False)
    err.print(
        f"Org {report.org_id} (from {escape(report.org_id_from)}) as of {report.as_of:%Y-%m-%d %H:%M:%S} UTC: "
        f"`sfbridge audit --org {report.org} --offline` audits it.",
        highlight=False,
    )


@app.command("import")
def import_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="A Data Export zip (WE_<org Id>_1.ZIP), its unpacked folder, or a folder of Data Loader CSVs."
        ),
    ],
    org: OrgOption = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    org_id: Annotated[
        str | None,
        typer.Option(
            "--org-id", help="The org's Id, when the export has no Organization.csv and is not named WE_<org Id>_1.ZIP."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The moment the export stands for, UTC (default: its newest SystemModstamp); ages count from it.",
        ),
    ] = None,
    skip_unknown_columns: Annotated[
        bool,
        typer.Option(
            "--skip-unknown-columns", help="Leave out columns whose header is not an API name (Owner.Name, say)."
        ),
    ] = False,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Import a Salesforce Data Export or Data Loader CSVs into the org's store, all or nothing.

    Reads Lead, Contact, Account, User, Group, LeadStatus, Opportunity, Task and LeadHistory
    (those present) into the tables a pull writes, so audit --offline, report, trends and plan
    --offline work before any API access. The first pull of the same org later takes the store over.
    """
    from sfbridge.credentials import store_url
    from sfbridge.importing import import_export
    from sfbridge.importing.target import IMPORTED
    from sfbridge.report.terminal import to_json
    from sfbridge.store import Store
    from sfbridge.store.files import discard_new_store, new_sqlite_paths
    from sfbridge.wire import parse_datetime

    setup_logging(log_format, verbose)
    with exit_codes():
        profile, _config_dir = load_profile(config, org)
        moment = None
        if as_of is not None:
            try:
                moment = parse_datetime(as_of)
            except ValueError as exc:
                msg = f"--as-of {as_of!r} is not a date and time (give e.g. 2026-11-02T06:00:00Z)"
                raise UsageError(msg) from exc
        url = store or store_url(profile)
        created = new_sqlite_paths(url)
        mirror: Store | None = None
        try:
            mirror = Store.open(url)
            report = import_export(
                path,
                mirror,
                org=profile.name,
                org_id=org_id,
                as_of=moment,
                skip_unknown_columns=skip_unknown_columns,
            )
        except BaseException:
            if created:  # nothing was committed: the store this import created goes with it
                discard_new_store(mirror, created, objects=IMPORTED, org_id="import")
            raise
    if as_json:
        out.print_json(to_json(import_json(report)))
    else:
        _print(report)
