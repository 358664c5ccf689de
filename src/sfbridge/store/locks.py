"""Locks on a store: one writer per org, one apply per store and per plan, and run owners.

Lock files go through ``filelock`` (``flock`` on Unix, ``LockFileEx`` on Windows, a marker
file holding the owner's PID where neither works); a PostgreSQL store uses session advisory
locks instead. The operating system or the server drops either when the holding process
dies, so a killed run never blocks the next one, and a run's owner lock that can be taken
proves that the process which ran it is gone.

A SQLite store's lock files sit beside the database's real path (symlinks resolved): every
name by which two processes reach one file leads them to the same locks.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import platformdirs
from filelock import BaseFileLock, FileLock, Timeout
from sqlalchemy import Connection, Engine, text

from sfbridge.errors import StoreError
from sfbridge.store.files import sqlite_file

__all__ = [
    "RunOwner",
    "apply_lock",
    "claim_run_owner",
    "database_file",
    "in_memory",
    "owner_gone",
    "plan_lock_path",
    "writer_lock",
]

_POLL = 0.1  # seconds between attempts while waiting for a PostgreSQL lock
_SAFE_NAME = re.compile(r"[0-9A-Za-z]{1,128}")


def database_file(engine: Engine) -> Path | None:
    """The real path of a SQLite store's database file; None for PostgreSQL and in-memory SQLite."""
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    return path.resolve() if path is not None else None


def in_memory(engine: Engine) -> bool:
    """Whether a store lives in this process's memory (nobody else can reach it)."""
    return engine.dialect.name == "sqlite" and database_file(engine) is None


def _advisory_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a name (the argument pg_try_advisory_lock takes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_connection(engine: Engine) -> Connection:
    # Autocommit: a connection held for a whole run must not sit idle in a transaction (that
    # pins old row versions against VACUUM, and idle_in_transaction_session_timeout ends it).
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _try_file_lock(path: Path, *, wait: float) -> BaseFileLock | None:
    """Take a lock file (waiting up to ``wait`` seconds), or return None if another holder keeps it."""
    # thread_local=False: a run's owner lock is taken and released on whichever thread
    # starts and finishes the run.
    lock = FileLock(path, thread_local=False)
    try:
        if wait > 0:
            lock.acquire(timeout=wait)
        else:
            lock.acquire(blocking=False)
    except Timeout:
        return None
    except OSError as exc:
        msg = f"cannot take the lock file {path}: {exc.strerror or exc}; check that its folder is writable"
        raise StoreError(msg) from exc
    return lock


@contextmanager
def _file_lock(path: Path, *, wait: float, busy: str) -> Iterator[None]:
    lock = _try_file_lock(path, wait=wait)
    if lock is None:
        raise StoreError(busy)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _advisory_lock(engine: Engine, name: str, *, wait: float, busy: str) -> Iterator[None]:
    key, deadline = _advisory_key(name), time.monotonic() + wait
    with _lock_connection(engine) as conn:
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            if time.monotonic() >= deadline:
                raise StoreError(busy)
            time.sleep(_POLL)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


@contextmanager
def writer_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the store's writer lock for ``name`` (an org) or fail at once if it is taken.

    Args:
        engine: the store's engine.
        name: what the lock protects.

    Yields:
        Nothing; the lock is held inside the ``with`` block.

    Raises:
        StoreError: when another process holds the lock.
    """
    busy = (
        f"another sfbridge process is writing this store for {name!r}; wait for it to finish "
        "(locks are released automatically if that process dies)"
    )
    if in_memory(engine):
        yield  # an in-memory store lives and dies with this process: nobody else can write it
        return
    path = database_file(engine)
    if path is not None:
        held = _file_lock(Path(f"{path}.lock"), wait=0, busy=busy)
    else:
        held = _advisory_lock(engine, f"sfbridge:{name}", wait=0, busy=busy)
    with held:
        yield


def plan_lock_path(plan_digest: str) -> Path:
    r"""The machine-wide lock file of one plan, in this user's cache folder (``SFBRIDGE_LOCK_DIR`` overrides it).

    A folder of the user's own (``~/.cache/sfbridge/locks``, ``%LOCALAPPDATA%\sfbridge\Cache\locks``,
    ``~/Library/Caches/sfbridge/locks``), not a shared temporary one where another user could
    create it first and hold or remove the locks.

    Raises:
        StoreError: when the folder cannot be made.
    """
    folder = Path(os.environ.get("SFBRIDGE_LOCK_DIR") or platformdirs.user_cache_path("sfbridge", appauthor=False))
    if "SFBRIDGE_LOCK_DIR" not in os.environ:
        folder /= "locks"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        msg = (
            f"cannot make the folder for apply locks {folder} ({exc.strerror or exc}); "
            "set SFBRIDGE_LOCK_DIR to a folder of yours"
        )
        raise StoreError(msg) from exc
    name = plan_digest if _SAFE_NAME.fullmatch(plan_digest) else hashlib.sha256(plan_digest.encode()).hexdigest()
    return folder / f"plan-{name}.lock"


@contextmanager
def apply_lock(engine: Engine, plan_digest: str | None, *, store: str, wait: float = 0) -> Iterator[None]:
    """Hold the locks of an apply: one per plan (this user, this machine) and one per store.

    The plan's lock keeps two applies of one plan apart even when they name different
    stores; the store's keeps any two applies (or reverts) of one store apart.

    Args:
        engine: the store's engine.
        plan_digest: the plan's digest (None: the store's lock only).
        store: the store as shown in messages (password hidden).
        wait: seconds to wait for the other apply to end before giving up (0: give up at once).

    Yields:
        Nothing; the locks are held inside the ``with`` block.

    Raises:
        StoreError: when another apply holds either lock (after ``wait`` seconds).
    """
    deadline = time.monotonic() + max(wait, 0)
    waited = f" (waited {wait:g} s)" if wait > 0 else ""
    after = "nothing was sent by this one: wait for the other to end, or pass --wait SECONDS to wait for it"

    def left() -> float:
        return max(deadline - time.monotonic(), 0)

    with ExitStack() as stack:
        if plan_digest is not None:
            path = plan_lock_path(plan_digest)
            busy = f"another sfbridge apply of plan {plan_digest[:12]} is running on this machine{waited}; {after}"
            stack.enter_context(_file_lock(path, wait=left(), busy=busy))
        busy = f"another sfbridge apply or revert is running on the store {store}{waited}; {after}"
        database = database_file(engine)
        if database is not None:
            stack.enter_context(_file_lock(Path(f"{database}.apply.lock"), wait=left(), busy=busy))
        elif not in_memory(engine):
            # Advisory locks are per database; a store is a schema in one (search_path).
            with engine.connect() as conn:
                schema = conn.execute(text("SELECT current_schema()")).scalar()
            stack.enter_context(_advisory_lock(engine, f"sfbridge:apply:{schema}", wait=left(), busy=busy))
        yield


class RunOwner:
    """A live run's owner lock: held from the start of a run to its end, by the process running it."""

    def __init__(self, token: str, release: Callable[[], None]) -> None:
        """Keep the token (stored with the run) and how to let the lock go."""
        self.token = token
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        """Let the lock go (once; later calls do nothing)."""
        release, self._release = self._release, None
        if release is not None:
            release()


def _owner_file(database: Path, token: str) -> Path:
    return Path(f"{database}.run-{token}.lock")


def claim_run_owner(engine: Engine) -> RunOwner:
    """Take a new owner lock for a run about to be recorded (before its row exists).

    Returns:
        The owner; its ``token`` goes into the run's row, and :func:`owner_gone` tests it.

    Raises:
        StoreError: when the lock file or the lock connection cannot be had.
    """
    token = secrets.token_hex(16)
    database = database_file(engine)
    if database is not None:
        path = _owner_file(database, token)
        lock = _try_file_lock(path, wait=0)
        if lock is None:  # a fresh random name cannot be held by anyone else
            msg = f"cannot take the run lock file {path}"
            raise StoreError(msg)

        def release_file() -> None:
            lock.release()
            with suppress(OSError):  # Windows removes it itself; a sweeper may have removed it already
                path.unlink(missing_ok=True)

        return RunOwner(token, release_file)
    if in_memory(engine):
        return RunOwner(token, lambda: None)  # nobody else can see this process's runs
    key = _advisory_key(f"sfbridge:run:{token}")
    conn = _lock_connection(engine)
    try:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})  # a fresh key: granted at once
    except BaseException:
        conn.close()
        raise

    def release_session() -> None:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            conn.close()

    return RunOwner(token, release_session)


@contextmanager
def owner_gone(engine: Engine, token: str | None) -> Iterator[bool]:
    """Tell whether the process that owned a run is gone, holding its owner lock meanwhile.

    Holding the dead owner's lock while the caller marks the run keeps two sweeps from
    doing it at once; the caller's update must still only touch a run that is ``running``
    (the owner may have finished it just before letting its lock go).

    Args:
        engine: the store's engine.
        token: the run's owner token (None: recorded before sfbridge kept owners, so gone).

    Yields:
        True when the owner is gone, False while it runs (or cannot be probed).
    """
    if token is None:
        yield True
        return
    database = database_file(engine)
    if database is not None:
        path = _owner_file(database, token)
        lock = None
        if path.exists():  # the file exists from before the run's row until after its end
            with suppress(StoreError):  # a lock file of another OS user's run cannot be probed: alive
                lock = _try_file_lock(path, wait=0)
            if lock is None:
                yield False
                return
        try:
            yield True
        finally:
            if lock is not None:
                lock.release()
            with suppress(OSError):
                path.unlink(missing_ok=True)
        return
    if in_memory(engine):
        yield False  # every run of an in-memory store belongs to this process
        return
    key = _advisory_key(f"sfbridge:run:{token}")
    with _lock_connection(engine) as conn:
        taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield taken
        finally:
            if taken:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
