"""Each login flow's token exchange, success and refusal, replayed from fixtures/http/auth/."""

import base64
import json
import os
import stat
from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from structlog.testing import capture_logs

from conftest import INSTANCE, make_profile
from recorded import replay
from sfbridge.config import AuthMethod
from sfbridge.credentials import Secrets
from sfbridge.errors import AuthenticationError, ConfigError, RetriableSalesforceError

TOKEN = "00D9P0000L6772h!AQ4AQSimulatedAccessTokenNotASecret"


@pytest.fixture(scope="module")
def private_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def jwt_profile():
    return make_profile(
        auth=AuthMethod.JWT,
        login_url="https://login.salesforce.com",
        username="integration@acme.example",
        consumer_key="3MVG9scenario",
    )


def test_jwt_bearer_signs_the_claims_salesforce_expects(gateway_factory, private_key):
    """The assertion is RS256 with iss = consumer key, sub = username, aud = the login host."""
    gateway = gateway_factory(jwt_profile(), Secrets(jwt_key=SecretStr(private_key)))
    with replay("auth/jwt_ok") as calls:
        identity = gateway.identity()
    form = parse_qs(calls[0].request.body)
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(form["assertion"][0], options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["aud"]) == (
        "3MVG9scenario",
        "integration@acme.example",
        "https://login.salesforce.com",
    )
    assert jwt.get_unverified_header(form["assertion"][0])["alg"] == "RS256"
    assert identity.org_id.startswith("00D")
    assert calls[1].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_jwt_invalid_grant_is_explained(gateway_factory, private_key):
    """`invalid assertion` is turned into the likely causes: key/certificate mismatch or clock."""
    gateway = gateway_factory(jwt_profile(), Secrets(jwt_key=SecretStr(private_key)))
    with replay("auth/jwt_invalid_grant"), pytest.raises(AuthenticationError) as caught:
        gateway.identity()
    message = str(caught.value)
    assert "invalid_grant: invalid assertion" in message
    assert "certificate" in message
    assert "clock" in message
    assert caught.value.error_code == "invalid_grant"


def test_jwt_with_an_unusable_key_fails_before_any_request(gateway_factory):
    """A PEM block that is not a key is a config error naming the variable; nothing is sent."""
    broken = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    gateway = gateway_factory(jwt_profile(), Secrets(jwt_key=SecretStr(broken)))
    with responses.RequestsMock() as mock:
        with pytest.raises(ConfigError, match="SFBRIDGE_SCENARIO_JWT_KEY_FILE"):
            gateway.identity()
        assert not mock.calls


def test_client_credentials_sends_basic_auth_to_my_domain(gateway_factory):
    """The consumer key and secret travel as HTTP Basic to the My Domain token endpoint."""
    with replay("auth/client_credentials_ok") as calls:
        gateway_factory().identity()
    request = calls[0].request
    assert request.url == f"{INSTANCE}/services/oauth2/token"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"3MVG9scenario:scenario-secret").decode()
    assert parse_qs(request.body) == {"grant_type": ["client_credentials"]}


def test_client_credentials_without_a_run_as_user_is_explained(gateway_factory):
    """The app needs a Run As user; the error says where to set it."""
    with replay("auth/client_credentials_invalid_grant"), pytest.raises(AuthenticationError, match="Run As"):
        gateway_factory().identity()


def password_profile():
    return make_profile(
        auth=AuthMethod.PASSWORD,
        login_url="https://login.salesforce.com",
        username="admin@legacy.example",
        api_version="66.0",
    )


def test_password_flow_logs_in_with_the_last_soap_login_version_and_warns(gateway_factory):
    """SOAP login() is gone from 65.0: the login uses 64.0, REST keeps 66.0, and a warning is logged."""
    secrets = Secrets(password=SecretStr("pw"), security_token=SecretStr("tok"))
    with replay("auth/password_ok") as calls, capture_logs() as logs:
        gateway_factory(password_profile(), secrets).identity()
    assert calls[0].request.url == "https://login.salesforce.com/services/Soap/u/64.0"
    assert "<n1:password>pwtok</n1:password>" in calls[0].request.body
    assert "/services/data/v66.0/" in calls[1].request.url
    assert any(entry["event"] == "password_auth_deprecated" for entry in logs)


def test_password_flow_invalid_login_is_explained(gateway_factory):
    """The SOAP INVALID_LOGIN fault becomes a plain explanation with Salesforce's code."""
    secrets = Secrets(password=SecretStr("wrong"), security_token=SecretStr("tok"))
    with replay("auth/password_invalid_login"), pytest.raises(AuthenticationError) as caught:
        gateway_factory(password_profile(), secrets).identity()
    assert caught.value.error_code == "INVALID_LOGIN"
    assert "locked out" in str(caught.value)


def token_profile():
    return make_profile(auth=AuthMethod.ACCESS_TOKEN, instance_url=INSTANCE)


def test_access_token_is_sent_as_bearer(gateway_factory):
    """A raw token needs no exchange: the first request already carries it."""
    secrets = Secrets(access_token=SecretStr("00D000000000001!scenario"))
    with replay("auth/access_token_ok") as calls:
        gateway_factory(token_profile(), secrets).identity()
    assert len(calls) == 1
    assert calls[0].request.headers["Authorization"] == "Bearer 00D000000000001!scenario"


def test_expired_access_token_is_not_renewed_and_says_which_variable_to_refresh(gateway_factory):
    """A raw token cannot be renewed: one 401, no login attempt, and the fix named."""
    secrets = Secrets(access_token=SecretStr("00D000000000001!scenario"))
    with replay("auth/access_token_expired") as calls, pytest.raises(AuthenticationError) as caught:
        gateway_factory(token_profile(), secrets).identity()
    assert len(calls) == 1
    assert "SFBRIDGE_SCENARIO_ACCESS_TOKEN" in str(caught.value)
    assert "00D000000000001!scenario" not in str(caught.value)


@pytest.fixture
def fake_sf(tmp_path, monkeypatch):
    """Put a fake `sf` executable first on PATH; it prints what the test asks for."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "sf"

    def install(payload: dict, *, exit_code: int = 0) -> None:
        script.write_text(
            "#!/bin/sh\n"
            'echo "$@" > "$(dirname "$0")/args"\n'
            f"cat <<'JSON'\n{json.dumps(payload)}\nJSON\nexit {exit_code}\n",
            encoding="utf-8",
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)

    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    install.args = folder / "args"
    return install


def sf_profile():
    return make_profile(auth=AuthMethod.SF_CLI, sf_alias="client-x")


def test_sf_cli_alias_lends_its_token(gateway_factory, fake_sf):
    """`sf org display --target-org ALIAS --json` supplies the token and instance."""
    fake_sf(
        {
            "status": 0,
            "result": {
                "id": "00D000000000001AAA",
                "accessToken": "00D000000000001!scenario",
                "instanceUrl": INSTANCE,
                "username": "admin@client.example",
                "connectedStatus": "Connected",
                "alias": "client-x",
            },
        }
    )
    with replay("auth/access_token_ok") as calls:
        gateway_factory(sf_profile(), Secrets()).identity()
    assert fake_sf.args.read_text().split() == ["org", "display", "--target-org", "client-x", "--json"]
    assert calls[0].request.headers["Authorization"] == "Bearer 00D000000000001!scenario"


def test_sf_cli_without_a_login_says_how_to_log_in(gateway_factory, fake_sf):
    """An unknown alias is reported with the sf command that fixes it."""
    fake_sf(
        {
            "status": 1,
            "name": "NamedOrgNotFoundError",
            "message": "No authorization information found for client-x.",
            "exitCode": 1,
        },
        exit_code=1,
    )
    with pytest.raises(AuthenticationError, match="sf org login web --alias client-x"):
        gateway_factory(sf_profile(), Secrets()).identity()


def test_sf_cli_missing_is_a_config_error(gateway_factory, monkeypatch, tmp_path):
    """Without the sf program, the message says how to install it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="@salesforce/cli"):
        gateway_factory(sf_profile(), Secrets()).identity()


UNAVAILABLE = [{"message": "Server unavailable, please try again later", "errorCode": "SERVER_UNAVAILABLE"}]


def test_a_non_idempotent_call_is_never_resent_once_it_reached_salesforce(gateway_factory):
    """A POST answered 503 may have been applied: it is reported, not sent again."""
    gateway = gateway_factory()
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST, f"{INSTANCE}/services/oauth2/token", json={"access_token": TOKEN, "instance_url": INSTANCE}
        )
        mock.add(responses.POST, f"{INSTANCE}/services/data/v66.0/sobjects/Task/", json=UNAVAILABLE, status=503)
        with pytest.raises(RetriableSalesforceError):
            gateway._call(
                "create Task", lambda sf: sf.restful("sobjects/Task/", method="POST", json={}), idempotent=False
            )
        assert sum(call.request.method == "POST" and "Task" in call.request.url for call in mock.calls) == 1


def test_a_non_idempotent_call_is_retried_when_the_connection_never_opened(gateway_factory):
    """A connect timeout means nothing was sent, so even a POST is tried again."""
    gateway = gateway_factory()
    url = f"{INSTANCE}/services/data/v66.0/sobjects/Task/"
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST, f"{INSTANCE}/services/oauth2/token", json={"access_token": TOKEN, "instance_url": INSTANCE}
        )
        mock.add(responses.POST, url, body=requests.exceptions.ConnectTimeout("connect timed out"))
        mock.add(responses.POST, url, json={"id": "00T5g000001AbCdEAK", "success": True, "errors": []}, status=201)
        created = gateway._call(
            "create Task", lambda sf: sf.restful("sobjects/Task/", method="POST", json={}), idempotent=False
        )
        assert created["success"] is True
        assert sum(call.request.url == url for call in mock.calls) == 2
