from datetime import UTC, date, datetime

import pytest

from sfbridge.ids import InvalidIdError, is_queue_id, validate_id
from sfbridge.wire import format_datetime, parse_datetime


def test_validate_id_turns_15_into_18_characters():
    """The case-safe suffix is computed from the 15-character Id."""
    assert validate_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"


def test_validate_id_rejects_a_wrong_suffix_with_a_hint():
    """An Id whose case was changed by a case-insensitive tool is caught, and the message says so."""
    with pytest.raises(InvalidIdError, match="case-insensitive"):
        validate_id("001a0000006vm9rIAC")


def test_validate_id_checks_the_object_prefix():
    """A Contact Id where a Lead Id is expected is refused, naming the expected prefix."""
    with pytest.raises(InvalidIdError, match="start with 00Q"):
        validate_id("003A0000006Vm9r", sobject="Lead")


@pytest.mark.parametrize("bad", ["", "123", "00Q5g00000AbCdE!", "00Q5g00000AbCdEEAVX", None])
def test_validate_id_rejects_malformed_values(bad):
    """Anything but 15 or 18 letters and digits is not an Id."""
    with pytest.raises(InvalidIdError):
        validate_id(bad)


def test_queue_owner_ids_are_recognised():
    """Lead owners starting 00G are queues, not users."""
    assert is_queue_id("00G5g000001AbCdEAK")
    assert not is_queue_id("0055g000001AbCdEAK")


def test_datetime_round_trips_in_the_rest_format():
    """REST datetimes (+0000, no colon) parse to aware UTC and format back identically."""
    text = "2013-05-20T20:49:32.000+0000"
    parsed = parse_datetime(text)
    assert parsed == datetime(2013, 5, 20, 20, 49, 32, tzinfo=UTC)
    assert format_datetime(parsed) == text


def test_parse_datetime_converts_offsets_to_utc():
    """A non-UTC offset is converted, not dropped."""
    assert parse_datetime("2013-05-20T22:49:32+02:00") == datetime(2013, 5, 20, 20, 49, 32, tzinfo=UTC)
    assert date(2013, 5, 20) == parse_datetime("2013-05-20T00:00:00Z").date()
