"""A reader process's work: mirror tables of a SQLite file read through ADBC, written as typed frames.

Runs in the processes :mod:`sfbridge.store.frames` spawns (see there why a SQLite store is read
outside the audit's process). It stands outside the ``sfbridge.store`` package so a reader
imports only polars, the ADBC SQLite driver and :mod:`sfbridge.frame_typing`: importing the
store package (SQLAlchemy, every store module) and the DB-API layer (pyarrow) cost each
reader about 0.55 CPU-s at start, before it read a row (0.85 down to 0.3 on the 1M bench).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import adbc_driver_manager
import adbc_driver_sqlite
import polars as pl

from sfbridge.frame_typing import Compaction, finished
from sfbridge.models import ColumnKind

__all__ = ["read_sqlite"]

# The SQLite driver infers each column's Arrow type from the first batch, and fails when a
# later batch disagrees (a sparse column NULL for the first 1,024 rows, text later). One
# batch per query makes it see every row; the columns are held in full either way.
_SQLITE_OPTIONS = {"adbc.sqlite.query.batch_rows": str(2**30)}


def _fetch(connection: adbc_driver_manager.AdbcConnection, sql: str) -> pl.DataFrame:
    # The driver's own statement, not the DB-API cursor: the same Arrow stream, which polars
    # takes through the Arrow C stream interface without pyarrow.
    with adbc_driver_manager.AdbcStatement(connection) as statement:
        statement.set_options(**_SQLITE_OPTIONS)
        statement.set_sql_query(sql)
        stream, _ = statement.execute_query()
        return pl.DataFrame(stream)


def read_sqlite(
    path: str,
    queries: Mapping[str, str],
    folder: str,
    kinds: Mapping[str, Mapping[str, ColumnKind]],
    compaction: Compaction,
) -> dict[str, str]:
    """Run the queries on a SQLite file through ADBC, writing each frame, typed and compacted, as an Arrow IPC file.

    Files, not pickles, carry the frames back: pickling a million rows costs more than
    reading them. Typing and compacting here keeps that work off the audit's process (two
    readers work side by side) and the files small.

    Returns:
        Per object, the IPC file holding its frame.

    Raises:
        adbc_driver_manager.Error: when the file cannot be read.
    """
    files = {}
    with adbc_driver_sqlite.connect(path) as database, adbc_driver_manager.AdbcConnection(database) as connection:
        for sobject, sql in queries.items():
            files[sobject] = str(Path(folder) / f"{sobject}.arrow")
            finished(_fetch(connection, sql), kinds[sobject], compaction).write_ipc(files[sobject])
    return files
