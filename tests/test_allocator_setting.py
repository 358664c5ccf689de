"""The CLI has polars' allocator return freed memory at once (peak RSS of a large audit), unless the user set it."""

import os
import subprocess
import sys

import pytest

from sfbridge.cli import ALLOCATOR_SETTING, main

NAME, VALUE = ALLOCATOR_SETTING


def _run_version(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["sfbridge", "--version"])
    with pytest.raises(SystemExit):
        main()


def test_the_cli_sets_the_allocator_to_return_freed_memory_at_once(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    _run_version(monkeypatch)
    assert os.environ[NAME] == VALUE == "dirty_decay_ms:0,muzzy_decay_ms:0"


def test_a_setting_the_user_made_wins(monkeypatch):
    monkeypatch.setenv(NAME, "dirty_decay_ms:5000")
    _run_version(monkeypatch)
    assert os.environ[NAME] == "dirty_decay_ms:5000"


def test_the_setting_is_made_before_polars_is_imported():
    """The allocator reads it once, when polars loads: a CLI that had imported polars already would set it too late."""
    probe = (
        "import sys\n"
        "import sfbridge.cli as cli\n"
        "loaded = 'polars' in sys.modules\n"
        "sys.argv = ['sfbridge', '--version']\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "import os\nprint(loaded, os.environ.get(cli.ALLOCATOR_SETTING[0]))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != NAME}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)  # noqa: S603
    assert done.stdout.split()[-2:] == ["False", VALUE]
