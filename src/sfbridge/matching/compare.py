"""Compare the two people of each candidate pair field by field, as agreement levels.

Every comparison is a column operation over all pairs at once: string similarities come from
rapidfuzz's ``cpdist`` (element-wise, in C++, on every core), the rest are polars
expressions. The result says, per field, how the two values agree (``same``, ``nickname``,
``typo``, ``different``, ``missing``, …); :mod:`sfbridge.matching.scoring` weighs the levels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from sfbridge.matching.addresses import STREET_TYPES
from sfbridge.matching.names import first_name_keys, known_names
from sfbridge.matching.normalise import PHONE_FIELDS

__all__ = ["COMPARED_COLUMNS", "compare_pairs", "compare_sides", "comparison_side"]

_TYPO = 0.9  # Jaro-Winkler similarity from which two spellings are one name mistyped
_WEAK = 0.8  # below this, two names are simply different
_STREET_NEAR = 0.85  # a street this alike, at one house number in one postcode or town, is a typo
_STREET_NAME = 5  # letters from which a street's longest word names it
_COMPANY_SIMILAR = 0.92
_EMAIL_EDITS = 2  # an address this many edits from another is the same address mistyped
_BIRTH_EDITS = 2  # a mistyped digit in the month and one in the day ("1978-08-19" / "1978-09-18")
_EMAIL_MIN_LENGTH = 10  # short addresses are too close to each other for edits to mean a typo
_LONG_MAILBOX = 10  # a mailbox name this long may hold two slips; a shorter one, one

_PHONES = [f"{field}_e164" for field in PHONE_FIELDS]

#: The people columns a comparison reads.
COMPARED_COLUMNS = (
    "idx",
    "first_fold",
    "last_fold",
    "first_sound",
    "last_sound",
    "email_key",
    "email_domain",
    "email_free",
    "company_key",
    "company_name",
    "city_fold",
    "country",
    "region",
    "birthdate",
    "house_number",
    "street_key",
    "unit",
    "postcode_key",
    "postcode_area",
    "address_id",
    *_PHONES,
)

Scorer = Callable[..., float]


@functools.cache
def _known_series() -> pl.Series:
    return pl.Series("known", sorted(known_names()), dtype=pl.Utf8)


def _known(column: str) -> str:
    # "first_fold" -> "first_fold_known"; the right side's "first_fold_r" -> "first_fold_known_r"
    return f"{column.removesuffix('_r')}_known{'_r' if column.endswith('_r') else ''}"


def _cpdist(frame: pl.DataFrame, left: str, right: str, scorer: Scorer, *, same: float) -> pl.Series:
    # Only pairs with two different values need the scorer (most candidate pairs share the
    # name they were blocked on); equal values score ``same``, a missing one NaN.
    a, b = frame.get_column(left), frame.get_column(right)
    scores = np.full(frame.height, np.nan)
    scores[(a == b).fill_null(value=False).to_numpy()] = same
    rows = (a != b).fill_null(value=False).arg_true()
    if len(rows):
        todo_a, todo_b = a.gather(rows).to_list(), b.gather(rows).to_list()
        scores[rows.to_numpy()] = process.cpdist(todo_a, todo_b, scorer=scorer, workers=-1)
    return pl.Series(scores, dtype=pl.Float64)


def _sound(column: str) -> str:
    # "first_fold" -> "first_sound"; "last_fold_r" -> "last_sound_r"
    return column.replace("_fold", "_sound")


def _name_level(a: str, b: str, score: str, *, given: bool, nickname: pl.Expr | None = None) -> pl.Expr:
    left, right = pl.col(a), pl.col(b)
    # Spelled a little differently and sounding the same ("Puga" / "Pga", "Allen" / "Alan") is a
    # typo; sounding the same alone is not ("Garza" and "Cross" are both KRS to Metaphone).
    sounds_alike = (pl.col(_sound(a)) == pl.col(_sound(b))).fill_null(value=False) & (pl.col(score) >= _WEAK)
    padded_l, padded_r = pl.lit(" ") + left + pl.lit(" "), pl.lit(" ") + right + pl.lit(" ")
    initial = ((left.str.len_chars() == 1) | (right.str.len_chars() == 1)) & (
        left.str.slice(0, 1) == right.str.slice(0, 1)
    )
    # Two different names that are both real given names are two people, however close
    # ("Jon" and "Joan"); only an unknown spelling may be a typo of a known one.
    both_known = (pl.col(_known(a)) & pl.col(_known(b))) if given else pl.lit(value=False)
    level = pl.when(left.is_null() | right.is_null()).then(pl.lit("missing")).when(left == right).then(pl.lit("same"))
    if nickname is not None:
        level = level.when(nickname).then(pl.lit("nickname"))
    return (
        level.when(initial)
        .then(pl.lit("initial"))
        .when(padded_l.str.contains(padded_r, literal=True) | padded_r.str.contains(padded_l, literal=True))
        .then(pl.lit("partial"))
        .when(~both_known & ((pl.col(score) >= _TYPO) | sounds_alike))
        .then(pl.lit("typo"))
        .when(~both_known & (pl.col(score) >= _WEAK))
        .then(pl.lit("weak"))
        .otherwise(pl.lit("different"))
    )


def _nicknames(frame: pl.DataFrame, left: str = "first_fold", right: str = "first_fold_r") -> pl.Series:
    """Whether the given names in ``left`` and ``right`` are one name and its nickname, per pair."""
    firsts = pl.concat([frame.get_column(left), frame.get_column(right)]).drop_nulls().unique()
    table = first_name_keys(firsts.to_list())
    sides = [
        frame.select("pair", name=pl.col(column)).join(table, on="name").select("pair", "key")
        for column in (left, right)
    ]
    linked = sides[0].join(sides[1], on=["pair", "key"]).get_column("pair").unique()
    return frame.get_column("pair").is_in(linked.implode())


def _with_names(frame: pl.DataFrame) -> pl.DataFrame:
    similarity = JaroWinkler.normalized_similarity
    frame = frame.with_columns(
        jw_first=_cpdist(frame, "first_fold", "first_fold_r", similarity, same=1.0),
        jw_last=_cpdist(frame, "last_fold", "last_fold_r", similarity, same=1.0),
        jw_first_last=_cpdist(frame, "first_fold", "last_fold_r", similarity, same=1.0),
        jw_last_first=_cpdist(frame, "last_fold", "first_fold_r", similarity, same=1.0),
        nickname=_nicknames(frame),
        # Read the other way round too: "Yoshida Thomas" is Tom Yoshida.
        nickname_swapped=_nicknames(frame, "last_fold", "first_fold_r"),
    )
    return frame.with_columns(
        first=_name_level("first_fold", "first_fold_r", "jw_first", given=True, nickname=pl.col("nickname")),
        last=_name_level("last_fold", "last_fold_r", "jw_last", given=False),
        # Read the other way round, the left record's last name is its given name.
        first_as_last=_name_level("first_fold", "last_fold_r", "jw_first_last", given=False),
        last_as_first=_name_level(
            "last_fold", "first_fold_r", "jw_last_first", given=True, nickname=pl.col("nickname_swapped")
        ),
        # Whether both given names are real names (in either reading): two different real
        # given names are two people; a garbled one ("nleaEor") may still be the same.
        given_known=pl.col("first_fold_known") & pl.col("first_fold_known_r"),
        given_known_swapped=pl.col("last_fold_known") & pl.col("first_fold_known_r"),
    )


def _with_email(frame: pl.DataFrame) -> pl.DataFrame:
    left, right = pl.col("email_key"), pl.col("email_key_r")
    parts = frame.select(
        local=left.str.splitn("@", 2).struct.field("field_0"),
        local_r=right.str.splitn("@", 2).struct.field("field_0"),
        domain=pl.col("email_domain"),
        domain_r=pl.col("email_domain_r"),
    )
    frame = frame.with_columns(
        email_edits=_cpdist(frame, "email_key", "email_key_r", Levenshtein.distance, same=0.0),
        local_edits=_cpdist(parts, "local", "local_r", Levenshtein.distance, same=0.0),
        local_length=pl.min_horizontal(
            parts.get_column("local").str.len_chars(), parts.get_column("local_r").str.len_chars()
        ),
    )
    # "john.smith12@" and "john.smith21@" are two people's numbered mailboxes, not a typo.
    renumbered = left.str.replace_all(r"\d", "") == right.str.replace_all(r"\d", "")
    # A typo is two slips at most, and one in a short mailbox name: "d.dunn@" and "d.duke@"
    # at one company are two colleagues, "j.smtih@" and "j.smith@" one person.
    local_slips = pl.when(pl.col("local_length") < _LONG_MAILBOX).then(pl.lit(1)).otherwise(pl.lit(_EMAIL_EDITS))
    close = (
        (pl.col("email_edits") <= _EMAIL_EDITS)
        & (pl.col("local_edits") <= local_slips)
        & (left.str.len_chars() >= _EMAIL_MIN_LENGTH)
        & ~renumbered
    )
    level = (
        pl.when(left.is_null() | right.is_null())
        .then(pl.lit("missing"))
        .when(left == right)
        .then(pl.lit("same"))
        .when(close)
        .then(pl.lit("typo"))
        .otherwise(pl.lit("different"))
    )
    # Two mailboxes at one business domain: one employer (weighed with the place, not the email).
    same_domain = (
        left.is_not_null()
        & right.is_not_null()
        & (pl.col("email_domain") == pl.col("email_domain_r"))
        & ~pl.col("email_free")
    )
    return frame.with_columns(email=level, same_domain=same_domain.fill_null(value=False))


def _with_phone(frame: pl.DataFrame) -> pl.DataFrame:
    matches = [pl.when(pl.col(a) == pl.col(f"{b}_r")).then(pl.col(a)) for a in _PHONES for b in _PHONES]
    has_left = pl.any_horizontal([pl.col(a).is_not_null() for a in _PHONES])
    has_right = pl.any_horizontal([pl.col(f"{b}_r").is_not_null() for b in _PHONES])
    frame = frame.with_columns(shared_phone=pl.coalesce(matches))
    level = (
        pl.when(pl.col("shared_phone").is_not_null())
        .then(pl.lit("same"))
        .when(has_left & has_right)
        .then(pl.lit("different"))
        .otherwise(pl.lit("missing"))
    )
    return frame.with_columns(phone=level)


def _level(left: str, same: pl.Expr, similar: pl.Expr) -> pl.Expr:
    missing = pl.col(left).is_null() | pl.col(f"{left}_r").is_null()
    return (
        pl.when(missing)
        .then(pl.lit("missing"))
        .when(same)
        .then(pl.lit("same"))
        .when(similar)
        .then(pl.lit("similar"))
        .otherwise(pl.lit("different"))
    )


def _with_places(frame: pl.DataFrame) -> pl.DataFrame:
    similarity = JaroWinkler.normalized_similarity
    frame = frame.with_columns(
        jw_company=_cpdist(frame, "company_name", "company_name_r", similarity, same=1.0),
        jw_city=_cpdist(frame, "city_fold", "city_fold_r", similarity, same=1.0),
        birth_edits=_cpdist(
            frame.with_columns(pl.col("birthdate", "birthdate_r").cast(pl.Utf8)),
            "birthdate",
            "birthdate_r",
            Levenshtein.distance,
            same=0.0,
        ),
    )
    return frame.with_columns(
        company=_level(
            "company_key", pl.col("company_key") == pl.col("company_key_r"), pl.col("jw_company") >= _COMPANY_SIMILAR
        ),
        city=_level("city_fold", pl.col("city_fold") == pl.col("city_fold_r"), pl.col("jw_city") >= _TYPO),
        country=_level("country", pl.col("region") == pl.col("region_r"), pl.lit(value=False)),
        birthdate=_level(
            "birthdate", pl.col("birthdate") == pl.col("birthdate_r"), pl.col("birth_edits") <= _BIRTH_EDITS
        ),
    )


def _street_name(column: str) -> pl.Expr:
    # The street's longest word, when it is long enough to name one street ("robertson", not "park").
    words = pl.col(column).str.split(" ").list.eval(pl.element().filter(pl.element().str.len_chars() >= _STREET_NAME))
    return words.list.eval(pl.element().sort_by(pl.element().str.len_chars(), descending=True)).list.first()


def _street_types(column: str) -> pl.Expr:
    return pl.col(column).str.split(" ").list.eval(pl.element().filter(pl.element().is_in(sorted(STREET_TYPES))))


def _types_differ() -> pl.Expr:
    # Both streets name a type and no type is shared: "Park Ave" and "Park Rd" are two streets.
    left, right = _street_types("street_key"), _street_types("street_key_r")
    both = (left.list.len() > 0) & (right.list.len() > 0)
    return (both & (left.list.set_intersection(right).list.len() == 0)).fill_null(value=False)


def _same_street_name() -> pl.Expr:
    # "Cale Paredes" / "Calle Paredes", "15 BNorth Robertson Rd" / "15 N Robertson Rd": a slip
    # in the type or a direction leaves the street's own name as typed.
    return (_street_name("street_key") == _street_name("street_key_r")).fill_null(value=False)


def _with_address(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(
        jw_street=_cpdist(frame, "street_key", "street_key_r", JaroWinkler.normalized_similarity, same=1.0)
    )
    house = pl.col("house_number").eq_missing(pl.col("house_number_r"))
    units_differ = (pl.col("unit") != pl.col("unit_r")).fill_null(value=False)
    street = pl.col("street_key") == pl.col("street_key_r")
    same_area = (pl.col("postcode_key") == pl.col("postcode_key_r")).fill_null(value=False) | pl.col("city").is_in(
        ["same", "similar"]
    )
    address = (
        pl.when(pl.col("street_key").is_null() | pl.col("street_key_r").is_null())
        .then(pl.lit("missing"))
        .when(house & street & ~units_differ)
        .then(pl.lit("same"))
        .when(house & street)
        .then(pl.lit("same_building"))  # one house, two flats: neighbours as often as one person
        .when(house & (pl.col("jw_street") >= _TYPO))
        .then(pl.lit("typo"))
        # In one postcode or town, one house number on streets this alike is one street
        # typed twice with slips ("23 Cedar Dr" / "23 Cdear Er", "Oderwaldstr." / "Oerwaldstr."):
        # two streets there rarely differ by so little and share the number too.
        .when(house & same_area & ~_types_differ() & ((pl.col("jw_street") >= _STREET_NEAR) | _same_street_name()))
        .then(pl.lit("typo"))
        .when(street)
        .then(pl.lit("same_street"))  # neighbours
        .otherwise(pl.lit("different"))
    )
    postcode = _level(
        "postcode_key",
        pl.col("postcode_key") == pl.col("postcode_key_r"),
        pl.col("postcode_area") == pl.col("postcode_area_r"),
    )
    return frame.with_columns(address=address, postcode=postcode)


def _with_place(frame: pl.DataFrame) -> pl.DataFrame:
    # Company, business email domain, address, postcode and city are one fact about a pair
    # (where they work or live), not five: colleagues agree on all of them at once. So the
    # model weighs them as one comparison, whose levels say how close the two places are.
    employer = pl.col("company").is_in(["same", "similar"]) | pl.col("same_domain")
    address = pl.col("address").is_in(["same", "typo"])
    known = [pl.col(level) != "missing" for level in ("company", "address", "postcode", "city")]
    place = (
        pl.when(employer & address)
        .then(pl.lit("employer_address"))
        .when(employer)
        .then(pl.lit("employer"))
        .when(address)
        .then(pl.lit("address"))
        .when(pl.col("company") == "different")
        .then(pl.lit("other_employer"))  # whatever town they share, they work elsewhere
        .when(pl.col("address").is_in(["different", "same_street"]))
        .then(pl.lit("other_address"))  # whatever town they share, they live elsewhere
        .when(pl.col("postcode") == "same")
        .then(pl.lit("postcode"))
        .when(pl.col("city").is_in(["same", "similar"]) | (pl.col("postcode") == "similar"))
        .then(pl.lit("city"))
        .when(pl.any_horizontal(known))
        .then(pl.lit("different"))
        .otherwise(pl.lit("missing"))
    )
    return frame.with_columns(place=place)


def comparison_side(people: pl.DataFrame) -> pl.DataFrame:
    """What a comparison reads of each person, one row per person in ``idx`` order.

    Build it once and compare batches of pairs with :func:`compare_sides`.

    Args:
        people: normalised people (invalid emails and phones are ignored here).

    Returns:
        The compared values, and whether each first and last name is a known given name.
    """
    # An invalid email or phone is no evidence: "0000000000" is typed for many people.
    known = _known_series().implode()
    side = people.select(
        *[c for c in COMPARED_COLUMNS if c not in {"email_key", *_PHONES}],
        first_fold_known=pl.col("first_fold").is_in(known).fill_null(value=False),
        last_fold_known=pl.col("last_fold").is_in(known).fill_null(value=False),
        email_key=pl.when(pl.col("email_evidence")).then(pl.col("email_key")),
        **{f"{f}_e164": pl.when(pl.col(f"{f}_valid")).then(pl.col(f"{f}_e164")) for f in PHONE_FIELDS},
    )
    # ``idx`` is the row number, so each side of a pair is a gather by position, not a join.
    return side.drop("idx")


def compare_sides(side: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Compare candidate pairs of people given by :func:`comparison_side`, field by field.

    Args:
        side: from :func:`comparison_side`.
        pairs: ``left`` and ``right`` row numbers.

    Returns:
        See :func:`compare_pairs`.
    """
    left = side.select(pl.all().gather(pairs.get_column("left")))
    right = side.select(pl.all().gather(pairs.get_column("right"))).rename(lambda name: f"{name}_r")
    frame = pl.concat([pairs.with_row_index("pair"), left, right], how="horizontal")
    return _with_place(_with_address(_with_places(_with_phone(_with_email(_with_names(frame))))))


def compare_pairs(people: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Compare each candidate pair, field by field.

    Args:
        people: normalised people (invalid emails and phones are ignored here).
        pairs: ``left`` and ``right`` row numbers.

    Returns:
        One row per pair: ``left``, ``right``, both sides' compared values (right side
        suffixed ``_r``), and levels ``first``, ``last``, ``first_as_last``, ``last_as_first``,
        ``email``, ``phone`` (with ``shared_phone``), ``company``, ``city``, ``country``,
        ``birthdate``, ``address`` (``same``, ``same_building``, ``typo``, ``same_street``,
        ``different``, ``missing``), ``postcode`` (``similar``: the same area), ``same_domain``
        (both at one business email domain) and ``place``: the closest of those places
        (``employer_address``, ``employer``, ``address``, ``other_employer``,
        ``other_address``, ``postcode``, ``city``, ``different``, ``missing``), which the model
        weighs in their stead.
    """
    return compare_sides(comparison_side(people), pairs)
