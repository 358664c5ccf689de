"""The bundled demo org: a recorded sample org that `sfbridge demo` replays with no network.

Its folder holds ``manifest.json`` (org Id, instance, how it was logged in to, and the moments
of its recorded pulls: a first full pull and an incremental one three hours later), the
recording under ``http/``, the describes it was built from and the answer key its planted
problems are scored against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sfbridge.config import AuthMethod, OrgProfile
from sfbridge.errors import ReplayError
from sfbridge.salesforce.replay import demo_org_dir
from sfbridge.wire import parse_datetime

__all__ = ["DemoOrg", "load_demo_org"]


@dataclass(frozen=True)
class DemoOrg:
    """The demo org's profile and facts."""

    folder: Path
    profile: OrgProfile
    org_id: str
    runs: tuple[datetime, ...]

    @property
    def rules(self) -> Path:
        """The check rules the demo org's planted problems are defined under."""
        return self.folder / "rules.toml"

    @property
    def answer_key(self) -> Path:
        """The JSON answer key of the planted problems."""
        return self.folder / "answer_key.json"


def load_demo_org() -> DemoOrg:
    """Read the bundled demo org's manifest and build the profile that replays it.

    Returns:
        The demo org.

    Raises:
        ReplayError: when the bundled files are missing or damaged.
    """
    folder = demo_org_dir()
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        profile = OrgProfile(
            name="demo",
            auth=AuthMethod(manifest["auth"]),
            login_url=manifest["login_url"],
            api_version=manifest["api_version"],
            replay="demo",
        )
        return DemoOrg(
            folder=folder,
            profile=profile,
            org_id=manifest["org_id"],
            runs=tuple(parse_datetime(run["recorded_at"]) for run in manifest["runs"]),
        )
    except (OSError, ValueError, KeyError) as exc:
        msg = f"the bundled demo org in {folder} is damaged ({exc}); reinstall sfbridge"
        raise ReplayError(msg) from exc
