"""Borrow the access token of an org the Salesforce CLI (``sf``) is logged in to.

The sf CLI's quirks handled here, each recorded in ``fixtures/sf-cli/`` (its README names the
sources):

- Since @salesforce/cli 2.136.8 (May 2026) ``sf org display --json`` prints
  ``"[REDACTED] Use 'sf org auth show-access-token' to view"`` where the token was
  (salesforcecli/plugin-org#1673, plugin-auth#1498). The token now comes from
  ``sf org auth show-access-token --json`` (plugin-org#1667,
  src/commands/org/auth/show-access-token.ts), which never prompts in JSON mode. Its result
  holds the token alone, so ``sf org display`` is still asked for the instance URL and status.
- An sf from before that command prints no JSON for it, whatever ``--json`` says:
  @oclif/plugin-not-found writes "Warning: org auth show-access-token is not a sf command."
  to stderr and exits 127 (oclif/plugin-not-found src/index.ts); an oclif without that plugin
  says "command org:auth:show-access-token not found". Such an sf gets ``sf org display``
  alone, whose token is real there.
- With a terminal on stdin, plugin-not-found releases before mid-2025 asked "Did you mean
  ...?" and ran the suggested command on yes: sf gets no stdin here.
- A refresh token that no longer works is no error: both commands exit 0 with the stale
  token and a warning; ``sf org display`` says why in ``connectedStatus``, which is checked.
- Failures are JSON on stdout: ``name`` and ``message`` (e.g. NamedOrgNotFoundError,
  "Parsing --target-org / No authorization information found for X."), shown as sf wrote them.

No token is ever put in a message or a log line.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import TypeGuard

import structlog
from pydantic import SecretStr

from sfbridge.errors import AuthenticationError, ConfigError
from sfbridge.salesforce.token import Token

__all__ = ["Runner", "sf_cli_token"]

log = structlog.get_logger()

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]

_SF_TIMEOUT_SECONDS = 60
_UNKNOWN_COMMAND_EXIT = 127  # plugin-not-found's exit code, as a shell's for a missing program
_UNKNOWN_COMMAND = re.compile(r"is not an? \S+ command|command \S+ not found", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# An org's session id (00D + org id + ! + the secret part), the shape sf's own tests check.
_SESSION_ID = re.compile(r"00D\w{12,15}![\w.]+")
_SHOW = "sf org auth show-access-token"
_DISPLAY = "sf org display"
_UPDATE = "update the Salesforce CLI (sf update, or npm install --global @salesforce/cli@latest)"


def _login(alias: str) -> str:
    return f"sf org login web --alias {alias}"


def _run_sf(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    # stdin closed: an sf that meets an unknown command on a terminal may ask, and act on, a question.
    return subprocess.run(  # noqa: S603 (fixed argv, no shell)
        list(args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=_SF_TIMEOUT_SECONDS,
    )


def sf_cli_token(alias: str, *, executable: str = "sf", run: Runner | None = None) -> Token:
    """Borrow the access token of an org the Salesforce CLI is already logged in to.

    Runs ``sf org auth show-access-token --target-org ALIAS --json`` for the token, then
    ``sf org display --target-org ALIAS --json`` for the instance and whether the login still
    works; an sf without the first command gets the second alone. The CLI refreshes the token
    with its stored refresh token when needed, so calling this again yields a fresh one.

    Args:
        alias: the CLI alias or username.
        executable: the ``sf`` program (found on PATH).
        run: runs one command (tests inject a fake).

    Returns:
        The token, refreshable.

    Raises:
        ConfigError: when the ``sf`` program is not installed or cannot run.
        AuthenticationError: when the CLI has no usable login for the alias (with sf's own
            error), or prints no usable token (with the command that fixes it).
    """
    program = shutil.which(executable)
    if program is None:
        msg = (
            f"auth = 'sf_cli' needs the Salesforce CLI ('{executable}') on PATH; install it "
            f"(npm install --global @salesforce/cli) and run: {_login(alias)}"
        )
        raise ConfigError(msg)
    runner = run or _run_sf
    shown = _call(runner, [program, "org", "auth", "show-access-token", "--target-org", alias, "--json"], _SHOW)
    token: object = None
    if _unknown_command(shown):
        log.info("sf_cli_without_show_access_token", alias=alias, advice=_UPDATE)
        source = _DISPLAY
    else:
        token, source = _result(shown, _SHOW, alias).get("accessToken"), _SHOW
    displayed = _call(runner, [program, "org", "display", "--target-org", alias, "--json"], _DISPLAY)
    display = _result(displayed, _DISPLAY, alias)
    status, instance = display.get("connectedStatus"), display.get("instanceUrl")
    if status and status != "Connected":
        # e.g. "Unable to refresh session due to: ... expired access/refresh token": the token is stale.
        msg = f"the sf CLI login for {alias!r} no longer works ({_hide_tokens(str(status))}); run: {_login(alias)}"
        raise AuthenticationError(msg)
    if source == _DISPLAY:  # an sf from before show-access-token: its display still holds the token
        token = display.get("accessToken")
    if not _is_token(token):
        raise AuthenticationError(_no_token_message(alias, token, source))
    if not isinstance(instance, str) or not instance:
        msg = f"'{_DISPLAY}' named no instance URL for {alias!r}; run: {_login(alias)}"
        raise AuthenticationError(msg)
    log.info("sf_cli_token", alias=alias, source=source)
    return Token(access_token=SecretStr(token), instance_url=instance, refreshable=True)


def _call(runner: Runner, args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        return runner(args)
    except subprocess.TimeoutExpired as exc:
        msg = f"'{what}' did not answer within {_SF_TIMEOUT_SECONDS} s"
        raise AuthenticationError(msg) from exc
    except OSError as exc:
        msg = f"cannot run the Salesforce CLI ({args[0]}): {exc.strerror or exc}"
        raise ConfigError(msg) from exc


def _unknown_command(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether sf failed because it has no such command (an sf from before it)."""
    if done.returncode == 0:
        return False
    if done.returncode == _UNKNOWN_COMMAND_EXIT:
        return True
    return bool(_UNKNOWN_COMMAND.search(_plain(f"{done.stderr}\n{done.stdout}")))


def _result(done: subprocess.CompletedProcess[str], what: str, alias: str) -> dict[str, object]:
    """The ``result`` of sf's JSON answer, or sf's own error as an AuthenticationError."""
    # Older sf releases wrote failures' JSON to stderr (SF_JSON_TO_STDOUT=false still does).
    payload = _parse_json(done.stdout) or _parse_json(done.stderr)
    if payload is None:
        said = _excerpt(done.stderr) or _excerpt(done.stdout) or "nothing"
        msg = f"'{what}' failed for {alias!r} (exit code {done.returncode}) and printed no JSON; it said: {said}"
        raise AuthenticationError(msg)
    result = payload.get("result")
    if payload.get("status") == 0 and isinstance(result, dict):
        return result
    name = str(payload.get("name") or "error")
    message = _excerpt(str(payload.get("message") or "no message"))
    msg = f"'{what}' failed for {alias!r}: {name}: {message}; if the login is gone, run: {_login(alias)}"
    raise AuthenticationError(msg, error_code=name)


def _is_token(value: object) -> TypeGuard[str]:
    """A token is one word; sf's placeholders ("[REDACTED] Use '...' to view") are sentences."""
    return isinstance(value, str) and bool(value) and not value.startswith("[") and not re.search(r"\s", value)


def _no_token_message(alias: str, value: object, source: str) -> str:
    if source == _DISPLAY and isinstance(value, str) and value.startswith("[REDACTED]"):
        # A redacting `org display` without `org auth show-access-token`: plugins of mixed ages.
        return (
            f"'{_DISPLAY}' hides the access token of {alias!r} and this sf has no '{_SHOW}'; "
            f"{_UPDATE}, then run sfbridge again"
        )
    return (
        f"'{source}' printed no usable access token for {alias!r}; {_UPDATE}, and check that "
        f"'{_SHOW} --target-org {alias} --json' prints one (run: {_login(alias)} if not)"
    )


def _parse_json(text: str | None) -> dict[str, object] | None:
    try:
        parsed = json.loads(text or "")
    except (json.JSONDecodeError, TypeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _hide_tokens(text: str) -> str:
    return _SESSION_ID.sub("[token hidden]", text)


def _excerpt(text: str | None, limit: int = 500) -> str:
    """The sf CLI's words on one line, colours and any token removed, cut to a readable length."""
    plain = " ".join(_hide_tokens(_plain(text or "")).split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"
