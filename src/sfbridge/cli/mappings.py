"""`sfbridge mappings export`: the lead conversion field mappings as deployable metadata."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sfbridge.cli.common import ConfigOption, app, err, exit_codes
from sfbridge.cli.help import HelpGroup
from sfbridge.errors import ConfigError, UsageError
from sfbridge.metadata_names import SETTINGS_FILE_NAME

if TYPE_CHECKING:
    from sfbridge.mappings import Mappings

__all__ = ["export", "mappings_app"]

mappings_app = typer.Typer(
    help="Lead conversion field mappings (config/mappings.toml): Lead field → Contact, Account or Opportunity field.",
    no_args_is_help=True,
    cls=HelpGroup,
)
app.add_typer(mappings_app, name="mappings")

MappingsOption = Annotated[
    Path | None,
    typer.Option("--mappings", help="Mappings file (default: mappings.toml beside the config file).", dir_okay=False),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help=f"Write the file here, e.g. force-app/main/default/LeadConvertSettings/{SETTINGS_FILE_NAME} "
        "(default: standard output).",
        dir_okay=False,
    ),
]


@mappings_app.command("export")
def export(
    config: ConfigOption = None,
    mappings_file: MappingsOption = None,
    output: OutputOption = None,
) -> None:
    """Write the custom-to-custom mappings as a LeadConvertSettings metadata file an admin can deploy."""
    from sfbridge.config import find_config_file
    from sfbridge.mappings import lead_convert_settings_xml, load_mappings

    with exit_codes():
        path = mappings_file or find_config_file(config).parent / "mappings.toml"
        if not path.is_file():
            msg = "no mappings file here; create it (see config/mappings.toml in sfbridge) or pass --mappings PATH"
            raise ConfigError(msg, source=str(path))
        mappings = load_mappings(path)
        _refuse_empty(mappings, path=path)
        document = lead_convert_settings_xml(mappings)
        if output is None:
            typer.echo(document, nl=False)
        else:
            _write(output, document)
        _explain(mappings, output=output)


def _refuse_empty(mappings: Mappings, *, path: Path) -> None:
    # The org's mappings are set from a deployed LeadConvertSettings file, so a file without any
    # could erase the mappings an admin made in Setup: never write one.
    from sfbridge.mappings import split_exportable

    exportable, _ = split_exportable(mappings)
    if not mappings.rules:
        msg = "no mappings to export: add [[mapping]] entries (the file's comments show how)"
        raise ConfigError(msg, source=str(path))
    if not exportable:
        msg = (
            "no mapping takes a custom Lead field to a custom field, which is all LeadConvertSettings can hold; "
            "nothing to export (sfbridge still applies the other mappings after each conversion)"
        )
        raise ConfigError(msg, source=str(path))


def _write(output: Path, document: bytes) -> None:
    from sfbridge.output_files import write_atomically

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(output, document)
    except OSError as exc:
        msg = f"--output: cannot write {output} ({exc.strerror}); choose a writable path"
        raise UsageError(msg) from exc


def _explain(mappings: Mappings, *, output: Path | None) -> None:
    from sfbridge.mappings import split_exportable

    exportable, others = split_exportable(mappings)
    where = f" to {output}" if output is not None else ""
    err.print(f"Exported {len(exportable)} field mapping(s){where}.", highlight=False, soft_wrap=True)
    for rule in others:
        err.print(
            f"  not exported: {rule.label}: Salesforce maps only custom fields to custom fields; "
            "sfbridge writes it after each conversion",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
