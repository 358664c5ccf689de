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

import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sfbridge.errors import UsageError
from sfbridge.models import Finding
from sfbridge.output_manifest import replace_outputs
from sfbridge.report.findings import findings_csv, findings_json, object_csv_name
from sfbridge.report.html import render_index_html, render_report_html
from sfbridge.report.markdown import render_index_markdown, render_report_markdown
from sfbridge.report.workbook import write_findings_workbook

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
    csvs = check_csvs(checks, findings)
    # Both reports show the document's own trends (the comparison with the previous audit).
    reports = {"report.md": render_report_markdown(document), "report.html": render_report_html(document)}
    names = ["findings.json", *csvs, WORKBOOK, *reports]
    instance_url = (document.get("org") or {}).get("instance_url")

    def write_files() -> None:
        _write_texts(folder, csvs)
        with replacing(folder / WORKBOOK) as temporary:
            write_findings_workbook(temporary, checks=list(checks), findings=findings, instance_url=instance_url)
        _write_texts(folder, reports)
        write_atomically(folder / "findings.json", findings_json(document))  # last: the run is whole once it changes

    try:
        folder.mkdir(parents=True, exist_ok=True)
        replace_outputs(folder, names, write_files=write_files, write_text=write_atomically)
    except OSError as exc:
        raise _unwritable(folder, exc) from exc
    return [folder / name for name in names]


def check_csvs(checks: Mapping[str, Sequence[str]], findings: Sequence[Finding]) -> dict[str, str]:
    """The Data Loader CSVs of a run, by file name: ``<check>.<Object>.csv`` and the deprecated ``<check>.csv``.

    Each check gets a file per object it checks and per other object its findings are on, a
    header alone when it found nothing there; and one file with all its findings, as before
    the per-object files (deprecated: a Data Loader job fails the rows of the other object).

    Args:
        checks: the checks that ran, each with the objects it checks.
        findings: the findings.

    Raises:
        ValueError: for an object name that is not an API name (it would not be a safe file name).
    """
    by_check: dict[str, list[Finding]] = {name: [] for name in checks}
    by_object: dict[str, dict[str, list[Finding]]] = {
        name: {sobject: [] for sobject in objects} for name, objects in checks.items()
    }
    for item in findings:
        by_check.setdefault(item.check, []).append(item)
        by_object.setdefault(item.check, {}).setdefault(item.sobject, []).append(item)
    files: dict[str, str] = {}
    for name, objects in by_object.items():
        for sobject, mine in objects.items():
            if not _API_NAME.fullmatch(sobject):
                msg = f"a finding of {name} is on {sobject!r}, which is not an object API name"
                raise ValueError(msg)
            files[object_csv_name(name, sobject)] = findings_csv(mine)
    files.update({f"{name}.csv": findings_csv(mine) for name, mine in by_check.items()})
    return files


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
