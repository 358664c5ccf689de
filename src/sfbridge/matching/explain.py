"""Say in plain words why two records were matched ("same phone +14155550134", "nickname bob = robert").

Reasons are written for matched pairs only, from the agreement levels the comparison found
and both records' own values as typed, so a sales-ops reviewer can check each claim against
the records. Each reason is a column expression, so tens of thousands of pairs are explained
at once; the evidence for the match comes first, then what speaks against it ("but …").
"""

from __future__ import annotations

import polars as pl

from sfbridge.matching.model import MatchModel
from sfbridge.matching.names import nickname_link
from sfbridge.matching.priors import COMPARISONS
from sfbridge.matching.scoring import HARD_NEGATIVE_WEIGHT, summed_weight

__all__ = ["reasons_column", "waterfall_column"]

_SHARED_BY_TWO = 2  # a number on exactly the two records of the pair needs no mention


def _shown(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Utf8).str.strip_chars().fill_null("(blank)")


def _both(template: str, name: str) -> pl.Expr:
    return pl.format(template, _shown(f"show_{name}"), _shown(f"show_{name}_r"))


def _full(suffix: str) -> pl.Expr:
    parts = [pl.col(f"show_first{suffix}"), pl.col(f"show_last{suffix}")]
    return pl.concat_str(parts, separator=" ", ignore_nulls=True)


def _email() -> list[pl.Expr]:
    level = pl.col("email")
    same_text = _shown("show_email").str.to_lowercase() == _shown("show_email_r").str.to_lowercase()
    same = (
        pl.when(same_text)
        .then(pl.format("same email {}", _shown("show_email").str.to_lowercase()))
        .otherwise(
            pl.format(
                "same email once normalised ({} = {} = {})", _shown("show_email"), _shown("show_email_r"), "email_key"
            )
        )
    )
    positive = (
        pl.when(level == "same")
        .then(same)
        .when(level == "typo")
        .then(_both("emails differ only by a typo ({} / {})", "email"))
    )
    negative = pl.when(level.is_in(["different", "same_domain"])).then(_both("but different emails ({} / {})", "email"))
    return [positive, negative]


def _phone() -> list[pl.Expr]:
    shared = pl.col("phone_count").fill_null(_SHARED_BY_TWO)
    note = pl.when(shared > _SHARED_BY_TWO).then(pl.format(" (on {} records)", shared)).otherwise(pl.lit(""))
    positive = pl.when(pl.col("phone") == "same").then(pl.format("same phone {}{}", "shared_phone", note))
    negative = pl.when(pl.col("phone") == "different").then(pl.lit("but different phone numbers"))
    return [positive, negative]


def _names() -> list[pl.Expr]:
    first, last, swapped = pl.col("first"), pl.col("last"), pl.col("swapped")
    full_l, full_r = _full(""), _full("_r")
    same_case = full_l.str.to_lowercase() == full_r.str.to_lowercase()
    whole = (
        pl.when(swapped)
        .then(pl.format("first and last name swapped ({} / {})", full_l, full_r))
        .when((first == "same") & (last == "same") & same_case)
        .then(pl.format("same name {}", full_l))
        .when((first == "same") & (last == "same"))
        .then(pl.format("same name ignoring accents and case ({} / {})", full_l, full_r))
        .when(last == "same")
        .then(pl.format("same last name {}", _shown("show_last")))
        .when(first == "same")
        .then(pl.format("same first name {}", _shown("show_first")))
    )
    given = (
        pl.when(first == "nickname")
        .then(pl.format("{} ({} / {})", "nickname_link", _shown("show_first"), _shown("show_first_r")))
        .when(first == "typo")
        .then(_both("first names differ only by a typo ({} / {})", "first"))
        .when(first == "initial")
        .then(_both("first initial fits ({} / {})", "first"))
        .when(first == "partial")
        .then(_both("one first name is part of the other ({} / {})", "first"))
    )
    family = (
        pl.when(last == "typo")
        .then(_both("last names differ only by a typo ({} / {})", "last"))
        .when(last.is_in(["partial", "initial"]))
        .then(_both("last names overlap ({} / {})", "last"))
    )
    return [whole, pl.when(~swapped).then(given), pl.when(~swapped).then(family)]


def _others() -> list[pl.Expr]:
    company, same_text = (
        pl.col("company"),
        _shown("show_company").str.to_lowercase() == _shown("show_company_r").str.to_lowercase(),
    )
    same_company = (
        pl.when(same_text)
        .then(pl.format("same company {}", _shown("show_company")))
        .otherwise(_both("same company without legal form ({} / {})", "company"))
    )
    return [
        pl.when(company == "same").then(same_company),
        pl.when(pl.col("birthdate") == "same").then(pl.format("same birthdate {}", _shown("show_birthdate"))),
        pl.when(pl.col("birthdate") == "similar").then(_both("birthdates one digit apart ({} / {})", "birthdate")),
        pl.when(pl.col("address") == "same").then(
            pl.format("same address {}", _one_line("show_street", "show_postcode"))
        ),
        pl.when(pl.col("address") == "typo").then(
            pl.format(
                "addresses differ only by a typo ({} / {})",
                _one_line("show_street", "show_postcode"),
                _one_line("show_street_r", "show_postcode_r"),
            )
        ),
        pl.when(
            pl.col("address").is_in(["missing", "different", "same_street", "same_building"])
            & (pl.col("postcode") == "same")
        ).then(pl.format("same postcode {}", _shown("show_postcode"))),
        pl.when(pl.col("city").is_in(["same", "similar"])).then(pl.format("same city {}", _shown("show_city"))),
    ]


def _one_line(street: str, postcode: str) -> pl.Expr:
    # A Street field holds lines ("12 Main St\nApt 4"); a reason is one line.
    lines = pl.col(street).str.replace_all(r"\s*[\r\n]+\s*", ", ").str.strip_chars()
    return pl.concat_str([lines, pl.col(postcode).str.strip_chars()], separator=" ", ignore_nulls=True)


def _nickname_links(matched: pl.DataFrame) -> pl.DataFrame:
    # A swapped reading's nickname is told as the swap ("first and last name swapped"), not here.
    nicknames = (pl.col("first") == "nickname") & ~pl.col("swapped")
    pairs = matched.filter(nicknames).select("first_fold", "first_fold_r").unique()
    links = [nickname_link(a, b) or "nickname" for a, b in pairs.iter_rows()]
    return pairs.with_columns(nickname_link=pl.Series(links, dtype=pl.Utf8))


def reasons_column(matched: pl.DataFrame) -> pl.Series:
    """The reasons of each matched pair, strongest first, then the evidence against ("but …").

    Args:
        matched: scored pairs (levels ``email``, ``phone``, ``first``, ``last``, ``swapped``,
            ``company``, ``city``, ``birthdate``, ``address``, ``postcode``; ``email_key``, ``shared_phone``,
            ``phone_count``, ``first_fold``, ``first_fold_r``) with both records' own values
            as typed: ``show_first``, ``show_last``, ``show_email``, ``show_company``,
            ``show_city``, ``show_birthdate``, ``show_street``, ``show_postcode`` and the same
            suffixed ``_r``.

    Returns:
        A list column of reasons, one row per pair.
    """
    frame = matched.join(_nickname_links(matched), on=["first_fold", "first_fold_r"], how="left", maintain_order="left")
    email, phone = _email(), _phone()
    positive = [email[0], phone[0], *_names(), *_others()]
    negative = [
        email[1],
        phone[1],
        pl.when(pl.col("company") == "different").then(_both("but different companies ({} / {})", "company")),
    ]
    reasons = pl.concat_list([expr.cast(pl.Utf8) for expr in positive + negative]).list.drop_nulls()
    return frame.select(reasons=reasons).get_column("reasons")


def waterfall_column(scored: pl.DataFrame, model: MatchModel) -> pl.Series:
    """What added to and subtracted from each pair's weight, step by step, for a sceptic to check.

    Args:
        scored: scored pairs (``w_<comparison>`` and the level of each comparison, ``weight``,
            ``hard_negative``).
        model: the model the pairs were scored with (its prior is the first step).

    Returns:
        A list column of ``{"step", "level", "weight"}`` structs: the prior, every comparison
        that weighed something (``missing`` ones weigh nothing and are left out), and
        a ``rule`` step when a hard-negative rule capped the sum. The weights add up to
        the pair's ``weight``; its probability is 2^w / (1 + 2^w).
    """
    # Built long, one row per step, then gathered into lists per pair: a list of
    # when/then structs per pair is an order of magnitude slower for tens of thousands of pairs.
    frame = scored.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("pair"),
        *COMPARISONS,
        *[f"w_{comparison}" for comparison in COMPARISONS],
        "weight",
        "hard_negative",
    )
    prior = frame.select(
        "pair",
        step=pl.lit("prior"),
        level=pl.lit("learned" if model.learned else "hand-set"),
        weight=pl.lit(round(model.prior, 3)),
    )
    # Those that weighed something: a ``missing`` comparison weighs nothing.
    compared = [
        frame.filter(pl.col(comparison) != "missing").select(
            "pair", step=pl.lit(comparison), level=pl.col(comparison), weight=pl.col(f"w_{comparison}").round(3)
        )
        for comparison in COMPARISONS
    ]
    total = summed_weight(model.prior)  # as the pairs were scored: the same sum to the last bit
    capped = frame.with_columns(_sum=total).filter(
        pl.col("hard_negative").is_not_null() & (pl.col("weight") < pl.col("_sum") - 1e-9)
    )
    rule = capped.select(
        "pair",
        step=pl.lit("rule"),
        level=pl.format("{}: at most {}", pl.col("hard_negative"), pl.lit(f"{HARD_NEGATIVE_WEIGHT:g}")),
        weight=(pl.col("weight") - pl.col("_sum")).round(3),
    )
    steps = [prior, *compared, rule]
    ordered = pl.concat(
        [part.with_columns(order=pl.lit(order, dtype=pl.UInt8)) for order, part in enumerate(steps)],
        how="vertical_relaxed",
    ).sort("pair", "order")
    step = pl.struct(pl.col("step").cast(pl.Utf8), pl.col("level").cast(pl.Utf8), pl.col("weight").cast(pl.Float64))
    waterfalls = ordered.group_by("pair", maintain_order=True).agg(waterfall=step)
    return waterfalls.get_column("waterfall")
