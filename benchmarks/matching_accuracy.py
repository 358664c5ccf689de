"""Duplicate accuracy side by side: sfbridge's engine and Splink (unsupervised) on every labelled set.

Each labelled set is turned into one people frame (sfbridge's ``PEOPLE_SCHEMA``): the demo org
(replayed, with its answer key's clusters), splink's fake_1000 and historical figures (50k),
and the name-and-address-only Leads (the 1,500-record fixture and a generated 20,000). sfbridge's
engine gets the frame through its public API (``Matching(people_frame(...)).clusters``, default
settings), so this measures whatever the engine is when run. Splink gets the same columns,
cleaned as a Splink user would (lower case, accents and punctuation out, digits-only phones,
house number split from the street), and is trained without labels: the prior from
deterministic rules, u by random sampling, m by EM over two blocking rules.

Both are scored the same way: precision, recall and F1 over the record pairs within predicted
clusters against the pairs within true clusters, hard-negative pairs joined (for sets that
plant them), and seconds. Splink is shown twice: its default recipe clustered at match
probability 0.95 (Splink's tutorials' threshold), and its best F1 over every recipe tried (names
as one or two comparisons, addresses whole or in parts) and every threshold of a sweep, which
reads the labels and so is generous to the peer.

    .venv/bin/pip install -e '.[dev,bench]'                           # splink, duckdb, Faker
    .venv/bin/python benchmarks/matching_accuracy.py --json accuracy.json   # every set, full sizes
    .venv/bin/python benchmarks/matching_accuracy.py --quick --no-splink    # small sizes, engine only (CI)
    .venv/bin/python benchmarks/matching_accuracy.py --sets fake_1000,nameaddress_1500
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import structlog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sfbridge.matching import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    LEAD_FIELDS,
    Matching,
    MatchSettings,
    people_frame,
    people_from_frames,
)

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "fixtures" / "labelled"
SPLINK_CLUSTER_THRESHOLD = 0.95  # Splink's tutorials cluster at 0.95
SPLINK_PREDICT_THRESHOLD = 0.01  # pairs kept for clustering and the sweep
SWEEP = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999)
QUICK_HISTORICAL = 5_000
QUICK_GENERATED = 3_000
GENERATED = 20_000
GENERATED_SEED = 12


# --- labelled sets -------------------------------------------------------------------------


@dataclass
class LabelledSet:
    """A people frame with its true clusters.

    Attributes:
        name: how the set is called in the results.
        people: the records in sfbridge's people shape (``sobject``, ``record_id`` and the columns the set has).
        truth: ``record_id``, ``cluster`` for every record (a record alone is its own cluster).
        accounts: Account rows for the engine (the demo org only).
        negatives: record pairs that must stay apart (planted hard negatives), if the set has them.
        note: the set's fields and size, for the report.
    """

    name: str
    people: pl.DataFrame
    truth: pl.DataFrame
    accounts: pl.DataFrame | None = None
    negatives: pl.DataFrame | None = None
    note: str = ""


def _quiet() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("splink").setLevel(logging.ERROR)


def load_demo() -> LabelledSet:
    """The demo org replayed into a temporary store, as an audit reads it, with its answer key's clusters.

    People are unconverted Leads and all Contacts (the duplicate check's scope); records outside
    every answer-key cluster are clusters of one.
    """
    from sfbridge.credentials import REPLAY_SECRETS  # noqa: PLC0415 (only this set replays)
    from sfbridge.demo import load_demo_org  # noqa: PLC0415
    from sfbridge.pull import PullOptions, pull  # noqa: PLC0415
    from sfbridge.salesforce import connect, replay_transport  # noqa: PLC0415
    from sfbridge.store import Store  # noqa: PLC0415

    demo = load_demo_org()
    with tempfile.TemporaryDirectory(prefix="sfbridge-accuracy-") as folder:
        store = Store.open(str(Path(folder) / "demo.db"))
        transport = replay_transport(demo.profile, config_dir=demo.folder)
        for moment in demo.runs:
            gateway = connect(demo.profile, REPLAY_SECRETS, transport=transport)
            options = PullOptions(page_size=demo.profile.page_size, clock=lambda moment=moment: moment)
            pull(gateway, store, org="demo", objects=demo.profile.objects, options=options)
        fields = {"Lead": list(LEAD_FIELDS), "Contact": list(CONTACT_FIELDS), "Account": list(ACCOUNT_FIELDS)}
        snapshot = store.load_snapshot(fields)
        store.engine.dispose()
    leads = snapshot.frame("Lead", LEAD_FIELDS).filter(~pl.col("IsConverted").fill_null(value=False))
    accounts = snapshot.frame("Account", ACCOUNT_FIELDS)
    people = people_from_frames(leads, snapshot.frame("Contact", CONTACT_FIELDS), accounts)
    key = json.loads(demo.answer_key.read_text(encoding="utf-8"))
    clusters = pl.DataFrame(
        [
            (record, f"key{number}")
            for number, members in enumerate(key["duplicates"]["clusters"])
            for record in members
        ],
        schema={"record_id": pl.Utf8, "cluster": pl.Utf8},
        orient="row",
    )
    truth = (
        people.select("record_id")
        .join(clusters, on="record_id", how="left")
        .with_columns(cluster=pl.coalesce("cluster", "record_id"))
    )
    negatives = pl.DataFrame(
        [pair[:2] for pair in key["hard_negatives"]["duplicate"]], schema=["left", "right"], orient="row"
    )
    note = f"{leads.height} open Leads + {people.height - leads.height} Contacts; all people fields"
    return LabelledSet("demo", people, truth, accounts=accounts, negatives=negatives, note=note)


def load_fake_1000() -> LabelledSet:
    """Splink's fake_1000 (MIT): first name, surname, dob, city, email; UK."""
    rows = pl.read_csv(LABELLED / "splink" / "fake_1000.csv", infer_schema_length=0)
    people = rows.select(
        sobject=pl.lit("Contact"),
        record_id=pl.col("unique_id").str.zfill(4),
        first_name="first_name",
        last_name="surname",
        email="email",
        city="city",
        country=pl.lit("United Kingdom"),
        birthdate=pl.col("dob").str.to_date(strict=False),
    )
    truth = rows.select(record_id=pl.col("unique_id").str.zfill(4), cluster="cluster")
    return LabelledSet("fake_1000", people, truth, note="first/last name, birthdate, city, email")


def load_historical(limit: int | None = None) -> LabelledSet:
    """Splink's historical_figures_with_errors_50k (MIT; Wikidata facts), whole people only when limited."""
    rows = pl.read_csv(LABELLED / "splink" / "historical_figures_with_errors_50k.csv.gz", infer_schema_length=0)
    if limit is not None:
        sizes = rows.group_by("cluster", maintain_order=True).len().filter(pl.col("len").cum_sum() <= limit)
        rows = rows.join(sizes.select("cluster"), on="cluster", how="semi")
    people = rows.select(
        sobject=pl.lit("Contact"),
        record_id="unique_id",
        first_name="first_name",
        last_name="surname",
        city="birth_place",
        postal_code="postcode_fake",
        country=pl.lit("United Kingdom"),
        birthdate=pl.col("dob").str.to_date(strict=False),
    )
    name = "historical_50k" if limit is None else f"historical_{round(rows.height / 1000)}k"
    note = "first/last name, birthdate, birth place as city, postcode"
    return LabelledSet(name, people, rows.select(record_id="unique_id", cluster="cluster"), note=note)


def name_address_set(rows: pl.DataFrame, name: str) -> LabelledSet:
    """A set from the name-and-address generator's columns (see ``sfbridge_tools.synthetic.nameaddress``)."""
    people = rows.select(
        pl.lit("Lead").alias("sobject"),
        "record_id",
        "first_name",
        "last_name",
        "company",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
    )
    # Every record pair between a hard negative's cluster and the cluster it was planted beside.
    planted = rows.filter(pl.col("related").is_not_null()).select("cluster", "related").unique()
    members = rows.select("record_id", "cluster")
    negatives = (
        planted.join(members, on="cluster")
        .join(members.rename({"record_id": "right", "cluster": "related"}), on="related")
        .select(left="record_id", right="right")
    )
    note = "first/last name, placeholder company, street, city, state, postcode, country"
    return LabelledSet(name, people, rows.select("record_id", "cluster"), negatives=negatives, note=note)


def load_name_address_fixture() -> LabelledSet:
    """The fixed name-and-address set CI reads (fixtures/labelled/nameaddress)."""
    rows = pl.read_csv(LABELLED / "nameaddress" / "nameaddress_1500.csv", infer_schema_length=0)
    return name_address_set(rows, "nameaddress_1500")


def load_name_address_generated(records: int) -> LabelledSet:
    """A larger name-and-address set, generated now (needs the synthetic extra: Faker)."""
    from sfbridge_tools.synthetic.nameaddress import generate_name_address  # noqa: PLC0415 (Faker)

    rows = generate_name_address(records, seed=GENERATED_SEED)
    return name_address_set(rows, f"nameaddress_{records // 1000}k")


def set_loaders(*, quick: bool) -> dict[str, Callable[[], LabelledSet]]:
    """Every labelled set by name (``--sets`` picks among them), sized for ``--quick`` or not."""
    generated = QUICK_GENERATED if quick else GENERATED
    return {
        "demo": load_demo,
        "fake_1000": load_fake_1000,
        "historical": lambda: load_historical(QUICK_HISTORICAL if quick else None),
        "nameaddress_1500": load_name_address_fixture,
        "nameaddress_generated": lambda: load_name_address_generated(generated),
    }


# --- scoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """Pairwise accuracy of a clustering against the truth.

    Attributes:
        precision: correct pairs / predicted pairs (None when nothing was predicted).
        recall: correct pairs / true pairs.
        f1: harmonic mean of the two (0 when either is 0 or undefined).
        true_pairs: record pairs within true clusters.
        predicted_pairs: record pairs within predicted clusters.
        correct_pairs: pairs in both.
    """

    precision: float | None
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int


def _pairs(sizes: pl.Expr) -> pl.Expr:
    return (sizes * (sizes - 1) // 2).sum()


def pairwise_scores(predicted: pl.DataFrame, truth: pl.DataFrame) -> Scores:
    """Score predicted clusters against true ones over record pairs, without listing the pairs.

    A pair is predicted when both records share a predicted cluster, true when they share a
    true cluster; counts come from cluster sizes (n records make n(n-1)/2 pairs), so 50,000
    records in clusters of 20 cost nothing.

    Args:
        predicted: ``record_id``, ``cluster_id`` of the records put in clusters; a record not
            listed is a cluster of its own.
        truth: ``record_id``, ``cluster`` of every record.

    Returns:
        The scores.

    Raises:
        ValueError: when a predicted record is not in the truth, or is listed twice.
    """
    if predicted.get_column("record_id").is_duplicated().any():
        msg = "a record is in two predicted clusters"
        raise ValueError(msg)
    predicted = predicted.with_columns(pl.col("record_id").cast(pl.Utf8))
    truth = truth.with_columns(pl.col("record_id").cast(pl.Utf8))
    unknown = predicted.join(truth, on="record_id", how="anti")
    if unknown.height:
        msg = f"{unknown.height} predicted records are not in the truth, e.g. {unknown['record_id'][0]}"
        raise ValueError(msg)
    both = truth.select("record_id", "cluster").join(
        predicted.select("record_id", predicted=pl.col("cluster_id").cast(pl.Utf8)),
        on="record_id",
        how="left",
    )
    # A record outside every predicted cluster is alone: its own id, marked so it meets no cluster id.
    both = both.with_columns(predicted=pl.coalesce("predicted", pl.lit("\x00") + pl.col("record_id")))
    true_pairs = both.group_by("cluster").len().select(_pairs(pl.col("len"))).item()
    predicted_pairs = both.group_by("predicted").len().select(_pairs(pl.col("len"))).item()
    correct = both.group_by("cluster", "predicted").len().select(_pairs(pl.col("len"))).item()
    precision = correct / predicted_pairs if predicted_pairs else None
    recall = correct / true_pairs if true_pairs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return Scores(precision, recall, f1, int(true_pairs), int(predicted_pairs), int(correct))


def negatives_joined(predicted: pl.DataFrame, negatives: pl.DataFrame | None) -> int | None:
    """How many hard-negative pairs ended up in one predicted cluster (None when the set has none)."""
    if negatives is None:
        return None
    clusters = predicted.select("record_id", pl.col("cluster_id").cast(pl.Utf8))
    joined = negatives.join(clusters.rename({"record_id": "left", "cluster_id": "a"}), on="left").join(
        clusters.rename({"record_id": "right", "cluster_id": "b"}), on="right"
    )
    return joined.filter(pl.col("a") == pl.col("b")).height


@dataclass
class Result:
    """One engine on one set."""

    engine: str
    scores: Scores
    seconds: float
    negatives_joined: int | None = None
    threshold: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# --- sfbridge ------------------------------------------------------------------------------


def run_sfbridge(labelled: LabelledSet) -> Result:
    """Match the set with sfbridge's engine (default settings, one phone-reading process)."""
    started = time.perf_counter()
    people = people_frame(labelled.people)
    matching = Matching(people, settings=MatchSettings(workers=1), accounts=labelled.accounts)
    clusters = matching.clusters.select("record_id", "cluster_id")
    seconds = time.perf_counter() - started
    scores = pairwise_scores(clusters, labelled.truth)
    return Result("sfbridge", scores, seconds, negatives_joined(clusters, labelled.negatives))


# --- Splink --------------------------------------------------------------------------------

_TEXT_COLUMNS = ("first_name", "last_name", "email", "company", "street", "city")


def _clean(column: str) -> pl.Expr:
    # What Splink's tutorials do before matching: lower case, no accents or punctuation, blanks null.
    text = (
        pl.col(column)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}@.+\-' ]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return pl.when(text == "").then(None).otherwise(text).alias(column)


def _digits(column: str) -> pl.Expr:
    digits = pl.col(column).str.replace_all(r"\D", "")
    # The last ten digits: +44 20 7946 0000 and 020 7946 0000 agree, as do +1 and national US forms.
    return pl.when(digits.str.len_chars() >= 7).then(digits.str.slice(-10)).otherwise(None)  # noqa: PLR2004


def splink_input(people: pl.DataFrame) -> pl.DataFrame:
    """The people's columns as a Splink user would prepare them (same fields sfbridge reads).

    Names, email, company, street and city are folded (lower case, no accents or punctuation);
    phones become their last ten digits (both phone fields in one array); postcodes upper case
    without spaces, a US ZIP+4 cut to its ZIP; the street's first number is its house number and
    the rest its name; birthdates ISO text. Columns the set does not have stay null.
    """
    frame = people_frame(people)
    postcode = pl.col("postal_code").str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    street = _clean("street")
    return frame.select(
        pl.col("record_id").alias("unique_id"),
        *[_clean(column) for column in _TEXT_COLUMNS if column != "street"],
        street_name=street.str.replace_all(r"\d+", " ").str.replace_all(r"\s+", " ").str.strip_chars(),
        house_number=pl.col("street").str.extract(r"(\d+)"),
        postcode=pl.when(postcode.str.contains(r"^\d{9}$")).then(postcode.str.slice(0, 5)).otherwise(postcode),
        phones=pl.concat_list(_digits("phone"), _digits("mobile_phone")).list.drop_nulls().list.unique(),
        phone=pl.coalesce(_digits("phone"), _digits("mobile_phone")),
        dob=pl.col("birthdate").dt.strftime("%Y-%m-%d"),
    ).with_columns(
        full_name=pl.concat_str("first_name", "last_name", separator=" "),
        phones=pl.when(pl.col("phones").list.len() > 0).then("phones").otherwise(None),
        postcode=pl.when(pl.col("postcode") == "").then(None).otherwise("postcode"),
    )


def _filled(frame: pl.DataFrame, column: str) -> bool:
    # A field is used when at least 5 % of records have it and it is not constant.
    values = frame.get_column(column)
    return values.null_count() < 0.95 * frame.height and values.drop_nulls().n_unique() > 1


@dataclass(frozen=True)
class SplinkPlan:
    """The Splink settings chosen for a set from the fields it has (see :func:`splink_plan`)."""

    comparisons: list[Any]
    blocking: list[Any]
    deterministic: list[Any]
    em_rules: list[Any]
    description: dict[str, Any]


def splink_plan(frame: pl.DataFrame, *, names: str = "forename_surname", address: str = "whole") -> SplinkPlan:  # noqa: C901 (one branch per field)
    """Comparisons, blocking rules and training for the fields a set has, one recipe for every set.

    Comparisons are Splink's library ones where it has them: names as one
    ForenameSurnameComparison (swapped names, term frequencies on the full name) or as two
    NameComparisons (term frequencies on each), DateOfBirthComparison, EmailComparison,
    ArrayIntersectAtSizes for phones, Jaro-Winkler with term frequencies for company. Addresses:
    with street lines and ``address="whole"``, one comparison of the whole address (see
    :func:`_address_comparison`); otherwise street name (Jaro-Winkler, term frequencies), house
    number and city (exact, term frequencies) and postcode (exact / one edit / same first three
    characters: it measured better than Splink's UK PostcodeComparison on the historical
    figures' UK postcodes, best F1 0.850 against 0.832) each on their own.

    Args:
        frame: the Splink input (:func:`splink_input`).
        names: ``"forename_surname"`` or ``"separate"``.
        address: ``"whole"`` or ``"parts"``.

    Returns:
        The plan.
    """
    import splink.comparison_library as cl  # noqa: PLC0415

    has = {column: _filled(frame, column) for column in frame.columns}
    comparisons: list[Any] = []
    described: dict[str, str] = {}

    def add(name: str, comparison: Any) -> None:  # noqa: ANN401 (a Splink comparison)
        comparisons.append(comparison)
        described[name] = type(comparison).__name__

    if names == "forename_surname":
        both = cl.ForenameSurnameComparison("first_name", "last_name", forename_surname_concat_col_name="full_name")
        add("names", both.configure(term_frequency_adjustments=True))
    else:
        add("first_name", cl.NameComparison("first_name").configure(term_frequency_adjustments=True))
        add("last_name", cl.NameComparison("last_name").configure(term_frequency_adjustments=True))
    if has["dob"]:
        add("dob", cl.DateOfBirthComparison("dob", input_is_string=True))
    if has["email"]:
        add("email", cl.EmailComparison("email"))
    if has["phone"]:
        add("phones", cl.ArrayIntersectAtSizes("phones", [1]))
    if has["company"]:
        add("company", cl.JaroWinklerAtThresholds("company", [0.9]).configure(term_frequency_adjustments=True))
    if has["street_name"] and address == "whole":
        # Street lines: one comparison of the whole address. Its parts are not independent
        # (colleagues share the office's street, number, postcode and city; a household its
        # home's), and as four comparisons their Bayes factors would multiply four times over.
        add("address", _address_comparison())
    else:
        if has["street_name"]:
            street = cl.JaroWinklerAtThresholds("street_name", [0.92, 0.8])
            add("street_name", street.configure(term_frequency_adjustments=True))
        if has["house_number"]:
            add("house_number", cl.ExactMatch("house_number").configure(term_frequency_adjustments=True))
        if has["postcode"]:
            add("postcode", _postcode_comparison())
        if has["city"]:
            add("city", cl.ExactMatch("city").configure(term_frequency_adjustments=True))

    blocking, deterministic, em_rules = _rules(has)
    description = {
        "comparisons": described,
        "names": names,
        "address": address if has["street_name"] else "parts",
        "blocking_rules": [_rule_text(rule) for rule in blocking],
        "deterministic_rules": [_rule_text(rule) for rule in deterministic],
        "em_blocking_rules": [_rule_text(rule) for rule in em_rules],
    }
    return SplinkPlan(comparisons, blocking, deterministic, em_rules, description)


def _rules(has: dict[str, bool]) -> tuple[list[Any], list[Any], list[Any]]:
    """Blocking rules for predictions, deterministic rules for the prior, EM blocking rules, from the fields present.

    Predictions: names (and names swapped); a field that is nearly unique to a person on its
    own (birthdate, email, phone); a postcode only with a name or a house number (alone it
    pairs whole households and streets); street name and house number; both initials or the
    surname within a city. EM: names first (it trains every other field), then the first of
    birthdate, email, phone, postcode and city that trains without error (it trains the names).
    """
    from splink import block_on  # noqa: PLC0415 (the bench extra)

    names = block_on("first_name", "last_name")
    blocking: list[Any] = [names, "l.first_name = r.last_name and l.last_name = r.first_name"]
    deterministic: list[Any] = []
    anchors: list[Any] = []
    for column in ("dob", "email", "phone"):
        if has[column]:
            blocking.append(block_on(column))
            anchors.append(block_on(column))
    if has["dob"]:
        deterministic.append(block_on("first_name", "last_name", "dob"))
    if has["email"]:
        deterministic.append(block_on("email"))
    if has["postcode"]:
        blocking += [block_on("last_name", "postcode"), block_on("first_name", "postcode")]
        if has["house_number"]:
            blocking.append(block_on("postcode", "house_number"))
        deterministic.append(block_on("first_name", "last_name", "postcode"))
        anchors.append(block_on("postcode"))
    if has["street_name"] and has["house_number"]:
        blocking.append(block_on("street_name", "house_number"))
    if has["city"]:
        blocking += [
            block_on("substr(first_name, 1, 1)", "substr(last_name, 1, 1)", "city"),
            block_on("last_name", "city"),
        ]
        anchors.append(block_on("city"))
    if not deterministic:
        deterministic.append(block_on("first_name", "last_name", "city") if has["city"] else names)
    return blocking, deterministic, [names, *anchors]


def _postcode_comparison() -> Any:  # noqa: ANN401 (a Splink comparison)
    import splink.comparison_level_library as cll  # noqa: PLC0415 (the bench extra)
    import splink.comparison_library as cl  # noqa: PLC0415

    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
            cll.DamerauLevenshteinLevel("postcode", 1),
            cll.CustomLevel("substr(postcode_l, 1, 3) = substr(postcode_r, 1, 3)", "same first 3"),
            cll.ElseLevel(),
        ],
    )


def _address_comparison() -> Any:  # noqa: ANN401 (a Splink comparison)
    """Street name, house number, postcode and city compared as one address, from closest to farthest."""
    import splink.comparison_level_library as cll  # noqa: PLC0415 (the bench extra)
    import splink.comparison_library as cl  # noqa: PLC0415

    street = "jaro_winkler_similarity(street_name_l, street_name_r)"
    same_number = "house_number_l = house_number_r"
    same_postcode = "postcode_l = postcode_r"
    near_postcode = "damerau_levenshtein(postcode_l, postcode_r) <= 1"
    missing = "({side}street_name_l IS NULL AND postcode_l IS NULL AND city_l IS NULL)"
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.CustomLevel(
                f"{missing.format(side='')} OR {missing.replace('_l', '_r').format(side='')}", "no address"
            ).configure(is_null_level=True),
            cll.CustomLevel(f"{same_number} AND {street} >= 0.9 AND {same_postcode}", "same number, street, postcode"),
            cll.CustomLevel(
                f"{same_number} AND ({street} >= 0.8 OR {near_postcode}) AND (city_l = city_r OR {near_postcode})",
                "same number, similar street or postcode",
            ),
            cll.CustomLevel(f"{street} >= 0.9 AND ({same_postcode} OR city_l = city_r)", "same street, other number"),
            cll.CustomLevel(near_postcode, "same or near postcode"),
            cll.CustomLevel("city_l = city_r", "same city").configure(tf_adjustment_column="city"),
            cll.ElseLevel(),
        ],
    )


def _rule_text(rule: Any) -> str:  # noqa: ANN401 (a Splink blocking rule or SQL text)
    if isinstance(rule, str):
        return rule
    return rule.get_blocking_rule("duckdb").blocking_rule_sql


def _components(pairs: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Connected components of the pairs (what Splink's clustering computes), as record_id, cluster_id."""
    index = {value: number for number, value in enumerate(ids.to_list())}
    left = np.array([index[value] for value in pairs.get_column("unique_id_l").to_list()], dtype=np.int64)
    right = np.array([index[value] for value in pairs.get_column("unique_id_r").to_list()], dtype=np.int64)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    return pl.DataFrame({"record_id": ids, "cluster_id": labels})


def _train(linker: Any, rules: Sequence[Any], restore: Callable[[dict[str, Any]], Any]) -> tuple[Any, list[str]]:  # noqa: ANN401 (a Splink linker)
    """Estimate m by EM on the names rule and then the next rules until two sessions have succeeded.

    Splink 5 stops a session whose EM drives a level's m to 0.0 (it happens on small sets, e.g.
    the demo's names); a Splink user would then train on another rule, and so does this. The
    failed session leaves the linker without the comparisons it was not training, so the model
    is saved before each session and a fresh linker is made from it after a failure.

    Returns:
        The trained linker and the EM blocking rules that trained it.
    """
    trained: list[str] = []
    for rule in rules:
        if len(trained) == 2:  # noqa: PLR2004 (names and one more train every comparison)
            break
        saved = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except ValueError as error:
            if "m_probability" not in str(error):
                raise
            linker = restore(saved)
            continue
        trained.append(_rule_text(rule))
    return linker, trained


@dataclass(frozen=True)
class SplinkRun:
    """One fitted Splink model's output: clusters at the standard threshold and every pair it scored."""

    standard: pl.DataFrame
    pairs: pl.DataFrame
    seconds: float
    detail: dict[str, Any]


def fit_splink(frame: pl.DataFrame, plan: SplinkPlan) -> SplinkRun:
    """Train Splink without labels (prior from deterministic rules, u by random sampling, m by EM) and predict."""
    import duckdb  # noqa: PLC0415 (the bench extra)
    from splink import DuckDBAPI, Linker, SettingsCreator  # noqa: PLC0415

    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=plan.comparisons,
        blocking_rules_to_generate_predictions=plan.blocking,
        retain_matching_columns=False,
    )
    connection = duckdb.connect()
    registered = DuckDBAPI(connection).register(frame.to_arrow())
    linker = Linker(registered, settings, log_level=logging.ERROR)
    with warnings.catch_warnings():
        # Splink warns of levels EM did not see (e.g. an email username match on fake_1000).
        warnings.simplefilter("ignore")
        linker.training.estimate_probability_two_random_records_match(plan.deterministic, recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        linker, trained = _train(
            linker, plan.em_rules, lambda saved: Linker(registered, saved, log_level=logging.ERROR)
        )
        predictions = linker.inference.predict(threshold_match_probability=SPLINK_PREDICT_THRESHOLD)
        # Splink's own clustering (connected components at the threshold) for the standard row.
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=SPLINK_CLUSTER_THRESHOLD
        )
        standard = clusters.as_duckdbpyrelation().pl().select(record_id="unique_id", cluster_id="cluster_id")
    seconds = time.perf_counter() - started
    pairs = predictions.as_duckdbpyrelation().pl().select("unique_id_l", "unique_id_r", "match_probability")
    connection.close()
    detail = {"settings": plan.description, "em_trained_on": trained, "scored_pairs": pairs.height}
    return SplinkRun(standard, pairs, seconds, detail)


def splink_recipes(frame: pl.DataFrame) -> list[tuple[str, str]]:
    """The (names, address) recipes tried on a set: the default first, then the others the set allows."""
    addresses = ("whole", "parts") if _filled(frame, "street_name") else ("parts",)
    return [(names, address) for names in ("forename_surname", "separate") for address in addresses]


def run_splink(labelled: LabelledSet) -> tuple[Result, Result]:
    """Splink at the standard threshold with the default recipe, and its best F1 over recipes and thresholds.

    The best is generous to the peer: it reads the labels to pick among two ways of comparing
    names, two of comparing addresses (for sets with street lines) and every threshold of
    :data:`SWEEP`. Its seconds are those of the recipe that gave it.
    """
    started = time.perf_counter()
    frame = splink_input(labelled.people)
    preparing = time.perf_counter() - started
    recipes = splink_recipes(frame)
    best: Result | None = None
    at_standard: Result | None = None
    ids = frame.get_column("unique_id")
    for names, address in recipes:
        run = fit_splink(frame, splink_plan(frame, names=names, address=address))
        seconds = preparing + run.seconds
        if at_standard is None:
            scores = pairwise_scores(run.standard, labelled.truth)
            joined = negatives_joined(run.standard, labelled.negatives)
            at_standard = Result("splink", scores, seconds, joined, SPLINK_CLUSTER_THRESHOLD, run.detail)
        for threshold in SWEEP:
            clustered = _components(run.pairs.filter(pl.col("match_probability") >= threshold), ids)
            scores = pairwise_scores(clustered, labelled.truth)
            if best is None or scores.f1 > best.scores.f1:
                joined = negatives_joined(clustered, labelled.negatives)
                best = Result("splink best", scores, seconds, joined, threshold, {"recipe": f"{names}, {address}"})
    assert at_standard is not None  # noqa: S101 (one recipe at least)
    assert best is not None  # noqa: S101
    return at_standard, best


# --- report --------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def markdown(rows: Sequence[tuple[LabelledSet, Sequence[Result]]]) -> str:
    """The results as one markdown table, a row per set and engine."""
    header = "| set | records | true pairs | engine | threshold | precision | recall | F1 | hard negatives joined "
    lines = [header + "| seconds |", "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for labelled, results in rows:
        for result in results:
            scores = result.scores
            threshold = "" if result.threshold is None else f"{result.threshold:g}"
            if "recipe" in result.detail:
                threshold += f" ({result.detail['recipe']})"
            joined = "" if result.negatives_joined is None else f"{result.negatives_joined:,}"
            lines.append(
                f"| {labelled.name} | {labelled.people.height:,} | {scores.true_pairs:,} | {result.engine} "
                f"| {threshold} | {_number(scores.precision)} | {_number(scores.recall)} | {_number(scores.f1)} "
                f"| {joined} | {result.seconds:.1f} |"
            )
    return "\n".join(lines)


def as_json(rows: Sequence[tuple[LabelledSet, Sequence[Result]]], machine: str) -> dict[str, Any]:
    """The results with the machine, the date and each set's fields."""
    return {
        "machine": machine,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "sets": [
            {
                "name": labelled.name,
                "records": labelled.people.height,
                "fields": labelled.note,
                "results": [asdict(result) for result in results],
            }
            for labelled, results in rows
        ],
    }


def run(names: Iterable[str], *, quick: bool, splink: bool) -> list[tuple[LabelledSet, list[Result]]]:
    """Load each named set and run the engines on it, printing a line per result as it comes."""
    loaders = set_loaders(quick=quick)
    # Load the engines' modules first, so that no set's seconds include importing them.
    importlib.import_module("sfbridge.matching.engine")
    if splink:
        importlib.import_module("splink")
        importlib.import_module("duckdb")
    rows = []
    for name in names:
        labelled = loaders[name]()
        results = [run_sfbridge(labelled)]
        if splink:
            results += run_splink(labelled)
        for result in results:
            scores = result.scores
            print(
                f"{labelled.name:<22} {result.engine:<12} P {_number(scores.precision)} R {_number(scores.recall)} "
                f"F1 {_number(scores.f1)}  {result.seconds:6.1f} s",
                file=sys.stderr,
            )
        rows.append((labelled, results))
    return rows


def _machine() -> str:
    # benchmarks/machine.py, beside this script, loaded by path (this module is also imported by a test).
    spec = importlib.util.spec_from_file_location("machine", Path(__file__).resolve().parent / "machine.py")
    assert spec is not None  # noqa: S101 (the file is beside this one)
    assert spec.loader is not None  # noqa: S101
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.machine())


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run, print the markdown table and write the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    known = list(set_loaders(quick=False))
    parser.add_argument("--sets", default=",".join(known), help=f"comma-separated, of: {', '.join(known)}")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI): 5k historical, 3k generated")
    parser.add_argument("--no-splink", dest="splink", action="store_false", help="sfbridge only (no bench extra)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown set(s): {', '.join(unknown)}; known: {', '.join(known)}")
    _quiet()
    rows = run(names, quick=args.quick, splink=args.splink)
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps(as_json(rows, _machine()), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
