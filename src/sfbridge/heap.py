"""Handing the C heap's freed pages back to the system, between the audit's large stages.

glibc keeps what C code frees (SQLite's page cache, Python's large objects, the pickles the
phone readers send back) resident in its arenas for the process to reuse; memory freed in a
thread's arena, or below a chunk still in use, is never returned on its own. At a million
records ~100 MB was held so after the snapshot load, and ~85 MB after normalising the
people, through the duplicate search that sets the audit's peak. ``malloc_trim`` returns it
(a few milliseconds). polars' own memory is jemalloc's and is not touched by it: jemalloc is
told instead, before polars loads, to hand its freed pages back promptly (see
:func:`return_freed_frames_promptly`). And what a failed pool of worker processes leaves in a
reference cycle is freed where its fallback is taken (:func:`freed_failure_cycles`): the
audit runs with Python's cyclic collector paused, which would keep it.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import sys
from collections.abc import Callable, MutableMapping

__all__ = ["freed_failure_cycles", "return_freed_frames_promptly", "return_freed_heap"]

# polars' jemalloc reads its options from this variable when the polars module loads
# (polars/__init__.py, polars 1.2x-2.x: it writes its own defaults first and appends what the
# variable held, so options found there win; jemalloc takes the last value of an option).
_JEMALLOC_CONF = "_RJEM_MALLOC_CONF"
# What polars writes there itself (same file): a variable inherited from a process that had
# loaded polars starts with it, and it is polars' choice, not the user's.
_POLARS_DEFAULTS = "dirty_decay_ms:500,muzzy_decay_ms:1000"
# Freed pages go back to the system after 0.1 s instead of 0.5 s (dirty) and 1 s (muzzy).
# The audit frees frames of hundreds of MB between stages that follow each other closely, so
# with polars' decays the next stage's frames were allocated while the last stage's pages
# were still resident. Measured on one 1M store, side by side (benchmarks/README.md, fifth
# round): polars' own decays 40.8 s, 1,718 MB peak with workers; 0.1 s 38.1 s, 1,676-1,687 MB;
# 0 (at once) 43.3-47.7 s, 1,566-1,579 MB, its system CPU up 6-8 s (pages handed back at once
# are faulted in again by the next stage): 110 MB more is kept for 15-20 % less wall time.
_PROMPT_RETURN = "dirty_decay_ms:100,muzzy_decay_ms:100"


def return_freed_frames_promptly(environ: MutableMapping[str, str] = os.environ) -> None:
    """Have polars' jemalloc return freed pages to the system promptly, in this process and its workers.

    Takes effect where polars has not loaded yet (the command line calls it first thing) and in
    every process started from here. A value the user set in the variable is kept after ours,
    so it wins; polars' own defaults inherited from a parent process are dropped.
    """
    inherited = environ.get(_JEMALLOC_CONF, "")
    if inherited.startswith(_POLARS_DEFAULTS):
        inherited = inherited[len(_POLARS_DEFAULTS) :].lstrip(",")
    if inherited.startswith(_PROMPT_RETURN):  # already ours (a parent sfbridge process set it)
        return
    environ[_JEMALLOC_CONF] = f"{_PROMPT_RETURN},{inherited}" if inherited else _PROMPT_RETURN


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


def freed_failure_cycles() -> None:
    """Free the reference cycle a failed pool of worker processes leaves, after falling back from it.

    A pool that breaks (a worker killed for memory, a caller's script without a ``__main__``
    guard) raises ``BrokenProcessPool`` from each of its futures: the exception, its traceback,
    the frames it was raised through and the futures they hold refer to one another, and
    through those frames' callers to what they held: for the store's reader, the whole snapshot
    as read (17 frames in a 100k audit forced down this path); for the phone readers, their
    batch of values (once the batch lets its futures go). The audit runs with Python's cyclic
    collector paused (:func:`sfbridge.audit.checked_audit`), which would keep all of it to the
    audit's end. Called once the fallback is taken, outside the handler, so the exception is
    garbage by then; the path is rare, so one full collection there costs next to nothing.
    """
    gc.collect()


def return_freed_heap() -> None:
    """Return the C heap's free pages to the system where the C library can (glibc); elsewhere do nothing."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
