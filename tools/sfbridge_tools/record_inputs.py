"""The recorded bad-input scenarios (fixtures/http/inputs/): what the org answers to a mistake in the config.

An API version the org does not serve (404 on the versioned resource list, then the version
list), an object name the org does not offer (the global describe the CLI asks for a name
sfbridge does not know), and a known object hidden from the user (its describe answers 404).
The CLI tests replay them to check the exit code and message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sfbridge.errors import SfbridgeError
from sfbridge.pull.object_names import check_objects
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge_tools.record import client_credentials_profile, recording_gateway, save, simulated_org
from sfbridge_tools.record_scenarios import INSTANCE, SCENARIO_SHAPE, SCENARIO_START
from sfbridge_tools.synthetic.generator import generate_org

__all__ = ["record_inputs"]


def record_inputs(out: Path, *, describes: dict[str, dict[str, Any]]) -> None:
    """Write every bad-input cassette under ``out``."""
    org = generate_org(SCENARIO_SHAPE, snapshot=SCENARIO_START)

    def record(
        name: str,
        action: Callable[[SalesforceGateway], object],
        *,
        description: str,
        org_describes: dict[str, dict[str, Any]] = describes,
        **profile: Any,  # noqa: ANN401
    ) -> None:
        sim = simulated_org(
            org_id=org.org_id,
            user_id=org.integration_user_id,
            instance_url=INSTANCE,
            records={},
            describes=org_describes,
            clock=lambda: SCENARIO_START,
        )
        gateway, adapter = recording_gateway(sim, client_credentials_profile(INSTANCE, **profile))
        with contextlib.suppress(SfbridgeError):  # the mistakes end in errors: the exchanges are what is kept
            action(gateway)
        save(out / f"{name}.json", adapter.recorded, description=description, recorded_at=SCENARIO_START)

    record(
        "inputs/api_version_not_served",
        lambda gateway: gateway.identity(),
        api_version="67.0",
        description="api_version 67.0 on an org that serves up to 66.0: 404 NOT_FOUND, then the version list",
    )
    hidden = {name: body for name, body in describes.items() if name != "Opportunity"}
    record(
        "inputs/object_not_available",
        lambda gateway: (gateway.identity(), gateway.describe("Opportunity")),
        org_describes=hidden,
        description="Opportunity hidden from the integration user: its describe answers 404 NOT_FOUND",
    )
    record(
        "inputs/unknown_object",
        lambda gateway: (gateway.identity(), check_objects(["Leed"], gateway.sobject_names)),
        description="--objects Leed: a name sfbridge does not know is looked up in the global describe",
    )
