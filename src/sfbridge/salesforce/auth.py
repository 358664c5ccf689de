"""Access tokens that need no simple-salesforce: an sf CLI org alias and a raw token.

The token flows simple-salesforce implements (JWT bearer, client credentials, SOAP login)
are driven from the gateway; this module holds the rest and the :class:`Token` they share.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import SecretStr

from sfbridge.errors import AuthenticationError, ConfigError

__all__ = ["Runner", "Token", "sf_cli_token", "static_token"]

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
