"""Replay recorded cassettes through `responses`: the one place tests touch HTTP fixtures.

Cassettes live under fixtures/http/ (named by scenario) and fixtures/demo-org/http/; they are
written by `python -m sfbridge_tools.record` and hold no real tokens or org data. Every
replay is strict: requests must come in the recorded order, match method, URL and query
parameters, and every recorded exchange must be used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import responses
from responses import matchers, registries

from sfbridge.salesforce.replay import Cassette, load_cassette

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HTTP = FIXTURES / "http"


def cassette(name: str) -> Cassette:
    """Load a scenario cassette, e.g. ``cassette("pull/three_pages")``."""
    return load_cassette(HTTP / f"{name}.json")


def register(mock: responses.RequestsMock, recorded: Cassette) -> None:
    """Register every interaction of a cassette, in order, with exact query matching."""
    for item in recorded.interactions:
        parts = urlsplit(item.url)
        url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        mock.add(
            item.method,
            url,
            body=item.body,
            status=item.status,
            headers={k: v for k, v in item.headers.items() if k.lower() != "content-type"},
            content_type=item.headers.get("Content-Type", "text/plain"),
            match=[matchers.query_param_matcher(dict(parse_qsl(parts.query, keep_blank_values=True)))],
        )


@contextmanager
def replay(*names: str) -> Iterator[list[responses.Call]]:
    """Replay scenario cassettes, strictly and in order, inside the block.

    Yields the list of calls made (still readable after the block ends).
    """
    calls: list[responses.Call] = []
    with responses.RequestsMock(assert_all_requests_are_fired=True, registry=registries.OrderedRegistry) as mock:
        for name in names:
            register(mock, cassette(name))
        try:
            yield calls
        finally:
            calls.extend(mock.calls)
