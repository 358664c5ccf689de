"""Write the standard describe `sfbridge import` types files with: ``python -m sfbridge_tools.standard_fields``.

An import has no API to describe the org, so it types each column from a bundled table of the
standard fields of the objects it reads: name, describe type and label. The table is made from
the describe bodies under ``fixtures/demo-org/describe/`` (real recordings, see their README),
custom fields left out: an org's own fields are typed from their values. Deterministic: the
same describes give byte-identical output (``tests/importing`` checks the bundled file is current).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["DESCRIBES", "OUTPUT", "standard_fields", "write"]

_ROOT = Path(__file__).resolve().parents[2]
DESCRIBES = _ROOT / "fixtures" / "demo-org" / "describe"
OUTPUT = _ROOT / "src" / "sfbridge" / "importing" / "standard_fields.json"


def standard_fields(folder: Path = DESCRIBES) -> dict[str, list[list[str]]]:
    """Per object, its standard fields as ``[name, describe type, label]``, in describe order."""
    table: dict[str, list[list[str]]] = {}
    for path in sorted(folder.glob("*.json")):
        body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        table[str(body["name"])] = [
            [str(field["name"]), str(field["type"]), str(field.get("label") or "")]
            for field in body["fields"]
            if not field.get("custom", False) and not field.get("deprecatedAndHidden", False)
        ]
    return table


def render(table: dict[str, list[list[str]]]) -> str:
    """The file's text: one field per line, so a change to the table reads as a small diff."""
    lines = ["{"]
    for index, (sobject, fields) in enumerate(table.items()):
        lines.append(f"  {json.dumps(sobject)}: [")
        lines.extend(
            f"    {json.dumps(field, ensure_ascii=False)}{',' if n < len(fields) - 1 else ''}"
            for n, field in enumerate(fields)
        )
        lines.append("  ]" + ("," if index < len(table) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(path: Path = OUTPUT) -> None:
    """Write the bundled table."""
    path.write_text(render(standard_fields()), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    write()
    sys.stdout.write(f"wrote {OUTPUT}\n")
