"""Handing the C heap's freed pages back: glibc's malloc_trim where there is one, nothing elsewhere."""

import platform

from sfbridge import heap


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
