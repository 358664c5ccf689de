"""Which org an export is of: its Organization.csv, the zip's name, or ``--org-id``; every source must agree.

The org Id binds the store as a pull's login does (one store, one org), so a later pull of
another org is refused. Record Ids do not carry their org's Id (their characters 4-5 name the
instance, not the org), so an export without Organization.csv, imported from a zip not named
``WE_<org Id>_<n>.zip``, needs ``--org-id`` (Setup > Company Information > Salesforce.com
Organization ID).

The zip name is the form Salesforce's scheduled Data Export gives its files (``WE_`` weekly,
``ME_`` monthly); no Salesforce page we could find documents it, so it is used only when the
part after ``WE_``/``ME_`` is a valid Organization Id (``00D``, checksum and all).
"""

from __future__ import annotations

import re
from pathlib import Path

from sfbridge.errors import ImportFileError, UsageError
from sfbridge.ids import InvalidIdError, validate_id
from sfbridge.importing.files import ObjectFile
from sfbridge.importing.reader import CsvFile

__all__ = ["org_id_of_export"]

_EXPORT_NAME = re.compile(r"[WM]E_([A-Za-z0-9]{15}|[A-Za-z0-9]{18})_\d+\.zip", re.IGNORECASE)
_WHERE = "Setup > Company Information > Salesforce.com Organization ID"


def _org(value: str) -> str | None:
    try:
        return validate_id(value, sobject="Organization")
    except InvalidIdError:
        return None


def _from_organization_csv(file: ObjectFile) -> str:
    reader = CsvFile(file)
    index = next((n for n, name in enumerate(reader.header) if name.strip().lower() == "id"), None)
    if index is None:
        reader.close()
        problem = "the header has no Id column"
        raise ImportFileError(problem, file=file.name, line=1, fix="export it again")
    first = next(iter(reader.batches(size=1)), [])
    reader.close()
    found = _org(first[0][index]) if first else None
    if found is None:
        problem = "the first record's Id is not an Organization Id (00D...)"
        raise ImportFileError(
            problem,
            file=file.name,
            line=2,
            fix="export Organization.csv again, or leave it out and pass --org-id",
        )
    return found


def org_id_of_export(path: Path, organization: ObjectFile | None, *, given: str | None) -> tuple[str, str]:
    """The export's org Id and where it came from.

    Args:
        path: the export (its zip name may carry the org Id).
        organization: the export's Organization.csv, if it has one.
        given: ``--org-id``, if given.

    Returns:
        The 18-character org Id, and the sources that named it.

    Raises:
        UsageError: a ``--org-id`` that is not an org Id, no source at all, or sources that disagree.
        ImportFileError: an Organization.csv without a readable org Id.
    """
    sources: dict[str, str] = {}
    if given is not None:
        checked = _org(given.strip())
        if checked is None:
            msg = f"--org-id {given!r} is not a Salesforce Organization Id (00D..., 15 or 18 characters; {_WHERE})"
            raise UsageError(msg)
        sources["--org-id"] = checked
    if organization is not None:
        sources[organization.name] = _from_organization_csv(organization)
    named = _EXPORT_NAME.fullmatch(path.name) if path.is_file() else None
    if named is not None and _org(named.group(1)) is not None:
        sources[f"the zip's name {path.name}"] = str(_org(named.group(1)))
    if not sources:
        msg = (
            f"cannot tell which org {path} is of: it has no Organization.csv and its name is not Salesforce's "
            f"WE_<org Id>_<n>.zip; pass --org-id (the org's Id is in {_WHERE})"
        )
        raise UsageError(msg)
    if len(set(sources.values())) > 1:
        named_ids = ", ".join(f"{where} says {org}" for where, org in sources.items())
        msg = f"the export's org is named twice, differently: {named_ids}; import each org's own export"
        raise UsageError(msg)
    return next(iter(sources.values())), ", ".join(sources)
