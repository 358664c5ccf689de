"""benchmarks/matching_accuracy.py: its pairwise scores are right, and its engine side runs on the small sets in CI."""

import itertools
import json
import random
from pathlib import Path

import polars as pl
import pytest

LABELLED = Path(__file__).resolve().parents[2] / "fixtures" / "labelled"


def frames(truth, predicted):
    """Truth as {record: cluster} for every record, predicted as {record: cluster} for clustered records."""
    return (
        pl.DataFrame({"record_id": list(predicted), "cluster_id": list(predicted.values())}),
        pl.DataFrame({"record_id": list(truth), "cluster": list(truth.values())}),
    )


def pairs_of(assignment):
    groups = {}
    for record, cluster in assignment.items():
        groups.setdefault(cluster, []).append(record)
    return {pair for group in groups.values() for pair in itertools.combinations(sorted(group), 2)}


def test_scores_of_a_hand_made_set(bench):
    """True {a,b,c} {d,e} {f}; predicted {a,b} {c,d}: 4 true pairs, 2 predicted, 1 right."""
    truth = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 3}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y"}
    scores = bench.pairwise_scores(*frames(truth, predicted))
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (4, 2, 1)
    assert scores.precision == 0.5
    assert scores.recall == 0.25
    assert scores.f1 == pytest.approx(1 / 3)


def test_a_record_alone_never_meets_a_cluster_named_like_it(bench):
    """Records outside every predicted cluster are alone, even when a cluster is named after a record Id."""
    truth = {"a": 1, "b": 1, "c": 1}
    predicted = {"a": "b", "b": "b"}  # the engine names a cluster by a member's Id; "c" is alone
    scores = bench.pairwise_scores(*frames(truth, predicted))
    assert (scores.predicted_pairs, scores.correct_pairs) == (1, 1)


@pytest.mark.parametrize("seed", range(5))
def test_scores_equal_counting_every_pair(bench, seed):
    """Counting from cluster sizes gives what listing every record pair gives."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    records = [f"r{n}" for n in range(120)]
    truth = {record: rng.randrange(40) for record in records}
    predicted = {record: rng.randrange(30) for record in records if rng.random() < 0.7}
    scores = bench.pairwise_scores(*frames(truth, predicted))
    true, found = pairs_of(truth), pairs_of(predicted)
    assert scores.true_pairs == len(true)
    assert scores.predicted_pairs == len(found)
    assert scores.correct_pairs == len(true & found)
    assert scores.precision == pytest.approx(len(true & found) / len(found))
    assert scores.recall == pytest.approx(len(true & found) / len(true))


def test_nothing_predicted_has_no_precision_and_zero_f1(bench):
    scores = bench.pairwise_scores(*frames({"a": 1, "b": 1}, {}))
    assert scores.precision is None
    assert (scores.recall, scores.f1) == (0.0, 0.0)


def test_predictions_must_be_about_known_records_once(bench):
    with pytest.raises(ValueError, match="not in the truth"):
        bench.pairwise_scores(*frames({"a": 1}, {"a": 1, "z": 1}))
    predicted = pl.DataFrame({"record_id": ["a", "a"], "cluster_id": ["x", "y"]})
    with pytest.raises(ValueError, match="two predicted clusters"):
        bench.pairwise_scores(predicted, pl.DataFrame({"record_id": ["a"], "cluster": ["1"]}))


def test_hard_negatives_joined_counts_pairs_in_one_cluster(bench):
    predicted = pl.DataFrame({"record_id": ["a", "b", "c", "d"], "cluster_id": ["x", "x", "y", "y"]})
    negatives = pl.DataFrame({"left": ["a", "a", "c", "e"], "right": ["b", "c", "d", "a"]})
    assert bench.negatives_joined(predicted, negatives) == 2
    assert bench.negatives_joined(predicted, None) is None


def test_the_benchmark_runs_the_engine_on_the_small_sets(bench, tmp_path, capsys):
    """`--quick --no-splink` on the fixtures: a markdown row and JSON per set, scored against the fixtures' truth."""
    out = tmp_path / "accuracy.json"
    bench.main(["--quick", "--no-splink", "--sets", "fake_1000,nameaddress_1500", "--json", str(out)])
    table = capsys.readouterr().out
    assert "| fake_1000 | 1,000 | 2,031 | sfbridge |" in table
    assert "| nameaddress_1500 | 1,500 | 1,245 | sfbridge |" in table
    results = {entry["name"]: entry for entry in json.loads(out.read_text())["sets"]}
    fixture = pl.read_csv(LABELLED / "nameaddress" / "nameaddress_1500.csv")
    truth = dict(zip(fixture["record_id"], fixture["cluster"], strict=True))
    for name in ("fake_1000", "nameaddress_1500"):
        (result,) = results[name]["results"]
        scores = result["scores"]
        assert result["engine"] == "sfbridge"
        assert scores["correct_pairs"] <= min(scores["true_pairs"], scores["predicted_pairs"])
        if scores["precision"]:
            assert scores["f1"] == pytest.approx(
                2 * scores["precision"] * scores["recall"] / (scores["precision"] + scores["recall"])
            )
    assert results["nameaddress_1500"]["results"][0]["scores"]["true_pairs"] == len(pairs_of(truth))
    assert results["nameaddress_1500"]["results"][0]["negatives_joined"] is not None


@pytest.mark.parametrize(
    ("loader", "precision", "f1"),
    [
        # Issue 12's floors: the name-and-address-only set at F1 >= 0.96, precision >= 0.97 on
        # every set. Measured: nameaddress_1500 0.993 / 0.978, fake_1000 1.000 / 0.931.
        ("load_name_address_fixture", 0.98, 0.97),
        ("load_fake_1000", 0.97, 0.92),
    ],
)
def test_the_engine_holds_its_accuracy_on_the_labelled_sets(bench, loader, precision, f1):
    """The engine's pairwise precision and F1 on the labelled sets CI has, against fixed floors."""
    result = bench.run_sfbridge(getattr(bench, loader)())
    assert result.scores.precision >= precision
    assert result.scores.f1 >= f1
