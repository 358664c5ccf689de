"""Recorded HTTP exchanges ("cassettes") and a requests transport that replays them.

`sfbridge demo` mounts :class:`ReplayAdapter` on the gateway's session: the real auth, gateway
and pull code run unchanged, only the bytes come from a file instead of Salesforce. A cassette
is JSON: ``{"version": 1, "interactions": [{"request": {...}, "response": {...}}]}``; a JSON
response body is kept as ``"json"`` (re-sent compact, as Salesforce writes it), anything else
as ``"text"``. Requests match on method, URL path and query parameters, in recorded order.
Writing cassettes is the developer tool ``sfbridge_tools.recording``'s job (not shipped).
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from sfbridge.errors import ReplayError
from sfbridge.wire import parse_datetime

__all__ = [
    "CASSETTE_VERSION",
    "DEMO_CASSETTE",
    "Cassette",
    "Interaction",
    "ReplayAdapter",
    "demo_org_dir",
    "load_cassette",
    "resolve_recording",
]

CASSETTE_VERSION = 1
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Interaction:
    """One request and the response Salesforce gave to it."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    request_body: str | None = None

    def key(self) -> tuple[str, str, str]:
        """The match key: method, host + path, and the sorted query parameters."""
        return _key(self.method, self.url)

    def to_json(self) -> dict[str, Any]:
        """Serialise for a cassette file, keeping JSON bodies readable."""
        response: dict[str, Any] = {"status": self.status, "headers": dict(self.headers)}
        content_type = self.headers.get("Content-Type", "")
        try:
            if "json" not in content_type or not self.body:
                raise ValueError  # noqa: TRY301 (not JSON: kept as text below)
            response["json"] = json.loads(self.body)
        except ValueError:  # not JSON, or JSON cut short (a scenario may record exactly that)
            response["text"] = self.body.decode("utf-8")
        request: dict[str, Any] = {"method": self.method, "url": self.url}
        if self.request_body is not None:
            request["body"] = self.request_body
        return {"request": request, "response": response}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Interaction:
        """Read one interaction from a cassette file."""
        response = data["response"]
        if "json" in response:
            # Salesforce writes compact JSON; keep non-ASCII as UTF-8 like it does.
            body = json.dumps(response["json"], separators=(",", ":"), ensure_ascii=False).encode()
        else:
            body = response.get("text", "").encode("utf-8")
        return cls(
            method=data["request"]["method"].upper(),
            url=data["request"]["url"],
            status=int(response["status"]),
            headers=dict(response.get("headers", {})),
            body=body,
            request_body=data["request"].get("body"),
        )


def _key(method: str, url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    canonical = "&".join(f"{name}={value}" for name in sorted(query) for value in query[name])
    return method.upper(), f"{parts.hostname}{parts.path}", canonical


@dataclass(frozen=True)
class Cassette:
    """A recording: its interactions, and the moment it was made.

    Requests carry the client's clock (count cut-offs, Get Deleted windows), so a replay runs
    with the clock set to ``recorded_at`` to ask exactly what was recorded.
    """

    interactions: list[Interaction]
    recorded_at: datetime | None
    description: str = ""


def load_cassette(path: Path) -> Cassette:
    """Read a cassette file.

    Args:
        path: the JSON file.

    Returns:
        The cassette, interactions in recorded order.

    Raises:
        ReplayError: when the file is missing or not a cassette.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CASSETTE_VERSION:
            msg = f"unsupported cassette version {data.get('version')!r}"
            raise ValueError(msg)  # noqa: TRY301 (one place turns every defect into one message)
        recorded = data.get("recorded_at")
        return Cassette(
            interactions=[Interaction.from_json(item) for item in data["interactions"]],
            recorded_at=parse_datetime(recorded) if recorded else None,
            description=str(data.get("description", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        msg = f"cannot read the recording {path}: {exc}"
        raise ReplayError(msg) from exc


def _response(request: requests.PreparedRequest, interaction: Interaction) -> requests.Response:
    response = requests.Response()
    response.status_code = interaction.status
    response.reason = _REASONS.get(interaction.status, "")
    response.headers = CaseInsensitiveDict(interaction.headers)
    response.headers["Content-Length"] = str(len(interaction.body))
    response._content = interaction.body  # noqa: SLF001 (how a transport hands requests a body)
    response.encoding = "utf-8"
    response.url = request.url or interaction.url
    response.request = request
    return response


@dataclass
class ReplayAdapter(BaseAdapter):
    """A requests transport that answers from a cassette and never touches the network."""

    interactions: list[Interaction]
    _queues: dict[tuple[str, str, str], deque[Interaction]] = field(init=False)

    def __post_init__(self) -> None:
        """Index the interactions by match key, keeping their order."""
        super().__init__()
        self._queues = defaultdict(deque)
        for item in self.interactions:
            self._queues[item.key()].append(item)

    def send(self, request: requests.PreparedRequest, *_args: Any, **_kwargs: Any) -> requests.Response:  # noqa: ANN401 (requests' signature)
        """Answer a request with the next recorded response for it (transport options do not apply)."""
        key = _key(request.method or "GET", request.url or "")
        queue = self._queues.get(key)
        if not queue:
            path = urlsplit(request.url or "").path
            msg = (
                f"the recording has no (more) answers for {request.method} {path}; the code now "
                "asks Salesforce something the recording does not hold: re-record it "
                "(python -m sfbridge_tools.record, from a source checkout)"
            )
            raise ReplayError(msg)
        return _response(request, queue.popleft())

    def unused(self) -> list[Interaction]:
        """Return the recorded interactions nobody asked for (tests assert there are none)."""
        return [item for queue in self._queues.values() for item in queue]

    def close(self) -> None:
        """Nothing to release."""


#: The bundled demo org's recording, relative to the demo-org folder.
DEMO_CASSETTE = Path("http") / "demo_pull.json"


def demo_org_dir() -> Path:
    """Locate the bundled demo org: inside an installed wheel, or in the source tree.

    Returns:
        The folder holding the demo org's recording, describes and answer key.

    Raises:
        ReplayError: when neither location exists (a broken install).
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_demo_org", package.parent.parent / "fixtures" / "demo-org"):
        if (candidate / DEMO_CASSETTE).is_file():
            return candidate
    msg = "the bundled demo org is missing from this installation; reinstall sfbridge"
    raise ReplayError(msg)


def resolve_recording(spec: str, *, relative_to: Path) -> Path:
    """Turn a profile's ``replay`` value into a cassette path.

    Args:
        spec: ``"demo"`` for the bundled demo org, else a cassette file path.
        relative_to: the folder a relative path is read from (the config file's folder).

    Returns:
        The cassette file.
    """
    if spec == "demo":
        return demo_org_dir() / DEMO_CASSETTE
    path = Path(spec).expanduser()
    return path if path.is_absolute() else relative_to / path
