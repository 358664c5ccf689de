"""Where a SQLite store lives on disk, and removing the files of one that nothing was committed to.

A first pull that fails before it stores a record (a refused login, an unreachable org) must
not leave an empty database behind that later looks like a mirror; the command that created
the file removes it, with SQLite's companions (the write-ahead log, its index, a rollback
journal) and the writer lock's file.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["remove_sqlite_files", "sqlite_file"]

# SQLite's own companions of a database file, and the writer lock's file beside it.
_COMPANIONS = ("-wal", "-shm", "-journal", ".lock")


def sqlite_file(url: str) -> Path | None:
    """Return the database file of a SQLite store URL (or bare path), as SQLite opens it.

    >>> sqlite_file(".sfbridge/acme.db") == sqlite_file("sqlite:///.sfbridge/acme.db") == Path(".sfbridge/acme.db")
    True
    >>> sqlite_file(":memory:"), sqlite_file("postgresql+psycopg://db/x")
    (None, None)

    Returns:
        The file, or None for PostgreSQL, an in-memory store or a URL that does not parse
        (opening it reports that).
    """
    if url == ":memory:":
        return None
    if "://" not in url:  # a bare path means a SQLite file, as the store reads it
        return Path(url).expanduser()
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in {None, "", ":memory:"}:
        return None
    return Path(str(parsed.database)).expanduser()


def remove_sqlite_files(path: Path) -> list[Path]:
    """Remove a SQLite database file and its companions; return what could not be removed.

    The caller must have closed every connection to it first (Windows refuses to delete an
    open file).
    """
    left: list[Path] = []
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in _COMPANIONS)):
        try:
            candidate.unlink(missing_ok=True)
        except OSError:
            left.append(candidate)
    return left
