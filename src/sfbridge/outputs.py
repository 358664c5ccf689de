"""Write audit outputs into a folder: findings.json and one CSV per check, never half-written.

Each file is written to a temporary name in the same folder and renamed into place, so a
reader (a scheduler picking up the CSVs) never sees a partial file.
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

__all__ = ["write_atomically", "write_audit_outputs"]


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
        os.fchmod(handle, _FILE_MODE)  # mkstemp makes 0600; reports are for whoever may read the folder
        with os.fdopen(handle, "wb") as file:
            file.write(content.encode() if isinstance(content, str) else content)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_audit_outputs(
    folder: Path, *, document: Mapping[str, Any], findings: Sequence[Finding], checks: Sequence[str]
) -> list[Path]:
    """Write findings.json and ``<check>.csv`` for every check run (a header alone when clean).

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
        for name in checks:
            path = folder / f"{name}.csv"
            write_atomically(path, findings_csv([item for item in findings if item.check == name]))
            written.append(path)
    except OSError as exc:
        msg = f"--out: cannot write to {folder} ({exc.strerror}); choose a writable folder"
        raise UsageError(msg) from exc
    return written
