"""Credentials for an org, read only from ``SFBRIDGE_<ORG>_*`` environment variables.

Also where an org's store URL comes from, since a database URL may hold a password and so
may only be given in the environment. Nothing here is ever logged or written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr

from sfbridge.config import AuthMethod, OrgProfile, env_name
from sfbridge.errors import ConfigError

__all__ = [
    "REPLAY_SECRETS",
    "Secrets",
    "credential_status",
    "resolve_secrets",
    "store_url",
    "store_url_override",
]


class Secrets(BaseModel):
    """Credentials for one org, read from the environment only. Never logged or written."""

    model_config = ConfigDict(frozen=True)

    client_secret: SecretStr | None = None
    jwt_key: SecretStr | None = None
    access_token: SecretStr | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    consumer_key: str | None = None


#: A replayed org answers from its recording, which was made with these placeholders; a
#: replay never needs (or sees) real credentials.
REPLAY_SECRETS = Secrets(
    client_secret=SecretStr("recorded"),
    jwt_key=None,
    access_token=SecretStr("recorded"),
    password=SecretStr("recorded"),
    security_token=SecretStr("recorded"),
    consumer_key="recorded",
)


def resolve_secrets(profile: OrgProfile, env: Mapping[str, str] | None = None) -> Secrets:
    """Read an org's secrets from the environment.

    ``SFBRIDGE_<ORG>_JWT_KEY_FILE`` names a PEM file (read here, so a bad path fails before
    any network call); ``SFBRIDGE_<ORG>_JWT_KEY`` may hold the PEM text itself.

    Args:
        profile: the org profile.
        env: the environment (defaults to ``os.environ``).

    Returns:
        The secrets that are set.

    Every value is trimmed of surrounding whitespace (a pasted token's trailing newline).

    Raises:
        ConfigError: when a secret the auth method needs is missing or unreadable, or a
            secret holds characters it never contains (naming the variable, not the value).
    """
    env = os.environ if env is None else env
    if profile.replay:
        return REPLAY_SECRETS

    def get(secret: str) -> str | None:
        return _read(env, env_name(profile.name, secret), _FORBIDDEN.get(secret))

    def hidden(secret: str | None) -> SecretStr | None:
        return SecretStr(secret) if secret is not None else None

    jwt_key = get("jwt_key")
    if jwt_key is None and (key_file := get("jwt_key_file")):
        jwt_key = _read_key_file(Path(key_file), variable=env_name(profile.name, "jwt_key_file"))
    secrets = Secrets(
        client_secret=hidden(get("client_secret")),
        jwt_key=hidden(jwt_key),
        access_token=hidden(get("access_token")),
        password=hidden(get("password")),
        security_token=hidden(get("security_token")),
        consumer_key=get("consumer_key"),
    )
    _require(profile, secrets)
    return secrets


def store_url_override(profile: OrgProfile, env: Mapping[str, str] | None = None) -> str | None:
    """Return a store URL set in ``SFBRIDGE_<ORG>_STORE_URL`` (the place for URLs with passwords)."""
    env = os.environ if env is None else env
    return _read(env, env_name(profile.name, "store_url"), _NO_CONTROL)


# What each secret may hold once surrounding whitespace is trimmed. An access token, a client
# secret or a consumer key is one word: a space or line break inside is a paste gone wrong
# (two values, or a wrapped line), and in an HTTP header requests refuses it outright. A
# password may hold spaces, but no secret holds control characters; a PEM key keeps its lines.
_NO_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f]")
_NO_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORBIDDEN: dict[str, re.Pattern[str] | None] = {
    "access_token": _NO_WHITESPACE,
    "client_secret": _NO_WHITESPACE,
    "consumer_key": _NO_WHITESPACE,
    "security_token": _NO_WHITESPACE,
    "password": _NO_CONTROL,
    "jwt_key_file": _NO_CONTROL,
    "jwt_key": None,
}


def _read(env: Mapping[str, str], variable: str, forbidden: re.Pattern[str] | None) -> str | None:
    """One secret from the environment, surrounding whitespace trimmed; None when unset or blank.

    ``$(cat token.txt)``, ``export X="$(pbpaste)"`` and PowerShell's ``Get-Content`` keep the
    file's trailing newline, and a token with a newline is an invalid HTTP header that no retry
    can fix, so it is trimmed here, once, for every secret. What is still wrong inside is named
    by its variable, never by its value.

    Raises:
        ConfigError: when the trimmed value holds characters that secret never contains.
    """
    value = (env.get(variable) or "").strip()
    if not value:
        return None
    if forbidden is not None and forbidden.search(value):
        msg = (
            "holds a space, line break or other control character inside the value (surrounding "
            "whitespace is ignored); set it to the value alone, on one line"
        )
        raise ConfigError(msg, source=variable)
    return value


def _read_key_file(path: Path, *, variable: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read the JWT private key file {str(path)!r} ({exc.strerror})"
        raise ConfigError(msg, source=variable) from exc
    except UnicodeDecodeError as exc:  # a binary (DER or PKCS#12) key
        msg = (
            f"{str(path)!r} is not a PEM private key (it is binary: DER or PKCS#12?); convert it with "
            "openssl pkey -in KEY -out key.pem, or point at the .pem file"
        )
        raise ConfigError(msg, source=variable) from exc
    if "PRIVATE KEY-----" not in text:
        msg = (
            f"{str(path)!r} is not a PEM private key (expected a '-----BEGIN ... PRIVATE KEY-----' "
            "block; the certificate goes to the Connected App, the key stays here)"
        )
        raise ConfigError(msg, source=variable)
    return text


def _require(profile: OrgProfile, secrets: Secrets) -> None:
    needed: dict[AuthMethod, tuple[str, ...]] = {
        AuthMethod.JWT: ("jwt_key",),
        AuthMethod.CLIENT_CREDENTIALS: ("client_secret",),
        AuthMethod.ACCESS_TOKEN: ("access_token",),
        AuthMethod.PASSWORD: ("password",),
        AuthMethod.SF_CLI: (),
    }
    for name in needed[profile.auth]:
        if getattr(secrets, name) is None:
            variable = env_name(profile.name, "jwt_key_file" if name == "jwt_key" else name)
            msg = f"auth = {profile.auth.value!r} needs {variable} set in the environment"
            raise ConfigError(msg, source=f"orgs.{profile.name}")
    if profile.auth in {AuthMethod.JWT, AuthMethod.CLIENT_CREDENTIALS} and not (
        profile.consumer_key or secrets.consumer_key
    ):
        variable = env_name(profile.name, "consumer_key")
        msg = f"auth = {profile.auth.value!r} needs consumer_key in the profile or {variable}"
        raise ConfigError(msg, source=f"orgs.{profile.name}")


def credential_status(profile: OrgProfile, env: Mapping[str, str] | None = None) -> str:
    """Say whether an org's credentials are in place, naming what is missing (never values).

    Args:
        profile: the org profile.
        env: the environment (defaults to ``os.environ``).

    Returns:
        A short phrase for `sfbridge orgs`.
    """
    if profile.replay:
        return "none needed (replayed recording)"
    if profile.auth is AuthMethod.SF_CLI:
        return f"from the sf CLI alias {profile.sf_alias!r}"
    try:
        resolve_secrets(profile, env)
    except ConfigError as exc:
        if exc.source and exc.source.startswith("orgs."):
            return f"missing: {str(exc).split(': ', 1)[-1]}"
        return f"invalid: {exc}"  # names the variable (or key file), never the value
    return "set in the environment"


def store_url(profile: OrgProfile, env: Mapping[str, str] | None = None) -> str:
    """Return the store URL of an org: the environment override, the profile, or the default.

    Args:
        profile: the org profile.
        env: the environment (defaults to ``os.environ``).

    Returns:
        A SQLite path or URL, or a PostgreSQL URL.
    """
    return store_url_override(profile, env) or profile.store or f".sfbridge/{profile.name}.db"
