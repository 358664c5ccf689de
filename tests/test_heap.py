"""Handing the C heap's freed pages back: glibc's malloc_trim where there is one, nothing elsewhere."""

import os
import platform
import subprocess
import sys

import pytest

from sfbridge import heap
from sfbridge.cli import main


def test_the_c_heap_is_trimmed_only_where_the_c_library_can():
    """The C library's malloc_trim where it has one (glibc); elsewhere nothing is trimmed, and nothing said."""
    trim = heap._malloc_trim()
    assert trim is None or callable(trim)
    if platform.libc_ver()[0] == "glibc":
        assert trim is not None
    heap.return_freed_heap()


def test_nothing_is_trimmed_off_linux(monkeypatch):
    """Windows and macOS have no malloc_trim: the call is a no-op there, not an error."""
    heap._malloc_trim.cache_clear()
    monkeypatch.setattr(heap.sys, "platform", "win32")
    try:
        assert heap._malloc_trim() is None
        heap.return_freed_heap()
    finally:
        heap._malloc_trim.cache_clear()


def test_polars_memory_goes_back_at_once_unless_the_user_says_otherwise():
    """The decays are shortened for polars' jemalloc; a user's own options come after, so they win."""
    environ: dict[str, str] = {}
    heap.return_freed_frames_promptly(environ)
    assert environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:100,muzzy_decay_ms:100"

    environ = {"_RJEM_MALLOC_CONF": "narenas:1,dirty_decay_ms:200"}
    heap.return_freed_frames_promptly(environ)
    assert environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:100,muzzy_decay_ms:100,narenas:1,dirty_decay_ms:200"


def test_polars_defaults_inherited_from_a_parent_process_do_not_count_as_the_users():
    """A parent that loaded polars leaves polars' own defaults in the variable: they are dropped, ours stand."""
    environ = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:500,muzzy_decay_ms:1000"}
    heap.return_freed_frames_promptly(environ)
    assert environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:100,muzzy_decay_ms:100"

    environ = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:500,muzzy_decay_ms:1000,narenas:2"}
    heap.return_freed_frames_promptly(environ)
    assert environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:100,muzzy_decay_ms:100,narenas:2"

    once = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:100,muzzy_decay_ms:100,narenas:2"}  # a parent sfbridge set it
    heap.return_freed_frames_promptly(once)
    assert once["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:100,muzzy_decay_ms:100,narenas:2"


def test_the_options_reach_polars_last_so_jemalloc_takes_them():
    """Polars writes its defaults first and appends the variable: ours end up last (jemalloc takes the last value)."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    code = (
        "import os; from sfbridge import heap; heap.return_freed_frames_promptly(); import polars; "
        "print(os.environ['_RJEM_MALLOC_CONF'])"
    )
    conf = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603 (our code)
    assert conf.strip().endswith("dirty_decay_ms:100,muzzy_decay_ms:100")


def test_the_command_line_sets_the_options_before_any_command_runs(monkeypatch):
    """`sfbridge ...` sets them first thing, so the command's polars (and its workers') start with them."""
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "")  # so the variable is put back as it was after the test
    monkeypatch.delenv("_RJEM_MALLOC_CONF")
    monkeypatch.setattr(sys, "argv", ["sfbridge", "--version"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code in (0, None)
    assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:100,muzzy_decay_ms:100"
