"""What the tests of kept frames and kept people share (test glue, not a fixture module).

The people as an audit without kept people makes them, a count of the kept people's reads, an
audit's findings in comparable form, and a page written as a pull writes one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
import pytest
from sqlalchemy import text

from sfbridge.audit import audit
from sfbridge.checks import select_checks
from sfbridge.checks.context import PEOPLE_NEEDS, people_matching
from sfbridge.rules import Rules
from sfbridge.store import Store


def people_made(store: Store, rules: Rules) -> pl.DataFrame:
    """The people normalised from the mirror now, as an audit without kept people makes them."""
    snapshot = store.load_snapshot({sobject: set(fields) for sobject, fields in PEOPLE_NEEDS.items()})
    matching = people_matching(snapshot, rules, derived=store)
    try:
        return matching.normalised_people()
    finally:
        matching.close()


def kept_people_reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Per read of the kept people from now on: whether it found them."""
    found: list[bool] = []
    reading = Store.read_kept_people

    def counted(self: Store, *args: Any, **kwargs: Any) -> pl.DataFrame | None:
        people = reading(self, *args, **kwargs)
        found.append(people is not None)
        return people

    monkeypatch.setattr(Store, "read_kept_people", counted)
    return found


def audit_findings(store: Store, rules: Rules) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """An audit of every check: its findings as JSON, and how the duplicate search weighed pairs."""
    result = audit(store, org="t", rules=rules, checks=select_checks(None))
    return [item.model_dump(mode="json") for item in result.findings], result.match_model


def write_as_a_pull(store: Store, sobject: str, columns: list[str], row: Sequence[Any], *, at: datetime) -> None:
    """One record written as a pull's page is (the object's run and bookmark as they were)."""
    with store.engine.connect() as conn:
        run_id = conn.execute(text("SELECT last_run_id FROM sync_state WHERE sobject = :o"), {"o": sobject}).scalar()
    store.write_page(store.state(sobject), columns, [tuple(row)], synced_at=at, run_id=run_id)
