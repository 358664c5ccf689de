"""Write the import tests' exports of the demo org: ``python -m sfbridge_tools.export_fixtures``.

Replays the demo org's two recorded pulls into a temporary store, then writes its live records
the two ways a consultant receives them, under ``fixtures/import/``:

- ``WE_<org Id>_1.ZIP``: as Salesforce's Data Export writes them, one ``<Object>.csv`` per
  object plus ``Organization.csv``, every value in double quotes, datetimes
  ``2026-11-02T09:00:00.000Z``, checkboxes ``true``/``false``, CRLF line ends;
- ``dataloader/``: Data Loader-style files (``lead.csv``, ``contact_export.csv``, ...): the
  first 300 Leads and 200 Contacts by Id, with the Accounts, Users and Lead statuses (no Task,
  Opportunity or LeadHistory, no Organization.csv), quoted only where needed, LF line ends,
  one file with a byte-order mark.

Deterministic: the same recording gives byte-identical files (the tests regenerate and compare).
"""

from __future__ import annotations

import csv
import io
import itertools
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.credentials import REPLAY_SECRETS
from sfbridge.demo import load_demo_org
from sfbridge.pull import PullOptions, pull
from sfbridge.salesforce import connect, replay_transport
from sfbridge.store import Store
from sfbridge.store.tables import DELETED_AT, SYNCED_AT

__all__ = ["DATALOADER_FILES", "DATALOADER_ROWS", "OUT", "demo_store", "write_exports"]

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "import"
#: The Data Loader set: object → file name (the names sfbridge import is documented to read).
DATALOADER_FILES = {
    "Lead": "lead.csv",
    "Contact": "contact_export.csv",
    "Account": "Account-extract.csv",
    "User": "user.csv",
    "LeadStatus": "LeadStatus.csv",
}
#: How many records of an object the Data Loader set keeps (the first by Id; the others: all).
DATALOADER_ROWS = {"Lead": 300, "Contact": 200}
_FIXED = (2026, 11, 2, 12, 0, 0)  # every zip member's time: the export's, not the moment it was rebuilt


def demo_store(folder: Path) -> Store:
    """The demo org replayed (both recorded pulls) into a new store in ``folder``."""
    demo = load_demo_org()
    store = Store.open(str(folder / "demo.db"))
    transport = replay_transport(demo.profile, config_dir=demo.folder)
    for moment in demo.runs:
        gateway = connect(demo.profile, REPLAY_SECRETS, transport=transport)
        pull(
            gateway,
            store,
            org="demo",
            objects=demo.profile.objects,
            options=PullOptions(page_size=demo.profile.page_size, clock=lambda moment=moment: moment),
        )
    return store


def _text(value: Any) -> str:  # noqa: ANN401 (a stored value of any kind)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv(header: list[str], rows: Iterable[list[str]], *, quote_all: bool, line_end: str, bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def _object_csv(store: Store, sobject: str, *, limit: int | None = None, **style: Any) -> bytes:  # noqa: ANN401
    state = store.state(sobject)
    assert state is not None  # noqa: S101 (every demo object is pulled)
    header = [name for name in state.columns if name not in {SYNCED_AT, DELETED_AT}]
    rows = ([_text(row[name]) for name in header] for row in itertools.islice(store.rows(sobject), limit))
    return _csv(header, rows, **style)


def write_exports(out: Path = OUT) -> list[Path]:
    """Write both exports under ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sfbridge-export-") as folder:
        store = demo_store(Path(folder))
        org_id = str(store.org_id())
        zipped = out / f"WE_{org_id}_1.ZIP"
        with zipfile.ZipFile(zipped, "w") as archive:
            members = {
                "Organization": _csv(["Id", "Name"], [[org_id, "sfbridge demo"]], quote_all=True, line_end="\r\n")
            }
            members |= {
                sobject: _object_csv(store, sobject, quote_all=True, line_end="\r\n") for sobject in DEFAULT_OBJECTS
            }
            for sobject, data in sorted(members.items()):
                info = zipfile.ZipInfo(f"{sobject}.csv", date_time=_FIXED)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data, compresslevel=9)
        loader = out / "dataloader"
        loader.mkdir(exist_ok=True)
        written = [zipped]
        for sobject, name in DATALOADER_FILES.items():
            path = loader / name
            data = _object_csv(
                store,
                sobject,
                limit=DATALOADER_ROWS.get(sobject),
                quote_all=False,
                line_end="\n",
                bom=sobject == "Contact",
            )
            path.write_bytes(data)
            written.append(path)
        store.engine.dispose()
    return written


if __name__ == "__main__":
    for path in write_exports():
        sys.stdout.write(f"wrote {path} ({path.stat().st_size:,} bytes)\n")
