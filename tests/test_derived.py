"""Normalising once: the normalisers' tables kept in the store, prepared at the pull, never changing a finding."""

import dataclasses
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import text

from conftest import copy_store
from recorded import FIXTURES
from sfbridge.audit import audit
from sfbridge.checks import select_checks
from sfbridge.matching import phones
from sfbridge.matching.derived import Derived
from sfbridge.matching.engine import Matching
from sfbridge.matching.normalise import normalise_people
from sfbridge.matching.people import PEOPLE_SCHEMA, field_of, people_frame
from sfbridge.prepare import people_prepared, people_token, prepare_people
from sfbridge.rules import Rules
from sfbridge.store import Store
from sfbridge.store.tables import mirror_table_name
from sfbridge_tools.synthetic import generate_org, shape_for_records
from sfbridge_tools.synthetic.into_store import write_as_pulled

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def count_phone_reads(monkeypatch) -> list[list[str]]:
    """The phone values each reading is asked to read (kept values are never read)."""
    read: list[list[str]] = []
    reading = phones.PhoneReader.read_frame

    def counted(self, values):
        read.append(values.get_column("text").to_list())
        return reading(self, values)

    monkeypatch.setattr(phones.PhoneReader, "read_frame", counted)
    return read


class MemoryStore:
    """Keeps the tables in memory, counting what was loaded and saved."""

    def __init__(self) -> None:  # noqa: D107
        self.tables: dict[str, tuple[str, pl.DataFrame]] = {}
        self.saved: list[str] = []

    def load_derived(self, kind, settings):  # noqa: D102
        kept = self.tables.get(kind)
        return kept[1] if kept is not None and kept[0] == settings else None

    def save_derived(self, kind, settings, frame):  # noqa: D102
        self.tables[kind] = (settings, frame)
        self.saved.append(kind)


def _upper(seen):
    def derive(values):
        seen.append(values.get_column("name").to_list())
        return values.with_columns(upper=pl.col("name").str.to_uppercase())

    return derive


def test_a_kept_table_derives_only_new_values_and_drops_the_ones_gone():
    """Second run: nothing derived; a new value alone is derived; a value no longer asked for leaves the table."""
    memory, seen = MemoryStore(), []
    derived = Derived(memory)
    first = derived.table("names", "s1", pl.DataFrame({"name": ["ada", "bo"]}), ["name"], _upper(seen))
    again = derived.table("names", "s1", pl.DataFrame({"name": ["bo", "ada"]}), ["name"], _upper(seen))
    assert seen == [["ada", "bo"]]
    assert sorted(again.rows()) == sorted(first.rows()) == [("ada", "ADA"), ("bo", "BO")]
    assert memory.saved == ["names"]  # nothing changed: not written again
    grown = derived.table("names", "s1", pl.DataFrame({"name": ["bo", "cy"]}), ["name"], _upper(seen))
    assert seen[-1] == ["cy"]
    assert sorted(grown.rows()) == [("bo", "BO"), ("cy", "CY")]
    assert sorted(memory.tables["names"][1].rows()) == [("bo", "BO"), ("cy", "CY")]


def test_a_table_kept_under_other_settings_is_never_read():
    """Other settings (another default region, other placeholders): every value is derived again."""
    memory, seen = MemoryStore(), []
    derived = Derived(memory)
    derived.table("names", "s1", pl.DataFrame({"name": ["ada"]}), ["name"], _upper(seen))
    derived.table("names", "s2", pl.DataFrame({"name": ["ada"]}), ["name"], _upper(seen))
    assert seen == [["ada"], ["ada"]]


def test_values_with_nulls_match_whole():
    """An address is five columns, some empty: a kept row with a null matches the same row with a null."""
    memory, calls = MemoryStore(), []

    def derive(values):
        calls.append(values.height)
        return values.with_columns(key=pl.concat_str([pl.col("street"), pl.col("city")], ignore_nulls=True))

    values = pl.DataFrame({"street": ["1 Main St", None], "city": [None, "Leeds"]})
    derived = Derived(memory)
    derived.table("address", "s", values, ["street", "city"], derive)
    derived.table("address", "s", values, ["street", "city"], derive)
    assert calls == [2]


def _people(records: int = 600) -> pl.DataFrame:
    org = generate_org(shape_for_records(records), snapshot=NOW)
    # The Lead's text fields under their people columns (the matcher's own map: field_of).
    text = [column for column, dtype in PEOPLE_SCHEMA.items() if dtype == pl.Utf8()]
    columns = {field: column for column in text if (field := field_of("Lead", column))}
    rows = [{column: lead.get(field) for field, column in columns.items()} for lead in org.records("Lead")]
    return people_frame(pl.DataFrame(rows, infer_schema_length=None).with_columns(sobject=pl.lit("Lead")))


def test_normalised_people_are_identical_with_tables_cold_warm_or_none(monkeypatch):
    """A generated org's people: the same frame whether every value is derived, all are kept, or none is kept."""
    people = _people()
    reference = normalise_people(people, default_region="US", workers=1)
    memory = MemoryStore()
    cold = normalise_people(people, default_region="US", workers=1, derived=memory)
    read = count_phone_reads(monkeypatch)
    warm = normalise_people(people, default_region="US", workers=1, derived=memory)
    assert cold.equals(reference)
    assert warm.equals(reference)
    assert read == [[]]  # every phone value was kept: none read again
    assert {"region", "first_fold", "last_fold", "first_sound", "company", "address", "email", "phone"} <= set(
        memory.tables
    )


def test_another_default_region_reads_the_phones_again(monkeypatch):
    """The phone readings depend on the region numbers are read in: kept ones are not used under another."""
    people = _people(200)
    memory = MemoryStore()
    normalise_people(people, default_region="US", workers=1, derived=memory)
    read = count_phone_reads(monkeypatch)
    gb = normalise_people(people, default_region="GB", workers=1, derived=memory)
    assert read
    assert read[0]
    assert gb.equals(normalise_people(people, default_region="GB", workers=1))


# -- in the store: prepared at the pull, read by the audit ------------------------------------


def generated_store(path, records: int = 1_500) -> Store:
    """A generated org written into a store as a completed first pull would."""
    store = Store.open(str(path))
    write_as_pulled(
        generate_org(shape_for_records(records), snapshot=NOW), store, describes=FIXTURES / "demo-org" / "describe"
    )
    return store


def _findings(store: Store) -> list[dict]:
    result = audit(store, org="t", rules=Rules(), checks=select_checks(None))
    return [finding.model_dump(mode="json") for finding in result.findings]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_store(tmp_path_factory.mktemp("generated") / "org.db")


@pytest.mark.parametrize("org", ["demo", "generated"])
def test_an_audit_finds_the_same_with_kept_tables_as_without(org, demo_store, generated, tmp_path, monkeypatch):
    """The demo org and a generated org: the audit that derives everything and the one that reads kept tables agree."""
    store = copy_store(demo_store if org == "demo" else generated, tmp_path / "copy.db")
    store.forget_derived()
    cold = _findings(store)
    read = count_phone_reads(monkeypatch)
    warm = _findings(store)
    assert warm == cold
    assert read == [[]]


def test_the_pull_prepares_the_people_and_an_incremental_change_reads_only_its_values(generated, tmp_path, monkeypatch):
    """After prepare_people the audit reads no phone; one changed phone is the one value the next prepare reads."""
    store = copy_store(generated, tmp_path / "copy.db")
    store.forget_derived()
    reference = _findings(copy_store(store, tmp_path / "reference.db"))
    prepared = prepare_people(store, Rules())
    assert prepared.people > 0
    read = count_phone_reads(monkeypatch)
    assert _findings(store) == reference
    assert read == [[]]
    table = mirror_table_name("Lead")  # our own table name, not input
    with store.engine.begin() as conn:
        lead = conn.execute(text(f'SELECT "Id" FROM {table} WHERE "IsConverted" = 0 LIMIT 1')).scalar()  # noqa: S608
        update = text(f'UPDATE {table} SET "Phone" = :phone WHERE "Id" = :id')  # noqa: S608
        conn.execute(update, {"phone": "+44 20 7946 0999", "id": lead})
    read.clear()
    prepare_people(store, Rules())
    assert read == [["+44 20 7946 0999"]]


def _order_of_work(monkeypatch) -> tuple[list[str], list]:
    """The log of the people's making ("people") and of each check run, and checks that write to it."""
    log: list[str] = []
    starting = Matching.start

    def start(self):
        if "people" not in log:
            log.append("people")
        starting(self)

    monkeypatch.setattr(Matching, "start", start)

    def logged(check):
        def run(context):
            log.append(check.name)
            return check.run(context)

        return dataclasses.replace(check, run=run)

    return log, [logged(check) for check in select_checks(None)]


def test_an_audit_of_the_prepared_snapshot_makes_the_people_after_the_other_checks(generated, tmp_path, monkeypatch):
    """Nothing left to read: the people are not made early, to be held beside the whole snapshot (the 1M audit's peak).

    Without a preparation of this snapshot they are made first, so the phones not read yet are
    read in worker processes while the other checks run. The findings are the same either way.
    """
    store = copy_store(generated, tmp_path / "copy.db")
    log, checks = _order_of_work(monkeypatch)
    unprepared = audit(store, org="t", rules=Rules(), checks=checks).findings
    others = [check.name for check in checks if not check.reads_people]
    assert log.index("people") < min(log.index(name) for name in others)
    prepare_people(store, Rules())
    log.clear()
    prepared = audit(store, org="t", rules=Rules(), checks=checks).findings
    assert log.index("people") > max(log.index(name) for name in others)
    assert [item.model_dump(mode="json") for item in prepared] == [item.model_dump(mode="json") for item in unprepared]


def test_a_note_whose_tables_were_replaced_since_costs_time_never_a_finding(generated, tmp_path, monkeypatch):
    """Prepared, then the kept tables gone (forgotten, or replaced by an audit under other rules): the same findings."""
    store = copy_store(generated, tmp_path / "copy.db")
    reference = _findings(copy_store(store, tmp_path / "reference.db"))
    prepare_people(store, Rules())
    store.forget_derived()
    log, checks = _order_of_work(monkeypatch)
    read = count_phone_reads(monkeypatch)
    found = audit(store, org="t", rules=Rules(), checks=checks).findings
    assert [item.model_dump(mode="json") for item in found] == reference
    others = [check.name for check in checks if not check.reads_people]
    assert log.index("people") > max(log.index(name) for name in others)  # the note still ordered the work
    assert any(read)  # and the phones were read after all


def test_a_preparation_holds_for_its_peoples_records_its_rules_and_nothing_else(generated, tmp_path):
    """Other rules, or a Lead written since: the audit reads what is missing itself, early.

    A pull that wrote no Lead, Contact or Account (its sync state alone) leaves it holding.
    """
    store = copy_store(generated, tmp_path / "copy.db")
    assert not people_prepared(store, people_token(store), Rules())
    prepare_people(store, Rules())
    assert people_prepared(store, people_token(store), Rules())
    assert not people_prepared(store, people_token(store), Rules(default_phone_region="GB"))
    with store.engine.begin() as conn:
        moment = datetime(2026, 12, 1, tzinfo=UTC)
        conn.execute(text("UPDATE sync_state SET completed_at = :moment"), {"moment": moment})
    assert people_prepared(store, people_token(store), Rules())
    lead = store.load_snapshot({"Lead": {"Id"}}).frames["Lead"].get_column("Id")[0]
    store.write_page(store.state("Lead"), ["Id", "LastName"], [(lead, "Changed")], synced_at=moment, run_id=None)
    assert not people_prepared(store, people_token(store), Rules())


@pytest.mark.postgres
def test_kept_tables_round_trip_on_postgresql(postgres_url):
    """The IPC frame survives PostgreSQL's bytea as it does SQLite's blob: types, nulls, the Enum of levels."""
    store = Store.open(postgres_url)
    frame = pl.DataFrame(
        {"text": ["(415) 555-0134", "n/a"], "level": ["valid", "malformed"], "e164": ["+14155550134", None]},
        schema={"text": pl.Utf8, "level": pl.Enum(phones.LEVELS), "e164": pl.Utf8},
    )
    store.save_derived("phone", "s", frame)
    assert store.load_derived("phone", "s").equals(frame)
    assert store.load_derived("phone", "other") is None
    store.save_derived("phone", "t", frame.head(1))
    assert store.load_derived("phone", "s") is None
    assert store.load_derived("phone", "t").equals(frame.head(1))


def test_reading_a_kept_table_lets_the_sqlite_page_cache_go(tmp_path):
    """A kept table's pages are read once: the page cache is shrunk after the read, not held for the audit."""
    from sqlalchemy import event  # noqa: PLC0415 (this test only)

    store = Store.open(str(tmp_path / "kept.db"))
    frame = pl.DataFrame({"text": ["(415) 555-0134", "n/a"], "e164": ["+14155550134", None]})
    store.save_derived("phone", "s", frame)
    sent: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    assert store.load_derived("phone", "s").equals(frame)
    assert sent[-1] == "PRAGMA shrink_memory"
    assert any("derived_values" in statement for statement in sent[:-1])


@pytest.mark.parametrize("junk", [b"not an arrow file", b"torn", b""], ids=["junk", "short", "empty"])
def test_a_kept_table_that_no_longer_reads_is_derived_again(generated, tmp_path, junk):
    """The tables are a cache: a torn or edited row costs the audit time, never the audit.

    A file shorter than Arrow's header is refused by polars with an OSError, not a PolarsError.
    """
    store = copy_store(generated, tmp_path / "copy.db")
    store.forget_derived()
    reference = _findings(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE derived_values SET frame = :junk"), {"junk": junk})
    assert _findings(store) == reference


def test_each_person_gets_the_values_derived_from_their_own():
    """Shared values, blanks, and one number in two people's different phone fields: each person's own."""
    people = people_frame(
        pl.DataFrame(
            {
                "sobject": ["Lead"] * 5,
                "record_id": [f"00Q{n}" for n in range(5)],
                "first_name": ["Ana", None, "Bo", "Ana", "BO"],
                "email": ["a@x.org", "b@y.org", None, "a@x.org", "c@y.org"],
                "phone": ["+1 415 555 0100", None, "+1 415 555 0199", None, "+44 20 7946 0000"],
                "mobile_phone": [None, "+1 415 555 0100", None, "+1 415 555 0199", None],
                "street": ["1 Main St", None, "1 Main St", "2 Elm St", "1 Main St"],
            }
        )
    )
    for derived in (None, MemoryStore()):
        normalised = normalise_people(people, default_region="US", workers=1, derived=derived)
        assert normalised.get_column("first_fold").to_list() == ["ana", None, "bo", "ana", "bo"]
        assert normalised.get_column("email_domain").to_list() == ["x.org", "y.org", None, "x.org", "y.org"]
        assert normalised.get_column("house_number").to_list() == ["1", None, "1", "2", "1"]
        assert normalised.get_column("phone_e164").to_list() == [
            "+14155550100",
            None,
            "+14155550199",
            None,
            "+442079460000",
        ]
        assert normalised.get_column("mobile_phone_e164").to_list() == [
            None,
            "+14155550100",
            None,
            "+14155550199",
            None,
        ]
