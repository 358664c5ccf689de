"""What the pull needs from the local store, as a Protocol (the store module implements it).

The pull writes into the store but does not import it: the CLI hands it a store, and this
interface is the whole of what the pull may do with one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from sfbridge.describes import DescribedField
from sfbridge.models import ColumnKind, SyncState

__all__ = ["Mirror"]


class Mirror(Protocol):
    """A local mirror of one org: sync state, mirror tables, runs."""

    url: str

    def bind_org(self, org_id: str, instance_url: str) -> None:
        """Record which org this mirror holds, refusing another."""

    def writer_lock(self, name: str) -> AbstractContextManager[None]:
        """Hold the exclusive right to write this mirror for an org."""

    def start_run(self, command: str, *, org: str, started_at: datetime) -> int:
        """Record the start of a run and return its id."""

    def finish_run(self, run_id: int, *, outcome: str, finished_at: datetime, **values: Any) -> None:  # noqa: ANN401
        """Record how a run ended."""

    def state(self, sobject: str) -> SyncState | None:
        """Return an object's sync state, or None before its first pull."""

    def save_state(self, state: SyncState, *, run_id: int | None = None) -> None:
        """Write an object's sync state."""

    def save_describe(self, sobject: str, fields: Sequence[DescribedField], *, described_at: datetime) -> None:
        """Keep what the latest describe of an object said (for checking rules offline)."""

    def forget_import(self, sobject: str) -> None:
        """Drop what an import wrote of an object (its table, state and describe): the pull reads it anew."""

    def prepare_mirror(self, sobject: str, columns: Mapping[str, ColumnKind]) -> list[str]:
        """Create or widen an object's table; return the columns added."""

    def write_page(
        self,
        state: SyncState,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        *,
        synced_at: datetime,
        run_id: int | None,
        null_columns: Sequence[str] = (),
    ) -> None:
        """Upsert a page of rows together with the state that covers it, atomically.

        ``null_columns`` are pulled fields null on every row, left out of ``columns``. A live
        stored record the page holds unchanged is left as it is (no write).
        """

    def mark_deleted(
        self, sobject: str, ids: Iterable[str], *, at: datetime, children: Sequence[tuple[str, str]] = ()
    ) -> int:
        """Flag records deleted, and the live rows of ``children`` (object, parent field) that point at them.

        Returns:
            How many live rows of ``sobject`` were flagged.
        """

    def follow_parents(self, sobject: str, *, parent_field: str, parent: str, at: datetime) -> tuple[int, int]:
        """Flag rows whose parent is deleted and revive rows whose parent is live again; return both counts."""

    def live_ids(self, sobject: str, *, created_until: datetime | None = None) -> set[str]:
        """Return the Ids of the records believed to exist, optionally only those created up to a moment."""

    def count(self, sobject: str, *, created_until: datetime | None = None) -> int:
        """Count live records, optionally only those created up to (and at) a moment."""

    def note(self, key: str) -> str | None:
        """A value kept across runs (a Bulk download's resume point), or None."""

    def save_note(self, key: str, value: str | None) -> None:
        """Keep a value across runs (None removes it)."""
