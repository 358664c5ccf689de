"""Page through a query, following ``nextRecordsUrl``, with wide objects split by columns.

When an object has so many fields that one SELECT would not fit in a request URL, the
first column group (Id, the cursor, and as many fields as fit) drives the paging and the
other groups are fetched for each page's Ids, then joined back by Id, so every page handed
on is complete.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sfbridge import soql
from sfbridge.models import ObjectSchema
from sfbridge.pull.decode import PageDecoder
from sfbridge.pull.records import Page
from sfbridge.salesforce import SalesforceGateway
from sfbridge.schema import ObjectSpec

__all__ = ["QueryPlan", "iter_pages", "iter_records", "plan_query"]


@dataclass(frozen=True)
class QueryPlan:
    """The queries that read one object: column groups, filters and order."""

    sobject: str
    groups: tuple[tuple[str, ...], ...]
    where: tuple[str, ...]
    order_by: tuple[str, ...]

    def soql(self) -> str:
        """The driving query (first column group)."""
        return soql.select(self.groups[0], self.sobject, where=self.where, order_by=self.order_by)


def plan_query(
    schema: ObjectSchema,
    spec: ObjectSpec,
    *,
    since: datetime | None,
    before: datetime | None = None,
    fields: Sequence[str] | None = None,
    ids: Sequence[str] = (),
    where: Sequence[str] = (),
) -> QueryPlan:
    """Plan the query for a pull.

    Args:
        schema: the fields to read.
        spec: the object's recipe (extra filters).
        since: the lower bound on the cursor (inclusive), or None for everything.
        before: the upper bound on the cursor (exclusive), or None for no bound.
        fields: a subset of fields to read instead of the whole schema (e.g. Id only).
        ids: read only these records (a short list: it travels in the URL).
        where: more filters, AND-ed with the object's own.

    Returns:
        The plan: ordered by cursor then Id when the object has a cursor, so a bookmark taken
        after any page covers everything before it.
    """
    where = [*spec.where, *where]
    if ids:
        where.append(soql.id_in(ids))
    if since is not None and schema.cursor:
        where.append(soql.since(schema.cursor, since))
    if before is not None and schema.cursor:
        where.append(soql.before(schema.cursor, before))
    order_by = (schema.cursor, "Id") if schema.cursor else ("Id",)
    keep = ["Id", *([schema.cursor] if schema.cursor else [])]
    wanted = list(fields) if fields is not None else list(schema.field_names)
    groups = soql.split_fields(
        [*keep, *wanted],
        keep=keep,
        build=lambda group: soql.select(group, schema.sobject, where=where, order_by=order_by),
    )
    return QueryPlan(schema.sobject, tuple(tuple(g) for g in groups), tuple(where), order_by)


def iter_records(
    gateway: SalesforceGateway, query: str, *, sobject: str, batch_size: int, include_deleted: bool = False
) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """Yield each page of a query (``queryAll`` with ``include_deleted``) as parsed records, with the total size."""
    page = gateway.query(query, sobject=sobject, batch_size=batch_size, include_deleted=include_deleted)
    while True:
        yield page["records"], int(page["totalSize"])
        if page["done"]:
            return
        # Pages are not always the requested size; trust only `done` and the next URL.
        page = gateway.query_more(str(page.get("nextRecordsUrl", "")), sobject=sobject)


def iter_pages(
    gateway: SalesforceGateway, plan: QueryPlan, decoder: PageDecoder, *, batch_size: int
) -> Iterator[tuple[Page, int]]:
    """Yield complete pages as store rows (every planned column group joined in).

    Args:
        gateway: the connection.
        plan: what to read (its fields must be the decoder's schema).
        decoder: turns response bodies into rows.
        batch_size: the page size to ask for (Salesforce may send fewer).

    Yields:
        Per page of the driving query: its rows, and the query's total size.
    """
    if len(plan.groups) > 1:
        for records, total in iter_records(gateway, plan.soql(), sobject=plan.sobject, batch_size=batch_size):
            if records:
                _join_other_groups(gateway, plan, records, batch_size=batch_size)
            yield decoder.converter.page(records), total
        return
    what = f"query {plan.sobject}"
    body = gateway.query_raw(plan.soql(), sobject=plan.sobject, batch_size=batch_size)
    while True:
        decoded = decoder.decode(body, what=what)
        yield decoded.page, decoded.total_size
        if decoded.done:
            return
        # Pages are not always the requested size; trust only `done` and the next URL.
        body = gateway.query_more_raw(decoded.next_records_url or "", sobject=plan.sobject)


def _join_other_groups(
    gateway: SalesforceGateway, plan: QueryPlan, records: list[dict[str, Any]], *, batch_size: int
) -> None:
    by_id = {record["Id"]: record for record in records}
    for group in plan.groups[1:]:

        def build(ids: Sequence[str], group: tuple[str, ...] = group) -> str:
            return soql.select(group, plan.sobject, where=[soql.id_in(ids)])

        for chunk in soql.chunk_ids(list(by_id), build=build):
            for page, _total in iter_records(gateway, build(chunk), sobject=plan.sobject, batch_size=batch_size):
                for extra in page:
                    target = by_id.get(extra.get("Id"))
                    if target is not None:
                        target.update({k: v for k, v in extra.items() if k != "attributes"})
