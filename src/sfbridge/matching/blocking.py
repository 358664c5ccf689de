"""Blocking: which pairs of people are worth comparing, without looking at all pairs.

Each person gets a few keys: their valid email; its mailbox name at a domain with the same
initial; each valid phone; their name (nicknames resolved, first/last order ignored) at their
company, at their email's domain, or with their year of birth; their birthdate. So that a
mistyped surname still meets its record, the surname's sound (Metaphone: "Puga" and "Pga" are
both ``PK``) at their company or business domain or with their year of birth; and so that
people who share only a name and an address meet, their house number on their street with the
surname's sound. People with no company (a private person, a web form, a purchased list) also
get keys a colleague at the office would share with everyone there: the house with either
name's sound (so swapped name fields meet), the house number at the postcode or in the town
with either name's sound, the postcode, the surname's sound at the postcode, in the town (with
or without the first name's sound) or alone, the first name's sound in the town (a maiden and
a married name), and the full name.
Placeholders ("[not provided]", ``none@none.com``, "Test") are never keys: the normaliser
leaves them blank.

Only people sharing a key are compared. Work grows with the sum of squared block sizes, so a
block larger than ``max_block_size`` (a company switchboard, a shared inbox) is skipped, and a
block of a weak kind (a sound in a town, a house) larger than ``WEAK_BLOCK_SIZE``: sharing
that key says little, and its members still meet through their other keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sfbridge.matching.names import first_name_keys
from sfbridge.matching.normalise import PHONE_FIELDS

__all__ = [
    "CONDITIONED",
    "KINDS",
    "WEAK_BLOCK_SIZE",
    "WEAK_KINDS",
    "Candidates",
    "blocking_keys",
    "candidate_pairs",
    "people_candidates",
]

#: The kinds of blocking key, in the order of their bit in a pair's ``kinds``.
KINDS = (
    "email",
    "phone",
    "name_company",
    "name_domain",
    "name_year",
    "mailbox",
    "birthdate",
    "sound_company",
    "sound_year",
    "sound_city",
    "sound_postcode",
    "address_last",
    "address_first",
    "house_postcode",
    "full_name",
    "sound_town",
    "sound_surname",
    "postcode",
    "house_town",
    "first_town",
)
_KINDS = pl.Enum(KINDS)

#: Kinds of key that say little on their own (a surname's sound in a city, a house number on
#: a street), paired only in small blocks: a household, not every "Little" in Calgary or every
#: colleague at one office address. Their members still meet through their other keys.
WEAK_KINDS = frozenset(
    {
        "sound_city",
        "sound_postcode",
        "address_last",
        "address_first",
        "house_postcode",
        "full_name",
        "house_town",
        "first_town",
    }
)
#: The largest block of a weak kind that is paired: a household, or the records of one
#: much-duplicated person (on splink's historical figures a cap of 10 gave F1 0.779, 25 gave
#: 0.805; a 300k-record synthetic org pairs the same 23,780 either way).
WEAK_BLOCK_SIZE = 25

# People with no company (blank, or a placeholder such as "[not provided]"): private people,
# web forms, purchased lists. Their home, postcode and bare name are keys; a person with a
# company shares those with colleagues at the office and meets through the company instead.
_PRIVATE = pl.col("company_key").is_null()

#: The comparisons each kind of key makes agree by construction: people sharing an email key
#: agree on email whether or not they are one person, so a pair found by it says nothing about
#: how often records of one person agree on email (the weights' fitting leaves them out).
CONDITIONED: dict[str, frozenset[str]] = {
    "email": frozenset({"email"}),
    "mailbox": frozenset({"email"}),
    "phone": frozenset({"phone"}),
    "name_company": frozenset({"first", "last", "place"}),
    "name_domain": frozenset({"first", "last", "place"}),
    "name_year": frozenset({"first", "last", "birthdate"}),
    "birthdate": frozenset({"birthdate"}),
    "sound_company": frozenset({"last", "place"}),
    "sound_year": frozenset({"last", "birthdate"}),
    "sound_city": frozenset({"first", "last", "place"}),
    "sound_postcode": frozenset({"last", "place"}),
    "address_last": frozenset({"place", "last"}),
    "address_first": frozenset({"place", "first", "last"}),
    "house_postcode": frozenset({"place"}),
    "full_name": frozenset({"first", "last"}),
    "sound_town": frozenset({"last", "place"}),
    "sound_surname": frozenset({"last"}),
    "postcode": frozenset({"place"}),
    "house_town": frozenset({"first", "last", "place"}),
    "first_town": frozenset({"first", "place"}),
}
_MIN_LOCAL = 5  # shorter mailbox names ("info", "j.li") are shared by too many unrelated people
_MIN_SOUND = 3  # a surname's sound alone is a key from this many letters


@dataclass(frozen=True)
class Candidates:
    """The pairs to compare and the blocks left out.

    Attributes:
        pairs: ``left`` and ``right`` row numbers (``idx``), ``left < right``, each pair once,
            and ``kinds``: a bit per kind of key the two share (bit i for ``KINDS[i]``).
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


def _sound_keys(people: pl.DataFrame) -> pl.LazyFrame:
    # The surname's sound: "Jennifer Pga" meets "Jennifer Puga" and a record without a first
    # name meets its fuller twin. A sound is coarse, so each key narrows it by a place or a
    # year. A name's sound alone was tried: on a 100k-record org it tripled the pairs compared
    # and found no more duplicates (splink's fake_1000: F1 0.902 without, 0.908 with).
    lazy = people.lazy().filter(pl.col("last_sound").is_not_null())
    business = pl.col("email_domain").is_not_null() & ~pl.col("email_free").fill_null(value=False)
    return pl.concat(
        [
            _keyed(lazy, "sound_company", pl.col("last_sound"), pl.col("company_key")),
            _keyed(lazy.filter(business), "sound_company", pl.col("last_sound"), pl.col("email_domain")),
            _keyed(lazy, "sound_year", pl.col("last_sound"), pl.col("birthdate").dt.year()),
            _keyed(
                lazy.filter(_PRIVATE), "sound_city", pl.col("last_sound"), pl.col("first_sound"), pl.col("city_fold")
            ),
            _keyed(lazy.filter(_PRIVATE), "sound_postcode", pl.col("last_sound"), pl.col("postcode_key")),
            _keyed(lazy.filter(_PRIVATE), "sound_town", pl.col("last_sound"), pl.col("city_fold")),
            _keyed(lazy.filter(_PRIVATE), "first_town", pl.col("first_sound"), pl.col("city_fold")),
            # A rare surname's sound alone (blocks of a common one outgrow the cap); a sound of
            # one or two letters ("Wu", "Ng") is too coarse to stand alone.
            _keyed(
                lazy.filter(_PRIVATE & (pl.col("last_sound").str.len_chars() >= _MIN_SOUND)),
                "sound_surname",
                pl.col("last_sound"),
            ),
        ]
    ).unique(["idx", "key"])


def _address_keys(people: pl.DataFrame) -> pl.LazyFrame:
    # One house on one street, with the surname's sound or the first name's: a trade-show
    # list and a purchased list of one person share little else, while colleagues at one
    # office address (different names) do not meet here. A street alone is in every town.
    lazy = people.lazy().filter(pl.col("house_number").is_not_null() & pl.col("street_key").is_not_null())
    return pl.concat(
        [
            _keyed(lazy, "address_last", pl.col("house_number"), pl.col("street_key"), pl.col("last_sound")),
            # A private person's house with either name's sound: a purchased list that swapped
            # first and last name ("Nichols Chelsea") meets the web form ("Chelsea Nichols").
            *[
                _keyed(
                    lazy.filter(_PRIVATE),
                    "address_first",
                    pl.col("house_number"),
                    pl.col("street_key"),
                    pl.col(sound).alias("sound"),
                )
                for sound in ("first_sound", "last_sound")
            ],
        ]
    ).unique(["idx", "kind", "key"])


def _house_keys(people: pl.DataFrame) -> pl.LazyFrame:
    # A house number at a postcode is one building almost everywhere: it meets a record whose
    # street and both names carry typos ("90 N Mjll Rd").
    lazy = people.lazy().filter(_PRIVATE)
    return pl.concat(
        [
            _keyed(
                lazy.filter(pl.col("house_number").is_not_null()),
                "house_postcode",
                pl.col("house_number"),
                pl.col("postcode_key"),
            ),
            # A postcode alone is a few streets in the UK or Canada (a block the cap keeps) and a
            # town in the US or Germany (a block it skips).
            _keyed(lazy, "postcode", pl.col("postcode_key")),
            # A house number in a town with either name's sound: a record whose street and
            # surname both carry a slip and whose postcode is blank or mistyped ("Annett
            # Fiscnher, Berstraße 6, Berlin" / "Annett Fischer, Bergstraße 6, Berlin").
            *[
                _keyed(
                    lazy.filter(pl.col("house_number").is_not_null()),
                    "house_town",
                    pl.col("house_number"),
                    pl.col(sound).alias("sound"),
                    pl.col("city_fold"),
                )
                for sound in ("first_sound", "last_sound")
            ],
        ]
    ).unique(["idx", "kind", "key"])


def _key_parts(people: pl.DataFrame) -> list[pl.LazyFrame]:
    """The blocking keys of normalised people, in parts whose keys no other part holds (each of its own kinds).

    Each part is collected when :func:`people_candidates` asks for it, but for the name keys'
    table of nickname readings (:func:`_names`, ~12 MB at a million people), made here.
    """
    # Lazily: each key reads only its own columns, and a filter copies only those.
    lazy = people.lazy()
    emails = lazy.filter(pl.col("email_evidence"))
    return [
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
        _sound_keys(people),
        _address_keys(people),
        _house_keys(people),
        # The same full name anywhere, in small blocks only (a rare name), for people without a
        # company: it finds little the other keys miss, but it is the pairs the weights of
        # places are learned from when names and addresses are all there is.
        _keyed(lazy.filter(_PRIVATE), "full_name", pl.col("first_fold"), pl.col("last_fold")),
    ]


def blocking_keys(people: pl.DataFrame) -> pl.DataFrame:
    """The blocking keys of normalised people, all at once (the search makes them by parts: :func:`people_candidates`).

    Args:
        people: a frame from :func:`~sfbridge.matching.normalise.normalise_people`.

    Returns:
        ``idx``, ``kind`` and ``key`` (a hash) rows, each (idx, key) once; invalid emails and
        phones give no key.
    """
    return pl.concat(_key_parts(people)).collect()


def people_candidates(people: pl.DataFrame, *, max_block_size: int) -> Candidates:
    """:func:`candidate_pairs` of the people's :func:`blocking_keys`, the keys made and thinned a part at a time.

    The same pairs and skipped blocks. Most keys are one person's alone (an email, a phone
    number), and every key belongs to one part (a kind of its own: the kind is hashed into
    it), so a part's keys held by too few people to make a block can go before the next part
    is made: at a million people the org's 8M keys (105 MB, and their sorted column beside
    them) were made at once, beside the people.
    """
    smallest = _smallest(max_block_size)
    held = [_held(part.collect(), smallest=smallest) for part in _key_parts(people)]
    return candidate_pairs(pl.concat(held), max_block_size=max_block_size)


def _smallest(max_block_size: int) -> int:
    # A block of one person pairs no one: such keys matter only when every block is too large
    # (a cap of 0), to be listed among the skipped blocks.
    return min(2, max_block_size + 1)


def _held(keys: pl.DataFrame, *, smallest: int) -> pl.DataFrame:
    """The rows of ``keys`` whose key at least ``smallest`` rows hold, in their order."""
    # A key is in a run of at least ``smallest`` where it equals the key smallest - 1 places
    # before it in sorted order: found so, the shared keys cost a mask of the sorted column,
    # where run-length encoding it held ~85 MB more at a million people.
    ordered_keys = keys.get_column("key").sort()
    shared = ordered_keys.filter(ordered_keys == ordered_keys.shift(smallest - 1))
    del ordered_keys
    return keys.filter(pl.col("key").is_in(shared.implode()))


def _blocks(keys: pl.DataFrame, *, smallest: int) -> pl.DataFrame:
    """The keys in blocks of at least ``smallest`` people, sorted by key, with ``block`` (a number) and ``size``.

    Sorting and counting runs sizes blocks several times faster than hashing millions of
    mostly one-member keys. Most keys are one person's alone (an email, a phone number): the
    key column alone is sorted to find the shared keys, and only their rows (a twentieth) are
    sorted whole, members of a block in the order of ``keys``.
    """
    ordered = _held(keys, smallest=smallest).sort("key", maintain_order=True)
    block = pl.col("key").rle_id()
    return ordered.with_columns(block=block, size=pl.len().over(block))


def candidate_pairs(keys: pl.DataFrame, *, max_block_size: int) -> Candidates:
    """Pair up people who share a key, skipping blocks above the size cap.

    Args:
        keys: from :func:`blocking_keys`, or its rows whose key two or more hold
            (:func:`people_candidates`'s: the same pairs and skipped blocks).
        max_block_size: the largest block whose members are paired (weak kinds: at most
            ``WEAK_BLOCK_SIZE``).

    Returns:
        The candidate pairs and the skipped blocks.
    """
    ordered = _blocks(keys, smallest=_smallest(max_block_size))
    cap = (
        pl.when(pl.col("kind").is_in(sorted(WEAK_KINDS)))
        .then(pl.lit(WEAK_BLOCK_SIZE))
        .otherwise(pl.lit(max_block_size))
    )
    ordered = ordered.with_columns(cap=pl.min_horizontal(cap, pl.lit(max_block_size)))
    oversized = (
        ordered.filter(pl.col("size") > pl.col("cap"))
        .unique("block", keep="first", maintain_order=True)
        .select("kind", "size", "idx")
        .sort("size", descending=True)
    )
    bit = pl.lit(2, dtype=pl.UInt32).pow(pl.col("kind").to_physical().cast(pl.UInt32)).cast(pl.UInt32)
    kept = ordered.lazy().filter(pl.col("size").is_between(2, pl.col("cap"))).select("idx", "block", bit=bit)
    pairs = (
        kept.join(kept.select("idx", "block"), on="block", suffix="_r")
        .filter(pl.col("idx") < pl.col("idx_r"))
        .group_by(left=pl.col("idx"), right=pl.col("idx_r"))
        .agg(kinds=pl.col("bit").bitwise_or())
        .sort("left", "right")
        .collect()
    )
    return Candidates(pairs=pairs, oversized=oversized)
