"""Snapshots: the live mirror records the checks need, loaded as typed frames."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import orjson
import structlog
from sqlalchemy import func, select

import sfbridge
from sfbridge.errors import UsageError
from sfbridge.heap import return_freed_heap
from sfbridge.snapshot import Snapshot
from sfbridge.store.base import guard
from sfbridge.store.engine import let_page_cache_go
from sfbridge.store.frames import FrameRequest, load_frames, load_some
from sfbridge.store.kept_frames import Kept, KeptFrames
from sfbridge.store.mirror import MirrorTables
from sfbridge.store.sync_state import MIRROR_WRITES, object_writes_key
from sfbridge.store.tables import DELETED_AT, SYNCED_AT, describes, meta, sync_state

log = structlog.get_logger()

#: The meta keys naming the org a store mirrors.
ORG_KEYS = ("org_id", "instance_url")


class Snapshots(MirrorTables, KeptFrames):
    """Loading snapshots from the mirror tables, or from the frames a pull kept of them (:mod:`.kept_frames`)."""

    # -- snapshots ---------------------------------------------------------------------------

    def load_snapshot(
        self,
        fields: Mapping[str, Iterable[str]],
        *,
        taken_at: datetime | None = None,
        count_fill: Iterable[str] = (),
        only: Mapping[str, Iterable[str]] | None = None,
    ) -> Snapshot:
        """Load the live records the checks need into a snapshot.

        Args:
            fields: per object, the fields to load (ones the store lacks are skipped; the
                snapshot adds them as nulls on request). Objects never pulled are absent.
            taken_at: the moment the snapshot stands for (default: the last completed pull).
            count_fill: objects whose every stored field gets a fill count (one table scan
                each, cheaper than loading every column of a large object).
            only: per object, the Ids of the only records of it to load; objects it does not
                name are read whole. Given, every object is read in this process, by Id
                (:func:`~sfbridge.store.frames.load_some`): for the records a plan's findings
                name (91k of a million-record org's) and small objects, a reader process would
                cost more than the read.

        Returns:
            The snapshot.

        Raises:
            UsageError: when the store holds no pulled org yet.
        """
        with guard("read the store's org"), self.engine.connect() as conn:
            org = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
        if "org_id" not in org:
            msg = f"the store {self.url} holds no org yet: run sfbridge pull (or audit without --offline) first"
            raise UsageError(msg)
        requests, latest = self._requests(fields)
        counted = [sobject for sobject in count_fill if self.state(sobject)]
        # What the last pull's preparation kept of each object, its table unchanged since, is read back.
        kept = self._kept(requests, counted) if only is None else Kept()
        reading = {sobject: request for sobject, request in requests.items() if sobject not in kept.frames}
        counting = [sobject for sobject in counted if sobject not in kept.fill_counts]
        # Columns read whole into a frame are counted from it (a null count polars keeps):
        # SQL counts only the others, a fifth less of the scan (Lead and Contact at 1M: 1.6 to
        # 1.2 CPU-s). Given `only`, the frames hold a few records: every field is counted in SQL.
        from_frames = {sobject: set(reading[sobject][1]) for sobject in counting if only is None and sobject in reading}
        # The fill counts scan whole tables while the frames are read (in reader processes for
        # a large SQLite store): run them side by side rather than one after the other.
        with ThreadPoolExecutor(max_workers=1) as counter:
            counts_made = counter.submit(
                lambda: {sobject: self._fill_counts(sobject, from_frames.get(sobject, set())) for sobject in counting}
            )
            with guard("read the mirror"):
                read = load_frames(self.engine, reading) if only is None else load_some(self.engine, reading, only)
            counts = counts_made.result()
        # The counting thread's page cache, freed by shrink_memory, stays resident in that
        # thread's malloc arena (and the load's other freed buffers in theirs) otherwise.
        return_freed_heap()
        for sobject, loaded in from_frames.items():
            frame = read[sobject]
            filled = {name: frame.height - frame.get_column(name).null_count() for name in loaded}
            counts[sobject] = {name: filled.get(name, count) for name, count in counts[sobject].items()}
        # In the order asked, kept or read alike.
        frames = {sobject: kept.frames[sobject] if sobject in kept.frames else read[sobject] for sobject in requests}
        counts = {
            sobject: kept.fill_counts[sobject] if sobject in kept.fill_counts else counts[sobject]
            for sobject in counted
        }
        moment = taken_at or latest or datetime.now(UTC)
        return Snapshot(
            org_id=org["org_id"],
            instance_url=org.get("instance_url", ""),
            taken_at=moment,
            frames=frames,
            fill_counts=counts,
        )

    def fresh_kept(
        self, fields: Mapping[str, Iterable[str]], *, tokens: Mapping[str, str], count_fill: Collection[str] = ()
    ) -> set[str]:
        """The objects a load of ``fields`` would read back kept (files unread): kept for these ``tokens``.

        For a pull's preparation, which takes the objects' tokens (:meth:`object_tokens`) before
        anything else: what it kept of those objects before is neither loaded nor kept again.
        Each object's columns are those a load asks for (the stored ones).
        """
        requests, _ = self._requests(fields)
        if not requests or not self.has_kept_frames():
            return set()
        counted = [sobject for sobject in count_fill if sobject in requests]
        return self.fresh_kept_frames(tokens, _columns(requests), counted)

    def _requests(self, fields: Mapping[str, Iterable[str]]) -> tuple[dict[str, FrameRequest], datetime | None]:
        """Per object mirrored: its table and the kinds of the wanted fields it stores; and the last pull's end."""
        requests: dict[str, FrameRequest] = {}
        latest: datetime | None = None
        for sobject, wanted in fields.items():
            state = self.state(sobject)
            if state is None:
                continue
            kinds = {name: kind for name, kind in state.columns.items() if name in set(wanted) | {"Id"}}
            requests[sobject] = (self.table(sobject), kinds)
            if state.completed_at is not None:
                latest = max(latest, state.completed_at) if latest else state.completed_at
        return requests, latest

    def _kept(self, requests: Mapping[str, FrameRequest], counted: Collection[str]) -> Kept:
        """The frames (and fill counts) kept of the objects requested, those whose tables are as they were kept."""
        if not requests or not self.has_kept_frames():
            return Kept()
        wanted = _columns(requests)
        kept = self.read_kept_frames(self.object_tokens(wanted), wanted, counted)
        if kept.frames:
            log.info("kept_frames_read", objects=sorted(kept.frames), read=sorted(set(requests) - set(kept.frames)))
        return kept

    def snapshot_token(self) -> str:
        """A token for the mirror as it stands: equal tokens, equal snapshots (and so equal findings).

        It changes whenever the mirror does. Every pull changes it, even one that found nothing
        new: it writes each object's sync state (naming itself as the run that last wrote it,
        and a new completion time, the moment ages are measured from) and keeps a new
        describe. Every write to the mirror tables (a page, deletions flagged, records revived,
        an import) is counted in the same transaction (:meth:`count_mirror_write`), so a write
        the sync states do not show (a pull still running, or one that died mid-way) changes
        it too; each mirror table's row count is in as well.
        Cheap at any size: a few small tables and one count per object (on SQLite, from the
        Id index rather than the records).

        Returns:
            A hex digest (the same for the same mirror, on any machine).
        """
        with guard("read the mirror's state"), self.engine.connect() as conn:
            org = conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_([*ORG_KEYS, MIRROR_WRITES])))
            states = conn.execute(select(sync_state).order_by(sync_state.c.sobject)).all()
            described = conn.execute(
                select(describes.c.sobject, describes.c.described_at).order_by(describes.c.sobject)
            )
            parts: list[object] = [sorted(org.all()), [tuple(row) for row in states], [tuple(row) for row in described]]
            for state in states:
                table = self.table(state.sobject)
                parts.append((state.sobject, conn.execute(select(func.count()).select_from(table)).scalar_one()))
            # The counts read every mirror table's Id index (Task's and LeadHistory's are tens of MB
            # at a million records) into this pooled connection's cache, where nothing reads them
            # again: held through the rest of an audit, they were 50-70 MB of its outputs' peak.
            let_page_cache_go(conn)
        plain = orjson.dumps(parts, default=str, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS)
        return hashlib.sha256(plain).hexdigest()

    def object_tokens(self, sobjects: Iterable[str]) -> dict[str, str]:
        """A token per object for its mirror table as it stands: equal tokens, equal frames of it.

        Unlike :meth:`snapshot_token`, a pull that wrote nothing to an object (or found nothing
        new at all) leaves that object's token as it was: it is made of the object's own write
        count (:meth:`count_mirror_write`), row count and stored columns, its last describe's
        fields, and the org. What was kept of an object's frame (:mod:`.kept_frames`) holds
        while its token does, whatever else the pull wrote. Not the moment ages are measured
        from: a frame does not depend on it (a snapshot's findings do: :meth:`snapshot_token`).

        Args:
            sobjects: the objects wanted; those never pulled are left out.

        Returns:
            Per object mirrored, a hex digest (the same for the same table, on any machine).
        """
        wanted = sorted(set(sobjects))
        keys = [object_writes_key(sobject) for sobject in wanted]
        tokens: dict[str, str] = {}
        with guard("read the mirror's state"), self.engine.connect() as conn:
            org = [tuple(row) for row in conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_(ORG_KEYS)))]
            writes = dict(conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_(keys))).all())
            columns = dict(conn.execute(select(sync_state.c.sobject, sync_state.c.columns)).all())
            fields = dict(conn.execute(select(describes.c.sobject, describes.c.fields)).all())
            for sobject, key in zip(wanted, keys, strict=True):
                if sobject not in columns:
                    continue
                rows = conn.execute(select(func.count()).select_from(self.table(sobject))).scalar_one()
                parts = [sorted(org), sobject, columns[sobject], writes.get(key), rows, fields.get(sobject)]
                plain = orjson.dumps(parts, default=str, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS)
                tokens[sobject] = hashlib.sha256(plain).hexdigest()
            let_page_cache_go(conn)  # the Id indexes the counts read, as in snapshot_token
        return tokens

    def findings_basis(self, rules_digest: str) -> dict[str, str]:
        """What an audit's findings are a function of, besides the checks it ran (its counts name those).

        The same rules (their digest, :func:`sfbridge.rules.rules_digest`) over the same
        snapshot (:meth:`snapshot_token`), checked by the same sfbridge (an upgrade may change
        what a check finds), find the same things: a plan may reuse such a run's findings
        (:meth:`reusable_run`) rather than audit again. The duplicates also follow the match
        model the store keeps (:mod:`sfbridge.matching.kept_model`), which an audit in between
        may have learned anew: the reused run's findings are still those of its own audit.
        """
        return {"rules": rules_digest, "snapshot": self.snapshot_token(), "sfbridge": sfbridge.__version__}

    def _fill_counts(self, sobject: str, elsewhere: set[str]) -> dict[str, int]:
        """How many live records fill each field (``*``: how many live records there are).

        Fields in ``elsewhere`` are counted by the caller: they get a placeholder 0 here, in
        their place among the fields.
        """
        table = self.table(sobject)
        fields = [column for column in table.columns if column.name not in {SYNCED_AT, DELETED_AT}]
        counted = [column for column in fields if column.name not in elsewhere]
        query = select(func.count(), *(func.count(column) for column in counted)).where(table.c[DELETED_AT].is_(None))
        with guard(f"count {sobject} fields"), self.engine.connect() as conn:
            total, *filled = conn.execute(query).one()
            # The scan filled this connection's page cache with pages nothing reads again; and
            # once the frames' load opened a second pooled connection, one per counted object.
            # At 1M the audit's process held 816 MB (anonymous) after the load, 719 with this.
            let_page_cache_go(conn)
        found = {column.name: int(value) for column, value in zip(counted, filled, strict=True)}
        return {"*": int(total), **{column.name: found.get(column.name, 0) for column in fields}}


def _columns(requests: Mapping[str, FrameRequest]) -> dict[str, list[str]]:
    """Per object requested, the columns a load reads (those of them the table stores)."""
    return {sobject: list(kinds) for sobject, (_, kinds) in requests.items()}
