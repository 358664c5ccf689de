"""One check's findings as the table report.html shows: its columns and its rows (pure).

A row names whose record it is (name, company or account, owner), then the facts the check is
about, each in its own column (:func:`sfbridge.report.evidence.fact_keys`), then the reason and
the rest of the evidence in words. Rows travel to the page as JSON lists in
:data:`ROW_FIELDS` order; the page's script (``assets/report.js``) builds the columns from
:func:`table_layout`'s description, which the template puts on the table's element.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sfbridge.report.evidence import Fact, company_title, details, fact_value, who
from sfbridge.report.links import lightning_url
from sfbridge.report.matchmodel import waterfall_row

__all__ = ["PREVIEW_ROWS", "ROW_FIELDS", "table_layout", "table_row"]

#: Rows a check's table opens on (its most pressing); the whole table is one click away. A page
#: of every check's full tables was ~50,000 px tall on the demo org's 265 findings.
PREVIEW_ROWS = 5

#: The order of a row's values (the page's script turns rows into objects by these names).
#: ``facts`` holds one value per fact column; ``waterfall`` is a duplicate's best match, weighed
#: step by step (:func:`~sfbridge.report.matchmodel.waterfall_row`), null for other findings.
ROW_FIELDS = (
    "id",
    "url",
    "sobject",
    "severity",
    "reason",
    "action",
    "related",
    "name",
    "company",
    "owner",
    "facts",
    "details",
    "score",
    "group",
    "waterfall",
)


def table_row(
    item: Mapping[str, Any], facts: Sequence[Fact], instance_url: str | None, *, said: Sequence[str] = ()
) -> list[Any]:
    """One finding as a row of its check's table, values in :data:`ROW_FIELDS` order.

    ``said``: evidence keys said once above the table, left out of the row's details.
    """
    record_id, sobject = str(item["record_id"]), str(item["sobject"])
    related = [
        [str(role), str(other), lightning_url(instance_url, None, str(other))]
        for role, other in (item.get("related") or {}).items()
    ]
    person = who(item)
    return [
        record_id,
        lightning_url(instance_url, sobject, record_id),
        sobject,
        str(item["severity"]),
        str(item["reason"]),
        str(item["suggested_action"]),
        related,
        person["name"],
        person["company"],
        person["owner"],
        [fact_value(item, key) for key, _ in facts],
        details(item, [*(key for key, _ in facts), *said], person=person),
        item.get("score"),
        item.get("group"),
        waterfall_row(item),  # only rows shown are built: a large audit's 150k findings pay nothing for it
    ]


def table_layout(
    items: Sequence[Mapping[str, Any]], facts: Sequence[Fact], rows: Sequence[list[Any]]
) -> dict[str, Any]:
    """Which columns a check's table has, as the page's script reads them.

    Returns:
        ``facts`` (per fact column its ``label`` and whether it is ``numeric``, to sort as
        numbers), ``company`` (the column's title: Company for Leads, Account for Contacts),
        ``action`` (the suggested action when every row shares it: said once above the table
        instead of in a column, else None), whether the rows differ in ``severity`` (else the
        heading says it), and whether any row has ``related`` records, ``details``, a ``score``
        or a ``group``.
    """
    index = {name: position for position, name in enumerate(ROW_FIELDS)}
    columns = []
    for position, (_, title) in enumerate(facts):
        values = [row[index["facts"]][position] for row in rows if row[index["facts"]][position] is not None]
        numeric = bool(values) and all(isinstance(value, int | float) for value in values)
        columns.append({"label": title, "numeric": numeric})
    actions = {row[index["action"]] for row in rows}
    return {
        "facts": columns,
        "company": company_title(items),
        "action": next(iter(actions)) if len(actions) == 1 else None,
        "severity": len({row[index["severity"]] for row in rows}) > 1,
        "related": any(row[index["related"]] for row in rows),
        "details": any(row[index["details"]] for row in rows),
        "score": any(row[index["score"]] is not None for row in rows),
        "group": any(row[index["group"]] for row in rows),
    }
