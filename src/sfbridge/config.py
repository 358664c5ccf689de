"""Typed settings: org profiles from ``config/sfbridge.toml``.

Secrets never come from TOML (files end up in git, backups and screen shares): a
secret-looking key in the file is refused with a message naming the ``SFBRIDGE_<ORG>_<NAME>``
variable to set instead (see :mod:`sfbridge.credentials`, which reads them).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sfbridge.errors import ConfigError
from sfbridge.tomlfile import read_toml, unknown_key

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_OBJECTS",
    "AuthMethod",
    "NetworkSettings",
    "OrgProfile",
    "Settings",
    "env_name",
    "find_config_file",
    "load_settings",
    "login_domain",
    "rules_path",
]

#: Spring '26. SOAP login() (the password fallback) is gone from 65.0, so that flow logs in
#: with 64.0 and then uses this version for everything else.
DEFAULT_API_VERSION = "66.0"

#: What a pull mirrors by default, in dependency order (Users and Accounts before the records
#: that point at them, so a partial first run is still useful).
DEFAULT_OBJECTS = (
    "User",
    "Group",
    "LeadStatus",
    "Account",
    "Contact",
    "Lead",
    "Opportunity",
    "Task",
    "LeadHistory",
)

# Keys whose values are credentials. Matching is on the whole key or a `_`-separated part.
_SECRET_KEY = re.compile(r"(^|_)(password|passwd|secret|token|session_id|private_key|privatekey|jwt_key|api_key)($|_)")
_API_VERSION = re.compile(r"\d{2}\.0")
#: Ten minutes (Salesforce's limit on a REST or SOAP call) and half a minute to get there.
DEFAULT_SETTLE_SECONDS = 630.0


class AuthMethod(StrEnum):
    """How sfbridge obtains an access token for an org."""

    JWT = "jwt"
    CLIENT_CREDENTIALS = "client_credentials"
    SF_CLI = "sf_cli"
    ACCESS_TOKEN = "access_token"  # noqa: S105 (a method name, not a credential)
    PASSWORD = "password"  # noqa: S105 (a method name, not a credential)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkSettings(_Strict):
    """Timeouts and the retry policy for every call to Salesforce."""

    connect_timeout: Annotated[float, Field(gt=0)] = 10.0
    read_timeout: Annotated[float, Field(gt=0)] = 120.0
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    backoff_initial: Annotated[float, Field(ge=0)] = 1.0
    backoff_max: Annotated[float, Field(ge=0)] = 60.0
    # How long after a write was sent Salesforce may still be running it, when its answer was lost
    # (a read timeout, a reset, a run killed mid-call): apply re-reads such a batch until its records
    # show the write or this many seconds have passed since it was sent, and only then may send it
    # again. "The timeout limit for REST and SOAP API calls is 10 minutes" (API Request Limits and
    # Allocations, developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet), so
    # the default is ten minutes plus a margin for the trip there.
    settle_seconds: Annotated[float, Field(ge=0, le=3600)] = DEFAULT_SETTLE_SECONDS

    @model_validator(mode="after")
    def _settle_outlasts_the_wait(self) -> Self:
        # A call sfbridge stopped waiting for may still be running: settling must wait longer than that.
        if self.settle_seconds < self.read_timeout:
            msg = (
                f"settle_seconds ({self.settle_seconds:g}) must be at least read_timeout ({self.read_timeout:g}): "
                "a call sfbridge stopped waiting for may still be running in Salesforce"
            )
            raise ValueError(msg)
        return self


class OrgProfile(_Strict):
    """One org: where it is, how to log in, where its mirror lives, what to pull."""

    name: str
    auth: AuthMethod
    login_url: str = "https://login.salesforce.com"
    instance_url: str | None = None
    username: str | None = None
    consumer_key: str | None = None
    sf_alias: str | None = None
    api_version: str = DEFAULT_API_VERSION
    store: str | None = None
    objects: tuple[str, ...] = DEFAULT_OBJECTS
    api_reserve_percent: Annotated[float, Field(ge=0, lt=100)] = 10.0
    page_size: Annotated[int, Field(ge=200, le=2000)] = 2000
    overlap_seconds: Annotated[int, Field(ge=0, le=86_400)] = 300
    # Objects whose pull reads at least this many rows (a COUNT() decides) use a Bulk API 2.0
    # query job instead of REST pages; None keeps every pull on REST.
    bulk_threshold: Annotated[int | None, Field(ge=1)] = 100_000
    replay: str | None = None
    rules: str | None = None
    network: NetworkSettings = NetworkSettings()

    @model_validator(mode="after")
    def _check_combination(self) -> Self:
        if not _API_VERSION.fullmatch(self.api_version):
            msg = f"api_version {self.api_version!r} must look like '{DEFAULT_API_VERSION}'"
            raise ValueError(msg)
        _check_https("login_url", self.login_url)
        if self.instance_url is not None:
            _check_https("instance_url", self.instance_url)
        needs = {
            AuthMethod.JWT: ("username",),
            AuthMethod.PASSWORD: ("username",),
            AuthMethod.ACCESS_TOKEN: ("instance_url",),
            AuthMethod.SF_CLI: ("sf_alias",),
            AuthMethod.CLIENT_CREDENTIALS: (),
        }[self.auth]
        missing = [key for key in needs if getattr(self, key) is None]
        if missing:
            msg = f"auth = {self.auth.value!r} needs {', '.join(missing)}"
            raise ValueError(msg)
        if self.auth is AuthMethod.CLIENT_CREDENTIALS and login_domain(self.login_url) in {
            "login",
            "test",
        }:
            # The client-credentials flow is only served by the org's My Domain token endpoint.
            msg = (
                "auth = 'client_credentials' needs login_url set to the org's My Domain, "
                "e.g. https://acme.my.salesforce.com"
            )
            raise ValueError(msg)
        return self


def _check_https(key: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        msg = f"{key} {url!r} must be an https:// URL (TLS is never optional)"
        raise ValueError(msg)


def login_domain(login_url: str) -> str:
    """Turn a login URL into the domain simple-salesforce expects.

    >>> login_domain("https://login.salesforce.com"), login_domain("https://acme.my.salesforce.com")
    ('login', 'acme.my')
    """
    host = urlsplit(login_url).hostname or ""
    return host.removesuffix(".salesforce.com")


class Settings(BaseModel):
    """Everything read from one config file."""

    model_config = ConfigDict(frozen=True)

    source: Path
    orgs: dict[str, OrgProfile]
    broken: dict[str, str] = {}  # profiles that failed validation: name → the error, naming the key and fix

    def org(self, name: str | None) -> OrgProfile:
        """Return one org profile by name, or the only one when there is just one.

        Args:
            name: the profile name given with ``--org``, or None.

        Returns:
            The profile.

        Raises:
            ConfigError: when the name is unknown or ambiguous.
        """
        if name in self.broken:
            raise ConfigError(self.broken[name])
        if name is None:
            if len(self.orgs) == 1 and not self.broken:
                return next(iter(self.orgs.values()))
            if not self.orgs and len(self.broken) == 1:
                raise ConfigError(next(iter(self.broken.values())))
            names = ", ".join(sorted({*self.orgs, *self.broken})) or "none"
            msg = f"several orgs are configured ({names}); choose one with --org NAME"
            raise ConfigError(msg, source=str(self.source))
        if name not in self.orgs:
            close = difflib.get_close_matches(name, self.orgs, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"no org named {name!r} (known: {', '.join(sorted(self.orgs))}){hint}"
            raise ConfigError(msg, source=str(self.source))
        return self.orgs[name]


def rules_path(profile: OrgProfile, *, config_dir: Path) -> Path | None:
    """Find an org's check rules: its ``rules`` file, else ``rules.toml`` beside the config.

    Args:
        profile: the org profile.
        config_dir: the folder of the config file (relative paths are read from there).

    Returns:
        The rules file, or None for the built-in defaults.
    """
    if profile.rules:
        path = Path(profile.rules).expanduser()
        return path if path.is_absolute() else config_dir / path
    shipped = config_dir / "rules.toml"
    return shipped if shipped.is_file() else None


def env_name(org: str, secret: str) -> str:
    """Name the environment variable that holds one secret of one org.

    >>> env_name("acme-prod", "client_secret")
    'SFBRIDGE_ACME_PROD_CLIENT_SECRET'
    """
    return "SFBRIDGE_" + re.sub(r"[^A-Z0-9]+", "_", f"{org}_{secret}".upper())


#: The config file's name in the current folder and in the user's config folder.
CONFIG_NAME = "sfbridge.toml"


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's sfbridge config folder (platformdirs).

    Under %APPDATA% on Windows, ~/Library/Application Support on macOS, $XDG_CONFIG_HOME
    (~/.config) elsewhere.
    """
    env = os.environ if env is None else env
    if sys.platform not in {"win32", "darwin"} and env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "sfbridge"  # read from env, so tests and schedulers can point it
    return Path(platformdirs.user_config_dir("sfbridge", appauthor=False, roaming=True))


def config_candidates(explicit: Path | None, env: Mapping[str, str] | None = None) -> list[Path]:
    """Where the config file is looked for, in order (the first that exists is used).

    ``--config PATH``; else ``SFBRIDGE_CONFIG``; else ``./sfbridge.toml``, then
    ``./config/sfbridge.toml`` (a clone of the sfbridge repository), then ``sfbridge.toml``
    in the user's config folder (:func:`user_config_dir`, where ``sfbridge init`` writes it).
    """
    env = os.environ if env is None else env
    if explicit is not None:
        return [explicit]
    if env.get("SFBRIDGE_CONFIG"):
        return [Path(env["SFBRIDGE_CONFIG"])]
    return [Path(CONFIG_NAME), Path("config") / CONFIG_NAME, user_config_dir(env) / CONFIG_NAME]


def find_config_file(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """Locate the config file (see :func:`config_candidates` for the order).

    Args:
        explicit: the ``--config`` value, if given.
        env: the environment (defaults to ``os.environ``).

    Returns:
        The path of an existing config file.

    Raises:
        ConfigError: when no config file can be found.
    """
    candidates = config_candidates(explicit, env)
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(str(path) for path in candidates)
    msg = (
        f"no config file found (looked at {tried}); run `sfbridge init` to write a commented starter "
        "config, or pass --config PATH"
    )
    raise ConfigError(msg)


def load_settings(path: Path) -> Settings:
    """Read and validate a config file.

    Args:
        path: the TOML file.

    Returns:
        The validated settings.

    Raises:
        ConfigError: naming the file, the key and the fix for anything wrong.
    """
    raw = read_toml(path, what="the config file")
    _refuse_secrets(raw, path=path)
    defaults = raw.pop("defaults", {})
    orgs = raw.pop("orgs", {})
    if raw:
        _unknown_keys(sorted(raw), allowed=("defaults", "orgs"), path=path, prefix="")
    if not isinstance(orgs, dict) or not orgs:
        msg = "no org profiles: add at least one [orgs.NAME] table"
        raise ConfigError(msg, source=str(path), key="orgs")
    profiles, broken = {}, {}
    for name, table in orgs.items():
        # One broken profile must not block the others: it is kept with its error, which
        # using it (--org NAME) raises and `sfbridge orgs` shows.
        try:
            profiles[name] = _profile(name, defaults, table, path=path)
        except ConfigError as exc:
            broken[name] = str(exc)
    return Settings(source=path, orgs=profiles, broken=broken)


def _profile(name: str, defaults: dict[str, Any], table: Any, *, path: Path) -> OrgProfile:  # noqa: ANN401 (raw TOML)
    if not isinstance(table, dict):
        msg = "must be a table: [orgs.NAME] followed by key = value lines"
        raise ConfigError(msg, source=str(path), key=f"orgs.{name}")
    merged = {**defaults, **table, "name": name}
    if isinstance(defaults.get("network"), dict) and isinstance(table.get("network"), dict):
        merged["network"] = {**defaults["network"], **table["network"]}
    try:
        return OrgProfile.model_validate(merged)
    except ValidationError as exc:
        raise _config_error(exc, path=path, name=name, table=table, defaults=defaults) from exc


def _config_error(
    exc: ValidationError, *, path: Path, name: str, table: dict[str, Any], defaults: dict[str, Any]
) -> ConfigError:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        # A key the org inherits from [defaults] is wrong there, not in [orgs.NAME]: name
        # the table the user has to edit.
        where = "defaults" if not _holds(table, loc) and _holds(defaults, loc) else f"orgs.{name}"
        key = ".".join([where, *(str(part) for part in loc)])
        if error["type"] == "extra_forbidden":
            # Nested tables ([orgs.NAME.network]) get suggestions from their own keys.
            lines.append(unknown_key(OrgProfile, loc, where=key))
        else:
            lines.append(f"{key}: {error['msg'].removeprefix('Value error, ')}")
    return ConfigError("\n  ".join(lines), source=str(path))


def _holds(table: Any, loc: tuple[int | str, ...]) -> bool:  # noqa: ANN401 (raw TOML)
    """Whether a raw TOML table has a value at ``loc`` (keys and list indices)."""
    if not loc:
        return False
    current = table
    for part in loc:
        in_table = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if not (in_table or in_list):
            return False
        current = current[part]
    return True


def _unknown_keys(keys: list[str], *, allowed: tuple[str, ...], path: Path, prefix: str) -> None:
    hints = []
    for key in keys:
        if key in OrgProfile.model_fields:
            # `[network]` or `api_version = ...` at the top: profile keys live in a table.
            hints.append(f"{key} is a profile key: put it under [defaults] or [orgs.NAME]")
        elif close := difflib.get_close_matches(key, allowed, n=1):
            hints.append(f"did you mean {close[0]!r} instead of {key!r}?")
    msg = f"unknown top-level key(s) {', '.join(keys)}; expected only {', '.join(allowed)}"
    msg += "".join(f"; {hint}" for hint in hints)
    raise ConfigError(msg, source=str(path), key=prefix or None)


def _refuse_secrets(table: Mapping[str, Any], *, path: Path, trail: tuple[str, ...] = ()) -> None:
    for key, value in table.items():
        here = (*trail, key)
        if isinstance(value, dict):
            _refuse_secrets(value, path=path, trail=here)
        elif _SECRET_KEY.search(key.lower()):
            org = here[1] if len(here) > 2 and here[0] == "orgs" else "ORG"  # noqa: PLR2004
            msg = (
                "secrets never go in config files; remove it and set "
                f"{env_name(org, _secret_env_suffix(key))} in the environment instead"
            )
            raise ConfigError(msg, source=str(path), key=".".join(here))
        elif key == "store" and isinstance(value, str) and urlsplit(value).password:
            org = here[1] if len(here) > 2 and here[0] == "orgs" else "ORG"  # noqa: PLR2004
            msg = (
                "the store URL holds a password; remove it and set the whole URL in "
                f"{env_name(org, 'store_url')} (or use ~/.pgpass)"
            )
            raise ConfigError(msg, source=str(path), key=".".join(here))


def _secret_env_suffix(key: str) -> str:
    lowered = key.lower()
    if "key" in lowered and ("private" in lowered or "jwt" in lowered):
        return "jwt_key_file"
    if "consumer_secret" in lowered:
        return "client_secret"
    return lowered
