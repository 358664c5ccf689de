from pathlib import Path

import pytest

from sfbridge.config import AuthMethod, env_name, load_settings
from sfbridge.credentials import credential_status, resolve_secrets, store_url
from sfbridge.errors import ConfigError

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "sfbridge.toml"

KEY = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sfbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_and_has_the_demo_org():
    """The commented config in the repository is valid and its demo profile replays the demo org."""
    settings = load_settings(REPO_CONFIG)
    assert settings.orgs["demo"].replay == "demo"
    assert settings.orgs["demo"].auth is AuthMethod.CLIENT_CREDENTIALS


def test_secret_in_toml_is_refused_with_the_variable_to_use(tmp_path):
    """A password in the file is refused, naming the file, the key and the env variable instead."""
    path = write(tmp_path, '[orgs.acme-prod]\nauth = "password"\nusername = "u@x"\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file
    message = str(caught.value)
    assert str(path) in message
    assert "orgs.acme-prod.password" in message
    assert "SFBRIDGE_ACME_PROD_PASSWORD" in message
    assert "hunter2" not in message


def test_jwt_key_path_in_toml_points_to_the_key_file_variable(tmp_path):
    """A private key file named in TOML is refused in favour of SFBRIDGE_<ORG>_JWT_KEY_FILE."""
    path = write(tmp_path, '[orgs.a]\nauth = "jwt"\nusername = "u"\nprivate_key_file = "/k.pem"\n')
    with pytest.raises(ConfigError, match="SFBRIDGE_A_JWT_KEY_FILE"):
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file


def test_store_url_with_password_is_refused(tmp_path):
    """A database password inside the store URL must come from the environment."""
    path = write(tmp_path, '[orgs.a]\nauth = "sf_cli"\nsf_alias = "a"\nstore = "postgresql://u:pw@db/x"\n')
    with pytest.raises(ConfigError, match="SFBRIDGE_A_STORE_URL"):
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file


def test_unknown_key_suggests_the_close_one(tmp_path):
    """A typo names the key and proposes the right spelling."""
    path = write(tmp_path, '[orgs.a]\nauth = "access_token"\ninstanse_url = "https://x.my.salesforce.com"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file
    assert "orgs.a.instanse_url: unknown key; did you mean 'instance_url'?" in str(caught.value)


def test_missing_required_key_for_the_auth_method_is_named(tmp_path):
    """JWT needs a username; the message says so for that org."""
    path = write(tmp_path, '[orgs.a]\nauth = "jwt"\nconsumer_key = "k"\n')
    with pytest.raises(ConfigError, match=r"orgs\.a: auth = 'jwt' needs username"):
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file


def test_client_credentials_on_login_domain_is_refused(tmp_path):
    """The client credentials flow only works on My Domain; login.salesforce.com is refused early."""
    path = write(tmp_path, '[orgs.a]\nauth = "client_credentials"\nconsumer_key = "k"\n')
    with pytest.raises(ConfigError, match="My Domain"):
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file


def test_plain_http_is_refused(tmp_path):
    """TLS is never optional: an http:// instance URL is a config error."""
    path = write(tmp_path, '[orgs.a]\nauth = "access_token"\ninstance_url = "http://x.my.salesforce.com"\n')
    with pytest.raises(ConfigError, match="https://"):
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file


def test_invalid_toml_names_the_file(tmp_path):
    """Broken TOML is reported with the file and the parser's position."""
    path = write(tmp_path, "[orgs.a\nauth = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file


def test_defaults_are_inherited_and_overridden(tmp_path):
    """Values in [defaults] apply to every org unless the org sets its own, network merged per key."""
    path = write(
        tmp_path,
        '[defaults]\napi_version = "64.0"\n[defaults.network]\nmax_attempts = 7\nread_timeout = 30\n'
        '[orgs.a]\nauth = "sf_cli"\nsf_alias = "a"\n[orgs.a.network]\nread_timeout = 90\n'
        '[orgs.b]\nauth = "sf_cli"\nsf_alias = "b"\napi_version = "66.0"\n',
    )
    settings = load_settings(path)
    assert settings.orgs["a"].api_version == "64.0"
    assert settings.orgs["a"].network.max_attempts == 7
    assert settings.orgs["a"].network.read_timeout == 90
    assert settings.orgs["b"].api_version == "66.0"


def test_secrets_come_from_org_scoped_variables(tmp_path):
    """Each org reads SFBRIDGE_<ORG>_* and a JWT key file is read and checked before any call."""
    key_file = tmp_path / "server.key"
    key_file.write_text(KEY, encoding="utf-8")
    path = write(tmp_path, '[orgs.acme-prod]\nauth = "jwt"\nusername = "u"\nconsumer_key = "k"\n')
    profile = load_settings(path).org("acme-prod")
    secrets = resolve_secrets(profile, {"SFBRIDGE_ACME_PROD_JWT_KEY_FILE": str(key_file)})
    assert secrets.jwt_key is not None
    assert secrets.jwt_key.get_secret_value() == KEY
    assert "BEGIN" not in repr(secrets)


def test_missing_secret_names_the_variable(tmp_path):
    """Without its secret, a profile's error names exactly the variable to set."""
    path = write(
        tmp_path,
        '[orgs.uat]\nauth = "client_credentials"\nlogin_url = "https://acme.my.salesforce.com"\nconsumer_key = "k"\n',
    )
    profile = load_settings(path).org("uat")
    with pytest.raises(ConfigError, match="SFBRIDGE_UAT_CLIENT_SECRET"):
        resolve_secrets(profile, {})
    assert "SFBRIDGE_UAT_CLIENT_SECRET" in credential_status(profile, {})
    assert credential_status(profile, {"SFBRIDGE_UAT_CLIENT_SECRET": "s"}) == "set in the environment"


def test_key_file_that_is_not_a_pem_key_is_refused(tmp_path):
    """A certificate given where the private key belongs is caught with an explanation."""
    cert = tmp_path / "server.crt"
    cert.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", encoding="utf-8")
    path = write(tmp_path, '[orgs.a]\nauth = "jwt"\nusername = "u"\nconsumer_key = "k"\n')
    with pytest.raises(ConfigError, match="not a PEM private key"):
        resolve_secrets(load_settings(path).org("a"), {"SFBRIDGE_A_JWT_KEY_FILE": str(cert)})


def test_org_selection_errors_are_helpful(tmp_path):
    """With several orgs, --org is required; a near miss is suggested."""
    path = write(
        tmp_path, '[orgs.prod]\nauth = "sf_cli"\nsf_alias = "p"\n[orgs.uat]\nauth = "sf_cli"\nsf_alias = "u"\n'
    )
    settings = load_settings(path)
    with pytest.raises(ConfigError, match="--org"):
        settings.org(None)
    with pytest.raises(ConfigError, match="did you mean 'prod'"):
        settings.org("prd")


def test_store_url_prefers_the_environment(tmp_path):
    """SFBRIDGE_<ORG>_STORE_URL wins over the profile, which wins over the default path."""
    path = write(tmp_path, '[orgs.a]\nauth = "sf_cli"\nsf_alias = "a"\n')
    profile = load_settings(path).org("a")
    assert store_url(profile, {}) == ".sfbridge/a.db"
    assert store_url(profile, {"SFBRIDGE_A_STORE_URL": "postgresql://u:p@h/d"}) == "postgresql://u:p@h/d"


def test_env_name_normalises_org_names():
    """Org names become upper-case variable parts."""
    assert env_name("client.x-prod", "access_token") == "SFBRIDGE_CLIENT_X_PROD_ACCESS_TOKEN"


def test_settling_must_outlast_the_read_timeout(tmp_path):
    """A call sfbridge stopped waiting for may still run: settle_seconds below read_timeout is refused, by name."""
    profile = '[orgs.a]\nauth = "access_token"\ninstance_url = "https://x.my.salesforce.com"\n'
    path = write(tmp_path, profile + "[orgs.a.network]\nread_timeout = 300\nsettle_seconds = 120\n")
    with pytest.raises(ConfigError, match=r"orgs\.a\.network: settle_seconds \(120\) must be at least read_timeout"):
        load_settings(path).org(None)  # a broken profile fails when used, not the whole file
    assert load_settings(write(tmp_path, profile)).orgs["a"].network.settle_seconds == 630
