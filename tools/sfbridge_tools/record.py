"""Record cassettes by running the real gateway and pull against simulated orgs.

``python -m sfbridge_tools.record`` rewrites the demo org's recording
(fixtures/demo-org/http/, manifest.json, answer_key.json) and the test scenarios
(fixtures/http/). Recording drives the very code the replays exercise, so when the pull
changes what it asks, re-recording keeps every cassette consistent with it.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from sfbridge.config import AuthMethod, OrgProfile
from sfbridge.credentials import Secrets
from sfbridge.errors import SfbridgeError
from sfbridge.pull import PullOptions, pull
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.replay import Interaction
from sfbridge.salesforce.session import ApiUsage, TimeoutSession
from sfbridge.sandbox.describes import read_describes as load_describes
from sfbridge.sandbox.org import SimulatedOrg
from sfbridge.store import Store
from sfbridge_tools.recording import RecordingAdapter, save_cassette

__all__ = ["Recorder", "load_describes", "main", "recording_gateway", "simulated_org"]

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / "fixtures" / "demo-org"
SCENARIO_DIR = REPO / "fixtures" / "http"
SECRETS = Secrets(client_secret=SecretStr("recorded"), consumer_key="recorded")


def simulated_org(
    *,
    org_id: str,
    user_id: str,
    instance_url: str,
    records: dict[str, list[dict[str, Any]]],
    describes: dict[str, dict[str, Any]],
    clock: Callable[[], datetime],
    api_version: str = "66.0",
) -> SimulatedOrg:
    """Build a simulated org over copies of the given records and describes."""
    return SimulatedOrg(
        org_id=org_id,
        user_id=user_id,
        instance_url=instance_url,
        api_version=api_version,
        describes=copy.deepcopy(describes),
        records={name: [dict(row) for row in rows] for name, rows in records.items()},
        clock=clock,
    )


@dataclass
class Recorder:
    """Runs pulls against a simulated org and keeps every exchange."""

    sim: SimulatedOrg
    profile: OrgProfile
    store: Store

    def run(
        self, moment: datetime, *, objects: Sequence[str], expect_failure: bool = False, full: bool = False
    ) -> list[Interaction]:
        """Pull at a given moment (the org's and the client's clock) and return the exchanges."""
        self.sim.clock = lambda: moment
        gateway, adapter = recording_gateway(self.sim, self.profile)
        options = PullOptions(
            page_size=self.profile.page_size, overlap=_overlap(self.profile), clock=lambda: moment, full=full
        )
        try:
            pull(gateway, self.store, org=self.profile.name, objects=objects, options=options, command="record")
        except SfbridgeError:
            if not expect_failure:
                raise
        else:
            if expect_failure:
                msg = "the scenario was meant to fail but the pull succeeded"
                raise AssertionError(msg)
        return adapter.recorded

    def ask(self, moment: datetime, call: Callable[[SalesforceGateway], object]) -> list[Interaction]:
        """Record one more question asked of the org at a moment (its login exchanges left out)."""
        self.sim.clock = lambda: moment
        gateway, adapter = recording_gateway(self.sim, self.profile)
        call(gateway)
        # The question alone: the token exchange and the resource list a session starts with are the login's.
        resources = f"/services/data/v{self.profile.api_version}/"
        return [item for item in adapter.recorded if "/oauth2/" not in item.url and not item.url.endswith(resources)]


def recording_gateway(sim: SimulatedOrg, profile: OrgProfile) -> tuple[SalesforceGateway, RecordingAdapter]:
    """A gateway talking to a simulated org through an adapter that keeps every exchange (retries do not wait)."""
    adapter = RecordingAdapter(sim)
    session = TimeoutSession(connect_timeout=5, read_timeout=5, usage=ApiUsage())
    session.mount("https://", adapter)
    return SalesforceGateway(profile, SECRETS, session=session, sleep=lambda _s: None), adapter


def _overlap(profile: OrgProfile) -> timedelta:
    return timedelta(seconds=profile.overlap_seconds)


def client_credentials_profile(instance_url: str, **overrides: Any) -> OrgProfile:  # noqa: ANN401
    """The profile recordings log in with (client credentials on the org's My Domain)."""
    values: dict[str, Any] = {
        "name": "recording",
        "auth": AuthMethod.CLIENT_CREDENTIALS,
        "login_url": instance_url,
        "consumer_key": "recorded",
        "network": {"backoff_initial": 0.0, "backoff_max": 0.0, "max_attempts": 3},
    }
    values.update(overrides)
    return OrgProfile.model_validate(values)


def new_store(folder: Path) -> Store:
    """A fresh SQLite store for a recording run."""
    return Store.open(str(folder / "recording.db"))


def main(argv: Sequence[str] | None = None) -> None:
    """Re-record the demo org and/or the test scenarios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="re-record the demo org")
    parser.add_argument("--scenarios", action="store_true", help="re-record the test scenarios")
    args = parser.parse_args(argv)
    both = not (args.demo or args.scenarios)
    with tempfile.TemporaryDirectory(prefix="sfbridge-record-") as folder:
        if args.demo or both:
            from sfbridge_tools.record_demo import record_demo  # noqa: PLC0415 (needs Faker)

            record_demo(DEMO_DIR, Path(folder))
        if args.scenarios or both:
            from sfbridge_tools.record_auth import record_auth  # noqa: PLC0415
            from sfbridge_tools.record_inputs import record_inputs  # noqa: PLC0415
            from sfbridge_tools.record_scenarios import record_scenarios  # noqa: PLC0415

            describes = load_describes(DEMO_DIR / "describe")
            record_scenarios(SCENARIO_DIR, Path(folder), describes=describes)
            record_auth(SCENARIO_DIR, describes=describes)
            record_inputs(SCENARIO_DIR, describes=describes)


def save(path: Path, interactions: list[Interaction], *, description: str, recorded_at: datetime) -> None:
    """Write one cassette."""
    save_cassette(path, interactions, description=description, recorded_at=recorded_at)


if __name__ == "__main__":
    main()
