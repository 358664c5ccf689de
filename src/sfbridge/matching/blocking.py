"""Blocking: which pairs of people are worth comparing, without looking at all pairs.

Each person gets a few keys: their valid email; its mailbox name at a domain with the same
initial; each valid phone; their name (nicknames resolved, first/last order ignored) at their
company, at their email's domain, or with their year of birth; their birthdate. Only people
sharing a key are compared. Work grows with the sum of squared block sizes, so a block larger
than ``max_block_size`` (a company switchboard, a shared inbox) is skipped: sharing that key
says little, and its members still meet through their other keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sfbridge.matching.names import first_name_keys
from sfbridge.matching.normalise import PHONE_FIELDS

__all__ = ["Candidates", "blocking_keys", "candidate_pairs"]

_KINDS = pl.Enum(["email", "phone", "name_company", "name_domain", "name_year", "mailbox", "birthdate"])
_MIN_LOCAL = 5  # shorter mailbox names ("info", "j.li") are shared by too many unrelated people


@dataclass(frozen=True)
class Candidates:
    """The pairs to compare and the blocks left out.

    Attributes:
        pairs: ``left`` and ``right`` row numbers (``idx``), ``left < right``, each pair once.
        oversized: per block skipped for its size: ``kind`` of key, ``size`` and one member's
            ``idx`` as an example.
    """

    pairs: pl.DataFrame
    oversized: pl.DataFrame


def _keyed(frame: pl.LazyFrame, kind: str, *values: pl.Expr) -> pl.LazyFrame:
    # Keys are 64-bit hashes of (kind, values): joining and grouping millions of integers is
    # several times faster than of strings, and a rare collision only adds a pair to compare.
    key = pl.struct(pl.lit(kind).alias("kind"), *values).hash()
    return frame.filter(pl.all_horizontal(value.is_not_null() for value in values)).select(
        "idx", kind=pl.lit(kind, dtype=_KINDS), key=key
    )


def _names(people: pl.DataFrame) -> pl.DataFrame:
    """Each person's name keys: (idx, name), one per nickname reading, as integers."""
    named = people.select("idx", "first_fold", "last_fold").drop_nulls()
    if named.is_empty():
        return pl.DataFrame(schema={"idx": pl.UInt32(), "name": pl.UInt64()})
    table = first_name_keys(pl.concat([named.get_column("first_fold"), named.get_column("last_fold")]).unique())
    # Every name and key gets an integer id, so the pairing below is integer work.
    ids = {
        name: number
        for number, name in enumerate(pl.concat([table.get_column("name"), table.get_column("key")]).unique().sort())
    }
    table = table.select(
        name=pl.col("name").replace_strict(ids, return_dtype=pl.UInt64),
        key=pl.col("key").replace_strict(ids, return_dtype=pl.UInt64),
    )
    named = named.select(
        "idx",
        first=pl.col("first_fold").replace_strict(ids, return_dtype=pl.UInt64),
        last=pl.col("last_fold").replace_strict(ids, return_dtype=pl.UInt64),
    )
    # Nicknames resolve in either slot, so "Smith, Bob" meets "Robert Smith". Lazily: the
    # engine's unique() over millions of rows peaks at a fraction of the eager one's memory.
    named_lazy, table_lazy = named.lazy(), table.lazy()
    by_first = named_lazy.join(table_lazy, left_on="first", right_on="name").select("idx", a="key", b="last")
    by_last = named_lazy.join(table_lazy, left_on="last", right_on="name").select("idx", a="first", b="key")
    low, high = pl.min_horizontal("a", "b"), pl.max_horizontal("a", "b")
    return pl.concat([by_first, by_last]).select("idx", name=low * (1 << 32) + high).unique().collect()


def _name_keys(people: pl.DataFrame) -> pl.LazyFrame:
    # A name alone is weak evidence and common names make huge blocks, so a name is paired
    # with where the person works (their company, or their email's domain, which catches a
    # typo in the mailbox name) or their year of birth. A name match with none of these in
    # common needs an email, a phone or a birthdate to be a match, and those have blocks.
    places = people.select(
        "idx",
        company=pl.col("company_key").hash(),
        domain=pl.col("email_domain").hash(),
        year=pl.col("birthdate").dt.year(),
        has_company=pl.col("company_key").is_not_null(),
        # A business domain narrows a name to one employer; a free-mail domain narrows nothing
        # ("John Smith" at gmail.com is thousands of people in a large org), and its blocks
        # would grow with the square of the org.
        has_domain=pl.col("email_domain").is_not_null() & ~pl.col("email_free").fill_null(value=False),
    )
    named = _names(people).lazy().join(places.lazy(), on="idx")
    return pl.concat(
        [
            _keyed(named.filter("has_company"), "name_company", pl.col("name"), pl.col("company")),
            _keyed(named.filter("has_domain"), "name_domain", pl.col("name"), pl.col("domain")),
            _keyed(named, "name_year", pl.col("name"), pl.col("year")),
        ]
    )


def blocking_keys(people: pl.DataFrame) -> pl.DataFrame:
    """The blocking keys of normalised people.

    Args:
        people: a frame from :func:`~sfbridge.matching.normalise.normalise_people`.

    Returns:
        ``idx``, ``kind`` and ``key`` (a hash) rows, each (idx, key) once; invalid emails and
        phones give no key.
    """
    # Lazily: each key reads only its own columns, and a filter copies only those.
    lazy = people.lazy()
    emails = lazy.filter(pl.col("email_valid"))
    parts = [
        _keyed(emails, "email", pl.col("email_key")),
        pl.concat(
            [_keyed(lazy.filter(pl.col(f"{f}_valid")), "phone", pl.col(f"{f}_e164")) for f in PHONE_FIELDS]
        ).unique(["idx", "key"]),  # one number in both fields is one key
        _name_keys(people),
        # The same mailbox name at a domain with the same first letter: a typo in the domain
        # ("nichols.info" / "nnichls.info"). Any domain would pair every "j.rose" in the org.
        _keyed(
            emails.filter(pl.col("email_local").str.len_chars() >= _MIN_LOCAL),
            "mailbox",
            pl.col("email_local"),
            pl.col("email_domain").str.slice(0, 1),
        ),
        _keyed(lazy, "birthdate", pl.col("birthdate")),
    ]
    return pl.concat(parts).collect()


def candidate_pairs(keys: pl.DataFrame, *, max_block_size: int) -> Candidates:
    """Pair up people who share a key, skipping blocks above the size cap.

    Args:
        keys: from :func:`blocking_keys`.
        max_block_size: the largest block whose members are paired.

    Returns:
        The candidate pairs and the skipped blocks.
    """
    # Sorting the keys and counting runs sizes the blocks several times faster than hashing
    # millions of mostly one-member keys.
    ordered = keys.sort("key")
    runs = ordered.get_column("key").rle_id()
    sizes = ordered.get_column("key").rle().struct.field("len").gather(runs)
    ordered = ordered.with_columns(block=runs, size=sizes)
    oversized = (
        ordered.filter(pl.col("size") > max_block_size)
        .unique("block", keep="first", maintain_order=True)
        .select("kind", "size", "idx")
        .sort("size", descending=True)
    )
    kept = ordered.lazy().filter(pl.col("size").is_between(2, max_block_size)).select("idx", "block")
    pairs = (
        kept.join(kept, on="block", suffix="_r")
        .filter(pl.col("idx") < pl.col("idx_r"))
        .select(left=pl.col("idx"), right=pl.col("idx_r"))
        .unique()
        .sort("left", "right")
        .collect()
    )
    return Candidates(pairs=pairs, oversized=oversized)
