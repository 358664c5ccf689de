"""Phone numbers in E.164 with extensions apart, read in the record's country, valid per libphonenumber."""

import random

import phonenumbers
import polars as pl
import pytest

from sfbridge.matching import phones
from sfbridge.matching.phones import PhoneBatch, _is_valid, read_phone, read_phones


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


def test_phone_batch_in_worker_processes_matches_reading_in_process(monkeypatch):
    """Spreading values over worker processes gives the same readings, in the same order."""
    monkeypatch.setattr(phones, "POOL_THRESHOLD", 10)
    monkeypatch.setattr(phones, "_CHUNK", 7)
    texts = [f"(415) 555-01{number:02d}" for number in range(40)] + ["N/A", "020 7946 0018"]
    values = pl.DataFrame({"text": texts, "region": ["US"] * 41 + ["GB"]})
    with PhoneBatch(values, workers=2) as batch:
        assert batch.result().equals(read_phones(values, workers=1))
