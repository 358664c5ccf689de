"""The structure the design promises: one door to Salesforce, imports along the data flow."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "sfbridge"
MODULES = sorted(p for p in SRC.rglob("*.py") if "_demo_org" not in p.parts)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_only_one_module_imports_simple_salesforce():
    """simple-salesforce sits behind one adapter module; nothing else may reach around it."""
    users = {module_name(p) for p in MODULES if any(n.startswith("simple_salesforce") for n in imports_of(p))}
    assert users == {"sfbridge.salesforce.client"}


# Who may import whom: a stage imports only stages before it in the data flow
# (config → salesforce → pull → store → ... → cli); the shared base is open to all.
BASE = {
    "sfbridge",
    "sfbridge.errors",
    "sfbridge.models",
    "sfbridge.ids",
    "sfbridge.wire",
    "sfbridge.soql",
    "sfbridge.schema",
    "sfbridge.log",
    "sfbridge.severity",
    "sfbridge.check_names",
}
FORBIDDEN = {
    "sfbridge.config": ("sfbridge.salesforce", "sfbridge.pull", "sfbridge.store", "sfbridge.cli", "sfbridge.report"),
    "sfbridge.credentials": (
        "sfbridge.salesforce",
        "sfbridge.pull",
        "sfbridge.store",
        "sfbridge.cli",
        "sfbridge.report",
    ),
    "sfbridge.salesforce": ("sfbridge.pull", "sfbridge.store", "sfbridge.cli", "sfbridge.report", "sfbridge.synthetic"),
    "sfbridge.pull": ("sfbridge.store", "sfbridge.cli", "sfbridge.report", "sfbridge.synthetic"),
    "sfbridge.store": (
        "sfbridge.salesforce",
        "sfbridge.pull",
        "sfbridge.cli",
        "sfbridge.report",
        "sfbridge.config",
        "sfbridge.credentials",
    ),
    "sfbridge.report": ("sfbridge.pull", "sfbridge.store", "sfbridge.cli", "sqlalchemy", "requests"),
    "sfbridge.plan": ("sfbridge.salesforce", "sfbridge.pull", "sfbridge.push", "sfbridge.cli", "sfbridge.report"),
    "sfbridge.push": ("sfbridge.pull", "sfbridge.cli", "sfbridge.report", "sfbridge.checks", "sfbridge.matching"),
    # The demo's local sandbox ships to users: none of the developer tools (faker) behind it.
    "sfbridge.sandbox": (
        "sfbridge.synthetic",
        "sfbridge.pull",
        "sfbridge.store",
        "sfbridge.plan",
        "sfbridge.push",
        "sfbridge.cli",
        "sfbridge.report",
    ),
    "sfbridge.checks": ("sfbridge.salesforce", "sfbridge.pull", "sfbridge.store", "sfbridge.plan", "sfbridge.push"),
}


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_imports_follow_the_data_flow(path):
    """No module imports a stage downstream of it (pull never imports the store, say)."""
    name = module_name(path)
    for stage, banned in FORBIDDEN.items():
        if name == stage or name.startswith(stage + "."):
            bad = {i for i in imports_of(path) if any(i == b or i.startswith(b + ".") for b in banned)}
            assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_every_module_says_what_it_is_for(path):
    """Each module opens with a docstring naming its one job."""
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), f"{path} has no module docstring"


_IMPORT_EACH_FIRST = """
import importlib, sys, traceback
failures = []
for name in sys.argv[1:]:
    # Forget every sfbridge module, so this one is imported first; third-party packages stay
    # loaded (a cycle can only run through our own modules) and the check takes seconds.
    for loaded in [m for m in sys.modules if m == "sfbridge" or m.startswith("sfbridge.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failures.append(name + ": " + traceback.format_exc(limit=-1))
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""


def test_every_module_imports_alone_in_a_fresh_interpreter():
    """Importing any module first works: no import cycles hidden by import order."""
    names = [module_name(p) for p in MODULES if not module_name(p).endswith("__main__")]
    command = [sys.executable, "-c", _IMPORT_EACH_FIRST, *names]  # our own module names
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_phone_readers_import_only_what_reading_phones_needs():
    """A phone-reading worker imports the phone module, not the whole engine (~140 MB a worker)."""
    probe = "import sys, sfbridge.matching.phones; print(sorted(m for m in sys.modules if m.startswith('sfbridge.')))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603
    assert "sfbridge.matching.engine" not in done.stdout
    assert "sfbridge.matching.countries" not in done.stdout  # phonenumbers' geodata, for country names
