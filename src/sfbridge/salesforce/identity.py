"""Who the session is and which API versions the org serves: the gateway's first calls.

``GET /services/data/vXX.X/`` names the session's identity URL (``.../id/<org>/<user>``), and
is the first versioned call a command makes, so an ``api_version`` the org does not serve is
caught here and explained from the unversioned ``GET /services/data/``. What `sfbridge auth
check` reports from these is :mod:`sfbridge.salesforce.whoami`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from sfbridge.errors import ConfigError, FatalSalesforceError, ProtocolError, SalesforceError
from sfbridge.ids import InvalidIdError, validate_id
from sfbridge.salesforce.client import Client
from sfbridge.salesforce.connection import OrgConnection
from sfbridge.salesforce.translate import rest_error, unserved_version_error

__all__ = ["Identity", "SessionIdentity"]

# How REST answers a version it does not serve: 404 NOT_FOUND for one it never had (or not
# yet), 410 GONE for a retired one.
_VERSION_MISSING = frozenset({404, 410})


@dataclass(frozen=True)
class Identity:
    """Who we are logged in as, from the identity URL Salesforce lists for the session."""

    org_id: str
    user_id: str


class SessionIdentity(OrgConnection):
    """The gateway's calls that say who the session is and which API versions the org serves."""

    # Asked once per gateway: the identity of a session does not change.
    _identity: Identity | None = None

    def identity(self) -> Identity:
        """Return the org and user Ids of this session (``GET /services/data/vXX.X/``, asked once).

        The first versioned call a command makes (the CLI logs in with it before touching the
        store), so an ``api_version`` the org does not serve shows here, as a 404.

        Raises:
            ConfigError: when the org does not serve the configured ``api_version``.
        """
        if self._identity is None:
            self._identity = self._read_identity()
        return self._identity

    def _read_identity(self) -> Identity:
        try:
            resources = self._call("list resources", lambda sf: sf.restful(""))
        except FatalSalesforceError as exc:
            if exc.status not in _VERSION_MISSING:
                raise
            unserved = self._unserved_version()
            if unserved is None:
                raise
            raise unserved from exc
        url = resources.get("identity", "") if isinstance(resources, Mapping) else ""
        parts = urlsplit(str(url)).path.rstrip("/").split("/")
        try:
            return Identity(
                org_id=validate_id(parts[-2], sobject="Organization"),
                user_id=validate_id(parts[-1], sobject="User"),
            )
        except (IndexError, InvalidIdError) as exc:
            msg = "Salesforce listed no usable identity URL for this session"
            raise ProtocolError(msg) from exc

    def api_versions(self) -> list[dict[str, str]]:
        """List the API versions the org serves (``GET /services/data/``)."""

        def fetch(sf: Client) -> Any:  # noqa: ANN401 (parsed JSON)
            response = sf.session.get(f"https://{sf.sf_instance}/services/data/", headers=sf.headers)
            if response.status_code >= 300:  # noqa: PLR2004
                raise rest_error(response.status_code, _body(response), response.headers)
            return response.json()

        versions = self._call("list API versions", fetch)
        return versions if isinstance(versions, list) else []

    def _unserved_version(self) -> ConfigError | None:
        # The version list is unversioned, so it answers whatever api_version says.
        try:
            versions = self.api_versions()
        except SalesforceError:
            return None
        return unserved_version_error(self.profile.name, self.api_version, versions)


def _body(response: requests.Response) -> Any:  # noqa: ANN401 (parsed JSON or text)
    try:
        return response.json()
    except ValueError:
        return response.text
