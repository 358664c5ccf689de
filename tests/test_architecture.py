"""The structure the design promises: one door to Salesforce, imports along the data flow."""

import ast
import importlib
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


# The gateway is joined from parts, one API each, on one call path (login, retries, budget).
GATEWAY = "sfbridge.salesforce.gateway"
GATEWAY_PARTS = {
    "sfbridge.salesforce.connection",
    "sfbridge.salesforce.identity",
    "sfbridge.salesforce.rest_reads",
    "sfbridge.salesforce.rest_writes",
    "sfbridge.salesforce.soap_writes",
    "sfbridge.salesforce.bulk_jobs",
}


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_only_the_gateway_joins_its_parts(path):
    """Callers and wire formats use SalesforceGateway, never one part of it: one door, one budget."""
    name = module_name(path)
    if name in GATEWAY_PARTS or name == GATEWAY:
        return
    reached = imports_of(path) & GATEWAY_PARTS
    assert not reached, f"{name} imports {sorted(reached)}; import SalesforceGateway from {GATEWAY}"


def test_every_gateway_part_is_joined_into_the_gateway():
    """A part left out of SalesforceGateway's bases would be calls no one can make."""
    from sfbridge.salesforce.connection import OrgConnection  # noqa: PLC0415
    from sfbridge.salesforce.gateway import SalesforceGateway  # noqa: PLC0415

    for name in (module_name(p) for p in MODULES):
        if name.startswith("sfbridge.salesforce.") and not name.endswith("__main__"):
            importlib.import_module(name)
    parts = {cls for cls in _subclasses(OrgConnection) if cls.__module__.startswith("sfbridge.")} - {SalesforceGateway}
    assert parts, "no gateway parts found"
    assert all(issubclass(SalesforceGateway, part) for part in parts), parts
    assert {cls.__module__ for cls in parts | {OrgConnection}} == GATEWAY_PARTS


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


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
    "sfbridge.metadata_names",
    "sfbridge.code_digest",
}
FORBIDDEN = {
    # The product ships alone: the developer tools (tools/sfbridge_tools) and their test-only libraries stay out.
    "sfbridge": ("sfbridge_tools", "faker", "responses"),
    "sfbridge.config": ("sfbridge.salesforce", "sfbridge.pull", "sfbridge.store", "sfbridge.cli", "sfbridge.report"),
    "sfbridge.credentials": (
        "sfbridge.salesforce",
        "sfbridge.pull",
        "sfbridge.store",
        "sfbridge.cli",
        "sfbridge.report",
    ),
    "sfbridge.salesforce": ("sfbridge.pull", "sfbridge.store", "sfbridge.cli", "sfbridge.report"),
    "sfbridge.pull": ("sfbridge.store", "sfbridge.cli", "sfbridge.report"),
    # An import stands where the pull does, for the days before API access: files in, the store through a Protocol.
    "sfbridge.importing": (
        "sfbridge.salesforce",
        "sfbridge.pull",
        "sfbridge.store",
        "sfbridge.cli",
        "sfbridge.report",
        "sfbridge.checks",
        "sfbridge.plan",
        "sfbridge.push",
        "sqlalchemy",
    ),
    "sfbridge.store": (
        "sfbridge.salesforce",
        "sfbridge.pull",
        "sfbridge.importing",
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
        "sfbridge.pull",
        "sfbridge.store",
        "sfbridge.plan",
        "sfbridge.push",
        "sfbridge.cli",
        "sfbridge.report",
    ),
    "sfbridge.checks": ("sfbridge.salesforce", "sfbridge.pull", "sfbridge.store", "sfbridge.plan", "sfbridge.push"),
    # Prepare stands between the store and the audit: the audit reads its note, never the other way.
    "sfbridge.prepare": ("sfbridge.audit", "sfbridge.cli", "sfbridge.plan", "sfbridge.push", "sfbridge.report"),
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


STORE_PARTS = sorted((SRC / "store").glob("*.py"))


@pytest.mark.parametrize("path", STORE_PARTS, ids=module_name)
def test_store_modules_each_stay_small(path):
    """The store is split into modules of one job (mirror, sync state, runs, journal...); none regrows."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 350, f"{module_name(path)} has {lines} lines: split off the job that grew"


def test_store_parts_do_not_import_the_facade():
    """The Store's parts stand on store.base, never on the facade built from them (no cycle)."""
    names = {"base", "sync_state", "mirror", "snapshots", "runs", "journal"}
    parts = [p for p in STORE_PARTS if p.stem in names]
    assert len(parts) == len(names)
    assert not [module_name(p) for p in parts if "sfbridge.store" in imports_of(p)]
