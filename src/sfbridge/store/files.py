"""Where a SQLite store lives on disk, and removing the files of one that nothing was committed to.

A first pull that fails before it stores a record (a refused login, an unreachable org) must
not leave an empty database behind that later looks like a mirror; the command that created
the file removes it, with SQLite's companions (the write-ahead log, its index, a rollback
journal) and the writer lock's file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sfbridge.errors import SfbridgeError

if TYPE_CHECKING:
    from sfbridge.store import Store

__all__ = ["discard_new_store", "new_sqlite_paths", "remove_sqlite_files", "sqlite_file"]

log = structlog.get_logger()

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
    return _unlink((path, *(path.with_name(path.name + suffix) for suffix in _COMPANIONS)))


def _unlink(paths: Iterable[Path]) -> list[Path]:
    left: list[Path] = []
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            left.append(path)
    return left


def new_sqlite_paths(url: str) -> list[Path]:
    """The parts of a SQLite store's path that do not exist yet: its file, then its new folders.

    Empty when the store exists already, and for PostgreSQL or an in-memory store.
    """
    path = sqlite_file(url)
    return [part for part in (path, *path.parents) if not part.exists()] if path is not None else []


def discard_new_store(store: Store | None, created: Sequence[Path], *, objects: Sequence[str], org_id: str) -> None:
    """Remove a SQLite store a failed command created, if nothing was committed to it.

    ``created`` is what :func:`new_sqlite_paths` said before the store was opened. The writer
    lock is taken first, so a store another process has started to fill meanwhile is never
    removed; a store holding records is kept (the next pull resumes). A cleanup that fails
    is logged, never raised: the command's own error is the one to report.
    """
    path = created[0]
    try:
        if store is not None:
            with store.writer_lock(org_id):
                if any(store.state(sobject) is not None and store.count(sobject) for sobject in objects):
                    return
                store.engine.dispose()  # close every connection: Windows cannot delete an open file
                left = remove_sqlite_files(path)
        else:  # opening it failed: whatever SQLite wrote is not a store
            left = remove_sqlite_files(path)
    except SfbridgeError:  # busy, or unreadable: leave it alone
        return
    except Exception as exc:  # noqa: BLE001 (never hide the command's own error behind the cleanup's)
        log.warning("store_not_discarded", store=str(path), error=exc.__class__.__name__)
        return
    # A lock file some systems cannot delete while it is held goes now that it is released.
    left = _unlink(left)
    log.info("store_discarded", store=str(path), left=[str(item) for item in left] or None)
    for folder in created[1:]:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
