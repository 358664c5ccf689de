"""The learned match model is kept between audits, and learned anew once the org's pairs have moved.

Learned again on every audit, the weights moved a little with every pull: after 1 % of a million
records changed, 42,687 of 43,279 duplicate findings changed their scores and waterfalls
though their records had not. A kept model scores the same pair the same way until the
agreement patterns of the candidate pairs (what the model is learned from) have moved by more
than ``[duplicates] relearn_drift``.
"""

from datetime import UTC, datetime

import polars as pl
import pytest
from test_learned_weights import splink_people

from sfbridge.matching import Matching, MatchSettings
from sfbridge.matching.kept_model import pattern_drift

FIRST = datetime(2026, 11, 2, 9, tzinfo=UTC)
LATER = datetime(2026, 11, 3, 9, tzinfo=UTC)


class ModelStore:
    """Keeps the normalisers' tables and the match model in memory."""

    def __init__(self) -> None:  # noqa: D107
        self.tables: dict[str, tuple[str, pl.DataFrame]] = {}
        self.model: tuple[str, dict] | None = None
        self.kept = 0
        self.asked: list[str] = []  # the settings each search asked a kept model for

    def load_derived(self, kind, settings):  # noqa: D102
        kept = self.tables.get(kind)
        return kept[1] if kept is not None and kept[0] == settings else None

    def save_derived(self, kind, settings, frame):  # noqa: D102
        self.tables[kind] = (settings, frame)

    def load_match_model(self, settings):  # noqa: D102
        self.asked.append(settings)
        return self.model[1] if self.model is not None and self.model[0] == settings else None

    def save_match_model(self, settings, form):  # noqa: D102
        self.model = (settings, form)
        self.kept += 1


def _search(people, store, *, at=LATER, **settings):
    return Matching(people, settings=MatchSettings(workers=1, **settings), derived=store, as_of=at)


def _with_emails_dropped(people: pl.DataFrame, share: float) -> pl.DataFrame:
    """The people with the emails of the first ``share`` of them emptied."""
    cut = int(people.height * share)
    return people.with_columns(
        email=pl.when(pl.int_range(pl.len()) < cut).then(None).otherwise(pl.col("email")),
    )


@pytest.fixture
def learned():
    """A store holding the model the splink set's first audit learned, and that model."""
    store = ModelStore()
    model = _search(splink_people(), store, at=FIRST).model
    assert model.learned
    assert store.kept == 1
    store.asked.clear()
    return store, model


def test_a_later_search_of_nearly_the_same_people_keeps_the_model(learned, monkeypatch):
    store, first = learned
    # Kept, the random pairs u is estimated from are never drawn.
    monkeypatch.setattr(Matching, "_random_pairs", lambda _self: pytest.fail("the model was learned again"))
    later = _search(_with_emails_dropped(splink_people(), 0.01), store).model
    assert (later.prior, later.m, later.u) == (first.prior, first.m, first.u)
    shown = later.as_json()
    assert shown["kept_from_snapshot"] == "2026-11-02T09:00:00Z"
    assert 0 < shown["drift"] <= MatchSettings().relearn_drift
    assert store.kept == 1


def test_the_kept_model_scores_every_pair_as_the_audit_that_learned_it(learned):
    store, _ = learned
    first = Matching(splink_people(), settings=MatchSettings(workers=1)).scored
    again = _search(splink_people(), store).scored
    assert again.equals(first)


def test_people_whose_pairs_moved_past_the_drift_are_learned_anew(learned):
    store, first = learned
    moved = _search(_with_emails_dropped(splink_people(), 0.4), store)
    model = moved.model
    assert model.as_json()["kept_from_snapshot"] is None
    assert model.m != first.m
    assert store.kept == 2
    # Kept now in its place, from the later snapshot.
    assert _search(_with_emails_dropped(splink_people(), 0.4), store).model.as_json()["kept_from_snapshot"] == (
        "2026-11-03T09:00:00Z"
    )


def test_a_relearn_drift_of_0_learns_again_from_the_same_people(learned, monkeypatch):
    store, first = learned
    drawn = []
    random_pairs = Matching._random_pairs
    monkeypatch.setattr(Matching, "_random_pairs", lambda self: drawn.append(1) or random_pairs(self))
    model = _search(splink_people(), store, relearn_drift=0.0).model
    assert drawn == [1]
    assert model.as_json()["kept_from_snapshot"] is None
    assert store.asked == []  # nothing kept was read
    assert store.kept == 2
    assert (model.prior, model.m) == (first.prior, first.m)  # the same people, the same fit


def test_a_model_kept_under_other_matching_settings_is_not_read(learned):
    store, _ = learned
    settings = store.model[0]
    model = _search(splink_people(), store, max_block_size=50).model
    assert model.as_json()["kept_from_snapshot"] is None
    assert len(store.asked) == 1
    assert store.asked[0] != settings
    assert store.kept == 2


def test_a_fifth_fewer_people_are_learned_anew(learned):
    """The prior follows how many people and pairs there are, whatever their patterns."""
    store, first = learned
    model = _search(splink_people().head(800), store).model
    assert model.as_json()["kept_from_snapshot"] is None
    assert model.prior != first.prior
    assert store.kept == 2


_GONE = object()


@pytest.mark.parametrize(
    "change",
    [
        {"patterns": "oops"},
        {"prior": "x"},
        {"prior": None},
        {"people": -1},
        {"m": {"email": {"same": 0.5}}},  # the other comparisons' levels missing
        {"u": "not a table"},
        {"format": 99},
        {"tf": None},
        {"training_kinds": _GONE},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_damaged_kept_model_is_learned_anew(learned, change):
    store, first = learned
    settings, form = store.model
    damaged = {key: value for key, value in {**form, **change}.items() if value is not _GONE}
    store.model = (settings, damaged)
    model = _search(splink_people(), store).model
    assert model.learned
    assert model.as_json()["kept_from_snapshot"] is None
    assert (model.prior, model.m) == (first.prior, first.m)


def test_a_kept_m_that_is_no_probability_is_learned_anew(learned):
    store, _ = learned
    settings, form = store.model
    m = {comparison: dict(levels) for comparison, levels in form["m"].items()}
    m["email"]["same"] = 2.0
    store.model = (settings, {**form, "m": m})
    assert _search(splink_people(), store).model.as_json()["kept_from_snapshot"] is None
    # Undamaged, the same form is read: the tests above damage what would otherwise score.
    store.model = (settings, form)
    assert _search(splink_people(), store).model.as_json()["kept_from_snapshot"] is not None


def test_hand_set_weights_are_not_kept():
    store = ModelStore()
    assert not _search(splink_people(), store, learn=False).model.learned
    assert store.model is None


def test_the_drift_is_the_share_of_pairs_whose_pattern_moved():
    assert pattern_drift({"a": 3, "b": 1}, {"a": 3, "b": 1}) == 0
    assert pattern_drift({"a": 1}, {"b": 5}) == 1
    assert pattern_drift({"a": 2, "b": 2}, {"a": 3, "b": 1}) == pytest.approx(0.25)
    assert pattern_drift({}, {"a": 1}) == 1
    # Exact, whatever order the patterns come in (in integers, one division at the end).
    many = {f"p{n}": n + 1 for n in range(500)}
    shifted = {f"p{n}": n + 2 for n in range(500)}
    assert pattern_drift(many, shifted) == pattern_drift(dict(reversed(many.items())), dict(reversed(shifted.items())))
