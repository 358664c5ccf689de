"""Who each finding is about, by name: the person, their company or account, and their record's owner.

A check keeps the evidence it reasons from (a stale lead's last touch, say); an admin reading
the reports first needs to know whose record it is. The audit adds three facts to every
finding's evidence, under fixed keys the reports read, wherever the check did not set them:

- ``name``: a Lead's or Contact's FirstName and LastName;
- ``company``: a Lead's Company, a Contact's Account's Name (via AccountId);
- ``owner_name``: the Name of the User or queue (a Group) in OwnerId.

Cost at a million records: the columns are kept aside from the snapshot before the checks
release them (:func:`name_columns` selects them: a frame shares its columns' memory, nothing is
copied), and after the checks only the findings' records are picked out of them and joined to
their accounts and owners, in polars. Python touches one row per finding, never one per record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from sfbridge.models import Finding
from sfbridge.snapshot import Snapshot

__all__ = ["COMPANY", "NAME", "NAME_FIELDS", "OWNER_NAME", "name_columns", "with_names"]

#: The evidence keys the names go under (the duplicate checks already use ``name`` and ``company``).
NAME, COMPANY, OWNER_NAME = "name", "company", "owner_name"
_KEYS = (NAME, COMPANY, OWNER_NAME)

#: The fields the names are read from, per object (loaded with what the checks need).
NAME_FIELDS: Mapping[str, frozenset[str]] = {
    "Lead": frozenset({"Id", "FirstName", "LastName", "Company", "OwnerId"}),
    "Contact": frozenset({"Id", "FirstName", "LastName", "AccountId", "OwnerId"}),
    "Account": frozenset({"Id", "Name"}),
    "User": frozenset({"Id", "Name"}),
    "Group": frozenset({"Id", "Name"}),
}
_PEOPLE = ("Lead", "Contact")
#: A Lead's or Contact's full Name is kept too when some check loaded it: the name of a record
#: whose FirstName and LastName are not (the fields are not loaded for it alone: memory).
_FULL_NAME = "Name"
_TEXT = pl.Utf8()


def name_columns(snapshot: Snapshot) -> dict[str, pl.DataFrame]:
    """The columns the names come from, per object, kept aside before the checks release them."""
    return {
        sobject: frame.select(
            [name for name in frame.columns if name in fields or (sobject in _PEOPLE and name == _FULL_NAME)]
        )
        for sobject, fields in NAME_FIELDS.items()
        if (frame := snapshot.frames.get(sobject)) is not None and "Id" in frame.columns
    }


def _column(frame: pl.DataFrame, name: str) -> pl.Expr:
    # A field the org or the store lacks reads as null, like Snapshot.frame's missing columns.
    return pl.col(name).cast(_TEXT) if name in frame.columns else pl.lit(None, dtype=_TEXT)


def _blank_is_null(expression: pl.Expr) -> pl.Expr:
    text = expression.str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _lookup(columns: Mapping[str, pl.DataFrame], sobjects: Sequence[str], key: str, value: str) -> pl.DataFrame:
    """Id → Name of these objects' records, as ``key`` and ``value`` columns."""
    parts = [
        frame.select(_column(frame, "Id").alias(key), _column(frame, "Name").alias(value))
        for sobject in sobjects
        if (frame := columns.get(sobject)) is not None
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema={key: _TEXT, value: _TEXT})


def _names_of(columns: Mapping[str, pl.DataFrame], sobject: str, ids: Sequence[str]) -> pl.DataFrame:
    """``Id``, ``name``, ``company``, ``owner_name`` of these records of one object."""
    frame = columns[sobject].filter(pl.col("Id").is_in(ids))
    named = frame.select(
        pl.col("Id"),
        pl.coalesce(
            _blank_is_null(
                pl.concat_str(
                    [_column(frame, "FirstName"), _column(frame, "LastName")], separator=" ", ignore_nulls=True
                )
            ),
            _blank_is_null(_column(frame, _FULL_NAME)),
        ).alias(NAME),
        _column(frame, "Company" if sobject == "Lead" else "AccountId").alias("_company"),
        _column(frame, "OwnerId").alias("_owner"),
    )
    owners = _lookup(columns, ("User", "Group"), "_owner", OWNER_NAME).unique("_owner")
    named = named.join(owners, on="_owner", how="left")
    if sobject == "Lead":
        named = named.with_columns(_blank_is_null(pl.col("_company")).alias(COMPANY))
    else:  # a Contact's company is its Account's name
        accounts = _lookup(columns, ("Account",), "_company", COMPANY).unique("_company")
        named = named.join(accounts, on="_company", how="left")
    return named.select("Id", NAME, COMPANY, OWNER_NAME)


def with_names(findings: Sequence[Finding], columns: Mapping[str, pl.DataFrame]) -> list[Finding]:
    """The findings, each with its record's name, company and owner name in its evidence where the check gave none.

    Args:
        findings: the checks' findings.
        columns: :func:`name_columns` of the audit's snapshot.

    Returns:
        The findings in the same order; a fact that is unknown (no such field, no owner) is left out.
    """
    # Per record, its known facts (None left out) made once: a record has several findings.
    names: dict[str, dict[str, Any]] = {}
    for sobject in _PEOPLE:
        ids = sorted({item.record_id for item in findings if item.sobject == sobject})
        if ids and sobject in columns:
            names.update(
                (row[0], {key: value for key, value in zip(_KEYS, row[1:], strict=True) if value is not None})
                for row in _names_of(columns, sobject, ids).iter_rows()
            )
    # A new finding per finding named, none in a cycle: the audit makes them with the collector
    # paused (see sfbridge.audit.checked_audit), whose passes were 2/3 of the time.
    named = []
    for item in findings:
        facts, evidence = names.get(item.record_id), item.evidence
        if not facts:
            named.append(item)
            continue
        # Most checks set none of the facts: then every known one is missing, without asking key by key.
        missing = facts if evidence.keys().isdisjoint(_GIVEN) else _missing(facts, evidence)
        named.append(item.with_evidence(missing, first=True) if missing else item)
    return named


#: The evidence keys by which a check may have given a fact itself.
_GIVEN = frozenset({*_KEYS, "Company"})


def _missing(facts: Mapping[str, Any], evidence: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in facts.items() if not _given(evidence, key)}


def _given(evidence: Mapping[str, Any], key: str) -> bool:
    """Whether the check set this fact itself (a Lead's ``Company`` field counts as its company)."""
    # Plain lookups, no generator: this runs for every finding (150k on a million records).
    return bool(evidence.get(key)) or (key == COMPANY and bool(evidence.get("Company")))
