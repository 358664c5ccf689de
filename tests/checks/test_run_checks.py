"""Running the checks together: people checks last, and the snapshot released as the others finish."""

import dataclasses
import math
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from sfbridge.checks import CHECKS, Reads, fields_needed, run_checks, run_checks_detailed, select_checks
from sfbridge.checks.registry import Check
from sfbridge.matching import Matching
from sfbridge.rules import Rules, load_rules
from sfbridge.snapshot import Snapshot

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_releasing_the_snapshot_as_checks_finish_changes_no_finding(demo_store):
    """Each check declares what it reads: dropping everything else before the people checks loses nothing."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    checks = list(CHECKS.values())
    fields = fields_needed(checks, rules)
    kept = demo_store.load_snapshot(fields)
    released = demo_store.load_snapshot(fields)
    expected = run_checks(kept, rules=rules, now=kept.taken_at, checks=checks)
    found = run_checks(released, rules=rules, now=released.taken_at, checks=checks, release=True)
    assert [finding.plain for finding in found] == [finding.plain for finding in expected]
    assert {finding.check for finding in found} >= {"duplicate", "premature_conversion", "never_touched_lead"}
    assert released.frames["Task"].is_empty()  # really released: only the people checks' fields stayed
    assert set(released.frames["Lead"].columns) < set(kept.frames["Lead"].columns)


def _logged(check: Check, ran: list[Check]) -> Check:
    return dataclasses.replace(check, run=lambda context: ran.append(check) or check.run(context))


@pytest.mark.parametrize("prepared", [False, True], ids=["people first", "people prepared"])
def test_checks_run_in_the_order_of_what_they_read_whatever_order_they_are_given(demo_store, prepared):
    """Records only, then the people alone, then the people and the search, then the search's results alone."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    ran: list[Check] = []
    checks = [_logged(check, ran) for check in reversed(CHECKS.values())]  # the search's readers first
    snapshot = demo_store.load_snapshot(fields_needed(checks, rules))
    run_checks_detailed(
        snapshot, rules=rules, now=snapshot.taken_at, checks=checks, release=True, people_prepared=prepared
    )
    order = list(Reads)
    assert [check.reads for check in ran] == sorted((check.reads for check in ran), key=order.index)
    assert {check.reads for check in ran} == set(Reads)  # every kind is in the registry, so each place is checked
    assert {check.name for check in ran} == set(CHECKS)


@pytest.mark.parametrize(
    "names",
    [
        None,
        ["duplicate", "lead_is_existing_contact", "lead_matches_account", "orphan_contact", "invalid_phone"],
        ["stale_lead", "junk_lead", "duplicate"],
        ["invalid_email"],
        ["stale_lead"],
    ],
    ids=["all", "people readers only", "records and the search", "the people alone", "records only"],
)
def test_the_people_made_after_the_other_checks_find_the_same(demo_store, names):
    """people_prepared only orders the work: the same findings and model for every mix of checks, released or not."""
    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    checks = select_checks(names)
    fields = fields_needed(checks, rules)
    for release in (False, True):
        runs = [
            run_checks_detailed(
                demo_store.load_snapshot(fields),
                rules=rules,
                now=NOW,
                checks=checks,
                release=release,
                people_prepared=late,
            )
            for late in (False, True)
        ]
        assert [item.plain for item in runs[1].findings] == [item.plain for item in runs[0].findings]
        assert runs[1].match_model == runs[0].match_model


def test_a_check_failing_before_the_people_are_made_makes_none_on_the_way_out(demo_store, monkeypatch):
    """With the people prepared, a records check that fails leaves no people built just to be closed."""
    from sfbridge.checks import context  # noqa: PLC0415 (the module whose step is counted)

    made: list[int] = []
    making = context.people_matching
    monkeypatch.setattr(context, "people_matching", lambda *args, **kwargs: made.append(1) or making(*args, **kwargs))

    def fails(_context):
        raise KeyboardInterrupt

    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    checks = [dataclasses.replace(CHECKS["stale_lead"], run=fails), CHECKS["duplicate"]]
    snapshot = demo_store.load_snapshot(fields_needed(checks, rules))
    with pytest.raises(KeyboardInterrupt):
        run_checks_detailed(snapshot, rules=rules, now=NOW, checks=checks, release=True, people_prepared=True)
    assert made == []
    with pytest.raises(KeyboardInterrupt):  # made first when not prepared, and closed
        run_checks_detailed(snapshot, rules=rules, now=NOW, checks=checks, release=True, people_prepared=False)
    assert made == [1]


def test_the_people_columns_are_released_before_the_people_are_normalised(demo_store, monkeypatch):
    """The people frame is built as the search starts: the snapshot's people columns go before normalising."""
    from sfbridge.matching import engine  # noqa: PLC0415 (the module whose step is watched)

    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    checks = list(CHECKS.values())
    snapshot = demo_store.load_snapshot(fields_needed(checks, rules))
    held: dict[str, set[str]] = {}
    normalise = engine.normalise_located

    def watched(*args, **kwargs):
        # A released object keeps its columns with no rows (see Snapshot.release).
        held.update(
            {sobject: set(frame.columns) if frame.height else set() for sobject, frame in snapshot.frames.items()}
        )
        return normalise(*args, **kwargs)

    monkeypatch.setattr(engine, "normalise_located", watched)
    run_checks(snapshot, rules=rules, now=snapshot.taken_at, checks=checks, release=True)
    besides = fields_needed([check for check in checks if check.reads_people], rules, people=False)
    assert "Street" not in held["Lead"]  # a people column no other check reads
    for sobject in ("Lead", "Contact"):
        assert held[sobject] <= set(besides.get(sobject, ())) | {"Id"}


def test_the_c_heap_is_handed_back_after_normalising_and_before_the_search(demo_store, monkeypatch):
    """What the other checks and normalising freed goes back to the system before normalising and before the search."""
    from sfbridge import heap  # noqa: PLC0415 (the modules whose steps are watched)
    from sfbridge.matching import engine  # noqa: PLC0415

    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    checks = list(CHECKS.values())
    snapshot = demo_store.load_snapshot(fields_needed(checks, rules))
    steps: list[str] = []
    monkeypatch.setattr(heap, "_malloc_trim", lambda: lambda _pad: steps.append("trim"))
    for name in ("normalise_located", "people_candidates"):
        step = getattr(engine, name)
        monkeypatch.setattr(engine, name, lambda *a, _step=step, _name=name, **k: steps.append(_name) or _step(*a, **k))
    run_checks(snapshot, rules=rules, now=snapshot.taken_at, checks=checks, release=True)
    assert steps == ["trim", "normalise_located", "trim", "people_candidates"]


def test_people_fields_are_loaded_for_checks_that_read_people_only():
    """The duplicate check's load includes the people's fields; once the people are built they are not needed."""
    rules = load_rules(None)
    duplicate = [CHECKS["duplicate"]]
    assert "Email" in fields_needed(duplicate, rules)["Lead"]
    assert "Email" not in fields_needed(duplicate, rules, people=False)["Lead"]
    assert "Contact" not in fields_needed([CHECKS["stale_lead"]], rules)


# -- the match model a run of the checks keeps ------------------------------------------------

FAKE_1000 = REPO / "fixtures" / "labelled" / "splink" / "fake_1000.csv"


def splink_snapshot():
    """The Splink fake_1000 set as an org's Contacts: enough pairs for the model to learn from."""
    rows = pl.read_csv(FAKE_1000, infer_schema_length=0)
    contacts = rows.select(
        Id=pl.format("003{}AAA", pl.col("unique_id").str.zfill(12)),
        FirstName="first_name",
        LastName="surname",
        Email="email",
        MailingCity="city",
        MailingCountry=pl.lit("United Kingdom"),
        Birthdate=pl.col("dob").str.to_date(),
    )
    return Snapshot(org_id="00D000000000001AAA", instance_url="", taken_at=NOW, frames={"Contact": contacts})


def test_the_duplicate_search_learns_on_a_large_enough_org_and_the_run_keeps_its_model():
    """fake_1000's pairs are enough to learn from: the model is learned, converged, and every comparison is there."""
    checked = run_checks_detailed(splink_snapshot(), rules=Rules(), now=NOW, checks=select_checks(["duplicate"]))
    model = checked.match_model
    assert checked.findings
    assert model is not None
    assert model["learned"] is True
    assert model["converged"] is True
    assert model["hand_set_reason"] is None
    assert model["training_blocking_keys"]
    assert model["em_iterations"] > 0
    assert model["candidate_pairs"] > model["min_training_pairs"]
    assert set(model["comparisons"]) == {"first", "last", "email", "phone", "birthdate", "country", "place"}
    assert model["comparisons"]["last"]["same"]["term_frequency_adjusted"] is True
    same = model["comparisons"]["email"]["same"]
    assert same["weight"] == pytest.approx(math.log2(same["m"] / same["u"]), abs=0.01)
    # Each duplicate's best match carries the waterfall of the model kept: its prior is the first step.
    steps = checked.findings[0].evidence["matches"][0]["waterfall"]
    assert steps[0] == {"step": "prior", "level": "learned", "weight": model["prior_log2_odds"]}


def test_a_small_org_is_scored_by_hand_set_weights_and_the_model_says_why(demo_snapshot):
    """The demo org has too few pairs to learn from: the model kept is hand-set, with its reason and pair count."""
    checks = select_checks(["duplicate"])
    model = run_checks_detailed(demo_snapshot, rules=Rules(), now=NOW, checks=checks).match_model
    assert model is not None
    assert model["learned"] is False
    assert model["hand_set_reason"] == "too_few_pairs"
    assert 0 < model["candidate_pairs"] < model["min_training_pairs"]
    # The hand-set weights of a shared email or phone drop with how many hold it: marked, like tf levels.
    assert model["comparisons"]["email"]["same"]["term_frequency_adjusted"] is True
    off = Rules.model_validate({"duplicates": {"learn_weights": False}})
    assert run_checks_detailed(splink_snapshot(), rules=off, now=NOW, checks=checks).match_model["hand_set_reason"] == (
        "learn_weights_off"
    )


@pytest.mark.parametrize("names", [["stale_lead", "junk_lead"], ["invalid_email", "invalid_phone"]])
def test_checks_that_score_no_pair_keep_no_model_and_never_run_the_search(demo_snapshot, monkeypatch, names):
    """No duplicate check, no model: the email and phone checks read the people but never pay for pairs."""

    def refuse(_matching):
        pytest.fail("the duplicate search ran")

    monkeypatch.setattr(Matching, "candidates", property(refuse))
    monkeypatch.setattr(Matching, "model", property(refuse))
    checked = run_checks_detailed(demo_snapshot, rules=Rules(), now=NOW, checks=select_checks(names))
    assert checked.match_model is None
    assert {finding.check for finding in checked.findings} <= set(names)


def test_the_people_frame_is_let_go_before_the_duplicate_findings_are_built(demo_store, monkeypatch):
    """Checks reading only the search's results run after those reading the people frame, which is released first."""
    from sfbridge.checks import matches  # noqa: PLC0415 (the modules whose steps are watched)
    from sfbridge.matching import engine  # noqa: PLC0415

    rules = load_rules(REPO / "fixtures" / "demo-org" / "rules.toml")
    checks = list(CHECKS.values())
    snapshot = demo_store.load_snapshot(fields_needed(checks, rules))
    steps: list[str] = []
    release, account_links = engine.Matching.release_people, engine.Matching.account_links

    def released(self):
        release(self)
        steps.append("released" if "people" not in self.__dict__ else "kept")

    monkeypatch.setattr(engine.Matching, "release_people", released)
    linked = lambda self, people: steps.append("account_links") or account_links(self, people)  # noqa: E731
    monkeypatch.setattr(engine.Matching, "account_links", linked)
    listed = lambda *a, _step=matches.match_lists: steps.append("duplicate") or _step(*a)  # noqa: E731
    monkeypatch.setattr(matches, "match_lists", listed)
    found = run_checks(snapshot, rules=rules, now=snapshot.taken_at, checks=checks, release=True)
    assert "duplicate" in steps
    assert steps.index("released") < steps.index("duplicate")
    assert "account_links" not in steps[steps.index("released") :]  # every frame reader ran before
    order = [check.name for check in checks]
    ran = [finding.check for finding in found]
    assert ran == sorted(ran, key=order.index)  # findings in report order, however the checks ran
