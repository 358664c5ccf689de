"""An access token and the instance it is valid for, whichever way it was obtained."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

__all__ = ["Token"]


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
