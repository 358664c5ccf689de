"""`generate_org`: a deterministic, streaming synthetic Salesforce org.

Records are derived on demand from (seed, object, index), so any object can be streamed at
any size in bounded memory, and two generations with the same shape, seed and snapshot are
byte-identical.
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sfbridge_tools.synthetic.accounts import account_opportunities, account_record, lead_opportunity
from sfbridge_tools.synthetic.activities import contact_tasks, lead_history, lead_tasks
from sfbridge_tools.synthetic.answer_key import build_answer_key
from sfbridge_tools.synthetic.clock import to_epoch
from sfbridge_tools.synthetic.companies import CompanyBook
from sfbridge_tools.synthetic.contact_life import contact_life
from sfbridge_tools.synthetic.contacts import converted_contact, direct_contact
from sfbridge_tools.synthetic.context import OrgContext
from sfbridge_tools.synthetic.identities import lead_identity
from sfbridge_tools.synthetic.idgen import ID_SPACE, IdMint
from sfbridge_tools.synthetic.layout import build_layout
from sfbridge_tools.synthetic.leads import lead_record
from sfbridge_tools.synthetic.lifecycle import build_life
from sfbridge_tools.synthetic.org import build_staff
from sfbridge_tools.synthetic.people import Directory
from sfbridge_tools.synthetic.pools import NamePool, build_name_pools
from sfbridge_tools.synthetic.seeding import Kind, fresh_rng, reseed
from sfbridge_tools.synthetic.shape import OrgShape
from sfbridge_tools.synthetic.streams import contact_streams, lead_streams

__all__ = ["DEFAULT_SEED", "DEFAULT_SNAPSHOT", "INSTANCE_URL", "SyntheticOrg", "generate_org"]

DEFAULT_SEED = 20261102
DEFAULT_SNAPSHOT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
INSTANCE_URL = "https://sfbridge-demo.my.salesforce.com"
_MINTED = (
    "Organization",
    "User",
    "Group",
    "LeadStatus",
    "Lead",
    "Contact",
    "Account",
    "Opportunity",
    "Task",
    "LeadHistory",
    "Profile",
    "UserRole",
)


class SyntheticOrg:
    """A generated org: its identity, record streams per object, and its answer key."""

    def __init__(self, ctx: OrgContext, snapshot: datetime) -> None:
        """Wrap a built context (use `generate_org`)."""
        self._ctx = ctx
        self.org_id: str = ctx.staff.org_id
        self.instance_url: str = INSTANCE_URL
        self.snapshot: datetime = snapshot
        self.integration_user_id: str = ctx.staff.integration
        self.shape: OrgShape = ctx.shape
        self.seed: int = ctx.seed
        self._streams: dict[str, Callable[[], Iterator[dict[str, Any]]]] = {
            "Lead": self._leads,
            "Contact": self._contacts,
            "Account": self._accounts,
            "User": self._users,
            "Group": self._groups,
            "LeadStatus": self._statuses,
            "Opportunity": self._opportunities,
            "Task": self._tasks,
            "LeadHistory": self._history,
        }

    def sobjects(self) -> tuple[str, ...]:
        """Return the objects this org has records of."""
        return tuple(self._streams)

    def records(self, sobject: str) -> Iterator[dict[str, Any]]:
        """Yield an object's records lazily, in Id order.

        Records are sparse: keys are API field names, values REST JSON values; a missing key
        is a null field. Each call starts a fresh, independent stream.

        Raises:
            KeyError: for an object the org does not have.
        """
        stream = self._streams.get(sobject)
        if stream is None:
            msg = f"the synthetic org has no {sobject!r} records (it has {', '.join(self._streams)})"
            raise KeyError(msg)
        return stream()

    def answer_key(self) -> dict[str, Any]:
        """Return the planted problems, duplicate clusters and hard negatives (JSON-serialisable)."""
        return build_answer_key(self._ctx)

    def _leads(self) -> Iterator[dict[str, Any]]:
        ctx = self._ctx
        for index, life_rng, body_rng in lead_streams(ctx, bodies=True):
            life = build_life(ctx, life_rng, index)
            yield lead_record(ctx, body_rng, index, life, lead_identity(ctx, body_rng, index, life))

    def _contacts(self) -> Iterator[dict[str, Any]]:
        ctx, rng = self._ctx, fresh_rng()
        for index, life_rng, body_rng in contact_streams(ctx, bodies=True):
            yield direct_contact(ctx, life_rng, body_rng, index)
        for rank, lead in enumerate(ctx.layout.conv_leads):
            reseed(rng, ctx.seed, Kind.LEAD, lead)
            life = build_life(ctx, rng, lead)
            record = lead_record(ctx, rng, lead, life, lead_identity(ctx, rng, lead, life))
            yield converted_contact(ctx, rank, record, life)

    def _accounts(self) -> Iterator[dict[str, Any]]:
        ctx, rng = self._ctx, fresh_rng()
        for index in range(ctx.shape.accounts):
            yield account_record(ctx, reseed(rng, ctx.seed, Kind.ACCOUNT, index), index)

    def _users(self) -> Iterator[dict[str, Any]]:
        yield from (dict(r) for r in self._ctx.staff.users)

    def _groups(self) -> Iterator[dict[str, Any]]:
        yield from (dict(r) for r in self._ctx.staff.groups)

    def _statuses(self) -> Iterator[dict[str, Any]]:
        yield from (dict(r) for r in self._ctx.staff.statuses)

    def _opportunities(self) -> Iterator[dict[str, Any]]:
        ctx, rng, opp_rng = self._ctx, fresh_rng(), fresh_rng()
        for rank, lead in enumerate(ctx.layout.conv_leads):
            life = build_life(ctx, reseed(rng, ctx.seed, Kind.LEAD, lead), lead)
            if life.opportunity:
                yield lead_opportunity(ctx, reseed(opp_rng, ctx.seed, Kind.LEAD_OPP, rank), life)
        for index in range(ctx.shape.accounts):
            yield from account_opportunities(ctx, reseed(rng, ctx.seed, Kind.ACCOUNT_OPP, index), index)

    def _tasks(self) -> Iterator[dict[str, Any]]:
        ctx = self._ctx
        for index, life_rng, _ in lead_streams(ctx, bodies=False):
            yield from lead_tasks(ctx, index, build_life(ctx, life_rng, index))
        for index, life_rng, _ in contact_streams(ctx, bodies=False):
            yield from contact_tasks(ctx, index, contact_life(ctx, life_rng, index))

    def _history(self) -> Iterator[dict[str, Any]]:
        ctx = self._ctx
        for index, life_rng, _ in lead_streams(ctx, bodies=False):
            yield from lead_history(ctx, index, build_life(ctx, life_rng, index))


@functools.lru_cache(maxsize=4)
def _name_pools(seed: int) -> dict[str, NamePool]:
    # Pools depend on the seed alone and are read-only: building them (Faker) is the slowest
    # step of a small org, so repeated generations in one process share them.
    return build_name_pools(reseed(fresh_rng(), seed, Kind.POOLS, 0))


def _mints(rng: random.Random) -> dict[str, IdMint]:
    pod = rng.choice(string.digits[1:]) + rng.choice(string.ascii_uppercase)
    return {name: IdMint(name, pod=pod, start=rng.randrange(ID_SPACE // 2)) for name in _MINTED}


def generate_org(shape: OrgShape, *, seed: int = DEFAULT_SEED, snapshot: datetime = DEFAULT_SNAPSHOT) -> SyntheticOrg:
    """Build a synthetic org; records are generated only when streamed.

    Args:
        shape: record counts.
        seed: any int; the same shape, seed and snapshot give byte-identical records.
        snapshot: the org's "now" (aware); every date in the data is before it.

    Returns:
        The org.

    Raises:
        ValueError: when `snapshot` is naive.
    """
    now = to_epoch(snapshot)
    moment = datetime.fromtimestamp(now, UTC)
    org_rng = reseed(fresh_rng(), seed, Kind.ORG, 0)
    mint = _mints(org_rng)
    pools = _name_pools(seed)
    layout = build_layout(shape, reseed(fresh_rng(), seed, Kind.LAYOUT, 0))
    surnames = [name.text for code in ("US", "GB", "DE", "NL", "IT") for name in pools[code].last]
    companies = CompanyBook(shape.accounts + layout.lead_companies, reseed(fresh_rng(), seed, Kind.POOLS, 1), surnames)
    directory = Directory(pools=pools, companies=companies, people=shape.leads + shape.contacts)
    staff = build_staff(shape, org_rng, mint, pools, now)
    ctx = OrgContext(seed=seed, now=now, shape=shape, layout=layout, staff=staff, directory=directory, mint=mint)
    return SyntheticOrg(ctx, moment)
