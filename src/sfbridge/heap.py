"""Handing the C heap's freed pages back to the system, between the audit's large stages.

glibc keeps what C code frees (SQLite's page cache, Python's large objects, the pickles the
phone readers send back) resident in its arenas for the process to reuse; memory freed in a
thread's arena, or below a chunk still in use, is never returned on its own. At a million
records ~100 MB was held so after the snapshot load, and ~85 MB after normalising the
people, through the duplicate search that sets the audit's peak. ``malloc_trim`` returns it
(a few milliseconds). polars' own memory is jemalloc's and is not touched.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable

__all__ = ["return_freed_heap"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc's), or None where it has none (Windows, macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    # The process's own symbols, libc's among them: ctypes.util.find_library("c") would run
    # ldconfig in a subprocess to find the same library.
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:  # a process that cannot look its own symbols up: nothing to trim with
        return None


def return_freed_heap() -> None:
    """Return the C heap's free pages to the system where the C library can (glibc); elsewhere do nothing."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
