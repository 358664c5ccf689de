"""Write audit outputs into a folder, never half-written: CSVs, findings.xlsx, report.md, report.html, findings.json.

Each file is written to a temporary name in the same folder and renamed into place, so a
reader (a scheduler picking up the CSVs) never sees a partial file; findings.json goes last,
so when it changes the rest of the run's files are in place. Files an earlier run wrote into
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
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO

from sfbridge.errors import UsageError
from sfbridge.models import Finding
from sfbridge.output_manifest import replace_outputs
from sfbridge.report.findings import csv_lines, csv_rows, object_csv_name, write_csv, write_findings_json
from sfbridge.report.findings_table import Cell, Columns, findings_table, table_columns
from sfbridge.report.html import render_index_html, render_report_html
from sfbridge.report.markdown import render_index_markdown, render_report_markdown
from sfbridge.report.workbook import write_findings_workbook
from sfbridge.report.workbook_worker import TableFeed

__all__ = [
    "WORKBOOK",
    "check_csvs",
    "check_output_file",
    "check_output_folder",
    "replacing",
    "write_atomically",
    "write_audit_outputs",
    "write_index_outputs",
    "write_output",
]


def _file_mode() -> int:
    # The mode a plain open() would give a new file: 0666 less the process's umask.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


#: The workbook of a run's findings, a sheet per check (:mod:`sfbridge.report.workbook`).
WORKBOOK = "findings.xlsx"

_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")  # an object's API name, safe in a file name


def write_atomically(path: Path, content: str | bytes) -> None:
    """Replace a file's content in one step (write a temporary sibling, then rename); text as UTF-8."""
    with replacing(path) as temporary, temporary.open("wb") as file:
        file.write(content.encode() if isinstance(content, str) else content)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary sibling of ``path`` to write, renamed onto ``path`` when the block ends without error.

    For writers that want a file name of their own (the workbook); on an error the temporary
    file is removed and ``path`` is left as it was.
    """
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        # mkstemp makes 0600; reports are for whoever may read the folder. By path: os.fchmod is
        # POSIX-only (on Windows a mode sets only the read-only flag, which 0o666 leaves off).
        temporary.chmod(_FILE_MODE)
        yield temporary
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def check_output_file(path: Path, *, option: str, name: str) -> None:
    """Refuse, before any work is done, an output file that cannot be written where it is asked.

    Its folder must exist (a typo in it should not create a stray tree of folders) and be a
    folder, and the path must not be a folder itself. Called before connecting, so a pull and
    an audit are not spent on a result that has nowhere to go.

    Args:
        path: the file to be written.
        option: the command-line option that named it, for the message.
        name: the usual file name, suggested when ``path`` is a folder.

    Raises:
        UsageError: naming the option, the path and the fix.
    """
    if path.is_dir():
        msg = f"{option}: {path} is a folder; give a file path, e.g. {path / name}"
        raise UsageError(msg)
    folder = path.parent
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        msg = f"{option}: cannot write {path}: the folder {folder} {problem}; create it first or choose another path"
        raise UsageError(msg)


def check_output_folder(path: Path, *, option: str) -> None:
    """Refuse, before any work is done, an output folder that is a file or lies under one.

    A missing folder is fine (it is created when the files are written).

    Args:
        path: the folder to be written into.
        option: the command-line option that named it, for the message.

    Raises:
        UsageError: naming the option, the path and the fix.
    """
    for folder in (path, *path.parents):
        if folder.is_dir():
            return
        if folder.exists():
            where = "is a file" if folder == path else f"lies under {folder}, which is a file"
            msg = f"{option}: {path} {where}, not a folder; choose a folder for the outputs"
            raise UsageError(msg)


def write_output(path: Path, content: str | bytes, *, option: str) -> None:
    """Write one output file atomically; a failure (disk full, no permission) names the option.

    Raises:
        UsageError: when the file cannot be written; nothing is left half-written.
    """
    try:
        write_atomically(path, content)
    except OSError as exc:
        msg = f"{option}: cannot write {path} ({exc.strerror or exc.__class__.__name__}); choose another path"
        raise UsageError(msg) from exc


def write_audit_outputs(
    folder: Path, *, document: Mapping[str, Any], findings: Sequence[Finding], checks: Mapping[str, Sequence[str]]
) -> list[Path]:
    """Write a run's CSVs (:func:`check_csvs`), findings.xlsx, report.md, report.html and findings.json.

    Files the folder's previous audit wrote and this one does not (a check left out by
    ``--checks``) are removed, so nothing in the folder is older than this run.

    Each check's table is laid out once and serves its CSVs and its sheet. The workbook is
    written beside the rest (in a worker process when it is large:
    :func:`sfbridge.report.workbook.write_findings_workbook`), and every file goes straight to
    its temporary name as it is rendered, so no CSV waits whole in memory.

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
    groups = _grouped(checks, findings)
    report_names = ["report.md", "report.html"]
    names = ["findings.json", *_csv_names(groups), WORKBOOK, *report_names]
    instance_url = (document.get("org") or {}).get("instance_url")

    def write_files() -> None:
        with replacing(folder / WORKBOOK) as temporary, ThreadPoolExecutor(1, "sfbridge-workbook") as pool:
            feed = TableFeed()
            workbook = pool.submit(
                write_findings_workbook,
                temporary,
                checks=list(checks),
                findings=findings,
                instance_url=instance_url,
                tables=feed,
            )
            feed.follow(workbook)
            try:
                for name, (mine, objects) in groups.items():
                    _write_check_csvs(folder, name, mine, objects, feed)
                feed.close()
                # Both reports show the document's own trends (the comparison with the previous audit).
                write_atomically(folder / "report.md", render_report_markdown(document))
                write_atomically(folder / "report.html", render_report_html(document))
            except BaseException:
                feed.abort()  # the workbook's writer stops; the temporary workbook is removed
                raise
            workbook.result()  # the workbook's own error (a full disk), raised here as it was there
        with replacing(folder / "findings.json") as temporary, temporary.open("wb") as file:
            write_findings_json(file, document)  # last: the run is whole once it changes

    # The findings and their document are millions of objects that live through this stage; each
    # full collection the rendering's allocations set off walked them all (5 of 16 CPU seconds at
    # 160k findings). Frozen, the collector leaves them be; what this stage makes is still collected.
    gc.freeze()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        replace_outputs(folder, names, write_files=write_files, write_text=write_atomically)
    except OSError as exc:
        raise _unwritable(folder, exc) from exc
    finally:
        gc.unfreeze()
    return [folder / name for name in names]


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


def _write_check_csvs(
    folder: Path, name: str, mine: list[Finding], objects: Mapping[str, list[int]], feed: TableFeed
) -> None:
    whole_columns = table_columns(mine)
    table = findings_table(mine, columns=whole_columns)
    feed.put(table)  # the workbook's sheet: its cells as they are (csv_lines makes new lists)
    whole = folder / f"{name}.csv"
    same: list[Path] = []  # files whose text is the check-wide file's
    # Each row's fields are quoted once, then written to the check's file and to its object's
    # (its columns picked), all files open at once, so no file's text is held whole.
    narrower: dict[str, tuple[Path, list[str], Callable[[list[str]], Any] | None]] = {}
    for sobject, header, picked in _object_columns(mine, objects, whole_columns):
        path = folder / object_csv_name(name, sobject)
        if header is None:
            same.append(path)
        else:
            narrower[sobject] = (path, header, picked)
    with ExitStack() as files:
        whole_file = _open_csv(files, whole, table.header)
        writers = {sobject: _open_csv(files, path, header) for sobject, (path, header, _) in narrower.items()}
        picks = {sobject: picked for sobject, (_, _, picked) in narrower.items()}
        for item, (line, fields) in zip(mine, csv_lines(table), strict=True):
            whole_file.write(line + "\r\n")
            sobject = item.sobject
            if sobject in writers:
                pick = picks[sobject]
                writers[sobject].write((line if pick is None else ",".join(pick(fields))) + "\r\n")
    for path in same:  # an object that holds all of the check's findings: the same bytes, copied
        with replacing(path) as temporary:
            shutil.copyfile(whole, temporary)


def _object_columns(
    mine: list[Finding], objects: Mapping[str, list[int]], whole: Columns
) -> Iterator[tuple[str, list[str] | None, Callable[[list[str]], Any] | None]]:
    """Per object of a check: its header and what picks its columns from a row's (None: all); None, None: all of it.

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
            yield sobject, columns.header, itemgetter(*columns.positions(whole))  # 7 columns at least: a tuple


def _open_csv(files: ExitStack, path: Path, header: Sequence[str]) -> TextIO:
    """A CSV's temporary file, open, its header written; renamed onto ``path`` when ``files`` closes without error."""
    temporary = files.enter_context(replacing(path))
    file = files.enter_context(temporary.open("w", encoding="utf-8", newline=""))
    write_csv(file, header, ())
    return file


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


def _unwritable(folder: Path, exc: OSError) -> UsageError:
    return UsageError(f"--out: cannot write to {folder} ({exc.strerror}); choose a writable folder")
