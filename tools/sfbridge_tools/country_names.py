"""Write the country names the audit reads free-text countries by: ``python -m sfbridge_tools.country_names``.

:mod:`sfbridge.matching.countries` maps "Deutschland" or "Royaume-Uni" to a region code using
the country names phonenumbers ships (``phonenumbers.geodata.locale``: every region, in about a
hundred languages). Importing that module imports its package, ``phonenumbers.geodata``, whose
``__init__`` loads the geocoding table of every number prefix: 0.4 s and some 100 MB resident
for the life of the audit (a fifteenth of a million-record audit's peak), for 3,500 names. So
the names are copied here, once per phonenumbers release, into a bundled file of 82 kB.

Each region's names are resolved (a value ``*aa`` stands for language ``aa``'s name), English
first, duplicates left out, in phonenumbers' order: the order the lookup table is built in, so
an English name still wins a clash with another language's. Deterministic: the same
phonenumbers gives byte-identical output (``tests/matching/test_text.py`` checks the bundled
file is current when the installed release is the one it names).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["OUTPUT", "country_names", "render", "write"]

OUTPUT = Path(__file__).resolve().parents[2] / "src" / "sfbridge" / "matching" / "country_names.json"


def _names_of(by_language: dict[str, str]) -> list[str]:
    # A value "*aa" means "same as the entry for language aa" in phonenumbers' locale tables.
    names: list[str] = []
    for language in sorted(by_language, key=lambda code: code not in {"aa", "en"}):
        name = by_language[language]
        name = by_language.get(name[1:], "") if name.startswith("*") else name
        if name and name not in names:
            names.append(name)
    return names


def country_names() -> dict[str, object]:
    """The installed phonenumbers' release and, per region in its order, the region's names (English first)."""
    import phonenumbers  # noqa: PLC0415 (a developer tool: the heavy import is the point)
    from phonenumbers.geodata.locale import LOCALE_DATA  # noqa: PLC0415

    return {
        "phonenumbers": phonenumbers.__version__,
        "regions": {region: _names_of(by_language) for region, by_language in LOCALE_DATA.items()},
    }


def render(table: dict[str, object]) -> str:
    """The file's text: JSON indented a name per line, so a new release's changes read as a small diff."""
    return json.dumps(table, ensure_ascii=False, indent=1) + "\n"


def write(path: Path = OUTPUT) -> None:
    """Write the bundled table."""
    path.write_text(render(country_names()), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    write()
    sys.stdout.write(f"wrote {OUTPUT}\n")
