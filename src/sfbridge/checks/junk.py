"""Junk leads: open leads that are not prospects, each with exactly one reason.

Test records, colleagues, competitors, throwaway addresses, students and job seekers fill
forms too; they inflate lead counts and waste reps' time.

When a lead shows several signs, the first in this priority order is its reason:

1. ``test_record``: a test name in its name or company, or an address at a test domain. It
   is not a person at all, whatever else it says, and the fix differs (delete it).
2. ``internal_employee``: an address at one of the org's own domains.
3. ``competitor``: an address at a competitor's domain.
4. ``disposable_email``: an address at a throwaway-mail service (the maintained
   ``disposable-email-domains`` list plus ``extra_disposable_domains``).
5. ``student``: a student domain suffix (``.edu``) or a student title.
6. ``job_seeker``: a job-seeking phrase in Title, Description or Company.

Test records come first because their fix differs; the org's own lists (2-3) identify a
lead precisely, so they come before the generic list (4), and that before guesses from free
text (5-6). Domains match with their
subdomains (``mail.rival.com`` is ``rival.com``); phrases match case-insensitively as whole
words, any run of spaces matching a space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from disposable_email_domains import blocklist

from sfbridge.checks.context import CheckContext
from sfbridge.checks.registry import Check
from sfbridge.models import Finding
from sfbridge.rules import JunkRules

__all__ = ["CATEGORIES", "CHECKS", "disqualified_reason", "junk_lead"]

_TEXT = pl.Utf8()
_DOMAIN = pl.col("_domain")
_FIELDS = ("FirstName", "LastName", "Company", "Email", "Title", "Description")

#: Junk categories in priority order: a lead showing several gets the first.
CATEGORIES = ("test_record", "internal_employee", "competitor", "disposable_email", "student", "job_seeker")


def disqualified_reason(category: str) -> str:
    """The value a plan writes into ``plan.disqualified_reason_field`` for a junk category.

    >>> disqualified_reason("disposable_email")
    'Disposable email'
    """
    return category.replace("_", " ").capitalize()


_REASONS = {
    "test_record": "Looks like a test record: {field} {shown!r} matches a test pattern.",
    "internal_employee": "Email domain {shown} is the org's own: a colleague, not a lead.",
    "competitor": "Email domain {shown} belongs to a competitor.",
    "disposable_email": "Email domain {shown} is a disposable (throwaway) mail service.",
    "student": "Looks like a student: {field} {shown!r}.",
    "job_seeker": "Looks like a job seeker, not a buyer: {field} says {shown!r}.",
}


@dataclass(frozen=True)
class _Signal:
    """One way a lead shows a category: a test on one field, and the value that shows it."""

    category: str
    field: str
    hit: pl.Expr
    shown: pl.Expr


def _domain_in(domains: Iterable[str]) -> pl.Expr:
    """True when the email domain is one of these domains or a subdomain of one."""
    wanted = {d.strip().lower().lstrip("@").strip(".") for d in domains} - {""}
    by_labels: dict[int, list[str]] = {}
    for domain in wanted:
        by_labels.setdefault(domain.count(".") + 1, []).append(domain)
    # Compare the email domain's last n labels with the listed domains of n labels.
    tests = [
        _DOMAIN.str.extract(rf"((?:[^.]+\.){{{n - 1}}}[^.]+)$").is_in(sorted(group)) for n, group in by_labels.items()
    ]
    return pl.any_horizontal(tests).fill_null(value=False) if tests else pl.lit(value=False)


def _suffix_in(suffixes: Iterable[str]) -> pl.Expr:
    ends = {"." + s.strip().lower().strip(".") for s in suffixes if s.strip(". ")}
    tests = [_DOMAIN.str.ends_with(end) for end in sorted(ends)]
    return pl.any_horizontal(tests).fill_null(value=False) if tests else pl.lit(value=False)


def _phrase_pattern(phrases: Iterable[str]) -> str | None:
    r"""A case-insensitive regex matching any phrase as whole words (None for no phrases).

    >>> _phrase_pattern(["open to work", "n/a"])
    '(?i)(\\bopen\\s+to\\s+work\\b|\\bn/a\\b)'
    """
    parts = []
    for phrase in phrases:
        words = phrase.split()
        if words:
            start = r"\b" if words[0][0].isalnum() else ""
            end = r"\b" if words[-1][-1].isalnum() else ""
            parts.append(start + r"\s+".join(re.escape(word) for word in words) + end)
    return f"(?i)({'|'.join(parts)})" if parts else None


def _phrase_signals(category: str, fields: Iterable[str], phrases: Iterable[str]) -> list[_Signal]:
    pattern = _phrase_pattern(phrases)
    if pattern is None:
        return []
    signals = []
    for field in fields:
        found = pl.col(field).str.extract(pattern, 1)
        signals.append(_Signal(category, field, found.is_not_null(), found))
    return signals


def _signals(rules: JunkRules) -> list[_Signal]:
    disposable = set(blocklist) | set(rules.extra_disposable_domains)
    signals = [
        *_phrase_signals("test_record", ("_name", "Company"), rules.test_names),
        _Signal("test_record", "Email", _domain_in(rules.test_domains), _DOMAIN),
        _Signal("internal_employee", "Email", _domain_in(rules.own_domains), _DOMAIN),
        _Signal("competitor", "Email", _domain_in(rules.competitor_domains), _DOMAIN),
        _Signal("disposable_email", "Email", _domain_in(disposable), _DOMAIN),
        _Signal("student", "Email", _suffix_in(rules.student_domain_suffixes), _DOMAIN),
        *_phrase_signals("student", ("Title",), rules.student_titles),
        *_phrase_signals("job_seeker", ("Title", "Description", "Company"), rules.job_seeker_phrases),
    ]
    return sorted(signals, key=lambda signal: CATEGORIES.index(signal.category))


def _first(signals: list[_Signal], value: str) -> pl.Expr:
    """The category, field or shown value of the first signal that fires (null when none does)."""
    chain: Any = pl
    for number, signal in enumerate(signals):
        then = signal.shown if value == "shown" else pl.lit(getattr(signal, value))
        chain = chain.when(pl.col(f"_hit{number}")).then(then)
    first: pl.Expr = chain.otherwise(pl.lit(None, _TEXT))
    return first


def _junk(ctx: CheckContext) -> list[Finding]:
    leads = ctx.snapshot.frame(
        "Lead", {"Id": _TEXT, "Status": _TEXT, "IsConverted": pl.Boolean()} | dict.fromkeys(_FIELDS, _TEXT)
    )
    leads = leads.filter(ctx.open_lead_filter()).with_columns(
        _domain=pl.col("Email")
        .str.strip_chars()
        .str.to_lowercase()
        .str.extract(r"@([^@\s]+)$")
        .str.strip_chars_end("."),
        _name=pl.concat_str(pl.col("FirstName"), pl.col("LastName"), separator=" ", ignore_nulls=True),
    )
    signals = _signals(ctx.rules.junk)
    if not signals:
        return []
    # Test every signal once over all open leads; pick the first one only on the few that fire.
    hits = {f"_hit{number}": signal.hit.fill_null(value=False) for number, signal in enumerate(signals)}
    flagged = (
        leads.with_columns(**hits)
        .filter(pl.any_horizontal(list(hits)))
        .with_columns(
            _category=_first(signals, "category"), _field=_first(signals, "field"), _shown=_first(signals, "shown")
        )
    )
    return [_finding(ctx, row) for row in flagged.iter_rows(named=True)]


def _finding(ctx: CheckContext, row: dict[str, Any]) -> Finding:
    category, status = row["_category"], ctx.statuses.disqualified
    field = "Name" if row["_field"] == "_name" else row["_field"]
    if category == "test_record":
        action = "Delete the test record" + (f" (or set Status to {status!r})." if status else ".")
    else:
        action = (
            f"Disqualify it: set Status to {status!r}." if status else "Disqualify it (close it as not a prospect)."
        )
    return ctx.finding(
        "junk_lead",
        sobject="Lead",
        record_id=row["Id"],
        reason=_REASONS[category].format(field=field, shown=row["_shown"]),
        suggested_action=action,
        evidence={"category": category, "matched_field": field, "matched_value": row["_shown"], "Status": row["Status"]}
        | {name: row[name] for name in ("Email", "Company", "Title")},
        suggested_values={"Status": status} if status else {},
    )


junk_lead = Check(
    name="junk_lead",
    title="Junk leads",
    explains=(
        "Open leads that are not prospects: test records, colleagues, competitors, disposable addresses, students "
        "and job seekers. Each gets one reason (in that priority order); the fix disqualifies them."
    ),
    run=_junk,
    needs=lambda _rules: {"Lead": frozenset({"Id", "Status", "IsConverted", *_FIELDS})},
)

#: This module's checks, in report order.
CHECKS: tuple[Check, ...] = (junk_lead,)
