"""Open the store's database: SQLite by default, PostgreSQL by URL, one SQLAlchemy engine.

The locks taken on a store (writers, applies, run owners) are in :mod:`sfbridge.store.locks`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from sfbridge.errors import ConfigError, StoreError

__all__ = ["display_url", "let_page_cache_go", "open_engine"]


def _bind_null(value: None) -> None:
    return value


# CPython's sqlite3 sends None through its adapter lookup, which fails slowly for every NULL
# parameter; a pull page is mostly NULLs (sparse records, 60+ columns), and registering the
# identity adapter for None halves the cost of writing it. None is still bound as NULL.
sqlite3.register_adapter(type(None), _bind_null)


def _json_text(value: Any) -> str:  # noqa: ANN401 (any JSON column value)
    # JSON columns (findings' evidence, run counts) through orjson: the json module is ~10x slower.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _normalise(url: str) -> URL:
    if url == ":memory:":
        url = "sqlite://"  # SQLite in memory: gone when the process ends
    elif "://" not in url:  # a bare path means a SQLite file
        url = f"sqlite:///{url}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        msg = f"{url!r} is not a database URL (use a file path, sqlite:///PATH or postgresql+psycopg://...)"
        raise ConfigError(msg, key="store") from exc
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is what we ship
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        msg = f"the store must be SQLite or PostgreSQL, not {parsed.get_backend_name()!r}"
        raise ConfigError(msg, key="store")
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database.startswith("~"):
        # SQLite opens "~/x.db" literally; a config file's store = "~/sfbridge/acme.db" means the home folder.
        parsed = parsed.set(database=str(Path(parsed.database).expanduser()))
    return parsed


def display_url(url: str) -> str:
    """Render a store URL for messages and reports, password hidden."""
    try:
        return _normalise(url).render_as_string(hide_password=True)
    except ConfigError:
        return "<invalid store URL>"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401 (DB-API object)
    cursor = dbapi_connection.cursor()
    # 16 KiB pages suit mirror rows (60+ columns): writing a pull is ~15 % faster than with
    # the 4 KiB default. It only takes effect when the file is created, before WAL is on.
    cursor.execute("PRAGMA page_size=16384")
    # A 64 MiB page cache (the default is 2 MiB) keeps the primary-key index of a large
    # mirror in memory while a pull inserts in SystemModstamp order, i.e. random Id order.
    cursor.execute("PRAGMA cache_size=-65536")
    # WAL lets `audit` read while a pull writes; NORMAL sync keeps every commit safe from an
    # application crash, which is the failure a pull must survive.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def let_page_cache_go(conn: Connection) -> None:
    """Hand back this pooled SQLite connection's page cache after a read of pages nothing reads again.

    A large blob or a whole-table scan fills the 64 MiB cache (see :func:`_sqlite_pragmas`),
    which the pool would hold for the rest of the run: the audit's duplicate search needs that
    memory. PostgreSQL caches in its server: nothing to do.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA shrink_memory")


def open_engine(url: str) -> Engine:
    """Create the engine for a store URL, creating a SQLite file's folder if needed.

    Args:
        url: a SQLite path or URL, or a PostgreSQL URL.

    Returns:
        A connected-on-demand engine (the first use checks it can connect).

    Raises:
        StoreError: for an unusable URL or an unreachable database.
    """
    parsed = _normalise(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in {None, "", ":memory:"}:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database in {None, "", ":memory:"}:
        # One in-memory database shared by every thread (the pull writes pages on its own
        # thread); the default pool would give each thread a different, empty database.
        engine = create_engine(
            parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}, json_serializer=_json_text
        )
    else:
        engine = create_engine(parsed, pool_pre_ping=True, json_serializer=_json_text)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        msg = f"cannot open the store {display_url(url)}: {exc.__class__.__name__}: {_first_line(exc)}"
        raise StoreError(msg) from exc
    return engine


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
