"""One store, one result: the learned weights and every pair's score are the same to the last bit, run after run.

Polars runs group_by and horizontal sums on its thread pool, and their float sums came out in
an order that varied with the threads: on a generated org of 10,000 people the learned model
differed between any two fresh runs, and a quarter of the pairs' weights between 1 and 2
threads. A score on the threshold could have flipped a duplicate between two audits.
"""

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

import sfbridge
from sfbridge.matching import Matching, MatchSettings
from sfbridge.matching.people import PEOPLE_SCHEMA, field_of, people_frame
from sfbridge.matching.scoring import Frequencies, weight_columns
from sfbridge_tools.synthetic import generate_org, shape_for_records

# Fewer records and the org is too small to learn weights from (the priors are exact sums).
RECORDS = 10_000
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)

# Run in a fresh process: polars' thread pool is sized once, when polars is imported.
_FIT = """
import json, sys
import polars as pl
from sfbridge.matching import Matching, MatchSettings
matching = Matching(pl.read_parquet(sys.argv[1]), settings=MatchSettings(workers=1))
model = matching.model
scored = matching.scored.sort("left", "right")
print(json.dumps({
    "learned": model.learned,
    "prior": model.prior.hex(),
    "m": {c: {level: value.hex() for level, value in levels.items()} for c, levels in model.m.items()},
    "u": {c: {level: value.hex() for level, value in levels.items()} for c, levels in model.u.items()},
    "pairs": [[left, right, weight.hex()] for left, right, weight in scored.select("left", "right", "weight").rows()],
}))
"""


@pytest.fixture(scope="module")
def people_file(tmp_path_factory) -> Path:
    """A generated org's Leads as a people frame, in a file fresh processes read."""
    org = generate_org(shape_for_records(RECORDS), snapshot=NOW)
    text = [column for column, dtype in PEOPLE_SCHEMA.items() if dtype == pl.Utf8()]
    columns = {field: column for column in text if (field := field_of("Lead", column))}
    rows = [{column: lead.get(field) for field, column in columns.items()} for lead in org.records("Lead")]
    people = people_frame(pl.DataFrame(rows, infer_schema_length=None).with_columns(sobject=pl.lit("Lead")))
    path = tmp_path_factory.mktemp("determinism") / "people.parquet"
    people.write_parquet(path)
    return path


def _fit_in_fresh_process(people: Path, threads: int) -> dict:
    source = str(Path(sfbridge.__file__).parents[1])  # the sfbridge this test imported
    env = os.environ | {
        "POLARS_MAX_THREADS": str(threads),
        "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-c", _FIT, str(people)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)  # noqa: S603 (our script)
    return json.loads(done.stdout)


def test_the_model_and_scores_are_the_same_to_the_last_bit_whatever_the_threads(people_file):
    """Fresh processes on 1, 2 and 3 threads learn the same m, u and prior and give every pair the same weight."""
    runs = [_fit_in_fresh_process(people_file, threads) for threads in (1, 2, 3)]
    assert runs[0]["learned"]  # the org is large enough to learn from: the sums under test are run
    assert len(runs[0]["pairs"]) > 100  # enough pairs for a sum's order to show
    for run in runs[1:]:
        assert run["prior"] == runs[0]["prior"]
        assert run["m"] == runs[0]["m"]
        assert run["u"] == runs[0]["u"]
        assert run["pairs"] == runs[0]["pairs"]


def test_a_pairs_weight_is_the_prior_and_each_comparisons_weight_added_in_order(people_file):
    """The weight is prior + w_first + w_last + … added left to right, as a waterfall reads: the same on any machine."""
    matching = Matching(pl.read_parquet(people_file), settings=MatchSettings(workers=1))
    scored = matching.scored.filter(pl.col("hard_negative").is_null())
    assert matching.model.learned
    assert scored.height > 10
    for row in scored.select(*weight_columns(), "weight").rows():
        total = matching.model.prior
        for weight in row[:-1]:
            total += weight
        assert row[-1] == total


def test_the_share_of_people_sharing_a_value_is_exact_whatever_the_order_of_the_values():
    """Σ n² / M² over a thousand phone numbers: correctly rounded, and the same for the counts in any order."""
    rng = random.Random(7)  # noqa: S311 (test data)
    counts = [rng.randint(1, 40) for _ in range(1_000)]
    phones = pl.DataFrame({"shared_phone": [f"+1415555{n:04d}" for n in range(1_000)], "phone_count": counts})
    people = pl.DataFrame(
        schema=dict.fromkeys(
            ["first_fold", "last_fold", "company_key", "address_id", "postcode_key", "city_fold"], pl.Utf8
        )
    )
    emails = pl.DataFrame(schema={"email_key": pl.Utf8, "email_count": pl.UInt32})
    total = sum(counts)
    exact = float(Fraction(sum(n * n for n in counts), total * total))
    for seed in range(5):
        shuffled = phones.sample(fraction=1.0, shuffle=True, seed=seed)
        frequencies = Frequencies.of(people, shuffled, emails)
        assert frequencies.shared["phone"] == exact
        assert frequencies.shared["email"] == 0.0
