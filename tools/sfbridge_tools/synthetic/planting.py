"""Which records carry planted problems, hard negatives and duplicates, at realistic rates.

Rates are shares of the org's leads (or contacts); below 200 leads they round down to zero,
from 200 up every kind is planted at least once. Assignment is round-robin over reasons and
recipes, so every reason appears at the demo shape; which record gets which is random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import cycle, islice
from typing import TYPE_CHECKING, Any

from sfbridge_tools.synthetic.vocab import UNMAPPED_UTM, UTM_TO_SOURCE

if TYPE_CHECKING:
    from array import array
    from collections.abc import Iterator

    from sfbridge_tools.synthetic.layout import Layout
    from sfbridge_tools.synthetic.shape import OrgShape

__all__ = ["JUNK_REASONS", "PREMATURE_FLAGS", "RECIPES", "Plant", "PlantPlan", "Ref", "plan_plants"]

Ref = tuple[str, int]  # ("L", lead index) or ("C", contact index)

# fmt: off
_LEAD_RATES: tuple[tuple[str, str, float], ...] = (
    ("stale", "plain", 0.008), ("stale_never", "plain", 0.005), ("never", "plain", 0.007),
    ("queue_old", "plain", 0.010), ("queue_recent", "plain", 0.005), ("inactive_owner", "plain", 0.010),
    ("fresh", "missing_source", 0.012), ("premature", "premature", 0.012), ("fresh", "matches_account", 0.010),
    ("fresh", "bounced", 0.008), ("fresh", "invalid_email", 0.008), ("fresh", "invalid_phone", 0.008),
    ("fresh", "email_negative", 0.004), ("fresh", "phone_negative", 0.004),
)
_CONTACT_RATES = (("orphan", 0.02), ("missing_source", 0.01), ("bounced", 0.01), ("invalid_email", 0.01),
                  ("invalid_phone", 0.01))
_JUNK_RATE, _LEAD_CLUSTERS, _MIXED_CLUSTERS, _CONTACT_CLUSTERS, _HARD_PAIRS = 0.003, 0.010, 0.010, 0.015, 0.010

JUNK_REASONS = ("competitor", "student", "job_seeker", "test_record", "disposable_email", "internal_employee")
PREMATURE_FLAGS = ("no_qualified", "too_fast", "no_activity", "low_score", "blank:Email", "blank:Phone", "blank:Title")
RECIPES = ("email_case", "gmail", "nickname", "transposed", "accents", "typo", "phone_format", "company_suffix",
           "missing_email")
_HARD_KINDS = ("same_name_other_company", "shared_switchboard", "relatives_home_phone", "freemail_vs_business")
_ACCOUNT_MATCH = ("name_without_suffix", "name_other_case", "email_domain")
_SOURCE_GAPS = ("mapped", "none", "unmapped")
# fmt: on


@dataclass(frozen=True, slots=True)
class Plant:
    """A planted problem (or hard negative) on one record.

    Attributes:
        life: lifecycle profile of a Lead: fresh, stale, stale_never, never, queue_old,
            queue_recent, inactive_owner, premature ("contact" for Contacts).
        body: what the record's fields carry: plain, missing_source, junk, matches_account,
            bounced, invalid_email, invalid_phone, email_negative, phone_negative, orphan,
            dup_base, dup_variant, hard_negative, premature.
        arg: details for the body (a recipe, a partner record, a reason...).
    """

    life: str
    body: str
    arg: tuple[Any, ...] = ()


@dataclass(slots=True)
class PlantPlan:
    """Planted records chosen so far; contacts are placed once the contact count is known."""

    leads: dict[int, Plant] = field(default_factory=dict)
    contact_specs: list[Plant] = field(default_factory=list)
    mixed: list[tuple[list[int], list[str]]] = field(default_factory=list)
    contact_clusters: list[list[str]] = field(default_factory=list)
    clusters: list[tuple[Ref, ...]] = field(default_factory=list)
    hard_negatives: list[tuple[Ref, Ref, str]] = field(default_factory=list)
    negatives: dict[str, list[Ref]] = field(default_factory=dict)

    @property
    def contacts_needed(self) -> int:
        """Direct contacts the plan will plant on."""
        return len(self.contact_specs) + len(self.mixed) + sum(1 + len(r) for r in self.contact_clusters)

    def place_contacts(self, direct: int, rng: random.Random) -> dict[int, Plant]:
        """Choose the direct contacts that carry contact plants and wire Lead↔Contact clusters."""
        chosen = iter(rng.sample(range(direct), min(direct, self.contacts_needed)))
        plants: dict[int, Plant] = {}
        for spec in self.contact_specs:
            index = next(chosen, None)
            if index is None:
                return plants
            plants[index] = spec
        for leads, recipes in self.mixed:
            index = next(chosen, None)
            if index is None:
                return plants  # the leads stay plain, clean records
            plants[index] = Plant("contact", "dup_base", (tuple(recipes),))
            for lead, recipe in zip(leads, recipes, strict=True):
                self.leads[lead] = Plant("fresh", "dup_variant", (("C", index), recipe))
            self.clusters.append((("C", index), *(("L", lead) for lead in leads)))
        for recipes in self.contact_clusters:
            members = [next(chosen, None) for _ in range(1 + len(recipes))]
            if None in members:
                return plants
            base, *variants = [m for m in members if m is not None]
            plants[base] = Plant("contact", "dup_base", (tuple(recipes),))
            for variant, recipe in zip(variants, recipes, strict=True):
                plants[variant] = Plant("contact", "dup_variant", (("C", base), recipe))
            self.clusters.append(tuple(("C", m) for m in (base, *variants)))
        return plants

    def finish(self, layout: Layout, slots: array[int], rng: random.Random) -> None:
        """Give account-matching leads a new colleague slot at an Account; copy lists to the layout."""
        extra: dict[int, int] = {}
        for lead, plant in sorted(self.leads.items()):
            if plant.body == "matches_account":
                account = rng.randrange(layout.shape.accounts)
                self.leads[lead] = Plant(plant.life, plant.body, (plant.arg[0], account, slots[account]))
                slots[account] += 1
            elif plant.body == "hard_negative" and plant.arg[0] == "shared_switchboard" and plant.arg[1] == "b":
                company, _ = layout.lead_company(plant.arg[2][1])
                extra[company] = extra.get(company, layout.natural_slots) + 1
                self.leads[lead] = Plant(plant.life, plant.body, (*plant.arg[:3], extra[company]))
        layout.clusters, layout.hard_negatives, layout.negatives = self.clusters, self.hard_negatives, self.negatives


def _count(rate: float, n: int) -> int:
    return max(1, round(rate * n)) if n >= 200 else round(rate * n)  # noqa: PLR2004 (see module docstring)


def _recipes(rng: random.Random, size: int, first: str, *, contacts_only: bool) -> list[str]:
    allowed = [r for r in RECIPES if not (contacts_only and r == "company_suffix")]
    picked = [first] if first in allowed else []
    for recipe in rng.sample(allowed, len(allowed)):
        if len(picked) == size:
            break
        clash = {"nickname", "accents"} <= {*picked, recipe}
        if recipe not in picked and not clash:
            picked.append(recipe)
    return picked


def _arg(body: str, turn: int, rng: random.Random) -> tuple[Any, ...]:
    if body == "missing_source":
        gap = _SOURCE_GAPS[turn % len(_SOURCE_GAPS)]
        utm = {"mapped": sorted(UTM_TO_SOURCE), "unmapped": UNMAPPED_UTM}.get(gap)
        return (gap, utm[rng.randrange(len(utm))] if utm else None)
    if body == "matches_account":
        return (_ACCOUNT_MATCH[turn % len(_ACCOUNT_MATCH)],)
    if body == "premature":
        extra = rng.choices(PREMATURE_FLAGS, k=rng.choice((0, 0, 1, 1, 2)))
        return tuple(sorted({PREMATURE_FLAGS[turn % len(PREMATURE_FLAGS)], *extra}, key=PREMATURE_FLAGS.index))
    return ()


def _cluster_size(rng: random.Random) -> int:
    return rng.choices((1, 2, 3), weights=(6, 3, 1))[0]


def plan_plants(shape: OrgShape, rng: random.Random) -> PlantPlan:
    """Choose planted leads now and the contact plants to place later (see `PlantPlan`)."""
    n = shape.leads
    specs = [
        Plant(life, body, _arg(body, turn, rng)) for life, body, rate in _LEAD_RATES for turn in range(_count(rate, n))
    ]
    specs += [Plant("fresh", "junk", (reason, nth)) for reason in JUNK_REASONS for nth in range(_count(_JUNK_RATE, n))]
    recipe_turn = cycle(RECIPES)
    lead_clusters = [
        _recipes(rng, _cluster_size(rng), next(recipe_turn), contacts_only=False)
        for _ in range(_count(_LEAD_CLUSTERS, n))
    ]
    mixed = [
        _recipes(rng, _cluster_size(rng), next(recipe_turn), contacts_only=False)
        for _ in range(_count(_MIXED_CLUSTERS, n))
    ]
    hard = [_HARD_KINDS[t % len(_HARD_KINDS)] for t in range(_count(_HARD_PAIRS, n))]
    needed = len(specs) + sum(1 + len(r) for r in lead_clusters) + sum(len(r) for r in mixed) + 2 * len(hard)
    chosen = iter(rng.sample(range(n), min(n, needed)))
    plan = PlantPlan()
    _place_specs(plan, chosen, specs)
    _place_lead_clusters(plan, chosen, lead_clusters)
    _place_mixed(plan, chosen, mixed)
    _place_hard_pairs(plan, chosen, hard)
    m = shape.contacts
    plan.contact_specs = [
        Plant("contact", body, _arg(body, turn, rng))
        for body, rate in _CONTACT_RATES
        for turn in range(_count(rate, m))
    ]
    plan.contact_clusters = [
        _recipes(rng, _cluster_size(rng), next(recipe_turn), contacts_only=True)
        for _ in range(_count(_CONTACT_CLUSTERS, m))
    ]
    return plan


_NEGATIVE_OF = {"queue_recent": "queue_aging", "email_negative": "invalid_email", "phone_negative": "invalid_phone"}


def _take(chosen: Iterator[int], count: int) -> list[int] | None:
    """Return the next `count` chosen lead indexes, or None when the org has run out of leads."""
    taken = list(islice(chosen, count))
    return taken if len(taken) == count else None


def _place_specs(plan: PlantPlan, chosen: Iterator[int], specs: list[Plant]) -> None:
    for spec in specs:
        taken = _take(chosen, 1)
        if taken is None:
            return
        plan.leads[taken[0]] = spec
        key = _NEGATIVE_OF.get(spec.life) or _NEGATIVE_OF.get(spec.body)
        if key:
            plan.negatives.setdefault(key, []).append(("L", taken[0]))


def _place_lead_clusters(plan: PlantPlan, chosen: Iterator[int], clusters: list[list[str]]) -> None:
    for recipes in clusters:
        members = _take(chosen, 1 + len(recipes))
        if members is None:
            return
        base, *variants = members
        plan.leads[base] = Plant("fresh", "dup_base", (tuple(recipes),))
        for variant, recipe in zip(variants, recipes, strict=True):
            plan.leads[variant] = Plant("fresh", "dup_variant", (("L", base), recipe))
        plan.clusters.append(tuple(("L", m) for m in members))


def _place_mixed(plan: PlantPlan, chosen: Iterator[int], mixed: list[list[str]]) -> None:
    for recipes in mixed:
        leads = _take(chosen, len(recipes))
        if leads is None:
            return
        for lead in leads:  # placeholders until their Contact is placed
            plan.leads[lead] = Plant("fresh", "plain")
        plan.mixed.append((leads, recipes))


def _place_hard_pairs(plan: PlantPlan, chosen: Iterator[int], kinds: list[str]) -> None:
    for kind in kinds:
        pair = _take(chosen, 2)
        if pair is None:
            return
        a, b = pair
        plan.leads[a] = Plant("fresh", "hard_negative", (kind, "a", ("L", b)))
        plan.leads[b] = Plant("fresh", "hard_negative", (kind, "b", ("L", a)))
        plan.hard_negatives.append((("L", a), ("L", b), kind))
