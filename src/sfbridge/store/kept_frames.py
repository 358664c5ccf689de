"""Kept frames: a snapshot's typed frames as a pull's preparation loaded them, read back by the audits that follow.

Loading a million records' snapshot from SQLite (reader processes decoding rows into Arrow
columns beside a scan that counts every field's fill) took 4.5-5.5 s of a 1M audit's ~33 s on
two cores, both busy. The same frames kept as zstd-compressed Arrow IPC, one row per object,
read back in under a second (the kept people, below, are rows of their own).
:func:`sfbridge.prepare.prepare_people` keeps them after a pull, for the fields an audit of
every check loads under the profile's rules; an audit of that same mirror reads the columns it
asks for (a projection: the other columns are never decompressed), and an object whose kept
frame is stale, lacks a column the audit asks for, or does not read back whole, is read from
the mirror as before.

A kept frame holds only for its object's mirror table as it stood when it was loaded (the
object's token, :meth:`sfbridge.store.Store.object_tokens`, taken before the load, which every
write to that table changes: a pull meanwhile leaves it stale, never wrong), and for the code
and polars release that typed it (:func:`_basis`). A pull that brought no Tasks leaves the
Task frame kept as it was, so its preparation loads and keeps again only the objects it wrote
to. Each file's digest is checked before it is read: a damaged file is never taken for the
mirror. It is a cache: losing it costs time, never findings.

The same table keeps the people the preparation normalised from those frames
(:meth:`KeptFrames.keep_people`), in parts of a few columns each, valid while the tokens of the
objects they come from hold (Lead, Contact, Account: :func:`sfbridge.prepare.people_token`) and
for the settings (rules) they were normalised under: the audit reads them back ready
(:func:`sfbridge.prepare.kept_people_reader`), and a pull that wrote none of those objects
leaves them as they were.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
import structlog
from sqlalchemy import ColumnElement, Connection, delete, insert, select

from sfbridge.code_digest import code_digest
from sfbridge.errors import StoreError
from sfbridge.store.base import StoreBase, guard
from sfbridge.store.engine import let_page_cache_go
from sfbridge.store.frames import compaction
from sfbridge.store.ipc import ipc_file, read_ipc_file
from sfbridge.store.tables import kept_frames as kept_table
from sfbridge.store.tables import sync_state

__all__ = ["Kept", "KeptFrames"]

log = structlog.get_logger()

#: Raised when the layout of a kept row changes: rows of an older layout are then stale.
#: 2: a frame holds for its object's token, no longer for the whole mirror's snapshot token.
_FORMAT = "2"


def _basis(token: str) -> str:
    """What a kept row holds for: its mirror table (a token), the code and polars, the typing settings.

    The settings are those that decide which text columns are held as Categoricals
    (:func:`sfbridge.store.frames.compaction`). Equal digests, equal frames.
    """
    # All of sfbridge's code, not a list of typing modules: which fields a load reads and how it
    # types them is decided all over it, and a list misses the module that changes it next.
    code = code_digest("", libraries=("sfbridge", "polars"))
    settings = f"kept frames {_FORMAT}|{token}|{compaction()!r}|{code}"
    return hashlib.sha256(settings.encode()).hexdigest()


def _blob_digest(blob: bytes) -> str:
    return hashlib.blake2b(blob, digest_size=32).hexdigest()


@dataclass(frozen=True)
class Kept:
    """What :meth:`KeptFrames.read_kept_frames` found: frames and fill counts of the objects kept for this mirror."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    fill_counts: dict[str, dict[str, int]] = field(default_factory=dict)


class KeptFrames(StoreBase):
    """The kept frames of a store (see the module docstring)."""

    def keep_frames(
        self,
        tokens: Mapping[str, str],
        frames: Mapping[str, pl.DataFrame],
        fill_counts: Mapping[str, Mapping[str, int]],
    ) -> None:
        """Keep these objects' frames (and the fill counts of those counted), replacing what was kept of them.

        What was kept of other objects stays while it holds (their tokens did not change); what
        was kept of objects the mirror no longer holds goes. The kept people are left as they
        are: they hold for their own token (:meth:`keep_people`).

        In one transaction, one object's file made and written at a time: a million records'
        files weigh about 100 MB, never all held at once.

        Args:
            tokens: per object kept, its :meth:`~sfbridge.store.Store.object_tokens` token,
                taken before the frames were loaded.
            frames: per object to keep, its frame as :meth:`load_snapshot` loaded it.
            fill_counts: per object counted, how many live records fill each stored field.
        """
        written_at = datetime.now(UTC)
        mirrored = select(sync_state.c.sobject)
        with guard("keep the snapshot's frames"), self.engine.begin() as conn:
            conn.execute(
                delete(kept_table).where(
                    ~kept_table.c.sobject.like(f"{_PEOPLE}%"),
                    kept_table.c.sobject.in_(list(frames)) | kept_table.c.sobject.not_in(mirrored),
                )
            )
            for sobject, frame in frames.items():
                _insert_kept(conn, sobject, _basis(tokens[sobject]), frame, fill_counts.get(sobject), written_at)

    def fresh_kept_frames(
        self, tokens: Mapping[str, str], wanted: Mapping[str, Collection[str]], count_fill: Collection[str]
    ) -> set[str]:
        """The objects whose kept frame holds for their mirror now, with every column wanted (files unread).

        For a pull's preparation: an object so kept is neither loaded nor kept again. A file
        that turns out not to read back is then read from the mirror by the audit.
        """
        bases = {_basis(token): sobject for sobject, token in tokens.items()}
        with guard("read the kept frames"), self.engine.connect() as conn:
            described = select(kept_table.c.sobject, kept_table.c.basis, kept_table.c.columns, kept_table.c.fill_counts)
            rows = conn.execute(described.where(kept_table.c.basis.in_(list(bases))))
            return {
                row.sobject
                for row in rows
                if bases[row.basis] == row.sobject
                and row.sobject in wanted
                and set(wanted[row.sobject]) <= set(row.columns)
                and (row.sobject not in count_fill or isinstance(row.fill_counts, dict))
            }

    def read_kept_frames(
        self, tokens: Mapping[str, str], wanted: Mapping[str, Collection[str]], count_fill: Collection[str]
    ) -> Kept:
        """The kept frames of the objects wanted: those kept for their mirror as it stands, with every column wanted.

        Args:
            tokens: per object, its :meth:`~sfbridge.store.Store.object_tokens` token now.
            wanted: per object, the columns to read (in this order).
            count_fill: objects whose fill counts are wanted too: one kept without them is not used.

        Returns:
            Per object found, its frame of the wanted columns (and its fill counts, if wanted).
            An object kept for another state of its mirror table, without a column, or whose
            file does not read back whole is left out: the caller reads it from the mirror. A
            file that does not read back is dropped, so the next preparation keeps it again.
        """
        found, fresh, damaged = Kept(), self.fresh_kept_frames(tokens, wanted, count_fill), []
        with guard("read the kept frames"), self.engine.connect() as conn:
            for sobject in (sobject for sobject in wanted if sobject in fresh):
                columns, basis = wanted[sobject], _basis(tokens[sobject])
                # The basis again: another process's pull may have kept a new frame since.
                stored = conn.execute(
                    select(kept_table.c.frame, kept_table.c.digest, kept_table.c.rows, kept_table.c.fill_counts).where(
                        kept_table.c.sobject == sobject, kept_table.c.basis == basis
                    )
                ).first()
                if stored is None or (sobject in count_fill and not isinstance(stored.fill_counts, dict)):
                    continue
                frame = _frame(sobject, stored.frame, stored.digest, stored.rows, columns=list(columns))
                if frame is None:
                    damaged.append((kept_table.c.sobject == sobject, basis, kept_table.c.digest == stored.digest))
                    continue
                found.frames[sobject] = frame
                if sobject in count_fill:
                    found.fill_counts[sobject] = {str(name): int(count) for name, count in stored.fill_counts.items()}
            let_page_cache_go(conn)  # the files' pages: read once
        for which, basis, digest in damaged:
            self._drop_kept(which, basis, digest)
        return found

    def _drop_kept(self, which: ColumnElement[bool], basis: str, *also: ColumnElement[bool]) -> None:
        """Drop kept rows that do not read back: their token still holds, so no preparation would replace them.

        A cache: a store that refuses the delete (locked by a pull's keep, a read-only role) costs
        the next audits the slow path until the object changes, never their run.
        """
        try:
            with guard("drop a damaged kept frame"), self.engine.begin() as conn:
                conn.execute(delete(kept_table).where(which, kept_table.c.basis == basis, *also))
        except StoreError as exc:
            log.warning(
                "kept_frame_not_dropped", error=str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            )

    def keep_people(self, token: str, settings: str, people: pl.DataFrame) -> None:
        """Keep the people normalised from this mirror under these settings, replacing the people kept before.

        In parts of a few columns each (:data:`_PART_BYTES`), one file made and written at a
        time: reading them back holds one part's file beside the frame, not the whole frame's
        (162 MB at a million people, which took a 1M audit's peak over 1.5 GB).

        Args:
            token: what the people were made from (:func:`sfbridge.prepare.people_token`: their
                objects' tokens), taken before the snapshot they came from was loaded.
            settings: what else the people depend on (the rules' digest, the normalisers'
                libraries): they are read back only under the same.
            people: the normalised people.
        """
        basis, written_at = _basis(f"{token}|{settings}"), datetime.now(UTC)
        parts = _column_groups(people)
        with guard("keep the normalised people"), self.engine.begin() as conn:
            conn.execute(delete(kept_table).where(kept_table.c.sobject.like(f"{_PEOPLE}%")))
            for index, columns in enumerate(parts, start=1):
                _insert_kept(conn, _part_name(index, len(parts)), basis, people.select(columns), None, written_at)

    def kept_people_count(self, token: str, settings: str) -> int | None:
        """How many people :meth:`keep_people` kept for this token under these settings, or None (files unread).

        For a pull's preparation: people so kept are not normalised and kept again. A file that
        turns out not to read back costs the audit the normalising, as with :meth:`read_kept_people`.
        """
        query = select(kept_table.c.sobject, kept_table.c.rows).where(
            kept_table.c.basis == _basis(f"{token}|{settings}"), kept_table.c.sobject.like(f"{_PEOPLE}%")
        )
        with guard("read the kept people"), self.engine.connect() as conn:
            found = dict(conn.execute(query).all())
        parts = [_part_name(index, len(found)) for index in range(1, len(found) + 1)]
        return found[parts[0]] if parts and set(parts) == set(found) else None

    def read_kept_people(self, token: str, settings: str) -> pl.DataFrame | None:
        """The people :meth:`keep_people` kept for this token (the mirror they came from) under these settings, or None.

        None when none were kept for it, or a part is missing or does not read back whole: the
        caller normalises the people itself.
        """
        basis = _basis(f"{token}|{settings}")
        query = select(kept_table.c.sobject, kept_table.c.frame, kept_table.c.digest, kept_table.c.rows).where(
            kept_table.c.basis == basis, kept_table.c.sobject.like(f"{_PEOPLE}%")
        )
        with guard("read the kept people"), self.engine.connect() as conn:
            found = set(conn.execute(query.with_only_columns(kept_table.c.sobject)).scalars())
            # Parts 1/n to n/n, all of them, in order: one keep wrote them, in one transaction.
            parts = [_part_name(index, len(found)) for index in range(1, len(found) + 1)]
            if not parts or set(parts) != found:
                return None
            frames = []
            for name in parts:  # one file held at a time
                stored = conn.execute(query.where(kept_table.c.sobject == name)).first()
                frame = None if stored is None else _frame(name, *stored[1:], columns=None)
                if frame is None:
                    break
                frames.append(frame)
            let_page_cache_go(conn)  # the files' pages: read once
        try:
            if len(frames) == len(parts):
                return pl.concat(frames, how="horizontal")
        except pl.exceptions.PolarsError as exc:  # parts of other lengths, a column in two: not what a keep wrote
            log.warning("kept_frame_unreadable", sobject=_PEOPLE.strip(), error=str(exc).splitlines()[0])
        self._drop_kept(kept_table.c.sobject.like(f"{_PEOPLE}%"), basis)
        return None

    def has_kept_frames(self) -> bool:
        """Whether anything is kept (for any mirror): when nothing is, a load need not work out the objects' tokens."""
        with guard("read the kept frames"), self.engine.connect() as conn:
            return conn.execute(select(kept_table.c.sobject).limit(1)).first() is not None

    def forget_kept_frames(self) -> None:
        """Drop every kept frame and the kept people (the next audit reads the mirror and normalises the people)."""
        with guard("drop the kept frames"), self.engine.begin() as conn:
            conn.execute(delete(kept_table))


def _insert_kept(
    conn: Connection,
    name: str,
    basis: str,
    frame: pl.DataFrame,
    fill_counts: Mapping[str, int] | None,
    written_at: datetime,
) -> None:
    """Write one kept row: the frame as one zstd Arrow IPC file, its columns, rows and digest.

    zstd: about half of lz4's size (101 against 183 MB at a million records) for the same read
    time, 0.6 s; the write, 1.3 s, is paid once per pull. Made and written one file at a time:
    a caller's files are never all held at once.
    """
    blob = ipc_file(frame, compression="zstd")
    row = {
        "sobject": name,
        "basis": basis,
        "columns": list(frame.columns),
        "fill_counts": None if fill_counts is None else dict(fill_counts),
        "rows": frame.height,
        "frame": blob,
        "digest": _blob_digest(blob),
        "written_at": written_at,
    }
    conn.execute(insert(kept_table), [row])


#: The kept people's rows in the kept_frames table are named "#people 1/3", "#people 2/3"...:
#: no object's API name holds "#", a space or "/".
_PEOPLE = "#people "
#: About how many bytes of the people frame go in one part (before compression).
_PART_BYTES = 64 * 1024 * 1024


def _part_name(index: int, parts: int) -> str:
    return f"{_PEOPLE}{index}/{parts}"


def _column_groups(frame: pl.DataFrame) -> list[list[str]]:
    """The frame's columns in groups of about :data:`_PART_BYTES`, in order (at least one group)."""
    parts: list[list[str]] = [[]]
    size = 0
    for column in frame.columns:
        bytes_ = int(frame.get_column(column).estimated_size())
        if parts[-1] and size + bytes_ > _PART_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(column)
        size += bytes_
    return parts


def _frame(
    sobject: str, blob: bytes, digest: str | None, rows: int, *, columns: list[str] | None
) -> pl.DataFrame | None:
    """The kept file's columns, or None when it is not the file that was kept (a torn write, an edited database)."""
    # Checked before polars reads it: a damaged zstd stream can decode to other values (or panic).
    if _blob_digest(blob) != digest:
        log.warning("kept_frame_unreadable", sobject=sobject, error="its digest does not match")
        return None
    frame = read_ipc_file(blob, columns=columns, unreadable="kept_frame_unreadable", sobject=sobject)
    if frame is None:
        return None
    if frame.height != rows:
        log.warning("kept_frame_unreadable", sobject=sobject, error=f"{frame.height} rows, not {rows}")
        return None
    return frame
