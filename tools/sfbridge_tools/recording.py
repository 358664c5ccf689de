"""Recording HTTP exchanges into cassettes, with credentials scrubbed before anything is kept.

Used by the cassette recorders (``python -m sfbridge_tools.record``); replaying them is
:mod:`sfbridge.salesforce.replay`'s job.

Why not responses' recorder or a cassette library (reviewed against responses 0.26, vcrpy, betamax):
``responses._recorder`` is private API, patches ``HTTPAdapter.send`` (the recorders talk to the
in-process simulated org, a ``BaseAdapter``, so it would record nothing), keeps no request bodies
(the SOAP cassettes match and are checked on them) and drops ``Date`` unless told; vcrpy records at
the socket level, which the in-process org never reaches; betamax could wrap the adapter but has
had no release since 2024 and its format would rewrite every fixture. The replay side ships to
users, who do not install any of them. What is left here is ~60 lines: scrubbing and the file layout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter

from sfbridge.salesforce.replay import CASSETTE_VERSION, Interaction
from sfbridge.wire import format_datetime

__all__ = ["RecordingAdapter", "save_cassette", "scrub_request_body"]


def save_cassette(
    path: Path,
    interactions: Iterable[Interaction],
    *,
    description: str,
    recorded_at: datetime | None,
) -> None:
    """Write a cassette file (stable order, indented for review)."""
    head = {
        "version": CASSETTE_VERSION,
        "description": description,
        "recorded_at": format_datetime(recorded_at) if recorded_at else None,
    }
    # One interaction per line: compact enough for large recordings, still diffable.
    lines = [json.dumps(item.to_json(), ensure_ascii=False, separators=(",", ":")) for item in interactions]
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "interactions": [\n' + ",\n".join(lines) + "\n]}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


_SOAP_SECRET = re.compile(r"<((?:\w+:)?(?:sessionId|password))>[^<]*</\1>")


def scrub_request_body(url: str, body: str | None) -> str | None:
    """Keep what identifies a request body but never a credential.

    Token requests keep only their ``grant_type``; SOAP envelopes lose session ids and
    passwords.

    >>> scrub_request_body("https://x/services/oauth2/token", "grant_type=password&password=p")
    'grant_type=password'
    >>> scrub_request_body("https://x/services/Soap/u/66.0", "<sessionId>00D!x</sessionId>")
    '<sessionId>REDACTED</sessionId>'
    """
    if body is None:
        return None
    if urlsplit(url).path.endswith("/oauth2/token"):
        grant = parse_qs(body).get("grant_type", [""])[0]
        return f"grant_type={grant}"
    return _SOAP_SECRET.sub(r"<\1>REDACTED</\1>", body)


@dataclass
class RecordingAdapter(BaseAdapter):
    """Wrap a transport and keep every exchange, for writing a cassette."""

    inner: BaseAdapter
    recorded: list[Interaction] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Initialise the adapter base."""
        super().__init__()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # noqa: ANN401
        """Pass the request on and remember the exchange."""
        response = self.inner.send(request, *args, **kwargs)
        body = _body_text(request.body)
        self.recorded.append(
            Interaction(
                method=request.method or "GET",
                url=request.url or "",
                status=response.status_code,
                headers={k: v for k, v in response.headers.items() if k != "Content-Length"},
                body=response.content,
                request_body=scrub_request_body(request.url or "", body),
            )
        )
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def _body_text(body: object) -> str | None:
    if body is None or isinstance(body, str):
        return body
    if isinstance(body, bytes):
        return body.decode()
    # A streamed body (a file, a generator) could not be read again to keep it; Salesforce
    # calls never send one.
    msg = f"cannot record a streamed request body ({body.__class__.__name__})"
    raise TypeError(msg)
