"""Query paging for the simulated org: open cursors, page sizes and ``nextRecordsUrl`` locators.

Salesforce answers a query with its first batch and, while rows remain, a ``nextRecordsUrl``
(``/services/data/vXX.X/query/<locator>-<offset>``) to fetch the next; ``Sforce-Query-Options:
batchSize=N`` asks for batches of N (200 to 2,000, default 2,000), which Salesforce treats as
a hint. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Cursor", "batch_size"]


@dataclass
class Cursor:
    """An open query: its matching rows, selected fields and page size."""

    sobject: str
    rows: list[dict[str, Any]]
    fields: tuple[str, ...]
    batch_size: int
    sizes: tuple[int, ...] = ()  # forced sizes of the first pages (a scenario's odd pages)

    def size_at(self, offset: int) -> int:
        """The size of the page starting at ``offset`` (forced sizes first, then the batch size)."""
        start = 0
        for size in self.sizes:
            if start == offset:
                return size
            start += size
        return self.batch_size

    def page(self, offset: int, *, locator: str, api_version: str) -> dict[str, Any]:
        """The query answer holding the rows from ``offset``, with the next page's URL while rows remain."""
        size = self.size_at(offset)
        done = offset + size >= len(self.rows)
        body: dict[str, Any] = {"totalSize": len(self.rows), "done": done}
        if not done:
            body["nextRecordsUrl"] = f"/services/data/v{api_version}/query/{locator}-{offset + size}"
        body["records"] = [self._shape(row, api_version) for row in self.rows[offset : offset + size]]
        return body

    def _shape(self, row: Mapping[str, Any], api_version: str) -> dict[str, Any]:
        url = f"/services/data/v{api_version}/sobjects/{self.sobject}/{row['Id']}"
        return {"attributes": {"type": self.sobject, "url": url}, **{name: row.get(name) for name in self.fields}}


def batch_size(header: str | bytes) -> int:
    """Read ``Sforce-Query-Options: batchSize=N`` (200..2000, default 2000) as Salesforce does."""
    # requests lets a header value be bytes; HTTP header bytes are Latin-1.
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        if name == "batchSize" and value.isdigit():
            return min(max(int(value), 200), 2000)
    return 2000
