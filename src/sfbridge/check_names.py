"""The names of the health checks, in report order, without loading the checks themselves.

``sfbridge <cmd> --help`` lists them under ``--checks``; importing :mod:`sfbridge.checks`
for that would load polars, phonenumbers and the matching engine (~2 s, ~300 MB) just to
print a line of help. ``tests/test_help.py`` holds this list equal to the registry's.
"""

from __future__ import annotations

__all__ = ["CHECK_NAMES"]

#: Every check's name, in the order of :data:`sfbridge.checks.CHECKS`.
CHECK_NAMES: tuple[str, ...] = (
    "stale_lead",
    "never_touched_lead",
    "missing_lead_source",
    "inactive_owner",
    "queue_aging",
    "premature_conversion",
    "junk_lead",
    "duplicate",
    "lead_is_existing_contact",
    "lead_matches_account",
    "orphan_contact",
    "bounced_email",
    "invalid_email",
    "invalid_phone",
    "phone_format",
    "ready_to_convert",
)
