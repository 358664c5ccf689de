"""Read the project's TOML files (rules, mappings) and word their errors the same way.

Every file error names the file; an unknown key suggests the closest known one, found by
walking the pydantic model the file is validated against (through lists of tables too).
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sfbridge.errors import ConfigError

__all__ = ["known_keys", "read_toml", "unknown_key"]


def read_toml(path: Path, *, what: str) -> dict[str, Any]:
    """Parse a TOML file, or raise :class:`ConfigError` naming it (``what``: "the rules file").

    Raises:
        ConfigError: when the file cannot be read, is not UTF-8 (naming the line and column
            of the first byte that is not) or is not valid TOML.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {what} ({exc.strerror})"
        raise ConfigError(msg, source=str(path)) from exc
    try:
        # utf-8-sig: Windows Notepad used to save UTF-8 with a byte-order mark; TOML is UTF-8
        # either way, and the mark alone should not make a valid file "invalid TOML".
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(_not_utf8(data, exc), source=str(path)) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"not valid TOML: {exc}"
        raise ConfigError(msg, source=str(path)) from exc


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    """Say where the first byte that is not UTF-8 is, and how to save the file instead."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # What Windows PowerShell 5's `>` and Notepad's "Unicode" write.
        return "the file is saved as UTF-16; TOML files must be UTF-8: save it again as UTF-8"
    body = bytes(exc.object)  # without a leading byte-order mark, which positions do not count
    line_start = body.rfind(b"\n", 0, exc.start) + 1
    line = body.count(b"\n", 0, exc.start) + 1
    column = len(body[line_start : exc.start].decode("utf-8", "replace")) + 1
    return (
        f"line {line}, column {column} (byte offset {exc.start}): byte 0x{body[exc.start]:02X} is not UTF-8 "
        "(the file was probably saved as Latin-1 or Windows-1252); TOML files must be UTF-8: "
        "save it again as UTF-8 (in Notepad: Save As, Encoding: UTF-8)"
    )


def _model_in(annotation: Any) -> type[BaseModel] | None:  # noqa: ANN401 (any type annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    # list[Entry], Entry | None, ...: the model inside, if there is exactly one kind of table.
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        models = [model for arg in typing.get_args(annotation) if (model := _model_in(arg)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def known_keys(model: type[BaseModel], section: tuple[int | str, ...]) -> list[str]:
    """The keys a table of the file may hold; ``section`` is the path to it, list indices skipped.

    For a mappings file, ``("mapping", 2)`` names the third ``[[mapping]]`` table: its keys are
    the entry model's fields.
    """
    current: type[BaseModel] | None = model
    for part in section:
        if isinstance(part, int) or current is None:
            continue
        field = _fields(current).get(part)
        current = _model_in(field.annotation) if field is not None else None
    return list(_fields(current)) if current is not None else []


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    # A file spells a field by its alias when it has one ("mapping" for ``entries``).
    return {field.alias or name: field for name, field in model.model_fields.items()}


def unknown_key(model: type[BaseModel], loc: tuple[int | str, ...], *, where: str) -> str:
    """The message for a key the file's model does not know, with the closest known key."""
    close = difflib.get_close_matches(str(loc[-1]), known_keys(model, loc[:-1]), n=1)
    return f"{where}: unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
