"""Frozen records that cross stage boundaries: object schemas, sync state, pull results.

Salesforce API names (``SystemModstamp``, ``LeadSource``) appear as data (field names), never
as Python attribute names; the records themselves are plain, typed and immutable.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ColumnKind",
    "FieldInfo",
    "Finding",
    "ObjectOutcome",
    "ObjectPullResult",
    "ObjectSchema",
    "PullReport",
    "Severity",
    "SyncState",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ColumnKind(StrEnum):
    """How a Salesforce field is stored locally."""

    TEXT = "text"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"


class FieldInfo(_Frozen):
    """One field as describe reports it, reduced to what pulling and storing need."""

    name: str
    sf_type: str
    kind: ColumnKind
    custom: bool = False


class ObjectSchema(_Frozen):
    """What sfbridge pulls for one object: its fields (from describe) and how to sync it."""

    sobject: str
    fields: tuple[FieldInfo, ...]
    replicateable: bool
    cursor: str | None

    @property
    def field_names(self) -> tuple[str, ...]:
        """The API names of the pulled fields, in describe order."""
        return tuple(field.name for field in self.fields)

    @property
    def columns(self) -> dict[str, ColumnKind]:
        """How each pulled field is stored."""
        return {field.name: field.kind for field in self.fields}

    def has(self, name: str) -> bool:
        """Tell whether a field is part of this schema."""
        return any(field.name == name for field in self.fields)


class SyncState(_Frozen):
    """Where the last pull of one object got to.

    ``bookmark`` is the highest cursor value (SystemModstamp, or CreatedDate for history)
    of a committed page; ``deletes_since`` is the moment from which deletions are not yet
    checked; ``completed_at`` is set when a pull of the object finished and verified.
    """

    sobject: str
    cursor: str | None
    bookmark: datetime | None
    deletes_since: datetime | None
    completed_at: datetime | None
    columns: dict[str, ColumnKind]


class ObjectOutcome(StrEnum):
    """How the pull of one object ended."""

    SYNCED = "synced"
    SKIPPED = "skipped"
    FAILED = "failed"


class ObjectPullResult(_Frozen):
    """What one object's pull did."""

    sobject: str
    outcome: ObjectOutcome
    mode: str
    fetched: int = 0
    pages: int = 0
    deleted: int = 0
    stored: int = 0
    org_count: int | None = None
    new_columns: tuple[str, ...] = ()
    note: str | None = None


class PullReport(_Frozen):
    """What a whole pull did, for the terminal, the runs table and the exit code."""

    org: str
    org_id: str
    instance_url: str
    store_url: str
    started_at: datetime
    finished_at: datetime
    objects: tuple[ObjectPullResult, ...]
    elapsed_seconds: float
    api_calls: int
    api_used: int | None
    api_limit: int | None

    @property
    def records(self) -> int:
        """Rows fetched across all objects."""
        return sum(result.fetched for result in self.objects)


class Severity(StrEnum):
    """How much a finding matters; ordered, so ``--fail-on`` can compare."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for info up to 3 for high."""
        return list(Severity).index(self)


class Finding(_Frozen):
    """One problem with one record, explained.

    ``reason`` says in plain words what is wrong with this record; ``evidence`` holds the
    field values (and facts) that show it; ``suggested_values`` the field values a fix would
    write (what a Data Loader CSV or a plan carries); ``related`` names other records by role
    (``contact``, ``account``, ``owner``, ``duplicate_of``); ``group`` ties the records of one
    duplicate cluster together.
    """

    check: str
    severity: Severity
    sobject: str
    record_id: str
    reason: str
    suggested_action: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    suggested_values: dict[str, Any] = Field(default_factory=dict)
    related: dict[str, str] = Field(default_factory=dict)
    group: str | None = None
    score: float | None = None

    @cached_property
    def plain(self) -> dict[str, Any]:
        """The finding as JSON-ready data (dates as ISO text), made once: the store and findings.json share it."""
        return self.model_dump(mode="json")
