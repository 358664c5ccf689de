"""Which files an audit wrote into its folder, so the next audit there removes the ones it no longer writes.

A folder is audited again and again (a schedule writes ``sfbridge-reports/acme`` every night).
When one run writes fewer files than the last (``--checks`` picks fewer, a file name is
retired), the last run's extra files would stay beside the new ones and be read as current.
The folder's manifest, ``.sfbridge-outputs``, lists the files the last run wrote; only those
are ever removed, never a file sfbridge did not write there.

The steps keep the manifest true if a run stops anywhere: first the manifest lists the old
files and the new ones together, then the new files are written, then the old ones no longer
written are removed, and last the manifest lists the new files alone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

__all__ = ["MANIFEST", "read_manifest", "replace_outputs"]

#: The manifest's file name (hidden: it is bookkeeping, not an output).
MANIFEST = ".sfbridge-outputs"
_HEADING = "# Files the last sfbridge audit wrote here; the next audit here removes those it does not write.\n"


def read_manifest(folder: Path) -> list[str]:
    """The file names the manifest of ``folder`` lists (none when it has no manifest).

    Only plain names count: a line naming another folder's file (``../x``, ``/x``) is ignored.
    """
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    names = [line.strip() for line in text.splitlines()]
    return [name for name in names if name and not name.startswith("#") and _plain(name)]


def replace_outputs(
    folder: Path, names: Collection[str], *, write_files: Callable[[], None], write_text: Callable[[Path, str], None]
) -> list[str]:
    """Write a run's files and remove the files the folder's previous run wrote that this run does not.

    Args:
        folder: the output folder (it exists).
        names: the file names this run writes.
        write_files: writes them.
        write_text: writes a text file atomically (for the manifest itself).

    Returns:
        The names of the earlier run's files that were removed.
    """
    earlier = read_manifest(folder)
    stale = [name for name in earlier if name not in names and name != MANIFEST]
    write_text(folder / MANIFEST, _manifest([*earlier, *(name for name in names if name not in earlier)]))
    write_files()
    for name in stale:
        path = folder / name
        if path.is_file() or path.is_symlink():  # a folder put there since is not ours to remove
            path.unlink(missing_ok=True)
    write_text(folder / MANIFEST, _manifest(names))
    return stale


def _manifest(names: Collection[str]) -> str:
    return _HEADING + "".join(f"{name}\n" for name in names)


def _plain(name: str) -> bool:
    # A name in this folder: no separator of any OS, not "." or "..".
    return name not in {".", ".."} and not any(sep in name for sep in ("/", "\\", ":", "\0"))
