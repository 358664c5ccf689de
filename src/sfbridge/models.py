"""Frozen records that cross stage boundaries: object schemas, sync state, pull results, findings, plans.

Salesforce API names (``SystemModstamp``, ``LeadSource``) appear as data (field names), never
as Python attribute names; the records themselves are plain, typed and immutable.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from sfbridge.severity import SEVERITY_OF, Severity  # Severity re-exported: its light home is sfbridge.severity

__all__ = [
    "MAX_MERGED",
    "MERGEABLE",
    "Action",
    "ActionKind",
    "ColumnKind",
    "FieldInfo",
    "Finding",
    "FindingKey",
    "JournalEntry",
    "JournalState",
    "LeadConversion",
    "LeadStatusValue",
    "ObjectOutcome",
    "ObjectPullResult",
    "ObjectSchema",
    "PackedFindings",
    "Plan",
    "PlanNote",
    "PullReport",
    "RecordMerge",
    "Severity",
    "SyncState",
    "by_check",
    "collection_paused",
    "lead_status_values",
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

    def model_post_init(self, context: Any, /) -> None:  # noqa: ANN401, ARG002 (pydantic's signature)
        """Share one set of field names between findings that set the same fields (see :func:`_shared_fields_set`)."""
        object.__setattr__(self, "__pydantic_fields_set__", _shared_fields_set(self.__pydantic_fields_set__))

    @cached_property
    def json_ready(self) -> bool:
        """Whether the finding's values are JSON as they are: JSON gives each back equal and of the same type.

        Asked once per finding, walking all its values (2.8 s for a million records' 160k
        findings on the slow machine of benchmarks/README.md's tenth round): a copy that adds
        JSON evidence to a finding known to be, and a finding unpacked or read back from JSON,
        are known to be without asking. See :func:`_json_ready`.
        """
        return _json_ready(self.__dict__)

    def mark_json_ready(self) -> Finding:
        """This finding, its :attr:`json_ready` set without the walk: for a maker that knows its values are JSON.

        The duplicate check does, from its columns' types
        (:func:`sfbridge.checks.duplicate_evidence.json_as_is`).
        """
        self.__dict__["json_ready"] = True  # where the cached property keeps its value
        return self

    @cached_property
    def plain(self) -> dict[str, Any]:
        """The finding as JSON-ready data (dates as ISO text), made once: the store and findings.json share it.

        Its evidence, suggested values and related records are this finding's own dicts when
        they hold JSON values only (text, numbers, booleans, None, lists and dicts of them: every
        check's do), not copies: pydantic's JSON dump copied them all, 530 MB for the 160k
        findings of a million records, kept through the outputs. Nothing edits either. Any
        other value (a date, a tuple, an enum) takes pydantic's dump, as before.
        """
        if not self.json_ready:
            return self.model_dump(mode="json")
        values = self.__dict__
        return {
            "check": values["check"],
            "severity": values["severity"].value,
            "sobject": values["sobject"],
            "record_id": values["record_id"],
            "reason": values["reason"],
            "suggested_action": values["suggested_action"],
            "evidence": values["evidence"],
            "suggested_values": values["suggested_values"],
            "related": values["related"],
            "group": values["group"],
            "score": values["score"],
        }

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Finding:
        """Pydantic's copy, less what was worked out from the fields (:attr:`plain`, :attr:`json_ready`) if any changed.

        Pydantic copies the whole ``__dict__``, where cached properties keep their values.
        """
        copy = super().model_copy(update=update, deep=deep)
        if update:
            for name in _WORKED_OUT:
                copy.__dict__.pop(name, None)
        return copy

    def with_evidence(self, more: Mapping[str, Any], *, first: bool = False) -> Finding:
        """The finding with more evidence (``first``: before the check's own, as CSV columns read).

        A copy, never this finding changed; its cached :attr:`plain` is dropped with it, since
        that JSON form shows the old evidence.
        """
        if first:
            # More's keys first, then the check's own in their order, more's values winning: two
            # dict merges in C rather than a comprehension over every key (150k findings named).
            evidence = {**more, **self.evidence}
            evidence.update(more)
        else:
            evidence = self.evidence | dict(more)
        values = {**self.__dict__, "evidence": evidence}
        values.pop("plain", None)
        # Known JSON stays known when what is added is JSON too (a name, an owner): no need to ask again.
        if values.pop("json_ready", None) and all(type(key) is str and _is_json(item) for key, item in more.items()):
            values["json_ready"] = True
        return type(self).unvalidated(values, _shared_fields_set(self.__pydantic_fields_set__ | {"evidence"}))

    @classmethod
    def unvalidated(cls, fields: dict[str, Any], fields_set: set[str]) -> Finding:
        """A finding of these field values as they are, without pydantic's validation.

        For values that came from valid findings, of the types validation gives (a copy with
        more evidence, a stored or packed finding read back): a large audit makes 150k+ of
        them, and validating each costs more than the rest of making it. Made the way
        pydantic's own copy makes one (``BaseModel.__copy__``), less its general cases (extra
        fields, private attributes: a Finding has neither): half of ``model_copy``'s 4.4 µs.

        Args:
            fields: every field's value, by name (the dict becomes the finding's own).
            fields_set: the fields given (``model_fields_set``); one set findings share
                (see :func:`_shared_fields_set`), never changed.
        """
        finding = cls.__new__(cls)
        object.__setattr__(finding, "__dict__", fields)
        object.__setattr__(finding, "__pydantic_extra__", None)
        object.__setattr__(finding, "__pydantic_fields_set__", fields_set)
        object.__setattr__(finding, "__pydantic_private__", None)
        return finding


#: A finding's text fields: JSON as they are when of type str.
_TEXT_FIELDS = ("check", "sobject", "record_id", "reason", "suggested_action")
#: What a finding keeps worked out from its fields (cached properties, in its ``__dict__``).
_WORKED_OUT = ("json_ready", "plain")
#: The values JSON holds as they are (bool is a subclass of int, but its own type here).
_JSON_LEAVES = frozenset({str, int, bool, type(None)})
_INFINITY = float("inf")


def _is_json(value: Any) -> bool:  # noqa: ANN401 (any evidence value)
    """Whether pydantic's JSON dump would give back an equal value of the same types: no conversion needed.

    Exact types only (a str subclass such as an enum member is dumped as its value); a float
    must be finite (pydantic dumps NaN and infinities as None); dict keys must be text.
    """
    kind = type(value)
    if kind in _JSON_LEAVES:
        return True
    if kind is float:
        return bool(-_INFINITY < value < _INFINITY)  # False for NaN too
    if kind is dict:
        return all(type(key) is str and _is_json(item) for key, item in value.items())
    if kind is list:
        return all(_is_json(item) for item in value)
    return False


#: One set per distinct set of field names a finding sets (see :func:`_shared_fields_set`).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _shared_fields_set(names: set[str]) -> set[str]:
    """The one set of these field names that findings setting them share.

    Pydantic keeps a set of the fields given (``model_fields_set``) in every model, 730 bytes
    each: 116 MB for a million records' 160k findings, all holding one of a handful of sets.
    Sharing is safe because a Finding is frozen: pydantic adds to the set only when a field is
    assigned, which a frozen model refuses, and its copies (``model_copy``) copy the set first.
    """
    key = frozenset(names)
    shared = _FIELDS_SETS.get(key)
    if shared is None:
        shared = _FIELDS_SETS.setdefault(key, set(key))
    return shared


class PackedFindings:
    """Findings kept as compact JSON bytes while something larger needs the memory, made findings again after.

    A Python finding weighs about 2.3 kB (its model, three dicts, a reason of its own): the
    78,000 findings of the checks an audit runs before its duplicate search held 180 MB at a
    million records, right through the search, whose steps set the audit's peak. Packed they
    are 41 MB. Only findings whose values are JSON already (text, numbers, booleans, None, and
    lists and dicts of them: every check's are) are packed; any other is kept as it is, so
    every finding comes back equal to what went in, of the same types, in the same order.
    """

    def __init__(self, findings: Iterable[Finding]) -> None:
        """Pack the findings (read each one's fields, without making its JSON form)."""
        sets: dict[int, int] = {}  # id of a shared fields set -> its index in self._sets
        self._sets: list[set[str]] = []
        rows: list[list[Any] | None] = []
        self._kept: dict[int, Finding] = {}
        with collection_paused():
            for item in findings:
                values = item.__dict__
                if not item.json_ready:
                    self._kept[len(rows)] = item
                    rows.append(None)
                    continue
                shared = item.__pydantic_fields_set__
                index = sets.get(id(shared))
                if index is None:
                    index = sets[id(shared)] = len(self._sets)
                    self._sets.append(shared)
                rows.append([values[name] for name in _PACKED] + [index])
            self._packed = orjson.dumps(rows)

    def unpack(self) -> list[Finding]:
        """The findings, as they were packed, in their order."""
        findings: list[Finding] = []
        with collection_paused():
            for position, row in enumerate(orjson.loads(self._packed)):
                if row is None:
                    findings.append(self._kept[position])
                    continue
                fields = dict(zip(_PACKED, row, strict=False))
                fields["severity"] = SEVERITY_OF[fields["severity"]]
                # These values came from valid findings, and JSON gives them back of the same types.
                fields["json_ready"] = True  # read from JSON: JSON as they are (Finding.json_ready)
                findings.append(Finding.unvalidated(fields, self._sets[row[-1]]))
        return findings


#: A packed finding's fields, in its row's order (the row ends with its fields set's index).
_PACKED = tuple(Finding.model_fields)


def _json_ready(values: Mapping[str, Any]) -> bool:
    """Whether a finding's fields (its ``__dict__``) are JSON as they are: JSON gives them back equal, same types.

    Then its :attr:`Finding.plain` form holds its own dicts, and it can be packed
    (:class:`PackedFindings`); see :func:`_is_json`.
    """
    score = values["score"]
    return (
        _is_json(values["evidence"])
        and _is_json(values["suggested_values"])
        and _is_json(values["related"])
        and (score is None or _is_json(score))
        and type(values["severity"]) is Severity
        and all(type(values[name]) is str for name in _TEXT_FIELDS)
        and (values["group"] is None or type(values["group"]) is str)
    )


#: A finding's identity across audits: ``(check, sobject, record_id)`` (trends compare audits by it).
FindingKey = tuple[str, str, str]


def by_check(findings: Iterable[Finding], order: Iterable[str] = ()) -> dict[str, list[Finding]]:
    """Findings grouped by check, each check's in their order.

    The checks of ``order`` come first (one without findings: an empty list), then any other
    check in the order its first finding comes.
    """
    grouped: dict[str, list[Finding]] = {name: [] for name in order}
    for item in findings:
        grouped.setdefault(item.check, []).append(item)
    return grouped


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many lasting, cycle-free objects are built; restore it after.

    The collector runs after every few hundred new containers, and each of its full passes
    re-scans everything alive. Building 160k findings' JSON forms (a million dicts and lists,
    none in a cycle, all kept) it ran again and again: paused, the 1M store's findings take
    0.85 s instead of 3 to 3.5 s, and the next collection scans them once. The duplicate
    check's findings (some 400,000 dicts, lists and models at a million records: 0.8 s of a
    2 s check) and the named copies of every finding are built the same way.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ActionKind(StrEnum):
    """What a planned action does to the org."""

    CONVERT_LEAD = "ConvertLead"
    MERGE_RECORDS = "MergeRecords"
    UPDATE_RECORD = "UpdateRecord"


class LeadConversion(_Frozen):
    """How one lead is converted: into which Account and Contact (None: new ones), by whom, with what status.

    ``owner_id`` is required by Salesforce when the lead is owned by a queue: Accounts and
    Contacts cannot be owned by a queue.
    """

    converted_status: str
    account_id: str | None = None
    contact_id: str | None = None
    owner_id: str | None = None
    create_opportunity: bool = False


#: Records merged into the master by one merge: Salesforce merges three at most, the master included.
MAX_MERGED = 2
#: The objects sfbridge merges (Salesforce's merge() also takes Account, Case and Individual).
MERGEABLE = frozenset({"Lead", "Contact"})


class RecordMerge(_Frozen):
    """How duplicates are merged: into which master, which records, and how the records looked.

    ``merged_ids`` are one or two records (Salesforce merges three at most, the master
    included); a larger cluster is several merges into one master, ``step`` of ``steps``.
    ``seen`` is every record's SystemModstamp when planned (the master's too), ``records``
    their shown field values side by side, and ``sources`` the record each of the master's
    new values comes from. ``score`` and ``reasons`` are the cluster's weakest match and why
    its records are one person.
    """

    master_id: str
    merged_ids: tuple[str, ...]
    group: str
    step: int = 1
    steps: int = 1
    score: float | None = None
    reasons: tuple[str, ...] = ()
    seen: dict[str, datetime | None] = Field(default_factory=dict)
    records: dict[str, dict[str, Any]] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)

    @property
    def record_ids(self) -> tuple[str, ...]:
        """The master, then the records merged into it."""
        return (self.master_id, *self.merged_ids)


class Action(_Frozen):
    """One change a plan proposes, with the finding it came from and the record as it was seen.

    ``seen_modstamp`` and ``expected`` are the record's SystemModstamp and field values when
    the plan was made: apply skips the action when the record has changed since. ``values``
    are the field values an update writes (a merge: the values its master takes);
    ``conversion`` says how a lead is converted, ``merge`` which records merge into the
    action's record.
    """

    key: str
    kind: ActionKind
    sobject: str
    record_id: str
    check: str
    reason: str
    seen_modstamp: datetime | None
    expected: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, Any] = Field(default_factory=dict)
    conversion: LeadConversion | None = None
    merge: RecordMerge | None = None


class PlanNote(_Frozen):
    """A finding the plan turned into no action, and why (for the reviewer)."""

    check: str
    record_id: str
    why: str


class Plan(_Frozen):
    """A reviewable set of actions for one org, sealed by a digest of everything else in it."""

    format: int = 1
    org: str
    org_id: str
    instance_url: str
    user_id: str | None
    api_version: str
    created_at: datetime
    snapshot_at: datetime
    audit_run_id: int | None
    rules_digest: str
    actions: tuple[Action, ...]
    notes: tuple[PlanNote, ...] = ()
    # Whether the org was a sandbox when the plan was made (Organization.IsSandbox; None offline):
    # apply refuses a plan made against a sandbox for a production org, and the reverse.
    is_sandbox: bool | None = None
    digest: str = ""


class JournalState(StrEnum):
    """Where one action of an apply got to.

    ``sent`` is written before a request leaves and ``done``/``failed`` after its result, so a
    crash in between leaves ``sent``: the next apply re-reads the record to learn the outcome
    instead of sending again. ``unknown`` is a request whose result never arrived (a timeout)
    and that could not be re-read yet.
    """

    SENT = "sent"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


class JournalEntry(_Frozen):
    """One step of one action in an apply run: before-values, what was written, and how it ended.

    A merge's ``before`` holds every record it touches, by Id, with all their mirrored fields;
    its ``after`` the master, the merged records, the related records Salesforce re-parented
    and the values the master took.
    """

    action_key: str
    kind: ActionKind
    sobject: str
    record_id: str
    state: JournalState
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    detail: str | None = None
    run_id: int | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class LeadStatusValue:
    """One LeadStatus row: the value ``Lead.Status`` holds, its label, and whether conversion sets it."""

    value: str
    label: str
    converted: bool


def lead_status_values(rows: Iterable[Mapping[str, Any]]) -> tuple[LeadStatusValue, ...]:
    """LeadStatus rows (mirrored or queried) as the values ``Lead.Status`` holds.

    That is the row's ApiName; orgs older than ApiName store the MasterLabel.

    >>> lead_status_values([{"ApiName": "Open", "MasterLabel": "Open - Not Contacted", "IsConverted": False}])
    (LeadStatusValue(value='Open', label='Open - Not Contacted', converted=False),)
    """
    values = []
    for row in rows:
        value = str(row.get("ApiName") or row.get("MasterLabel") or "")
        if value:
            values.append(LeadStatusValue(value, str(row.get("MasterLabel") or value), bool(row.get("IsConverted"))))
    return tuple(values)
