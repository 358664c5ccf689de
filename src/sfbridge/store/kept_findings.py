"""How findings are kept: once each, however many runs find them, and each run's list of them in order.

A finding's values are one row of ``finding_bodies``, under a digest of those values
(:func:`finding_digest`); each run's findings are its rows of ``run_findings``, the digests in
the order the audit found them. Consecutive audits of an org find many of the same findings
byte for byte: all of them when nothing changed, 71 % in a benchmark after 1 % of a million
records changed. Kept whole per run, a million records' audit added 162 MB to the store each
time; an audit of an unchanged org now adds 4 MB. Stores made before (schema 1: every run's
findings whole in a ``findings`` table) are brought over once, when opened
(:func:`adopt_legacy_findings`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import orjson
import structlog
from sqlalchemy import Column, Connection, Float, Integer, MetaData, String, Table, Text, cast, inspect, select

from sfbridge.models import Finding, FindingKey, collection_paused
from sfbridge.severity import SEVERITY_OF
from sfbridge.store.base import quoted
from sfbridge.store.driver import driver_cursor, driver_mark, driver_rows
from sfbridge.store.tables import finding_bodies, run_findings

__all__ = [
    "FINDING_COLUMNS",
    "JSON_COLUMNS",
    "adopt_legacy_findings",
    "finding_digest",
    "finding_of",
    "finding_rows",
    "of_run",
    "run_keys",
    "write_findings",
]

log = structlog.get_logger()

_MOVE_BATCH = 5_000  # a schema 1 run's findings written at a time by adopt_legacy_findings
_ASK_BATCH = 5_000  # digests asked for in one query (a bound parameter each)


def of_run(query: Any, run_id: int) -> Any:  # noqa: ANN401 (a Select of any columns)
    """``query`` over the finding bodies of one run (its columns are ``finding_bodies``')."""
    joined = run_findings.join(finding_bodies, run_findings.c.digest == finding_bodies.c.digest)
    return query.select_from(joined).where(run_findings.c.run_id == run_id)


FINDING_COLUMNS = (
    "run_id",
    "check_name",
    "severity",
    "sobject",
    "record_id",
    "reason",
    "suggested_action",
    "evidence",
    "suggested_values",
    "related",
    "group_id",
    "score",
)


def finding_rows(run_id: int, items: Sequence[Finding]) -> list[tuple[Any, ...]]:
    """The findings' values in the order of :data:`FINDING_COLUMNS` (JSON columns as JSON text).

    Each finding's :attr:`~sfbridge.models.Finding.plain` is made here if it was not yet, and
    kept for findings.json; the collector is paused while a large audit's rows are made.
    """
    with collection_paused():
        return [_finding_row(run_id, item.plain) for item in items]


JSON_COLUMNS = frozenset({"evidence", "suggested_values", "related"})  # the findings' JSON columns


def finding_digest(row: Sequence[Any]) -> bytes:
    """The digest a finding's row (as :func:`finding_rows` makes it) is stored under: BLAKE2b of its values but the run.

    Of the values as they are stored (the JSON columns as their text), so two findings share a
    digest exactly when every stored value is the same. One ``orjson.dumps`` of the row: 0.65 s
    for a million records' 160k findings, against 0.8 s hashing the values one by one and 1.5 s
    through ``repr``.
    """
    return hashlib.blake2b(orjson.dumps(row[1:]), digest_size=16).digest()


def write_findings(conn: Connection, run_id: int, batches: Iterable[Sequence[Sequence[Any]]]) -> list[bytes]:
    """Write a run's finding rows (each as :func:`finding_rows` makes them): new bodies, and the run's list of digests.

    A body already stored (by an earlier run, or twice in this one) is not written again. The
    insert still skips a digest stored meanwhile (a second process saving the same finding).
    Returns the digests, in the rows' order.
    """
    # Straight to the driver: a large audit has ~150k findings, and SQLAlchemy's per-row
    # parameter processing would cost three times the insert itself.
    mark = driver_mark(conn)
    body_columns = ("digest", *FINDING_COLUMNS[1:])
    bodies = (
        f"INSERT INTO {quoted(conn, finding_bodies.name)} ({', '.join(quoted(conn, name) for name in body_columns)}) "  # noqa: S608 (quoted identifiers)
        f"VALUES ({', '.join([mark] * len(body_columns))}) ON CONFLICT ({quoted(conn, 'digest')}) DO NOTHING"
    )
    link_columns = ", ".join(quoted(conn, name) for name in ("run_id", "position", "digest"))
    links = f"INSERT INTO {quoted(conn, run_findings.name)} ({link_columns}) VALUES ({mark}, {mark}, {mark})"  # noqa: S608
    known: set[bytes] = set()  # digests stored, by an earlier run or this one
    listed: list[bytes] = []  # the run's, in order
    position = 0
    # Our own cursor, closed whatever happens: a cursor stopped mid-insert (Ctrl-C) and left to
    # SQLAlchemy kept SQLite's write lock until the collector freed it, so the run could not be
    # recorded interrupted (30 s waiting, then "database is locked").
    with driver_cursor(conn, bodies) as cursor:
        for rows in batches:
            digests = [finding_digest(row) for row in rows]
            asked = sorted(set(digests) - known)
            if asked:
                cursor.execute(
                    f"SELECT {quoted(conn, 'digest')} FROM {quoted(conn, finding_bodies.name)} "  # noqa: S608
                    f"WHERE {quoted(conn, 'digest')} IN ({', '.join([mark] * len(asked))})",
                    asked,
                )
                known.update(bytes(digest) for (digest,) in cursor.fetchall())
            new = []
            for digest, row in zip(digests, rows, strict=True):
                if digest not in known:
                    known.add(digest)
                    new.append((digest, *row[1:]))
            if new:
                # In the digests' order: two audits saving at once (PostgreSQL) take the unique
                # index's row locks in one order, so neither waits on a row the other holds.
                cursor.executemany(bodies, sorted(new))
            cursor.executemany(links, [(run_id, position + number, digest) for number, digest in enumerate(digests)])
            position += len(digests)
            listed.extend(digests)
    return listed


def run_keys(
    conn: Connection, run_id: int, known: Mapping[bytes, FindingKey], checks: Collection[str] | None = None
) -> list[FindingKey]:
    """The identities of a run's findings (of ``checks`` only, if given): from ``known`` where it has the digest.

    ``known`` maps digests to identities (another run's findings); a finding it lacks is read
    from its body.

    Comparing an audit with the one before it, most of the earlier run's findings are this
    one's byte for byte: the run's list of digests alone is read for them (0.26 s at a million
    records' 160k findings, against 0.75 s reading every identity through the bodies), and
    only the findings the two do not share are read from their bodies.
    """
    query = select(run_findings.c.digest).where(run_findings.c.run_id == run_id)
    wanted = None if checks is None else set(checks)
    keys: list[FindingKey] = []
    unknown: set[bytes] = set()
    for (stored,) in driver_rows(conn, query):
        digest = bytes(stored)  # a driver may give a bytea as a memoryview (psycopg2 does)
        key = known.get(digest)
        if key is None:
            unknown.add(digest)
        elif wanted is None or key[0] in wanted:
            keys.append(key)
    body = finding_bodies.c
    identities = select(body.check_name, body.sobject, body.record_id)
    if wanted is not None:
        identities = identities.where(body.check_name.in_(sorted(wanted)))
    asked = sorted(unknown)
    for start in range(0, len(asked), _ASK_BATCH):
        keys.extend(driver_rows(conn, identities.where(body.digest.in_(asked[start : start + _ASK_BATCH]))))
    return keys


def adopt_legacy_findings(conn: Connection) -> int:
    """Move the findings an older sfbridge kept whole per run (table ``findings``) into the shared bodies, then drop it.

    Run once, in the transaction that opens such a store (schema 1): each run's findings keep
    their order, and identical findings of several runs become one body. Returns the findings moved.
    """
    if not inspect(conn).has_table(_LEGACY.name):
        return 0
    legacy = _LEGACY.c
    columns = [cast(legacy[name], Text) if name in JSON_COLUMNS else legacy[name] for name in FINDING_COLUMNS]
    run_ids = conn.execute(select(legacy.run_id).distinct().order_by(legacy.run_id)).scalars().all()
    # Said before it starts: the store's write lock is held throughout (about 6 s per run at a
    # million records), and whatever command opened the store waits for it.
    log.warning("store_upgrading", runs=len(run_ids), what="each finding kept once, shared by the runs that found it")
    moved = 0
    for run_id in run_ids:
        # A run at a time: PostgreSQL's driver fetches a whole answer, and a run's rows are its JSON text.
        rows = list(driver_rows(conn, select(*columns).where(legacy.run_id == run_id).order_by(legacy.id)))
        write_findings(conn, run_id, (rows[start : start + _MOVE_BATCH] for start in range(0, len(rows), _MOVE_BATCH)))
        moved += len(rows)
    _LEGACY.drop(conn)
    log.info("findings_adopted", findings=moved)
    return moved


# The findings table of stores made before the bodies were shared (schema 1): read once, to move.
_LEGACY = Table(
    "findings",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer),
    *(Column(name, Text) for name in FINDING_COLUMNS[1:-2]),
    Column("group_id", String(80)),
    Column("score", Float),
)


#: What every stored finding sets: all of its fields (a finding read back is not one with defaults); one set
#: shared by all, as the audit's findings share theirs (a frozen model's set is never added to; copies copy it).
_FIELDS_SET = set(Finding.model_fields)


def finding_of(row: Sequence[Any]) -> Finding:
    """A stored finding as the audit had it, from its :data:`FINDING_COLUMNS` but the run (JSON columns as text).

    Built without pydantic's validation (:meth:`Finding.unvalidated`):
    the values are the store's own, written from valid findings, and of the types validation
    would give them (text, a severity, parsed JSON, a float or None). A plan reads back 100k
    findings at a million records, and validating each cost twice the rest of building it.
    """
    check, severity, sobject, record_id, reason, action, evidence, values, related, group, score = row
    fields = {
        "check": check,
        "severity": SEVERITY_OF[severity],
        "sobject": sobject,
        "record_id": record_id,
        "reason": reason,
        "suggested_action": action,
        "evidence": orjson.loads(evidence),
        "suggested_values": orjson.loads(values),
        "related": orjson.loads(related),
        "group": group,
        "score": None if score is None else float(score),
        # Read from JSON and text: JSON as they are (Finding.json_ready), but for a score a
        # PostgreSQL double could hold as NaN or an infinity, which JSON has not.
        "json_ready": score is None or math.isfinite(score),
    }
    return Finding.unvalidated(fields, _FIELDS_SET)


def _finding_row(run_id: int, plain: Mapping[str, Any]) -> tuple[Any, ...]:
    """A finding's values in the order of :data:`FINDING_COLUMNS` (JSON columns as JSON text)."""
    return (
        run_id,
        plain["check"],
        plain["severity"],
        plain["sobject"],
        plain["record_id"],
        plain["reason"],
        plain["suggested_action"],
        orjson.dumps(plain["evidence"]).decode(),
        orjson.dumps(plain["suggested_values"]).decode(),
        orjson.dumps(plain["related"]).decode(),
        plain["group"],
        plain["score"],
    )
