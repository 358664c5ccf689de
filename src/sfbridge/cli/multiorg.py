"""Audit several orgs in one run (`audit --org a --org b`, `--all-orgs`), then index them side by side.

Each org is pulled into and audited from its own store (its profile's), and its files go to
``<out>/<org>/``: the same paths a one-org audit with the default ``--out`` writes. The index
(``<out>/index.html``, ``<out>/index.md``) compares them. An org that fails (refused
credentials, an empty store) is shown failed in the index and the others still run; the run
exits with the worst code of them all (0 ok < 1 findings at ``--fail-on`` < 2 usage or config
< 3 Salesforce, network or store).

``--all-orgs`` leaves out profiles that replay a recording (``replay = ...``, the bundled demo
org): they are for trying sfbridge, not client orgs, and would sit in every consultant's
index. Named with ``--org``, they are audited like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.markup import escape

from sfbridge.cli.common import EXIT_FAILURE, EXIT_USAGE, err, exit_codes, out
from sfbridge.config import OrgProfile, Settings, find_config_file, load_settings
from sfbridge.errors import SfbridgeError, UsageError, UserInputError
from sfbridge.output_files import check_output_folder
from sfbridge.outputs import write_index_outputs
from sfbridge.report.index import error_entry, index_entry
from sfbridge.report.terminal import orgs_audit_table, to_json

__all__ = ["AuditOne", "OrgAudit", "audit_orgs", "choose_profiles"]

# A profile name becomes a folder name: nothing that could climb out of --out or nest in it.
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


@dataclass(frozen=True)
class OrgAudit:
    """What one org's audit gives the index: its document, its `--json` summary, its exit code."""

    document: dict[str, Any]
    summary: dict[str, Any]
    exit_code: int


#: Audits one org: (profile, config folder, output folder) → its result; raises SfbridgeError.
AuditOne = Callable[[OrgProfile, Path, Path], OrgAudit]


def choose_profiles(settings: Settings, *, names: Sequence[str], all_orgs: bool) -> list[OrgProfile]:
    """The orgs to audit: those named (in order, once each), or every non-replay profile.

    Raises:
        UsageError: for ``--all-orgs`` with ``--org``, nothing left to audit, or a profile
            name that cannot be a folder name.
        ConfigError: for a name that is not a profile.
    """
    if all_orgs and names:
        msg = "--all-orgs audits every org in the config; leave out --org, or name the orgs without --all-orgs"
        raise UsageError(msg)
    if all_orgs:
        profiles = [profile for profile in settings.orgs.values() if profile.replay is None]
        skipped = [profile.name for profile in settings.orgs.values() if profile.replay is not None]
        if skipped:
            err.print(
                f"Leaving out {escape(', '.join(skipped))}: recorded demo orgs (name one with --org to audit it)."
            )
    else:
        profiles = [settings.org(name) for name in dict.fromkeys(names)]
    if not profiles:
        msg = f"no orgs to audit in {settings.source}: every profile replays a recording; name one with --org"
        raise UsageError(msg)
    for profile in profiles:
        if not _FOLDER_NAME.fullmatch(profile.name):
            msg = (
                f"org {profile.name!r} cannot name its report folder; use letters, digits, '.', '_' and '-' "
                "in profile names to audit several orgs at once"
            )
            raise UsageError(msg)
    return profiles


def audit_orgs(
    config: Path | None,
    *,
    names: Sequence[str],
    all_orgs: bool,
    store: str | None,
    out_dir: Path | None,
    as_json: bool,
    audit_one: AuditOne,
) -> int:
    """Audit several orgs one after another, write the index, and return the worst exit code.

    Args:
        config: the ``--config`` file, if given.
        names: the ``--org`` names.
        all_orgs: audit every profile but the recorded demo orgs.
        store: ``--store``, refused here (each org has its own store).
        out_dir: the folder holding one folder per org and the index (default: sfbridge-reports).
        as_json: print one JSON document instead of tables.
        audit_one: audits one org and writes its files.

    Returns:
        The worst exit code of the orgs (0 when every audit ran clean).
    """
    with exit_codes():  # a bad config or a mistyped --org stops the run before any org starts
        if store is not None:
            msg = "--store names one store, but each org is audited from its own: leave --store out"
            raise UsageError(msg)
        path = find_config_file(config)
        settings = load_settings(path)
        profiles = choose_profiles(settings, names=names, all_orgs=all_orgs)
        root = out_dir or Path("sfbridge-reports")
        check_output_folder(root, option="--out")  # before the first org's pull
        results = [_audit_safely(profile, path.parent, root, audit_one) for profile in profiles]
        if all_orgs:  # a broken profile is that org's failure, not the others'
            results += [_broken(name, message) for name, message in sorted(settings.broken.items())]
        entries = [entry for entry, _ in results]
        index = write_index_outputs(root, entries)
    worst = max(int(entry["exit_code"]) for entry in entries)
    if as_json:
        orgs = [_json_of(entry, summary) for entry, summary in results]
        out.print_json(to_json({"orgs": orgs, "index": [str(file) for file in index], "exit_code": worst}))
    else:
        out.print(orgs_audit_table(entries))
        err.print(f"Index written to {', '.join(str(file) for file in index)}.", highlight=False)
    return worst


def _audit_safely(
    profile: OrgProfile, config_dir: Path, root: Path, audit_one: AuditOne
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Audit one org; a failure becomes its index entry instead of stopping the others."""
    try:
        done = audit_one(profile, config_dir, root / profile.name)
    except UserInputError as exc:
        code, message = EXIT_USAGE, str(exc)
    except SfbridgeError as exc:  # Salesforce, network, store or sync-integrity failures
        code, message = EXIT_FAILURE, str(exc)
    else:
        entry = index_entry(
            done.document, org=profile.name, report=f"{profile.name}/report.html", exit_code=done.exit_code
        )
        return entry, done.summary
    err.print(f"[bold red]error:[/] org {escape(profile.name)}: {escape(message)}", soft_wrap=True)
    return error_entry(profile.name, message=message, exit_code=code), None


def _broken(name: str, message: str) -> tuple[dict[str, Any], None]:
    err.print(f"[bold red]error:[/] org {escape(name)}: {escape(message)}", soft_wrap=True)
    return error_entry(name, message=message, exit_code=EXIT_USAGE), None


def _json_of(entry: dict[str, Any], summary: dict[str, Any] | None) -> dict[str, Any]:
    picked = {key: entry[key] for key in ("org", "org_id", "status", "exit_code", "error", "report")}
    return picked | (summary or {})
