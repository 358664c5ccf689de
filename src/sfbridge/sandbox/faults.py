"""Failures a simulated org can be told to inject: error answers, broken connections, lost answers, slow calls.

A client of Salesforce must survive more than error bodies. The ones apply and revert are
built around (see ``SalesforceGateway.convert_leads`` and ``merge_records``):

- :class:`Fault`: Salesforce answers with an error instead (a 503 ``SERVER_UNAVAILABLE``,
  a 401 ``INVALID_SESSION_ID`` when the session expired, ...); the request does nothing;
- :class:`Disconnect`: the connection breaks, before the request reaches Salesforce (nothing
  happens) or after Salesforce acted (``after_acting``: the work is done, its answer lost);
- :class:`SlowCall`: Salesforce is still working on the call (slow triggers) when the client
  gives up; the work lands a few queries later. A later write waits for it, because the
  running call holds its records' row locks until it commits.

Each matches requests by method and path and, for the SOAP API, whose calls all share one
path, by operation (``convertLead``, ``merge``, ``undelete``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

import requests

__all__ = ["Disconnect", "Fault", "Injected", "SlowCall", "soap_operation", "take_fault"]

_SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


@dataclass
class _Match:
    """Which requests a failure applies to, and how many to let through first."""

    method: str
    path_contains: str
    operation: str = field(default="", kw_only=True)  # a SOAP call's name; empty for any
    skip: int = field(default=0, kw_only=True)

    def matches(self, method: str, path: str, operation: str) -> bool:
        """Tell whether a request is one this failure is for."""
        return (
            self.method == method and self.path_contains in path and (not self.operation or self.operation == operation)
        )


@dataclass
class Fault(_Match):
    """An injected failure: answer the next matching requests with this status and body."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class Disconnect(_Match):
    """The connection breaks on the next matching requests; ``error`` is what the client sees.

    ``after_acting`` False: the request never reached Salesforce. True: Salesforce did the work
    and the answer was lost on the way back (a reset, a read timeout), the case that makes a
    non-idempotent call like convertLead dangerous to re-send.
    """

    after_acting: bool = False
    error: type[BaseException] = requests.ConnectionError
    times: int = 1


@dataclass
class SlowCall(_Match):
    """The next matching calls outlast the client: ``error`` now, the work after ``queries`` more queries.

    ``error`` is what the client sees while Salesforce still runs the call: a read timeout, a
    reset, or its own death (``KeyboardInterrupt``) while it waited.
    """

    queries: int = 2
    error: type[BaseException] = requests.ReadTimeout
    times: int = 1


Injected = Fault | Disconnect | SlowCall


def soap_operation(body: object) -> str:
    """The name of the SOAP call in a request body (``convertLead``), or "" for anything else."""
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes) or not body.lstrip().startswith(b"<"):
        return ""
    try:
        envelope = ET.fromstring(body)  # noqa: S314 (sfbridge's own request, in-process)
    except ET.ParseError:
        return ""
    soap_body = envelope.find(_SOAP_BODY)
    call = None if soap_body is None else next(iter(soap_body), None)
    return "" if call is None else call.tag.rpartition("}")[2]


def take_fault(faults: Sequence[Injected], method: str, path: str, operation: str) -> Injected | None:
    """The first failure still armed for this request, its count taken down; None when none applies."""
    for fault in faults:
        if fault.times <= 0 or not fault.matches(method, path, operation):
            continue
        if fault.skip > 0:
            fault.skip -= 1
            continue
        fault.times -= 1
        return fault
    return None
