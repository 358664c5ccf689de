"""Snapshots: the live mirror records the checks need, loaded as typed frames."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select

from sfbridge.errors import UsageError
from sfbridge.snapshot import Snapshot
from sfbridge.store.base import guard
from sfbridge.store.frames import FrameRequest, load_frames
from sfbridge.store.mirror import MirrorTables
from sfbridge.store.tables import DELETED_AT, SYNCED_AT, meta


class Snapshots(MirrorTables):
    """Loading snapshots from the mirror tables."""

    # -- snapshots ---------------------------------------------------------------------------

    def load_snapshot(
        self,
        fields: Mapping[str, Iterable[str]],
        *,
        taken_at: datetime | None = None,
        count_fill: Iterable[str] = (),
    ) -> Snapshot:
        """Load the live records the checks need into a snapshot.

        Args:
            fields: per object, the fields to load (ones the store lacks are skipped; the
                snapshot adds them as nulls on request). Objects never pulled are absent.
            taken_at: the moment the snapshot stands for (default: the last completed pull).
            count_fill: objects whose every stored field gets a fill count (one table scan
                each, cheaper than loading every column of a large object).

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
        requests: dict[str, FrameRequest] = {}
        latest = None
        for sobject, wanted in fields.items():
            state = self.state(sobject)
            if state is None:
                continue
            kinds = {name: kind for name, kind in state.columns.items() if name in set(wanted) | {"Id"}}
            requests[sobject] = (self.table(sobject), kinds)
            if state.completed_at is not None:
                latest = max(latest, state.completed_at) if latest else state.completed_at
        counted = [sobject for sobject in count_fill if self.state(sobject)]
        # The fill counts scan whole tables while the frames are read (in reader processes for
        # a large SQLite store): run them side by side rather than one after the other.
        with ThreadPoolExecutor(max_workers=1) as counter:
            counting = counter.submit(lambda: {sobject: self._fill_counts(sobject) for sobject in counted})
            with guard("read the mirror"):
                frames = load_frames(self.engine, requests)
            counts = counting.result()
        moment = taken_at or latest or datetime.now(UTC)
        return Snapshot(
            org_id=org["org_id"],
            instance_url=org.get("instance_url", ""),
            taken_at=moment,
            frames=frames,
            fill_counts=counts,
        )

    def _fill_counts(self, sobject: str) -> dict[str, int]:
        """How many live records fill each field (``*``: how many live records there are)."""
        table = self.table(sobject)
        fields = [column for column in table.columns if column.name not in {SYNCED_AT, DELETED_AT}]
        query = select(func.count(), *(func.count(column) for column in fields)).where(table.c[DELETED_AT].is_(None))
        with guard(f"count {sobject} fields"), self.engine.connect() as conn:
            total, *filled = conn.execute(query).one()
        return {"*": int(total), **{column.name: int(value) for column, value in zip(fields, filled, strict=True)}}
