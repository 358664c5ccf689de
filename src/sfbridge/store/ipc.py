"""Arrow IPC files in the store's blobs: how its caches (the normalisers' tables, the kept frames) hold frames.

A frame of a million rows writes and reads back in a fraction of a second as one IPC file,
where rows would cost more than the cache saves. A blob that no longer reads (a torn write, an
edited database) is logged and answered with None: a cache costs the caller time, never its run.
"""

from __future__ import annotations

import io
from typing import Literal

import polars as pl
import structlog

__all__ = ["ipc_file", "read_ipc_file"]

log = structlog.get_logger()


def ipc_file(frame: pl.DataFrame, *, compression: Literal["lz4", "zstd"]) -> bytes:
    """The frame as one Arrow IPC file, its buffers so compressed."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression=compression)
    return buffer.getvalue()


def read_ipc_file(
    blob: bytes, *, columns: list[str] | None = None, unreadable: str, **where: str
) -> pl.DataFrame | None:
    """The frame in an IPC file (only these columns, if given), or None when it does not read.

    Args:
        blob: the file.
        columns: the columns to read (the others are never decompressed); None reads all.
        unreadable: the event logged (a warning) when the file does not read, with ``where``.
        where: what the file is, for the log line (its kind, its object).
    """
    try:
        return pl.read_ipc(io.BytesIO(blob), columns=columns)
    except (pl.exceptions.PolarsError, OSError) as exc:  # a file shorter than Arrow's header: an OSError
        log.warning(unreadable, **where, error=str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__)
        return None
