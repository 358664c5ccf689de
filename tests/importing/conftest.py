"""The demo org pulled and audited, and its Data Export (fixtures/import/) imported and audited."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from importing_helpers import EXPORT_ZIP

from sfbridge.audit import AuditResult, audit
from sfbridge.checks import select_checks
from sfbridge.demo import load_demo_org
from sfbridge.importing import ImportReport, import_export
from sfbridge.rules import load_rules
from sfbridge.store import Store
from sfbridge_tools.export_fixtures import demo_store


@dataclass(frozen=True)
class Audited:
    """A store and its audit."""

    store: Store
    result: AuditResult


@pytest.fixture(scope="session")
def pulled_demo(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    """The demo org pulled (both recorded pulls) and audited under its own rules."""
    store = demo_store(tmp_path_factory.mktemp("pulled"))
    demo = load_demo_org()
    return Audited(store, audit(store, org="demo", rules=load_rules(demo.rules), checks=select_checks(None)))


@pytest.fixture(scope="session")
def imported_demo(tmp_path_factory: pytest.TempPathFactory, pulled_demo: Audited) -> tuple[Audited, ImportReport]:
    """The demo org's Data Export imported (as of the pulled mirror's moment) and audited under the same rules."""
    store = Store.open(str(tmp_path_factory.mktemp("imported") / "import.db"))
    report = import_export(EXPORT_ZIP, store, org="demo", as_of=pulled_demo.result.snapshot_at)
    demo = load_demo_org()
    return Audited(store, audit(store, org="demo", rules=load_rules(demo.rules), checks=select_checks(None))), report
