"""The synthetic-org generator: determinism, Salesforce-shaped records, and a truthful answer key."""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sfbridge.ids import validate_id
from sfbridge.wire import format_datetime, parse_datetime
from sfbridge_tools.synthetic import DEMO_SHAPE, OrgShape, generate_org, shape_for_records
from sfbridge_tools.synthetic.clock import rest_datetime

DESCRIBE = Path(__file__).resolve().parents[2] / "fixtures" / "demo-org" / "describe"
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000")
DATE = re.compile(r"\d{4}-\d\d-\d\d")
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
# fmt: off
LEGAL = {"inc", "llc", "corp", "corporation", "co", "lp", "ltd", "limited", "plc", "llp", "gmbh", "ag", "kg", "se",
         "sa", "sas", "sarl", "pty", "bv", "nv", "sl", "srl", "spa", "kk", "ltda", "de", "cv", "s", "r", "l", "sp", "z",
         "o", "oo", "ae", "epe", "ltee", "a", "p", "c", "k", "b", "v", "n", "e", "and"}
DIALING = {  # record Country -> (calling code, trunk prefix dropped in E.164)
    "United States": ("1", ""), "Canada": ("1", ""), "United Kingdom": ("44", "0"), "Germany": ("49", "0"),
    "France": ("33", "0"), "Australia": ("61", "0"), "Netherlands": ("31", "0"), "Japan": ("81", "0"),
    "Spain": ("34", ""), "Italy": ("39", ""), "Brazil": ("55", ""), "Mexico": ("52", ""), "Poland": ("48", ""),
    "Greece": ("30", ""),
}
NICK = {
    "bob": "robert", "rob": "robert", "bobby": "robert", "bill": "william", "will": "william", "billy": "william",
    "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth", "peggy": "margaret", "maggie": "margaret",
    "meg": "margaret", "rick": "richard", "rich": "richard", "jim": "james", "jimmy": "james", "kate": "katherine",
    "kathy": "katherine", "katie": "katherine", "jen": "jennifer", "jenny": "jennifer", "mike": "michael",
    "tom": "thomas", "tommy": "thomas", "joe": "joseph", "dan": "daniel", "danny": "daniel", "tony": "anthony",
    "chris": "christopher", "pat": "patricia", "patty": "patricia", "sue": "susan", "deb": "deborah",
    "debbie": "deborah", "alex": "alexander", "jon": "jonathan", "nick": "nicholas", "ed": "edward", "ted": "edward",
    "charlie": "charles", "chuck": "charles", "sam": "samuel", "ben": "benjamin", "matt": "matthew",
    "andy": "andrew", "drew": "andrew", "steve": "steven", "tim": "timothy", "becky": "rebecca", "vicky": "victoria",
    "greg": "gregory", "ken": "kenneth", "abby": "abigail", "josh": "joshua", "dot": "dorothy",
}
# fmt: on


@pytest.fixture(scope="module")
def org():
    return generate_org(DEMO_SHAPE)


@pytest.fixture(scope="module")
def records(org):
    return {sobject: list(org.records(sobject)) for sobject in org.sobjects()}


@pytest.fixture(scope="module")
def key(org):
    return org.answer_key()


@pytest.fixture(scope="module")
def by_id(records):
    return {r["Id"]: (sobject, r) for sobject, rows in records.items() for r in rows}


@pytest.fixture(scope="module")
def describes():
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in DESCRIBE.glob("*.json")}


def _digest(org) -> str:
    sha = hashlib.sha256()
    for sobject in org.sobjects():
        for record in org.records(sobject):
            sha.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
    sha.update(json.dumps(org.answer_key(), sort_keys=True).encode())
    return sha.hexdigest()


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _email_key(email: str | None) -> str | None:
    if not email:
        return None
    local, _, domain = email.strip().lower().partition("@")
    if domain == "gmail.com":
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


def _phone_key(phone: str | None, country: str | None) -> str | None:
    """E.164 digits of a phone typed in national or international form (None when unusable)."""
    if not phone:
        return None
    bare = re.sub(r"\s*(ext\.?|x)\s*\d+$", "", phone).replace("(0)", "")
    digits = re.sub(r"\D", "", bare)
    if len(digits) < 8 or len(set(digits)) == 1:
        return None
    if bare.strip().startswith("+"):
        return digits
    code, trunk = DIALING.get(country or "", ("1", ""))
    if code == "1":
        return "1" + digits[-10:]
    return code + (digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits)


def _phone_of(record: dict) -> str | None:
    return _phone_key(record.get("Phone"), record.get("Country") or record.get("MailingCountry"))


def _name_key(record: dict) -> tuple[str, ...]:
    parts = [_fold(record.get("FirstName") or ""), _fold(record.get("LastName") or "")]
    return tuple(sorted(NICK.get(p, p) for p in parts))


def _company_key(name: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", _fold(name).replace("&", " and ")).split()
    while words and words[-1] in LEGAL:
        words.pop()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def _is_open(lead: dict) -> bool:
    return not lead["IsConverted"] and not lead["Status"].startswith("Closed")


def test_generate_org_is_deterministic():
    """Two generations with the same shape, seed and snapshot are byte-identical, records and key."""
    shape = OrgShape(leads=300, contacts=180, accounts=60, users=30, inactive_users=5, queues=2)
    assert _digest(generate_org(shape)) == _digest(generate_org(shape))


def test_generate_org_seed_changes_the_org():
    """A different seed gives a different org."""
    shape = OrgShape(leads=40, contacts=30, accounts=10, users=30, inactive_users=5, queues=2)
    assert _digest(generate_org(shape, seed=1)) != _digest(generate_org(shape, seed=2))


def test_generate_org_rejects_naive_snapshot():
    """A snapshot without a timezone is refused."""
    with pytest.raises(ValueError, match="timezone"):
        generate_org(DEMO_SHAPE, snapshot=datetime(2026, 11, 2))  # noqa: DTZ001 (the point of the test)


def test_records_unknown_object_raises(org):
    """Asking for an object the org does not have names the objects it has."""
    with pytest.raises(KeyError, match="Lead"):
        org.records("Case")


def test_org_identity_is_salesforce_shaped(org, by_id):
    """The org Id is an 18-char 00D Id and the integration user is an active User."""
    assert validate_id(org.org_id, sobject="Organization") == org.org_id
    assert org.instance_url == "https://sfbridge-demo.my.salesforce.com"
    assert by_id[org.integration_user_id][0] == "User"
    assert by_id[org.integration_user_id][1]["IsActive"] is True
    assert org.sobjects() == (
        "Lead",
        "Contact",
        "Account",
        "User",
        "Group",
        "LeadStatus",
        "Opportunity",
        "Task",
        "LeadHistory",
    )


def test_records_match_shape_counts(records):
    """Leads, Contacts, Accounts, Users, inactive Users and queues match the shape."""
    assert len(records["Lead"]) == DEMO_SHAPE.leads
    assert len(records["Contact"]) == DEMO_SHAPE.contacts
    assert len(records["Account"]) == DEMO_SHAPE.accounts
    assert len(records["User"]) == DEMO_SHAPE.users
    assert sum(not u["IsActive"] for u in records["User"]) == DEMO_SHAPE.inactive_users
    assert sum(g["Type"] == "Queue" for g in records["Group"]) == DEMO_SHAPE.queues
    assert [s["MasterLabel"] for s in records["LeadStatus"]] == [
        "Open - Not Contacted",
        "Working - Contacted",
        "Marketing Qualified",
        "Sales Qualified",
        "Closed - Converted",
        "Closed - Not Converted",
    ]


def test_shape_for_records_splits_sixty_thirty_five_five():
    """A million records are 600k Leads, 350k Contacts and 50k Accounts, with gently scaled users."""
    shape = shape_for_records(1_000_000)
    assert (shape.leads, shape.contacts, shape.accounts) == (600_000, 350_000, 50_000)
    assert shape.users >= 30
    assert shape.inactive_users < shape.users
    assert shape.queues >= 2


def test_org_shape_rejects_impossible_counts():
    """Negative counts and orgs without a sales rep are refused."""
    with pytest.raises(ValueError, match="non-negative"):
        OrgShape(leads=-1, contacts=0, accounts=1, users=30, inactive_users=5, queues=2)
    with pytest.raises(ValueError, match="active users"):
        OrgShape(leads=1, contacts=0, accounts=1, users=5, inactive_users=2, queues=2)


def test_records_keys_are_describe_fields(records, describes):
    """Every key of every record is a field of that object's describe, and nothing carries `attributes`."""
    for sobject, rows in records.items():
        fields = {f["name"] for f in describes[sobject]["fields"]}
        for record in rows:
            assert set(record) <= fields, (sobject, set(record) - fields)


def test_records_carry_every_non_nillable_field(records, describes):
    """Fields Salesforce never returns null (booleans, audit fields, names) are always present."""
    for sobject, rows in records.items():
        required = {f["name"] for f in describes[sobject]["fields"] if not f["nillable"] and f["type"] != "address"}
        for record in rows:
            assert required <= set(record), (sobject, required - set(record))


def test_record_values_have_the_describe_types(records, describes):
    """Datetimes, dates, booleans, numbers and strings are written as the REST API writes them."""
    checks = {
        "datetime": lambda v: isinstance(v, str) and DATETIME.fullmatch(v),
        "date": lambda v: isinstance(v, str) and DATE.fullmatch(v),
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, float),
        "currency": lambda v: isinstance(v, float),
        "percent": lambda v: isinstance(v, float),
    }
    for sobject, rows in records.items():
        types = {f["name"]: f["type"] for f in describes[sobject]["fields"]}
        for record in rows:
            for name, value in record.items():
                check = checks.get(types[name], lambda v: isinstance(v, str))
                assert value is not None, (sobject, name)
                assert check(value), (sobject, name, value)


def test_record_ids_are_valid_and_unique(records):
    """Every Id is a valid 18-character Id with its object's key prefix, and Ids never repeat."""
    seen = set()
    for sobject, rows in records.items():
        for record in rows:
            assert validate_id(record["Id"], sobject=sobject) == record["Id"]
            assert record["Id"] not in seen
            seen.add(record["Id"])


def test_records_are_in_id_order(records):
    """Each object streams in Id order, as `ORDER BY Id` would return it."""
    for sobject, rows in records.items():
        ids = [r["Id"] for r in rows]
        assert ids == sorted(ids), sobject


def test_audit_timestamps_are_ordered_before_the_snapshot(org, records):
    """CreatedDate <= LastModifiedDate <= SystemModstamp <= snapshot on every record."""
    for sobject, rows in records.items():
        for record in rows:
            created = parse_datetime(record["CreatedDate"])
            assert created <= org.snapshot, sobject
            if "LastModifiedDate" in record:
                modified = parse_datetime(record["LastModifiedDate"])
                assert created <= modified <= parse_datetime(record["SystemModstamp"]) <= org.snapshot, record["Id"]


def test_rest_datetime_matches_the_wire_formatter():
    """The fast datetime formatter writes exactly what `sfbridge.wire.format_datetime` writes."""
    rng = random.Random(7)  # noqa: S311 (test data)
    for _ in range(2000):
        epoch = rng.randrange(1_500_000_000, 1_900_000_000)
        assert rest_datetime(epoch) == format_datetime(datetime.fromtimestamp(epoch, UTC))


def test_references_point_at_real_records(org, records, by_id):
    """Owner, account, who/what, lead and converted-record references resolve to the right objects."""
    queues = {g["Id"] for g in records["Group"] if g["Type"] == "Queue"}
    expect = {
        ("Lead", "OwnerId"): {"User", "Group"},
        ("Lead", "ConvertedAccountId"): {"Account"},
        ("Lead", "ConvertedContactId"): {"Contact"},
        ("Lead", "ConvertedOpportunityId"): {"Opportunity"},
        ("Contact", "AccountId"): {"Account"},
        ("Contact", "OwnerId"): {"User"},
        ("Account", "OwnerId"): {"User"},
        ("Opportunity", "AccountId"): {"Account"},
        ("Opportunity", "OwnerId"): {"User"},
        ("Task", "WhoId"): {"Lead", "Contact"},
        ("Task", "WhatId"): {"Account", "Opportunity"},
        ("Task", "AccountId"): {"Account"},
        ("Task", "OwnerId"): {"User"},
        ("LeadHistory", "LeadId"): {"Lead"},
        ("User", "ManagerId"): {"User"},
    }
    for sobject, rows in records.items():
        for record in rows:
            for field in ("CreatedById", "LastModifiedById"):
                if field in record:
                    assert by_id[record[field]][0] == "User", (sobject, field)
            for (target, field), objects in expect.items():
                if target == sobject and field in record:
                    assert by_id[record[field]][0] in objects, (sobject, field, record[field])
            if sobject == "Lead" and record["OwnerId"].startswith("00G"):
                assert record["OwnerId"] in queues
    assert all(g["OwnerId"] == org.org_id for g in records["Group"])


def test_converted_leads_are_consistent(records, by_id):
    """Converted leads are closed as converted, dated, and their Contact sits on their Account."""
    for lead in records["Lead"]:
        if not lead["IsConverted"]:
            assert "ConvertedContactId" not in lead
            assert lead["Status"] != "Closed - Converted"
            continue
        assert lead["Status"] == "Closed - Converted"
        assert DATE.fullmatch(lead["ConvertedDate"])
        contact = by_id[lead["ConvertedContactId"]][1]
        assert contact["AccountId"] == lead["ConvertedAccountId"]
        assert contact["Email" if "Email" in lead else "LastName"] == lead["Email" if "Email" in lead else "LastName"]
        if "ConvertedOpportunityId" in lead:
            assert by_id[lead["ConvertedOpportunityId"]][1]["AccountId"] == lead["ConvertedAccountId"]


def _conversion_times(records) -> dict[str, str]:
    return {h["LeadId"]: h["CreatedDate"] for h in records["LeadHistory"] if h.get("NewValue") == "Closed - Converted"}


def test_last_activity_date_matches_completed_tasks(records):
    """LastActivityDate is the latest ActivityDate of completed Tasks (a converted lead's moved to its Contact)."""
    latest: dict[str, list[dict]] = defaultdict(list)
    for task in records["Task"]:
        if task["Status"] == "Completed":
            latest[task["WhoId"]].append(task)
    converted_at = _conversion_times(records)
    for lead in records["Lead"]:
        tasks = latest[lead.get("ConvertedContactId", lead["Id"])]
        if lead["IsConverted"]:
            tasks = [t for t in tasks if t["CreatedDate"] < converted_at[lead["Id"]]]
        assert lead.get("LastActivityDate") == max((t["ActivityDate"] for t in tasks), default=None), lead["Id"]
    for contact in records["Contact"]:
        dates = [t["ActivityDate"] for t in latest[contact["Id"]]]
        assert contact.get("LastActivityDate") == max(dates, default=None), contact["Id"]


def test_lead_history_starts_with_created_and_follows_the_status(records):
    """Each lead's history opens with a 'created' row, and its Status rows chain to the current Status."""
    rows: dict[str, list[dict]] = defaultdict(list)
    for row in records["LeadHistory"]:
        rows[row["LeadId"]].append(row)
    for lead in records["Lead"]:
        history = sorted(rows[lead["Id"]], key=lambda h: (h["CreatedDate"], h["Id"]))
        assert history[0]["Field"] == "created"
        assert "OldValue" not in history[0]
        status = "Open - Not Contacted"
        for row in history[1:]:
            assert row["Field"] == "Status"
            assert row["OldValue"] == status
            status = row["NewValue"]
        assert status == lead["Status"]


def _lead_reference(org, records, out: dict) -> None:
    """Evaluate the lead-only rules (stale, never touched, owners, queues) from the records."""
    now = org.snapshot
    inactive = {u["Id"] for u in records["User"] if not u["IsActive"]}
    whos = {t["WhoId"] for t in records["Task"]}
    for lead in filter(_is_open, records["Lead"]):
        lead_id, created = lead["Id"], parse_datetime(lead["CreatedDate"])
        touch = date.fromisoformat(lead.get("LastActivityDate") or lead["CreatedDate"][:10])
        checks = {
            "stale_lead": (now.date() - touch).days > 90,
            "never_touched_lead": lead_id not in whos
            and "LastActivityDate" not in lead
            and now - created > timedelta(days=30),
            "inactive_owner": lead["OwnerId"] in inactive,
            "queue_aging": lead["OwnerId"].startswith("00G") and now - created > timedelta(days=7),
        }
        for name, hit in checks.items():
            if hit:
                out[name].add(lead_id)


def _premature_reference(records, out: dict) -> None:
    """Evaluate the conversion policy on converted leads from their history, tasks and fields."""
    converted_at = _conversion_times(records)
    history, tasks = defaultdict(list), defaultdict(list)
    for row in records["LeadHistory"]:
        history[row["LeadId"]].append(row)
    for task in records["Task"]:
        tasks[task["WhoId"]].append(task)
    for lead in (r for r in records["Lead"] if r["IsConverted"]):
        at, created = converted_at[lead["Id"]], parse_datetime(lead["CreatedDate"])
        qualified = {"Marketing Qualified", "Sales Qualified"}
        reasons = [
            name
            for name, broken in (
                (
                    "no_qualified_status",
                    not any(h.get("NewValue") in qualified and h["CreatedDate"] < at for h in history[lead["Id"]]),
                ),
                ("converted_too_fast", parse_datetime(at) - created < timedelta(minutes=30)),
                (
                    "no_activity",
                    not any(t["CreatedDate"] < at for t in tasks[lead["Id"]] + tasks[lead["ConvertedContactId"]]),
                ),
                ("score_below_minimum", lead.get("Lead_Score__c") is None or lead["Lead_Score__c"] < 50),
            )
            if broken
        ]
        reasons += [f"required_field_blank:{f}" for f in ("Email", "Phone", "Title") if not lead.get(f)]
        if reasons:
            out["premature_conversion"].add((lead["Id"], tuple(reasons)))


def _quality_reference(records, out: dict) -> None:
    """Evaluate the data-quality rules shared by Leads and Contacts."""
    for row in records["Lead"] + records["Contact"]:
        nanp = (row.get("Country") or row.get("MailingCountry")) in {"United States", "Canada"}
        checks = {
            "missing_lead_source": "LeadSource" not in row and not row.get("IsConverted"),
            "orphan_contact": row["Id"].startswith("003") and "AccountId" not in row,
            "bounced_email": "EmailBouncedDate" in row or "EmailBouncedReason" in row,
            "invalid_email": bool(row.get("Email")) and not EMAIL.fullmatch(row["Email"].strip()),
            "invalid_phone": any(_phone_invalid(row.get(f), nanp=nanp) for f in ("Phone", "MobilePhone")),
        }
        for name, hit in checks.items():
            if hit:
                out[name].add(row["Id"])


def _reference_checks(org, records) -> dict:
    """An independent evaluation of the rule-based checks, from the records alone."""
    out: dict = defaultdict(set)
    _lead_reference(org, records, out)
    _premature_reference(records, out)
    _quality_reference(records, out)
    return out


def _phone_invalid(phone: str | None, *, nanp: bool) -> bool:
    """Crude stand-in for libphonenumber's validity, enough to tell this org's good lines from bad."""
    if not phone:
        return False
    bare = re.sub(r"\s*(ext\.?|x)\s*\d+$", "", phone)
    digits = re.sub(r"\D", "", bare)
    letters = re.search(r"[A-Za-z]", bare.replace("(0)", ""))
    nanp_555_area = digits.startswith("1555") or (nanp and len(digits) == 10 and digits.startswith("555"))
    return bool(letters) or len(digits) < 8 or len(set(digits)) == 1 or nanp_555_area


def test_answer_key_matches_an_independent_evaluation(org, records, key):
    """Rule-based checks found from the records alone equal the key: planted records break, background is clean."""
    found = _reference_checks(org, records)
    checks = key["checks"]
    for name in (
        "stale_lead",
        "never_touched_lead",
        "inactive_owner",
        "queue_aging",
        "orphan_contact",
        "bounced_email",
        "invalid_email",
        "invalid_phone",
    ):
        assert found[name] == set(checks[name]), name
    assert found["missing_lead_source"] == set(checks["missing_lead_source"])
    assert found["premature_conversion"] == {(k, tuple(v)) for k, v in checks["premature_conversion"].items()}


def test_answer_key_missing_source_inference_follows_the_mapping(key, by_id):
    """Inferred sources come from the stated UTM_Source__c mapping (trimmed, case-insensitive)."""
    mapping = key["assumptions"]["lead_source_inference"]
    inferred = key["checks"]["missing_lead_source"]
    for record_id, value in inferred.items():
        utm = (by_id[record_id][1].get("UTM_Source__c") or "").strip().lower()
        assert value == mapping.get(utm)
    assert {None} < set(inferred.values())


def test_answer_key_checks_are_populated_at_the_demo_shape(key):
    """Every check has planted records at the demo shape (8 or more for the rule-based ones)."""
    for name, value in key["checks"].items():
        assert len(value) >= 8, name
    assert len(key["duplicates"]["clusters"]) >= 20
    kinds = {why for _, _, why in key["hard_negatives"]["duplicate"]}
    assert kinds == {"same_name_other_company", "shared_switchboard", "relatives_home_phone", "freemail_vs_business"}
    reasons = {r for rs in key["checks"]["premature_conversion"].values() for r in rs}
    assert reasons >= {"no_qualified_status", "converted_too_fast", "no_activity", "score_below_minimum"}
    assert set(key["checks"]["junk_lead"].values()) == {
        "competitor",
        "student",
        "job_seeker",
        "test_record",
        "disposable_email",
        "internal_employee",
    }


def test_answer_key_ids_exist_with_the_right_object(key, by_id):
    """Every Id the key names is a record of the object the check is about."""
    lead_checks = {
        "stale_lead",
        "never_touched_lead",
        "premature_conversion",
        "junk_lead",
        "inactive_owner",
        "queue_aging",
        "lead_is_existing_contact",
        "lead_matches_account",
    }
    for name, value in key["checks"].items():
        for record_id in value:
            allowed = (
                {"Lead"} if name in lead_checks else {"Contact"} if name == "orphan_contact" else {"Lead", "Contact"}
            )
            assert by_id[record_id][0] in allowed, (name, record_id)
    for lead_id, contact_id in key["checks"]["lead_is_existing_contact"].items():
        assert by_id[contact_id][0] == "Contact", lead_id
    for lead_id, account_id in key["checks"]["lead_matches_account"].items():
        assert by_id[account_id][0] == "Account", lead_id
    for cluster in key["duplicates"]["clusters"]:
        assert all(by_id[i][0] in {"Lead", "Contact"} for i in cluster)


def test_duplicate_clusters_are_disjoint_small_and_open(key, by_id):
    """Clusters hold 2-4 unconverted records each, and no record is in two clusters."""
    seen = set()
    for cluster in key["duplicates"]["clusters"]:
        assert 2 <= len(cluster) <= 4
        assert not seen & set(cluster)
        seen |= set(cluster)
        assert not any(by_id[i][1].get("IsConverted") for i in cluster)


def _evidence(a: dict, b: dict) -> bool:
    """Whether two records share a normalised email, or a nickname-aware name and a phone."""
    email = _email_key(a.get("Email"))
    phone = _phone_of(a)
    return bool(email and email == _email_key(b.get("Email"))) or bool(
        phone and phone == _phone_of(b) and _name_key(a) == _name_key(b)
    )


def test_duplicate_clusters_carry_matching_evidence(key, by_id):
    """Inside a cluster, members are linked by a normalised email or by name plus phone."""
    for cluster in key["duplicates"]["clusters"]:
        rows = [by_id[i][1] for i in cluster]
        linked, frontier = {0}, [0]
        while frontier:
            a = frontier.pop()
            for b, row in enumerate(rows):
                if b not in linked and _evidence(rows[a], row):
                    linked.add(b)
                    frontier.append(b)
        assert linked == set(range(len(rows))), cluster


def test_hard_negatives_never_share_a_cluster(key):
    """No hard-negative pair sits inside one duplicate cluster."""
    cluster_of = {i: n for n, cluster in enumerate(key["duplicates"]["clusters"]) for i in cluster}
    for first, second, _why in key["hard_negatives"]["duplicate"]:
        assert cluster_of.get(first, -1) != cluster_of.get(second, -2)


def test_background_records_share_no_email_or_phone(records, key):
    """Outside clusters (and the hard negatives' shared lines) no two people share an email or a phone."""
    cluster_of = {i: n for n, cluster in enumerate(key["duplicates"]["clusters"]) for i in cluster}
    shared_lines = {
        i for a, b, why in key["hard_negatives"]["duplicate"] if why != "same_name_other_company" for i in (a, b)
    }
    people = [r for r in records["Lead"] if not r["IsConverted"]] + records["Contact"]
    for field, normalise in (("Email", lambda r: _email_key(r.get("Email"))), ("Phone", _phone_of)):
        owners: dict[str, set] = defaultdict(set)
        for row in people:
            value = normalise(row)
            if value and not (field == "Phone" and row["Id"] in shared_lines):
                owners[value].add(cluster_of.get(row["Id"], row["Id"]))
        assert all(len(v) == 1 for v in owners.values()), field


def test_existing_contact_leads_are_exactly_the_matching_open_leads(records, key):
    """Open leads whose email, or nickname-aware name plus phone, matches a Contact are the key's list."""
    contacts_by_email, contacts_by_name_phone = defaultdict(set), defaultdict(set)
    for contact in records["Contact"]:
        contacts_by_email[_email_key(contact.get("Email"))].add(contact["Id"])
        contacts_by_name_phone[(_name_key(contact), _phone_of(contact))].add(contact["Id"])
    found = {}
    for lead in records["Lead"]:
        if not _is_open(lead):
            continue
        email, phone = _email_key(lead.get("Email")), _phone_of(lead)
        matches = (contacts_by_email[email] if email else set()) | (
            contacts_by_name_phone[(_name_key(lead), phone)] if phone else set()
        )
        if matches:
            found[lead["Id"]] = matches
    expected = key["checks"]["lead_is_existing_contact"]
    assert set(found) == set(expected)
    assert all(expected[lead] in matches for lead, matches in found.items())


def test_account_matching_leads_are_exactly_the_planted_ones(records, key):
    """Open leads (not existing contacts) whose company or email domain matches an Account are the key's list."""
    names, domains = {}, {}
    for account in records["Account"]:
        names[_company_key(account["Name"])] = account["Id"]
        domains[re.sub(r"^(https?://)?(www\.)?", "", account["Website"]).strip("/")] = account["Id"]
    existing = key["checks"]["lead_is_existing_contact"]
    found = {}
    for lead in records["Lead"]:
        if not _is_open(lead) or lead["Id"] in existing:
            continue
        domain = (lead.get("Email") or "").strip().lower().rpartition("@")[2]
        match = names.get(_company_key(lead["Company"])) or domains.get(domain)
        if match:
            found[lead["Id"]] = match
    assert found == key["checks"]["lead_matches_account"]


def test_junk_cues_appear_only_on_junk_leads(records, key):
    """Competitor, student, disposable and own-company domains occur only on leads the key calls junk."""
    assumptions = key["assumptions"]
    cues = [
        *assumptions["competitor_domains"],
        *assumptions["disposable_email_domains"],
        *assumptions["own_company_domains"],
        ".edu",
    ]
    for lead in records["Lead"]:
        email = (lead.get("Email") or "").lower()
        if any(email.endswith(cue) for cue in cues):
            assert lead["Id"] in key["checks"]["junk_lead"], lead["Id"]


def test_answer_key_is_json_and_names_its_org(org, key):
    """The key serialises to JSON and carries version, snapshot and org Id."""
    text = json.dumps(key)
    assert json.loads(text)["org_id"] == org.org_id
    assert key["version"] == 1
    assert key["snapshot"] == "2026-11-02T09:00:00.000+0000"


def test_describes_keep_the_recorded_salesforce_shape(describes):
    """Every describe has the recorded top-level keys and field-entry keys, and v66.0 URLs."""
    lead = describes["Lead"]
    top, entry = set(lead), set(lead["fields"][0])
    assert set(describes) == {
        "Lead",
        "Contact",
        "Account",
        "Opportunity",
        "User",
        "Group",
        "LeadStatus",
        "Task",
        "LeadHistory",
    }
    for name, describe in describes.items():
        assert set(describe) == top, name
        assert all(set(f) == entry for f in describe["fields"]), name
        text = json.dumps(describe)
        assert "/services/data/v66.0/" in text, name
        assert "vxx" not in text, name
    assert describes["LeadStatus"]["replicateable"] is False
    assert not any(f["name"] == "SystemModstamp" for f in describes["LeadHistory"]["fields"])


def test_describes_carry_the_demo_org_custom_fields_and_picklists(describes):
    """Custom fields are marked custom, and the Lead picklists hold the demo org's values."""
    lead = {f["name"]: f for f in describes["Lead"]["fields"]}
    for name in (
        "UTM_Source__c",
        "UTM_Medium__c",
        "UTM_Campaign__c",
        "Lead_Score__c",
        "Ready_To_Convert__c",
        "Disqualified_Reason__c",
    ):
        assert lead[name]["custom"] is True
        assert lead[name]["createable"] is True
    assert lead["Lead_Score__c"]["precision"] == 3
    assert lead["Lead_Score__c"]["scale"] == 0
    statuses = [p["value"] for p in lead["Status"]["picklistValues"]]
    assert statuses[0] == "Open - Not Contacted"
    assert "Sales Qualified" in statuses
    sources = {p["value"] for p in lead["LeadSource"]["picklistValues"]}
    assert {"Web", "Webinar", "Trade Show", "Advertisement", "Employee Referral"} <= sources
    assert {"HasOptedOutOfEmail", "DoNotCall", "HasOptedOutOfFax"} <= set(lead)
    assert any(f["name"] == "Customer_Since__c" and f["custom"] for f in describes["Account"]["fields"])
