"""The apply journal: each step of an applied action, written before a request and after its result.

An apply or revert that stops half-way resumes from here, and a revert reads what each
record was before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sfbridge.models import ActionKind, JournalEntry, JournalState
from sfbridge.store.base import StoreBase, guard
from sfbridge.store.tables import apply_journal


class ApplyJournal(StoreBase):
    """The journal of apply and revert runs."""

    # -- the apply journal -------------------------------------------------------------------

    def journal(self, run_id: int, plan_digest: str, entries: Sequence[JournalEntry], *, at: datetime) -> None:
        """Append steps of applied actions, in one transaction (before a request is sent, after its result)."""
        if not entries:
            return
        rows = [
            {
                "run_id": run_id,
                "plan_digest": plan_digest,
                "action_key": entry.action_key,
                "kind": entry.kind.value,
                "sobject": entry.sobject,
                "record_id": entry.record_id,
                "state": entry.state.value,
                "before": entry.before,
                "after": entry.after,
                "detail": entry.detail,
                "at": at,
            }
            for entry in entries
        ]
        with guard("write the apply journal"), self.engine.begin() as conn:
            conn.execute(apply_journal.insert(), rows)

    def journal_of_plan(self, plan_digest: str) -> list[JournalEntry]:
        """Every journalled step of a plan, across all its apply runs, in order."""
        return self._journal(apply_journal.c.plan_digest == plan_digest)

    def journal_of_run(self, run_id: int) -> list[JournalEntry]:
        """Every journalled step of one apply run, in order."""
        return self._journal(apply_journal.c.run_id == run_id)

    def _journal(self, where: Any) -> list[JournalEntry]:  # noqa: ANN401 (a SQLAlchemy condition)
        query = select(apply_journal).where(where).order_by(apply_journal.c.id)
        with guard("read the apply journal"), self.engine.connect() as conn:
            return [
                JournalEntry(
                    action_key=row.action_key,
                    kind=ActionKind(row.kind),
                    sobject=row.sobject,
                    record_id=row.record_id,
                    state=JournalState(row.state),
                    before=row.before,
                    after=row.after,
                    detail=row.detail,
                    run_id=row.run_id,
                    at=row.at,
                )
                for row in conn.execute(query)
            ]

    def plan_digests_of_run(self, run_id: int) -> list[str]:
        """The plans an apply run journalled steps of (one, for runs sfbridge makes)."""
        query = select(apply_journal.c.plan_digest).where(apply_journal.c.run_id == run_id).distinct()
        with guard("read the apply journal"), self.engine.connect() as conn:
            return [str(value) for value in conn.execute(query).scalars()]
