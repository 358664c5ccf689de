from datetime import UTC, datetime

import pytest

from sfbridge import soql
from sfbridge.ids import InvalidIdError


def test_quote_escapes_quotes_backslashes_and_control_characters():
    """SOQL literals escape what SOQL requires, so a value can never end the string early."""
    assert soql.quote("O'Brien") == r"'O\'Brien'"
    assert soql.quote("a\\b") == r"'a\\b'"
    assert soql.quote("line\nbreak\t") == r"'line\nbreak\t'"
    assert soql.quote("x' OR Name != '") == r"'x\' OR Name != \''"


@pytest.mark.parametrize("value", ["O'Brien", "a\\b", 'say "hi"', "line\nbreak\r\t", "\b\f", "50%_off", "Zoë", ""])
def test_quote_agrees_with_simple_salesforce(value):
    """The hand-kept escape table stays the one simple-salesforce ships (see the comment at soql._ESCAPES)."""
    from simple_salesforce.format import quote_soql_value  # noqa: PLC0415  # only this comparison needs it

    assert soql.quote(value) == quote_soql_value(value)


def test_id_in_refuses_anything_that_is_not_an_id():
    """Id lists are validated before they are quoted into a query (no injection through Ids)."""
    with pytest.raises(InvalidIdError):
        soql.id_in(["00Q5g00000AbCdEEAV", "') OR Id != ('"])


def test_since_renders_an_inclusive_utc_bound_to_the_second():
    """The incremental bound is >= in UTC with Z, fractions dropped (rounding down keeps it inclusive)."""
    moment = datetime(2026, 1, 2, 3, 4, 5, 999_000, tzinfo=UTC)
    assert soql.since("SystemModstamp", moment) == "SystemModstamp >= 2026-01-02T03:04:05Z"


def test_split_fields_keeps_every_group_under_the_url_limit_and_repeats_the_keys():
    """A SELECT of 900 long custom fields is split; each group fits and starts with Id and the cursor."""
    fields = [f"Very_Long_Custom_Field_Name_Number_{i:04d}__c" for i in range(900)]

    def build(group):
        return soql.select(
            group, "Lead", where=["SystemModstamp >= 2026-01-01T00:00:00Z"], order_by=["SystemModstamp", "Id"]
        )

    groups = soql.split_fields(["Id", "SystemModstamp", *fields], keep=["Id", "SystemModstamp"], build=build)
    assert len(groups) > 1
    assert all(group[:2] == ["Id", "SystemModstamp"] for group in groups)
    assert all(soql.encoded_length(build(group)) <= soql.URL_LIMIT_BYTES - 400 for group in groups)
    assert sorted(f for group in groups for f in group[2:]) == sorted(fields)


def test_split_fields_returns_one_group_when_everything_fits():
    """A normal object is read with one query."""
    groups = soql.split_fields(["Id", "Name", "Email"], keep=["Id"], build=lambda g: soql.select(g, "Lead"))
    assert groups == [["Id", "Name", "Email"]]


def test_chunk_ids_fits_each_in_list_in_the_budget():
    """Long Id lists become several IN queries, none over budget, none losing an Id."""
    ids = [f"00Q5g00000{i:05d}" for i in range(3000)]

    def build(chunk):
        return soql.select(["Id"], "Lead", where=[soql.id_in(chunk)])

    chunks = list(soql.chunk_ids(ids, build=build))
    assert len(chunks) > 1
    assert [i for chunk in chunks for i in chunk] == ids
    assert all(soql.encoded_length(build(chunk)) <= soql.URL_LIMIT_BYTES - 400 for chunk in chunks)


def test_count_adds_filters():
    """COUNT() queries take the same filters as the pull."""
    assert soql.count("Group", where=["Type = 'Queue'"]) == "SELECT COUNT() FROM Group WHERE Type = 'Queue'"
