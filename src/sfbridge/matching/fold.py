"""Fold free text for comparison: case, accents and punctuation stop mattering.

People type "Zoë Zänker", "ZOE ZANKER" and "Zoe  Zanker" for one name. Folding maps all three
to ``zoe zanker``: Unicode NFKD splits letters from their accents, the accents (combining
marks) are dropped, letters NFKD cannot split (``ł``, ``ø``, ``đ``) are mapped by cleanco's
table of them, and everything that is not a letter or digit becomes one space.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import polars as pl
from cleanco.non_nfkd_map import NON_NFKD_MAP  # type: ignore[import-untyped]  # cleanco has no type hints

__all__ = ["fold", "fold_expr", "strip_accents_expr"]

_NOT_WORD = re.compile(r"[\W_]+")


@functools.cache
def _non_nfkd_lower() -> dict[str, str]:
    # cleanco's table maps both cases; folded text is lower case already.
    return {key: value.lower() for key, value in NON_NFKD_MAP.items() if key.islower()}


def strip_accents_expr(expr: pl.Expr) -> pl.Expr:
    """Lower-case a text column and drop its accents (``Łukasz Zänker`` → ``lukasz zanker``).

    Args:
        expr: a text column.

    Returns:
        The folded column; punctuation is kept.
    """
    decomposed = expr.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
    table = _non_nfkd_lower()
    return decomposed.str.replace_many(list(table), list(table.values()))


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """Fold a text column: lower case, no accents, words separated by single spaces.

    Args:
        expr: a text column.

    Returns:
        The folded column; blank values become null.
    """
    words = strip_accents_expr(expr).str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    return pl.when(words.str.len_chars() > 0).then(words).otherwise(None)


def fold(text: str | None) -> str | None:
    """Fold one value the way :func:`fold_expr` folds a column.

    >>> fold("  Zoë  ZÄNKER-Łukasz ")
    'zoe zanker lukasz'
    >>> fold("--") is None
    True
    """
    if text is None:
        return None
    table = _non_nfkd_lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(table.get(char, char) for char in decomposed if unicodedata.category(char) != "Mn")
    words = _NOT_WORD.sub(" ", letters).strip()
    return words or None
