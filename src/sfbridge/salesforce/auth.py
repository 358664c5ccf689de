"""Access tokens by each auth method: JWT, client credentials, sf CLI, raw token, password.

The flows simple-salesforce implements (JWT, client credentials, SOAP login) run through
:mod:`sfbridge.salesforce.client`; their refusals are explained in plain words here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import structlog
from jwt.exceptions import PyJWTError
from pydantic import SecretStr

from sfbridge.config import AuthMethod, OrgProfile, env_name, login_domain
from sfbridge.credentials import Secrets
from sfbridge.errors import AuthenticationError, ConfigError, ProtocolError, SalesforceError
from sfbridge.salesforce.client import LoginRefused, exchange_token
from sfbridge.salesforce.translate import auth_error, rest_error, transport_error

__all__ = ["Runner", "Token", "fetch_token", "sf_cli_token", "static_token"]

log = structlog.get_logger()

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]

_SF_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Token:
    """An access token and the instance it is valid for.

    ``refreshable`` says whether the same source can mint a new one when Salesforce answers
    INVALID_SESSION_ID (JWT, client credentials, password and the sf CLI can; a raw token
    pasted into the environment cannot).
    """

    access_token: SecretStr
    instance_url: str
    refreshable: bool


def _run_sf(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed argv, no shell)
        list(args), capture_output=True, text=True, check=False, timeout=_SF_TIMEOUT_SECONDS
    )


def sf_cli_token(alias: str, *, executable: str = "sf", run: Runner | None = None) -> Token:
    """Borrow the access token of an org the Salesforce CLI is already logged in to.

    Runs ``sf org display --target-org ALIAS --json``; the CLI refreshes the token with its
    stored refresh token when needed, so calling this again yields a fresh one.

    Args:
        alias: the CLI alias or username.
        executable: the ``sf`` program (found on PATH).
        run: runs the command (tests inject a fake).

    Returns:
        The token, refreshable.

    Raises:
        ConfigError: when the ``sf`` program is not installed.
        AuthenticationError: when the CLI has no usable login for the alias.
    """
    program = shutil.which(executable)
    if program is None:
        msg = (
            f"auth = 'sf_cli' needs the Salesforce CLI ('{executable}') on PATH; install it "
            "(npm install --global @salesforce/cli) and run: sf org login web --alias "
            f"{alias}"
        )
        raise ConfigError(msg)
    try:
        done = (run or _run_sf)([program, "org", "display", "--target-org", alias, "--json"])
    except subprocess.TimeoutExpired as exc:
        msg = f"'sf org display' did not answer within {_SF_TIMEOUT_SECONDS} s"
        raise AuthenticationError(msg) from exc
    return _token_from_sf_output(alias, done)


def _token_from_sf_output(alias: str, done: subprocess.CompletedProcess[str]) -> Token:
    payload = _parse_sf_json(done.stdout) or _parse_sf_json(done.stderr)
    if payload is None:
        msg = f"'sf org display' printed no JSON (exit code {done.returncode}); is the CLI current?"
        raise AuthenticationError(msg)
    result = payload.get("result") if payload.get("status") == 0 else None
    if not isinstance(result, dict):
        name = payload.get("name", "error")
        message = payload.get("message", "no message")
        msg = f"the sf CLI has no usable login for {alias!r} ({name}: {message}); run: sf org login web --alias {alias}"
        raise AuthenticationError(msg, error_code=str(name))
    status = result.get("connectedStatus")
    token, instance = result.get("accessToken"), result.get("instanceUrl")
    if not token or not instance or (status and status != "Connected"):
        msg = (
            f"the sf CLI login for {alias!r} is not usable (status: {status or 'unknown'}); "
            f"run: sf org login web --alias {alias}"
        )
        raise AuthenticationError(msg)
    return Token(access_token=SecretStr(token), instance_url=instance, refreshable=True)


def _parse_sf_json(text: str) -> dict[str, object] | None:
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    return parsed if isinstance(parsed, dict) else None


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
