"""The Salesforce CLI as tests see it: its recorded answers from fixtures/sf-cli/ (see the README there).

Each fixture is one run of ``sf``: its argv, exit code, stdout (the JSON it printed, parsed,
or "") and stderr. :class:`FakeSf` answers sfbridge's two commands from two fixtures, in
process (``run=``); :func:`install_sf` puts a program on PATH that does the same through a
real subprocess, for tests that go through the command line.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recorded import FIXTURES

SF_FIXTURES = FIXTURES / "sf-cli"
SHOW = ["org", "auth", "show-access-token"]
DISPLAY = ["org", "display"]
#: The token in the recordings (made against a loopback stand-in for Salesforce, never a real org).
RECORDED_TOKEN = "00D000000000001!AQ0AQFakeRecordingTokenNotASecret"


def recorded(name: str) -> dict:
    """One recorded sf run."""
    return json.loads((SF_FIXTURES / name).read_text(encoding="utf-8"))


def stdout_of(run: dict) -> str:
    """What sf wrote on stdout: its JSON as sf prints it (two-space indent), or nothing."""
    return json.dumps(run["stdout"], indent=2) + "\n" if run["stdout"] != "" else ""


def answer(run: dict, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(list(args), run["exit_code"], stdout_of(run), run["stderr"])


@dataclass
class FakeSf:
    """Answers ``sf org auth show-access-token`` and ``sf org display`` from fixtures; keeps the calls."""

    show: dict | str
    display: dict | str
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Answer one sf run."""
        command = list(args[1:])
        self.calls.append(command)
        run = self.show if command[:3] == SHOW else self.display
        return answer(recorded(run) if isinstance(run, str) else run, args)


def install_sf(folder: Path, *, show: str, display: str) -> Path:
    """A fake ``sf`` program in ``folder`` answering from two fixtures; returns the file of its calls.

    The caller puts ``folder`` first on PATH.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in (("show", show), ("display", display)):
        run = recorded(name)
        (folder / f"{key}.stdout").write_text(stdout_of(run), encoding="utf-8")
        (folder / f"{key}.stderr").write_text(run["stderr"], encoding="utf-8")
        (folder / f"{key}.code").write_text(str(run["exit_code"]), encoding="utf-8")
    script = folder / "sf"
    script.write_text(
        "#!/bin/sh\n"
        'here="$(dirname "$0")"\n'
        'echo "$@" >> "$here/calls"\n'
        'if [ "$2" = "auth" ]; then key=show; else key=display; fi\n'
        'cat "$here/$key.stdout"\n'
        'cat "$here/$key.stderr" >&2\n'
        'exit "$(cat "$here/$key.code")"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder / "calls"


def path_with(folder: Path) -> str:
    """PATH with ``folder`` first."""
    return f"{folder}{os.pathsep}{os.environ['PATH']}"
