"""A CSV header into the mirror's columns: API names checked, each column typed as a pull would type it.

The header must name fields by API name, as Data Export, Data Loader and Bulk API 2.0 write
it ("Each field-name header in the file must be the same as the field's Field Name (for
standard fields) or API Name (for custom fields)", Bulk API 2.0 "Prepare CSV Files"). A
standard field's type comes from the bundled standard describe (``standard_fields.json``,
made by ``python -m sfbridge_tools.standard_fields``), matched without case since Data Loader
writes headers in capitals; any other field (the org's custom fields, or a standard field
newer than the table) is typed from its values, text unless every value proves otherwise
(:func:`sfbridge.importing.values.infer_kind`), and the import's summary says which.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sfbridge.errors import ImportFileError
from sfbridge.models import ColumnKind
from sfbridge.schema import column_kind, stored_type

__all__ = ["Column", "ColumnPlan", "plan_columns", "standard_fields"]

_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ID_TYPES = frozenset({"id", "reference"})


@dataclass(frozen=True)
class Column:
    """One stored column: where it is in the CSV, its API name and how it is stored."""

    index: int
    name: str
    kind: ColumnKind
    sf_type: str | None = None  # None: not a standard field (typed from its values)
    label: str = ""

    @property
    def holds_ids(self) -> bool:
        """Whether its values are record Ids (checked, and stored in 18-character form)."""
        return self.sf_type in _ID_TYPES


@dataclass(frozen=True)
class ColumnPlan:
    """What to store of one file: its columns (Id first), what was left out, what was typed from values."""

    columns: tuple[Column, ...]
    left_out: tuple[str, ...]
    unknown: tuple[Column, ...]  # columns not in the standard describe, to be typed from their values

    def with_kinds(self, kinds: Mapping[str, ColumnKind]) -> ColumnPlan:
        """The plan with the kinds learnt from the values of its unknown columns."""
        columns = tuple(Column(c.index, c.name, kinds.get(c.name, c.kind), c.sf_type, c.label) for c in self.columns)
        return ColumnPlan(columns, self.left_out, tuple(c for c in columns if c.sf_type is None))


@cache
def standard_fields() -> dict[str, dict[str, tuple[str, str, str]]]:
    """Per object, its standard fields by lower-cased name: (API name, describe type, label)."""
    text = resources.files("sfbridge.importing").joinpath("standard_fields.json").read_text(encoding="utf-8")
    table = json.loads(text)
    return {
        sobject: {name.lower(): (name, sf_type, label) for name, sf_type, label in fields}
        for sobject, fields in table.items()
    }


def plan_columns(
    sobject: str, header: list[str], *, file: str, keep: frozenset[str] | None, skip_unknown: bool
) -> ColumnPlan:
    """Decide the stored columns of one file from its header.

    Args:
        sobject: the object the file holds.
        header: the header row.
        file: the file's name, for messages.
        keep: the only fields to store (None: all).
        skip_unknown: leave out a column that is not an API name (a relationship column such as
            ``Owner.Name``) instead of refusing the file.

    Returns:
        The plan (unknown columns provisionally text).

    Raises:
        ImportFileError: a header without an Id column, with a name that is not an API name
            (unless skipped), or with one column twice.
    """
    standard = standard_fields().get(sobject, {})
    labels = {label.lower(): name for name, _type, label in standard.values() if label}
    names = [cell.strip() for cell in header]
    if "id" not in {name.lower() for name in names}:
        raise _no_id(names, labels, file=file)
    columns: list[Column] = []
    left_out: list[str] = []
    seen: set[str] = set()
    for index, written in enumerate(names):
        if not _API_NAME.fullmatch(written):
            if skip_unknown:
                left_out.append(f"{written!r} (not an API name)")
                continue
            raise _not_an_api_name(written, index, labels, file=file)
        found = standard.get(written.lower())
        name = found[0] if found else _custom_suffix(written)
        if name.lower() in seen:
            problem = f"the header names {name} twice"
            raise ImportFileError(problem, file=file, line=1, fix="keep one column per field")
        seen.add(name.lower())
        if keep is not None and name not in keep:
            continue  # a field the pull does not read either
        if found is None:
            columns.append(Column(index, name, ColumnKind.TEXT))
        elif stored_type(found[1]):
            columns.append(Column(index, name, column_kind(found[1]), found[1], found[2]))
        else:
            left_out.append(f"{name} (a {found[1]} field, which the mirror does not store)")
    columns.sort(key=lambda column: column.name != "Id")
    return ColumnPlan(tuple(columns), tuple(left_out), tuple(c for c in columns if c.sf_type is None))


def _custom_suffix(name: str) -> str:
    """A custom field's name with its suffix as Salesforce spells it (a header in capitals ends ``__C``).

    >>> _custom_suffix("LEAD_SCORE__C"), _custom_suffix("Lead_Score__c")
    ('LEAD_SCORE__c', 'Lead_Score__c')
    """
    return name[:-1] + "c" if name.endswith("__C") else name


def _no_id(names: list[str], labels: dict[str, str], *, file: str) -> ImportFileError:
    named = [f"{name!r} is the label of {labels[name.lower()]}" for name in names if name.lower() in labels]
    hint = f" ({'; '.join(named[:3])})" if named else ""
    return ImportFileError(
        f"the header has no Id column{hint}",
        file=file,
        line=1,
        fix="export with API names as the header (Id, LastName, ...), as Data Export and Data Loader do; "
        "a report's export, headed by labels, cannot be imported",
    )


def _not_an_api_name(written: str, index: int, labels: dict[str, str], *, file: str) -> ImportFileError:
    hint = f" ({written!r} is the label of {labels[written.lower()]})" if written.lower() in labels else ""
    return ImportFileError(
        f"column {index + 1}, {written!r}, is not a field's API name{hint}",
        file=file,
        line=1,
        fix="head every column with an API name (FirstName, Lead_Score__c), or pass --skip-unknown-columns "
        "to leave such columns out",
    )
