"""Placeholder values: what people type when they have nothing to type, read as missing.

Web-to-lead fills a blank Company with ``[not provided]``; reps type "N/A", "Unknown" or
"none" to get past a required field, ``none@none.com`` or ``noemail@…`` for an email, and
"Test Lead" or "Mickey Mouse" for a name when they try a form.
Thousands of unrelated records share such a value, so it says nothing about who a person
is: a placeholder is never a blocking key and never a reason to match. Each list is a
setting (``[duplicates]`` in rules.toml) with these defaults; companies are compared folded
(case, accents and punctuation ignored, so ``[Not Provided]`` is ``not provided``), names
likewise (a first or last name alone, or the whole name), emails as glob patterns on the
trimmed, lower-cased address. A real surname such as "Sample" or "Tester" is not on the list:
a wrong placeholder hides evidence, while the junk check reports test records by its own rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from sfbridge.matching.fold import fold, fold_expr

__all__ = ["DEFAULT_COMPANIES", "DEFAULT_EMAILS", "DEFAULT_FULL_NAMES", "DEFAULT_NAMES", "Placeholders"]

#: Company values that mean "no company" (folded before comparing).
DEFAULT_COMPANIES: tuple[str, ...] = (
    "[not provided]",  # Salesforce web-to-lead's own placeholder for a blank required Company
    "not provided",
    "n/a",
    "na",
    "none",
    "unknown",
    "-",
    "null",
    "nil",
    "test",
    "self",
    "self employed",
    "individual",
    "private",
    "personal",
    "no company",
    "not applicable",
    "tbd",
    "unemployed",
)

#: First or last names that mean "no name".
DEFAULT_NAMES: tuple[str, ...] = (
    "test",
    "testing",
    "asdf",
    "qwerty",
    "xxx",
    "unknown",
    "n/a",
    "na",
    "none",
    "null",
    "noname",
    "no name",
    "dummy",
    "fake",
    "lead",
    "contact",
    "customer",
    "user",
)

#: Whole names (first and last together) that mean "no name".
DEFAULT_FULL_NAMES: tuple[str, ...] = (
    "mickey mouse",
    "donald duck",
    "foo bar",
    "john doe",
    "jane doe",
)

#: Email glob patterns that mean "no email" (lower case).
DEFAULT_EMAILS: tuple[str, ...] = (
    "none@*",
    "noemail@*",
    "no.email@*",
    "no-email@*",
    "nomail@*",
    "noreply@*",
    "no-reply@*",
    "donotreply@*",
    "unknown@*",
    "na@*",
    "n/a@*",
    "null@*",
    "test@test.com",
    "*@none.com",
    "*@noemail.com",
    "*@nomail.com",
    "*@no-email.com",
    "*@unknown.com",
    "?@?.com",  # a@a.com, x@x.com
)


@dataclass(frozen=True)
class Placeholders:
    """The placeholder companies and emails of an org.

    Attributes:
        companies: company values read as blank, any case or punctuation.
        emails: email glob patterns (``*`` any text, ``?`` one character) read as blank.
        names: first or last names read as blank.
        full_names: whole names (first and last) read as blank.
    """

    companies: tuple[str, ...] = DEFAULT_COMPANIES
    emails: tuple[str, ...] = DEFAULT_EMAILS
    names: tuple[str, ...] = DEFAULT_NAMES
    full_names: tuple[str, ...] = DEFAULT_FULL_NAMES

    def folded_companies(self) -> list[str]:
        """The company placeholders folded (``[Not Provided]`` → ``not provided``); "-" folds to nothing."""
        return sorted({folded for value in self.companies if (folded := fold(value))})

    def blank_names(self, first: str, last: str) -> list[pl.Expr]:
        """Expressions that blank placeholder values of two folded name columns (kept names stay)."""
        names = sorted({folded for value in self.names if (folded := fold(value))})
        whole = sorted({folded for value in self.full_names if (folded := fold(value))})
        full = pl.concat_str([pl.col(first), pl.col(last)], separator=" ", ignore_nulls=True)
        placeholder_whole = full.is_in(whole).fill_null(value=False)
        return [
            pl.when(~placeholder_whole & ~pl.col(column).is_in(names).fill_null(value=False)).then(pl.col(column))
            for column in (first, last)
        ]

    def email_pattern(self) -> str | None:
        """One regular expression matching any placeholder email (None when there are none)."""
        patterns = [_glob(pattern.strip().lower()) for pattern in self.emails if pattern.strip()]
        return f"^(?:{'|'.join(patterns)})$" if patterns else None

    def is_company(self, column: pl.Expr) -> pl.Expr:
        """True where a company column holds a placeholder (or nothing but punctuation)."""
        folded = fold_expr(column)
        return (folded.is_null() | folded.is_in(self.folded_companies())).fill_null(value=False) & column.is_not_null()

    def is_email(self, column: pl.Expr) -> pl.Expr:
        """True where an email column holds a placeholder address."""
        pattern = self.email_pattern()
        if pattern is None:
            return pl.lit(value=False)
        return column.str.strip_chars().str.to_lowercase().str.contains(pattern).fill_null(value=False)


def _glob(pattern: str) -> str:
    r"""A glob as a regular expression polars (Rust's regex) runs: ``*`` any text, ``?`` one character.

    >>> _glob("?@?.com")
    '[^@]@[^@]\\.com'
    """
    # Wildcards never cross the "@", so "*@none.com" does not match "a@b.none.com.evil".
    parts = {"*": "[^@]*", "?": "[^@]"}
    return "".join(parts.get(char, re.escape(char)) for char in pattern)
