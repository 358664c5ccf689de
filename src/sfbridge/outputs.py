"""Write audit outputs into a folder, never half-written: findings.json, one CSV per check, report.md and report.html.

Each file is written to a temporary name in the same folder and renamed into place, so a
reader (a scheduler picking up the CSVs) never sees a partial file. An audit of several orgs
writes each org's files into ``<out>/<org>/`` and an index of them (``index.html``,
``index.md``) into ``<out>/``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sfbridge.errors import UsageError
from sfbridge.models import Finding
from sfbridge.report.findings import findings_csv, findings_json
from sfbridge.report.html import render_index_html, render_report_html
from sfbridge.report.markdown import render_index_markdown, render_report_markdown

__all__ = [
    "check_output_file",
    "check_output_folder",
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


def write_atomically(path: Path, content: str | bytes) -> None:
    """Replace a file's content in one step (write a temporary sibling, then rename); text as UTF-8."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes 0600; reports are for whoever may read the folder. By path: os.fchmod is
        # POSIX-only (on Windows a mode sets only the read-only flag, which 0o666 leaves off).
        Path(temporary).chmod(_FILE_MODE)
        with os.fdopen(handle, "wb") as file:
            file.write(content.encode() if isinstance(content, str) else content)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
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
    folder: Path, *, document: Mapping[str, Any], findings: Sequence[Finding], checks: Sequence[str]
) -> list[Path]:
    """Write findings.json, ``<check>.csv`` for every check run (a header alone when clean), report.md and report.html.

    Args:
        folder: the output folder (created if missing).
        document: the findings.json document.
        findings: the findings.
        checks: the names of the checks that ran.

    Returns:
        The files written.

    Raises:
        UsageError: when the folder cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / "findings.json"]
        write_atomically(written[0], findings_json(document))
        by_check: dict[str, list[Finding]] = {name: [] for name in checks}
        for item in findings:
            by_check.setdefault(item.check, []).append(item)
        for name in checks:
            path = folder / f"{name}.csv"
            write_atomically(path, findings_csv(by_check[name]))
            written.append(path)
        # Both reports show the document's own trends (the comparison with the previous audit).
        reports = {"report.md": render_report_markdown(document), "report.html": render_report_html(document)}
        written += _write_texts(folder, reports)
    except OSError as exc:
        raise _unwritable(folder, exc) from exc
    return written


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
