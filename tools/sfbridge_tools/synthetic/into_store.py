"""A generated org written into a store as a completed first pull leaves it, without HTTP.

For benchmarks and tests that need a large mirrored org fast: the records go through the
pull's own row conversion and page writes, with the pull's own filters (queues only among
Groups, Status changes only in LeadHistory), typed by the demo org's recorded describes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from sfbridge.config import DEFAULT_OBJECTS
from sfbridge.models import SyncState
from sfbridge.pull.records import RowConverter
from sfbridge.schema import object_schema, spec_for
from sfbridge.store import Store
from sfbridge_tools.synthetic.generator import SyntheticOrg

__all__ = ["write_as_pulled"]

_PAGE = 5_000


def _pulled(sobject: str, record: dict[str, Any]) -> bool:
    """The pull's own filters: queues only; Status history only."""
    if sobject == "Group":
        return record.get("Type") == "Queue"
    if sobject == "LeadHistory":
        return record.get("Field") == "Status"
    return True


def _pages(records: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    records = iter(records)
    while page := list(islice(records, _PAGE)):
        yield page


def write_as_pulled(org: SyntheticOrg, store: Store, *, describes: Path) -> dict[str, int]:
    """Write every default object of ``org`` into ``store``, bound to the org, as a finished full pull would.

    Args:
        org: the generated org.
        store: an empty store.
        describes: the folder of ``<Object>.json`` describes the mirror columns are typed by.

    Returns:
        Per object, the records written.
    """
    store.bind_org(org.org_id, org.instance_url)
    counts = {}
    for sobject in DEFAULT_OBJECTS:
        describe = json.loads((describes / f"{sobject}.json").read_text(encoding="utf-8"))
        schema = object_schema(describe, spec_for(sobject))
        store.prepare_mirror(sobject, schema.columns)
        state = SyncState(
            sobject=sobject,
            cursor=schema.cursor,
            bookmark=None,
            deletes_since=None,
            completed_at=org.snapshot,
            columns=schema.columns,
        )
        store.save_state(state)
        converter, counts[sobject] = RowConverter(schema), 0
        for page in _pages(r for r in org.records(sobject) if _pulled(sobject, r)):
            converted = converter.page(page)
            store.write_page(state, converted.columns, converted.rows, synced_at=org.snapshot, run_id=None)
            counts[sobject] += len(converted)
        store.save_state(state.model_copy(update={"completed_at": org.snapshot, "deletes_since": org.snapshot}))
    return counts
