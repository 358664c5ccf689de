"""Read mirror tables into typed columnar frames for the checks.

Rows travel as Arrow columns through ADBC (the Arrow database drivers for SQLite and
PostgreSQL): no Python object per value, so a million-row object loads in seconds rather
than tens of seconds. SQLite hands back canonical datetime text and 0/1 booleans, PostgreSQL
typed values; polars types them column by column, so both end as the same frame.

The ADBC SQLite driver carries its own copy of the SQLite library. Two copies must never
hold one database file open in the same process: closing the file in one drops the POSIX
locks the other holds, which can corrupt a WAL database (SQLite's "How To Corrupt" notes,
section 2.2). So a SQLite store is read by ADBC in a separate process (spawned, like the
phone readers) and the frames come back as Arrow IPC files. An in-memory SQLite store lives
inside this process's SQLAlchemy connection, out of any other process's reach, and a small
file is read faster than reader processes start: both are read through this process's own
driver, row by row.

The reader processes import only :mod:`sfbridge.sqlite_reader` (no store, no SQLAlchemy),
and take the largest tables first; each frame is read back here as soon as its reader is done.
Text columns that repeat a few values are held as Categoricals (:mod:`sfbridge.frame_typing`).
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import adbc_driver_manager
import polars as pl
import structlog
from sqlalchemy import Engine, Table, func, literal_column, select

from sfbridge.errors import StoreError
from sfbridge.frame_typing import Compaction, compacted, empty_frame, finished, typed
from sfbridge.heap import freed_failure_cycles
from sfbridge.models import ColumnKind
from sfbridge.sqlite_reader import read_sqlite
from sfbridge.store.base import quoted
from sfbridge.store.driver import driver_fetch, driver_mark
from sfbridge.store.tables import DELETED_AT

__all__ = ["FrameRequest", "compaction", "load_frames", "load_some"]

log = structlog.get_logger()

#: What to read of one object: its mirror table and the columns with how each is stored.
FrameRequest = tuple[Table, Mapping[str, ColumnKind]]

_READERS = 2  # reader processes (SQLite serves concurrent readers); more rarely pays on a laptop
_ISOLATE_FROM_BYTES = 64 * 2**20  # SQLite files from this size are read by ADBC in reader processes
_CHUNK = 100_000  # rows per fetch on the row path: one chunk of Python objects at a time
_ID_CHUNK = 500  # Ids per SELECT ... WHERE Id IN (...): far below every bind-parameter limit
# A text column is held as a Categorical when it has at most this share of distinct values,
# in a frame of at least this many rows (below that the saving is too small to matter, and
# small stores, tests among them, keep plain text).
_COMPACT_SHARE = 0.05
_COMPACT_FROM_ROWS = 10_000


def compaction() -> Compaction:
    """Which text columns are held as Categoricals: at most this share of distinct values, from this many rows."""
    # Read when a load starts, and handed to the reader processes (which import this module afresh).
    return (_COMPACT_SHARE, _COMPACT_FROM_ROWS)


def _select(engine: Engine, table: Table, names: list[str]) -> str:
    quote = engine.dialect.identifier_preparer.quote
    return (
        f"SELECT {', '.join(quote(name) for name in names)} FROM {quote(table.name)} "  # noqa: S608 (quoted identifiers)
        f"WHERE {quote(DELETED_AT)} IS NULL"
    )


def _largest_first(engine: Engine, requests: Mapping[str, FrameRequest]) -> list[str]:
    """The objects by the work of reading them, largest first (rows x columns, roughly)."""
    # Two readers taking the largest tables first finish together: in request order, one read
    # Lead (28 columns) while the other read Task and Contact, then LeadHistory came last to
    # whichever was free (6.5 CPU-s on the busier reader at 1M, 5.4 largest first). The
    # largest rowid is read from the table's b-tree, not counted: exact enough to order by.
    with engine.connect() as conn:
        rows = {
            sobject: conn.execute(select(func.max(literal_column("rowid"))).select_from(table)).scalar()
            for sobject, (table, _) in requests.items()
        }
    work = {sobject: (rows[sobject] or 0) * (len(kinds) + 4) for sobject, (_, kinds) in requests.items()}
    return sorted(requests, key=lambda sobject: -work[sobject])


def _read_sqlite_isolated(
    path: str, queries: Mapping[str, str], kinds: Mapping[str, Mapping[str, ColumnKind]], order: list[str]
) -> dict[str, pl.DataFrame]:
    context = multiprocessing.get_context("spawn")  # fork would copy polars' running thread pool
    with (
        tempfile.TemporaryDirectory(prefix="sfbridge-read-") as folder,
        ProcessPoolExecutor(max_workers=min(len(queries), _READERS), mp_context=context) as pool,
    ):
        # One task per object, in `order`: whichever reader is free takes the next.
        futures = [
            pool.submit(read_sqlite, path, {sobject: queries[sobject]}, folder, {sobject: kinds[sobject]}, compaction())
            for sobject in order
        ]
        # Each frame is read back as its reader finishes, while the other may still read.
        frames = {
            sobject: pl.read_ipc(file) for future in as_completed(futures) for sobject, file in future.result().items()
        }
    return {sobject: frames[sobject] for sobject in queries}  # in the order asked


def _read_postgresql(engine: Engine, queries: Mapping[str, str]) -> dict[str, pl.DataFrame]:
    # Imported here: the DB-API layer imports pyarrow (0.2 s), which a SQLite store never needs.
    import adbc_driver_postgresql.dbapi  # type: ignore[import-untyped]  # noqa: PLC0415  # ships no type hints

    # libpq takes the same URL without SQLAlchemy's driver suffix (a password, if any, comes
    # from PGPASSWORD or ~/.pgpass, never the URL: the config refuses one there).
    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    frames = {}
    with adbc_driver_postgresql.dbapi.connect(uri) as connection:
        for sobject, sql in queries.items():
            with connection.cursor() as cursor:
                cursor.execute(sql)
                frames[sobject] = pl.DataFrame(cursor.fetch_arrow())
    return frames


def _read_rows(
    engine: Engine, queries: Mapping[str, str], kinds: Mapping[str, Mapping[str, ColumnKind]]
) -> dict[str, pl.DataFrame]:
    # Through this process's own driver: one Python object per value, several times slower.
    frames = {}
    with engine.connect() as conn:
        for sobject, sql in queries.items():
            cursor = conn.exec_driver_sql(sql)
            chunks = []
            while rows := cursor.fetchmany(_CHUNK):
                chunks.append(_typed_rows(rows, kinds[sobject]))
            whole = pl.concat(chunks, how="vertical_relaxed") if chunks else empty_frame(kinds[sobject])
            frames[sobject] = compacted(whole, kinds[sobject], compaction())
    return frames


def _typed_rows(rows: Sequence[Sequence[Any]], kinds: Mapping[str, ColumnKind]) -> pl.DataFrame:
    """Rows as the driver gives them (text datetimes and 0/1 booleans from SQLite), typed as frames hold them."""
    if not rows:
        return empty_frame(kinds)
    # Columns empty in every row arrive as polars' Null type; the casts type them.
    return typed(pl.DataFrame(rows, schema=list(kinds), orient="row", infer_schema_length=None), kinds)


def _small_or_in_memory(database: str | None) -> bool:
    # Starting reader processes costs about a second: below this size reading here is faster.
    if database in {None, "", ":memory:"}:
        return True
    path = Path(str(database)).expanduser()
    return not path.exists() or path.stat().st_size < _ISOLATE_FROM_BYTES


def load_frames(engine: Engine, requests: Mapping[str, FrameRequest]) -> dict[str, pl.DataFrame]:
    """Load the live rows of mirror tables, only the given columns, as typed frames.

    Args:
        engine: the store's engine.
        requests: per object, its mirror table and the columns to read.

    Returns:
        Per object, one row per live record.

    Raises:
        StoreError: when the database cannot be read.
    """
    if not requests:  # `report --run` asks only which org the store mirrors: no reader to start
        return {}
    queries = {sobject: _select(engine, table, list(kinds)) for sobject, (table, kinds) in requests.items()}
    kinds = {sobject: kinds for sobject, (_, kinds) in requests.items()}
    if engine.dialect.name == "sqlite" and _small_or_in_memory(engine.url.database):
        return _read_rows(engine, queries, kinds)
    try:
        if engine.dialect.name == "sqlite":
            order = _largest_first(engine, requests)
            return _read_sqlite_isolated(str(engine.url.database), queries, kinds, order)  # typed by the readers
        raw = _read_postgresql(engine, queries)
    except adbc_driver_manager.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        msg = f"cannot read the store: {detail}"
        raise StoreError(msg) from exc
    except BrokenProcessPool:
        # The reader could not start or died: a script without a __main__ guard (spawned
        # processes import it), or killed for memory. Slower, but the same frames.
        log.warning("store_reader_failed", fallback="in-process read")
    else:
        return {sobject: finished(frame, kinds[sobject], compaction()) for sobject, frame in raw.items()}
    freed_failure_cycles()
    return _read_rows(engine, queries, kinds)


def load_some(
    engine: Engine, requests: Mapping[str, FrameRequest], only: Mapping[str, Iterable[str]]
) -> dict[str, pl.DataFrame]:
    """The live rows of mirror tables, only the given columns, of only the Ids ``only`` names per object.

    For the records a plan's findings name (an object ``only`` does not name is read whole:
    the statuses). Read in this process, on the driver's own cursor, and typed column by
    column as :func:`load_frames` types them, but never compacted (no Categoricals: the
    frames are small, and the plan reads them as Python values). Through SQLAlchemy's rows,
    which parse every datetime one by one, the 91k records a plan after a million-record
    audit names took 3.8 s to read and make into the plan's dicts instead of 2.3 s.
    """
    frames = {}
    with engine.connect() as conn:
        mark, column = driver_mark(conn), quoted(conn, "Id")
        for sobject, (table, kinds) in requests.items():
            sql = _select(engine, table, list(kinds))
            if sobject in only:
                wanted = sorted(set(only[sobject]))
                chunks = [tuple(wanted[start : start + _ID_CHUNK]) for start in range(0, len(wanted), _ID_CHUNK)]
                rows = [
                    row
                    for ids in chunks
                    for row in driver_fetch(conn, f"{sql} AND {column} IN ({', '.join([mark] * len(ids))})", ids)
                ]
            else:
                rows = driver_fetch(conn, sql)
            frames[sobject] = _typed_rows(rows, kinds)
    return frames
