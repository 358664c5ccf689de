"""Email keys, domains, free-mail and disposable flags, and syntax checked as email-validator checks it."""

import random
import string

import polars as pl
import pytest
from email_validator import EmailNotValidError, validate_email

from sfbridge.matching import email_syntax
from sfbridge.matching.email_syntax import email_problems, suggest_email_fix, suggest_email_fixes
from sfbridge.matching.emails import with_email_columns


def columns(*addresses):
    return with_email_columns(pl.DataFrame({"email": list(addresses)}), "email").to_dicts()


def test_email_key_is_one_per_mailbox():
    """Case and spaces never matter; Gmail ignores dots and +tags, googlemail.com is gmail.com."""
    keys = [row["email_key"] for row in columns(" Kelly.Valerie+news@GoogleMail.com ", "kellyvalerie@gmail.com")]
    assert keys == ["kellyvalerie@gmail.com", "kellyvalerie@gmail.com"]


def test_email_key_keeps_tags_and_dots_where_the_provider_may_not_ignore_them():
    """A company's own server may treat a+b@ as its own mailbox, so the tag stays; Outlook drops it."""
    rows = columns("j.doe+crm@acme.example", "j.doe+crm@outlook.com")
    assert [row["email_key"] for row in rows] == ["j.doe+crm@acme.example", "j.doe@outlook.com"]


def test_email_flags_come_from_the_maintained_lists():
    """gmx.de is free mail and mailinator.com throw-away; a company domain is neither."""
    rows = columns("ann@gmx.de", "bo@mailinator.com", "cy@acme.example", None)
    assert [row["email_free"] for row in rows] == [True, True, False, False]  # the lists overlap
    assert [row["email_disposable"] for row in rows] == [False, True, False, False]
    assert [row["email_domain"] for row in rows] == ["gmx.de", "mailinator.com", "acme.example", None]


@pytest.mark.parametrize(
    "address",
    ["ann+11@cobalt-brewing.example", "ilse@mail.coriodia.example", "Ann.Lee@Acme.Example", "ü@münchen.de"],
)
def test_email_problems_accept_reserved_tlds_tags_and_subdomains(address):
    """.example is a reserved but valid TLD; +tags, subdomains and international addresses are valid."""
    assert email_problems([address]) == {}


@pytest.mark.parametrize(
    "address",
    [
        "mohamed#eastgate.example",
        "charlotte@valley.example.",
        "y.bartels@cobalt..example",
        "gmedina@@qualter.example",
        "te resa@rowan.example",
        "shields.gloria@",
        "a@b.test",
        "x@gmail,com",
        "achilleas at sterling.example",
    ],
)
def test_email_problems_reject_malformed_addresses(address):
    """Missing or doubled @, stray dots, spaces, commas and special-use domains are invalid."""
    assert address in email_problems([address])


def _library_says_valid(address):
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def test_email_problems_agree_with_email_validator_on_adversarial_addresses():
    """Checking parts by shape gives exactly the library's verdict on every address, odd ones included."""
    rng = random.Random(20261102)  # noqa: S311 (a seeded test corpus, not a secret)
    alphabet = string.ascii_letters + string.digits + ".-_+@ #!,\"()<>[]:;\\'~éü"
    corpus = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(4000)]
    base = [f"{rng.choice(['ann', 'j.doe', 'x_1', 'o.k'])}@{rng.choice(['acme', 'a-b', 'xn--80ak6aa92e'])}.com"]
    corpus += [address.replace(".", rng.choice([".", "..", ".-", "-."]), 1) for address in base * 300]
    corpus += ["a" * rng.randint(60, 70) + "@" + "b" * rng.randint(55, 70) + ".com" for _ in range(200)]
    corpus += ["a@b." + "".join(rng.choice("abc1-") for _ in range(rng.randint(1, 5))) for _ in range(500)]
    problems = email_problems(corpus)
    assert [address for address in corpus if (address not in problems) != _library_says_valid(address)] == []


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("ann.lee at acme.example", "ann.lee@acme.example"),
        ("bo#acme.example", "bo@acme.example"),
        ("cy@@acme.example", "cy@acme.example"),
        ("di@acme,example", "di@acme.example"),
        ("ed@acme..example.", "ed@acme.example"),
        ("te resa@acme.example", "teresa@acme.example"),
        ("shields.gloria@", None),
    ],
)
def test_suggest_email_fix_repairs_common_slips_only(typed, fixed):
    """Common slips get a repair the library accepts; an address with no domain gets none."""
    assert suggest_email_fix(typed) == fixed


def test_repairs_checked_together_get_the_verdict_email_validator_gives_each():
    """The invalid-email check's repairs, checked as one column, are offered exactly when the library accepts them."""
    rng = random.Random(20261207)  # noqa: S311 (a seeded test corpus, not a secret)
    names, domains = ["ann.lee", "bo", "te resa", "x_1", "o..k", ""], ["acme.example", "acme,example", "a-b..com", ""]
    joins = ["@", " at ", "#", "@@", " [at] ", "", "@."]
    ends = ["", ".", " "]
    corpus = [f"{rng.choice(names)}{rng.choice(joins)}{rng.choice(domains)}{rng.choice(ends)}" for _ in range(600)]
    alphabet = string.ascii_letters + string.digits + ".-_+@ #,"
    corpus += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(600)]
    repaired = [email_syntax._repaired(address) for address in corpus]
    expected = [
        fixed if fixed != address and _library_says_valid(fixed) else None
        for address, fixed in zip(corpus, repaired, strict=True)
    ]
    assert suggest_email_fixes(corpus) == expected
    assert sum(fix is not None for fix in expected) > 100  # the corpus has repairs to offer, not only None
