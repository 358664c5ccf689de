"""Build the held-out junk set: fixtures/junk/heldout.csv (run from the repo root to rewrite it).

    .venv/bin/python tests/checks/junk_heldout.py

About 300 junk leads and 300 real-looking ones (hard negatives among them), written once and
kept as a fixture, so the accuracy test does not move with Faker's versions. The junk values
vary the default lists' words the way people type them (case, digits, compounds, suffixes,
other keyboard rows, other fields) rather than repeat them; each junk lead changes one field of
an otherwise plausible lead (the hardest case) or, for a quarter, several.
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from pathlib import Path

from faker import Faker

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "junk" / "heldout.csv"
COLUMNS = ("FirstName", "LastName", "Company", "Email", "Title", "Description", "expected", "note")
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL", "pl_PL", "pt_BR", "tr_TR", "cs_CZ", "sv_SE")
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "gmx.de", "orange.fr", "libero.it")

# Junk values by field (not the defaults' literal words: variants of them).
TEST_FIRST = [
    "Testy",
    "TEST",
    "test1",
    "Test123",
    "TestUser",
    "Test_Lead",
    "Testing",
    "Tester",
    "FAKE",
    "Fake Name",
    "Dummy",
    "dummy2",
    "Demo",
    "Sample",
    "Asdfasdf",
    "qwertyuiop",
    "Zzzz",
    "xxxxx",
    "aaaa",
    "Qwrtp",
    "Hjkl",
    "Sdfsdf",
    "Jkjkjk",
    "Lkjhgf",
    "Poiuyt",
    "Zxcvbn",
    "Asdfgh",
    "wxcvbn",
    "azerty",
    "qwertz",
    "Mnbvcx",
    "Dfghjk",
    "Bbbbb",
    "Kkk",
    "Testface",
    "Test Test",
    "TESTER",
    "Testname",
    "fakeuser",
    "Dfgdfg",
]
TEST_LAST = [
    "McTestface",
    "Testerson",
    "Test",
    "TESTING",
    "Testlead",
    "Fake",
    "Dummy",
    "Asdf1",
    "Qwerty",
    "Xxxx",
    "Zzzzz",
    "Sdfghj",
    "Ghjkl",
    "Lastname Test",
    "Test-User",
    "Fakename",
    "Dummyuser",
    "Asdasd",
    "Hgfdsa",
    "Vbnm",
    "Qsdfgh",
    "Yxcvbnm",
    "Nmnm",
    "Tstng",
]
TEST_COMPANY = [
    "Fake Company Inc",
    "Dummy Account",
    "Test Corp",
    "TESTING LLC",
    "Sample Company Ltd",
    "Demo Co",
    "asdfasdf",
    "Qwerty Ltd",
    "xxxx",
    "zzzz",
    "Test Account - do not use",
    "ACME Test",
    "Fake Inc",
    "test company 2",
    "TestCompany",
    "The Test Company",
    "DEMO ACCOUNT",
    "Sample Org",
    "Testing 123",
    "Dummy Corp.",
    "Asdfgh GmbH",
    "Test GmbH",
    "Société Test",
    "Fake Business",
    "qwertyuiop inc",
]
TEST_LOCAL = [
    "asdf123",
    "test.user",
    "testing",
    "fake",
    "dummy",
    "test1234",
    "qwerty",
    "xxx",
    "sdfsdf",
    "zzzz",
    "demo",
    "testtest",
    "test_lead",
    "fakeemail",
    "dummy.user",
    "asdfgh",
    "tester99",
    "samplelead",
]
TEST_DOMAIN = [
    "test.org",
    "fake.com",
    "asdf.com",
    "fakemail.net",
    "xxx.com",
    "dummy.io",
    "testing.co.uk",
    "qwerty.net",
    "test-company.com",
    "sample.org",
    "fakecompany.com",
    "zzzz.com",
    "demo-account.com",
]
TAGGED = ["test", "testing", "test1", "demo"]
INDIVIDUAL_COMPANY = [
    "Self",
    "SELF",
    "Individual",
    "Private",
    "Personal",
    "Home",
    "Private Individual",
    "Myself",
    "Retired",
    "Homeowner",
    "Consumer",
    "n/a - personal",
    "Self (individual)",
    "Privat",
    "Particulier",
    "Private person",
    "Individual customer",
    "personal use",
    "None - retired",
    "Self.",
]
JOB_SEEKER = [
    ("Company", "Unemployed"),
    ("Company", "Currently unemployed"),
    ("Company", "UNEMPLOYED"),
    ("Title", "Seeking employment"),
    ("Title", "Looking for work"),
    ("Title", "Between jobs"),
    ("Title", "Unemployed"),
    ("Description", "I'm currently looking for work in marketing."),
    ("Company", "Jobseeker"),
    ("Title", "Job hunting"),
]

# Real-looking values that look a little like junk: they must stay clean.
HARD_NEGATIVES: list[dict[str, str]] = [
    {
        "FirstName": "Robert",
        "LastName": "Sample",
        "Company": "Sample Family Farms",
        "Email": "robert.sample@samplefarms.com",
    },
    {"FirstName": "Linda", "LastName": "Sample", "Company": "Northwind Traders", "Email": "sample@northwind.com"},
    {"FirstName": "Jane", "LastName": "Tester", "Company": "Tester Plumbing", "Email": "jane@tester-plumbing.com"},
    {"FirstName": "Paul", "LastName": "Tester", "Company": "Blue Ridge Health", "Email": "ptester@blueridgehealth.org"},
    {
        "FirstName": "Maria",
        "LastName": "Testa",
        "Company": "Testa Costruzioni S.r.l.",
        "Email": "m.testa@testacostruzioni.it",
    },
    {"FirstName": "Luca", "LastName": "Testoni", "Company": "Atestat Consulting", "Email": "luca.testoni@atestat.it"},
    {"FirstName": "Kurt", "LastName": "Testerman", "Company": "Testerman Farms", "Email": "kurt@testermanfarms.com"},
    {"FirstName": "Luca", "LastName": "Demo", "Company": "Demo Arredamenti", "Email": "luca.demo@demoarredamenti.it"},
    {"FirstName": "Reza", "LastName": "Ahmadi", "Company": "Pars Energy", "Email": "reza.ahmadi@parsenergy.ir"},
    {"FirstName": "Azer", "LastName": "Aliyev", "Company": "Caspian Logistics", "Email": "azer@caspianlogistics.az"},
    {"FirstName": "Sasa", "LastName": "Petrovic", "Company": "Beograd Soft", "Email": "sasa.petrovic@beogradsoft.rs"},
    {"FirstName": "Kiki", "LastName": "Smith", "Company": "Smith & Co", "Email": "kiki@smithco.com"},
    {"FirstName": "Lulu", "LastName": "Wang", "Company": "Wang Trading", "Email": "lulu.wang@wangtrading.cn"},
    {
        "FirstName": "Nil",
        "LastName": "Yilmaz",
        "Company": "Anadolu Tekstil",
        "Email": "nil.yilmaz@anadolutekstil.com.tr",
    },
    {"FirstName": "Wei Ling", "LastName": "Foo", "Company": "Foo Brothers Pte Ltd", "Email": "weiling.foo@foobros.sg"},
    {"FirstName": "Will", "LastName": "Self", "Company": "Penguin Books", "Email": "will.self@penguin.co.uk"},
    {"FirstName": "John", "LastName": "Wertz", "Company": "Wertz Electric", "Email": "jwertz@wertzelectric.com"},
    {"FirstName": "Treza", "LastName": "Ibrahim", "Company": "Nile Foods", "Email": "treza.ibrahim@nilefoods.eg"},
    {"FirstName": "Simon", "LastName": "Trew", "Company": "Trew & Sons", "Email": "simon@trewandsons.co.uk"},
    {"FirstName": "Zach", "LastName": "Ertz", "Company": "Ertz Sports", "Email": "zach@ertzsports.com"},
    {
        "FirstName": "Hans",
        "LastName": "Junker",
        "Company": "Junker Maschinenbau GmbH",
        "Email": "h.junker@junker-mb.de",
    },
    {"FirstName": "Anna", "LastName": "Mock", "Company": "Mock Insurance", "Email": "anna.mock@mockins.com"},
    {
        "FirstName": "Pedro",
        "LastName": "Null",
        "Company": "Null Engenharia",
        "Email": "pedro.null@nullengenharia.com.br",
    },
    {"FirstName": "Piotr", "LastName": "Bogus", "Company": "Bogus Sp. z o.o.", "Email": "piotr.bogus@bogus.pl"},
    {"FirstName": "Jan", "LastName": "Smrž", "Company": "Smrž a syn s.r.o.", "Email": "jan.smrz@smrz.cz"},
    {"FirstName": "Ng", "LastName": "Yen", "Company": "Saigon Coffee", "Email": "ng.yen@saigoncoffee.vn"},
    {"FirstName": "Glynn", "LastName": "Flynn", "Company": "Flynn Brothers", "Email": "glynn@flynnbros.ie"},
    {"FirstName": "Rhys", "LastName": "Llwyd", "Company": "Cwm Taf Joinery", "Email": "rhys@cwmtaf.co.uk"},
    {"FirstName": "伟", "LastName": "王", "Company": "北京科技有限公司", "Email": "wangwei@bjkj.cn"},
    {"FirstName": "Иван", "LastName": "Петров", "Company": "ООО Ромашка", "Email": "ivan.petrov@romashka.ru"},  # noqa: RUF001
    {"FirstName": "J.", "LastName": "Smith", "Company": "ABC Supply", "Email": "jsmith@abcsupply.com"},
    {"FirstName": "Karen", "LastName": "Diaz", "Company": "XYZ Corp", "Email": "karen.diaz@xyzcorp.com"},
    {"FirstName": "Mike", "LastName": "Lopez", "Company": "AAA Plumbing", "Email": "mike@aaaplumbing.com"},
    {"FirstName": "Dana", "LastName": "Reed", "Company": "AAA", "Email": "dana.reed@aaa.com"},
    {"FirstName": "Chris", "LastName": "Young", "Company": "BBB", "Email": "cyoung@bbb.org"},
    {"FirstName": "Priya", "LastName": "Nair", "Company": "KPMG", "Email": "priya.nair@kpmg.com"},
    {"FirstName": "Tom", "LastName": "Hughes", "Company": "HSBC", "Email": "tom.hughes@hsbc.co.uk"},
    {"FirstName": "Eva", "LastName": "Lang", "Company": "Testing Solutions Inc", "Email": "eva@testingsolutions.com"},
    {
        "FirstName": "Mark",
        "LastName": "Fisher",
        "Company": "National Testing Laboratories",
        "Email": "mfisher@ntllabs.com",
    },
    {"FirstName": "Omar", "LastName": "Haddad", "Company": "TestAmerica", "Email": "omar.haddad@testamerica.com"},
    {
        "FirstName": "Gina",
        "LastName": "Russo",
        "Company": "Test Equipment Depot",
        "Email": "gina@testequipmentdepot.com",
    },
    {"FirstName": "Ben", "LastName": "Cole", "Company": "Sample Digital", "Email": "ben@sampledigital.co"},
    {"FirstName": "Ali", "LastName": "Okafor", "Company": "Fake Brothers Transport", "Email": "ali@fakebrothers.ng"},
    {"FirstName": "Rosa", "LastName": "Vidal", "Company": "Dummy Proof Systems", "Email": "rosa@dummyproof.com"},
    {
        "FirstName": "Ian",
        "LastName": "Marsh",
        "Company": "Intertek Testing Services",
        "Email": "ian.marsh@intertek.com",
    },
    {"FirstName": "Joy", "LastName": "Park", "Company": "Self Storage Plus", "Email": "joy@selfstorageplus.com"},
    {"FirstName": "Sam", "LastName": "Ortiz", "Company": "Private Equity Partners", "Email": "sam@pepartners.com"},
    {"FirstName": "Lena", "LastName": "Kraus", "Company": "Personal Care GmbH", "Email": "lena.kraus@personalcare.de"},
    {"FirstName": "Ray", "LastName": "Hill", "Company": "The Home Depot", "Email": "ray_hill@homedepot.com"},
    {
        "FirstName": "Uma",
        "LastName": "Iyer",
        "Company": "Individual Foodservice",
        "Email": "uma@individualfoodservice.com",
    },
    {"FirstName": "Nico", "LastName": "Berg", "Company": "Demo Works AB", "Email": "nico@demoworks.se"},
    {"FirstName": "Lea", "LastName": "Roux", "Company": "Qwerty Films", "Email": "lea@qwertyfilms.fr"},
    {
        "FirstName": "Kai",
        "LastName": "Wolf",
        "Company": "Schifffahrt Nord GmbH",
        "Email": "kai.wolf@schifffahrt-nord.de",
    },
    {"FirstName": "Amy", "LastName": "Chen", "Company": "Acme Corp", "Email": "amy.chen@acmecorp.com"},
    {"FirstName": "Joe", "LastName": "Bauer", "Company": "[not provided]", "Email": "joe.bauer@gmail.com"},
    {"FirstName": "Ana", "LastName": "Silva", "Company": "N/A", "Email": "ana.silva@hotmail.com"},
    {"FirstName": "Lars", "LastName": "Holm", "Company": "Unknown", "Email": "lars.holm@outlook.com"},
    {"FirstName": "Mia", "LastName": "Keller", "Company": "-", "Email": "mia.keller@gmx.de"},
    {"FirstName": "Tim", "LastName": "Ward", "Company": "None", "Email": "tim.ward@yahoo.com"},
    {"FirstName": "Nora", "LastName": "Quinn", "Company": "Self-employed", "Email": "nora@quinndesign.com"},
    {"FirstName": "Eli", "LastName": "Stone", "Company": "Freelance", "Email": "eli.stone@gmail.com"},
    {"FirstName": "Ada", "LastName": "Moss", "Company": "Freelancer", "Email": "ada.moss@gmail.com"},
    {"FirstName": "Max", "LastName": "Grant", "Company": "Student Loan Services", "Email": "max.grant@sls.com"},
    {"FirstName": "Ivy", "LastName": "Lane", "Company": "Acme", "Email": "noemail@noemail.com"},
    {"FirstName": "Zoe", "LastName": "Price", "Company": "Brightside Ltd", "Email": "none@none.com"},
    {"FirstName": "Leo", "LastName": "Hart", "Company": "Hart Design", "Email": "jkl@hartdesign.com"},
    {"FirstName": "Eve", "LastName": "Marx", "Company": "Marx Media", "Email": "em@marxmedia.de"},
    {"FirstName": "Olga", "LastName": "Nowak", "Company": "Stiftung Warentest", "Email": "o.nowak@test.de"},
    {
        "FirstName": "Amir",
        "LastName": "Khan",
        "Company": "Khan Holdings",
        "Email": "amir.khan+newsletter@khanholdings.com",
    },
    {
        "FirstName": "Beth",
        "LastName": "Ross",
        "Company": "Ross Analytics",
        "Email": "beth.ross@ross-analytics.com",
        "Title": "Individual Contributor",
    },
    {
        "FirstName": "Carl",
        "LastName": "Nash",
        "Company": "First Bank",
        "Email": "carl.nash@firstbank.com",
        "Title": "Private Banker",
    },
    {
        "FirstName": "Dee",
        "LastName": "Wong",
        "Company": "Wong Partners",
        "Email": "dee@wongpartners.com",
        "Title": "Personal Assistant",
    },
    {
        "FirstName": "Finn",
        "LastName": "Moore",
        "Company": "Veritas QA",
        "Email": "finn.moore@veritasqa.com",
        "Title": "QA Tester",
    },
    {
        "FirstName": "Gus",
        "LastName": "Long",
        "Company": "Longview Labs",
        "Email": "gus@longviewlabs.com",
        "Title": "Head of Testing",
    },
    {
        "FirstName": "Hana",
        "LastName": "Sato",
        "Company": "Sato Trading",
        "Email": "hana.sato@satotrading.jp",
        "Description": "We test our products on 1000 users; need a CRM.",
    },
    {"FirstName": "Aa", "LastName": "Bakker", "Company": "Bakker BV", "Email": "aa.bakker@bakker.nl"},
    {"FirstName": "Ee", "LastName": "Lim", "Company": "Lim Holdings", "Email": "ee.lim@limholdings.sg"},
    {
        "FirstName": "Mohammed",
        "LastName": "Al-Sayed",
        "Company": "Gulf Trading LLC",
        "Email": "m.alsayed@gulftrading.ae",
    },
    {"FirstName": "Siobhán", "LastName": "Ó Briain", "Company": "Ó Briain Teoranta", "Email": "siobhan@obriain.ie"},
    {"FirstName": "D'Arcy", "LastName": "O'Neil-Smith", "Company": "O'Neil & Smith", "Email": "darcy@oneilsmith.com"},
]


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]+", "", folded)


def _recase(rng: random.Random, value: str) -> str:
    """The value as another typist would case it."""
    return rng.choice([value.upper(), value.lower(), value.title(), value.capitalize()])


def _real(fake: Faker, rng: random.Random) -> dict[str, str]:
    first, last = fake.first_name(), fake.last_name()
    company = fake.company()
    domain = (_slug(company)[:14] or "firm") + rng.choice([".com", ".co", ".net", ".io", ".de", ".fr"])
    pattern = rng.randrange(4)
    if pattern == 0:
        email = f"{_slug(first)}.{_slug(last)}@{domain}"
    elif pattern == 1:
        email = f"{_slug(first)[:1]}{_slug(last)}@{domain}"
    elif pattern == 2:
        email = f"{_slug(first)}{_slug(last)}{rng.randrange(1, 99)}@{rng.choice(FREE_MAIL)}"
    else:
        email = f"{_slug(first)}@{domain}"
    return {"FirstName": first, "LastName": last, "Company": company, "Email": email, "Title": fake.job()[:60]}


def build() -> list[dict[str, str]]:  # noqa: C901 (one loop per kind of junk, read top to bottom)
    """The held-out rows: junk first, then real-looking ones."""
    rng = random.Random(20261204)  # noqa: S311 (a fixture, not a secret)
    fakes = [Faker(locale) for locale in LOCALES]
    for number, fake in enumerate(fakes):
        fake.seed_instance(1000 + number)

    def base() -> dict[str, str]:
        return _real(rng.choice(fakes), rng)

    rows: list[dict[str, str]] = []

    def add(row: dict[str, str], expected: str, note: str) -> None:
        rows.append({column: row.get(column, "") for column in COLUMNS[:6]} | {"expected": expected, "note": note})

    for value in TEST_FIRST:
        add(base() | {"FirstName": value}, "test_record", "FirstName")
        add(base() | {"FirstName": _recase(rng, value)}, "test_record", "FirstName")
    for value in TEST_LAST:
        add(base() | {"LastName": value}, "test_record", "LastName")
        add(base() | {"LastName": _recase(rng, value)}, "test_record", "LastName")
    for value in TEST_COMPANY:
        add(base() | {"Company": value}, "test_record", "Company")
        add(base() | {"Company": _recase(rng, value)}, "test_record", "Company")
    for value in TEST_LOCAL:
        row = base()
        add(row | {"Email": f"{value}@{rng.choice(FREE_MAIL)}"}, "test_record", "Email local part")
    for value in TEST_DOMAIN:
        row = base()
        add(row | {"Email": f"{_slug(row['FirstName'])}@{value}"}, "test_record", "Email domain")
    for value in TAGGED:
        row = base()
        local, domain = row["Email"].split("@")
        add(row | {"Email": f"{local}+{value}@{domain}"}, "test_record", "Email +tag")
    # Several junk fields at once, as a tester fills a whole form.
    for _ in range(60):
        row = base()
        first, last = rng.choice(TEST_FIRST), rng.choice(TEST_LAST)
        company = rng.choice([*TEST_COMPANY, "Acme", "N/A", "[not provided]"])
        email = f"{rng.choice(TEST_LOCAL)}@{rng.choice(TEST_DOMAIN + list(FREE_MAIL))}"
        picked = rng.sample(["FirstName", "LastName", "Company", "Email"], k=rng.randrange(2, 5))
        values = {"FirstName": first, "LastName": last, "Company": company, "Email": email}
        add(row | {field: values[field] for field in picked}, "test_record", "several fields")
    for value in INDIVIDUAL_COMPANY:
        row = base()
        add(
            row
            | {"Company": value, "Email": f"{_slug(row['FirstName'])}{rng.randrange(9, 99)}@{rng.choice(FREE_MAIL)}"},
            "individual",
            "Company",
        )
    for field, value in JOB_SEEKER:
        row = base()
        add(
            row
            | {field: value, "Email": f"{_slug(row['LastName'])}.{_slug(row['FirstName'])}@{rng.choice(FREE_MAIL)}"},
            "job_seeker",
            field,
        )
    junk = len(rows)
    for row in HARD_NEGATIVES:
        add(row, "", "hard negative")
    while len(rows) < junk + 300:
        add(base(), "", "real-looking")
    return rows


def main() -> None:
    """Write the fixture."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(build())


if __name__ == "__main__":
    main()
