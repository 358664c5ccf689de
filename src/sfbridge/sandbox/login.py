"""The simulated org's login answers: the OAuth token endpoint and the partner SOAP ``login()``.

Shapes follow the recorded exchanges in fixtures/http/auth (client credentials, JWT,
username-password) and the partner WSDL's ``LoginResult``.
https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["soap_login_answer", "token_answer"]

# The partner login() answer, trimmed of userInfo fields nothing reads.
_LOGIN_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope \
xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>\
<metadataServerUrl>https://{host}/services/Soap/m/{version}/{org15}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>false</sandbox>\
<serverUrl>https://{host}/services/Soap/u/{version}/{org15}</serverUrl><sessionId>{session}</sessionId>\
<userId>{user}</userId><userInfo><organizationId>{org}</organizationId>\
<organizationName>sfbridge Scenario Org</organizationName><sessionSecondsValid>7200</sessionSecondsValid>\
<userId>{user}</userId><userName>integration@sfbridge-scenario.example</userName>\
<userType>Standard</userType></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""


def token_answer(org_id: str, user_id: str, instance_url: str, *, issued_at: datetime) -> dict[str, Any]:
    """The token endpoint's JSON for a granted session (any client secret is taken: nothing is real)."""
    return {
        "access_token": f"{org_id[:15]}!AQ4AQSimulatedAccessTokenNotASecret",
        "signature": "c2ltdWxhdGVkLXNpZ25hdHVyZQ==",
        "scope": "api",
        "instance_url": instance_url,
        "id": f"https://login.salesforce.com/id/{org_id}/{user_id}",
        "token_type": "Bearer",
        "issued_at": str(int(issued_at.timestamp() * 1000)),  # milliseconds since the epoch, as text
    }


def soap_login_answer(path: str, org_id: str, user_id: str, instance_url: str) -> str:
    """The partner ``login()`` answer for a request to ``/services/Soap/u/<version>``."""
    version = path.rstrip("/").rsplit("/", 1)[-1]
    return _LOGIN_RESPONSE.format(
        host=instance_url.removeprefix("https://"),
        version=version,
        org15=org_id[:15],
        org=org_id,
        session=f"{org_id[:15]}!AQ4AQSimulatedSessionIdNotASecret",
        user=user_id,
    )
