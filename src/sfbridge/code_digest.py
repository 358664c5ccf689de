"""A digest of sfbridge's own code and some libraries' versions: what a result kept between runs was made by.

The store keeps work for later runs (the normalisers' tables, the frames a pull loaded); each
is valid only for the code that made it. A kept result is keyed by this digest, so an upgrade,
or an edit in a source tree, makes it stale rather than wrong.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path

__all__ = ["code_digest"]

_PACKAGE = Path(__file__).parent


@functools.cache
def code_digest(folder: str, *, libraries: tuple[str, ...] = ()) -> str:
    """The digest of the Python sources under one of sfbridge's folders, and of these libraries' versions.

    Args:
        folder: a folder of the package, relative to it (``"matching"``); ``""`` for all of it,
            subfolders included.
        libraries: distributions whose installed versions count too (``"sfbridge"`` among them
            covers an install without sources: compiled files only).

    Returns:
        A hex digest, the same for the same sources and versions on any machine.
    """
    digest = hashlib.sha256()
    root = _PACKAGE / folder
    for path in sorted(root.rglob("*.py") if folder == "" else root.glob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    for name in libraries:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.hexdigest()
