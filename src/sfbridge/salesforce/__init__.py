"""The connect stage: auth flows and one gateway over simple-salesforce.

Use :func:`connect` to get a :class:`SalesforceGateway` for an org profile; nothing else in
sfbridge talks to Salesforce.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from requests.adapters import BaseAdapter

from sfbridge.config import OrgProfile
from sfbridge.credentials import Secrets
from sfbridge.salesforce.gateway import Identity, SalesforceGateway
from sfbridge.salesforce.replay import ReplayAdapter, load_cassette, resolve_recording
from sfbridge.salesforce.session import ApiUsage, TimeoutSession

__all__ = ["ApiUsage", "Identity", "SalesforceGateway", "connect", "replay_transport"]


def replay_transport(profile: OrgProfile, *, config_dir: Path = Path()) -> ReplayAdapter:
    """Build the transport that answers a replayed profile from its recording.

    One transport replays a recording once, in order; several runs in one process (the
    demo's two pulls) share it so each picks up where the previous stopped.
    """
    if not profile.replay:
        msg = f"org {profile.name!r} is not a replayed org"
        raise ValueError(msg)
    cassette = load_cassette(resolve_recording(profile.replay, relative_to=config_dir))
    return ReplayAdapter(cassette.interactions)


def connect(
    profile: OrgProfile,
    secrets: Secrets,
    *,
    config_dir: Path = Path(),
    sleep: Callable[[float], None] = time.sleep,
    transport: BaseAdapter | None = None,
) -> SalesforceGateway:
    """Build the gateway for one org (no request is sent until the first call).

    A profile with ``replay`` set answers from its recording through a replay transport: the
    same gateway, auth and pull code run, without network or credentials.

    Args:
        profile: the org profile.
        secrets: its credentials.
        config_dir: the folder relative ``replay`` paths are read from.
        sleep: how retries wait.
        transport: a requests transport to use instead of the network (replays, benchmarks).

    Returns:
        The gateway.
    """
    network = profile.network
    session = TimeoutSession(
        connect_timeout=network.connect_timeout,
        read_timeout=network.read_timeout,
        usage=ApiUsage(),
    )
    if transport is None and profile.replay:
        transport = replay_transport(profile, config_dir=config_dir)
    if transport is not None:
        session.mount("https://", transport)
    return SalesforceGateway(profile, secrets, session=session, sleep=sleep)
