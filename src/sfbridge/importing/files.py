"""Find the object CSVs of an export: in a Data Export zip, a folder, or one CSV file.

Names decide which object a file holds, compared without case:

- Salesforce's Data Export (Setup > Data Export) writes one file per object, named by the
  object's API name: ``Lead.csv``, ``LeadHistory.csv``, ``Organization.csv``.
- Data Loader and ``sf data export bulk`` write where the user says; sfbridge reads
  ``lead.csv`` and ``Lead_export.csv`` / ``lead-extract.csv`` alike (the object's name, then
  optionally ``_export``, ``-export``, ``_extract`` or ``-extract``), which is how those exports
  are usually named. Any other name is not guessed at: it is listed as ignored.

Two files for one object are refused (which one holds the org's records is the user's call).
A zip's members may sit in a folder inside it; a folder is read without its sub-folders.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from sfbridge.errors import ImportFileError

__all__ = ["ExportFiles", "ObjectFile", "find_files"]

_SUFFIX = re.compile(r"[_-](export|extract)$", re.IGNORECASE)


@dataclass(frozen=True)
class ObjectFile:
    """One object's CSV: the name it is reported by, and how to open it (as bytes, once per read)."""

    sobject: str
    name: str
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class ExportFiles:
    """What an export holds: one file per object sfbridge reads, and the files it leaves alone."""

    path: Path
    files: dict[str, ObjectFile]
    ignored: tuple[str, ...] = ()
    archive: zipfile.ZipFile | None = field(default=None, compare=False)

    def close(self) -> None:
        """Close the zip, if the export is one."""
        if self.archive is not None:
            self.archive.close()


def _object_of(filename: str, wanted: dict[str, str]) -> str | None:
    stem = PurePosixPath(filename).stem
    return wanted.get(stem.lower()) or wanted.get(_SUFFIX.sub("", stem).lower())


def find_files(path: Path, objects: tuple[str, ...]) -> ExportFiles:
    """Find the CSV of each object in ``objects`` under ``path``.

    Args:
        path: a Data Export zip, a folder of CSVs, or one CSV.
        objects: the objects to look for (their API names).

    Returns:
        The files found, by object, and the CSVs left alone.

    Raises:
        ImportFileError: when the path does not exist, is not a zip, folder or CSV, or holds
            two files for one object.
    """
    if not path.exists():
        problem = "no such file or folder"
        raise ImportFileError(problem, file=str(path), fix="give the export's zip, folder or CSV")
    wanted = {name.lower(): name for name in objects}
    if path.is_dir():
        entries = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        named = [(p.name, _opener(p)) for p in entries]
        return _collect(path, named, wanted, archive=None)
    if path.suffix.lower() == ".csv":
        return _collect(path.parent, [(path.name, _opener(path))], wanted, archive=None)
    if not zipfile.is_zipfile(path):
        problem = "is neither a zip (a Data Export), a folder, nor a .csv file"
        raise ImportFileError(problem, file=str(path), fix="give the export's zip, its unpacked folder, or a CSV")
    archive = zipfile.ZipFile(path)
    members = sorted(
        (info.filename for info in archive.infolist() if not info.is_dir() and info.filename.lower().endswith(".csv")),
        key=str.lower,
    )
    named = [(f"{path.name}:{member}", _member(archive, member)) for member in members]
    return _collect(path, named, wanted, archive=archive)


def _collect(
    path: Path,
    named: list[tuple[str, Callable[[], IO[bytes]]]],
    wanted: dict[str, str],
    *,
    archive: zipfile.ZipFile | None,
) -> ExportFiles:
    files: dict[str, ObjectFile] = {}
    ignored: list[str] = []
    for name, opener in named:
        sobject = _object_of(name.rsplit(":", 1)[-1], wanted)
        if sobject is None:
            ignored.append(name)
            continue
        if sobject in files:
            if archive is not None:
                archive.close()
            problem = f"both {files[sobject].name} and {name} hold {sobject} records"
            raise ImportFileError(problem, file=str(path), fix="keep one file per object")
        files[sobject] = ObjectFile(sobject=sobject, name=name, open=opener)
    return ExportFiles(path=path, files=files, ignored=tuple(ignored), archive=archive)


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _member(archive: zipfile.ZipFile, member: str) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(member)
