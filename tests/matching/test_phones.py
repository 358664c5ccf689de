"""Phone numbers in E.164, extensions apart, read in the record's country (else a fallback region); placeholders."""

import random
import weakref
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import phonenumbers
import polars as pl
import pytest

from sfbridge.matching import Matching, MatchSettings, people_frame, phones
from sfbridge.matching.blocking import KINDS
from sfbridge.matching.normalise import locate_people, normalise_people, phone_values
from sfbridge.matching.phones import (
    PhoneBatch,
    PhoneReader,
    PhoneSettings,
    _e164,
    _is_valid,
    fallback_regions,
    read_phone,
    read_phones,
)
from sfbridge.models import collection_paused


@pytest.mark.parametrize(
    ("text", "region", "e164", "extension"),
    [
        ("(415) 555-0134", "US", "+14155550134", None),
        ("415.555.0134 ext. 7", "US", "+14155550134", "7"),
        ("020 7946 0018", "GB", "+442079460018", None),
        ("+44 (0)20 7946 0018", "US", "+442079460018", None),
        ("03 7010 3647 ext. 299", "AU", "+61370103647", "299"),
        ("01 99 00 20 40", "FR", "+33199002040", None),
        ("+33536499425 x202", "FR", "+33536499425", "202"),
    ],
)
def test_read_phone_gives_e164_and_keeps_extensions_apart(text, region, e164, extension):
    """National formats are read in the record's country; a +country code wins over it."""
    reading = read_phone(text, region)
    assert (reading.e164, reading.extension, reading.valid) == (e164, extension, True)


@pytest.mark.parametrize("text", ["0000000000", "(000) 000-0000", "111-111-1111", "12345", "N/A", "TBD", "call me"])
def test_read_phone_rejects_placeholders_with_a_reason(text):
    """Placeholder values are not numbers in use, and the reading says why."""
    reading = read_phone(text, "US")
    assert not reading.valid
    assert reading.problem


def test_read_phone_counts_fictional_ranges_as_valid():
    """NANP 555-01xx and Ofcom drama numbers are in the numbering plans, so they are valid."""
    assert read_phone("(212) 555-0123", "US").valid
    assert read_phone("020 7946 0958", "GB").valid


def test_e164_shortcut_agrees_with_format_number():
    """Building E.164 from the national significant number gives what format_number does, leading zeros kept."""
    for text, region in [
        ("(415) 555-0134 x7", "US"),
        ("06 1234 5678", "IT"),
        ("000-000-0000", "US"),
        ("020 7946", "GB"),
    ]:
        number = phonenumbers.parse(text, region)
        assert _e164(number)[1] == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_is_valid_shortcut_agrees_with_is_valid_number():
    """Asking the main region first never changes libphonenumber's answer, across shared country codes."""
    rng = random.Random(7)  # noqa: S311 (a seeded test corpus, not a secret)
    regions = ["US", "CA", "PR", "JM", "GB", "GG", "JE", "RU", "KZ", "AU", "CX", "NO", "SJ", "FR", "DE"]
    samples = [
        (f"+1{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}", "US") for _ in range(800)
    ]
    samples += [
        ("".join(rng.choice("0123456789") for _ in range(rng.randint(6, 12))), rng.choice(regions)) for _ in range(800)
    ]
    for text, region in samples:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        assert _is_valid(number, region) == phonenumbers.is_valid_number(number), (text, region)


def test_a_country_codes_main_region_allows_every_length_its_other_regions_do():
    """Fallback readings skip the validity test when the length is impossible, which is exact only while this holds."""
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        main = phonenumbers.PhoneMetadata.metadata_for_region(regions[0])
        if main is None:  # non-geographic codes (+800, +979): never a fallback region
            continue
        allowed = {*main.general_desc.possible_length, *main.general_desc.possible_length_local_only}
        for region in regions[1:]:
            lengths = set(phonenumbers.PhoneMetadata.metadata_for_region(region).general_desc.possible_length)
            assert lengths <= allowed, (code, region, lengths - allowed)


def test_phone_batch_in_worker_processes_matches_reading_in_process(monkeypatch):
    """Spreading values over worker processes gives the same readings, in the same order, with the batch's reader."""
    monkeypatch.setattr(phones, "POOL_THRESHOLD", 10)
    monkeypatch.setattr(phones, "_CHUNK", 7)
    texts = [f"(415) 555-01{number:02d}" for number in range(40)] + ["N/A", "020 7946 0018", "(415) 555-0134"]
    values = pl.DataFrame({"text": texts, "region": ["US"] * 41 + ["GB", "ES"]})
    reader = PhoneSettings(placeholders=("020 7946 0018",)).reader(values, default_region="US")
    with PhoneBatch(values, workers=2, reader=reader) as batch:
        readings = batch.result()
    assert readings.equals(read_phones(values, workers=1, reader=reader))
    assert readings.get_column("level").to_list()[-2:] == ["placeholder", "valid"]
    assert readings.get_column("fallback").to_list()[-1] == "US"


def test_a_broken_pool_is_read_in_process_and_its_failure_freed_with_the_collector_paused(monkeypatch):
    """A dead worker's futures hold exceptions in a cycle with the batch: the audit's paused collector would keep it."""
    monkeypatch.setattr(phones, "POOL_THRESHOLD", 10)
    monkeypatch.setattr(phones, "_CHUNK", 7)
    failures = []

    def broken(*_, **__):
        future, failure = Future(), BrokenProcessPool("a worker died")
        failures.append(weakref.ref(failure))
        future.set_exception(failure)
        return future

    monkeypatch.setattr(phones.ProcessPoolExecutor, "submit", broken)
    values = pl.DataFrame({"text": [f"(415) 555-01{number:02d}" for number in range(20)], "region": ["US"] * 20})
    with collection_paused():
        with PhoneBatch(values, workers=2) as batch:
            readings = batch.result()
        assert readings.equals(read_phones(values, workers=1))
        assert failures
        assert [failure() for failure in failures] == [None] * len(failures)


def test_phone_batch_hands_its_workers_bytes_never_polars_frames(monkeypatch):
    """The executor pickles on threads of its own; a polars frame pickled there hung 100k and 1M audits.

    Its feeder thread serialised a frame on polars' thread pool while the main thread's fold
    held that pool waiting for the GIL in a ``map_batches`` function: both audits stopped for
    good in ``DataFrame.__getstate__``. Chunks now go as IPC bytes made on the calling thread.
    """
    monkeypatch.setattr(phones, "POOL_THRESHOLD", 10)
    monkeypatch.setattr(phones, "_CHUNK", 7)
    handed: list[tuple[object, ...]] = []
    submit = phones.ProcessPoolExecutor.submit

    def spy(self, fn, /, *args, **kwargs):
        handed.append(args)
        return submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(phones.ProcessPoolExecutor, "submit", spy)
    values = pl.DataFrame({"text": [f"(415) 555-01{number:02d}" for number in range(20)], "region": ["US"] * 20})
    with PhoneBatch(values, workers=2) as batch:
        readings = batch.result()
    assert len(handed) == 3
    assert all(isinstance(args[0], bytes) for args in handed)
    assert not any(isinstance(arg, pl.DataFrame | pl.Series) for args in handed for arg in args)
    assert readings.equals(read_phones(values, workers=1))


# Reading in context: the record's country first, then the org's fallback regions.


@pytest.mark.parametrize(
    ("text", "region", "e164", "fallback"),
    [
        ("(415) 555-0134", "ES", "+14155550134", "US"),  # a US national number on a Spanish contact
        ("07911 123456", "US", "+447911123456", "GB"),  # a UK mobile on a US lead
        ("1-415-555-0134 x7", "ES", "+14155550134", "US"),  # the US trunk 1 and an extension
        ("447911123456", "US", "+447911123456", "GB"),  # the country code without its +
        ("07911 123456 ext. 9", "US", "+447911123456", "GB"),  # an extension, kept in the fix
    ],
)
def test_a_number_invalid_in_its_region_is_read_in_a_fallback_region(text, region, e164, fallback):
    """A number no valid number in the record's country, but one in a fallback region, is that region's number."""
    reading = read_phone(text, region, fallback=("US", "GB"))
    assert (reading.e164, reading.valid, reading.level, reading.problem) == (e164, True, "valid", None)
    assert reading.fallback == fallback
    assert reading.fix == e164 + (f" ext. {reading.extension}" if reading.extension else "")


def test_a_number_valid_in_its_own_region_is_not_read_elsewhere():
    """The record's country comes first: a valid reading there is kept even where another region could read it."""
    reading = read_phone("020 7946 0018", "GB", fallback=("US", "FR"))
    assert (reading.e164, reading.fallback, reading.fix) == ("+442079460018", None, None)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("(415) 123-4567", "ES"),  # no exchange starts with 1: valid nowhere
        ("+1 (415) 123-4567", "GB"),  # written with its country code: no region reads it otherwise
        ("555-CALL-NOW", "US"),  # letters: 555 225 5669 is a GB number, but nobody wrote that
        ("(555) 225-5669", "US"),  # GB writes its numbers with the trunk 0, so this is no GB number
        ("7911 123456", "US"),  # a UK mobile without its 0
    ],
)
def test_a_number_valid_nowhere_it_was_written_for_stays_invalid(text, region):
    """Only a reading as the fallback region writes its numbers counts; anything else keeps its own region's problem."""
    reading = read_phone(text, region, fallback=("US", "GB", "FR"))
    assert not reading.valid
    assert (reading.fallback, reading.fix) == (None, None)
    assert reading.problem


def test_an_ambiguous_number_takes_the_first_fallback_region():
    """06 12 34 56 78 is a mobile in France and in the Netherlands: the earlier region in the order wins."""
    assert read_phone("06 12 34 56 78", "US", fallback=("FR", "NL")).e164 == "+33612345678"
    assert read_phone("06 12 34 56 78", "US", fallback=("NL", "FR")).e164 == "+31612345678"


def test_fallback_regions_are_the_default_then_the_most_common():
    """Auto mode: the default region first, then the regions most values are read in (ties by code), at most five."""
    regions = ["DE"] * 5 + ["FR"] * 3 + ["US"] * 2 + ["GB"] * 3 + ["ES", "IT", "NL"]
    values = pl.DataFrame({"text": [str(n) for n in range(len(regions))], "region": regions})
    assert fallback_regions(values, default_region="US") == ("US", "DE", "FR", "GB", "ES")
    assert fallback_regions(values, default_region="US", count=1) == ("US",)
    assert PhoneSettings(fallback_regions=()).reader(values, default_region="US").fallback == ()
    assert PhoneSettings(fallback_regions=("GB",)).reader(values, default_region="US").fallback == ("GB",)


# Levels: what invalid_phone can be set to require.


@pytest.mark.parametrize(
    ("text", "region", "level"),
    [
        ("N/A", "US", "malformed"),  # no digits
        ("12345", "US", "malformed"),  # too few digits to be anyone's number
        ("call 415 555 0134", "US", "valid"),  # libphonenumber finds the number in the words
        ("+34 612 345 67", "US", "format"),  # 9 digits in phone characters, one short for Spain
        ("(415) 123-4567", "US", "possible"),  # a US length, but no exchange starts with 1
        ("555-CALL-NOW", "US", "possible"),  # a vanity number of US length, in no allocated range
        ("(415) 555-0134 ext. 12", "US", "valid"),
        ("000-000-0000", "US", "placeholder"),
    ],
)
def test_each_value_gets_the_highest_level_it_reaches(text, region, level):
    """Levels go placeholder < malformed < format < possible < valid; only valid numbers are valid."""
    reading = read_phone(text, region, fallback=("GB",))
    assert reading.level == level
    assert reading.valid == (level == "valid")


def test_a_length_possible_only_in_a_fallback_region_is_possible():
    """'possible' means a dialable length in the record's region or a fallback region."""
    text = "07700 900123"  # Ofcom's drama range: a UK mobile length, allocated to nobody
    assert read_phone(text, "US").level == "format"
    assert read_phone(text, "US", fallback=("GB",)).level == "possible"


# Placeholders: never valid, never evidence.


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("000-000-0000", "US"),
        ("(000) 000-0000", "US"),
        ("1234567890", "US"),
        ("123-456-7890", "US"),
        ("555-555-5555", "US"),
        ("+1 (555) 555-5555", "US"),
        ("999-999-9999", "US"),
        ("111 111 1111", "DE"),
        ("1234567", "DE"),
        ("987-654-3210", "US"),
        ("+1 (000) 123-4567", "US"),
        ("01234 567890", "GB"),  # a real Bedford range to libphonenumber, and the UK's usual placeholder
        ("+91 98765 43210", "US"),  # valid in India, and India's usual placeholder
        ("+1 234 567 8901 ext. 5", "US"),  # valid in Ohio; a run all the same
    ],
)
def test_placeholders_are_never_valid(text, region):
    """Repeated digits, straight runs, 000 numbers and the listed ones are placeholders wherever they are read."""
    reading = read_phone(text, region, fallback=("US", "GB"))
    assert (reading.valid, reading.level, reading.fallback) == (False, "placeholder", None)
    assert reading.problem == "is a placeholder, not a number"


def test_listed_placeholders_match_by_digits_in_any_form():
    """A listed number matches written nationally or internationally; without the patterns only the list counts."""
    reader = PhoneSettings(placeholders=("020 7946 0018",), placeholder_patterns=False).reader(
        pl.DataFrame({"text": [], "region": []}, schema={"text": pl.Utf8, "region": pl.Utf8}), default_region="US"
    )
    for text, region in (("020 7946 0018", "GB"), ("+44 20 7946 0018", "US"), ("0044 20 7946 0018", "FR")):
        assert reader.read(text, region).level == "placeholder", text
    assert reader.read("01234 567890", "GB").valid  # only a placeholder by pattern, and patterns are off
    assert PhoneReader().read("01234 567890", "GB").level == "placeholder"


def _lee(record_id: str, phone: str, country: str = "GB") -> dict[str, str]:
    """A lead named Ann Lee with a phone: with nothing else to go on, only the phone can pair two of them."""
    return {
        "sobject": "Lead",
        "record_id": record_id,
        "first_name": "Ann",
        "last_name": "Lee",
        "phone": phone,
        "country": country,
    }


@pytest.mark.parametrize(
    ("phone", "settings", "paired"),
    [
        ("020 7946 0018", PhoneSettings(), True),  # a real shared number: one person
        ("01234 567890", PhoneSettings(), False),  # the UK placeholder, valid to libphonenumber
        ("020 7946 0018", PhoneSettings(placeholders=("+44 20 7946 0018",)), False),  # listed by the admin
    ],
)
def test_a_placeholder_is_never_a_blocking_key_or_a_match_reason(phone, settings, paired):
    """Two people named alike sharing a placeholder phone never meet through it; a real number pairs them."""
    people = people_frame(pl.DataFrame([_lee("L1", phone), _lee("L2", phone)]))
    matching = Matching(people, settings=MatchSettings(workers=1, phones=settings))
    assert matching.people.get_column("phone_valid").to_list() == [paired, paired]
    # They may meet as a rare full name (private people), never through the phone.
    phone_bit = 1 << KINDS.index("phone")
    kinds = matching.candidates.pairs.get_column("kinds").to_list()
    assert [bool(kind & phone_bit) for kind in kinds] == ([True] if paired else [False] * len(kinds))
    reasons = [reason for reasons in matching.pairs.get_column("reasons").to_list() for reason in reasons]
    assert ("same phone +442079460018" in reasons) == paired
    assert not any("1234" in reason for reason in reasons)


def test_a_number_read_in_a_fallback_region_is_evidence_for_matching():
    """A US number on a Spanish lead meets the same number written with +1 on a US contact."""
    people = people_frame(pl.DataFrame([_lee("L1", "(415) 555-0134", "Spain"), _lee("L2", "+1 415 555 0134", "US")]))
    matching = Matching(people, settings=MatchSettings(workers=1))
    assert matching.pairs.height == 1
    assert "same phone +14155550134" in matching.pairs.item(0, "reasons").to_list()


def test_each_distinct_value_is_parsed_once_and_fallbacks_only_for_failures(monkeypatch):
    """Each distinct (text, region) is parsed once; fallbacks only for failures, once each, where they are written."""
    calls: list[tuple[str, str]] = []
    parse = phonenumbers.parse

    def counting(text, region, *args, **kwargs):
        calls.append((text, region))
        return parse(text, region, *args, **kwargs)

    monkeypatch.setattr(phonenumbers, "parse", counting)
    rows = [
        *[_lee(f"A{n}", "(415) 555-0134", "US") for n in range(3)],  # one value, three people
        _lee("B", "(212) 555-0123", "US"),
        *[_lee(f"C{n}", "(415) 555-0199", "Spain") for n in range(2)],  # fails in Spain: a US number
        _lee("D", "(415) 555-0199", "France"),  # fails in France: the same US reading, already made
        _lee("E", "N/A", "US"),  # not a number: no region reads it otherwise
        _lee("F", "(415) 123-4567", "US"),  # fails in the US: Spain may read it, France writes a 0 first
    ]
    people = normalise_people(people_frame(pl.DataFrame(rows)), default_region="US", workers=1)
    assert sorted(calls) == sorted(
        [
            ("(415) 555-0134", "US"),
            ("(212) 555-0123", "US"),
            ("(415) 555-0199", "ES"),
            ("(415) 555-0199", "FR"),
            ("(415) 555-0199", "US"),
            ("N/A", "US"),
            ("(415) 123-4567", "US"),
            ("(415) 123-4567", "ES"),
        ]
    )
    assert people.filter(pl.col("phone_fallback") == "US").height == 3


def test_phone_batch_whose_pool_breaks_before_the_first_chunk_reads_in_process(monkeypatch):
    """A pool that refuses every chunk (a worker died at start-up) leaves no futures: the values are read here."""
    monkeypatch.setattr(phones, "POOL_THRESHOLD", 10)
    monkeypatch.setattr(phones, "_CHUNK", 7)

    def refuse(*_args, **_kwargs):
        msg = "cannot schedule new futures after shutdown"
        raise RuntimeError(msg)

    monkeypatch.setattr(phones.ProcessPoolExecutor, "submit", refuse)
    values = pl.DataFrame({"text": [f"(415) 555-01{number:02d}" for number in range(20)], "region": ["US"] * 20})
    with PhoneBatch(values, workers=2) as batch:
        readings = batch.result()
    assert readings.equals(read_phones(values, workers=1))


def test_each_person_takes_the_reading_of_their_own_value_in_their_own_region_for_each_field():
    """Readings map back by value and region: a value in both fields or two regions, none, junk."""
    people = people_frame(
        pl.DataFrame(
            [
                {"sobject": "Lead", "record_id": "L1", "phone": "(415) 555-0134", "mobile_phone": "020 7946 0018"},
                {"sobject": "Lead", "record_id": "L2", "phone": "020 7946 0018", "country": "United Kingdom"},
                {"sobject": "Lead", "record_id": "L3", "mobile_phone": " (415) 555-0134 ", "country": "UK"},
                {"sobject": "Lead", "record_id": "L4", "phone": "n/a", "mobile_phone": "+49 30 901820"},
                {"sobject": "Contact", "record_id": "C1", "phone": "415.555.0134 x12", "country": "US"},
            ]
        )
    )
    normalised = normalise_people(people, default_region="US")
    # Read as the normaliser reads them: with the org's fallback regions (UK, for L1's mobile).
    values = phone_values(locate_people(people, default_region="US"))
    reader = phones.PhoneSettings().reader(values, default_region="US")
    assert reader.fallback
    for row in normalised.iter_rows(named=True):
        for field in ("phone", "mobile_phone"):
            text = (row[field] or "").strip()
            if not text:
                assert row[f"{field}_e164"] is None
                assert row[f"{field}_valid"] is False
                continue
            reading = reader.read_frame(pl.DataFrame({"text": [text], "region": [row["region"]]})).row(0, named=True)
            for name, value in reading.items():
                column = f"{field}_{'ext' if name == 'extension' else name}"
                assert row[column] == value, (row["record_id"], column)
