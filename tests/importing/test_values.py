"""Exported text into stored values: the datetime, checkbox and number forms Salesforce tools write, no other."""

from __future__ import annotations

import pytest

from sfbridge.importing.values import infer_kind, read_boolean, read_datetime, read_id, read_integer
from sfbridge.models import ColumnKind


@pytest.mark.parametrize(
    "written",
    [
        "2024-01-31T10:00:00.000Z",  # Data Export, Bulk API 2.0
        "2024-01-31T10:00:00Z",  # no milliseconds
        "2024-01-31T12:00:00.000+0200",  # Data Loader's recommended form, offset without a colon
        "2024-01-31T05:00:00.000-05:00",  # the REST form of an offset
        "2024-01-31T10:00:00",  # no offset: UTC, as every Salesforce API means it
        "2024-01-31 10:00:00.000000",  # the stored form itself
    ],
)
def test_every_datetime_form_is_stored_as_the_same_utc_moment(written):
    """Each form of one moment is stored as the pull stores it."""
    assert read_datetime(written) == "2024-01-31 10:00:00.000000"


@pytest.mark.parametrize("written", ["2024-01-31", "31/01/2024 10:00", "2024-13-31T10:00:00.000Z", "soon"])
def test_what_is_not_a_datetime_is_refused(written):
    """A date alone, a local format or an impossible date is not a moment."""
    with pytest.raises(ValueError):  # noqa: PT011 (the converters' one error type)
        read_datetime(written)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("Off", False),
        ("y", True),
        ("n", False),
    ],
)
def test_checkboxes_in_the_forms_data_loader_reads(written, value):
    """Data Loader's true and false words, any case."""
    assert read_boolean(written) is value


def test_a_checkbox_that_is_neither_is_refused():
    """'maybe' is not a checkbox value."""
    with pytest.raises(ValueError):  # noqa: PT011
        read_boolean("maybe")


def test_whole_numbers_and_ids():
    """5.0 is a whole number, 5.5 is not; a 15-character Id is stored in its 18-character form."""
    assert read_integer("5.0") == 5
    with pytest.raises(ValueError):  # noqa: PT011
        read_integer("5.5")
    assert read_id("00Q5g00000AbCdE") == "00Q5g00000AbCdEEAV"
    with pytest.raises(ValueError, match="case-safe suffix"):
        read_id("00Q5g00000AbCdEAAA")


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (set(), ColumnKind.TEXT),
        ({"true", "false"}, ColumnKind.BOOLEAN),
        ({"1", "0"}, ColumnKind.NUMBER),  # numbers, not checkboxes: 1 and 0 are numbers too
        ({"12", "-3.5", "0.25"}, ColumnKind.NUMBER),
        ({"02134", "12"}, ColumnKind.TEXT),  # a leading zero: a code, not a number
        ({"1e5"}, ColumnKind.TEXT),
        ({"2024-01-31"}, ColumnKind.DATE),
        ({"2024-01-31T10:00:00.000Z", "2024-02-01T10:00:00Z"}, ColumnKind.DATETIME),
        ({"2024-01-31", "2024-01-31T10:00:00.000Z"}, ColumnKind.TEXT),
        ({"true", "12"}, ColumnKind.TEXT),
    ],
)
def test_a_custom_field_is_text_unless_every_value_proves_otherwise(values, kind):
    """One value of another form makes the field text."""
    assert infer_kind(values) is kind
