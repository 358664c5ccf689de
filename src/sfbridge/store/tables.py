"""Table definitions: sfbridge's own bookkeeping tables and one mirror table per object.

Mirror tables are named ``sf_<object>`` and keep Salesforce API names as column names
(quoted where the database needs it), plus ``_synced_at`` (when the row last changed) and
``_deleted_at`` (when sfbridge learned the record was deleted; NULL while it exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from sfbridge.models import ColumnKind

__all__ = [
    "DELETED_AT",
    "SYNCED_AT",
    "UtcDateTime",
    "apply_journal",
    "column_for",
    "derived_values",
    "describes",
    "finding_bodies",
    "kept_frames",
    "meta",
    "metadata",
    "mirror_table",
    "mirror_table_name",
    "run_findings",
    "runs",
    "sync_state",
]

SYNCED_AT = "_synced_at"
DELETED_AT = "_deleted_at"


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, stored naive-UTC everywhere.

    SQLite has no time zones; storing naive UTC on both back ends keeps one code path and
    identical rows in SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        """Store UTC without the offset."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        """Hand back an aware UTC datetime."""
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

meta = Table(
    "sfbridge_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("sobject", String(80), primary_key=True),
    Column("cursor", String(80)),
    Column("bookmark", UtcDateTime),
    Column("deletes_since", UtcDateTime),
    Column("completed_at", UtcDateTime),
    Column("columns", JSON, nullable=False),
    Column("last_run_id", Integer),
)

# What the last describe of each object said (see sfbridge.describes): offline runs check the
# rules file's field names and picklist values against it.
describes = Table(
    "describes",
    metadata,
    Column("sobject", String(80), primary_key=True),
    Column("fields", JSON, nullable=False),
    Column("described_at", UtcDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(40), nullable=False),
    Column("org", String(120), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("outcome", String(20), nullable=False),
    Column("counts", JSON),
    Column("api_calls", Integer),
    Column("api_used", BigInteger),
    Column("api_limit", BigInteger),
    Column("error", Text),
    # The run's owner token: while the run is live, its process holds a lock keyed by it
    # (sfbridge.store.locks); a run still `running` whose lock can be taken was interrupted.
    Column("owner", String(64)),
    # What a run keeps beside its counts, as one JSON object: an audit's match model
    # ({"match_model": ...}), so a report rebuilt later shows how its duplicates were scored,
    # and what its findings are a function of ({"basis": ..., "snapshot_at": ...}), so a plan
    # of the same snapshot and rules reuses them (sfbridge.store.runs.RunsAndFindings.reusable_run).
    # Added after the first release: NULL in older stores' rows (see sfbridge.store.migrate).
    Column("details", JSON),
)

# Each audit's findings, stored once however many audits find them. An audit of a large org finds
# 160k findings (162 MB of rows at a million records), and the next audit finds many of them
# again byte for byte (all, when nothing changed; 71 % in a benchmark after 1 % of the records
# changed): kept per run, a store audited hourly grew by gigabytes a day. So a finding's content
# is kept once, under a digest of that content (``finding_bodies``), and each run lists the
# digests of its findings in the order it found them (``run_findings``). See
# sfbridge.store.kept_findings.
finding_bodies = Table(
    "finding_bodies",
    metadata,
    # BLAKE2b (16 bytes) of the finding's stored values (sfbridge.store.kept_findings.finding_digest).
    Column("digest", LargeBinary(16), primary_key=True),
    Column("check_name", String(60), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("sobject", String(80), nullable=False),
    Column("record_id", String(18), nullable=False),
    Column("reason", Text, nullable=False),
    Column("suggested_action", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("suggested_values", JSON, nullable=False),
    Column("related", JSON, nullable=False),
    Column("group_id", String(80)),
    Column("score", Float),
)

run_findings = Table(
    "run_findings",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("position", Integer, primary_key=True),  # the order the audit found them in
    Column("digest", LargeBinary(16), nullable=False),
    # Stored in its key's order, without a second copy of the key beside it: a third less per run.
    sqlite_with_rowid=False,
)

# The snapshot's frames as a pull's preparation loaded them (see sfbridge.store.kept_frames),
# one row per object: an Arrow IPC file of the live records' columns an audit loads, and each
# field's fill count, valid only for the mirror as it stood then (``basis``). A cache. The
# people the preparation normalised are kept here too, as rows "#people 1/n" to "#people n/n".
kept_frames = Table(
    "kept_frames",
    metadata,
    Column("sobject", String(80), primary_key=True),
    Column("basis", String(64), nullable=False),
    Column("columns", JSON, nullable=False),
    Column("fill_counts", JSON),
    Column("rows", Integer, nullable=False),
    Column("frame", LargeBinary, nullable=False),
    # BLAKE2b of ``frame``: a damaged file is never read (nullable: a column added to an older
    # table cannot be NOT NULL; a row without one is never read either).
    Column("digest", String(64)),
    Column("written_at", UtcDateTime, nullable=False),
)

# What the audit's normalisers made of each distinct value of the mirror (phone numbers read,
# names folded, companies keyed, ...), one row per normaliser: its values and readings as one
# Arrow IPC file, valid for the settings digest beside it (see sfbridge.store.derived).
derived_values = Table(
    "derived_values",
    metadata,
    Column("kind", String(40), primary_key=True),
    Column("settings", String(64), nullable=False),
    Column("frame", LargeBinary, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)

# Append-only: every step of every applied action (sent, then done/failed/skipped), so an
# interrupted apply resumes from the last state of each action and a run can be audited.
apply_journal = Table(
    "apply_journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("plan_digest", String(64), nullable=False, index=True),
    Column("action_key", String(160), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("sobject", String(80), nullable=False),
    Column("record_id", String(18), nullable=False),
    Column("state", String(10), nullable=False),
    Column("before", JSON, nullable=False),
    Column("after", JSON, nullable=False),
    Column("detail", Text),
    Column("at", UtcDateTime, nullable=False),
)

_TYPES: dict[ColumnKind, Any] = {
    ColumnKind.TEXT: Text,
    ColumnKind.BOOLEAN: Boolean,
    ColumnKind.INTEGER: BigInteger,
    ColumnKind.NUMBER: Float,
    ColumnKind.DATE: Date,
    ColumnKind.DATETIME: UtcDateTime,
}


def mirror_table_name(sobject: str) -> str:
    """Name the mirror table of an object.

    >>> mirror_table_name("LeadHistory")
    'sf_leadhistory'
    """
    return f"sf_{sobject.lower()}"


def column_for(name: str, kind: ColumnKind) -> Column[Any]:
    """Build the column that stores one Salesforce field."""
    return Column(name, _TYPES[kind], primary_key=name == "Id")


def mirror_table(sobject: str, columns: Mapping[str, ColumnKind]) -> Table:
    """Define the mirror table for an object (on a MetaData of its own).

    Args:
        sobject: the object.
        columns: every stored field and how it is stored, Id included.

    Returns:
        The table.
    """
    fields = [column_for(name, kind) for name, kind in columns.items()]
    bookkeeping = [Column(SYNCED_AT, UtcDateTime, nullable=False), Column(DELETED_AT, UtcDateTime)]
    return Table(mirror_table_name(sobject), MetaData(), *fields, *bookkeeping)
