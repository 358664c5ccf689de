"""What an import needs from the local store, as a Protocol (:mod:`sfbridge.store.imports` implements it).

Like the pull (:mod:`sfbridge.pull.mirror`), the import writes into the store without
importing it: the CLI hands it a store, and this is the whole of what it may do with one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from sfbridge.describes import DescribedField
from sfbridge.models import ColumnKind, SyncState

__all__ = ["ImportSink", "ImportWriter"]


class ImportWriter(Protocol):
    """One import's writes, all in one transaction: committed together at its end, or none."""

    def create_table(self, sobject: str, columns: Mapping[str, ColumnKind]) -> None:
        """Create an object's mirror table (replacing the one an earlier import made)."""

    def insert(self, sobject: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Add rows to an object's table: values in stored form, text as read (an empty text is stored NULL)."""

    def finish_object(self, state: SyncState, fields: Sequence[DescribedField], *, described_at: datetime) -> None:
        """Keep an object's sync state and what is known of its fields."""

    def record_run(self, *, org: str, started_at: datetime, finished_at: datetime, counts: dict[str, Any]) -> int:
        """Record the import in the runs table; return its run id."""


class ImportSink(Protocol):
    """A store an import can fill."""

    url: str

    def writer_lock(self, name: str) -> AbstractContextManager[None]:
        """Hold the exclusive right to write this store for an org."""

    def import_transaction(self, *, org_id: str) -> AbstractContextManager[ImportWriter]:
        """Open the import's one transaction, bound to the org (refusing a store of another org)."""
