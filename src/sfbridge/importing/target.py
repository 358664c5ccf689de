"""Which exported objects go into which mirror tables, with which fields and rows: the pull's recipes.

An import fills the tables a pull fills (:data:`sfbridge.schema.DEFAULT_SPECS`): the same
objects, for the objects a recipe names fields for only those fields (and the Id and
moments every mirror keeps), and only the rows the pull's query selects (queues among the
Groups, Status changes among the Lead history). The export's deleted records (Data Loader's
"Export All" includes them, flagged ``IsDeleted``) are left out, as a pull's query leaves them.
"""

from __future__ import annotations

from collections.abc import Mapping

from sfbridge.schema import DEFAULT_SPECS, SyncMode

__all__ = ["IMPORTED", "ORGANIZATION", "ROW_FILTERS", "kept_fields"]

#: The objects an import reads, in the order they are written.
IMPORTED: tuple[str, ...] = tuple(DEFAULT_SPECS)

#: Data Export's file of the org itself, read for its Id only.
ORGANIZATION = "Organization"

#: The rows a pull selects of an object (its recipe's WHERE, as a field and the value it must hold).
ROW_FILTERS: Mapping[str, tuple[str, str]] = {"Group": ("Type", "Queue"), "LeadHistory": ("Field", "Status")}

# Every mirror keeps these beside a recipe's fields (the pull selects Id, IsDeleted and its cursor).
_ALWAYS = ("Id", "IsDeleted", "SystemModstamp", "CreatedDate")


def kept_fields(sobject: str) -> frozenset[str] | None:
    """The fields of an object a pull stores (None: every field the export holds).

    >>> sorted(kept_fields("Task"))
    ['ActivityDate', 'CreatedDate', 'Id', 'IsClosed', 'IsDeleted', 'Status', 'SystemModstamp', 'WhoId']
    """
    spec = DEFAULT_SPECS[sobject]
    if spec.fields is None:
        return None
    always = _ALWAYS if spec.mode is SyncMode.INCREMENTAL else ("Id", "IsDeleted")
    return frozenset((*always, *spec.fields))
