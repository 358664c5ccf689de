"""Writing one output file safely: checked before any work, written whole or not at all.

Light on purpose (no report machinery): ``sfbridge plan``, ``init`` and ``demo`` write a file
or check a folder with it, and the report modules cost a second to import.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sfbridge.errors import UsageError

__all__ = ["check_output_file", "check_output_folder", "temporary_sibling", "write_atomically", "write_output"]


def _file_mode() -> int:
    # The mode a plain open() would give a new file: 0666 less the process's umask.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def temporary_sibling(path: Path) -> Path:
    """An empty temporary sibling of ``path`` (hidden, readable as a plain file would be), to be renamed onto it."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        # mkstemp makes 0600; reports are for whoever may read the folder. By path: os.fchmod is
        # POSIX-only (on Windows a mode sets only the read-only flag, which 0o666 leaves off).
        temporary.chmod(_FILE_MODE)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_atomically(path: Path, content: str | bytes) -> None:
    """Replace a file's content in one step (write a temporary sibling, then rename); text as UTF-8.

    On an error the temporary file is removed and ``path`` is left as it was.
    """
    temporary = temporary_sibling(path)
    try:
        temporary.write_bytes(content.encode() if isinstance(content, str) else content)
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
