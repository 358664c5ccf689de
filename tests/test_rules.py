"""Check rules: shipped defaults, per-org files, and errors that name the key."""

from pathlib import Path

import polars as pl
import pytest

from sfbridge.checks.context import resolve_statuses
from sfbridge.errors import ConfigError
from sfbridge.matching.best_values import ValueRules
from sfbridge.models import Severity
from sfbridge.rules import Rules, StatusRules, load_rules

REPO = Path(__file__).resolve().parent.parent


def test_shipped_rules_are_the_defaults():
    """config/rules.toml documents exactly the built-in defaults."""
    assert load_rules(REPO / "config" / "rules.toml") == Rules()


def test_an_org_file_overrides_only_what_it_sets(tmp_path):
    """A partial rules file keeps every default it does not mention."""
    path = tmp_path / "rules.toml"
    path.write_text('stale_days = 60\n[junk]\ncompetitor_domains = ["rival.com"]\n[severity]\nstale_lead = "high"\n')
    rules = load_rules(path)
    assert rules.stale_days == 60
    assert rules.junk.competitor_domains == ["rival.com"]
    assert rules.lead_source.mapping["google"] == "Advertisement"
    assert rules.severity_of("stale_lead") is Severity.HIGH
    assert rules.severity_of("junk_lead") is Severity.MEDIUM


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stale_dayz = 60\n", "stale_dayz: unknown key; did you mean 'stale_days'?"),
        ("[conversion]\nmin_minutes_from_creaton = 5\n", "conversion.min_minutes_from_creaton: unknown key"),
        ("stale_days = -3\n", "stale_days: Input should be greater than or equal to 1"),
        ("[severity]\nstale_leads = 'high'\n", "unknown check(s) stale_leads"),
        ("[duplicates]\nmatch_threshold = 2\n", "duplicates.match_threshold"),
        (
            'default_phone_region = "XX"\n',
            (
                "default_phone_region: 'XX' is not a region the phone library knows (ISO 3166 codes such as 'US', 'GB' "
                "or 'DE'); did you mean 'XK'?"
            ),
        ),
        ('default_phone_region = "UK"\n', "default_phone_region: 'UK' is not a region the phone library knows"),
        ('default_phone_region = "UK"\n', "did you mean 'GB'?"),
    ],
)
def test_invalid_rules_name_the_key(tmp_path, text, expected):
    """Each mistake in a rules file is reported with its file and key."""
    path, message = refused(tmp_path, text)
    assert str(path) in message
    assert expected in message


def refused(tmp_path, text):
    """The rules file holding ``text``, and the message loading it is refused with."""
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    return path, str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[duplicates.survivor]\norder = ["contact", "most_recnt_activity"]\n',
            (
                "duplicates.survivor.order: 'most_recnt_activity' is not a survivor criterion; did you mean "
                "'most_recent_activity'? (survivor criteria are contact, most_complete, most_recent_activity, "
                "oldest, newest)"
            ),
        ),
        ('[duplicates.survivor]\norder = ["oldest", "oldest"]\n', "duplicates.survivor.order: 'oldest' given twice"),
        (
            '[duplicates.values]\nemail = "newest"\n',
            (
                "duplicates.values.email: 'newest' is not a value rule (value rules are survivor, most_recent, "
                "most_common, longest, oldest)"
            ),
        ),
        ('[duplicates.values]\ndefault = ["longst"]\n', "duplicates.values.default: 'longst' is not a value rule"),
        ("[duplicates.values]\ntitle = []\n", "duplicates.values.title: name at least one rule"),
        ("[duplicates.values]\nphone = 3\n", "duplicates.values.phone: give a value rule or a list of them"),
        ('[duplicates.values]\nemial = "survivor"\n', "duplicates.values.emial: unknown key; did you mean 'email'?"),
        (
            '[duplicates.values]\ncity = "most_common"\n',
            (
                "duplicates.values: city: the address (street, city, state, postal_code, country) is chosen as one "
                "unit, from one record; set its rules with `address = ...` instead"
            ),
        ),
    ],
)
def test_invalid_survivor_and_value_rules_name_the_key_and_the_choices(tmp_path, text, expected):
    """A misspelt criterion or rule, a repeat, or a rule per address part is refused with the fix."""
    path, message = refused(tmp_path, text)
    assert str(path) in message
    assert expected in message


def test_survivor_and_value_rules_reach_the_matching_settings(tmp_path):
    """The order, a single rule, a list, and ``default`` for the fields not set become the engine's settings."""
    path = tmp_path / "rules.toml"
    path.write_text(
        '[duplicates.survivor]\norder = ["oldest"]\n'
        '[duplicates.values]\ndefault = "most_recent"\nemail = "survivor"\naddress = ["longest", "survivor"]\n'
    )
    duplicates = load_rules(path).duplicates
    assert duplicates.survivor.criteria() == ("oldest",)
    rules = duplicates.values.value_rules()
    assert rules.email == ("survivor",)
    assert rules.address == ("longest", "survivor")
    assert rules.first_name == rules.title == ("most_recent",)  # default fills what the file leaves out
    assert Rules().duplicates.values.value_rules() == ValueRules()  # no default: the built-in rules


def test_phone_regions_are_read_in_any_case(tmp_path):
    """A region the phone library knows is accepted in any case, and kept upper-case as it expects."""
    path = tmp_path / "rules.toml"
    path.write_text('default_phone_region = "de"\n')
    assert load_rules(path).default_phone_region == "DE"


def test_lead_source_mapping_keys_are_folded(tmp_path):
    """Mapping keys match trimmed and case-insensitively."""
    path = tmp_path / "rules.toml"
    path.write_text('[lead_source.mapping]\n" LinkedIn " = "Social"\n')
    assert load_rules(path).lead_source.mapping == {"linkedin": "Social"}


def statuses(*rows):
    return pl.DataFrame(
        [
            {"ApiName": name, "MasterLabel": name, "IsConverted": converted, "SortOrder": index}
            for index, (name, converted) in enumerate(rows)
        ],
        schema={"ApiName": pl.Utf8, "MasterLabel": pl.Utf8, "IsConverted": pl.Boolean, "SortOrder": pl.Int64},
    )


def test_auto_statuses_read_an_orgs_own_labels():
    """An org with its own status names is sorted by what the labels say and IsConverted."""
    sets = resolve_statuses(
        statuses(
            ("New", False),
            ("Contacted", False),
            ("Qualified", False),
            ("Unqualified", False),
            ("Nurture", False),
            ("Converted", True),
        ),
        StatusRules(),
    )
    assert sets.converted == {"Converted"}
    assert sets.closed == {"Converted", "Unqualified"}
    assert sets.qualified == {"Qualified"}
    assert sets.open == {"New", "Contacted", "Qualified", "Nurture"}
    assert sets.disqualified == "Unqualified"


def test_configured_statuses_win_over_auto():
    """Listed statuses are taken as they are."""
    sets = resolve_statuses(
        statuses(("Open", False), ("Won", True), ("Parked", False)),
        StatusRules(closed=["Parked", "Won"], qualified=["Open"], disqualified="Parked"),
    )
    assert sets.closed == {"Parked", "Won"}
    assert sets.qualified == {"Open"}
    assert sets.disqualified == "Parked"
