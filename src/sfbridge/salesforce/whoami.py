"""What `sfbridge auth check` reports: who we are, in which org, on which API, with what budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfbridge import soql
from sfbridge.salesforce.gateway import Identity, SalesforceGateway

__all__ = ["AuthCheck", "Destination", "check_auth", "destination"]


@dataclass(frozen=True)
class Destination:
    """The org and user a write goes to, as an admin must see them before saying yes."""

    org_id: str
    org_name: str | None
    is_sandbox: bool | None
    user_id: str
    username: str | None
    instance_url: str

    @property
    def kind(self) -> str:
        """``SANDBOX``, ``PRODUCTION`` or ``org of unknown kind`` (Organization.IsSandbox not readable)."""
        if self.is_sandbox is None:
            return "org of unknown kind"
        return "SANDBOX" if self.is_sandbox else "PRODUCTION"

    def line(self) -> str:
        """One line naming the org, its kind, where it is and who writes.

        >>> Destination("00D", "Acme", False, "005", "ops@acme.example", "https://acme.my.salesforce.com").line()
        "PRODUCTION org 'Acme' (00D) at https://acme.my.salesforce.com, as ops@acme.example"
        """
        return (
            f"{self.kind} org {self.org_name or '(name unknown)'!r} ({self.org_id}) at {self.instance_url}, "
            f"as {self.username or self.user_id}"
        )


def destination(gateway: SalesforceGateway) -> Destination:
    """Read the session's org (Name, IsSandbox) and user (Username): two small queries."""
    identity, org, user = _org_and_user(gateway)
    sandbox = org.get("IsSandbox")
    return Destination(
        org_id=identity.org_id,
        org_name=org.get("Name"),
        is_sandbox=sandbox if isinstance(sandbox, bool) else None,
        user_id=identity.user_id,
        username=user.get("Username"),
        instance_url=gateway.instance_url,
    )


def _org_and_user(gateway: SalesforceGateway) -> tuple[Identity, dict[str, Any], dict[str, Any]]:
    identity = gateway.identity()
    org = _first(
        gateway.query(
            soql.select(["Id", "Name", "OrganizationType", "IsSandbox"], "Organization"),
            sobject="Organization",
        )
    )
    user = _first(
        gateway.query(
            soql.select(["Id", "Username"], "User", where=[f"Id = {soql.quote(identity.user_id)}"]),
            sobject="User",
        )
    )
    return identity, org, user


@dataclass(frozen=True)
class AuthCheck:
    """The facts an admin wants after logging in."""

    org_id: str
    org_name: str | None
    org_type: str | None
    is_sandbox: bool | None
    user_id: str
    username: str | None
    instance_url: str
    api_version: str
    latest_api_version: str | None
    api_used: int | None
    api_limit: int | None
    api_calls: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return dict(self.__dict__)


def check_auth(gateway: SalesforceGateway) -> AuthCheck:
    """Log in and read identity, org, user, API versions and the daily API allowance.

    Args:
        gateway: a gateway for the org to check.

    Returns:
        The facts.

    Raises:
        SalesforceError: explaining why logging in or reading failed.
    """
    identity, org, user = _org_and_user(gateway)
    versions = [entry.get("version") for entry in gateway.api_versions()]
    daily = gateway.limits().get("DailyApiRequests", {})
    maximum, remaining = daily.get("Max"), daily.get("Remaining")
    # Old orgs answered limits as strings ("5000"); int() takes both.
    api_limit = int(maximum) if maximum is not None else gateway.usage.limit
    api_used = int(maximum) - int(remaining) if maximum is not None and remaining is not None else gateway.usage.used
    return AuthCheck(
        org_id=identity.org_id,
        org_name=org.get("Name"),
        org_type=org.get("OrganizationType"),
        is_sandbox=org.get("IsSandbox"),
        user_id=identity.user_id,
        username=user.get("Username"),
        instance_url=gateway.instance_url,
        api_version=gateway.api_version,
        latest_api_version=max((v for v in versions if v), key=float, default=None),
        api_used=api_used,
        api_limit=api_limit,
        api_calls=gateway.usage.calls,
    )


def _first(page: dict[str, Any]) -> dict[str, Any]:
    records = page.get("records") or [{}]
    return records[0] if isinstance(records[0], dict) else {}
