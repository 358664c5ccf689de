"""Lead conversion field mappings: the file, the checks against describe, the values, the export."""

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from sfbridge.cli import app
from sfbridge.errors import ConfigError
from sfbridge.mappings import (
    METADATA_NAMESPACE,
    InvalidMappingsError,
    Mappings,
    OpportunityCreation,
    Policy,
    ProblemKind,
    TargetObject,
    find_mappings_file,
    lead_convert_settings_xml,
    load_mappings,
    require_valid_mappings,
    split_exportable,
    validate_mappings,
    values_to_write,
)

REPO = Path(__file__).resolve().parent.parent
DESCRIBES = REPO / "fixtures" / "demo-org" / "describe"
EXTRA_FIELDS = REPO / "fixtures" / "mappings" / "extra_fields.json"
NS = {"md": METADATA_NAMESPACE}
runner = CliRunner()


@pytest.fixture(scope="module")
def describes():
    """The demo org's describes plus the custom fields in fixtures/mappings/extra_fields.json."""
    extra = json.loads(EXTRA_FIELDS.read_text(encoding="utf-8"))
    bodies = {}
    for sobject in ("Lead", "Contact", "Account", "Opportunity"):
        body = json.loads((DESCRIBES / f"{sobject}.json").read_text(encoding="utf-8"))
        bodies[sobject] = {**body, "fields": body["fields"] + extra[sobject]}
    return bodies


def mappings(*entries, export=None):
    return Mappings.model_validate({"mapping": list(entries), "export": export or {}})


def write(tmp_path, text, name="mappings.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# The file


def test_load_mappings_shipped_file_maps_nothing():
    """config/mappings.toml ships with no mappings, so nothing changes until an admin adds one."""
    loaded = load_mappings(REPO / "config" / "mappings.toml")
    assert loaded == Mappings()
    assert loaded.rules == ()


def test_load_mappings_shipped_examples_are_valid(tmp_path):
    """The commented examples in config/mappings.toml load once uncommented."""
    shipped = (REPO / "config" / "mappings.toml").read_text(encoding="utf-8").splitlines()
    example = re.compile(r"^# (\[\[mapping\]\]|\[export\]|\w+ = .+)$")
    text = "\n".join(line[2:] for line in shipped if example.match(line))
    loaded = load_mappings(write(tmp_path, text))
    assert len(loaded.entries) == 3
    assert loaded.export.opportunity_creation is OpportunityCreation.VISIBLE_OPTIONAL
    assert [rule.label for rule in loaded.rules][-1] == "mapping 3 (Lead.Rating → Contact.Lead_Rating__c)"


def test_load_mappings_reads_targets_and_policy(tmp_path):
    """An entry with several targets becomes one numbered mapping per target, with its policy."""
    path = write(
        tmp_path,
        '[[mapping]]\nlead = "UTM_Source__c"\ncontact = "UTM_Source__c"\n\n'
        '[[mapping]]\nlead = "Segment__c"\ncontact = "Segment__c"\naccount = "Segment__c"\npolicy = "overwrite"\n',
    )
    rules = load_mappings(path).rules
    assert [(r.number, r.target_object, r.target_field, r.policy) for r in rules] == [
        (1, TargetObject.CONTACT, "UTM_Source__c", Policy.FILL_BLANK),
        (2, TargetObject.ACCOUNT, "Segment__c", Policy.OVERWRITE),
        (2, TargetObject.CONTACT, "Segment__c", Policy.OVERWRITE),
    ]


def test_load_mappings_without_a_file_maps_nothing():
    """No mappings file means no mappings (the plan command passes None)."""
    assert load_mappings(None).rules == ()


def test_find_mappings_file_looks_beside_the_config(tmp_path):
    """The mappings file is mappings.toml in the config file's folder, when it exists."""
    assert find_mappings_file(tmp_path) is None
    path = write(tmp_path, "")
    assert find_mappings_file(tmp_path) == path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[mapping]]\nlead = "A__c"\ncontact = "A__c"\npolcy = "overwrite"\n',
            "mapping 1, key 'polcy': unknown key; did you mean 'policy'?",
        ),
        ('[[mappings]]\nlead = "A__c"\n', "mappings: unknown key; did you mean 'mapping'?"),
        (
            '[[mapping]]\nlead = "A__c"\ncontact = "A__c"\npolicy = "always"\n',
            "mapping 1, key 'policy': Input should be 'fill_blank' or 'overwrite'",
        ),
        ('[[mapping]]\nlead = "A__c"\ncontact = "A__c"\n[[mapping]]\nlead = "B__c"\n', "mapping 2: needs a target"),
        (
            '[[mapping]]\nlead = "Lead.A__c"\ncontact = "A__c"\n',
            "mapping 1, key 'lead': 'Lead.A__c': give the field's API name alone",
        ),
        ('[[mapping]]\nlead = "A c"\ncontact = "A__c"\n', "'A c' is not a field API name"),
        ('[mapping]\nlead = "A__c"\ncontact = "A__c"\n', "write each mapping as its own [[mapping]] table"),
        ('[export]\nopportunity_creation = "Always"\n', "export.opportunity_creation: Input should be"),
        ("[export]\nallow_owner = true\n", "export.allow_owner: unknown key; did you mean 'allow_owner_change'?"),
    ],
)
def test_load_mappings_bad_keys_name_the_file_and_key(tmp_path, text, expected):
    """A wrong key or value fails with the file, the mapping number and the key."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_mappings(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_load_mappings_bad_toml_names_the_file(tmp_path):
    """A file that is not TOML fails with its name and the parser's position."""
    path = write(tmp_path, '[[mapping]]\nlead = "A__c\n')
    with pytest.raises(ConfigError, match=r"mappings\.toml: not valid TOML: .*line 2"):
        load_mappings(path)


def test_load_mappings_missing_file_names_it(tmp_path):
    """A mappings path that cannot be read is named in the error."""
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read the mappings file"):
        load_mappings(tmp_path / "missing.toml")


# Checks against describe


def test_validate_mappings_accepts_mappings_that_fit(describes):
    """Compatible, writable, long-enough targets accepting every Lead picklist value pass."""
    valid = mappings(
        {"lead": "UTM_Source__c", "contact": "UTM_Source__c"},
        {"lead": "Segment__c", "contact": "Segment__c", "account": "Segment__c"},  # restricted target, values fit
        {"lead": "Region__c", "opportunity": "Region__c"},  # unrestricted target takes any value
        {"lead": "Rating", "account": "Rating"},
        {"lead": "Industry", "account": "Industry"},  # values fit Account.Industry's 40 characters
        {"lead": "Budget__c", "account": "Budget__c", "opportunity": "Amount"},
        {"lead": "NumberOfEmployees", "opportunity": "TotalOpportunityQuantity"},
        {"lead": "Opted_In__c", "contact": "Opted_In__c", "policy": "overwrite"},
        {"lead": "Referring_Account__c", "contact": "Referring_Account__c"},
        {"lead": "Email", "contact": "Description"},
        {"lead": "Id", "account": "Partner_Code__c"},
    )
    assert validate_mappings(valid, describes) == []
    require_valid_mappings(valid, describes)  # does not raise


@pytest.mark.parametrize(
    ("entry", "kind", "says"),
    [
        (
            {"lead": "Segmnt__c", "contact": "Segment__c"},
            ProblemKind.MISSING_FIELD,
            "Lead has no field 'Segmnt__c' (or the sfbridge user cannot see it); did you mean 'Segment__c'?",
        ),
        (
            {"lead": "utm_source__c", "contact": "UTM_Source__c"},
            ProblemKind.MISSING_FIELD,
            "did you mean 'UTM_Source__c'?",
        ),
        ({"lead": "Segment__c", "contact": "Sector__c"}, ProblemKind.MISSING_FIELD, "Contact has no field 'Sector__c'"),
        (
            {"lead": "Region__c", "contact": "Score_Band__c"},
            ProblemKind.READ_ONLY,
            "Contact.Score_Band__c is not updateable or createable",
        ),
        ({"lead": "LastName", "contact": "Name"}, ProblemKind.READ_ONLY, "grant edit access"),
        (
            {"lead": "Lead_Score__c", "contact": "Birthdate"},
            ProblemKind.INCOMPATIBLE_TYPE,
            "Lead.Lead_Score__c (double) cannot feed Contact.Birthdate (date); choose a target of type currency",
        ),
        (
            {"lead": "UTM_Source__c", "contact": "Email"},
            ProblemKind.INCOMPATIBLE_TYPE,
            "Lead.UTM_Source__c (string) cannot feed Contact.Email (email)",
        ),
        (
            {"lead": "OwnerId", "contact": "OwnerId", "policy": "overwrite"},
            ProblemKind.INCOMPATIBLE_TYPE,
            "Lead.OwnerId can point to Group, which Contact.OwnerId cannot",
        ),
        (
            {"lead": "Partner_Code__c", "contact": "Partner_Code__c"},
            ProblemKind.TOO_LONG,
            "Lead values can be 40 characters but Contact.Partner_Code__c holds 10; lengthen",
        ),
        (
            {"lead": "Region__c", "contact": "Region__c"},
            ProblemKind.PICKLIST_VALUES,
            "the restricted picklist Contact.Region__c does not accept Lead values 'APAC'; add them",
        ),
        (
            {"lead": "UTM_Source__c", "contact": "Segment__c"},
            ProblemKind.PICKLIST_VALUES,
            "Contact.Segment__c is a restricted picklist and Lead.UTM_Source__c is free text",
        ),
        (
            {"lead": "AnnualRevenue", "opportunity": "Probability"},
            ProblemKind.NUMBER_TOO_LARGE,
            "18 digits before the point but Opportunity.Probability holds 3",
        ),
        (
            {"lead": "Budget__c", "contact": "MailingLatitude"},
            ProblemKind.NUMBER_TOO_LARGE,
            "16 digits before the point but Contact.MailingLatitude holds 3",
        ),
        (
            {"lead": "Lead_Score__c", "opportunity": "ExpectedRevenue"},
            ProblemKind.READ_ONLY,
            "Opportunity.ExpectedRevenue is not updateable",
        ),
        ({"lead": "Budget__c", "opportunity": "TotalOpportunityQuantity"}, None, ""),
        (
            {"lead": "Opted_In__c", "contact": "Opted_In__c"},
            ProblemKind.NEVER_BLANK,
            'a checkbox is never blank, so fill_blank would never write it; set policy = "overwrite"',
        ),
        (
            {"lead": "Address", "contact": "MailingStreet"},
            ProblemKind.UNSUPPORTED_TYPE,
            "Lead.Address is a compound address: map its parts",
        ),
    ],
)
def test_validate_mappings_names_the_mapping_and_the_fix(describes, entry, kind, says):
    """Each kind of bad mapping yields one problem that names the mapping and says how to fix it."""
    problems = validate_mappings(mappings(entry), describes)
    if kind is None:
        assert problems == []
        return
    assert [problem.kind for problem in problems] == [kind]
    target = next(key for key in ("account", "contact", "opportunity") if key in entry)
    label = f"mapping 1 (Lead.{entry['lead']} → {target.capitalize()}.{entry[target]}): "
    assert problems[0].message.startswith(label)
    assert says in problems[0].message


def test_validate_mappings_decimals_that_would_be_rounded(describes):
    """A Lead number with decimals cannot go into a field that keeps fewer (Salesforce would round)."""
    problems = validate_mappings(mappings({"lead": "Budget__c", "account": "NumberOfEmployees"}), describes)
    assert [p.kind for p in problems] == [ProblemKind.NUMBER_TOO_LARGE, ProblemKind.NUMBER_TOO_LARGE]
    assert "keep 2 decimal places but Account.NumberOfEmployees keeps 0" in problems[1].message


def test_validate_mappings_duplicate_target_names_both_mappings(describes):
    """Two mappings into one target field fail, naming the mapping that already holds it."""
    problems = validate_mappings(
        mappings(
            {"lead": "UTM_Source__c", "contact": "UTM_Source__c"},
            {"lead": "UTM_Medium__c", "contact": "utm_source__c"},
        ),
        describes,
    )
    duplicate = [p for p in problems if p.kind is ProblemKind.DUPLICATE_TARGET]
    assert len(duplicate) == 1
    assert duplicate[0].message.startswith("mapping 2 (Lead.UTM_Medium__c → Contact.utm_source__c): ")
    assert "already the target of mapping 1 (Lead.UTM_Source__c → Contact.UTM_Source__c)" in duplicate[0].message


def test_validate_mappings_same_field_name_on_two_objects_is_not_a_duplicate(describes):
    """Contact.Segment__c and Account.Segment__c are different fields."""
    both = mappings({"lead": "Segment__c", "contact": "Segment__c", "account": "Segment__c"})
    assert validate_mappings(both, describes) == []


def test_validate_mappings_needs_the_target_describe(describes):
    """A target object without a describe is a problem, not a crash."""
    without = {name: body for name, body in describes.items() if name != "Opportunity"}
    problems = validate_mappings(mappings({"lead": "Region__c", "opportunity": "Region__c"}), without)
    assert [p.kind for p in problems] == [ProblemKind.NO_DESCRIBE]
    assert "no describe of Opportunity was given" in problems[0].message


def test_require_valid_mappings_lists_every_problem(describes):
    """The raising variant is a ConfigError naming the file and every bad mapping."""
    bad = mappings(
        {"lead": "Partner_Code__c", "contact": "Partner_Code__c"},
        {"lead": "UTM_Source__c", "contact": "UTM_Source__c"},
        {"lead": "Region__c", "contact": "Region__c"},
    )
    with pytest.raises(ConfigError) as caught:
        require_valid_mappings(bad, describes, source="config/mappings.toml")
    error = caught.value
    assert isinstance(error, InvalidMappingsError)
    assert [p.mapping.number for p in error.problems] == [1, 3]
    assert str(error).startswith("config/mappings.toml: 2 field mapping problem(s); fix them, then plan again:")
    assert "mapping 1 (Lead.Partner_Code__c → Contact.Partner_Code__c)" in str(error)
    assert "mapping 3 (Lead.Region__c → Contact.Region__c)" in str(error)


# Values written after a conversion


FILL = mappings(
    {"lead": "Segment__c", "contact": "Segment__c", "account": "Segment__c"},
    {"lead": "UTM_Source__c", "contact": "UTM_Source__c"},
)
OVERWRITE = mappings(
    {"lead": "Segment__c", "contact": "Segment__c", "policy": "overwrite"},
    {"lead": "Opted_In__c", "contact": "Opted_In__c", "policy": "overwrite"},
)


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ({}, {"Segment__c": "SMB", "UTM_Source__c": "google"}),
        ({"Segment__c": None, "UTM_Source__c": "  "}, {"Segment__c": "SMB", "UTM_Source__c": "google"}),
        ({"Segment__c": "Enterprise", "UTM_Source__c": ""}, {"UTM_Source__c": "google"}),
        ({"Segment__c": "SMB", "UTM_Source__c": "google"}, {}),  # the org's own mapping carried them
    ],
)
def test_values_to_write_fill_blank_only_fills_blank_fields(current, expected):
    """fill_blank writes a Lead value only where the target field is blank."""
    lead = {"Segment__c": "SMB", "UTM_Source__c": "google"}
    assert values_to_write(FILL, lead, target_object="Contact", target_current=current) == expected


@pytest.mark.parametrize(
    ("lead", "current", "expected"),
    [
        (
            {"Segment__c": "SMB", "Opted_In__c": True},
            {"Segment__c": "Enterprise", "Opted_In__c": False},
            {"Segment__c": "SMB", "Opted_In__c": True},
        ),
        (
            {"Segment__c": "SMB", "Opted_In__c": False},
            {"Segment__c": "SMB", "Opted_In__c": True},
            {"Opted_In__c": False},
        ),
        ({"Segment__c": "SMB", "Opted_In__c": True}, {"Segment__c": "SMB", "Opted_In__c": True}, {}),
        ({"Segment__c": None, "Opted_In__c": None}, {"Segment__c": "Enterprise", "Opted_In__c": True}, {}),
        ({"Segment__c": " "}, {"Segment__c": "Enterprise"}, {}),
    ],
)
def test_values_to_write_overwrite_writes_differences_but_never_blanks(lead, current, expected):
    """With overwrite, every differing Lead value is written, including false, and never a blank over a value."""
    assert values_to_write(OVERWRITE, lead, target_object="Contact", target_current=current) == expected


def test_values_to_write_only_for_the_target_object():
    """Only mappings into the record's own object are written to it."""
    lead = {"Segment__c": "SMB", "UTM_Source__c": "google"}
    assert values_to_write(FILL, lead, target_object="Account", target_current={}) == {"Segment__c": "SMB"}
    assert values_to_write(FILL, lead, target_object="Opportunity", target_current={}) == {}
    with pytest.raises(ValueError, match="'Case' is not a valid TargetObject"):
        values_to_write(FILL, lead, target_object="Case", target_current={})


# The LeadConvertSettings export


def parse(document: bytes) -> ET.Element:
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return ET.fromstring(document)  # noqa: S314 (our own output, not untrusted input)


def pairs(object_mapping: ET.Element) -> list[tuple[str, str]]:
    return [
        (pair.findtext("md:inputField", namespaces=NS), pair.findtext("md:outputField", namespaces=NS))
        for pair in object_mapping.findall("md:mappingFields", NS)
    ]


def test_lead_convert_settings_xml_has_one_object_mapping_per_target():
    """The file holds one objectMapping per target object, with Lead as input and the field pairs."""
    root = parse(
        lead_convert_settings_xml(
            mappings(
                {"lead": "Segment__c", "contact": "Segment__c", "account": "Segment__c"},
                {"lead": "UTM_Source__c", "contact": "UTM_Source__c"},
                {"lead": "Region__c", "opportunity": "Region__c"},
            )
        )
    )
    assert root.tag == f"{{{METADATA_NAMESPACE}}}LeadConvertSettings"
    object_mappings = root.findall("md:objectMapping", NS)
    assert [m.findtext("md:outputObject", namespaces=NS) for m in object_mappings] == [
        "Account",
        "Contact",
        "Opportunity",
    ]
    assert all(m.findtext("md:inputObject", namespaces=NS) == "Lead" for m in object_mappings)
    assert [pairs(m) for m in object_mappings] == [
        [("Segment__c", "Segment__c")],
        [("Segment__c", "Segment__c"), ("UTM_Source__c", "UTM_Source__c")],
        [("Region__c", "Region__c")],
    ]
    # The metadata WSDL's element order: inputObject, mappingFields..., outputObject.
    assert [child.tag.split("}")[1] for child in object_mappings[1]] == [
        "inputObject",
        "mappingFields",
        "mappingFields",
        "outputObject",
    ]
    assert root.find("md:allowOwnerChange", NS) is None
    assert root.find("md:opportunityCreationOptions", NS) is None


def test_lead_convert_settings_xml_leaves_out_standard_fields():
    """Salesforce maps only custom fields to custom fields; the rest stay with sfbridge."""
    both = mappings(
        {"lead": "Rating", "account": "Rating"},
        {"lead": "Segment__c", "contact": "Segment__c", "account": "AccountSource"},
    )
    exportable, others = split_exportable(both)
    assert [rule.label for rule in exportable] == ["mapping 2 (Lead.Segment__c → Contact.Segment__c)"]
    assert [rule.target_field for rule in others] == ["Rating", "AccountSource"]
    root = parse(lead_convert_settings_xml(both))
    assert [m.findtext("md:outputObject", namespaces=NS) for m in root.findall("md:objectMapping", NS)] == ["Contact"]


def test_lead_convert_settings_xml_writes_the_options_that_are_set():
    """The allowOwnerChange option comes first and opportunityCreationOptions last, only when configured."""
    root = parse(
        lead_convert_settings_xml(
            mappings(
                {"lead": "Segment__c", "contact": "Segment__c"},
                export={"allow_owner_change": False, "opportunity_creation": "NotVisible"},
            )
        )
    )
    assert [child.tag.split("}")[1] for child in root] == [
        "allowOwnerChange",
        "objectMapping",
        "opportunityCreationOptions",
    ]
    assert root.findtext("md:allowOwnerChange", namespaces=NS) == "false"
    assert root.findtext("md:opportunityCreationOptions", namespaces=NS) == "NotVisible"


# The command


def invoke(*args):
    return runner.invoke(app, ["mappings", "export", *args], catch_exceptions=False)


def test_cli_export_writes_the_file(tmp_path):
    """`sfbridge mappings export -o FILE` writes the metadata file (folders included) and exits 0."""
    source = write(tmp_path, '[[mapping]]\nlead = "Segment__c"\ncontact = "Segment__c"\naccount = "Industry"\n')
    output = tmp_path / "force-app" / "LeadConvertSettings" / "LeadConvertSettings.LeadConvertSetting-meta.xml"
    result = invoke("--mappings", str(source), "-o", str(output))
    assert result.exit_code == 0, result.output
    assert pairs(parse(output.read_bytes()).find("md:objectMapping", NS)) == [("Segment__c", "Segment__c")]
    assert "Exported 1 field mapping(s)" in result.stderr
    assert "not exported: mapping 1 (Lead.Segment__c → Account.Industry)" in result.stderr
    assert result.stdout == ""


def test_cli_export_prints_to_stdout_and_finds_the_file_beside_the_config(tmp_path):
    """Without --mappings it reads mappings.toml beside the config; without -o it prints the XML."""
    config = write(tmp_path, "", name="sfbridge.toml")
    write(tmp_path, '[[mapping]]\nlead = "Region__c"\nopportunity = "Region__c"\n')
    result = invoke("--config", str(config))
    assert result.exit_code == 0, result.output
    assert parse(result.stdout.encode()).findtext("md:objectMapping/md:outputObject", namespaces=NS) == "Opportunity"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[mapping]]\nlead = "Segment__c"\npolcy = 1\n', "mapping 1, key 'polcy': unknown key"),
        ("[[mapping]\n", "not valid TOML"),
        ("", "no mappings to export"),
        ('[[mapping]]\nlead = "Rating"\naccount = "Rating"\n', "nothing to export"),
    ],
)
def test_cli_export_bad_mappings_exit_2_with_a_message(tmp_path, text, says):
    """A broken or empty mappings file exits 2 with one clear line, no traceback and no file."""
    source = write(tmp_path, text)
    output = tmp_path / "out.xml"
    result = invoke("--mappings", str(source), "-o", str(output))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: ")
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert not output.exists()


def test_cli_export_missing_mappings_file_exits_2(tmp_path):
    """A config folder without mappings.toml is a config error naming the path it looked at."""
    config = write(tmp_path, "", name="sfbridge.toml")
    result = invoke("--config", str(config))
    assert result.exit_code == 2
    assert f"{tmp_path / 'mappings.toml'}: no mappings file here" in result.stderr
