"""The installed package is the product: the wheel holds sfbridge, its demo org and py.typed, no developer tools."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The project's own build backend, called as pip would: no network, about a second.
_BUILD = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory):
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(  # noqa: S603 (our own interpreter and build backend)
        [sys.executable, "-c", _BUILD, str(out)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with zipfile.ZipFile(out / done.stdout.strip().splitlines()[-1]) as wheel:
        return set(wheel.namelist())


def test_the_wheel_holds_no_developer_tools(wheel_files):
    """No generator, recorders, Bulk simulator or tools/ folder: users never need Faker."""
    tools = sorted(
        name
        for name in wheel_files
        if name.startswith("sfbridge_tools/")
        or any(part in name for part in ("/synthetic/", "/record.py", "/record_", "/recording.py", "simbulk"))
    )
    assert tools == []


def test_the_wheel_holds_the_sandbox_the_demo_org_and_py_typed(wheel_files):
    """`sfbridge demo --apply` needs the sandbox and the bundled recording; type checkers need py.typed."""
    assert {
        "sfbridge/py.typed",
        "sfbridge/sandbox/org.py",
        "sfbridge/sandbox/seed.py",
        "sfbridge/sandbox/writes.py",
        "sfbridge/_demo_org/http/demo_pull.json",
        "sfbridge/_demo_org/manifest.json",
        "sfbridge/_demo_org/answer_key.json",
        "sfbridge/_demo_org/describe/Lead.json",
    } <= wheel_files


def test_the_wheel_holds_the_imports_standard_describe(wheel_files):
    """`sfbridge import` types standard fields from the table bundled beside its code."""
    assert "sfbridge/importing/standard_fields.json" in wheel_files
    assert "sfbridge/matching/country_names.json" in wheel_files
