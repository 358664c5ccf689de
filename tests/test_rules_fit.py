"""Rules checked against the org: field names against the kept describe, statuses against LeadStatus.

A typo in a rules file used to change findings with exit 0 (a misspelt score field turned 40
premature-conversion findings into 349) or made apply write a status that does not exist.
Now each one is a config error (exit 2) naming the file, the key and the closest valid value.
"""

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfbridge.audit import audit, org_facts
from sfbridge.checks import CheckContext, select_checks
from sfbridge.checks.conversion import premature_conversion
from sfbridge.checks.rules_fit import (
    OrgFacts,
    RulesMismatchError,
    require_rules_fit,
    rules_problems,
)
from sfbridge.describes import DescribedField, PicklistValue, described_fields, fields_from_columns
from sfbridge.models import ColumnKind, lead_status_values
from sfbridge.rules import Rules, load_rules
from sfbridge.store import Store
from test_cli import SECRET_ENV, invoke
from test_cli_trends import config_of

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEMO_RULES = REPO / "fixtures" / "demo-org" / "rules.toml"
LEAD_DESCRIBE = json.loads((REPO / "fixtures" / "demo-org" / "describe" / "Lead.json").read_text(encoding="utf-8"))

# The demo org's LeadStatus rows, as the mirror holds them.
DEMO_STATUSES = lead_status_values(
    {"ApiName": name, "MasterLabel": name, "IsConverted": name == "Closed - Converted"}
    for name in (
        "Open - Not Contacted",
        "Working - Contacted",
        "Marketing Qualified",
        "Sales Qualified",
        "Closed - Converted",
        "Closed - Not Converted",
    )
)


def demo_org(**replace: DescribedField | None) -> OrgFacts:
    """The demo org's Lead fields (some replaced, or removed with None) and statuses."""
    fields = {field.name: field for field in described_fields(LEAD_DESCRIBE)}
    for name, field in replace.items():
        if field is None:
            del fields[name]
        else:
            fields[name] = field
    return OrgFacts(fields={"Lead": fields}, statuses=DEMO_STATUSES)


def rules_from(tmp_path: Path, text: str) -> Path:
    """A rules file holding only ``text`` (every other setting at its default)."""
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


# Each typo, and the line it must produce (after "<file>: ").
TYPOS = {
    "score_field": (
        '[conversion]\nscore_field = "Lead_Scor__c"\n',
        "conversion.score_field: Lead has no field 'Lead_Scor__c'; did you mean 'Lead_Score__c'?",
    ),
    "required_fields": (
        '[conversion]\nrequired_fields = ["Email", "Phone", "Titel"]\n',
        "conversion.required_fields: Lead has no field 'Titel'; did you mean 'Title'?",
    ),
    "required_fields_case": (
        '[conversion]\nrequired_fields = ["email"]\n',
        "conversion.required_fields: Lead has no field 'email'; did you mean 'Email'?",
    ),
    "ready_field": (
        '[conversion]\nready_field = "Ready_to_Convert_c"\n',
        "conversion.ready_field: Lead has no field 'Ready_to_Convert_c'; did you mean 'Ready_To_Convert__c'?",
    ),
    "inference_field": (
        '[lead_source]\ninference_field = "UTM_Sorce__c"\n',
        "lead_source.inference_field: Lead has no field 'UTM_Sorce__c'; did you mean 'UTM_Source__c'?",
    ),
    "disqualified_reason_field": (
        '[plan]\ndisqualified_reason_field = "Disqualified_Reasn__c"\n',
        (
            "plan.disqualified_reason_field: Lead has no field 'Disqualified_Reasn__c'; "
            "did you mean 'Disqualified_Reason__c'?"
        ),
    ),
    "disqualified_status": (
        '[statuses]\ndisqualified = "Closed - Not Convrted"\n',
        (
            "statuses.disqualified: the org has no Lead status 'Closed - Not Convrted'; "
            "did you mean 'Closed - Not Converted'?"
        ),
    ),
    "disqualified_is_converted": (
        '[statuses]\ndisqualified = "Closed - Converted"\n',
        (
            "statuses.disqualified: 'Closed - Converted' is a converted status (convertLead sets it), but a junk lead "
            "stays unconverted; choose a status that is not converted, such as 'Closed - Not Converted'"
        ),
    ),
    "converted_status_not_converted": (
        '[plan]\nconverted_status = "Closed - Not Converted"\n',
        (
            "plan.converted_status: 'Closed - Not Converted' is not a converted status, and convertLead accepts only "
            "those; the org's converted statuses are 'Closed - Converted'"
        ),
    ),
    "closed_status": (
        '[statuses]\nclosed = ["Closed - Converted", "Closed - not converted"]\n',
        "statuses.closed: the org has no Lead status 'Closed - not converted'; did you mean 'Closed - Not Converted'?",
    ),
    "qualified_status": (
        '[statuses]\nqualified = ["Sales Qualifid"]\n',
        "statuses.qualified: the org has no Lead status 'Sales Qualifid'; did you mean 'Sales Qualified'?",
    ),
    "lead_source_mapping": (
        '[lead_source.mapping]\ngoogle = "Advertisment"\n',
        "lead_source.mapping.google: 'Advertisment' is not a Lead.LeadSource value; did you mean 'Advertisement'?",
    ),
}


# -- the check on its own --------------------------------------------------------------------


def test_the_demo_rules_fit_the_demo_org():
    """The bundled rules name only fields and statuses the demo org has."""
    assert rules_problems(load_rules(DEMO_RULES), demo_org()) == []


def test_the_shipped_defaults_are_not_held_against_an_org_without_their_guesses():
    """config/rules.toml names UTM_Source__c and LeadSource values most orgs have; an org lacking them is no error."""
    source = DescribedField(
        name="LeadSource",
        kind=ColumnKind.TEXT,
        sf_type="picklist",
        picklist=(PicklistValue(value="Web"), PicklistValue(value="Other")),
    )
    org = demo_org(UTM_Source__c=None, LeadSource=source)
    assert rules_problems(load_rules(REPO / "config" / "rules.toml"), org) == []


@pytest.mark.parametrize("name", list(TYPOS))
def test_each_typo_is_named_with_the_closest_valid_value(tmp_path, name):
    """A field or status the org lacks is reported with its key and what was probably meant."""
    text, expected = TYPOS[name]
    problems = rules_problems(load_rules(rules_from(tmp_path, text)), demo_org())
    assert [str(problem) for problem in problems] == [expected]


def test_every_problem_is_reported_at_once_one_line_each_naming_the_file(tmp_path):
    """Several typos make one error, a line per problem, each starting with the rules file."""
    path = rules_from(tmp_path, TYPOS["score_field"][0] + TYPOS["disqualified_status"][0])
    with pytest.raises(RulesMismatchError) as caught:
        require_rules_fit(load_rules(path), demo_org(), source=str(path))
    lines = str(caught.value).splitlines()
    assert lines == [f"{path}: {TYPOS['disqualified_status'][1]}", f"{path}: {TYPOS['score_field'][1]}"]
    assert caught.value.source == str(path)


def test_a_field_of_the_wrong_type_is_refused():
    """A date cannot be a score, a datetime cannot be the ready mark; a text score and a checkbox can."""
    rules = Rules.model_validate({"conversion": {"score_field": "ConvertedDate", "ready_field": "CreatedDate"}})
    assert [str(problem) for problem in rules_problems(rules, demo_org())] == [
        (
            "conversion.score_field: Lead.ConvertedDate is a date field; "
            "a score must be a number field (or a text field holding numbers)"
        ),
        (
            "conversion.ready_field: Lead.CreatedDate is a datetime field; "
            "the ready mark must be a checkbox (or a text or number field holding true, yes or 1)"
        ),
    ]
    fine = Rules.model_validate({"conversion": {"score_field": "Rating", "ready_field": "Ready_To_Convert__c"}})
    assert rules_problems(fine, demo_org()) == []


def test_a_compound_field_is_refused_with_its_parts_named():
    """Lead.Address is not stored (its parts are): requiring it would flag every lead."""
    rules = Rules.model_validate({"conversion": {"required_fields": ["Email", "Address"]}})
    (problem,) = rules_problems(rules, demo_org())
    assert problem.key == "conversion.required_fields"
    assert "Lead.Address is a compound address" in problem.message
    assert "Street, City" in problem.message


def test_a_status_named_by_its_label_is_refused_with_the_value_lead_status_holds():
    """Lead.Status holds the ApiName; naming a status by a differing MasterLabel would match no lead."""
    statuses = lead_status_values(
        [
            {"ApiName": "Open", "MasterLabel": "Offen", "IsConverted": False},
            {"ApiName": "Disqualified", "MasterLabel": "Disqualifiziert", "IsConverted": False},
            {"ApiName": "Converted", "MasterLabel": "Konvertiert", "IsConverted": True},
        ]
    )
    org = OrgFacts(statuses=statuses)
    rules = Rules.model_validate(
        {"statuses": {"disqualified": "Disqualifiziert"}, "plan": {"converted_status": "Converted"}}
    )
    assert [str(problem) for problem in rules_problems(rules, org)] == [
        (
            "statuses.disqualified: 'Disqualifiziert' is the label of the Lead status 'Disqualified'; "
            "Lead.Status holds 'Disqualified', so name it that way"
        )
    ]


def test_an_org_without_apinames_uses_master_labels():
    """Orgs older than LeadStatus.ApiName hold the MasterLabel in Lead.Status."""
    statuses = lead_status_values([{"MasterLabel": "Dead", "IsConverted": False}])
    rules = Rules.model_validate({"statuses": {"disqualified": "Dead"}})
    assert rules_problems(rules, OrgFacts(statuses=statuses)) == []


def test_a_reason_field_must_be_editable_and_hold_every_reason_a_plan_writes():
    """A read-only field, or a restricted picklist lacking a reason, would fail at apply: refused now."""
    rules = Rules.model_validate({"plan": {"disqualified_reason_field": "Disqualified_Reason__c"}})
    (problem,) = rules_problems(rules, demo_org())
    assert problem.key == "plan.disqualified_reason_field"
    assert "restricted picklist without 'Test record' (it has 'Test Record')" in problem.message
    assert "'Disposable email'" in problem.message
    assert "'Competitor'" not in problem.message  # the picklist holds it
    read_only = DescribedField(name="Reason__c", kind=ColumnKind.TEXT, sf_type="string", updateable=False)
    rules = Rules.model_validate({"plan": {"disqualified_reason_field": "Reason__c"}})
    (problem,) = rules_problems(rules, demo_org(Reason__c=read_only))
    assert "Lead.Reason__c is not editable by the sfbridge user" in problem.message
    writable = read_only.model_copy(update={"updateable": True})
    assert rules_problems(rules, demo_org(Reason__c=writable)) == []


def test_an_inactive_lead_source_value_is_refused():
    """A mapping to a value users can no longer pick is refused, saying so."""
    source = DescribedField(
        name="LeadSource",
        kind=ColumnKind.TEXT,
        sf_type="picklist",
        picklist=(PicklistValue(value="Web"), PicklistValue(value="Seminar", active=False)),
    )
    rules = Rules.model_validate({"lead_source": {"mapping": {"events": "Seminar"}}})
    (problem,) = rules_problems(rules, demo_org(LeadSource=source))
    assert str(problem) == (
        "lead_source.mapping.events: 'Seminar' is an inactive Lead.LeadSource value; "
        "activate it, or choose an active one"
    )


def test_what_the_store_never_learned_is_not_checked():
    """No describe kept and no LeadStatus pulled: nothing to check against, and no false alarm."""
    rules = Rules.model_validate(
        {
            "statuses": {"disqualified": "Nope"},
            "conversion": {"score_field": "Nope__c", "required_fields": ["Nope"]},
            "plan": {"converted_status": "Nope", "disqualified_reason_field": "Nope__c"},
        }
    )
    assert rules_problems(rules, OrgFacts()) == []
    assert rules_problems(rules, OrgFacts(statuses=())) == []


def test_a_store_from_before_describes_were_kept_is_checked_against_its_columns():
    """Field names and kinds from the mirror's columns still catch a typo and a wrong kind."""
    columns = {"Id": ColumnKind.TEXT, "Lead_Score__c": ColumnKind.NUMBER, "CreatedDate": ColumnKind.DATETIME}
    org = OrgFacts(fields={"Lead": {field.name: field for field in fields_from_columns(columns)}})
    rules = Rules.model_validate({"conversion": {"score_field": "Lead_Scor__c", "ready_field": "CreatedDate"}})
    assert [str(problem) for problem in rules_problems(rules, org)] == [
        "conversion.score_field: Lead has no field 'Lead_Scor__c'; did you mean 'Lead_Score__c'?",
        (
            "conversion.ready_field: Lead.CreatedDate is a datetime field; "
            "the ready mark must be a checkbox (or a text or number field holding true, yes or 1)"
        ),
    ]


# -- the store keeps what describe said ---------------------------------------------------------


def test_the_pull_keeps_each_objects_describe(demo_store):
    """Every pulled object's describe is kept: fields, types, flags and picklist values."""
    lead = {field.name: field for field in demo_store.described("Lead")}
    assert lead["Lead_Score__c"].sf_type == "double"
    assert lead["Ready_To_Convert__c"].kind is ColumnKind.BOOLEAN
    assert lead["Disqualified_Reason__c"].restricted_picklist
    assert "Webinar" in lead["LeadSource"].active_values
    assert lead["Address"].stored is False
    assert demo_store.described("LeadStatus") is not None
    assert demo_store.described("Campaign") is None
    facts = org_facts(demo_store)
    assert [status.value for status in facts.statuses if status.converted] == ["Closed - Converted"]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_describe_round_trips_and_a_new_one_replaces_it(backend, tmp_path, request):
    """The store gives back what it was given; the latest describe wins."""
    url = str(tmp_path / "store.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store = Store.open(url)
    first = described_fields(LEAD_DESCRIBE)
    store.save_describe("Lead", first, described_at=NOW)
    assert store.described("Lead") == first
    store.save_describe("Lead", first[:2], described_at=NOW)
    assert store.described("Lead") == first[:2]


def test_an_audit_with_a_typo_records_no_run(demo_store):
    """The rules are refused before the audit starts: no run, no findings."""
    before = demo_store.recent_runs(limit=1)
    rules = Rules.model_validate({"conversion": {"score_field": "Lead_Scor__c", "min_score": 50}})
    with pytest.raises(
        RulesMismatchError, match=r"^the rules: conversion\.score_field: Lead has no field 'Lead_Scor__c'"
    ):
        audit(demo_store, org="demo", rules=rules, checks=select_checks(None))
    assert demo_store.recent_runs(limit=1) == before


# -- from the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(demo_store, tmp_path_factory):
    """The session's demo store as a file of its own; each test audits a copy of it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    source, target = sqlite3.connect(demo_store.engine.url.database), sqlite3.connect(path)
    try:
        source.backup(target)  # a consistent copy, write-ahead log included
    finally:
        source.close()
        target.close()
    return path


def offline(tmp_path, demo_db, rules, *args):
    store = tmp_path / "store.db"
    shutil.copy(demo_db, store)
    config = config_of(tmp_path, {"scenario": {"rules": str(rules)}})
    common = ["--offline", "--config", str(config), "--store", str(store)]
    return invoke(*args, *common, env=SECRET_ENV), store


def runs_in(store):
    with sqlite3.connect(store) as db:
        return db.execute("SELECT command, outcome FROM runs ORDER BY id").fetchall()


@pytest.mark.parametrize("name", list(TYPOS))
def test_audit_offline_refuses_each_typo_with_exit_2(tmp_path, demo_db, name):
    """`audit --offline` checks the rules against the describe the last pull kept: exit 2, no audit run."""
    rules = rules_from(tmp_path, TYPOS[name][0])
    result, store = offline(tmp_path, demo_db, rules, "audit", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert f"{rules}: {TYPOS[name][1]}" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert runs_in(store) == runs_in(demo_db)
    assert not (tmp_path / "out").exists()


def test_an_unknown_phone_region_is_refused_when_the_rules_are_read(tmp_path, demo_db):
    """`default_phone_region = "XX"` is exit 2 naming the key and a region that exists."""
    rules = rules_from(tmp_path, 'default_phone_region = "XX"\n')
    result, _ = offline(tmp_path, demo_db, rules, "audit", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert f"{rules}: default_phone_region: 'XX' is not a region the phone library knows" in message
    assert "did you mean 'XK'?" in message


def test_valid_rules_give_the_findings_they_always_gave(tmp_path, demo_db, demo_snapshot):
    """The demo's own rules pass the check, and the audit finds what the checks find on the snapshot."""
    result, _ = offline(tmp_path, demo_db, DEMO_RULES, "audit", "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["summary"]["by_check"]
    context = CheckContext(snapshot=demo_snapshot, rules=load_rules(DEMO_RULES), now=demo_snapshot.taken_at)
    assert counts["premature_conversion"]["count"] == len(premature_conversion.run(context)) > 0


def test_plan_offline_refuses_a_misspelt_disqualified_status_and_writes_no_plan(tmp_path, demo_db):
    """The status apply would write is checked before any plan exists (it used to reach 56 leads)."""
    rules = rules_from(tmp_path, TYPOS["disqualified_status"][0])
    plan = tmp_path / "plan.json"
    result, _ = offline(tmp_path, demo_db, rules, "plan", "-o", str(plan))
    assert result.exit_code == 2, result.output
    assert f"{rules}: {TYPOS['disqualified_status'][1]}" in " ".join(result.stderr.split())
    assert not plan.exists()


def test_several_orgs_each_checked_against_its_own_org(tmp_path, demo_db):
    """`audit --org a --org b`: the org whose rules do not fit fails with 2, the other is audited."""
    good, bad = tmp_path / "good.db", tmp_path / "bad.db"
    shutil.copy(demo_db, good)
    shutil.copy(demo_db, bad)
    typo = rules_from(tmp_path, TYPOS["score_field"][0])
    orgs = {"acme": {"store": str(good), "rules": str(DEMO_RULES)}, "globex": {"store": str(bad), "rules": str(typo)}}
    args = ["audit", "--org", "acme", "--org", "globex", "--offline", "--config", str(config_of(tmp_path, orgs))]
    result = invoke(*args, "--out", str(tmp_path / "reports"), "--json", env=SECRET_ENV)
    assert result.exit_code == 2, result.output
    outcome = json.loads(result.stdout)
    assert [(org["org"], org["exit_code"]) for org in outcome["orgs"]] == [("acme", 0), ("globex", 2)]
    assert f"{typo}: {TYPOS['score_field'][1]}" in " ".join(result.stderr.split())


def test_an_online_audit_checks_against_the_describe_it_just_pulled(tmp_path):
    """Online, the pull keeps the org's describe first, and the rules are checked against it."""
    rules = rules_from(tmp_path, TYPOS["ready_field"][0])
    config = config_of(tmp_path, {"demo": {"rules": str(rules)}})
    store = tmp_path / "online.db"
    args = ["audit", "--org", "demo", "--config", str(config), "--store", str(store), "--out", str(tmp_path / "o")]
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert f"{rules}: {TYPOS['ready_field'][1]}" in " ".join(result.stderr.split())
    assert runs_in(store) == [("pull", "ok")]


def test_a_store_pulled_before_describes_were_kept_is_checked_against_its_columns(tmp_path, demo_db):
    """Offline, a store without kept describes still catches a misspelt field; an object never pulled is skipped."""
    store = tmp_path / "old.db"
    shutil.copy(demo_db, store)
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM describes")
    typo = rules_from(tmp_path, TYPOS["score_field"][0])
    config = config_of(tmp_path, {"scenario": {"rules": str(typo)}})
    common = ["--offline", "--config", str(config), "--store", str(store), "--out", str(tmp_path / "out")]
    result = invoke("audit", *common, env=SECRET_ENV)
    assert result.exit_code == 2, result.output
    assert f"{typo}: {TYPOS['score_field'][1]}" in " ".join(result.stderr.split())
    with sqlite3.connect(store) as db:  # as if LeadStatus had never been pulled
        db.execute("DELETE FROM sync_state WHERE sobject = 'LeadStatus'")
    typo.write_text(TYPOS["disqualified_status"][0], encoding="utf-8")
    assert invoke("audit", *common, env=SECRET_ENV).exit_code == 0
