"""The import stage: a Salesforce Data Export or Data Loader CSVs into the mirror tables a pull fills.

For the days before API access is granted: ``sfbridge import PATH --org NAME`` reads the
export (:mod:`~sfbridge.importing.files` finds the files, :mod:`~sfbridge.importing.org` the
org), types every column as a pull would (:mod:`~sfbridge.importing.columns`,
:mod:`~sfbridge.importing.values`), and writes the objects a pull writes
(:mod:`~sfbridge.importing.target`) in one transaction, so a failure leaves the store as it
was. The store is then bound to the org and stands for the moment of the export (its newest
SystemModstamp, or ``--as-of``): ``audit --offline``, ``report``, ``trends`` and
``plan --offline`` work on it as on a pulled mirror. The first pull of the same org reads
every object whole and takes the store over (:data:`~sfbridge.schema.IMPORT_CURSOR`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from sfbridge.describes import DescribedField
from sfbridge.errors import UsageError
from sfbridge.importing.files import ObjectFile, find_files
from sfbridge.importing.org import org_id_of_export
from sfbridge.importing.rows import ObjectRows, read_object
from sfbridge.importing.sink import ImportSink, ImportWriter
from sfbridge.importing.target import IMPORTED, ORGANIZATION
from sfbridge.models import ColumnKind, SyncState
from sfbridge.schema import IMPORT_CURSOR
from sfbridge.wire import parse_canonical

__all__ = ["ImportReport", "ImportSink", "ImportedObject", "import_export"]

log = structlog.get_logger()


@dataclass(frozen=True)
class ImportedObject:
    """One object as imported: its file, rows, and what was left out or typed from values."""

    sobject: str
    file: str
    rows: int
    left_out_rows: int
    columns: int
    typed_from_values: dict[str, ColumnKind]
    left_out_columns: tuple[str, ...]


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote, and what it could not."""

    org: str
    org_id: str
    org_id_from: str
    store_url: str
    as_of: datetime
    run_id: int
    objects: tuple[ImportedObject, ...]
    missing: tuple[str, ...]  # objects a pull reads that the export has no file for
    ignored_files: tuple[str, ...]
    elapsed_seconds: float

    @property
    def records(self) -> int:
        """Rows written, over every object."""
        return sum(item.rows for item in self.objects)


def import_export(
    path: Path,
    sink: ImportSink,
    *,
    org: str,
    org_id: str | None = None,
    as_of: datetime | None = None,
    skip_unknown_columns: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ImportReport:
    """Import an export into a store, all of it or nothing.

    Args:
        path: a Data Export zip, a folder of its CSVs, or Data Loader CSVs named by object.
        sink: the store.
        org: the profile's name (for the runs table).
        org_id: ``--org-id``: the org's Id, when the export does not name it.
        as_of: ``--as-of``: the moment the export stands for (default: its newest SystemModstamp).
        skip_unknown_columns: leave out columns whose header is not an API name.
        clock: now, for the runs table.

    Returns:
        What was imported.

    Raises:
        ImportFileError: a file that cannot be read (file, line and fix named).
        UsageError: no object files, no org Id, or no moment the export stands for.
        StoreError: the store is another org's, or already a pulled mirror.
    """
    timer, started = time.perf_counter(), clock()
    export = find_files(path, (*IMPORTED, ORGANIZATION))
    try:
        found = [sobject for sobject in IMPORTED if sobject in export.files]
        if not found:
            names = ", ".join(f"{sobject}.csv" for sobject in IMPORTED)
            ignored = f" (it holds {', '.join(export.ignored[:5])})" if export.ignored else ""
            msg = f"{path} holds none of the files sfbridge imports, {names}{ignored}"
            raise UsageError(msg)
        org_id, org_from = org_id_of_export(path, export.files.get(ORGANIZATION), given=org_id)
        with sink.writer_lock(org_id), sink.import_transaction(org_id=org_id) as writer:
            infos = [_write_object(writer, export.files[sobject], skip_unknown_columns) for sobject in found]
            moment = as_of or _newest(infos, path)
            for info in infos:
                _finish(writer, info, moment)
            counts = {info.sobject: {"imported": info.rows, "left_out": info.left_out_rows} for info in infos}
            run_id = writer.record_run(org=org, started_at=started, finished_at=clock(), counts=counts)
    finally:
        export.close()
    objects = tuple(
        ImportedObject(
            sobject=info.sobject,
            file=export.files[info.sobject].name,
            rows=info.rows,
            left_out_rows=info.left_out_rows,
            columns=len(info.plan.columns),
            typed_from_values={column.name: column.kind for column in info.plan.unknown},
            left_out_columns=info.plan.left_out,
        )
        for info in infos
    )
    report = ImportReport(
        org=org,
        org_id=org_id,
        org_id_from=org_from,
        store_url=sink.url,
        as_of=moment,
        run_id=run_id,
        objects=objects,
        missing=tuple(sobject for sobject in IMPORTED if sobject not in export.files),
        ignored_files=tuple(name for name in export.ignored),
        elapsed_seconds=time.perf_counter() - timer,
    )
    log.info("import_done", org=org, records=report.records, objects=len(objects), missing=list(report.missing))
    return report


def _write_object(writer: ImportWriter, file: ObjectFile, skip_unknown: bool) -> ObjectRows:  # noqa: FBT001
    info, batches = read_object(file, skip_unknown=skip_unknown)
    writer.create_table(file.sobject, {column.name: column.kind for column in info.plan.columns})
    for names, rows in batches:
        writer.insert(file.sobject, names, rows)
    log.info("import_object_done", sobject=file.sobject, rows=info.rows, left_out=info.left_out_rows)
    return info


def _newest(infos: list[ObjectRows], path: Path) -> datetime:
    latest = max((info.latest for info in infos if info.latest is not None), default=None)
    if latest is None:
        msg = (
            f"{path}: no file has a SystemModstamp column to tell the moment the export stands for; "
            "pass --as-of (the export's date and time, e.g. 2026-11-02T06:00:00Z)"
        )
        raise UsageError(msg)
    return parse_canonical(latest)


def _finish(writer: ImportWriter, info: ObjectRows, moment: datetime) -> None:
    columns = {column.name: column.kind for column in info.plan.columns}
    bookmark = parse_canonical(info.latest) if info.latest else None
    state = SyncState(
        sobject=info.sobject,
        cursor=IMPORT_CURSOR,
        bookmark=bookmark,
        deletes_since=moment,
        completed_at=moment,
        columns=columns,
    )
    fields = [
        DescribedField(name=column.name, kind=column.kind, sf_type=column.sf_type, label=column.label)
        for column in info.plan.columns
    ]
    writer.finish_object(state, fields, described_at=moment)
