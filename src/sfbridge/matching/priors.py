"""The hand-set match weights: the prior of the learned model, and the whole model for tiny orgs.

Each level carries a weight: log2 of how much more often it is seen between two records of
one person than between two different people who share a blocking key. Weights add up with a
prior, and the sum becomes a probability (2^w / (1 + 2^w)). So one shared valid email (+13)
outweighs a typo in a surname, a shared phone (+9) needs the name to agree too, two different
given names (-15) keep apart relatives sharing a home phone or colleagues sharing a
switchboard, and a shared home address (+6) with the same name (+9) makes one person even
without an email or phone. They were set by hand from these odds; :mod:`~sfbridge.matching.model` learns
each org's own from its records and uses these as its starting point and prior.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CANDIDATE_PRIOR", "COMPARISONS", "WEIGHTS"]

#: The log2 odds that two people sharing a blocking key are one, before looking at fields.
CANDIDATE_PRIOR = -9.0

#: Weight of each agreement level, per compared field.
WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "first": {
        "same": 4.0,
        "nickname": 3.0,
        "partial": 2.0,
        "typo": 2.0,
        "initial": 1.0,
        "weak": -3.0,
        "different": -15.0,
        "missing": 0.0,
    },
    "last": {
        "same": 5.0,
        "partial": 3.0,
        "typo": 3.0,
        "initial": 0.5,
        "weak": -2.0,
        "different": -6.0,
        "missing": 0.0,
    },
    "email": {"same": 13.0, "typo": 6.0, "different": -1.5, "missing": 0.0},
    "phone": {"same": 9.0, "different": -1.0, "missing": 0.0},
    "birthdate": {"same": 7.0, "similar": 2.0, "different": -4.0, "missing": 0.0},
    "country": {"same": 0.0, "similar": 0.0, "different": -1.5, "missing": 0.0},
    # Where the two work or live, as one comparison (see compare._with_place): colleagues
    # share an employer and its address, so among candidates that says little; a shared home
    # address (no shared employer) says much more.
    "place": {
        "employer_address": 1.5,
        "employer": 0.5,
        "address": 6.0,
        "other_employer": -1.5,
        "other_address": -6.0,
        "postcode": 2.0,
        "city": 1.0,
        "different": -2.0,
        "missing": 0.0,
    },
}

#: The comparisons, in the order explanations list them.
COMPARISONS: tuple[str, ...] = tuple(WEIGHTS)
