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
        ConfigError: when the file cannot be read or is not valid TOML.
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"cannot read {what} ({exc.strerror})"
        raise ConfigError(msg, source=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"not valid TOML: {exc}"
        raise ConfigError(msg, source=str(path)) from exc


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
