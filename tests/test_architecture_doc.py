"""docs/ARCHITECTURE.md stays true: it names every package and module, and each name it gives exists."""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "sfbridge"
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
TABLE = DOC.split("## What each package owns", 1)[1].split("\n## ", 1)[0]
# Dotted names, not file names such as `sfbridge.toml`.
DOTTED = sorted(set(re.findall(r"`(sfbridge(?:\.\w+)+)`", DOC)) - {"sfbridge.toml"})
PATHS = sorted(set(re.findall(r"`((?:tools|benchmarks|fixtures|config|docs|tests)/[\w./-]*)`", DOC)))


def top_level_units() -> set[str]:
    """Every package and every top-level module of the installed package, as dotted names."""
    packages = {f"sfbridge.{p.parent.name}" for p in SRC.glob("*/__init__.py")}
    modules = {f"sfbridge.{p.stem}" for p in SRC.glob("*.py") if p.stem not in {"__init__", "__main__"}}
    return packages | modules


def test_the_table_names_every_package_and_top_level_module():
    """A package or module added (or removed) without a line in the table fails here."""
    in_table = set(re.findall(r"^\| `(sfbridge\.\w+)` \|", TABLE, re.MULTILINE))
    assert in_table == top_level_units(), (
        f"missing from docs/ARCHITECTURE.md: {sorted(top_level_units() - in_table)}; "
        f"named there but gone: {sorted(in_table - top_level_units())}"
    )


def test_every_dotted_name_the_page_gives_exists():
    """`sfbridge.push.updates` or `sfbridge.pull.mirror.Mirror`: a module, or a name a module defines."""
    assert DOTTED, "the page names no module"
    for name in DOTTED:
        module, _, attribute = name.rpartition(".")
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            assert hasattr(importlib.import_module(module), attribute), f"{name} is named in the page but not defined"


def test_every_folder_the_page_names_exists():
    assert PATHS
    for path in PATHS:
        assert (ROOT / path).exists(), f"docs/ARCHITECTURE.md names {path}, which does not exist"
