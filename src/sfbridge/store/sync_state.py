"""Sync state: which org a store mirrors, each object's bookmark and columns, describes, notes.

A note is a value kept across runs (a Bulk download's resume point, say); the bookmark of a
page is written with the page itself, in :mod:`sfbridge.store.mirror`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, Integer, Text, cast, select, update

from sfbridge.describes import DescribedField
from sfbridge.errors import StoreError
from sfbridge.models import ColumnKind, SyncState
from sfbridge.store.base import StoreBase, guard, upsert
from sfbridge.store.tables import describes, meta, sync_state

#: The meta key counting the writes to the mirror tables (see :meth:`SyncStates.count_mirror_write`);
#: :func:`object_writes_key` gives the key counting each object's.
MIRROR_WRITES = "mirror_writes"
#: How long a meta key may be (``sfbridge_meta.key``).
_KEY_LENGTH = 64


def object_writes_key(sobject: str) -> str:
    """The meta key counting the writes to one object's mirror table: ``mirror_writes:Lead``.

    An API name too long for the key column (a managed package's object: a namespace, a
    40-character name and a suffix) is keyed by its digest instead.
    """
    key = f"{MIRROR_WRITES}:{sobject}"
    if len(key) <= _KEY_LENGTH:
        return key
    return f"{MIRROR_WRITES}:#{hashlib.sha256(sobject.encode()).hexdigest()[:40]}"


class SyncStates(StoreBase):
    """The org binding, per-object sync state, describes and notes of a store."""

    # -- mirror writes ----------------------------------------------------------------------

    def count_mirror_write(self, conn: Connection, sobjects: Iterable[str]) -> None:
        """Count one write to the mirror tables of these objects, in the writer's own transaction.

        Called by every writer whose write changed rows (a page that changed a record,
        deletions flagged, records revived, an import), in the same transaction. The mirror's
        snapshot token (:meth:`sfbridge.store.Store.snapshot_token`) includes the count of all
        writes, so a write that changes neither a sync state nor a row count (a Bulk page of
        updates, a deletion) still makes everything kept for the mirror before it (the audit's
        findings) stale, never wrong. Each object's own count is in its object token
        (:meth:`sfbridge.store.Store.object_tokens`), so what was kept of an object nothing
        changed since (its frame) still holds.

        Args:
            conn: the writer's connection, in the transaction that wrote the rows.
            sobjects: every object whose mirror table the write changed (a deletion's children too).
        """
        # One statement per key, counted by the database: two writers at once (on PostgreSQL)
        # never both write the same next value, as a read and then a write could, nor both
        # insert an object's first count, as an update and then an insert could.
        for key in (MIRROR_WRITES, *sorted({object_writes_key(sobject) for sobject in sobjects})):
            counted = upsert(conn, meta, {"key": key, "value": "1"})
            next_count = cast(cast(meta.c.value, Integer) + 1, Text)
            conn.execute(counted.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": next_count}))

    # -- org binding ----------------------------------------------------------------------

    def bind_org(self, org_id: str, instance_url: str) -> None:
        """Record which org this store mirrors, refusing to mix two orgs in one store.

        Raises:
            StoreError: when the store already mirrors another org.
        """
        with guard("read the store's org"), self.engine.begin() as conn:
            stored = conn.execute(select(meta.c.value).where(meta.c.key == "org_id")).scalar()
            if stored is None:
                conn.execute(
                    meta.insert(), [{"key": "org_id", "value": org_id}, {"key": "instance_url", "value": instance_url}]
                )
            elif stored == org_id:
                # A store an import made knows no instance (an export names none): the pull's is kept.
                conn.execute(
                    update(meta).where(meta.c.key == "instance_url", meta.c.value == "").values(value=instance_url)
                )
            else:
                msg = (
                    f"the store {self.url} mirrors org {stored}, not {org_id}; mixing two orgs "
                    "in one store would corrupt both: give this org its own store"
                )
                raise StoreError(msg)

    def note(self, key: str) -> str | None:
        """A value kept across runs under a key (a Bulk download's resume point, say), or None."""
        with guard("read the store's notes"), self.engine.connect() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == f"note:{key}")).scalar()
        return None if value is None else str(value)

    def save_note(self, key: str, value: str | None) -> None:
        """Keep a value under a key (None removes it)."""
        with guard("write the store's notes"), self.engine.begin() as conn:
            conn.execute(meta.delete().where(meta.c.key == f"note:{key}"))
            if value is not None:
                conn.execute(meta.insert().values(key=f"note:{key}", value=value))

    def org_id(self) -> str | None:
        """The Id of the org this store mirrors, or None before its first pull."""
        with guard("read the store's org"), self.engine.connect() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == "org_id")).scalar()
        return None if value is None else str(value)

    # -- sync state -----------------------------------------------------------------------

    def state(self, sobject: str) -> SyncState | None:
        """Return the sync state of one object, or None before its first pull."""
        with guard("read sync state"), self.engine.connect() as conn:
            row = conn.execute(select(sync_state).where(sync_state.c.sobject == sobject)).first()
        if row is None:
            return None
        return SyncState(
            sobject=row.sobject,
            cursor=row.cursor,
            bookmark=row.bookmark,
            deletes_since=row.deletes_since,
            completed_at=row.completed_at,
            columns={name: ColumnKind(kind) for name, kind in row.columns.items()},
        )

    def save_state(self, state: SyncState, *, run_id: int | None = None) -> None:
        """Write an object's sync state as a whole (start of a pull, end of a pull)."""
        with guard("write sync state"), self.engine.begin() as conn:
            self._put_state(conn, state, run_id=run_id)

    def _put_state(self, conn: Connection, state: SyncState, *, run_id: int | None) -> None:
        values = {
            "cursor": state.cursor,
            "bookmark": state.bookmark,
            "deletes_since": state.deletes_since,
            "completed_at": state.completed_at,
            "columns": {name: kind.value for name, kind in state.columns.items()},
            "last_run_id": run_id,
        }
        done = conn.execute(update(sync_state).where(sync_state.c.sobject == state.sobject).values(**values))
        if done.rowcount == 0:
            conn.execute(sync_state.insert().values(sobject=state.sobject, **values))

    # -- describes ----------------------------------------------------------------------------

    def save_describe(self, sobject: str, fields: Sequence[DescribedField], *, described_at: datetime) -> None:
        """Keep what the latest describe of an object said (replacing the previous one)."""
        plain = [field.model_dump(mode="json", exclude_defaults=True) for field in fields]
        with guard(f"keep the {sobject} describe"), self.engine.begin() as conn:
            conn.execute(describes.delete().where(describes.c.sobject == sobject))
            conn.execute(describes.insert().values(sobject=sobject, fields=plain, described_at=described_at))

    def described(self, sobject: str) -> tuple[DescribedField, ...] | None:
        """The fields the latest pull's describe of an object listed, or None if none was kept."""
        with guard(f"read the {sobject} describe"), self.engine.connect() as conn:
            plain = conn.execute(select(describes.c.fields).where(describes.c.sobject == sobject)).scalar()
        if plain is None:
            return None
        return tuple(DescribedField.model_validate(field) for field in plain)
