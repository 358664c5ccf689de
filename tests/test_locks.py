"""Store locks: one writer per store through any path to it, one apply per plan and per store."""

import sys
import threading
import time

import pytest
import sqlalchemy

from scenario import converts_sent, scenario_org, serving
from sfbridge.errors import StoreError
from sfbridge.plan import plan_json
from sfbridge.store import Store
from sfbridge.store.locks import plan_lock_path
from test_apply import convert, lead, lead_id, plan_of, update
from test_cli import SECRET_ENV, invoke, write_config

DIGEST = "a" * 64


def symlink(link, target):
    """Make a symlink, or skip where the OS does not let this user (Windows without developer mode)."""
    try:
        link.symlink_to(target)
    except OSError as exc:
        pytest.skip(f"cannot make symlinks here: {exc}")


def test_a_second_writer_through_a_symlink_is_turned_away(tmp_path):
    """The writer lock follows the database's real path: a symlink to the file meets the same lock."""
    real = tmp_path / "data" / "store.db"
    first = Store.open(str(real))
    link = tmp_path / "elsewhere.db"
    symlink(link, real)
    second = Store.open(str(link))
    with first.writer_lock("org"), pytest.raises(StoreError, match="another sfbridge process"):
        second.writer_lock("org").__enter__()
    with second.writer_lock("org"):
        pass


def test_two_applies_of_one_plan_exclude_each_other_across_stores(tmp_path):
    """The plan's lock is machine-wide: another store does not let a second apply of the plan in."""
    first, second = Store.open(str(tmp_path / "a.db")), Store.open(str(tmp_path / "b.db"))
    with first.apply_lock(DIGEST):
        with pytest.raises(StoreError, match=f"another sfbridge apply of plan {DIGEST[:12]} is running"):
            second.apply_lock(DIGEST).__enter__()
        with second.apply_lock("b" * 64):  # another plan into another store is free to run
            pass
    with second.apply_lock(DIGEST):
        pass


def test_two_applies_into_one_store_exclude_each_other_through_a_symlink(tmp_path):
    """The store's apply lock sits beside the real file: another plan into the same store waits its turn."""
    first = Store.open(str(tmp_path / "store.db"))
    symlink(tmp_path / "link.db", tmp_path / "store.db")
    second = Store.open(str(tmp_path / "link.db"))
    with first.apply_lock(DIGEST), pytest.raises(StoreError, match="another sfbridge apply or revert is running"):
        second.apply_lock("b" * 64).__enter__()
    with second.apply_lock("b" * 64):
        pass


def test_an_apply_lock_waits_for_the_other_to_end(tmp_path):
    """With a wait, the second apply takes the lock once the first lets it go, and gives up after the wait."""
    first, second = Store.open(str(tmp_path / "a.db")), Store.open(str(tmp_path / "b.db"))
    held = first.apply_lock(DIGEST)
    held.__enter__()
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"waited 0.2 s"):
        second.apply_lock(DIGEST, wait=0.2).__enter__()
    assert time.monotonic() - started >= 0.2
    threading.Timer(0.2, held.__exit__, (None, None, None)).start()
    with second.apply_lock(DIGEST, wait=10):
        pass


def test_plan_lock_files_stay_in_the_users_lock_folder():
    """An odd digest cannot name a path outside the lock folder."""
    odd = plan_lock_path("../../etc/passwd")
    assert odd.parent == plan_lock_path(DIGEST).parent
    assert odd.name.startswith("plan-")
    assert ".." not in odd.name


@pytest.mark.postgres
def test_apply_locks_on_postgresql(postgres_url, tmp_path):
    """A PostgreSQL store's apply lock is an advisory lock: a second apply into it is turned away."""
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    with first.apply_lock(DIGEST), pytest.raises(StoreError, match="another sfbridge apply or revert"):
        second.apply_lock("b" * 64).__enter__()
    with second.apply_lock("b" * 64):
        pass
    other = Store.open(str(tmp_path / "other.db"))
    with first.apply_lock(DIGEST), pytest.raises(StoreError, match="of plan"):
        other.apply_lock(DIGEST).__enter__()


def test_a_second_apply_of_a_plan_refuses_at_once_and_sends_nothing(tmp_path):
    """`apply` while the plan is being applied (into another store): exit 3 naming the plan, not one request."""
    config = write_config(tmp_path)
    plan = plan_of(convert(1), update(2, LeadSource="Web"))
    plan_file = tmp_path / "plan.json"
    plan_file.write_bytes(plan_json(plan))
    org = scenario_org([lead(n) for n in (1, 2)])
    second = str(tmp_path / "second.db")
    args = ("apply", str(plan_file), "--yes", "--config", str(config), "--store", second)
    with serving(org) as mock:
        with Store.open(str(tmp_path / "first.db")).apply_lock(plan.digest):
            refused = invoke(*args, env=SECRET_ENV)
        assert len(mock.calls) == 0
        assert refused.exit_code == 3, refused.output
        assert f"another sfbridge apply of plan {plan.digest[:12]} is running" in refused.stderr
        assert Store.open(second).recent_runs() == []
        applied = invoke(*args, env=SECRET_ENV)  # the same command once the other apply is done
    assert applied.exit_code == 0, applied.output
    assert converts_sent(org) == [[lead_id(1)]]


def test_a_revert_waits_for_no_apply_into_its_store(tmp_path):
    """`revert` takes the store's apply lock too: while an apply runs into the store it exits 3 and sends nothing."""
    config = write_config(tmp_path)
    store = str(tmp_path / "store.db")
    with serving(scenario_org([])) as mock, Store.open(store).apply_lock(DIGEST):
        refused = invoke("revert", "1", "--yes", "--config", str(config), "--store", store, env=SECRET_ENV)
        assert len(mock.calls) == 0
    assert refused.exit_code == 3
    assert "another sfbridge apply or revert is running on the store" in refused.stderr


_OLD_RUNS = """CREATE TABLE runs (
    id INTEGER PRIMARY KEY, command VARCHAR(40) NOT NULL, org VARCHAR(120) NOT NULL,
    started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, outcome VARCHAR(20) NOT NULL, counts JSON,
    api_calls INTEGER, api_used BIGINT, api_limit BIGINT, error TEXT)"""


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_store_made_before_run_owners_gains_the_column(backend, tmp_path, request):
    """Opening an older store adds the runs' owner column; its rows are kept, a leftover `running` is swept."""
    url = str(tmp_path / "old.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = sqlalchemy.create_engine(url if "://" in url else f"sqlite:///{url}")
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(_OLD_RUNS))
        conn.execute(
            sqlalchemy.text(
                "INSERT INTO runs (id, command, org, started_at, outcome) VALUES (1, 'pull', 'acme', "
                "'2026-11-01 08:00:00', 'ok'), (2, 'pull', 'acme', '2026-11-02 08:00:00', 'running')"
            )
        )
    engine.dispose()
    store = Store.open(url)
    assert sqlalchemy.inspect(store.engine).has_table("runs")
    assert {"owner", "details"} <= {column["name"] for column in sqlalchemy.inspect(store.engine).get_columns("runs")}
    assert store.run_details(1) == {}  # a run recorded before details were kept has none
    assert store.sweep_interrupted() == [2]  # a run recorded without an owner cannot still be running
    assert [(run["id"], run["outcome"]) for run in store.recent_runs()] == [(2, "interrupted"), (1, "ok")]
    Store.open(url)  # opening again adds nothing and fails nothing


def test_a_lock_folder_that_cannot_be_made_is_a_clear_error(tmp_path, monkeypatch):
    """A lock folder under a file (or unwritable) is a StoreError naming it and the fix, never exit 70."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("SFBRIDGE_LOCK_DIR", str(blocker / "locks"))
    with pytest.raises(StoreError, match=r"cannot make the folder for apply locks .*set SFBRIDGE_LOCK_DIR"):
        plan_lock_path(DIGEST)


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME is where Linux keeps a user's cache")
def test_plan_locks_live_in_the_users_own_folder(monkeypatch, tmp_path):
    """Not a shared temporary folder, where another user could create it first: the user's cache folder."""
    monkeypatch.delenv("SFBRIDGE_LOCK_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    lock = plan_lock_path(DIGEST)
    assert lock.parent == tmp_path / "cache" / "sfbridge" / "locks"
    assert lock.parent.stat().st_mode & 0o077 == 0  # this user's alone
