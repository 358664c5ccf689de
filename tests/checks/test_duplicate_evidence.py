"""Whether a frame's values are JSON as they are, told from its columns' types (the duplicate findings' evidence)."""

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import polars as pl
import pytest

from sfbridge.checks.duplicate_evidence import json_as_is
from sfbridge.models import _is_json

JSON_FRAMES = {
    "text, categorical, integers, booleans, nulls": pl.DataFrame(
        {"a": ["x", None], "b": pl.Series(["y", "y"], dtype=pl.Categorical), "c": [1, None], "d": [True, None]}
    ).with_columns(e=pl.lit(None), f=pl.Series([2**40, 3], dtype=pl.UInt64)),
    "finite floats and nulls": pl.DataFrame({"score": [0.25, None, -0.0]}),
    "lists and structs of them": pl.DataFrame(
        {
            "matches": [
                [{"other_id": "003A", "score": 0.9, "reasons": ["same email"]}],
                None,
                [{"other_id": None, "score": None, "reasons": [None]}],
            ]
        }
    ),
    "no rows": pl.DataFrame(schema={"name": pl.String, "score": pl.Float64}),
    "enums and fixed-size arrays": pl.DataFrame(
        {"kind": pl.Series(["Lead", "Contact"], dtype=pl.Enum(["Lead", "Contact"]))}
    ).with_columns(pair=pl.Series([[1, 2], [3, 4]], dtype=pl.Array(pl.Int64, 2))),
}

NOT_JSON_FRAMES = {
    "a date": pl.DataFrame({"when": [date(2026, 1, 2)]}),
    "a datetime": pl.DataFrame({"when": [datetime(2026, 1, 2, 3, tzinfo=UTC)]}),
    "a decimal": pl.DataFrame({"amount": [Decimal("1.50")]}),
    "bytes": pl.DataFrame({"blob": [b"x"]}),
    "NaN": pl.DataFrame({"score": [0.5, math.nan]}),
    "infinity": pl.DataFrame({"score": [math.inf]}),
    "NaN inside a list of structs": pl.DataFrame(
        {"waterfall": [[{"step": "prior", "weight": 1.0}], [{"step": "email", "weight": math.nan}]]}
    ),
    "a date inside a struct": pl.DataFrame({"match": [{"other_id": "003A", "since": date(2026, 1, 2)}]}),
    "a time": pl.DataFrame({"at": [time(9, 30)]}),
    "a duration": pl.DataFrame({"took": [timedelta(seconds=3)]}),
    "an object": pl.DataFrame({"thing": pl.Series([{1, 2}], dtype=pl.Object)}),
    "a 32-bit NaN": pl.DataFrame({"score": pl.Series([math.nan], dtype=pl.Float32)}),
    "NaN in a list of lists": pl.DataFrame({"weights": [[[1.0], [math.nan]]]}),
    "infinity in a fixed-size array": pl.DataFrame(
        {"pair": pl.Series([[1.0, math.inf]], dtype=pl.Array(pl.Float64, 2))}
    ),
}


@pytest.mark.parametrize("frame", JSON_FRAMES.values(), ids=JSON_FRAMES.keys())
def test_a_frame_of_json_types_is_json_as_it_is_and_every_value_agrees(frame):
    assert json_as_is(frame)
    assert all(_is_json(row) for row in frame.to_dicts())  # the walk over each value says the same


@pytest.mark.parametrize("frame", NOT_JSON_FRAMES.values(), ids=NOT_JSON_FRAMES.keys())
def test_a_frame_with_a_value_json_would_change_is_not(frame):
    assert not json_as_is(frame)
    assert not all(_is_json(row) for row in frame.to_dicts())
