"""Turning REST records into store rows: types checked, nulls kept, the envelope dropped."""

import orjson
import pytest

from sfbridge.errors import ProtocolError
from sfbridge.models import ColumnKind, FieldInfo, ObjectSchema
from sfbridge.pull.decode import PageDecoder
from sfbridge.pull.records import RowConverter

SCHEMA = ObjectSchema(
    sobject="Lead",
    fields=(
        FieldInfo(name="Id", sf_type="id", kind=ColumnKind.TEXT),
        FieldInfo(name="SystemModstamp", sf_type="datetime", kind=ColumnKind.DATETIME),
        FieldInfo(name="ConvertedDate", sf_type="date", kind=ColumnKind.DATE),
        FieldInfo(name="NumberOfEmployees", sf_type="int", kind=ColumnKind.INTEGER),
        FieldInfo(name="IsConverted", sf_type="boolean", kind=ColumnKind.BOOLEAN),
        FieldInfo(name="NewValue", sf_type="anyType", kind=ColumnKind.TEXT),
    ),
    replicateable=True,
    cursor="SystemModstamp",
)


def record(**values):
    return {
        "attributes": {"type": "Lead", "url": "/services/data/v66.0/sobjects/Lead/x"},
        "Id": "00Q5g00000AbCdEEAV",
        "SystemModstamp": "2026-11-02T09:00:00.000+0000",
        **values,
    }


def test_values_are_normalised_and_the_envelope_dropped():
    """Datetimes become canonical UTC text, anyType numbers text, missing fields None."""
    page = RowConverter(SCHEMA).page([record(NumberOfEmployees=50.0, IsConverted=False, NewValue=3)])
    assert page.rows == [("00Q5g00000AbCdEEAV", "2026-11-02 09:00:00.000000", None, 50, False, "3")]
    assert page.latest().isoformat() == "2026-11-02T09:00:00+00:00"


def test_a_repeated_id_on_one_page_is_kept_once():
    """The overlap or a concurrent edit can repeat a record; the last copy wins."""
    page = RowConverter(SCHEMA).page([record(NumberOfEmployees=1), record(NumberOfEmployees=2)])
    assert [row[3] for row in page.rows] == [2]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("SystemModstamp", "yesterday"),
        ("ConvertedDate", "2026-13-01"),
        ("NumberOfEmployees", "12"),
        ("IsConverted", "true"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_record_and_field(field, value):
    """A value that contradicts describe is refused with the record Id and field, not stored."""
    with pytest.raises(ProtocolError, match=f"record 00Q5g00000AbCdEEAV has a {field} value"):
        RowConverter(SCHEMA).page([record(**{field: value})])


def test_a_record_without_an_id_is_refused():
    """Every record must carry its Id."""
    with pytest.raises(ProtocolError, match="without an Id"):
        RowConverter(SCHEMA).page([{"attributes": {}, "SystemModstamp": None}])


def body(*records, done=True):
    page = {"totalSize": len(records), "done": done, "records": list(records)}
    if not done:
        page["nextRecordsUrl"] = "/services/data/v66.0/query/01g5g0000000001AAA-2000"
    return orjson.dumps(page)


def test_decoder_gives_the_same_rows_as_the_converter():
    """The fast path and the checked path agree on every kind of value."""
    records = [
        record(NumberOfEmployees=50, IsConverted=True, ConvertedDate="2026-10-31", NewValue="Working"),
        record(Id="00Q5g00000AbCdFEAV", NewValue=4.5),
    ]
    decoded = PageDecoder(SCHEMA).decode(body(*records, done=False), what="query Lead")
    assert decoded.page.rows == RowConverter(SCHEMA).page(records).rows
    assert (decoded.total_size, decoded.done) == (2, False)
    assert decoded.next_records_url.endswith("-2000")


def test_decoder_falls_back_and_names_the_bad_record():
    """A value msgspec refuses is re-read the slow way, which names the record and field."""
    with pytest.raises(ProtocolError, match="record 00Q5g00000AbCdEEAV has a IsConverted value"):
        PageDecoder(SCHEMA).decode(body(record(IsConverted="yes")), what="query Lead")
    with pytest.raises(ProtocolError, match="has a SystemModstamp value"):
        PageDecoder(SCHEMA).decode(body(record(SystemModstamp="last Tuesday")), what="query Lead")


def test_decoder_accepts_whole_floats_for_integers_like_the_converter():
    """5.0 for an int field is decoded the slow way and stored as 5."""
    decoded = PageDecoder(SCHEMA).decode(body(record(NumberOfEmployees=5.0)), what="query Lead")
    assert decoded.page.rows[0][3] == 5


def test_decoder_reports_html_and_truncation_plainly():
    """Bodies that are not query responses are named for what they are."""
    decoder = PageDecoder(SCHEMA)
    with pytest.raises(ProtocolError, match="HTML page"):
        decoder.decode(b"<html><body>Login</body></html>", what="query Lead")
    with pytest.raises(ProtocolError, match="cut short"):
        decoder.decode(b'{"totalSize": 3, "done": false, "records": [{"Id', what="query Lead")
    with pytest.raises(ProtocolError, match="unexpected shape"):
        decoder.decode(b'[{"errorCode": "X"}]', what="query Lead")


def test_columns_null_on_every_row_are_left_out_and_named():
    """A field empty on the whole page is not sent as values; the page names it instead."""
    decoded = PageDecoder(SCHEMA).decode(body(record(), record(Id="00Q5g00000AbCdFEAV")), what="query Lead")
    page = decoded.page
    assert page.columns == ("Id", "SystemModstamp")
    assert set(page.null_columns) == {"ConvertedDate", "NumberOfEmployees", "IsConverted", "NewValue"}
    assert all(len(row) == 2 for row in page.rows)
    assert page.latest() is not None
