"""Access tokens by each auth method: JWT, client credentials, sf CLI, raw token, password.

The flows simple-salesforce implements (JWT, client credentials, SOAP login) run through
:mod:`sfbridge.salesforce.client`; their refusals are explained in plain words here. The sf
CLI's token is borrowed by :mod:`sfbridge.salesforce.sf_cli`.
"""

from __future__ import annotations

from typing import Any

import requests
import structlog
from jwt.exceptions import PyJWTError
from pydantic import SecretStr

from sfbridge.config import AuthMethod, OrgProfile, env_name, login_domain
from sfbridge.credentials import Secrets
from sfbridge.errors import ConfigError, ProtocolError, SalesforceError
from sfbridge.salesforce.client import LoginRefused, exchange_token
from sfbridge.salesforce.sf_cli import Runner, sf_cli_token
from sfbridge.salesforce.token import Token
from sfbridge.salesforce.translate import auth_error, rest_error, transport_error

__all__ = ["Runner", "Token", "fetch_token", "sf_cli_token", "static_token"]

log = structlog.get_logger()


def static_token(access_token: SecretStr, instance_url: str) -> Token:
    """Wrap a token given in the environment; it cannot be renewed when it expires."""
    return Token(access_token=access_token, instance_url=instance_url, refreshable=False)


# SOAP login() is not served from API 65.0 on; the password fallback logs in with the last
# version that has it and then uses the configured version for everything else.
# https://help.salesforce.com/s/articleView?id=005132110
_LAST_SOAP_LOGIN_VERSION = "64.0"
_HTTP_SERVER_ERROR = 500


def fetch_token(profile: OrgProfile, secrets: Secrets, *, session: requests.Session) -> Token:
    """Obtain an access token for an org by its profile's auth method.

    Args:
        profile: the org profile (which flow, which login host).
        secrets: its credentials.
        session: the HTTP session token exchanges go through.

    Returns:
        The token and its instance.

    Raises:
        AuthenticationError: when Salesforce (or the sf CLI) refuses, with the likely cause.
        ConfigError: when a JWT key cannot sign or the sf CLI is missing.
        SalesforceError: when the token endpoint cannot be reached.
    """
    if profile.auth is AuthMethod.SF_CLI:
        assert profile.sf_alias is not None  # noqa: S101 (validated by config)
        return sf_cli_token(profile.sf_alias)
    if profile.auth is AuthMethod.ACCESS_TOKEN:
        assert profile.instance_url is not None and secrets.access_token is not None  # noqa: S101, PT018
        return static_token(secrets.access_token, profile.instance_url)
    try:
        access_token, host = exchange_token(session, **_login_arguments(profile, secrets))
    except LoginRefused as exc:
        raise _login_error(exc) from exc
    except requests.RequestException as exc:
        raise transport_error(exc, what="log in") from exc
    except (ValueError, PyJWTError) as exc:
        if profile.auth is not AuthMethod.JWT:
            raise
        # Signing the JWT raises these: the PEM is not a usable RSA private key.
        variable = env_name(profile.name, "jwt_key_file")
        msg = f"the JWT private key cannot sign ({exc.__class__.__name__}); check {variable}"
        raise ConfigError(msg, source=variable) from exc
    return Token(access_token=SecretStr(access_token), instance_url=f"https://{host}", refreshable=True)


def _login_arguments(profile: OrgProfile, secrets: Secrets) -> dict[str, Any]:
    domain = login_domain(profile.login_url)
    consumer_key = profile.consumer_key or secrets.consumer_key
    if profile.auth is AuthMethod.JWT:
        return {
            "username": profile.username,
            "consumer_key": consumer_key,
            "privatekey": _reveal(secrets.jwt_key),
            "domain": domain,
        }
    if profile.auth is AuthMethod.CLIENT_CREDENTIALS:
        return {
            "consumer_key": consumer_key,
            "consumer_secret": _reveal(secrets.client_secret),
            "domain": domain,
        }
    log.warning(
        "password_auth_deprecated",
        org=profile.name,
        advice="SOAP login() is retired in Summer '27; move this org to auth = 'jwt' or 'client_credentials'",
    )
    return {
        "username": profile.username,
        "password": _reveal(secrets.password),
        "security_token": _reveal(secrets.security_token) or "",
        "domain": domain,
        "sf_version": min(profile.api_version, _LAST_SOAP_LOGIN_VERSION, key=float),
    }


def _reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _login_error(exc: LoginRefused) -> SalesforceError:
    code, message = exc.code, exc.auth_message
    if isinstance(code, int):
        # simple-salesforce puts the HTTP status here when the answer was not OAuth JSON
        # (a proxy's HTML page, a 503 during maintenance).
        return (
            rest_error(code, message, None)
            if code >= _HTTP_SERVER_ERROR
            else ProtocolError(f"log in: the token endpoint answered HTTP {code} with something that is not OAuth JSON")
        )
    return auth_error(code, message)
