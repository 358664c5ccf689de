"""Shared fixtures: profiles, clocks, stores (SQLite always, PostgreSQL in CI), gateways, the accuracy benchmark."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy
import structlog
from pydantic import SecretStr

from sfbridge.config import AuthMethod, OrgProfile
from sfbridge.credentials import REPLAY_SECRETS, Secrets
from sfbridge.salesforce import SalesforceGateway, connect
from sfbridge.store import Store, runs

#: The PostgreSQL server CI provides (trust auth); override with SFBRIDGE_TEST_POSTGRES_URL.
POSTGRES_URL = os.environ.get("SFBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
INSTANCE = "https://sfbridge-scenario.my.salesforce.com"


def make_profile(**overrides: object) -> OrgProfile:
    """A client-credentials profile for the scenario org, fast retries."""
    values: dict[str, object] = {
        "name": "scenario",
        "auth": AuthMethod.CLIENT_CREDENTIALS,
        "login_url": INSTANCE,
        "consumer_key": "3MVG9scenario",
        "network": {"backoff_initial": 0.0, "backoff_max": 0.0, "max_attempts": 3},
    }
    values.update(overrides)
    return OrgProfile.model_validate(values)


SECRETS = Secrets(client_secret=SecretStr("scenario-secret"))


@pytest.fixture(autouse=True, scope="session")
def _private_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The session's own temporary folder, for it and its subprocesses.

    A plan's apply lock is machine-wide (a file in the user's cache folder, or
    SFBRIDGE_LOCK_DIR), and tests apply the same plans: two suites running at once on one
    machine must not meet in it.
    """
    folder = str(tmp_path_factory.mktemp("tmp"))
    saved, variable = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir, os.environ["TMPDIR"] = folder, folder
    os.environ["SFBRIDGE_LOCK_DIR"] = str(tmp_path_factory.mktemp("locks"))
    yield
    os.environ.pop("SFBRIDGE_LOCK_DIR", None)
    tempfile.tempdir = saved
    if variable is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = variable


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """Each test starts with structlog's defaults (CLI tests configure it)."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def sleeps() -> list[float]:
    """Records the waits retries asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def gateway_factory(sleeps: list[float]) -> Callable[..., SalesforceGateway]:
    """Build gateways whose retries record their waits instead of sleeping."""

    def build(profile: OrgProfile | None = None, secrets: Secrets = SECRETS) -> SalesforceGateway:
        return connect(profile or make_profile(), secrets, sleep=sleeps.append)

    return build


#: The duplicate-accuracy benchmark, whose labelled sets and scores the matching tests use.
ACCURACY_BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "matching_accuracy.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """benchmarks/matching_accuracy.py as a module (benchmarks/ is not a package): its labelled sets and scores."""
    spec = importlib.util.spec_from_file_location("matching_accuracy", ACCURACY_BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["matching_accuracy"] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["matching_accuracy"]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    """A fresh SQLite store."""
    return Store.open(str(tmp_path / "store.db"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL store URL on a schema of its own, dropped afterwards.

    CI must run these: an unreachable server fails the test unless SFBRIDGE_SKIP_POSTGRES=1.
    """
    schema = f"sfbridge_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        if os.environ.get("SFBRIDGE_SKIP_POSTGRES") == "1":
            pytest.skip(f"PostgreSQL not reachable: {exc.orig}")
        raise
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def copy_store(store: Store, path: Path) -> Store:
    """A copy of a SQLite store at ``path``, through SQLite's backup (a file copy could miss the WAL's last writes)."""
    with (
        contextlib.closing(sqlite3.connect(store.engine.url.database)) as source,
        contextlib.closing(sqlite3.connect(path)) as copy,
    ):
        source.backup(copy)
    return Store.open(str(path), create=False)


def refuse_one_finding_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the database refuse one row in the middle of each batch of findings saved (check_name is NOT NULL)."""
    real = runs.finding_rows

    def broken(run_id: int, items: Sequence[Any]) -> list[tuple[Any, ...]]:
        rows = real(run_id, items)
        rows[len(rows) // 2] = (run_id, None, *rows[len(rows) // 2][2:])
        return rows

    monkeypatch.setattr(runs, "finding_rows", broken)


def run_unguarded(script: Path, body: str) -> subprocess.CompletedProcess[str]:
    """Run ``body`` as a script without a ``__main__`` guard, so a spawned worker cannot start; it must print "written".

    Asserts it ran once (the worker did not run the script again) and fell back to writing in-process.
    """
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("written\n") == 1
    assert "workbook_worker_failed" in done.stdout + done.stderr  # it did fall back
    return done


def generated_org_store(url: str | Path, *, snapshot: datetime, records: int = 3_000) -> Store:
    """A generated org (duplicates, phones, addresses: every normaliser has work) as a first pull writes it.

    ``url``: a SQLite file's path or a store URL (PostgreSQL).
    """
    from recorded import FIXTURES  # noqa: PLC0415 (a helper of a few test modules: its imports are theirs)
    from sfbridge_tools.synthetic import generate_org, shape_for_records  # noqa: PLC0415
    from sfbridge_tools.synthetic.into_store import write_as_pulled  # noqa: PLC0415

    store = Store.open(str(url))
    org = generate_org(shape_for_records(records), snapshot=snapshot)
    write_as_pulled(org, store, describes=FIXTURES / "demo-org" / "describe")
    return store


def fixed_clock(moment: datetime) -> Callable[[], datetime]:
    """A clock that always answers the same moment."""
    return lambda: moment


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The demo org replayed (both recorded pulls) into a SQLite store, once per session."""
    from sfbridge.demo import load_demo_org  # noqa: PLC0415 (session setup)
    from sfbridge.pull import PullOptions, pull  # noqa: PLC0415
    from sfbridge.salesforce import replay_transport  # noqa: PLC0415

    demo = load_demo_org()
    store = Store.open(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    transport = replay_transport(demo.profile, config_dir=demo.folder)
    for moment in demo.runs:
        gateway = connect(demo.profile, REPLAY_SECRETS, transport=transport)
        options = PullOptions(page_size=demo.profile.page_size, clock=fixed_clock(moment))
        pull(gateway, store, org="demo", objects=demo.profile.objects, options=options)
    return store


@pytest.fixture(scope="session")
def demo_snapshot(demo_store: Store):
    """The demo org as the checks see it: every stored field of every object."""
    from sfbridge.config import DEFAULT_OBJECTS  # noqa: PLC0415

    fields = {sobject: demo_store.state(sobject).columns for sobject in DEFAULT_OBJECTS if demo_store.state(sobject)}
    return demo_store.load_snapshot(fields)


@pytest.fixture(scope="session")
def demo_answer_key() -> dict:
    """The planted problems of the demo org and the rules under which they hold."""
    import json  # noqa: PLC0415

    from sfbridge.salesforce.replay import demo_org_dir  # noqa: PLC0415

    return json.loads((demo_org_dir() / "answer_key.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Audited:
    """A store and its audit (the import tests compare a pulled and an imported demo org)."""

    store: Store
    result: Any


@pytest.fixture(scope="session")
def pulled_demo(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    """The demo org pulled (both recorded pulls) into a store of its own and audited under its own rules."""
    from sfbridge.audit import audit  # noqa: PLC0415 (session setup)
    from sfbridge.checks import select_checks  # noqa: PLC0415
    from sfbridge.demo import load_demo_org  # noqa: PLC0415
    from sfbridge.rules import load_rules  # noqa: PLC0415
    from sfbridge_tools.export_fixtures import demo_store as pulled_store  # noqa: PLC0415

    store = pulled_store(tmp_path_factory.mktemp("pulled"))
    rules = load_rules(load_demo_org().rules)
    return Audited(store, audit(store, org="demo", rules=rules, checks=select_checks(None)))


@pytest.fixture(scope="session")
def imported_demo(tmp_path_factory: pytest.TempPathFactory, pulled_demo: Audited) -> tuple[Audited, Any]:
    """The demo org's Data Export (fixtures/import/) imported as of the pulled mirror's moment, and audited."""
    from sfbridge.audit import audit  # noqa: PLC0415 (session setup)
    from sfbridge.checks import select_checks  # noqa: PLC0415
    from sfbridge.demo import load_demo_org  # noqa: PLC0415
    from sfbridge.importing import import_export  # noqa: PLC0415
    from sfbridge.rules import load_rules  # noqa: PLC0415
    from sfbridge_tools.export_fixtures import OUT  # noqa: PLC0415

    store = Store.open(str(tmp_path_factory.mktemp("imported") / "import.db"))
    export = OUT / "WE_00D9P0000L6772hUQA_1.ZIP"
    report = import_export(export, store, org="demo", as_of=pulled_demo.result.snapshot_at)
    rules = load_rules(load_demo_org().rules)
    return Audited(store, audit(store, org="demo", rules=rules, checks=select_checks(None))), report
