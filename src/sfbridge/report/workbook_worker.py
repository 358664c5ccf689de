"""Writing findings.xlsx and the CSVs in a worker process, while the caller's process does the rest of the audit.

At 160k findings the workbook is still seconds of Python (the links, the zip's compression)
beside polars (:mod:`sfbridge.report.sheet_xml`), and in the audit's process it would hold
the GIL for them. So a fresh process
(spawned, never forked: the audit's process holds threads and polars' pool) writes it from
each sheet's table as bytes (:func:`sfbridge.report.workbook.sheet_table`), taking the sheets
one by one as the caller lays them out, and each check's CSVs from the same table
(:mod:`sfbridge.report.csv_files`): the table crosses once, and the CSVs' quoting (some 2 CPU
seconds at 160k findings) leaves the audit's process too. What goes wrong there comes back as the same
exception it would be here: an ``OSError`` (the disk is full) as an ``OSError``, anything
else as a ``RuntimeError`` naming it; a worker that dies says how it ended. The caller
writes to temporary names and renames them, so a failed file is never left half-written.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path

import structlog

from sfbridge.report.csv_files import CheckCsvs
from sfbridge.report.findings_table import FindingsTable
from sfbridge.report.workbook import SheetTable, sheet_table, write_sheets

__all__ = ["TableFeed", "write_in_worker"]

_DONE = "done"  # after the last table (each table comes after its CSVs' plan, a tuple)
_READY = "ready"  # the worker's first word: it started and can write
_POLL = 0.05  # seconds between looks at the caller's stop while waiting for the worker

log = structlog.get_logger()


def write_in_worker(
    path: Path,
    *,
    sheets: Sequence[str],
    tables: Iterable[SheetTable],
    instance_url: str | None,
    stop: threading.Event | None = None,
) -> None:
    """Write the workbook and CSVs (:func:`sfbridge.report.workbook.write_sheets`) in a spawned process; wait for it.

    ``stop``, once set, ends the worker at once (the caller abandons the files: Ctrl-C, or the
    store refused the findings), even while this waits for its answer.

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
    stop = stop or threading.Event()
    ended = threading.Event()
    # The caller's stop ends the worker wherever this thread is, even blocked handing it a table.
    threading.Thread(target=_stop_on, args=(stop, ended, worker), name="sfbridge-workbook-stop", daemon=True).start()
    try:
        if not _started(ours, stop):
            log.warning("workbook_worker_failed", fallback="in-process write")
            write_sheets(path, sheets=sheets, tables=tables, instance_url=instance_url)
            return
        _feed(ours, tables)
        answer = _answer(ours, worker, stop)
    except BaseException:
        # An error here (the caller's tables failed, Ctrl-C) leaves no worker writing a workbook nobody keeps.
        worker.terminate()
        raise
    finally:
        ended.set()
        worker.join()
        ours.close()
    if answer is not None:
        kind, *details = answer
        if kind == "os":
            raise OSError(*details)
        msg = f"writing {path.name} failed: {details[0]}"
        raise RuntimeError(msg)


def _stop_on(stop: threading.Event, ended: threading.Event, worker: multiprocessing.process.BaseProcess) -> None:
    while not ended.wait(_POLL):
        if stop.is_set():
            worker.terminate()
            return


def _waited(connection: Connection, stop: threading.Event) -> None:
    # Until the worker says something; the caller's stop ends the wait (and, raised, the worker).
    while not connection.poll(_POLL):
        if stop.is_set():
            msg = "the other outputs failed"
            raise _StoppedError(msg)


def _started(connection: Connection, stop: threading.Event) -> bool:
    try:
        _waited(connection, stop)
        return connection.recv() == _READY  # type: ignore[no-any-return]  # our worker's greeting
    except EOFError:
        return False


def _feed(connection: Connection, tables: Iterable[SheetTable]) -> None:
    try:
        for csvs, table in tables:
            connection.send(("table", csvs))
            connection.send_bytes(table)  # one write, without the GIL: the caller's threads run on
        connection.send(_DONE)
    except (BrokenPipeError, ConnectionResetError):
        return  # the worker stopped reading: its answer says why


def _answer(
    connection: Connection, worker: multiprocessing.process.BaseProcess, stop: threading.Event
) -> tuple[str, ...] | None:
    try:
        _waited(connection, stop)
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

    def tables() -> Iterable[SheetTable]:
        while (message := connection.recv()) != _DONE:
            csvs: CheckCsvs | None = message[1]
            yield csvs, connection.recv_bytes()  # handed on: this frame keeps no copy

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

    Each table is pickled for the workbook's writer (:func:`sheet_table`) as it is handed over,
    so a table waiting its turn is held as bytes, not as its rows' objects. Iterating the feed
    gives each (with the CSVs to write from it) until :meth:`close`; after :meth:`abort` it
    raises, and :attr:`stopped` is set, so the writer stops. A writer that has already stopped
    (it failed) is handed nothing more.
    """

    def __init__(self) -> None:
        """An empty feed; :meth:`follow` the reader once it is started."""
        self._queue: queue.SimpleQueue[SheetTable | object] = queue.SimpleQueue()
        self._reader: Future[None] | None = None
        #: Set by :meth:`abort`: the files are abandoned.
        self.stopped = threading.Event()

    def follow(self, reader: Future[None]) -> None:
        """Hand nothing more once ``reader`` (the workbook's writer) has ended."""
        self._reader = reader

    def put(self, table: FindingsTable, csvs: CheckCsvs | None = None) -> None:
        """Hand over the next check's table, and the CSVs to write from it."""
        if self._reader is None or not self._reader.done():
            self._queue.put((csvs, sheet_table(table)))

    def close(self) -> None:
        """Every table has been handed over."""
        self._queue.put(_END)

    def abort(self) -> None:
        """Stop the reader: the outputs are not being written after all."""
        self.stopped.set()
        self._queue.put(_ABORT)

    def __iter__(self) -> Iterator[SheetTable]:
        """Each table, pickled, and its CSVs, until the last."""
        while (item := self._queue.get()) is not _END:
            if item is _ABORT:
                msg = "the other outputs failed"
                raise _StoppedError(msg)
            yield item  # type: ignore[misc]  # not a marker: a table


_END, _ABORT = object(), object()


class _StoppedError(Exception):
    """The files are not wanted: the caller failed or was stopped (that error is the one raised)."""
