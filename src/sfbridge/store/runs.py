"""Runs and their findings: what each command run did, and what each audit found.

A run's row is written at its start and its end; its owner lock (see
:mod:`sfbridge.store.locks`) is held in between, so a run whose lock is free was left by a
process that is gone.

A finding is stored once, however many runs find it (:mod:`sfbridge.store.kept_findings`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Text, cast, select, update

from sfbridge.errors import INTERRUPTED, StoreError
from sfbridge.models import Finding, FindingKey
from sfbridge.store.base import StoreBase, guard
from sfbridge.store.driver import driver_rows
from sfbridge.store.kept_findings import (
    FINDING_COLUMNS,
    JSON_COLUMNS,
    finding_of,
    finding_rows,
    of_run,
    run_keys,
    write_findings,
)
from sfbridge.store.locks import RunOwner, claim_run_owner, in_memory, owner_gone
from sfbridge.store.tables import finding_bodies, run_findings, runs

log = structlog.get_logger()


#: The runs whose findings form an org's audit history: `sfbridge audit`. `sfbridge plan` also
#: keeps findings (command "plan"), but no one is given a report from it, so it is not an
#: audit: "new since the previous audit" means since the last report someone read. The demo's
#: runs (pulls and its audit alike, all "demo") replay a recording into a fresh store.
AUDIT_COMMANDS = ("audit",)

#: The key of a run's details that holds what its findings are a function of
#: (:meth:`sfbridge.store.Store.findings_basis`); runs recorded before it have none.
BASIS = "basis"

_GONE = (
    "the process running it ended before it finished (killed, crashed or shut down); "
    "what it committed is kept, and the next run resumes from it"
)


class RunsAndFindings(StoreBase):
    """The runs table and the findings of each run."""

    _owners: dict[int, RunOwner]  # the owner locks of the runs this object started

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, command: str, *, org: str, started_at: datetime) -> int:
        """Record the start of a command run and return its id.

        Runs left ``running`` by a process that is gone are marked interrupted first (see
        :meth:`sweep_interrupted`). The new run's owner lock is held until :meth:`finish_run`.
        """
        self.sweep_interrupted()
        owner = claim_run_owner(self.engine)  # before the row: a visible running run always has a live lock
        try:
            run_id = self._insert_run(
                command=command, org=org, started_at=started_at, outcome="running", owner=owner.token
            )
        except BaseException:
            owner.release()
            raise
        self._owners[run_id] = owner
        return run_id

    def _insert_run(self, **values: Any) -> int:  # noqa: ANN401 (column values)
        with guard("record the run"), self.engine.begin() as conn:
            key = conn.execute(runs.insert().values(**values)).inserted_primary_key
        if key is None:  # SQLAlchemy leaves it unset only for multi-row inserts; this is one row
            msg = "cannot record the run: the database returned no run id"
            raise StoreError(msg)
        return int(key[0])

    def finish_run(self, run_id: int, *, outcome: str, finished_at: datetime, **values: Any) -> None:  # noqa: ANN401
        """Record how a run ended (counts, API calls, error text) and let its owner lock go."""
        try:
            with guard("record the run"), self.engine.begin() as conn:
                conn.execute(
                    update(runs).where(runs.c.id == run_id).values(outcome=outcome, finished_at=finished_at, **values)
                )
        finally:
            # After the row: a sweep that takes the released lock then finds the run finished.
            owner = self._owners.pop(run_id, None)
            if owner is not None:
                owner.release()

    def sweep_interrupted(self) -> list[int]:
        """Mark every ``running`` run whose process is gone as interrupted (its owner lock is free).

        A run killed with SIGKILL, or stopped by a crash or a power cut, cannot record its own
        end; the next run (or ``sfbridge runs``) finds it here. An in-memory store has no
        other process's runs and is left alone.

        Returns:
            The ids of the runs marked interrupted.
        """
        if in_memory(self.engine):
            return []
        with guard("read runs"), self.engine.connect() as conn:
            running = conn.execute(select(runs.c.id, runs.c.owner).where(runs.c.outcome == "running")).all()
        swept: list[int] = []
        for run_id, token in running:
            with owner_gone(self.engine, token) as gone:
                if not gone:
                    continue
                with guard("record the run"), self.engine.begin() as conn:
                    done = conn.execute(
                        update(runs)
                        .where(runs.c.id == run_id, runs.c.outcome == "running")
                        .values(outcome=INTERRUPTED, finished_at=datetime.now(UTC), error=_GONE)
                    )
                if done.rowcount:
                    swept.append(int(run_id))
        if swept:
            log.warning("runs_interrupted", runs=swept, store=self.url)
        return swept

    # -- findings -----------------------------------------------------------------------------

    def save_findings(self, run_id: int, items: Sequence[Finding]) -> list[bytes]:
        """Keep an audit run's findings (for trends and for planning fixes later), in one transaction: all or none.

        Only findings no earlier run stored are written whole; the run lists every finding's
        digest (see the module's docstring). Made into rows a few thousand at a time, each
        batch written before the next is made: the rows of a million records' 160k findings
        (their JSON text) weighed 160 MB at once. Returns each finding's digest, in order
        (what :meth:`finding_keys` takes as ``known``).
        """
        if not items:
            return []
        with guard("save findings"), self.engine.begin() as conn:
            batches = (items[start : start + _SAVE_BATCH] for start in range(0, len(items), _SAVE_BATCH))
            return write_findings(conn, run_id, (finding_rows(run_id, batch) for batch in batches))

    def load_findings(self, run_id: int, *, checks: Collection[str] | None = None) -> list[Finding]:
        """Read back an audit run's findings (of some checks only, if given), in the order they were saved."""
        # The JSON columns are read as text and parsed with orjson: SQLAlchemy's JSON type
        # parses with the json module, most of the time a large audit's read-back takes.
        body = finding_bodies.c
        columns = [cast(body[name], Text) if name in JSON_COLUMNS else body[name] for name in FINDING_COLUMNS[1:]]
        query = of_run(select(*columns), run_id).order_by(run_findings.c.position)
        if checks is not None:
            query = query.where(body.check_name.in_(sorted(checks)))
        with guard("read findings"), self.engine.connect() as conn:
            return [finding_of(row) for row in driver_rows(conn, query)]

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run's row, or None."""
        with guard("read runs"), self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
            return dict(row._mapping) if row else None  # noqa: SLF001

    def run_details(self, run_id: int) -> dict[str, Any]:
        """What a run kept beside its counts (``runs.details``), or {} for a run without any.

        A run recorded by an older sfbridge (or a row edited by hand) has none, or something
        that is not an object: both read as {}.
        """
        with guard("read runs"), self.engine.connect() as conn:
            details = conn.execute(select(runs.c.details).where(runs.c.id == run_id)).scalar()
        return dict(details) if isinstance(details, dict) else {}

    def reusable_run(self, basis: Mapping[str, str], checks: Collection[str]) -> dict[str, Any] | None:
        """The latest run that ended ok with findings of all these checks on this basis, or None.

        Args:
            basis: what the findings must be a function of (:meth:`findings_basis`, now).
            checks: the checks whose findings are wanted; the run may have run more.

        Returns:
            The run's ``id``, ``command`` and ``details``. A run interrupted or failed is never
            one (its findings may be partial), nor one recorded without a basis (by an older
            sfbridge, or a pull).
        """
        query = select(runs.c.id, runs.c.command, runs.c.counts, runs.c.details).where(runs.c.outcome == "ok")
        with guard("read runs"), self.engine.connect() as conn:
            for run_id, command, counts, details in conn.execute(query.order_by(runs.c.id.desc())):
                ran = counts if isinstance(counts, dict) else {}
                if isinstance(details, dict) and details.get(BASIS) == dict(basis) and set(checks) <= set(ran):
                    return {"id": int(run_id), "command": command, "details": details}
        return None

    def recent_runs(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """Return the latest runs, newest first."""
        with guard("read runs"), self.engine.connect() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.id.desc()).limit(limit))
            return [dict(row._mapping) for row in rows]  # noqa: SLF001

    # -- audit history (trends) -------------------------------------------------------------

    def audit_runs(
        self, *, before: int | None = None, commands: Sequence[str] = AUDIT_COMMANDS
    ) -> list[dict[str, Any]]:
        """The successful audits kept in this store, oldest first (the store mirrors one org).

        Args:
            before: only runs older than this run id.
            commands: which runs are audits (see :data:`AUDIT_COMMANDS`).

        Returns:
            Per run: ``id``, ``command``, ``org``, ``started_at``, ``finished_at`` and
            ``counts`` (check → findings; every check the run ran, zeros included).
        """
        columns = (runs.c.id, runs.c.command, runs.c.org, runs.c.started_at, runs.c.finished_at, runs.c.counts)
        query = select(*columns).where(runs.c.command.in_(commands), runs.c.outcome == "ok").order_by(runs.c.id)
        if before is not None:
            query = query.where(runs.c.id < before)
        with guard("read runs"), self.engine.connect() as conn:
            return [{**row._mapping, "counts": dict(row.counts or {})} for row in conn.execute(query)]  # noqa: SLF001

    def previous_audit_run(self, run_id: int) -> dict[str, Any] | None:
        """The latest successful audit before a run (as :meth:`audit_runs` gives it), or None."""
        earlier = self.audit_runs(before=run_id)
        return earlier[-1] if earlier else None

    def finding_keys(
        self, run_id: int, checks: Sequence[str] | None = None, *, known: Mapping[bytes, FindingKey] | None = None
    ) -> set[FindingKey]:
        """The ``(check, sobject, record_id)`` of a run's findings, optionally of some checks only.

        A narrow read: a large audit keeps ~150k findings, and comparing two audits needs
        only who was flagged by what, not the evidence. ``known``: the identities of findings
        by digest (another run's, as :meth:`save_findings` gave its digests): the run's
        findings found there are not read from their bodies (see :func:`run_keys`).
        """
        if known is not None:
            with guard("read findings"), self.engine.connect() as conn:
                return set(run_keys(conn, run_id, known, checks))
        body = finding_bodies.c
        query = of_run(select(body.check_name, body.sobject, body.record_id), run_id)
        if checks is not None:
            query = query.where(body.check_name.in_(list(checks)))
        with guard("read findings"), self.engine.connect() as conn:
            return set(driver_rows(conn, query))


_SAVE_BATCH = 5_000  # findings made into rows at a time by RunsAndFindings.save_findings
