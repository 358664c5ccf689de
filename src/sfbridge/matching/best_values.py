"""The value each field of a merged record should carry, chosen from the records of its cluster.

For every cluster and every field of :data:`FIELDS` one value is chosen by the field's rules
(:class:`ValueRules`), from the cluster's usable values only. A value is unusable when it is
blank, a placeholder (a name such as "Test", a company such as "[not provided]", an email
such as none@none.com), an invalid email or phone number, or a typo of a value more records
of the cluster carry (see :mod:`~sfbridge.matching.typos`).

Rules come from a fixed vocabulary (:data:`VALUE_RULES`); a field's rules are applied in
order, each breaking the ties of the one before, and the survivor ranking breaks the last:

``survivor``
    the survivor's own value first (when no other rule follows and the survivor has none,
    the next-ranked record's);
``most_recent``
    the value of the record most recently active (else created);
``most_common``
    the value most records carry (compared folded: "ZOË" and "Zoe" are one value);
``longest``
    the longest value ("Jennifer" over "Jen");
``oldest``
    the value of the record created first.

The address (street, city, state, postal code, country) is chosen as one unit, by the rules
set for ``address``: all five parts come from one record, so a merged record never holds one
record's street with another's city. For the address, ``longest`` is the fullest address
(most parts filled, then the most text) and ``most_common`` the address most records share.
An address needs a street, city or postal code: a country alone locates nobody.

Of equal values (equal once folded, or the same number in two formats) the best-ranked
holder's spelling is taken and named as the source, so a value the survivor holds is kept as
it is typed there and never shown as taken from another record.
The result (:func:`merged_values`) is what a merge sets on the record kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import polars as pl

from sfbridge.matching.fold import fold_expr
from sfbridge.matching.placeholders import Placeholders
from sfbridge.matching.survivorship import touched
from sfbridge.matching.typos import typo_keys

__all__ = [
    "ADDRESS_FIELDS",
    "FIELDS",
    "FIELD_LABELS",
    "MEMBER_COLUMNS",
    "RULE_TARGETS",
    "VALUE_RULES",
    "ValueRule",
    "ValueRules",
    "merged_values",
]

#: A rule choosing a field's value among a cluster's records.
ValueRule = Literal["survivor", "most_recent", "most_common", "longest", "oldest"]
#: Every value rule.
VALUE_RULES: tuple[ValueRule, ...] = get_args(ValueRule)

#: The parts of an address, chosen together from one record.
ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")
#: The fields a merged record's values are chosen for, in the order the result lists them.
FIELDS = ("first_name", "last_name", "email", "phone", "mobile_phone", "company", "title", *ADDRESS_FIELDS)
#: How people read each field's name (the suggested action, the report's merged record).
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "mobile_phone": "Mobile",
    "company": "Company",
    "title": "Title",
    "street": "Street",
    "city": "City",
    "state": "State",
    "postal_code": "Postal code",
    "country": "Country",
}
#: What rules are set for: each field outside the address, and the address as a whole.
RULE_TARGETS = (*FIELDS[: -len(ADDRESS_FIELDS)], "address")

#: The columns :func:`merged_values` reads of each cluster member.
MEMBER_COLUMNS = (
    "cluster_id",
    "record_id",
    "rank",
    "survivor_id",
    "created_at",
    "last_activity",
    *FIELDS,
    "first_fold",
    "last_fold",
    "email_evidence",
    "phone_valid",
    "phone_e164",
    "mobile_phone_valid",
    "mobile_phone_e164",
)

# Fields whose minority values may be typos of the majority's. Emails and phone numbers are
# not: "john.smith12" and "john.smith21" are two mailboxes, and a number differing in a digit
# is another number.
_TYPO_FIELDS = ("first_name", "last_name", "company", "title", *ADDRESS_FIELDS)
# Whether a field's values are text to fold; the others have keys of their own.
_FOLDED = ("company", "title", "street", "city", "state", "country")
# Fields whose key and usability read the value alone (not another column of the record).
_BY_VALUE = ("company", "title", "street", "city", "state", "postal_code", "country")
_FIELD_TYPE = pl.Enum(FIELDS)


@dataclass(frozen=True)
class ValueRules:
    """The rules choosing each field's value (``[duplicates.values]`` in rules.toml).

    Each attribute is a field's rules, most important first (see the module docstring);
    ``address`` chooses the five address fields together.
    """

    first_name: tuple[ValueRule, ...] = ("most_common", "survivor")
    last_name: tuple[ValueRule, ...] = ("most_common", "survivor")
    email: tuple[ValueRule, ...] = ("survivor", "most_recent")
    phone: tuple[ValueRule, ...] = ("survivor", "most_recent")
    mobile_phone: tuple[ValueRule, ...] = ("survivor", "most_recent")
    # A Contact's company is its Account's name: the survivor's, unless it has none.
    company: tuple[ValueRule, ...] = ("survivor", "most_recent")
    # People change jobs: the latest title is the current one.
    title: tuple[ValueRule, ...] = ("most_recent", "survivor")
    address: tuple[ValueRule, ...] = ("survivor", "most_recent")

    def of(self, target: str) -> tuple[ValueRule, ...]:
        """The rules of a field outside the address, or of ``"address"``."""
        rules: tuple[ValueRule, ...] = getattr(self, target)
        return rules


def _key_and_usable(field: str, placeholders: Placeholders) -> tuple[pl.Expr, pl.Expr]:
    """A field's comparison key (equal keys are one value) and whether a value may be chosen."""
    column = pl.col(field)
    if field in {"first_name", "last_name"}:
        # Folded with placeholder names ("Test", "Mickey Mouse") already blanked.
        return pl.col(f"{field.removesuffix('_name')}_fold"), pl.lit(value=True)
    if field == "email":
        return column.str.strip_chars().str.to_lowercase(), pl.col("email_evidence").fill_null(value=False)
    if field in {"phone", "mobile_phone"}:
        return pl.col(f"{field}_e164"), pl.col(f"{field}_valid").fill_null(value=False)
    if field == "postal_code":
        return fold_expr(column).str.replace_all(" ", ""), pl.lit(value=True)
    usable = ~placeholders.is_company(column) if field == "company" else pl.lit(value=True)
    return fold_expr(column), usable


def _candidates(members: pl.DataFrame, placeholders: Placeholders) -> pl.DataFrame:
    """One row per member and field with a usable value: its text, key and what rules rank it by."""
    members = members.with_columns(
        touched=touched(),
        is_survivor=pl.col("record_id") == pl.col("survivor_id"),
    )
    frames = []
    for field in FIELDS:
        key, usable = _key_and_usable(field, placeholders)
        source = members
        if field in _BY_VALUE:
            # Folded once per distinct value: a cluster's members share companies, cities, countries.
            distinct = members.select(pl.col(field).unique()).with_columns(_key=key, _usable=usable)
            keys = members.select(field).join(distinct, on=field, how="left", nulls_equal=True, maintain_order="left")
            source, key, usable = members.hstack(keys.drop(field)), pl.col("_key"), pl.col("_usable")
        value = pl.col(field).str.strip_chars()
        frames.append(
            source.select(
                "cluster_id",
                "record_id",
                "rank",
                "is_survivor",
                "touched",
                "created_at",
                field=pl.lit(field, dtype=_FIELD_TYPE),
                value=value,
                key=key,
                usable=usable & (value.str.len_chars() > 0) & key.is_not_null(),
            )
        )
    candidates = pl.concat(frames).filter(pl.col("usable")).drop("usable")
    guarded = candidates.filter(pl.col("field").is_in(_TYPO_FIELDS)).with_columns(pl.col("field").cast(pl.Utf8))
    typos = typo_keys(guarded).with_columns(pl.col("field").cast(_FIELD_TYPE), typo=pl.lit(value=True))
    candidates = candidates.join(typos.drop("typo_of"), on=["cluster_id", "field", "key"], how="left")
    return candidates.with_columns(
        typo=pl.col("typo").fill_null(value=False),
        holders=pl.len().over("cluster_id", "field", "key"),
    )


def _order(rules: Sequence[ValueRule], *, address: bool) -> tuple[list[pl.Expr], list[bool]]:
    """The sort keys of a field's rules (best first), the survivor ranking last."""
    keys = {
        "survivor": (pl.col("is_survivor"), True),
        "most_recent": (pl.col("touched"), True),
        "oldest": (pl.col("created_at"), False),
        "most_common": (pl.col("holders"), True),
        "longest": (pl.col("length"), True),
    }
    exprs, descending = [], []
    for rule in dict.fromkeys(rules):
        if rule == "longest" and address:
            exprs.append(pl.col("parts"))  # the fullest address first, then the most text
            descending.append(True)
        expr, down = keys[rule]
        exprs.append(expr)
        descending.append(down)
    return [*exprs, pl.col("rank")], [*descending, False]


def _best(candidates: pl.DataFrame, rules: Sequence[ValueRule], *, address: bool = False) -> pl.DataFrame:
    """Per cluster, the first candidate by the rules."""
    exprs, descending = _order(rules, address=address)
    ranked = candidates.sort([pl.col("cluster_id"), *exprs], descending=[False, *descending], nulls_last=True)
    return ranked.unique("cluster_id", keep="first", maintain_order=True)


def _rule_used(rules: Sequence[ValueRule]) -> pl.Expr:
    """The rule that chose a value: a leading ``survivor`` only when the survivor's value was taken."""
    first = rules[0]
    fallback = rules[1] if first == "survivor" and len(rules) > 1 else first
    return pl.when(pl.col("source_id") == pl.col("survivor_id")).then(pl.lit(first)).otherwise(pl.lit(fallback))


def _best_ranked_holder(candidates: pl.DataFrame, best: pl.DataFrame, key: str) -> pl.DataFrame:
    """Of the records holding the value chosen (equal ``key``), the best-ranked: the survivor when it holds it.

    So a value the record kept already carries is never shown as taken from another record.
    """
    holders = candidates.join(best.select("cluster_id", key), on=["cluster_id", key])
    return holders.sort("cluster_id", "rank").unique("cluster_id", keep="first", maintain_order=True)


def _field_values(candidates: pl.DataFrame, field: str, rules: Sequence[ValueRule]) -> pl.DataFrame:
    chosen = candidates.filter((pl.col("field") == field) & ~pl.col("typo"))
    chosen = chosen.with_columns(length=pl.col("value").str.len_chars())
    best = _best_ranked_holder(chosen, _best(chosen, rules), "key")
    return best.select("cluster_id", "field", "value", source_id=pl.col("record_id"))


def _address_values(candidates: pl.DataFrame, rules: Sequence[ValueRule]) -> pl.DataFrame:
    """The five address fields, all from the one record the address rules choose."""
    parts = candidates.filter(pl.col("field").is_in(ADDRESS_FIELDS))
    # A record whose address holds a typo of the cluster's majority is no address to copy.
    flawed = parts.filter(pl.col("typo")).select("cluster_id", "record_id").unique()
    addresses = (
        parts.join(flawed, on=["cluster_id", "record_id"], how="anti")
        .sort("field")
        .group_by("cluster_id", "record_id")
        .agg(
            pl.col("rank", "is_survivor", "touched", "created_at").first(),
            located=pl.col("field").is_in(["street", "city", "postal_code"]).any(),
            address_key=pl.concat_str(pl.col("field").cast(pl.Utf8), pl.col("key"), separator="=").str.join("|"),
            parts=pl.len(),
            length=pl.col("value").str.len_chars().sum(),
        )
        # A country alone (or a state) locates nobody: not an address to carry.
        .filter(pl.col("located"))
        .with_columns(holders=pl.len().over("cluster_id", "address_key"))
    )
    best = _best_ranked_holder(addresses, _best(addresses, rules, address=True), "address_key")
    best = best.select("cluster_id", source_id=pl.col("record_id"))
    # Every part of the chosen record, blank ones too: a part it lacks is cleared, not mixed in.
    fields = pl.DataFrame({"field": list(ADDRESS_FIELDS)}, schema={"field": _FIELD_TYPE})
    values = parts.select("cluster_id", "record_id", "field", "value")
    return (
        best.join(fields, how="cross")
        .join(
            values,
            left_on=["cluster_id", "source_id", "field"],
            right_on=["cluster_id", "record_id", "field"],
            how="left",
        )
        .select("cluster_id", "field", "value", "source_id")
    )


def _names_put_back(members: pl.DataFrame) -> pl.DataFrame:
    """Members whose first and last names are the other way round from their cluster's, put back.

    "Steele-Castillo Brandon" beside two "Brandon Steele-Castillo"s is one person whose names
    were typed in the wrong fields: read as typed, the vote would give the merged record
    "Brandon" twice. A record is read swapped when its names agree more, swapped, with the
    fields the cluster's records hold them in (each name counted once per record holding it
    there).
    """
    first = members.group_by("cluster_id", "first_fold").agg(first_votes=pl.len())
    last = members.group_by("cluster_id", "last_fold").agg(last_votes=pl.len())
    votes = (
        members.select("cluster_id", "first_fold", "last_fold")
        .join(first.rename({"first_votes": "as_first"}), on=["cluster_id", "first_fold"], how="left")
        .join(last.rename({"last_votes": "as_last"}), on=["cluster_id", "last_fold"], how="left")
        .join(
            first.rename({"first_fold": "last_fold", "first_votes": "last_as_first"}),
            on=["cluster_id", "last_fold"],
            how="left",
        )
        .join(
            last.rename({"last_fold": "first_fold", "last_votes": "first_as_last"}),
            on=["cluster_id", "first_fold"],
            how="left",
        )
    )
    straight = votes.get_column("as_first").fill_null(0) + votes.get_column("as_last").fill_null(0)
    swapped = votes.get_column("last_as_first").fill_null(0) + votes.get_column("first_as_last").fill_null(0)
    if not (swapped > straight).any():
        return members
    turned = pl.lit(swapped > straight)
    return members.with_columns(
        first_name=pl.when(turned).then(pl.col("last_name")).otherwise(pl.col("first_name")),
        last_name=pl.when(turned).then(pl.col("first_name")).otherwise(pl.col("last_name")),
        first_fold=pl.when(turned).then(pl.col("last_fold")).otherwise(pl.col("first_fold")),
        last_fold=pl.when(turned).then(pl.col("first_fold")).otherwise(pl.col("last_fold")),
    )


def merged_values(
    members: pl.DataFrame, *, rules: ValueRules | None = None, placeholders: Placeholders | None = None
) -> pl.DataFrame:
    """The values a merged record of each cluster should carry, field by field.

    Args:
        members: one row per cluster member with :data:`MEMBER_COLUMNS` (the normalised
            people's columns, and ``rank``/``survivor_id`` of
            :func:`~sfbridge.matching.clusters.cluster_members`).
        rules: the rules of each field (the defaults when None).
        placeholders: values read as blank (the defaults when None).

    Returns:
        One row per cluster and field of :data:`FIELDS`, sorted by cluster then field:
        ``cluster_id``, ``survivor_id``, ``field`` (an enum of :data:`FIELDS`), ``value``
        (the text to set, trimmed), ``source_id`` (the record it comes from), ``rule`` (the
        rule that chose it) and ``changes_survivor`` (True when the survivor holds another
        text). Where no record has a usable value, ``value``, ``source_id`` and ``rule``
        are null and nothing changes. The address fields share one ``source_id``; a part
        that record lacks is null there, and ``changes_survivor`` True for it means the
        survivor's part must be cleared, so the address stays one record's.
    """
    rules = rules or ValueRules()
    candidates = _candidates(_names_put_back(members.select(list(MEMBER_COLUMNS))), placeholders or Placeholders())
    chosen = [_field_values(candidates, field, rules.of(field)) for field in RULE_TARGETS if field != "address"]
    values = pl.concat([*chosen, _address_values(candidates, rules.address)])
    clusters = members.select("cluster_id", "survivor_id").unique("cluster_id")
    grid = clusters.join(pl.DataFrame({"field": list(FIELDS)}, schema={"field": _FIELD_TYPE}), how="cross")
    survivor = pl.concat(
        members.filter(pl.col("record_id") == pl.col("survivor_id")).select(
            "cluster_id", field=pl.lit(field, dtype=_FIELD_TYPE), current=pl.col(field).str.strip_chars()
        )
        for field in FIELDS
    )
    result = grid.join(values, on=["cluster_id", "field"], how="left").join(
        survivor, on=["cluster_id", "field"], how="left"
    )
    rule_of = {field: rules.of("address" if field in ADDRESS_FIELDS else field) for field in FIELDS}
    rule = pl.lit(None, dtype=pl.Utf8)
    for field, field_rules in rule_of.items():
        rule = pl.when(pl.col("field") == field).then(_rule_used(field_rules)).otherwise(rule)
    return result.select(
        "cluster_id",
        "survivor_id",
        "field",
        "value",
        "source_id",
        rule=pl.when(pl.col("source_id").is_not_null()).then(rule),
        changes_survivor=pl.col("source_id").is_not_null() & pl.col("value").ne_missing(pl.col("current")),
    ).sort("cluster_id", "field")
