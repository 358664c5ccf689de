"""The org's people and settings: Users, queues and groups, LeadStatus values.

All of it is small, so it is built eagerly and kept as finished records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sfbridge_tools.synthetic.clock import DAY, HOUR, MINUTE, rest_datetime
from sfbridge_tools.synthetic.idgen import IdMint
from sfbridge_tools.synthetic.pools import NamePool
from sfbridge_tools.synthetic.shape import OrgShape
from sfbridge_tools.synthetic.vocab import LEAD_STATUSES, OWN_COMPANY

__all__ = ["Staff", "build_staff"]

_OWN_DOMAIN = OWN_COMPANY[1]
# fmt: off
_QUEUES = (
    "Inbound Leads Queue", "Partner Leads Queue", "EMEA Leads Queue", "APAC Leads Queue",
    "Enterprise Leads Queue", "SMB Leads Queue", "Webinar Leads Queue", "Trade Show Leads Queue",
    "Reactivation Queue", "LatAm Leads Queue",
)
_REGULAR_GROUPS = ("All Sales Reps", "Marketing Team")
# Where staff live: name pool, TimeZoneSidKey and LocaleSidKey values, and a weight.
_HOMES = (
    ("US", "America/Los_Angeles", "en_US", 3), ("US", "America/Chicago", "en_US", 2),
    ("US", "America/New_York", "en_US", 3), ("US", "America/Denver", "en_US", 1),
    ("GB", "Europe/London", "en_GB", 2), ("DE", "Europe/Berlin", "de_DE", 1),
    ("FR", "Europe/Paris", "fr_FR", 1), ("AU", "Australia/Sydney", "en_AU", 1),
)
_REP_TITLES = ("Account Executive", "Account Executive", "Sales Development Rep", "Inside Sales Rep")
# fmt: on

# Profile and role names index into the org's Profile/UserRole Id counters.
_PROFILES = {"admin": 0, "standard": 1, "sales": 2, "marketing": 3, "integration": 4}
_ROLES = {"vp": 0, "manager": 1, "rep": 2, "marketing": 3, "ops": 4}


@dataclass(frozen=True, slots=True)
class Staff:
    """Users, groups and lead statuses of the org, plus the owner draws the generator uses.

    Attributes:
        org_id: the Organization Id (00D).
        org_created: epoch seconds the org was created.
        users: User records in Id order.
        groups: Group records (queues first).
        statuses: LeadStatus records in SortOrder.
        integration: the API user sfbridge logs in as.
        automation: the marketing-automation user whose syncs bump LastModifiedDate.
        admin: the system administrator (imports, settings).
        owners: active sales users, repeated by workload (uneven on purpose).
        former: inactive users (former reps).
        queues: lead queue Ids.
        managers: sales managers' Ids.
    """

    org_id: str
    org_created: int
    users: tuple[dict[str, Any], ...]
    groups: tuple[dict[str, Any], ...]
    statuses: tuple[dict[str, Any], ...]
    integration: str
    automation: str
    admin: str
    owners: tuple[str, ...]
    former: tuple[str, ...]
    queues: tuple[str, ...]
    managers: tuple[str, ...]


def _roles(shape: OrgShape, rng: random.Random) -> list[str]:
    """Return each user's role: three system users, managers, reps; some reps are former staff."""
    reps = shape.users - 3 - max(1, (shape.users - 3) // 9)
    roles = ["integration", "automation", "admin"] + ["manager"] * (shape.users - 3 - reps) + ["rep"] * reps
    former = rng.sample(range(shape.users - reps, shape.users), min(shape.inactive_users, reps - 1))
    for index in former:
        roles[index] = "former"
    extra = shape.inactive_users - len(former)  # a tiny org may also have lost managers
    for index in range(3, 3 + extra):
        roles[index] = "former"
    return roles


def _person(rng: random.Random, pools: dict[str, NamePool], index: int) -> tuple[str, str, str, str]:
    homes = [h for h in _HOMES for _ in range(h[3])]
    pool_code, tz, locale, _ = homes[rng.randrange(len(homes))]
    pool = pools[pool_code]
    first = (
        pool.female[rng.randrange(len(pool.female))] if rng.random() < 0.5 else pool.male[rng.randrange(len(pool.male))]  # noqa: PLR2004
    )
    last = pool.last[(index * 37) % len(pool.last)]
    return first.plain, last.plain, tz, locale


_SYSTEM_NAMES = {
    "integration": ("sfbridge", "Integration", "America/Los_Angeles", "en_US"),
    "automation": ("Marketing", "Automation", "America/New_York", "en_US"),
}
_TITLES = {
    "integration": "API Integration",
    "automation": "Marketing Automation Sync",
    "admin": "Salesforce Administrator",
    "manager": "Sales Manager",
}
_DEPARTMENTS = {"integration": "IT", "admin": "IT", "automation": "Marketing"}


def _times(ctx: dict[str, Any], rng: random.Random, index: int, role: str) -> tuple[int, int, int]:
    """Return (created, last login, last modified): former staff stopped logging in long ago."""
    now, created = ctx["now"], ctx["created"][index]
    if role == "former":
        login = now - rng.randrange(40 * DAY, 400 * DAY)
        return created, login, max(created, login - rng.randrange(DAY))
    login = now - (10 * MINUTE if role == "integration" else rng.randrange(HOUR, 6 * DAY))
    return created, login, created + (now - created) // 3


def _hierarchy(ctx: dict[str, Any], record: dict[str, Any], index: int, role: str) -> None:
    """Set role and manager: reps report to managers, managers to the VP of Sales."""
    mint = ctx["mint"]
    record["UserRoleId"] = mint["UserRole"](_ROLES["manager" if role == "manager" else "rep"])
    managers = [m for m in ctx["managers"] if m != index]
    if managers:
        record["ManagerId"] = mint["User"](managers[0] if role == "manager" else managers[index % len(managers)])
    if role == "manager" and index == ctx["managers"][0]:
        record["Title"] = "VP of Sales"


def _user(ctx: dict[str, Any], rng: random.Random, index: int, role: str) -> dict[str, Any]:
    mint = ctx["mint"]
    first, last, tz, locale = _SYSTEM_NAMES.get(role) or _person(rng, ctx["pools"], index)
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    created, login, modified = _times(ctx, rng, index, role)
    title = _TITLES.get(role) or _REP_TITLES[rng.randrange(len(_REP_TITLES))]
    record = {
        "Id": mint["User"](index), "Username": f"{local}@{_OWN_DOMAIN}", "LastName": last, "FirstName": first,
        "Name": f"{first} {last}", "CompanyName": OWN_COMPANY[0], "Title": title,
        "Department": _DEPARTMENTS.get(role, "Sales"), "Email": f"{local}@{_OWN_DOMAIN}",
        "Alias": (first[:1] + last).lower().replace(" ", "")[:8], "CommunityNickname": local[:40],
        "IsActive": role != "former", "TimeZoneSidKey": tz, "LocaleSidKey": locale, "EmailEncodingKey": "UTF-8",
        "LanguageLocaleKey": "en_US", "UserType": "Standard",
        "ProfileId": mint["Profile"](_PROFILES.get(role, _PROFILES["sales"])), "EmployeeNumber": f"E{1040 + index * 7}",
        "LastLoginDate": rest_datetime(login), "CreatedDate": rest_datetime(created), "CreatedById": mint["User"](2),
        "LastModifiedDate": rest_datetime(modified), "LastModifiedById": mint["User"](2),
        "SystemModstamp": rest_datetime(max(modified, login) if role != "former" else modified),
    }  # fmt: skip
    if role in {"manager", "rep", "former"}:
        _hierarchy(ctx, record, index, role)
    return record


def _groups(shape: OrgShape, mint: dict[str, IdMint], org_id: str, created: int) -> tuple[dict[str, Any], ...]:
    names = [
        _QUEUES[i % len(_QUEUES)] + (f" {i // len(_QUEUES) + 1}" if i >= len(_QUEUES) else "")
        for i in range(shape.queues)
    ]
    rows = []
    for index, name in enumerate(names + list(_REGULAR_GROUPS)):
        queue = index < shape.queues
        stamp = rest_datetime(created + index * HOUR)
        row = {
            "Id": mint["Group"](index),
            "Name": name,
            "DeveloperName": name.replace(" ", "_"),
            "Type": "Queue" if queue else "Regular",
            "OwnerId": org_id,
            "DoesSendEmailToMembers": queue,
            "DoesIncludeBosses": not queue,
            "CreatedDate": stamp,
            "CreatedById": mint["User"](2),
            "LastModifiedDate": stamp,
            "LastModifiedById": mint["User"](2),
            "SystemModstamp": stamp,
        }
        if queue:
            row["Email"] = name.lower().replace(" queue", "").replace(" ", "-") + "@" + _OWN_DOMAIN
        rows.append(row)
    return tuple(rows)


def _statuses(mint: dict[str, IdMint], created: int) -> tuple[dict[str, Any], ...]:
    rows = []
    for order, (value, default, converted) in enumerate(LEAD_STATUSES, start=1):
        # The two qualified stages were added to the default picklist a year after go-live.
        stamp = rest_datetime(created + (400 * DAY if value.endswith("Qualified") else DAY))
        rows.append(
            {
                "Id": mint["LeadStatus"](order - 1),
                "MasterLabel": value,
                "ApiName": value,
                "SortOrder": order,
                "IsDefault": default,
                "IsConverted": converted,
                "CreatedById": mint["User"](2),
                "CreatedDate": stamp,
                "LastModifiedById": mint["User"](2),
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
            }
        )
    return tuple(rows)


def build_staff(
    shape: OrgShape, rng: random.Random, mint: dict[str, IdMint], pools: dict[str, NamePool], now: int
) -> Staff:
    """Build Users, groups and lead statuses.

    Args:
        shape: user and queue counts.
        rng: the org stream.
        mint: Id mints by object.
        pools: name pools, for the staff's names.
        now: the snapshot, epoch seconds.

    Returns:
        The staff.
    """
    org_created = now - 2_300 * DAY
    roles = _roles(shape, rng)
    created = sorted(org_created + rng.randrange(DAY, 2_200 * DAY) for _ in roles)
    created[:3] = [org_created + 2 * HOUR, org_created + 200 * DAY, org_created + HOUR]
    managers = [index for index, role in enumerate(roles) if role == "manager"] or [2]
    ctx = {"mint": mint, "now": now, "created": created, "pools": pools, "managers": managers}
    users = tuple(_user(ctx, rng, index, role) for index, role in enumerate(roles))
    by_role = {role: [u["Id"] for u, r in zip(users, roles, strict=True) if r == role] for role in sorted(set(roles))}
    reps = by_role.get("rep", [])
    weights = [max(1, round(12 / (rank + 1) ** 0.7)) for rank in range(len(reps))]
    owners = [rep for rep, weight in zip(reps, weights, strict=True) for _ in range(weight)]
    owners += by_role.get("manager", [])
    org_id = mint["Organization"](0)
    return Staff(
        org_id=org_id,
        org_created=org_created,
        users=users,
        groups=_groups(shape, mint, org_id, org_created + DAY),
        statuses=_statuses(mint, org_created),
        integration=users[0]["Id"],
        automation=users[1]["Id"],
        admin=users[2]["Id"],
        owners=tuple(owners),
        former=tuple(by_role.get("former", [])),
        queues=tuple(mint["Group"](i) for i in range(shape.queues)),
        managers=tuple(by_role.get("manager", [])),
    )
