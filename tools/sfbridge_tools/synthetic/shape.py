"""The size of a synthetic org: how many records of each kind to generate."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEMO_SHAPE", "OrgShape", "shape_for_records"]

# The integration user, the marketing-automation user and one admin are always active and own
# no leads, so an org needs at least one more active user to act as a sales rep.
_SYSTEM_USERS = 3


@dataclass(frozen=True, slots=True)
class OrgShape:
    """Record counts of a synthetic org.

    Attributes:
        leads: Lead records.
        contacts: Contact records (including those created by lead conversion).
        accounts: Account records.
        users: User records, active and inactive.
        inactive_users: how many of `users` are deactivated (former employees).
        queues: lead queues (Group records with Type = Queue).
    """

    leads: int
    contacts: int
    accounts: int
    users: int
    inactive_users: int
    queues: int

    def __post_init__(self) -> None:
        """Reject shapes no org could have."""
        for name in ("leads", "contacts", "accounts", "users", "inactive_users", "queues"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                msg = f"OrgShape.{name} must be a non-negative int, got {value!r}"
                raise ValueError(msg)
        if self.users - self.inactive_users <= _SYSTEM_USERS:
            msg = f"OrgShape needs more than {_SYSTEM_USERS} active users (one must be a sales rep)"
            raise ValueError(msg)
        if self.accounts < 1 or self.queues < 1:
            msg = "OrgShape needs at least one account and one queue"
            raise ValueError(msg)


DEMO_SHAPE = OrgShape(leads=1000, contacts=600, accounts=200, users=30, inactive_users=5, queues=2)


def shape_for_records(n: int) -> OrgShape:
    """Return a benchmark shape with about `n` Leads, Contacts and Accounts in total.

    Leads are 60%, Contacts 35% and Accounts 5% of `n` (the mix the performance budget names);
    users grow gently (one per 2,000 records, at least 30, a sixth of them inactive) and so
    do queues.

    Args:
        n: total Lead + Contact + Account records, at least 20.

    Returns:
        The shape.

    Raises:
        ValueError: when `n` is below 20.

    >>> shape_for_records(1_000_000)
    OrgShape(leads=600000, contacts=350000, accounts=50000, users=500, inactive_users=83, queues=4)
    """
    if n < 20:  # noqa: PLR2004 (below this the 5% account share rounds to nothing)
        msg = f"shape_for_records needs n >= 20, got {n}"
        raise ValueError(msg)
    leads = n * 60 // 100
    contacts = n * 35 // 100
    users = max(30, n // 2000)
    return OrgShape(
        leads=leads,
        contacts=contacts,
        accounts=n - leads - contacts,
        users=users,
        inactive_users=max(5, users // 6),
        queues=min(10, 2 + n // 400_000),
    )
