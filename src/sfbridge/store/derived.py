"""Derived values: what the audit's normalisers made of the mirror's distinct values, kept for the next run.

Reading a million phone numbers with libphonenumber, folding names and parsing addresses
costs most of an audit's time, yet almost none of it changes between two pulls. Each
normaliser's table of distinct values and what it made of them is kept here, one row per
normaliser ("kind"), as an Arrow IPC file: a million values load in a fraction of a second,
where as rows they would cost more than they save. A row is valid only for the settings digest
stored beside it (the rules and library versions the normaliser's output depends on); the
normalisers check it (see :mod:`sfbridge.matching.derived`). These rows are a cache: losing
them costs time, never findings.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import structlog
from sqlalchemy import delete, insert, select

from sfbridge.store.base import StoreBase, guard
from sfbridge.store.engine import let_page_cache_go
from sfbridge.store.ipc import ipc_file, read_ipc_file
from sfbridge.store.tables import derived_values

__all__ = ["DerivedValues"]

log = structlog.get_logger()


class DerivedValues(StoreBase):
    """The normalisers' tables of distinct values, one per kind (see the module docstring)."""

    def load_derived(self, kind: str, settings: str) -> pl.DataFrame | None:
        """The table a normaliser kept under these settings, or None (none kept, or other settings)."""
        query = select(derived_values.c.frame).where(
            derived_values.c.kind == kind, derived_values.c.settings == settings
        )
        with guard(f"read the stored {kind} values"), self.engine.connect() as conn:
            blob = conn.execute(query).scalar()
            let_page_cache_go(conn)  # the email table at a million people: 76 MB of pages
        if blob is None:
            return None
        return read_ipc_file(blob, unreadable="derived_values_unreadable", kind=kind)

    def save_derived(self, kind: str, settings: str, frame: pl.DataFrame) -> None:
        """Keep a normaliser's table under its settings, replacing what it kept before."""
        row = {
            "kind": kind,
            "settings": settings,
            "frame": ipc_file(frame, compression="lz4"),
            "rows": frame.height,
            "written_at": datetime.now(UTC),
        }
        with guard(f"keep the {kind} values"), self.engine.begin() as conn:
            conn.execute(delete(derived_values).where(derived_values.c.kind == kind))
            conn.execute(insert(derived_values), [row])

    def forget_derived(self) -> None:
        """Drop every kept table (the next audit derives everything again)."""
        with guard("drop the stored derived values"), self.engine.begin() as conn:
            conn.execute(delete(derived_values))
