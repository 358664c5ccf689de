"""Write audit outputs into a folder, never half-written: CSVs, findings.xlsx, report.md, report.html, findings.json.

Each file is written to a temporary name in the same folder, and all of them are renamed
into place once every one is written (and, for ``sfbridge audit``, once the findings are
stored: :class:`AuditOutputs`), so a reader (a scheduler picking up the CSVs) never sees a
partial file or a mix of two runs' files; findings.json goes last, so when it changes the
rest of the run's files are in place. Files an earlier run wrote into
the folder and this one does not are removed (:mod:`sfbridge.output_manifest`). An audit of
several orgs writes each org's files into ``<out>/<org>/`` and an index of them
(``index.html``, ``index.md``) into ``<out>/``.

The CSVs are for Data Loader, whose update job takes one object: ``<check>.<Object>.csv``
for each check that ran and each object it checks (``Check.objects``, and any other object
its findings are on), a header alone when it found nothing there. ``<check>.csv``, all of a
check's objects in one file, is still written for scripts that read it; it is deprecated.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from operator import itemgetter
from pathlib import Path
from typing import Any, Self

from sfbridge.errors import UsageError
from sfbridge.log import timed
from sfbridge.models import Finding
from sfbridge.output_files import temporary_sibling, write_atomically
from sfbridge.output_manifest import replace_outputs
from sfbridge.report.basis import ReportBasis, report_basis
from sfbridge.report.csv_files import CheckCsvs, CsvFile
from sfbridge.report.findings import csv_rows, object_csv_name, write_csv, write_findings_json
from sfbridge.report.findings_table import Cell, Columns, findings_table, table_columns
from sfbridge.report.html import render_index_html, render_report_html
from sfbridge.report.markdown import render_index_markdown, render_report_markdown
from sfbridge.report.workbook import write_findings_workbook
from sfbridge.report.workbook_worker import TableFeed

__all__ = [
    "WORKBOOK",
    "AuditOutputs",
    "check_csvs",
    "write_audit_outputs",
    "write_index_outputs",
]


#: The workbook of a run's findings, a sheet per check (:mod:`sfbridge.report.workbook`).
WORKBOOK = "findings.xlsx"

_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")  # an object's API name, safe in a file name


def write_audit_outputs(
    folder: Path, *, document: Mapping[str, Any], findings: Sequence[Finding], checks: Mapping[str, Sequence[str]]
) -> list[Path]:
    """Write a run's CSVs (:func:`check_csvs`), findings.xlsx, report.md, report.html and findings.json.

    Files the folder's previous audit wrote and this one does not (a check left out by
    ``--checks``) are removed, so nothing in the folder is older than this run. The same as
    :class:`AuditOutputs` finished at once (``sfbridge audit`` starts them before it stores
    the findings).

    Args:
        folder: the output folder (created if missing).
        document: the findings.json document.
        findings: the findings.
        checks: the checks that ran, each with the objects it checks (``Check.objects``).

    Returns:
        The files written.

    Raises:
        UsageError: when the folder cannot be created or written.
    """
    instance_url = (document.get("org") or {}).get("instance_url")
    with AuditOutputs(folder, findings=findings, checks=checks, instance_url=instance_url) as outputs:
        return outputs.finish(document)


class AuditOutputs:
    """A run's files, begun before its findings.json document exists, put in place only by :meth:`finish`.

    Entering lays out each check's table once and hands it to the writer of the CSVs and
    findings.xlsx (in a worker process when the audit is large:
    :func:`sfbridge.report.workbook.write_findings_workbook`), which writes them to temporary
    names beside the caller's work: ``sfbridge audit`` stores the findings, compares them with
    the previous audit and builds the document meanwhile (at 1M records some 4 s of its
    process's time that the second core spent idle). :meth:`finish` writes report.md,
    report.html and findings.json, waits for the writer, and only then renames every file into
    place (findings.json last) and removes the previous run's files this one does not write
    (:func:`sfbridge.output_manifest.replace_outputs`). Leaving the block without finishing, or
    with an error (the store refused the findings, Ctrl-C), stops the writer and removes the
    temporary files: the folder keeps the previous run's files, whole.

    Raises (entering, :meth:`finish`):
        UsageError: when the folder cannot be created or written.
    """

    def __init__(
        self,
        folder: Path,
        *,
        findings: Sequence[Finding],
        checks: Mapping[str, Sequence[str]],
        instance_url: str | None,
    ) -> None:
        """Name the files; nothing is written until the block is entered.

        Args:
            folder: the output folder (created if missing).
            findings: the findings.
            checks: the checks that ran, each with the objects it checks (``Check.objects``).
            instance_url: the org's instance, for the workbook's links (None: no links).
        """
        self.folder = folder
        self._findings = findings
        self._checks = checks
        self._instance_url = instance_url
        self._groups = _grouped(checks, findings)
        self.names = ["findings.json", *_csv_names(self._groups), WORKBOOK, "report.md", "report.html"]
        self._temporaries: dict[str, Path] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._feed = TableFeed()
        self._tables: Future[None] | None = None
        self._created = False
        self._finished = False

    def __enter__(self) -> Self:
        """Start writing the CSVs and the workbook."""
        # The findings are millions of objects that live through the rest of the audit; each full
        # collection the work's allocations set off walked them all (5 of 16 CPU seconds of the
        # outputs at 160k findings). Frozen, the collector leaves them be; what is made is still collected.
        gc.freeze()
        try:
            self._created = not self.folder.is_dir()
            self.folder.mkdir(parents=True, exist_ok=True)
            for name in self.names:
                self._temporaries[name] = temporary_sibling(self.folder / name)
            self._pool = ThreadPoolExecutor(1, "sfbridge-workbook")
            self._tables = self._pool.submit(
                write_findings_workbook,
                self._temporaries[WORKBOOK],
                checks=list(self._checks),
                findings=self._findings,
                instance_url=self._instance_url,
                tables=self._feed,
                stop=self._feed.stopped,
            )
            self._feed.follow(self._tables)
            with timed("audit_stage", stage="tables"):
                for name, (mine, objects) in self._groups.items():
                    columns = table_columns(mine)
                    # Its cells as they are (csv_lines makes new lists); pickled as it is handed over.
                    self._feed.put(findings_table(mine, columns=columns), self._csvs(name, mine, objects, columns))
            self._feed.close()
        except BaseException as exc:
            try:
                self._abandon()
            finally:
                gc.unfreeze()  # __exit__ is not called when __enter__ fails
            if isinstance(exc, OSError):
                raise self._unwritable(exc) from exc
            raise
        return self

    def finish(self, document: Mapping[str, Any], *, basis: ReportBasis | None = None) -> list[Path]:
        """Write the reports and findings.json, wait for the CSVs and the workbook, and put every file in place.

        ``basis``: :func:`~sfbridge.report.basis.report_basis` of the document, when the caller
        has it (None: made here).

        Returns:
            The files written.

        Raises:
            UsageError: when a file cannot be written (none has replaced its previous version).
        """
        temporaries = self._temporaries
        # What was made since entering (the document, each finding's plain form that storing
        # made) is frozen too: unfrozen, the reports' allocations set off full collections that
        # walked it all (report.md 0.7 -> 3.2 s at 1M records). __exit__ unfreezes everything.
        gc.freeze()
        try:
            # Both reports show the document's own trends (the comparison with the previous audit),
            # from one basis: each check's findings, the most pressing first, and the health scores.
            basis = basis if basis is not None else report_basis(document)
            temporaries["report.md"].write_bytes(render_report_markdown(document, basis=basis).encode())
            temporaries["report.html"].write_bytes(render_report_html(document, basis=basis).encode())
            del basis  # if made here, freed before findings.json is written (a caller's stays the caller's)
            with temporaries["findings.json"].open("wb") as file:
                write_findings_json(file, document)
            assert self._tables is not None  # noqa: S101 (entered)
            self._tables.result()  # the writer's own error (a full disk), raised here as it was there
            replace_outputs(self.folder, self.names, write_files=self._rename, write_text=write_atomically)
        except OSError as exc:
            raise self._unwritable(exc) from exc
        self._finished = True
        return [self.folder / name for name in self.names]

    def __exit__(self, *_exc: object) -> None:
        """Without :meth:`finish`, or after an error: stop the writer and remove the temporary files."""
        try:
            if not self._finished:
                self._abandon()
            elif self._pool is not None:
                self._pool.shutdown()
        finally:
            gc.unfreeze()

    def _csvs(self, name: str, mine: list[Finding], objects: Mapping[str, list[int]], columns: Columns) -> CheckCsvs:
        def planned(file_name: str, header: list[str] | None = None, positions: list[int] | None = None) -> CsvFile:
            shown = self.folder / file_name
            return CsvFile(str(self._temporaries[file_name]), str(shown), header, positions)

        csvs = CheckCsvs(planned(f"{name}.csv"))
        for sobject, header, positions in _object_columns(mine, objects, columns):
            if header is None:
                csvs.copies.append(planned(object_csv_name(name, sobject)))
            else:
                csvs.objects[sobject] = planned(object_csv_name(name, sobject), header, positions)
        return csvs

    def _rename(self) -> None:
        # Every file is whole: each replaces its previous version, findings.json last (the run is
        # whole once it changes).
        for name in [*self.names[1:], self.names[0]]:
            self._temporaries.pop(name).replace(self.folder / name)

    def _abandon(self) -> None:
        self._feed.abort()  # the writer stops, and its worker process with it
        if self._pool is not None:
            self._pool.shutdown()  # the worker has ended: its files can be removed (on Windows too)
        for temporary in self._temporaries.values():
            temporary.unlink(missing_ok=True)
        self._temporaries.clear()
        if self._created:  # a folder made for files that were never put there
            with suppress(OSError):
                self.folder.rmdir()

    def _unwritable(self, exc: OSError) -> UsageError:
        # A temporary file's error names the file it stands for.
        shown = {str(path): self.folder / name for name, path in self._temporaries.items()}
        return _unwritable(self.folder, exc, shown.get(str(exc.filename), exc.filename) if exc.filename else None)


def check_csvs(checks: Mapping[str, Sequence[str]], findings: Sequence[Finding]) -> dict[str, str]:
    """The Data Loader CSVs of a run, by file name: ``<check>.<Object>.csv`` and the deprecated ``<check>.csv``.

    Each check gets a file per object it checks and per other object its findings are on, a
    header alone when it found nothing there; and one file with all its findings, as before
    the per-object files (deprecated: a Data Loader job fails the rows of the other object).
    :func:`write_audit_outputs` writes the same files without holding them.

    Args:
        checks: the checks that ran, each with the objects it checks.
        findings: the findings.

    Raises:
        ValueError: for an object name that is not an API name (it would not be a safe file name).
    """
    per_object: dict[str, str] = {}
    whole: dict[str, str] = {}
    for name, (mine, objects) in _grouped(checks, findings).items():
        table = findings_table(mine)
        rows = list(csv_rows(table))
        for sobject, header, selected in _object_parts(mine, objects, rows):
            out = io.StringIO()
            write_csv(out, table.header if header is None else header, rows if selected is None else selected)
            per_object[object_csv_name(name, sobject)] = out.getvalue()
        out = io.StringIO()
        write_csv(out, table.header, rows)
        whole[f"{name}.csv"] = out.getvalue()
    return {**per_object, **whole}


#: A check's findings, and the positions among them of each object's (declared objects first).
_Group = tuple[list[Finding], dict[str, list[int]]]


def _grouped(checks: Mapping[str, Sequence[str]], findings: Sequence[Finding]) -> dict[str, _Group]:
    groups: dict[str, _Group] = {name: ([], {sobject: [] for sobject in objects}) for name, objects in checks.items()}
    for item in findings:
        mine, objects = groups.setdefault(item.check, ([], {}))
        objects.setdefault(item.sobject, []).append(len(mine))
        mine.append(item)
    for name, (_, objects) in groups.items():
        for sobject in objects:
            if not _API_NAME.fullmatch(sobject):
                msg = f"a finding of {name} is on {sobject!r}, which is not an object API name"
                raise ValueError(msg)
    return groups


def _csv_names(groups: Mapping[str, _Group]) -> list[str]:
    # The order check_csvs has always given: every per-object file, then every check-wide one.
    per_object = [object_csv_name(name, sobject) for name, (_, objects) in groups.items() for sobject in objects]
    return [*per_object, *(f"{name}.csv" for name in groups)]


def _object_parts(
    mine: list[Finding], objects: Mapping[str, list[int]], rows: list[list[Cell]]
) -> Iterator[tuple[str, list[str] | None, Iterator[Sequence[Cell]] | None]]:
    """Per object of a check: its header and its rows, taken from the check's CSV rows; None, None: all of them."""
    whole = table_columns(mine)
    for sobject, positions in objects.items():
        columns = table_columns([mine[index] for index in positions])
        if len(positions) == len(mine) and columns == whole:
            yield sobject, None, None
        else:
            pick = itemgetter(*columns.positions(whole))  # a header has 7 columns at least: pick gives tuples
            yield sobject, columns.header, (pick(rows[index]) for index in positions)


def _object_columns(
    mine: list[Finding], objects: Mapping[str, list[int]], whole: Columns
) -> Iterator[tuple[str, list[str] | None, list[int] | None]]:
    """Per object of a check: its header and where its columns are in a row's (None: all); None, None: all of it.

    ``whole``: the columns of all the check's findings (``mine``).
    """
    for sobject, positions in objects.items():
        # An object holding every finding (positions are in order) has the check's columns.
        columns = whole if len(positions) == len(mine) else table_columns([mine[index] for index in positions])
        if len(positions) == len(mine) and columns == whole:
            yield sobject, None, None
        elif columns == whole:
            yield sobject, columns.header, None
        else:
            yield sobject, columns.header, columns.positions(whole)


def write_index_outputs(folder: Path, entries: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Write the index of a several-org audit: ``index.html`` and ``index.md``, one entry per org.

    Args:
        folder: the audit's output folder (each org's files are in a subfolder of it).
        entries: one per org (:mod:`sfbridge.report.index`).

    Returns:
        The files written.

    Raises:
        UsageError: when the folder cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return _write_texts(
            folder, {"index.html": render_index_html(entries), "index.md": render_index_markdown(entries)}
        )
    except OSError as exc:
        raise _unwritable(folder, exc) from exc


def _write_texts(folder: Path, texts: Mapping[str, str]) -> list[Path]:
    for name, text in texts.items():
        write_atomically(folder / name, text)
    return [folder / name for name in texts]


def _unwritable(folder: Path, exc: OSError, file: object = None) -> UsageError:
    """The --out error: the file that could not be written when it is known, else the folder."""
    what = f"write {file}" if file else f"write to {folder}"
    return UsageError(f"--out: cannot {what} ({exc.strerror or exc.__class__.__name__}); choose a writable folder")
