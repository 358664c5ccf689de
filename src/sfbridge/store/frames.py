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

Text columns that repeat a few values (Status, LeadSource, Country, OwnerId, first names: a
few thousand distinct values over a million rows) are held as polars Categoricals: four bytes
a row instead of a 16-byte string view plus the text, which at a million records is about
450 MB of the snapshot (``_compact``). Which columns is decided from the data, per load, so
it never depends on an org's field names. :meth:`~sfbridge.snapshot.Snapshot.frame` hands
checks the type they ask for (text), so no check sees the difference.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import adbc_driver_manager
import adbc_driver_postgresql.dbapi  # type: ignore[import-untyped]  # ships no type hints
import adbc_driver_sqlite.dbapi
import polars as pl
import structlog
from sqlalchemy import Engine, Table

from sfbridge.errors import StoreError
from sfbridge.models import ColumnKind
from sfbridge.snapshot import POLARS_TYPES
from sfbridge.store.tables import DELETED_AT

__all__ = ["FrameRequest", "load_frames"]

log = structlog.get_logger()

#: What to read of one object: its mirror table and the columns with how each is stored.
FrameRequest = tuple[Table, Mapping[str, ColumnKind]]

_READERS = 2  # reader processes (SQLite serves concurrent readers); more rarely pays on a laptop
_ISOLATE_FROM_BYTES = 64 * 2**20  # SQLite files from this size are read by ADBC in reader processes
_CHUNK = 100_000  # rows per fetch on the row path: one chunk of Python objects at a time
_CANONICAL = "%Y-%m-%d %H:%M:%S%.f"
# The SQLite driver infers each column's Arrow type from the first batch, and fails when a
# later batch disagrees (a sparse column NULL for the first 1,024 rows, text later). One
# batch per query makes it see every row; the columns are held in full either way.
_SQLITE_OPTIONS = {"adbc.sqlite.query.batch_rows": str(2**30)}
# A text column is held as a Categorical when it has at most this share of distinct values,
# in a frame of at least this many rows (below that the saving is too small to matter, and
# small stores, tests among them, keep plain text).
_COMPACT_SHARE = 0.05
_COMPACT_FROM_ROWS = 10_000


def _typed(frame: pl.DataFrame, kinds: Mapping[str, ColumnKind]) -> pl.DataFrame:
    casts = []
    for name, kind in kinds.items():
        column, dtype = pl.col(name), frame.schema[name]
        if kind is ColumnKind.DATETIME and dtype == pl.Utf8:
            casts.append(column.str.to_datetime(_CANONICAL, time_zone="UTC", time_unit="us").alias(name))
        elif kind is ColumnKind.DATETIME and isinstance(dtype, pl.Datetime):
            # Stored naive UTC (see tables.UtcDateTime); a driver may also label it UTC.
            naive = column.dt.replace_time_zone(None) if dtype.time_zone else column
            casts.append(naive.dt.replace_time_zone("UTC").dt.cast_time_unit("us").alias(name))
        elif kind is ColumnKind.DATE and dtype == pl.Utf8:
            casts.append(column.str.to_date("%Y-%m-%d").alias(name))
        else:
            casts.append(column.cast(POLARS_TYPES[kind]).alias(name))
    return frame.with_columns(casts)


#: When a text column is held as a Categorical: (largest share of distinct values, fewest rows).
Compaction = tuple[float, int]


def _compaction() -> Compaction:
    # Read when a load starts, and handed to the reader processes (which import this module afresh).
    return (_COMPACT_SHARE, _COMPACT_FROM_ROWS)


def _compact(frame: pl.DataFrame, kinds: Mapping[str, ColumnKind], compaction: Compaction) -> pl.DataFrame:
    """The frame with its low-cardinality text columns as Categoricals (see the module docstring)."""
    share, from_rows = compaction
    if frame.height < from_rows:
        return frame
    most = int(frame.height * share)
    text = [name for name, kind in kinds.items() if kind is ColumnKind.TEXT and frame.schema[name] == pl.Utf8]
    if not text:
        return frame
    # An exact count (a hash of each value): the cast hashes them again, only for the few columns that repeat.
    distinct = frame.select(pl.col(text).n_unique()).row(0, named=True)
    repeating = [name for name in text if distinct[name] <= most]
    return frame.with_columns(pl.col(repeating).cast(pl.Categorical)) if repeating else frame


def _finished(frame: pl.DataFrame, kinds: Mapping[str, ColumnKind], compaction: Compaction) -> pl.DataFrame:
    """A frame as read, typed as the checks expect and compacted; the columns and types of ``kinds`` when empty."""
    return _compact(_typed(frame, kinds), kinds, compaction) if frame.height else _empty(kinds)


def _select(engine: Engine, table: Table, names: list[str]) -> str:
    quote = engine.dialect.identifier_preparer.quote
    return (
        f"SELECT {', '.join(quote(name) for name in names)} FROM {quote(table.name)} "  # noqa: S608 (quoted identifiers)
        f"WHERE {quote(DELETED_AT)} IS NULL"
    )


def _empty(kinds: Mapping[str, ColumnKind]) -> pl.DataFrame:
    return pl.DataFrame(schema={name: POLARS_TYPES[kind] for name, kind in kinds.items()})


def _fetch(connection: adbc_driver_manager.dbapi.Connection, queries: Mapping[str, str]) -> dict[str, pl.DataFrame]:
    frames = {}
    for sobject, sql in queries.items():
        with connection.cursor() as cursor:
            if isinstance(connection, adbc_driver_sqlite.dbapi.Connection):
                cursor.adbc_statement.set_options(**_SQLITE_OPTIONS)
            cursor.execute(sql)
            frames[sobject] = pl.DataFrame(cursor.fetch_arrow())
    return frames


def read_sqlite(
    path: str,
    queries: Mapping[str, str],
    folder: str,
    kinds: Mapping[str, Mapping[str, ColumnKind]],
    compaction: Compaction,
) -> dict[str, str]:
    """Run the queries on a SQLite file through ADBC, writing each frame, typed and compacted, as an Arrow IPC file.

    Runs in a worker process (see the module docstring). Files, not pickles, carry the frames
    back: pickling a million rows costs more than reading them. Typing and compacting here
    keeps that work off the audit's process (two readers work side by side) and the files small.

    Returns:
        Per object, the IPC file holding its frame.
    """
    files = {}
    with adbc_driver_sqlite.dbapi.connect(path) as connection:
        for sobject, frame in _fetch(connection, queries).items():
            files[sobject] = str(Path(folder) / f"{sobject}.arrow")
            _finished(frame, kinds[sobject], compaction).write_ipc(files[sobject])
    return files


def _read_sqlite_isolated(
    path: str, queries: Mapping[str, str], kinds: Mapping[str, Mapping[str, ColumnKind]]
) -> dict[str, pl.DataFrame]:
    context = multiprocessing.get_context("spawn")  # fork would copy polars' running thread pool
    with tempfile.TemporaryDirectory(prefix="sfbridge-read-") as folder:
        with ProcessPoolExecutor(max_workers=min(len(queries), _READERS), mp_context=context) as pool:
            # One task per object: whichever reader is free takes the next.
            futures = [
                pool.submit(read_sqlite, path, {sobject: sql}, folder, {sobject: kinds[sobject]}, _compaction())
                for sobject, sql in queries.items()
            ]
            files = {sobject: file for future in futures for sobject, file in future.result().items()}
        return {sobject: pl.read_ipc(files[sobject]) for sobject in queries}


def _read_postgresql(engine: Engine, queries: Mapping[str, str]) -> dict[str, pl.DataFrame]:
    # libpq takes the same URL without SQLAlchemy's driver suffix (a password, if any, comes
    # from PGPASSWORD or ~/.pgpass, never the URL: the config refuses one there).
    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with adbc_driver_postgresql.dbapi.connect(uri) as connection:
        return _fetch(connection, queries)


def _read_rows(
    engine: Engine, queries: Mapping[str, str], kinds: Mapping[str, Mapping[str, ColumnKind]]
) -> dict[str, pl.DataFrame]:
    # Through this process's own driver: one Python object per value, several times slower.
    frames = {}
    with engine.connect() as conn:
        for sobject, sql in queries.items():
            names = list(kinds[sobject])
            cursor = conn.exec_driver_sql(sql)
            chunks = []
            while rows := cursor.fetchmany(_CHUNK):
                # Columns empty in a chunk arrive as polars' Null type; the casts type them.
                chunk = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
                chunks.append(_typed(chunk, kinds[sobject]))
            whole = pl.concat(chunks, how="vertical_relaxed") if chunks else _empty(kinds[sobject])
            frames[sobject] = _compact(whole, kinds[sobject], _compaction())
    return frames


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
            return _read_sqlite_isolated(str(engine.url.database), queries, kinds)  # typed by the readers
        raw = _read_postgresql(engine, queries)
    except adbc_driver_manager.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        msg = f"cannot read the store: {detail}"
        raise StoreError(msg) from exc
    except BrokenProcessPool:
        # The reader could not start or died: a script without a __main__ guard (spawned
        # processes import it), or killed for memory. Slower, but the same frames.
        log.warning("store_reader_failed", fallback="in-process read")
        return _read_rows(engine, queries, kinds)
    return {sobject: _finished(frame, kinds[sobject], _compaction()) for sobject, frame in raw.items()}
