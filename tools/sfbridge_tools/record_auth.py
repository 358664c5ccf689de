"""The recorded login scenarios (fixtures/http/auth/): each flow's success and its refusal.

Token exchanges answer with Salesforce's OAuth JSON (``invalid_grant`` and its descriptions),
the password flow with SOAP login envelopes and faults. Request bodies are scrubbed when
recorded: only ``grant_type`` survives, never an assertion, secret or password.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from sfbridge.config import AuthMethod, OrgProfile
from sfbridge.credentials import Secrets
from sfbridge.errors import SfbridgeError
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.session import ApiUsage, TimeoutSession
from sfbridge.salesforce.whoami import check_auth
from sfbridge.sandbox.describes import ORGANIZATION_FIELDS, synthesized_describe
from sfbridge.sandbox.org import Fault, SimulatedOrg
from sfbridge_tools.record import save, simulated_org
from sfbridge_tools.record_scenarios import INSTANCE, SCENARIO_SHAPE, SCENARIO_START
from sfbridge_tools.recording import RecordingAdapter
from sfbridge_tools.synthetic.generator import generate_org

__all__ = ["record_auth"]

_INVALID_LOGIN = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope \
xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>\
<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, \
security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">\
<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, \
security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>\
</soapenv:Body></soapenv:Envelope>"""
_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def throwaway_key() -> str:
    """A fresh RSA key to sign recording JWTs (never stored: bodies are scrubbed)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class _AuthScenarios:
    def __init__(self, out: Path, describes: dict[str, dict[str, Any]]) -> None:
        self.out = out
        org = generate_org(SCENARIO_SHAPE, snapshot=SCENARIO_START)
        self.org_id, self.user_id = org.org_id, org.integration_user_id
        organization = {
            "Id": org.org_id,
            "Name": "sfbridge Scenario Org",
            "OrganizationType": "Enterprise Edition",
            "IsSandbox": False,
            "InstanceName": "USA123",
        }
        self.records = {"Organization": [organization], "User": list(org.records("User"))}
        self.describes = {
            "User": describes["User"],
            "Organization": synthesized_describe(describes["Lead"], "Organization", ORGANIZATION_FIELDS),
        }

    def sim(self, *faults: Fault) -> SimulatedOrg:
        sim = simulated_org(
            org_id=self.org_id,
            user_id=self.user_id,
            instance_url=INSTANCE,
            records=self.records,
            describes=self.describes,
            clock=lambda: SCENARIO_START,
        )
        sim.faults = list(faults)
        return sim

    def record(
        self,
        name: str,
        profile: OrgProfile,
        secrets: Secrets,
        *,
        faults: tuple[Fault, ...] = (),
        action: Callable[[SalesforceGateway], object] = lambda g: g.identity(),
        fail: bool = False,
    ) -> None:
        adapter = RecordingAdapter(self.sim(*faults))
        session = TimeoutSession(connect_timeout=5, read_timeout=5, usage=ApiUsage())
        session.mount("https://", adapter)
        gateway = SalesforceGateway(profile, secrets, session=session, sleep=lambda _s: None)
        try:
            action(gateway)
        except SfbridgeError:
            if not fail:
                raise
        else:
            if fail:
                msg = f"{name} was meant to fail"
                raise AssertionError(msg)
        save(
            self.out / f"{name}.json", adapter.recorded, description=name.replace("_", " "), recorded_at=SCENARIO_START
        )


def _profile(auth: AuthMethod, **values: Any) -> OrgProfile:  # noqa: ANN401
    return OrgProfile.model_validate(
        {"name": "scenario", "auth": auth, "network": {"backoff_initial": 0.0, "backoff_max": 0.0}, **values}
    )


def _token_fault(error: str, description: str, status: int = 400) -> Fault:
    return Fault(
        method="POST",
        path_contains="/oauth2/token",
        status=status,
        body={"error": error, "error_description": description},
    )


def record_auth(out: Path, *, describes: dict[str, dict[str, Any]]) -> None:
    """Write every login scenario cassette under ``out``."""
    s = _AuthScenarios(out, describes)
    jwt = _profile(
        AuthMethod.JWT,
        login_url="https://login.salesforce.com",
        username="integration@acme.example",
        consumer_key="3MVG9scenario",
    )
    jwt_secrets = Secrets(jwt_key=SecretStr(throwaway_key()))
    s.record("auth/jwt_ok", jwt, jwt_secrets)
    s.record(
        "auth/jwt_invalid_grant",
        jwt,
        jwt_secrets,
        faults=(_token_fault("invalid_grant", "invalid assertion"),),
        fail=True,
    )
    cc = _profile(AuthMethod.CLIENT_CREDENTIALS, login_url=INSTANCE, consumer_key="3MVG9scenario")
    cc_secrets = Secrets(client_secret=SecretStr("scenario-secret"))
    s.record("auth/client_credentials_ok", cc, cc_secrets)
    s.record(
        "auth/client_credentials_invalid_grant",
        cc,
        cc_secrets,
        faults=(_token_fault("invalid_grant", "no client credentials user enabled"),),
        fail=True,
    )
    s.record("auth/check", cc, cc_secrets, action=check_auth)
    password = _profile(AuthMethod.PASSWORD, login_url="https://login.salesforce.com", username="admin@legacy.example")
    pw_secrets = Secrets(password=SecretStr("scenario-password"), security_token=SecretStr("scenario-token"))
    s.record("auth/password_ok", password, pw_secrets)
    s.record(
        "auth/password_invalid_login",
        password,
        pw_secrets,
        faults=(Fault("POST", "/services/Soap/u/", 500, _INVALID_LOGIN, {"Content-Type": "text/xml;charset=UTF-8"}),),
        fail=True,
    )
    token = _profile(AuthMethod.ACCESS_TOKEN, instance_url=INSTANCE)
    token_secrets = Secrets(access_token=SecretStr("00D000000000001!scenario"))
    s.record("auth/access_token_ok", token, token_secrets)
    s.record(
        "auth/access_token_expired",
        token,
        token_secrets,
        faults=(Fault("GET", "/services/data/v66.0/", 401, _EXPIRED),),
        fail=True,
    )
