"""The duplicate findings' evidence as Python: each record's matches, each cluster's merged values.

A million records' duplicate findings hold tens of thousands of matches, each with its reasons
and waterfall, and hundreds of thousands of merged values. Polars turns nested columns into
Python slowly, so these are converted once per pair and per value, from plain columns, and
shared between the findings that show them (nothing edits a finding's evidence).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

__all__ = ["MERGED_COLUMNS", "MergedValue", "json_as_is", "match_lists", "merged_lists"]

#: One value chosen for a merged record: field, value, source_id, rule, changes_survivor.
MergedValue = tuple[str, str | None, str, str, bool]
#: The columns of the matching's best values a merged value is read from, in its order.
MERGED_COLUMNS = ("field", "value", "source_id", "rule", "changes_survivor")


def json_as_is(frame: pl.DataFrame) -> bool:
    """Whether every value polars gives back from this frame is JSON as it is (:attr:`.Finding.json_ready`).

    Decided by the columns' types, not value by value: text (categorical too), integers,
    booleans and nulls always are; floats when none is NaN or infinite (pydantic dumps those
    as null); lists and structs when what they hold is. Dates, datetimes, decimals and bytes
    are not. Evidence built from such a frame needs no walk over its values: the duplicate
    findings' matches and waterfalls took 1.2 s to walk at a million records.
    """
    return all(_series_json(column) for column in frame.iter_columns())


def _series_json(series: pl.Series) -> bool:
    dtype = series.dtype
    if dtype in (pl.String, pl.Boolean, pl.Null) or dtype.is_integer() or isinstance(dtype, pl.Categorical | pl.Enum):
        return True
    if dtype.is_float():
        return bool(series.is_finite().fill_null(value=True).all())  # NaN is not finite either
    if isinstance(dtype, pl.List):
        return _series_json(series.list.explode())
    if isinstance(dtype, pl.Array):
        return _series_json(series.arr.explode())
    if isinstance(dtype, pl.Struct):
        return all(_series_json(field) for field in series.struct.unnest().iter_columns())
    return False


def match_lists(members: pl.DataFrame) -> list[list[dict[str, Any]] | None]:
    """Each member's ``matches`` as evidence (``other_id``, ``other_sobject``, ``score``, ``reasons``, ``waterfall``).

    Polars turns nested structs into Python slowly, and each pair is in the matches of both its
    records: its reasons and waterfall are converted once, from the side whose record Id is the
    smaller, and both findings hold the same (never modified) lists.
    """
    flat = (
        members.select(member=pl.int_range(pl.len(), dtype=pl.UInt32), record_id="record_id", match="matches")
        .explode("match")
        .filter(pl.col("match").is_not_null())
        .unnest("match")
    )
    # Both records of a pair are members (pairs are within clusters), so each pair is here twice.
    first = flat.filter(pl.col("record_id") < pl.col("other_id"))
    # Each row's pair: the number of the pair's first side, looked up by the two Ids swapped.
    sides = pl.concat(
        [
            first.select("record_id", "other_id", pair=pl.int_range(pl.len(), dtype=pl.UInt32)),
            first.select(record_id="other_id", other_id="record_id", pair=pl.int_range(pl.len(), dtype=pl.UInt32)),
        ]
    )
    flat = flat.join(sides, on=["record_id", "other_id"], how="left", maintain_order="left")
    reasons, waterfalls = first.get_column("reasons").to_list(), _waterfalls(first.get_column("waterfall"))
    lists: list[list[dict[str, Any]] | None] = [None] * members.height
    columns = flat.select("member", "other_id", "other_sobject", pl.col("score").round(4), "pair")
    for member, other_id, other_sobject, score, pair in columns.iter_rows():
        match = {
            "other_id": other_id,
            "other_sobject": other_sobject,
            "score": score,
            "reasons": reasons[pair],
            "waterfall": waterfalls[pair],
        }
        held = lists[member]
        if held is None:
            lists[member] = [match]
        else:
            held.append(match)
    return lists


def _waterfalls(waterfall: pl.Series) -> list[list[dict[str, Any]]]:
    """A list column of ``step``/``level``/``weight`` structs as Python lists of dicts.

    A million records' matched pairs hold a quarter of a million steps but only a few thousand
    distinct ones (the prior, and each level's weight): each distinct step is one dict, shared
    by every waterfall that shows it, like the lists :func:`match_lists` shares. Nothing edits
    a finding's evidence; this keeps the duplicate findings' memory and the garbage collector's
    work to a fraction.
    """
    steps = waterfall.explode().struct.unnest()
    shared: dict[tuple[Any, ...], dict[str, Any]] = {}
    flat = []
    for step, level, weight in steps.iter_rows():
        # The sign tells 0.0 from -0.0, which are one key but two numbers in findings.json.
        key = (step, level, weight, None if weight is None else math.copysign(1.0, weight))
        item = shared.get(key)
        if item is None:
            item = shared[key] = {"step": step, "level": level, "weight": weight}
        flat.append(item)
    lists, start = [], 0
    for length in waterfall.list.len().to_list():
        lists.append(flat[start : start + length])
        start += length
    return lists


def merged_lists(best_values: pl.DataFrame) -> dict[str, list[MergedValue]]:
    """Per cluster, the values chosen for the merged record, in field order.

    Plain tuples from plain columns: polars turns a list of structs into dicts several times
    slower, and a million records' clusters choose two hundred thousand values.
    """
    values = best_values.filter(pl.col("source_id").is_not_null())
    columns = values.select("cluster_id", *MERGED_COLUMNS).with_columns(pl.col("field").cast(pl.Utf8))
    merged: dict[str, list[MergedValue]] = {}
    for cluster, *value in columns.iter_rows():
        merged.setdefault(cluster, []).append(tuple(value))  # the five columns above
    return merged
