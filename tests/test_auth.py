"""Each login flow's token exchange, success and refusal, replayed from fixtures/http/auth/."""

import base64
import subprocess
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
from sfbridge.salesforce import sf_cli
from sfbridge.salesforce.auth import sf_cli_token
from sfcli import RECORDED_TOKEN, FakeSf, install_sf, path_with, recorded

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
def sf_program(tmp_path, monkeypatch):
    """Put a fake `sf` first on PATH answering from fixtures/sf-cli/; returns how to install its answers."""

    def install(*, show: str, display: str):
        calls = install_sf(tmp_path / "bin", show=show, display=display)
        monkeypatch.setenv("PATH", path_with(tmp_path / "bin"))
        return calls

    return install


def sf_profile():
    return make_profile(auth=AuthMethod.SF_CLI, sf_alias="client-x")


def test_sf_cli_alias_lends_its_token(gateway_factory, sf_program):
    """The token comes from `sf org auth show-access-token`, the instance from `sf org display`."""
    calls = sf_program(show="show-access-token.json", display="display-redacted.json")
    with replay("auth/access_token_ok") as sent:
        gateway_factory(sf_profile(), Secrets()).identity()
    assert calls.read_text().splitlines() == [
        "org auth show-access-token --target-org client-x --json",
        "org display --target-org client-x --json",
    ]
    assert sent[0].request.headers["Authorization"] == f"Bearer {RECORDED_TOKEN}"


def test_sf_cli_without_a_login_shows_sfs_error_and_how_to_log_in(gateway_factory, sf_program):
    """An unknown alias is reported in sf's own words, with the sf command that fixes it."""
    sf_program(show="show-access-token-no-such-alias.json", display="display-no-such-alias.json")
    with pytest.raises(AuthenticationError) as caught:
        gateway_factory(sf_profile(), Secrets()).identity()
    message = str(caught.value)
    assert (
        "NamedOrgNotFoundError: Parsing --target-org No authorization information found for no-such-alias." in message
    )
    assert "sf org login web --alias client-x" in message
    assert caught.value.error_code == "NamedOrgNotFoundError"


def test_sf_cli_missing_is_a_config_error(gateway_factory, monkeypatch, tmp_path):
    """Without the sf program, the message says how to install it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="@salesforce/cli"):
        gateway_factory(sf_profile(), Secrets()).identity()


SHOW_CALL = ["org", "auth", "show-access-token", "--target-org", "client-x", "--json"]
DISPLAY_CALL = ["org", "display", "--target-org", "client-x", "--json"]


@pytest.fixture
def sf_on_path(sf_program):
    """Any `sf` on PATH: the tests below answer through `run=` instead."""
    sf_program(show="show-access-token.json", display="display-redacted.json")


@pytest.mark.usefixtures("sf_on_path")
def test_sf_cli_asks_show_access_token_first_and_never_takes_the_redacted_display_value():
    """Current sf (2.150.6): the real token from show-access-token, though org display prints [REDACTED]."""
    sf = FakeSf(show="show-access-token.json", display="display-redacted.json")
    token = sf_cli_token("client-x", run=sf)
    assert sf.calls == [SHOW_CALL, DISPLAY_CALL]
    assert token.access_token.get_secret_value() == RECORDED_TOKEN
    assert token.instance_url == INSTANCE
    assert token.refreshable


@pytest.mark.usefixtures("sf_on_path")
def test_sf_cli_falls_back_to_org_display_on_a_cli_without_show_access_token():
    """The sf CLI 2.135.7 has no show-access-token (exit 127, no JSON): org display's token is used."""
    sf = FakeSf(show="show-access-token-unknown-command.json", display="display-with-token.json")
    token = sf_cli_token("client-x", run=sf)
    assert sf.calls == [SHOW_CALL, DISPLAY_CALL]
    assert token.access_token.get_secret_value() == RECORDED_TOKEN
    assert token.instance_url == INSTANCE


@pytest.mark.usefixtures("sf_on_path")
def test_sf_cli_recognises_oclifs_plain_command_not_found():
    """An sf without plugin-not-found says oclif's "command ... not found" (exit 2): also a fallback."""
    unknown = recorded("show-access-token-unknown-command.json") | {
        "exit_code": 2,
        "stderr": " \u203a   Error: command org:auth:show-access-token not found\n",
    }
    sf = FakeSf(show=unknown, display="display-with-token.json")
    token = sf_cli_token("client-x", run=sf)
    assert sf.calls == [SHOW_CALL, DISPLAY_CALL]
    assert token.access_token.get_secret_value() == RECORDED_TOKEN


@pytest.mark.usefixtures("sf_on_path")
def test_a_redacted_token_is_refused_with_what_to_do():
    """A redacting org display on an sf without show-access-token: refused, saying to update the CLI."""
    sf = FakeSf(show="show-access-token-unknown-command.json", display="display-redacted.json")
    with pytest.raises(AuthenticationError) as caught:
        sf_cli_token("client-x", run=sf)
    message = str(caught.value)
    assert "hides the access token of 'client-x'" in message
    assert "update the Salesforce CLI" in message
    assert "[REDACTED]" not in message


@pytest.mark.usefixtures("sf_on_path")
def test_a_placeholder_from_show_access_token_is_never_used_as_a_token():
    """Whatever the command, a value that is not one word is not a token: the fix is named, not sent."""
    shown = recorded("show-access-token.json")
    shown["stdout"]["result"]["accessToken"] = recorded("display-redacted.json")["stdout"]["result"]["accessToken"]
    with pytest.raises(AuthenticationError, match="printed no usable access token") as caught:
        sf_cli_token("client-x", run=FakeSf(show=shown, display="display-redacted.json"))
    assert "sf org auth show-access-token --target-org client-x --json" in str(caught.value)


@pytest.mark.parametrize(
    ("show", "display"),
    [
        ("show-access-token-expired-refresh.json", "display-redacted-expired-refresh.json"),
        ("show-access-token-unknown-command.json", "display-with-token-expired-refresh.json"),
    ],
    ids=["current-sf", "old-sf"],
)
@pytest.mark.usefixtures("sf_on_path")
def test_an_expired_refresh_token_is_refused_not_its_stale_token_used(show, display):
    """The sf CLI exits 0 with the stale token; org display's connectedStatus says why, and that is shown."""
    with pytest.raises(AuthenticationError) as caught:
        sf_cli_token("client-x", run=FakeSf(show=show, display=display))
    message = str(caught.value)
    assert "expired access/refresh token" in message
    assert "sf org login web --alias client-x" in message
    assert RECORDED_TOKEN not in message


@pytest.mark.usefixtures("sf_on_path")
def test_sf_output_without_json_is_shown_as_sf_wrote_it():
    """An sf that crashes (here 2.150.6 on Node.js 20) prints no JSON: its stderr is the message."""
    with pytest.raises(AuthenticationError) as caught:
        sf_cli_token(
            "client-x", run=FakeSf(show="show-access-token-node-too-old.json", display="display-redacted.json")
        )
    message = str(caught.value)
    assert "exit code 1" in message
    assert "TypeError: Cannot read properties of undefined (reading 'bind')" in message


@pytest.mark.usefixtures("sf_on_path")
def test_no_token_reaches_a_message_even_when_sf_prints_one_in_its_error():
    """The sf CLI's words are shown, but anything shaped like a session id is hidden first."""
    failed = recorded("display-no-such-alias.json")
    failed["stdout"]["message"] = f"Bad token {RECORDED_TOKEN} for client-x"
    with pytest.raises(AuthenticationError) as caught:
        sf_cli_token("client-x", run=FakeSf(show=failed, display=failed))
    assert RECORDED_TOKEN not in str(caught.value)
    assert "[token hidden]" in str(caught.value)


@pytest.mark.usefixtures("sf_on_path")
def test_sf_cli_token_logs_no_token():
    """The log says where the token came from, never the token."""
    with capture_logs() as logs:
        sf_cli_token("client-x", run=FakeSf(show="show-access-token.json", display="display-redacted.json"))
    assert any(entry["event"] == "sf_cli_token" for entry in logs)
    assert RECORDED_TOKEN not in repr(logs)


def test_sf_runs_with_no_stdin(monkeypatch):
    """An sf that meets an unknown command on a terminal may ask "Did you mean ...?": it gets no stdin."""
    seen = {}

    def fake_run(args, **kwargs):
        seen.update(kwargs)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(sf_cli.subprocess, "run", fake_run)
    sf_cli._run_sf(["sf", "org", "display"])
    assert seen["stdin"] is subprocess.DEVNULL


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
