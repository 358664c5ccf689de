"""Everything a record stream needs to derive a record from its index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sfbridge_tools.synthetic.clock import DAY
from sfbridge_tools.synthetic.seeding import mix

if TYPE_CHECKING:
    from sfbridge_tools.synthetic.idgen import IdMint
    from sfbridge_tools.synthetic.layout import Layout
    from sfbridge_tools.synthetic.org import Staff
    from sfbridge_tools.synthetic.people import Directory
    from sfbridge_tools.synthetic.shape import OrgShape

__all__ = ["OrgContext"]

_OLDEST_ACCOUNT_DAYS = 2_000
_NEWEST_ACCOUNT_DAYS = 45


@dataclass(frozen=True, slots=True)
class OrgContext:
    """The org-wide, read-only state shared by every stream.

    Attributes:
        seed: the generation seed.
        now: the snapshot, epoch seconds.
        shape: record counts.
        layout: per-record facts and planted specs.
        staff: users, groups, statuses.
        directory: name pools, companies and number spaces.
        mint: Id mints by object name.
    """

    seed: int
    now: int
    shape: OrgShape
    layout: Layout
    staff: Staff
    directory: Directory
    mint: dict[str, IdMint]

    def account_created(self, account: int) -> int:
        """Return when Account `account` was created: older Accounts have lower indexes."""
        share = (account + 0.5) / self.shape.accounts
        days = _NEWEST_ACCOUNT_DAYS + (_OLDEST_ACCOUNT_DAYS - _NEWEST_ACCOUNT_DAYS) * (1.0 - share) ** 1.3
        return self.now - int(days * DAY) + (account * 7_919) % 3_600

    def account_owner(self, account: int) -> str:
        """Return the OwnerId of Account `account` (its Contacts mostly share it)."""
        owners = self.staff.owners
        return owners[mix(account, 21) % len(owners)]

    def person_number(self, ref: tuple[str, int]) -> int:
        """Return the person number of a Lead or direct Contact (phone lines, mail tokens)."""
        kind, index = ref
        return index if kind == "L" else self.shape.leads + index
