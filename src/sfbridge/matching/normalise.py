"""Add the normalised forms of every field the matcher compares to a people frame.

Each value is normalised once, however many people share it: names, countries, companies and
emails are folded over their distinct values and mapped back, and phone values are read by
libphonenumber per distinct (text, region), in worker processes while the rest is folded.
Derived columns are joined back through narrow frames (the key column only) and stacked
beside the people, so no step copies the whole people frame. Each table of distinct values
and what was made of them is kept in the store between runs (:mod:`sfbridge.matching.derived`),
so the next audit derives only the values it has not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Self

import jellyfish
import polars as pl

from sfbridge.matching.addresses import address_columns
from sfbridge.matching.companies import company_key_expr, company_name_expr
from sfbridge.matching.countries import region_expr
from sfbridge.matching.derived import Derived, DerivedStore, settings_digest
from sfbridge.matching.email_syntax import problem_frame, trimmed_email
from sfbridge.matching.emails import with_email_columns
from sfbridge.matching.fold import fold_expr
from sfbridge.matching.people import people_frame
from sfbridge.matching.phones import PhoneBatch, PhoneReader, PhoneSettings
from sfbridge.matching.placeholders import Placeholders

__all__ = [
    "PHONE_FIELDS",
    "PhoneReadings",
    "locate_people",
    "normalise_located",
    "normalise_people",
    "phone_values",
]

#: The phone columns of a people frame, each read into ``<field>_e164``, ``_valid`` and more (see normalise_located).
PHONE_FIELDS = ("phone", "mobile_phone")

Derive = Callable[[pl.DataFrame, str], pl.DataFrame]

# The fields whose presence makes a record the better one to keep (see ``filled``).
_FILLED = (
    pl.col("first_name").is_not_null(),
    pl.col("last_name").is_not_null(),
    pl.col("email_valid"),
    *[pl.col(f"{field}_valid") for field in PHONE_FIELDS],
    pl.col("company").is_not_null(),
    pl.col("title").is_not_null(),
    pl.col("street").is_not_null(),
    pl.col("city").is_not_null(),
    pl.col("postal_code").is_not_null(),
    pl.col("country").is_not_null(),
)


@dataclass(frozen=True)
class _Distinct:
    """The distinct values of some columns (nulls too) and, for each person, the row of theirs."""

    values: pl.DataFrame
    rows: pl.Series  # per person, the row of ``values`` holding their value

    @classmethod
    def of(cls, people: pl.DataFrame, keys: list[str]) -> _Distinct:
        # One hashing pass over the people finds the distinct values and who holds each, where
        # taking the distinct values and then joining the table back were two: at a million
        # people, company, address and email map back in about 0.5 s less CPU.
        groups = people.select(keys).with_row_index("person").group_by(keys).agg("person")
        holders = groups.get_column("person")
        number = pl.int_range(groups.height, dtype=pl.UInt32).repeat_by(holders.list.len()).explode()
        rows = pl.zeros(people.height, pl.UInt32, eager=True).scatter(holders.explode(), pl.select(number).to_series())
        return cls(groups.drop("person"), rows)

    def mapped(self, keys: list[str], table: pl.DataFrame) -> pl.DataFrame:
        """The table's other columns, one row per person, matched on ``keys`` (nulls where none)."""
        # Nulls match nulls: a person with no State still has the address the table read for it.
        # The join finds each distinct value's row of the table only (null where none), and the
        # table's columns are gathered straight into one row per person: joining the table
        # itself made a copy of it per distinct value first, a transient ~170 MB for a million
        # people's emails, on top of the table and the people's columns (the audit's peak).
        found = self.values.join(
            table.select(keys).with_row_index("row"), on=keys, how="left", maintain_order="left", nulls_equal=True
        )
        rows = found.get_column("row").gather(self.rows)
        return table.drop(keys).select(pl.all().gather(rows))


def _by_distinct(
    people: pl.DataFrame, column: str, derive: Derive, *, derived: Derived, kind: str, settings: tuple[object, ...] = ()
) -> pl.DataFrame:
    # Derive columns from the distinct values of one column only (those no earlier run kept), then map them back.
    distinct = _Distinct.of(people, [column])
    values = distinct.values.drop_nulls()
    table = derived.table(kind, settings_digest(kind, *settings), values, [column], lambda fresh: derive(fresh, column))
    return people.hstack(distinct.mapped([column], table))


def _regions(default: str) -> Derive:
    return lambda values, column: values.with_columns(region=region_expr(pl.col(column), default=default))


def _folded(name: str) -> Derive:
    return lambda values, column: values.with_columns(fold_expr(pl.col(column)).alias(name))


def _sounds(values: pl.DataFrame, column: str) -> pl.DataFrame:
    # Metaphone of the name written as one word ("van der berg" sounds as "vanderberg"), once
    # per distinct name: jellyfish's Rust implementation takes about half a microsecond.
    names = values.get_column(column).to_list()
    sounds = [jellyfish.metaphone(name.replace(" ", "")) or None for name in names]
    return values.with_columns(pl.Series(f"{column.removesuffix('_fold')}_sound", sounds, dtype=pl.Utf8))


def _companies(placeholders: Placeholders) -> Derive:
    def derive(values: pl.DataFrame, column: str) -> pl.DataFrame:
        # A placeholder ("[not provided]", "N/A") is no company: blank for matching.
        company = pl.when(~placeholders.is_company(pl.col(column))).then(pl.col(column))
        return values.with_columns(company_name=company_name_expr(company), company_key=company_key_expr(company))

    return derive


def _email_columns(values: pl.DataFrame, column: str) -> pl.DataFrame:
    # The mailbox key and flags, and the syntax problem, of each distinct address (one table to keep).
    problems = problem_frame(values.get_column(column)).rename({"address": column, "problem": "email_problem"})
    return with_email_columns(values, column).join(problems, on=column, how="left", maintain_order="left")


def _with_emails(
    people: pl.DataFrame, placeholders: Placeholders, derived: Derived, unread: Collection[str] = ()
) -> pl.DataFrame:
    people = people.with_columns(email_trim=trimmed_email(pl.col("email")))
    people = _by_distinct(people, "email_trim", _email_columns, derived=derived, kind="email")
    valid = pl.col("email_trim").is_not_null() & pl.col("email_problem").is_null()
    # A well-formed placeholder (none@none.com) is a valid address but no evidence of anyone.
    people = people.with_columns(email_valid=valid, email_placeholder=placeholders.is_email(pl.col("email_trim")))
    people = people.with_columns(
        email_evidence=pl.col("email_valid") & ~pl.col("email_placeholder"),
        # A few kinds of problem, null for nearly everyone: as the phones' (_SPARSE_READINGS).
        email_problem=pl.col("email_problem").cast(pl.Categorical),
    )
    # The trimmed address is the key the email table is read by; a caller that does not read
    # it (the audit's: 41 MB at a million people, held at the end of normalising, its peak)
    # trims the few addresses it shows again (trimmed_email).
    return people.drop("email_trim") if "email_trim" in unread else people


def _with_addresses(people: pl.DataFrame, derived: Derived) -> pl.DataFrame:
    columns = ["street", "city", "state", "postal_code", "region"]
    distinct = _Distinct.of(people, columns)
    table = derived.table("address", settings_digest("address"), distinct.values, columns, address_columns)
    # The city and state keys are not compared (city_fold is; a state is in the postcode).
    people = people.hstack(distinct.mapped(columns, table).drop("city_key", "state_key"))
    # One house on one street, as one value: how many people share it weighs a shared address.
    return people.with_columns(address_id=pl.concat_str(["house_number", "street_key"], separator=" "))


class PhoneReadings:
    """The readings of located people's distinct phone values: those kept from earlier runs, the rest being read.

    Reading is started at once (in worker processes for many values), so the caller's other
    work overlaps it; :meth:`table` waits for it. Close it (or use it in a ``with`` block) so
    the workers stop however the caller ends.
    """

    def __init__(self, values: pl.DataFrame, reader: PhoneReader, *, workers: int, derived: Derived) -> None:
        """Look up ``values`` (from :func:`phone_values`) and start reading the ones not kept.

        Args:
            values: the distinct (``text``, ``region``) values.
            reader: how to read them; its fallback regions and placeholders are part of the
                settings a kept reading is valid for.
            workers: processes to read many values in.
            derived: where readings are kept between runs.
        """
        settings = settings_digest("phone", reader.fallback, sorted(reader.placeholders), reader.patterns)
        self._derived = derived
        self._lookup = derived.lookup("phone", settings, values, ["text", "region"])
        self._batch = PhoneBatch(self._lookup.missing, workers=workers, reader=reader)

    def table(self) -> pl.DataFrame:
        """``text``, ``region`` and the columns of :data:`~sfbridge.matching.phones.READINGS`, one row per value."""
        fresh = pl.concat([self._lookup.missing, self._batch.result()], how="horizontal")
        return self._derived.complete(self._lookup, fresh)

    def close(self) -> None:
        """Stop reading (abandoning unread values)."""
        self._batch.close()

    def __enter__(self) -> Self:
        """Use the readings in a ``with`` block, so the workers stop however it ends."""
        return self

    def __exit__(self, *_: object) -> None:
        """Stop the workers."""
        self.close()


# Text readings that are null for nearly everyone (only a problem number has a problem, a
# fallback region and a fix): held as Categoricals, 4 bytes a person instead of a text view's
# 16, null or not (~10 MB a column at a million people, at the end of normalising, where the
# audit peaks). Only the data-quality checks read them, as text.
_SPARSE_READINGS = ("problem", "fallback", "fix")


def _with_phones(people: pl.DataFrame, readings: PhoneReadings, unread: Collection[str] = ()) -> pl.DataFrame:
    table = readings.table().rename({"extension": "ext"})
    table = table.with_columns(pl.col(_SPARSE_READINGS).cast(pl.Categorical))
    names = [name for name in table.columns if name not in {"text", "region"}]
    # Both fields' values in one join: the table (a million values at a million people) is
    # hashed once, not once per field (1.2 s of CPU instead of 1.6 s at a million people).
    # The join finds each value's row of the table only, and the readings are gathered by
    # row: joining the readings themselves carried them through the join, a transient ~165 MB
    # more at a million people (and 0.3 s more CPU).
    texts = pl.concat(
        [people.lazy().select(text=pl.col(field).str.strip_chars(), region=pl.col("region")) for field in PHONE_FIELDS]
    )
    keys = table.lazy().select("text", "region").with_row_index("row")
    joined = texts.join(keys, on=["text", "region"], how="left", maintain_order="left", nulls_equal=True)
    rows = joined.select("row").collect().to_series()
    for number, field in enumerate(PHONE_FIELDS):
        # A reading the caller does not read is never gathered (the extensions, for the
        # duplicate search: 28 MB at a million people, made at the end of normalising, its peak).
        columns = table.select(name for name in names if f"{field}_{name}" not in unread)
        read = columns.select(pl.all().gather(rows.slice(number * people.height, people.height)))
        people = people.hstack(read.rename({name: f"{field}_{name}" for name in read.columns}))
        people = people.with_columns(pl.col(f"{field}_valid").fill_null(value=False))
    return people


def locate_people(people: pl.DataFrame, *, default_region: str, derived: Derived | None = None) -> pl.DataFrame:
    """Number the people (``idx``) and give each the ``region`` its phone numbers are read in.

    Args:
        people: rows in (or convertible to) :data:`~sfbridge.matching.people.PEOPLE_SCHEMA`.
        default_region: the region for people whose country is unknown.
        derived: where the countries' regions are kept between runs (None: nowhere).

    Returns:
        The people with ``idx`` and ``region``.
    """
    region = default_region.upper()
    people = _by_distinct(
        people_frame(people).with_row_index("idx"),
        "country",
        _regions(region),
        derived=derived or Derived(),
        kind="region",
        settings=(region,),
    )
    return people.with_columns(pl.col("region").fill_null(region))


def phone_values(people: pl.DataFrame) -> pl.DataFrame:
    """The distinct (``text``, ``region``) phone values of located people, to read once each."""
    lazy = people.lazy()
    texts = [lazy.select(text=pl.col(field).str.strip_chars(), region=pl.col("region")) for field in PHONE_FIELDS]
    return pl.concat(texts).filter(pl.col("text").str.len_chars() > 0).unique(maintain_order=True).collect()


def normalise_people(
    people: pl.DataFrame,
    *,
    default_region: str,
    workers: int = 1,
    placeholders: Placeholders | None = None,
    phones: PhoneSettings | None = None,
    derived: DerivedStore | None = None,
) -> pl.DataFrame:
    """Normalise a people frame for matching and for the data-quality checks.

    Args:
        people: rows in (or convertible to) :data:`~sfbridge.matching.people.PEOPLE_SCHEMA`.
        default_region: where phone numbers are read when the person's country is unknown.
        workers: processes for reading phone numbers (1 reads them in this process).
        placeholders: the values read as blank (the defaults when None).
        phones: placeholders and fallback regions (the defaults when None).
        derived: where the normalisers' tables are kept between runs (None: nowhere).

    Returns:
        See :func:`normalise_located`.
    """
    tables = Derived(derived)
    located = locate_people(people, default_region=default_region, derived=tables)
    values = phone_values(located)
    reader = (phones or PhoneSettings()).reader(values, default_region=default_region)
    with PhoneReadings(values, reader, workers=workers, derived=tables) as readings:
        return normalise_located(located, readings, placeholders=placeholders or Placeholders(), derived=tables)


def normalise_located(
    people: pl.DataFrame,
    readings: PhoneReadings,
    *,
    placeholders: Placeholders,
    derived: Derived | None = None,
    unread: Collection[str] = (),
) -> pl.DataFrame:
    """Normalise located people whose phone values are being read by ``readings``.

    Folding names, companies and emails overlaps with the reading of the phones.

    Args:
        people: from :func:`locate_people`.
        readings: the reading of those people's :func:`phone_values`, started.
        placeholders: company and email values read as blank.
        derived: where the normalisers' tables are kept between runs (None: nowhere).
        unread: columns the caller does not read, left out: ``email_trim``, and phone
            readings (``phone_ext``, say).

    Returns:
        The people columns plus ``idx`` (row number), ``region``, ``first_fold``,
        ``last_fold``, ``first_sound``, ``last_sound``, ``city_fold``, ``company_name``,
        ``company_key`` (null for a placeholder), ``email_trim``, ``email_local``,
        ``email_domain``, ``email_key``, ``email_free``, ``email_disposable``,
        ``email_problem``, ``email_valid``, ``email_placeholder``, ``email_evidence`` (valid and
        not a placeholder), the address keys of
        :func:`~sfbridge.matching.addresses.address_columns`, for each phone field
        ``<field>_e164``, ``_ext``, ``_valid``, ``_problem``, ``_level``, ``_fallback`` and
        ``_fix`` (see :class:`~sfbridge.matching.phones.PhoneReading`), and ``filled`` (how many of
        the name, valid email and phones, company, title and address fields are filled).
    """
    derived = derived or Derived()
    for column, short in (("first_name", "first"), ("last_name", "last"), ("city", "city")):
        people = _by_distinct(people, column, _folded(f"{short}_fold"), derived=derived, kind=f"{short}_fold")
    # "Test Lead" and "Mickey Mouse" name nobody: blank for matching (the names as typed stay).
    people = people.with_columns(placeholders.blank_names("first_fold", "last_fold"))
    for column in ("first_fold", "last_fold"):
        people = _by_distinct(people, column, _sounds, derived=derived, kind=column.replace("fold", "sound"))
    company = _companies(placeholders)
    people = _by_distinct(people, "company", company, derived=derived, kind="company", settings=(placeholders,))
    people = _with_addresses(people, derived)
    people = _with_phones(_with_emails(people, placeholders, derived, unread), readings, unread)
    return people.with_columns(filled=pl.sum_horizontal([filled.cast(pl.UInt8) for filled in _FILLED]))
