"""The local store: mirror tables per object, sync state, and the runs table.

SQLAlchemy Core over SQLite (default) or PostgreSQL, one code path. A page of records and
the bookmark that covers it are written in one transaction, so a crash loses nothing
committed and never leaves half a page.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from sfbridge.errors import StoreError, UsageError
from sfbridge.store.base import guard
from sfbridge.store.derived import DerivedValues
from sfbridge.store.engine import display_url, open_engine
from sfbridge.store.files import sqlite_file
from sfbridge.store.imports import Imports
from sfbridge.store.journal import ApplyJournal
from sfbridge.store.kept_findings import adopt_legacy_findings
from sfbridge.store.locks import apply_lock, writer_lock
from sfbridge.store.match_model import KeptMatchModel
from sfbridge.store.migrate import add_missing_columns
from sfbridge.store.runs import AUDIT_COMMANDS, RunsAndFindings
from sfbridge.store.snapshots import Snapshots
from sfbridge.store.tables import meta, metadata, mirror_table_name

__all__ = ["AUDIT_COMMANDS", "Store", "display_url", "mirror_table_name"]

SCHEMA_VERSION = "2"
# Schema 1 kept each run's findings whole; schema 2 keeps each finding once, shared by the runs
# that found it (sfbridge.store.kept_findings). A schema 1 store is brought up to 2 when it is opened.
_UPGRADABLE = ("1",)


class Store(Snapshots, RunsAndFindings, ApplyJournal, DerivedValues, KeptMatchModel, Imports):
    """One org's local mirror: sync state, mirror tables, snapshots, runs, findings, the apply journal, imports."""

    def __init__(self, engine: Engine, *, url: str) -> None:
        """Wrap an engine whose bookkeeping tables exist (use :meth:`open`)."""
        self.engine = engine
        self.url = display_url(url)
        # The caches and locks the parts keep (each part declares its own, with what it holds).
        self._tables = {}
        self._sql = {}
        self._owners = {}

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Store:
        """Open (and if new, create) a store.

        Args:
            url: a SQLite path or URL, or a PostgreSQL URL.
            create: make a SQLite store that does not exist yet (commands that only read a
                store pass False: a mistyped path is an error, not a new empty store).

        Returns:
            The store.

        Raises:
            StoreError: when the database cannot be opened or holds a newer schema.
            UsageError: when ``create`` is False and there is no SQLite store at that path.
        """
        path = sqlite_file(url)
        if not create and path is not None and not path.is_file():
            msg = (
                f"the store {path} does not exist yet: run sfbridge pull first "
                "(or point --store, or the profile's store, at the store's file)"
            )
            raise UsageError(msg)
        engine = open_engine(url)
        try:
            with engine.begin() as conn:
                _prepare(conn, url)
        except SQLAlchemyError:
            # Another process opening the same new store, or upgrading the same older one, may
            # have done it first (a table it created, a lock it held): look again.
            with guard("prepare the store"), engine.begin() as conn:
                _prepare(conn, url)
        try:
            with engine.begin() as conn:
                add_missing_columns(conn, metadata.sorted_tables)
        except SQLAlchemyError:
            # Another process opening the same older store may have added them first: look again.
            with guard("add this version's columns to the store's tables"), engine.begin() as conn:
                add_missing_columns(conn, metadata.sorted_tables)
        return cls(engine, url=url)

    def writer_lock(self, name: str) -> AbstractContextManager[None]:
        """Hold the store's writer lock for one org (see :func:`sfbridge.store.locks.writer_lock`)."""
        return writer_lock(self.engine, name)

    def apply_lock(self, plan_digest: str | None, *, wait: float = 0) -> AbstractContextManager[None]:
        """Hold the locks of an apply or revert: one per plan on this machine, one per store.

        Args:
            plan_digest: the plan's digest (None: only the store's lock).
            wait: seconds to wait for another apply to end (0: refuse at once).

        Returns:
            A context manager holding both locks inside its block.

        Raises:
            StoreError: (on entering) another apply of the plan, or into this store, is running.
        """
        return apply_lock(self.engine, plan_digest, store=self.url, wait=wait)


def _prepare(conn: Connection, url: str) -> None:
    """Create what this sfbridge's tables lack, and bring a store of an older schema up to this one."""
    metadata.create_all(conn)
    version = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if version is None:
        conn.execute(meta.insert().values(key="schema_version", value=SCHEMA_VERSION))
    elif version in _UPGRADABLE:
        # Claimed before the move: of two processes opening the store at once, the one whose
        # update finds the old version moves the findings; the other waits for its commit,
        # finds nothing to claim, and moves nothing.
        claim = meta.update().where(meta.c.key == "schema_version", meta.c.value == version)
        if conn.execute(claim.values(value=SCHEMA_VERSION)).rowcount:
            adopt_legacy_findings(conn)
    elif version != SCHEMA_VERSION:
        msg = f"the store {display_url(url)} has schema {version}; this sfbridge knows {SCHEMA_VERSION}"
        raise StoreError(msg)
