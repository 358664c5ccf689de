"""Runs stopped from outside are recorded `interrupted`: by a signal's exit, or by the next run finding a dead owner."""

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer

from sfbridge.audit import audit
from sfbridge.checks import CHECKS
from sfbridge.cli.common import exit_codes
from sfbridge.cli.signals import install_signal_handlers
from sfbridge.errors import Terminated
from sfbridge.rules import Rules
from sfbridge.store import Store
from test_cli import CONFIG, invoke

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POSIX_SIGNALS = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and POSIX SIGTERM delivery")

# A real `sfbridge` command line whose replayed org stops answering at the first Account query
# (the run is started, and Users, queues and lead statuses are committed, by then: a first
# pull that committed nothing leaves no store behind), so the test can signal it mid-run
# without sleeping itself.
_HANGING_CLI = """
import sys, time
from sfbridge.salesforce import replay

answer = replay.ReplayAdapter.send

def send(self, request, *args, **kwargs):
    if "/query" in (request.url or "") and "FROM+Account" in (request.url or ""):
        print("ready", flush=True)
        time.sleep(120)
    return answer(self, request, *args, **kwargs)

replay.ReplayAdapter.send = send
sys.argv = ["sfbridge", *sys.argv[1:]]
from sfbridge.cli import main
main()
"""


def _start_pull(store: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", _HANGING_CLI, "pull", "--org", "demo", "--config", str(CONFIG)]
    return subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [*command, "--store", str(store), "--log-format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def hanging_pulls(tmp_path_factory):
    """Two `sfbridge pull` processes of the replayed demo org, started side by side (each takes a second)."""
    folder = tmp_path_factory.mktemp("hanging")
    started = {name: (_start_pull(folder / f"{name}.db"), folder / f"{name}.db") for name in ("term", "kill")}
    yield started
    for process, _ in started.values():
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def _under_way(started: tuple[subprocess.Popen[str], Path]) -> tuple[subprocess.Popen[str], Path]:
    """Wait until the pull's run is recorded and it waits for Salesforce's answer."""
    process, store = started
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        pytest.fail(f"the pull did not start: {process.communicate(timeout=30)}")
    return process, store


def _runs(store: Path) -> list[dict]:
    return Store.open(str(store)).recent_runs()


def _owner_files(store: Path) -> list[Path]:
    return sorted(store.parent.glob(f"{store.name}.run-*.lock"))


@POSIX_SIGNALS
def test_sigterm_ends_a_pull_with_143_a_message_and_the_run_interrupted(hanging_pulls):
    """SIGTERM mid-pull: one line saying what happened, exit 128+15, the run recorded `interrupted` and unlocked."""
    process, store = _under_way(hanging_pulls["term"])
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "stopped by SIGTERM; everything committed so far is kept, the next run resumes" in stderr
    assert "Traceback" not in stderr
    (run,) = _runs(store)
    assert (run["command"], run["outcome"], run["error"]) == ("pull", "interrupted", "stopped by SIGTERM")
    assert run["finished_at"] is not None
    assert _owner_files(store) == []


@POSIX_SIGNALS
def test_a_pull_killed_with_sigkill_is_marked_interrupted_by_sfbridge_runs(hanging_pulls):
    """SIGKILL leaves the run `running`; the next `sfbridge runs` finds its owner gone and marks it interrupted."""
    process, store = _under_way(hanging_pulls["kill"])
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert [run["outcome"] for run in _runs(store)] == ["running"]
    assert len(_owner_files(store)) == 1
    listed = invoke("runs", "--org", "demo", "--config", str(CONFIG), "--store", str(store), "--json")
    assert listed.exit_code == 0, listed.output
    (run,) = _runs(store)
    assert run["outcome"] == "interrupted"
    assert "ended before it finished" in run["error"]
    assert _owner_files(store) == []


_RUN_AND_WAIT = """
import sys, time
from datetime import UTC, datetime
from sfbridge.store import Store

store = Store.open(sys.argv[1])
print(store.start_run("apply", org="acme", started_at=datetime.now(UTC)), flush=True)
time.sleep(120)
"""


@POSIX_SIGNALS
def test_a_killed_process_apply_run_shows_interrupted_and_a_live_ones_stays_running(tmp_path):
    """Only a dead owner's run is swept: a live process's run stays `running`; `runs` lists the dead one interrupted."""
    store = tmp_path / "store.db"
    alive = Store.open(str(store))
    alive.start_run("pull", org="acme", started_at=NOW)
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", _RUN_AND_WAIT, str(store)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    killed = int(process.stdout.readline())
    assert Store.open(str(store)).sweep_interrupted() == []  # both owners still alive
    process.kill()
    process.wait(timeout=30)
    listed = invoke("runs", "--org", "demo", "--config", str(CONFIG), "--store", str(store), "--json")
    assert [(run["id"], run["outcome"]) for run in json.loads(listed.stdout)] == [(killed, "interrupted")]
    outcomes = {run["id"]: run["outcome"] for run in _runs(store)}
    assert outcomes == {1: "running", killed: "interrupted"}


def test_a_finished_run_leaves_no_owner_lock_and_is_not_swept(tmp_path):
    """finish_run records the end first, then lets the owner lock go (its file removed)."""
    store = Store.open(str(tmp_path / "store.db"))
    run_id = store.start_run("pull", org="acme", started_at=NOW)
    assert len(_owner_files(tmp_path / "store.db")) == 1
    store.finish_run(run_id, outcome="ok", finished_at=NOW)
    assert _owner_files(tmp_path / "store.db") == []
    assert Store.open(str(tmp_path / "store.db")).sweep_interrupted() == []
    assert store.run(run_id)["outcome"] == "ok"


def test_the_next_run_sweeps_a_run_whose_owner_let_go_without_finishing(tmp_path):
    """start_run marks runs left `running` by a gone owner as interrupted, not its own or live ones."""
    first = Store.open(str(tmp_path / "store.db"))
    lost = first.start_run("pull", org="acme", started_at=NOW)
    first._owners.pop(lost).release()  # as if its process had died: the lock is free, the row says running
    second = Store.open(str(tmp_path / "store.db"))
    new = second.start_run("pull", org="acme", started_at=NOW)
    assert first.run(lost)["outcome"] == "interrupted"
    assert first.run(lost)["finished_at"] is not None
    assert second.run(new)["outcome"] == "running"


@pytest.mark.postgres
def test_dead_owners_are_found_on_postgresql(postgres_url):
    """PostgreSQL: the owner is a session advisory lock; a live one is left alone, a released one swept."""
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    live = first.start_run("pull", org="acme", started_at=NOW)
    lost = first.start_run("apply", org="acme", started_at=NOW)
    first._owners.pop(lost).release()
    assert second.sweep_interrupted() == [lost]
    assert second.run(live)["outcome"] == "running"
    first.finish_run(live, outcome="ok", finished_at=NOW)
    assert second.sweep_interrupted() == []
    assert second.run(live)["outcome"] == "ok"


def test_an_audit_stopped_by_a_signal_is_recorded_interrupted(tmp_path, monkeypatch):
    """An audit run ended by SIGTERM (or Ctrl-C) is `interrupted`, not `failed`, and its owner lock is let go."""
    store = Store.open(str(tmp_path / "store.db"))
    store.bind_org("00D9P0000L6772hUQA", "https://sfbridge-demo.my.salesforce.com")

    def stopped(*_args, **_kwargs):
        raise Terminated(signal.SIGTERM)

    monkeypatch.setattr("sfbridge.audit.org_profile", stopped)
    with pytest.raises(Terminated):
        audit(store, org="demo", rules=Rules(), checks=list(CHECKS.values())[:1])
    (run,) = store.recent_runs()
    assert (run["command"], run["outcome"], run["error"]) == ("audit", "interrupted", "stopped by SIGTERM")
    assert _owner_files(tmp_path / "store.db") == []


@pytest.mark.parametrize(
    ("stop", "code", "message"),
    [
        (Terminated(15), 143, "stopped by SIGTERM; everything committed so far is kept, the next run resumes"),
        (Terminated(1), 129, "stopped by SIGHUP"),
        (KeyboardInterrupt(), 130, "interrupted; everything committed so far is kept"),
    ],
)
def test_exit_codes_of_signals(stop, code, message, capsys):
    """A signal exits 128 + its number with one line; Ctrl-C keeps 130."""
    with pytest.raises(typer.Exit) as stopped, exit_codes():
        raise stop
    assert stopped.value.exit_code == code
    assert message in capsys.readouterr().err.replace("\n", " ")


@POSIX_SIGNALS
def test_handlers_raise_once_and_leave_an_ignored_sighup_ignored():
    """SIGTERM raises Terminated in the main thread, then falls back to the default; nohup's SIG_IGN stays."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        install_signal_handlers()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        with pytest.raises(Terminated) as caught:
            signal.raise_signal(signal.SIGTERM)
        assert caught.value.signum == signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
