"""Ordinary bad input is a clear error naming its place, never an internal error (issue 11).

TOML files that are not UTF-8, typos in nested config keys, secrets pasted with a newline,
and plan files holding Ids apply could not send.
"""

from pathlib import Path

import orjson
import pytest
import responses
from pydantic import SecretStr
from structlog.testing import capture_logs

from conftest import INSTANCE, make_profile
from recorded import replay
from sfbridge.config import AuthMethod, load_settings
from sfbridge.credentials import Secrets, credential_status, resolve_secrets, store_url_override
from sfbridge.errors import ConfigError, FatalSalesforceError, PlanError, RetriableSalesforceError
from sfbridge.ids import to_18
from sfbridge.mappings import load_mappings
from sfbridge.models import Action, ActionKind, LeadConversion
from sfbridge.plan import plan_json, read_plan, sealed
from sfbridge.rules import load_rules
from test_apply import convert, plan_of, update

REPO = Path(__file__).resolve().parent.parent
TOKEN = "00D9P0000L6772h!AQ4AQSimulatedAccessTokenNotASecret"

# -- TOML files that are not UTF-8 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("shipped", "load"),
    [("sfbridge.toml", load_settings), ("rules.toml", load_rules), ("mappings.toml", load_mappings)],
)
def test_a_latin1_byte_in_any_toml_file_names_the_file_line_and_fix(tmp_path, shipped, load):
    """A file saved as Latin-1 (an é in a comment) is a ConfigError with where and how to fix, not a crash."""
    text = (REPO / "config" / shipped).read_text(encoding="utf-8")
    lines = text.splitlines()
    lines.insert(2, "# owner: Ren\u00e9 M\u00fcller")
    path = tmp_path / shipped
    path.write_bytes("\n".join(lines).encode("latin-1", errors="replace"))
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line 3, column 13 ")
    assert "0xE9 is not UTF-8" in message
    assert "save it again as UTF-8" in message


def test_a_utf8_file_with_a_byte_order_mark_is_read_and_utf16_is_named(tmp_path):
    """Notepad's UTF-8 with BOM is still UTF-8; PowerShell 5's UTF-16 gets its own explanation."""
    text = '[orgs.a]\nauth = "sf_cli"\nsf_alias = "a"\n'
    path = tmp_path / "sfbridge.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_settings(path).orgs["a"].sf_alias == "a"
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(ConfigError, match="saved as UTF-16; TOML files must be UTF-8"):
        load_settings(path)


# -- typos in nested config keys ------------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sfbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_typo_in_a_network_key_suggests_the_right_one(tmp_path):
    """[orgs.NAME.network] keys are matched against the network settings, not the profile's keys."""
    path = write_config(tmp_path, '[orgs.a]\nauth = "sf_cli"\nsf_alias = "a"\n[orgs.a.network]\nmax_attempt = 3\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path).org("a")  # a broken profile fails when used
    assert "orgs.a.network.max_attempt: unknown key; did you mean 'max_attempts'?" in str(caught.value)


def test_a_mistake_inherited_from_defaults_is_named_in_defaults(tmp_path):
    """A typo or a bad value under [defaults] is reported there, where the user has to edit it."""
    org = '[orgs.a]\nauth = "sf_cli"\nsf_alias = "a"\n'
    for text, expected in [
        ("[defaults.network]\nread_timout = 30\n", "defaults.network.read_timout: unknown key; did you mean 'read_"),
        ('[defaults]\napi_verison = "66.0"\n', "defaults.api_verison: unknown key; did you mean 'api_version'?"),
        ("[defaults.network]\nmax_attempts = 0\n", "defaults.network.max_attempts: Input should be greater"),
    ]:
        with pytest.raises(ConfigError) as caught:
            load_settings(write_config(tmp_path, text + org)).org("a")
        assert expected in str(caught.value)


def test_profile_keys_at_the_top_level_are_pointed_to_their_table(tmp_path):
    """A [network] table outside [defaults]/[orgs.NAME], or [org.x], says where it belongs."""
    path = write_config(tmp_path, '[network]\nmax_attempts = 3\n[org.a]\nauth = "sf_cli"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "network is a profile key: put it under [defaults] or [orgs.NAME]" in message
    assert "did you mean 'orgs' instead of 'org'?" in message


# -- secrets pasted with whitespace ------------------------------------------------------------------


def token_profile():
    return make_profile(auth=AuthMethod.ACCESS_TOKEN, instance_url=INSTANCE)


def test_secrets_from_the_environment_lose_surrounding_whitespace_only():
    """$(cat token) keeps a newline: it is trimmed from every secret; a PEM key keeps its inner lines."""
    pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
    jwt = make_profile(auth=AuthMethod.JWT, login_url="https://login.salesforce.com", username="u")
    secrets = resolve_secrets(
        jwt, {"SFBRIDGE_SCENARIO_JWT_KEY": f"\n{pem}\n\n", "SFBRIDGE_SCENARIO_CONSUMER_KEY": " 3MVG9key\r\n"}
    )
    assert secrets.jwt_key is not None
    assert secrets.jwt_key.get_secret_value() == pem
    assert secrets.consumer_key == "3MVG9key"
    token = resolve_secrets(token_profile(), {"SFBRIDGE_SCENARIO_ACCESS_TOKEN": f"{TOKEN}\n"})
    assert token.access_token is not None
    assert token.access_token.get_secret_value() == TOKEN
    password = resolve_secrets(
        make_profile(auth=AuthMethod.PASSWORD, login_url="https://login.salesforce.com", username="u"),
        {"SFBRIDGE_SCENARIO_PASSWORD": "correct horse\n", "SFBRIDGE_SCENARIO_SECURITY_TOKEN": "\tAbC123 "},
    )
    assert password.password is not None
    assert password.password.get_secret_value() == "correct horse"  # inner spaces are a password's own
    assert password.security_token is not None
    assert password.security_token.get_secret_value() == "AbC123"
    assert store_url_override(token_profile(), {"SFBRIDGE_SCENARIO_STORE_URL": "postgresql://u:p@h/d\n"}) == (
        "postgresql://u:p@h/d"
    )
    blank = {"SFBRIDGE_SCENARIO_ACCESS_TOKEN": TOKEN, "SFBRIDGE_SCENARIO_PASSWORD": " \n"}
    assert resolve_secrets(token_profile(), blank).password is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SFBRIDGE_SCENARIO_ACCESS_TOKEN", f"{TOKEN}\n{TOKEN}"),  # two tokens pasted
        ("SFBRIDGE_SCENARIO_ACCESS_TOKEN", f"{TOKEN[:20]} {TOKEN[20:]}"),  # a wrapped line
        ("SFBRIDGE_SCENARIO_CLIENT_SECRET", "s3cr\x00t"),
        ("SFBRIDGE_SCENARIO_CONSUMER_KEY", "3MVG9\tkey"),
    ],
)
def test_a_secret_with_whitespace_inside_is_refused_naming_the_variable_not_the_value(variable, value):
    """Whitespace or control characters inside a one-word secret: ConfigError with the variable, never the value."""
    env = {"SFBRIDGE_SCENARIO_ACCESS_TOKEN": TOKEN, "SFBRIDGE_SCENARIO_CLIENT_SECRET": "s"} | {variable: value}
    profile = token_profile() if "TOKEN" in variable else make_profile()
    with pytest.raises(ConfigError) as caught:
        resolve_secrets(profile, env)
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert "on one line" in message
    assert value not in message
    assert not any(part in message for part in value.split() if len(part) > 4)
    assert credential_status(profile, env).startswith(f"invalid: {variable}")


def test_a_binary_key_file_is_a_config_error(tmp_path):
    """A DER key given where a PEM file belongs is named, not an internal error."""
    der = tmp_path / "server.der"
    der.write_bytes(b"\x30\x82\x04\xa4\x02\x01\x00\xff\xfe")
    jwt = make_profile(auth=AuthMethod.JWT, login_url="https://login.salesforce.com", username="u", consumer_key="k")
    with pytest.raises(ConfigError, match=r"SFBRIDGE_SCENARIO_JWT_KEY_FILE: .*binary"):
        resolve_secrets(jwt, {"SFBRIDGE_SCENARIO_JWT_KEY_FILE": str(der)})


def test_a_trimmed_token_from_the_environment_logs_in(gateway_factory):
    """The token read with its trailing newline is sent as the exact Bearer value."""
    secrets = resolve_secrets(token_profile(), {"SFBRIDGE_SCENARIO_ACCESS_TOKEN": "00D000000000001!scenario\r\n"})
    with replay("auth/access_token_ok") as calls:
        gateway_factory(token_profile(), secrets).identity()
    assert calls[0].request.headers["Authorization"] == "Bearer 00D000000000001!scenario"


def test_an_invalid_header_is_not_retried_and_its_value_is_not_reported(gateway_factory, sleeps):
    """A header with a newline is refused before sending: no retry can help, and its text holds the token."""
    secrets = Secrets(access_token=SecretStr(f"{TOKEN}\n"))  # bypassing resolve_secrets (an sf CLI token, say)
    with responses.RequestsMock() as mock, capture_logs() as logs, pytest.raises(FatalSalesforceError) as caught:
        gateway_factory(token_profile(), secrets).identity()
    assert not isinstance(caught.value, RetriableSalesforceError)
    assert len(mock.calls) == 0  # nothing was sent
    assert sleeps == []  # and nothing retried
    assert "InvalidHeader" in str(caught.value)
    assert "SFBRIDGE_" in str(caught.value)
    assert "AQ4AQ" not in str(caught.value)
    assert "AQ4AQ" not in repr(logs)


# -- plan files holding Ids apply could not send ---------------------------------------------------


CONTACT_ID, QUEUE_ID = to_18("0039P0000M9zxcc"), to_18("00G9P0000Qq0001")


def _edited(action: Action, **changes: object) -> Action:
    return action.model_copy(update=changes)


@pytest.mark.parametrize(
    ("action", "named"),
    [
        (_edited(update(1, LeadSource="Web"), record_id="00Q123"), "'00Q123' is not a Salesforce Id"),
        (_edited(update(1, LeadSource="Web"), record_id="00Q9P0000F9q00!"), "is not a Salesforce Id"),
        (_edited(update(1, LeadSource="Web"), record_id="00Q9P0000F9q001AAA"), "wrong case-safe suffix"),
        (_edited(update(1, LeadSource="Web"), record_id=CONTACT_ID), "is not a Lead Id (Lead Ids start with 00Q)"),
        (
            _edited(convert(2), conversion=LeadConversion(converted_status="Closed", account_id=CONTACT_ID)),
            f"conversion.account_id: {CONTACT_ID!r} is not a",
        ),
        (
            _edited(convert(2), conversion=LeadConversion(converted_status="Closed", contact_id="003abc")),
            "conversion.contact_id: '003abc' is not a Salesforce Id",
        ),
        (
            _edited(convert(2), conversion=LeadConversion(converted_status="Closed", owner_id=QUEUE_ID)),
            f"conversion.owner_id: {QUEUE_ID!r} is not a User Id",
        ),
        (_edited(update(1, LeadSource="Web"), sobject="Lead; DROP"), "sobject 'Lead; DROP' is not"),
        (update(1, **{"Lead Source": "Web"}), "'Lead Source' is not a Salesforce field API name"),
    ],
)
def test_a_plan_with_a_malformed_id_is_refused_when_read(tmp_path, action, named):
    """Every Id is checked (shape, case-safe suffix, object prefix) after the digest: PlanError naming the action."""
    path = tmp_path / "plan.json"
    path.write_bytes(plan_json(plan_of(convert(3), action)))  # sealed: the digest matches
    with pytest.raises(PlanError) as caught:
        read_plan(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: action {action.key!r}")
    assert named in message
    assert message.endswith("make a new plan with sfbridge plan")


def test_a_plan_of_the_wrong_org_id_shape_is_refused_and_a_good_plan_reads_unchanged(tmp_path):
    """The plan's own org Id is checked too; a valid plan's values (15/18-char Ids) are not normalised."""
    path = tmp_path / "plan.json"
    good = plan_of(update(1, LeadSource="Web"), convert(2))
    path.write_bytes(plan_json(good))
    assert read_plan(path) == good
    path.write_bytes(plan_json(sealed(good.model_copy(update={"org_id": "00D9P0000L6772h!!!"}))))
    with pytest.raises(PlanError, match="org_id: '00D9P0000L6772h!!!' is not a Salesforce Id"):
        read_plan(path)
    raw = orjson.loads(plan_json(good))
    raw["actions"][0]["record_id"] = raw["actions"][0]["record_id"][:15]  # a 15-char Id, resealed
    short = sealed(good.model_validate(raw))
    path.write_bytes(plan_json(short))
    assert read_plan(path).actions[0].record_id == raw["actions"][0]["record_id"]
    assert ActionKind.CONVERT_LEAD in {action.kind for action in read_plan(path).actions}
