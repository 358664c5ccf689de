"""Windows readiness checked on any OS: no POSIX-only module on the import path, the CLI without fcntl."""

import ast
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from sfbridge.output_files import write_atomically

SRC = Path(__file__).resolve().parent.parent / "src" / "sfbridge"
POSIX_MODULES = {"fcntl", "resource", "pwd", "grp", "termios", "tty", "pty", "posix"}
POSIX_OS_FUNCTIONS = {"fchmod", "fchown", "chown", "getuid", "geteuid", "getgid", "killpg", "setsid", "fork", "getpgid"}

# Windows has no fcntl: check the locks and run command lines with it made unimportable, as
# it is there (one interpreter for all: starting one costs more than the commands).
_WITHOUT_FCNTL = """
import json, sys
from datetime import UTC, datetime
sys.modules["fcntl"] = None

import filelock
from sfbridge.errors import StoreError
from sfbridge.store import Store

folder, command_lines = sys.argv[1], json.loads(sys.argv[2])
first, second = Store.open(folder + "/a.db"), Store.open(folder + "/a.db")
with first.writer_lock("org"), first.apply_lock("ab" * 32):
    for lock in (second.writer_lock("org"), second.apply_lock("ab" * 32)):
        try:
            lock.__enter__()
        except StoreError:
            continue
        raise SystemExit("a second holder was let in")
run_id = first.start_run("pull", org="acme", started_at=datetime.now(UTC))
assert second.sweep_interrupted() == [], "a live run was swept"
first.finish_run(run_id, outcome="ok", finished_at=datetime.now(UTC))
print("locks hold:", filelock.FileLock.__name__, flush=True)

from sfbridge.cli import main
for args in command_lines:
    sys.argv = ["sfbridge", *args]
    try:
        main()
    except SystemExit as exc:
        print("exit", exc.code or 0, flush=True)
"""


def test_the_cli_and_its_locks_work_without_fcntl(tmp_path):
    """With fcntl unimportable, locks still exclude a second holder, and `--help` and `demo` exit 0."""
    demo = ["demo", "--store", str(tmp_path / "demo.db"), "--out", str(tmp_path / "out")]
    command = [sys.executable, "-W", "ignore", "-c", _WITHOUT_FCNTL, str(tmp_path), json.dumps([["--help"], demo])]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr[-3000:]
    assert "locks hold: SoftFileLock" in done.stdout
    assert "Usage" in done.stdout
    assert [line for line in done.stdout.splitlines() if line.startswith("exit")] == ["exit 0", "exit 0"]
    assert (tmp_path / "out" / "report.html").exists()


def _posix_only_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] in POSIX_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in POSIX_MODULES:
            found.append(node.module)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in POSIX_OS_FUNCTIONS
        ):
            found.append(f"os.{node.attr}")
    return found


def test_no_posix_only_module_or_call():
    """No module imports fcntl, pwd, resource... or calls os.fchmod and friends: none exists on Windows."""
    found = {str(path.relative_to(SRC)): _posix_only_uses(path) for path in sorted(SRC.rglob("*.py"))}
    assert {name: uses for name, uses in found.items() if uses} == {}


def test_outputs_are_written_where_os_has_no_fchmod(tmp_path, monkeypatch):
    """write_atomically works without os.fchmod (Windows) and still gives the file the usual mode."""
    monkeypatch.delattr(os, "fchmod", raising=False)
    target = tmp_path / "report.md"
    write_atomically(target, "# report\n")
    assert target.read_text(encoding="utf-8") == "# report\n"
    if sys.platform != "win32":
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
