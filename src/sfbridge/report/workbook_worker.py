"""Writing findings.xlsx in a worker process, while the caller's process writes the audit's other files.

At 160k findings the workbook is still seconds of Python (the links, the zip's compression)
beside polars (:mod:`sfbridge.report.sheet_xml`), and in the audit's process it would hold
the GIL for them. So a fresh process
(spawned, never forked: the audit's process holds threads and polars' pool) writes it from
each sheet's table as bytes (:func:`sfbridge.report.workbook.sheet_table`), taking the sheets
one by one as the caller lays them out. What goes wrong there comes back as the same
exception it would be here: an ``OSError`` (the disk is full) as an ``OSError``, anything
else as a ``RuntimeError`` naming it; a worker that dies says how it ended. The caller
writes to a temporary name and renames it, so a failed workbook is never left half-written.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path

import structlog

from sfbridge.report.findings_table import FindingsTable
from sfbridge.report.workbook import sheet_table, write_sheets

__all__ = ["TableFeed", "write_in_worker"]

_DONE = b""  # after the last table: a table is never empty bytes
_READY = "ready"  # the worker's first word: it started and can write

log = structlog.get_logger()


def write_in_worker(path: Path, *, sheets: Sequence[str], tables: Iterable[bytes], instance_url: str | None) -> None:
    """Write the workbook (:func:`sfbridge.report.workbook.write_sheets`) in a spawned process; wait for it.

    A worker that cannot start (spawned processes import the caller's main module: a script
    without a ``__main__`` guard fails there) leaves the workbook to this process, as the
    store's readers and the phone readers do.

    Raises:
        OSError: when the worker could not write the file.
        RuntimeError: when the worker failed otherwise, or ended without an answer.
    """
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    worker = context.Process(
        target=_serve, args=(theirs, str(path), list(sheets), instance_url), name="sfbridge-workbook", daemon=True
    )
    worker.start()
    theirs.close()
    try:
        if not _started(ours):
            log.warning("workbook_worker_failed", fallback="in-process write")
            write_sheets(path, sheets=sheets, tables=tables, instance_url=instance_url)
            return
        _feed(ours, tables)
        answer = _answer(ours, worker)
    except BaseException:
        # An error here (the caller's tables failed, Ctrl-C) leaves no worker writing a workbook nobody keeps.
        worker.terminate()
        raise
    finally:
        worker.join()
        ours.close()
    if answer is not None:
        kind, *details = answer
        if kind == "os":
            raise OSError(*details)
        msg = f"writing {path.name} failed: {details[0]}"
        raise RuntimeError(msg)


def _started(connection: Connection) -> bool:
    try:
        return connection.recv() == _READY  # type: ignore[no-any-return]  # our worker's greeting
    except EOFError:
        return False


def _feed(connection: Connection, tables: Iterable[bytes]) -> None:
    try:
        for table in tables:
            connection.send_bytes(table)
        connection.send_bytes(_DONE)
    except (BrokenPipeError, ConnectionResetError):
        return  # the worker stopped reading: its answer says why


def _answer(connection: Connection, worker: multiprocessing.process.BaseProcess) -> tuple[str, ...] | None:
    try:
        return connection.recv()  # type: ignore[no-any-return]  # our worker's answer
    except EOFError:
        worker.join()
        return ("error", f"the workbook's worker process ended (exit code {worker.exitcode}) before it finished")


def _serve(connection: Connection, path: str, sheets: list[str], instance_url: str | None) -> None:
    """The worker: take tables until the end marker, write the workbook, answer None or what failed."""
    connection.send(_READY)
    # A short-lived process whose objects (the tables' rows) form no cycles: the collector would
    # only walk them again and again as they are unpickled (2 of 18 CPU seconds at 160k findings).
    gc.disable()

    def tables() -> Iterable[bytes]:
        while True:
            received = [connection.recv_bytes()]  # popped as it is handed on: this frame keeps no copy
            if received[0] == _DONE:
                return
            yield received.pop()

    try:
        write_sheets(Path(path), sheets=sheets, tables=tables(), instance_url=instance_url)
    except OSError as exc:
        connection.send(("os", exc.errno, exc.strerror, exc.filename))
    except Exception as exc:  # noqa: BLE001 (reported to the caller, which raises it)
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        connection.send(None)
    finally:
        connection.close()


class TableFeed:
    """The checks' tables, handed from the thread that lays them out to the one writing the workbook, one by one.

    Iterating it gives each table pickled for the workbook's writer (:func:`sheet_table`),
    until :meth:`close`; after :meth:`abort` it raises, so the writer stops. A writer that has
    already stopped (it failed) is handed nothing more.
    """

    def __init__(self) -> None:
        """An empty feed; :meth:`follow` the reader once it is started."""
        self._queue: queue.SimpleQueue[FindingsTable | object] = queue.SimpleQueue()
        self._reader: Future[None] | None = None

    def follow(self, reader: Future[None]) -> None:
        """Hand nothing more once ``reader`` (the workbook's writer) has ended."""
        self._reader = reader

    def put(self, table: FindingsTable) -> None:
        """Hand over the next check's table."""
        if self._reader is None or not self._reader.done():
            self._queue.put(table)

    def close(self) -> None:
        """Every table has been handed over."""
        self._queue.put(_END)

    def abort(self) -> None:
        """Stop the reader: the outputs are not being written after all."""
        self._queue.put(_ABORT)

    def __iter__(self) -> Iterator[bytes]:
        """Each table, pickled, until the last."""
        while (item := self._queue.get()) is not _END:
            if item is _ABORT:
                msg = "the other outputs failed"
                raise _AbortedError(msg)
            yield sheet_table(item)  # type: ignore[arg-type]  # not a marker: a table


_END, _ABORT = object(), object()


class _AbortedError(Exception):
    """The workbook is not wanted: writing the other outputs failed (that error is the one raised)."""
