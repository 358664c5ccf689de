"""Junk leads: open leads that are not prospects, each with exactly one reason.

Test records, colleagues, competitors, throwaway addresses, students, job seekers and private
individuals fill forms too; they inflate lead counts and waste reps' time.

When a lead shows several signs, the first in this priority order is its reason:

1. ``test_record``: a test value in a name, the company or the email (see below), a test
   name phrase in the name or company, or an address at a test domain. It is not a person at
   all, whatever else it says, and the fix differs (delete it).
2. ``internal_employee``: an address at one of the org's own domains.
3. ``competitor``: an address at a competitor's domain.
4. ``disposable_email``: an address at a throwaway-mail service (the maintained
   ``disposable-email-domains`` list plus ``extra_disposable_domains``).
5. ``student``: a student domain suffix (``.edu``) or a student title.
6. ``job_seeker``: a job-seeking phrase in Title, Description or Company, or a Company or
   Title that says nothing but a job-seeker word ("Unemployed").
7. ``individual``: a Company or Title that says nothing but a private-person word ("Self",
   "Individual", "Private", "Retired"): someone buying for themselves, not for a business.

Test records come first because their fix differs; the org's own lists (2-3) identify a
lead precisely, so they come before the generic list (4), and that before guesses from free
text (5-7). Domains match with their subdomains (``mail.rival.com`` is ``rival.com``);
phrases match case-insensitively as whole words, any run of spaces matching a space.

Test values are judged per field on whole words, so they generalise beyond a fixed list
without catching real people: a field is a test value when every word in it is either a
junk word or a neutral word (``neutral_words``: "Inc", "Company", "User", "N/A"...) and at
least one is a junk word. Junk words are, in the order a finding names them:

- ``test_words``: test, asdf, dummy, fake... with ``test_word_prefixes``/``_suffixes``
  ("Testy", "Testerson", "McTestface") and glued to each other or to neutral words
  ("testuser", "FakeCompany");
- ``keyboard_mash``: a run along a row of ``keyboard_rows`` ("asdfgh", "poiuyt", "hjkl") or
  a short run repeated ("sdfsdf", "jkjk");
- ``repeated_letters``: one letter typed over and over ("aaaa", "zzz");
- ``no_vowels``: a long name with no vowel at all ("Qwrtp"), in FirstName and LastName only
  (companies and addresses are full of acronyms: KPMG, HSBC).

So "Fake Company Inc" is a test value, "National Testing Laboratories" and "ABC Supply" are
not; a placeholder with no junk word ("N/A", "[not provided]", "Unknown") is a missing value,
never junk by itself. A real surname that is also a test word (``real_surnames``: Sample,
Tester) is the person's name in LastName and wherever it recurs in the lead. A keyboard run
counts when it could not be a syllable of a name: four keys without a vowel ("hjkl"), five
from a row's end ("qwert", "asdfg"), or six anywhere, so the names Reza, Azer, Wertz, Trew,
Treza and Ertz (all runs of keys) stay names.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from disposable_email_domains import blocklist

from sfbridge.checks.context import CheckContext
from sfbridge.checks.registry import Check
from sfbridge.models import Finding
from sfbridge.rules import JunkRules

__all__ = ["CATEGORIES", "CHECKS", "disqualified_reason", "junk_lead", "keyboard_mashes"]

_TEXT = pl.Utf8()
_DOMAIN = pl.col("_domain")
_FIELDS = ("FirstName", "LastName", "Company", "Email", "Title", "Description")
_WORDS = r"\p{L}+"
_VOWELS = frozenset("aeiouy")

#: Junk categories in priority order: a lead showing several gets the first.
CATEGORIES = (
    "test_record",
    "internal_employee",
    "competitor",
    "disposable_email",
    "student",
    "job_seeker",
    "individual",
)


def disqualified_reason(category: str) -> str:
    """The value a plan writes into ``plan.disqualified_reason_field`` for a junk category.

    >>> disqualified_reason("disposable_email")
    'Disposable email'
    """
    return category.replace("_", " ").capitalize()


_REASONS = {
    "test_record": "Looks like a test record: {label} {shown!r} {how} (rule: {rule}).",
    "internal_employee": "Email domain {shown} is the org's own: a colleague, not a lead (rule: {rule}).",
    "competitor": "Email domain {shown} belongs to a competitor (rule: {rule}).",
    "disposable_email": "Email domain {shown} is a disposable (throwaway) mail service (rule: {rule}).",
    "student": "Looks like a student: {label} {shown!r} (rule: {rule}).",
    "job_seeker": "Looks like a job seeker, not a buyer: {label} says {shown!r} (rule: {rule}).",
    "individual": "Looks like a private individual, not a business: {label} says {shown!r} (rule: {rule}).",
}
# What a test-record rule saw, in words.
_HOW = {
    "test_words": "is a test value",
    "keyboard_mash": "is a keyboard mash",
    "repeated_letters": "is a repeated letter",
    "no_vowels": "has no vowels",
    "test_names": "matches a test name",
    "test_domains": "is a test domain",
}


@dataclass(frozen=True)
class _Signal:
    """One way a lead shows a category: a test on one field, the rule that fired, the value shown."""

    category: str
    field: str
    label: str
    hit: pl.Expr
    shown: pl.Expr
    rule: pl.Expr


# -- domains and phrases ------------------------------------------------------------------


def _domain_in(domains: Iterable[str]) -> pl.Expr:
    """True when the email domain is one of these domains or a subdomain of one.

    Reads the ``_labels<n>`` columns (the domain's last n labels) that `_with_domain_lists` adds.
    """
    wanted = {d.strip().lower().lstrip("@").strip(".") for d in domains} - {""}
    by_labels: dict[int, list[str]] = {}
    for domain in wanted:
        by_labels.setdefault(domain.count(".") + 1, []).append(domain)
    # Compare the email domain's last n labels with the listed domains of n labels.
    tests = [pl.col(f"_labels{n}").is_in(sorted(group)) for n, group in by_labels.items()]
    return pl.any_horizontal(tests).fill_null(value=False) if tests else pl.lit(value=False)


def _suffix_in(suffixes: Iterable[str]) -> pl.Expr:
    ends = {"." + s.strip().lower().strip(".") for s in suffixes if s.strip(". ")}
    tests = [_DOMAIN.str.ends_with(end) for end in sorted(ends)]
    return pl.any_horizontal(tests).fill_null(value=False) if tests else pl.lit(value=False)


def _domain_signal(category: str, rule: str, hit: pl.Expr) -> _Signal:
    return _Signal(category, "Email", "Email domain", hit, _DOMAIN, pl.lit(rule))


def _with_domain_lists(leads: pl.DataFrame, rules: JunkRules) -> pl.DataFrame:
    """Add, per lead, whether its email domain is on each domain list (judged once per distinct domain)."""
    disposable = set(blocklist) | set(rules.extra_disposable_domains)
    listed = {
        "_test_domain": rules.test_domains,
        "_not_test_domain": rules.not_test_domains,
        "_own_domain": rules.own_domains,
        "_competitor_domain": rules.competitor_domains,
        "_disposable_domain": disposable,
    }
    wanted = {domain.strip(". ").lower() for domains in listed.values() for domain in domains}
    most = max((domain.count(".") + 1 for domain in wanted), default=1)
    # Only a domain ending like a listed one (its last two labels, or its one label: a listed
    # top-level domain such as "test") can be on a list: the few such domains are compared
    # label by label, not every lead's.
    endings = sorted({".".join(domain.split(".")[-2:]) for domain in wanted})
    labels = pl.col("_domain").str.split(".")
    domains = leads.select("_domain").drop_nulls().unique()
    ending_listed = labels.list.slice(-2).list.join(".").is_in(endings) | labels.list.last().is_in(endings)
    flags = (
        domains.filter(ending_listed)
        .with_columns(labels.list.slice(-n).list.join(".").alias(f"_labels{n}") for n in range(1, most + 1))
        .with_columns(**{name: _domain_in(domains) for name, domains in listed.items()})
        .drop(f"_labels{n}" for n in range(1, most + 1))
    )
    student = _suffix_in(rules.student_domain_suffixes)
    flagged = leads.join(flags, on="_domain", how="left", nulls_equal=False)
    return flagged.with_columns(*(pl.col(name).fill_null(value=False) for name in listed), _student_domain=student)


def _phrase_pattern(phrases: Iterable[str]) -> str | None:
    r"""A case-insensitive regex matching any phrase as whole words (None for no phrases).

    >>> _phrase_pattern(["open to work", "n/a"])
    '(?i)(\\bopen\\s+to\\s+work\\b|\\bn/a\\b)'
    """
    parts = []
    for phrase in phrases:
        words = phrase.split()
        if words:
            start = r"\b" if words[0][0].isalnum() else ""
            end = r"\b" if words[-1][-1].isalnum() else ""
            parts.append(start + r"\s+".join(re.escape(word) for word in words) + end)
    return f"(?i)({'|'.join(parts)})" if parts else None


def _phrase_signals(category: str, rule: str, fields: Iterable[str], phrases: Iterable[str]) -> list[_Signal]:
    pattern = _phrase_pattern(phrases)
    if pattern is None:
        return []
    signals = []
    for field in fields:
        found = pl.col(field).str.extract(pattern, 1)
        label = "Name" if field == "_name" else field
        signals.append(_Signal(category, label, label, found.is_not_null(), found, pl.lit(rule)))
    return signals


# -- junk words -----------------------------------------------------------------------------


def keyboard_mashes(rows: Iterable[str]) -> frozenset[str]:
    """Every word that counts as a keyboard mash on these rows of keys.

    A run of adjacent keys along a row, either way, counts when it could not be a syllable of
    a name: four or more keys without a vowel, five or more from the row's end, or six or
    more anywhere. A short run typed over and over counts when the whole has no vowel and
    four letters, or six letters. (Reza, Azer, Wertz, Treza are runs of keys, and names.)

    >>> mashes = keyboard_mashes(["asdfghjkl"])
    >>> sorted(word for word in mashes if len(word) == 4 and word[0] in "hj")
    ['hgfd', 'hghg', 'hjhj', 'hjkl', 'jhgf', 'jhjh', 'jkjk']
    >>> {"asdfg", "sdfgh", "sdfsdf", "asdasd", "lkjhgf"} <= mashes, "asdf" in mashes, "fghjk" in mashes
    (True, False, True)
    """
    runs: set[str] = set()
    for row in rows:
        for keys in (row, row[::-1]):
            runs.update(keys[start:end] for start in range(len(keys)) for end in range(start + 2, len(keys) + 1))
    mashes: set[str] = set()
    for run in runs:
        vowelless = not _VOWELS & set(run)
        from_end = any(keys.startswith(run) for row in rows for keys in (row, row[::-1]))
        if (vowelless and len(run) >= 4) or (from_end and len(run) >= 5) or len(run) >= 6:  # noqa: PLR2004
            mashes.add(run)
        if len(run) <= 5:  # noqa: PLR2004 (longer units repeated are rare and long enough alone)
            for times in range(2, 13 // len(run) + 1):
                repeated = run * times
                if (vowelless and len(repeated) >= 4) or len(repeated) >= 6:  # noqa: PLR2004
                    mashes.add(repeated)
    return frozenset(mashes)


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so a regex alternation prefers "tester" to "test" where both fit.
    return "|".join(re.escape(word) for word in sorted(set(words), key=lambda word: (-len(word), word)))


def _test_word_pattern(rules: JunkRules) -> str | None:
    """A regex for one word made of test words (with their affixes) and neutral words, at least one test word."""
    if not rules.test_words and not rules.test_word_stems:
        return None
    prefix = f"(?:{_alternation(rules.test_word_prefixes)})?" if rules.test_word_prefixes else ""
    words = [re.escape(word) for word in rules.test_words]
    if rules.test_word_stems:
        # Only stems take suffixes: "Testy" is a test, "Demoy" and "Fakeer" are given names.
        suffix = f"(?:{_alternation(rules.test_word_suffixes)})?" if rules.test_word_suffixes else ""
        words.append(f"(?:{_alternation(rules.test_word_stems)}){suffix}")
    piece = f"{prefix}(?:{'|'.join(words)})"
    # Neutral words glue on only from three letters: "testuser", but "testa" is a surname.
    glue = [word for word in rules.neutral_words if len(word) >= 3]  # noqa: PLR2004
    if not glue:
        return f"^(?:{piece})+$"
    pad = f"(?:{_alternation(glue)})"
    return f"^{pad}*{piece}(?:{piece}|{pad})*$"


@dataclass(frozen=True)
class _WordRules:
    """The junk-word rules one field is judged by, and how to find the few values worth judging.

    Attributes:
        category: the junk category these rules show.
        tests: (rule name, test on ``pl.col("word")``), in the order findings name them.
        hints: strings one of which every junk word contains.
        hint_patterns: regexes, one of which every junk word not holding a hint matches.
        real_surnames: words that are never junk words here.
    """

    category: str
    tests: tuple[tuple[str, pl.Expr], ...]
    hints: tuple[str, ...] = ()
    hint_patterns: tuple[str, ...] = ()
    real_surnames: tuple[str, ...] = ()


def _test_rules(rules: JunkRules, *, names: bool, organisation: bool) -> _WordRules:
    word = pl.col("word")
    tests: list[tuple[str, pl.Expr]] = []
    hints: list[str] = []
    patterns: list[str] = []
    pattern = _test_word_pattern(rules)
    if pattern:
        tests.append(("test_words", word.str.contains(pattern)))
        hints += [*rules.test_words, *rules.test_word_stems]
    mashes = keyboard_mashes(rules.keyboard_rows)
    if mashes:
        tests.append(("keyboard_mash", word.is_in(sorted(mashes))))
        hints += {mash[:4] for mash in mashes}  # every mash has four letters or more
    # AAA, BBB and CCC are organisations (and aaa.com their domain): longer runs there.
    least = rules.repeated_letters_min_company if organisation else rules.repeated_letters_min
    if least:
        runs = "|".join(f"{letter}{{{least},}}" for letter in string.ascii_lowercase)
        tests.append(("repeated_letters", word.str.contains(f"^(?:{runs})$")))
        patterns.append(f"(?:{runs})")
    if names and rules.no_vowels_min_length:
        # Latin consonants only: a name in another script has no Latin vowels either.
        consonants = f"[bcdfghjklmnpqrstvwxz]{{{rules.no_vowels_min_length},}}"
        tests.append(("no_vowels", word.str.contains(f"^{consonants}$")))
        patterns.append(consonants)
    return _WordRules("test_record", tuple(tests), tuple(sorted(set(hints))), tuple(patterns))


def _listed(category: str, rule: str, words: Sequence[str]) -> _WordRules | None:
    if not words:
        return None
    return _WordRules(category, ((rule, pl.col("word").is_in(list(words))),), tuple(sorted(set(words))))


def _verdicts(
    words: pl.DataFrame, vocabulary: pl.DataFrame, word_rules: _WordRules, neutral: Sequence[str]
) -> pl.DataFrame:
    """For the distinct values that are junk by these rules: the value, its rule and its junk words.

    ``words`` holds each distinct value's words (columns ``value``, ``word``), ``vocabulary``
    the distinct words. A value is junk when every word in it is a junk word or a neutral one
    (single letters, initials and the N and A of "N/A", are neutral), and one at least is a
    junk word.
    """
    rank: Any = pl
    for number, (_, test) in enumerate(word_rules.tests):
        rank = rank.when(test).then(pl.lit(number))
    rank = rank.otherwise(pl.lit(None, pl.Int32()))
    # A neutral word is never a junk word ("III" of "Henry III" is not a repeated letter), nor
    # is a real surname in the LastName.
    neutral_word = pl.col("word").is_in(list(neutral)) | (pl.col("word").str.len_chars() == 1)
    not_junk = neutral_word | pl.col("word").is_in(list(word_rules.real_surnames))
    # Judge each distinct word once, then whole values only where a junk word occurs (few).
    vocabulary = vocabulary.with_columns(
        rank=pl.when(not_junk).then(pl.lit(None, pl.Int32())).otherwise(rank), neutral=neutral_word
    )
    junk_words = vocabulary.filter(pl.col("rank").is_not_null()).select("word")
    candidates = words.join(junk_words, on="word", how="semi").select("value").unique()
    names = [name for name, _ in word_rules.tests]
    return (
        words.join(candidates, on="value", how="semi")
        .join(vocabulary, on="word", how="left")
        .group_by("value")
        .agg(
            text=pl.col("text").first(),
            clean=(pl.col("rank").is_not_null() | pl.col("neutral")).all(),
            rank=pl.col("rank").min(),
            words=pl.col("word").filter(pl.col("rank").is_not_null()).unique(),
        )
        .filter(pl.col("clean"))
        .select(
            "value",
            "text",
            rule=pl.col("rank").replace_strict(list(range(len(names))), names, return_dtype=_TEXT),
            words="words",
        )
    )


@dataclass(frozen=True)
class _WordField:
    """A field judged word by word: the column it comes from, the part of it judged, how findings name it."""

    column: str
    field: str
    label: str
    rules: tuple[_WordRules, ...]
    part: str = ""


# The parts of an email judged on their own: "jane+test@fake.co.uk" is jane, test and fake.co.
_EMAIL_PARTS = {
    "local": r"^([^@+]*)(?:\+[^@]*)?@[^@]*$",
    "tag": r"^[^@+]*\+([^@]*)@[^@]*$",
    "domain": r"@([^@]*)\.[^.@]*$",
}


def _word_fields(rules: JunkRules) -> list[_WordField]:
    person = _test_rules(rules, names=True, organisation=False)
    surname = _WordRules(person.category, person.tests, person.hints, person.hint_patterns, tuple(rules.real_surnames))
    organisation = _test_rules(rules, names=False, organisation=True)
    address = _test_rules(rules, names=False, organisation=False)
    seeker = _listed("job_seeker", "job_seeker_words", rules.job_seeker_words)
    individual = _listed("individual", "individual_words", rules.individual_words)
    free_text = tuple(found for found in (seeker, individual) if found)
    return [
        _WordField("FirstName", "FirstName", "FirstName", (person,)),
        _WordField("LastName", "LastName", "LastName", (surname,)),
        _WordField("Company", "Company", "Company", (organisation, *free_text)),
        _WordField("Email", "Email", "Email local part", (address,), part="local"),
        _WordField("Email", "Email", "Email +tag", (address,), part="tag"),
        _WordField("Email", "Email", "Email domain", (organisation,), part="domain"),
        _WordField("Title", "Title", "Title", free_text),
    ]


def _hints(word_fields: Iterable[_WordField]) -> pl.Expr | None:
    """True for text that may hold a junk word of these fields' rules (one of their hints inside)."""
    rules = [word_rules for word_field in word_fields for word_rules in word_field.rules]
    hints = {hint for word_rules in rules for hint in word_rules.hints}
    patterns = sorted({pattern for word_rules in rules for pattern in word_rules.hint_patterns})
    if not hints and not patterns:
        return None
    # One regex of literals (the engine searches them together, faster here than contains_any).
    return (
        pl.col("text")
        .str.contains("|".join([*([_alternation(hints)] if hints else []), *patterns]))
        .fill_null(value=False)
    )


def _maybe_junk(leads: pl.DataFrame, column: str, word_fields: Sequence[_WordField]) -> pl.DataFrame:
    """A column's distinct values (``value``) that may hold a junk word, with their lower-case text (``text``).

    A cheap substring search over every distinct value leaves the few worth splitting into
    words: the 1M-record audit must not pay for word lists of half a million values.
    """
    maybe = _hints(word_fields)
    if maybe is None:
        return pl.DataFrame(schema={"value": _TEXT, "text": _TEXT})
    values = leads.select(value=pl.col(column)).drop_nulls()
    # Names and titles repeat: search their distinct values. Companies and emails barely do
    # (measured at 1M records): search them all and deduplicate the few found.
    if column in {"FirstName", "LastName", "Title"}:
        values = values.unique()
    return values.with_columns(text=pl.col("value").str.strip_chars().str.to_lowercase()).filter(maybe).unique()


def _candidates(maybe_junk: pl.DataFrame, word_field: _WordField) -> pl.DataFrame:
    """The values of one field (of `_maybe_junk`'s) that may hold a junk word, one row per word."""
    found = maybe_junk
    if word_field.part:
        # A hint in the part is a hint in the whole value: filter first, cut the part out after.
        found = found.with_columns(text=pl.col("text").str.extract(_EMAIL_PARTS[word_field.part]))
    maybe = _hints([word_field])
    if maybe is not None:
        found = found.filter(maybe)
    return found.with_columns(word=pl.col("text").str.extract_all(_WORDS)).explode("word").drop_nulls("word")


def _judge_words(leads: pl.DataFrame, rules: JunkRules) -> tuple[pl.DataFrame, list[_Signal], list[pl.DataFrame]]:
    """Judge the word-judged fields on their distinct values.

    Returns:
        The leads with ``_real_surname`` added; a signal per field and rules (its hit a
        membership test over all leads); and per signal the verdicts (the judged value, its
        rule and the text shown) to join onto the few leads that fire.
    """
    neutral = sorted(set(rules.neutral_words))
    surnames = sorted(set(rules.real_surnames))
    # A real surname that is also a test word ("Sample") is the person's name: in a lead whose
    # LastName holds one, such words count nowhere (Company "Sample Inc", sample@...).
    pattern = rf"(?i)\b(?:{_alternation(surnames)})\b" if surnames else None
    real_surname = pl.col("LastName").str.contains(pattern).fill_null(value=False) if pattern else pl.lit(value=False)
    leads = leads.with_columns(_real_surname=real_surname)
    signals: list[_Signal] = []
    joins: list[pl.DataFrame] = []
    word_fields = _word_fields(rules)
    maybe_junk: dict[str, pl.DataFrame] = {}
    for word_field in word_fields:
        column = word_field.column
        if column not in maybe_junk:
            maybe_junk[column] = _maybe_junk(leads, column, [each for each in word_fields if each.column == column])
        words = _candidates(maybe_junk[column], word_field)
        vocabulary = words.select("word").unique()
        for word_rules in word_field.rules:
            if not word_rules.tests:  # every rule of the field switched off
                continue
            number = len(signals)
            verdicts = _verdicts(words, vocabulary, word_rules, neutral)
            by_name = verdicts.get_column("words").list.eval(pl.element().is_in(surnames)).list.all()
            named, plain = verdicts.filter(by_name).get_column("value"), verdicts.filter(~by_name).get_column("value")
            # The first name is no surname: "Sample Sample" is a test.
            spared = pl.lit(value=False) if column == "FirstName" else pl.col("_real_surname")
            hit = pl.col(column).is_in(plain.implode()) | (pl.col(column).is_in(named.implode()) & ~spared)
            if word_field.field == "Email":
                hit &= ~pl.col("_not_test_domain")
            # An email part is shown as judged (the domain whole): "asdf123", "fake.com".
            shown = _DOMAIN if word_field.part == "domain" else pl.col(f"_text{number}" if word_field.part else column)
            rule = pl.col(f"_rule{number}")
            signals.append(_Signal(word_rules.category, word_field.field, word_field.label, hit, shown, rule))
            joins.append(
                verdicts.select(
                    pl.col("value").alias(column), pl.col("text").alias(f"_text{number}"), rule=pl.col("rule")
                ).rename({"rule": f"_rule{number}"})
            )
    return leads, signals, joins


# -- the check ------------------------------------------------------------------------------


def _signals(rules: JunkRules, word_signals: list[_Signal]) -> list[_Signal]:
    signals = [
        *[signal for signal in word_signals if signal.category == "test_record"],
        *_phrase_signals("test_record", "test_names", ("_name", "Company"), rules.test_names),
        _domain_signal("test_record", "test_domains", pl.col("_test_domain") & ~pl.col("_not_test_domain")),
        _domain_signal("internal_employee", "own_domains", pl.col("_own_domain")),
        _domain_signal("competitor", "competitor_domains", pl.col("_competitor_domain")),
        _domain_signal("disposable_email", "disposable_domains", pl.col("_disposable_domain")),
        _domain_signal("student", "student_domain_suffixes", pl.col("_student_domain")),
        *_phrase_signals("student", "student_titles", ("Title",), rules.student_titles),
        *_phrase_signals(
            "job_seeker", "job_seeker_phrases", ("Title", "Description", "Company"), rules.job_seeker_phrases
        ),
        *[signal for signal in word_signals if signal.category != "test_record"],
    ]
    # Stable: within a category, the order above (word rules before phrases before domains).
    return sorted(signals, key=lambda signal: CATEGORIES.index(signal.category))


def _first(signals: list[_Signal], value: str) -> pl.Expr:
    """The category, field, label, rule or shown value of the first signal that fires (null when none does)."""
    chain: Any = pl
    for number, signal in enumerate(signals):
        attribute = getattr(signal, value)
        then = attribute if isinstance(attribute, pl.Expr) else pl.lit(attribute)
        chain = chain.when(pl.col(f"_hit{number}")).then(then)
    first: pl.Expr = chain.otherwise(pl.lit(None, _TEXT))
    return first


def _junk(ctx: CheckContext) -> list[Finding]:
    leads = ctx.snapshot.frame(
        "Lead", {"Id": _TEXT, "Status": _TEXT, "IsConverted": pl.Boolean()} | dict.fromkeys(_FIELDS, _TEXT)
    )
    email = pl.col("Email").str.strip_chars().str.to_lowercase()
    leads = leads.filter(ctx.open_lead_filter()).with_columns(
        _domain=email.str.extract(r"@([^@\s]+)$").str.strip_chars_end("."),
        _name=pl.concat_str(pl.col("FirstName"), pl.col("LastName"), separator=" ", ignore_nulls=True),
    )
    rules = ctx.rules.junk
    leads = _with_domain_lists(leads, rules)
    leads, word_signals, verdicts = _judge_words(leads, rules)
    signals = _signals(rules, word_signals)
    # Test every signal once over all open leads; pick the first one only on the few that fire.
    hits = {f"_hit{number}": signal.hit.fill_null(value=False) for number, signal in enumerate(signals)}
    flagged = leads.with_columns(**hits).filter(pl.any_horizontal(list(hits)))
    for found in verdicts:
        flagged = flagged.join(found, on=found.columns[0], how="left", nulls_equal=False)
    flagged = flagged.with_columns(
        _category=_first(signals, "category"),
        _field=_first(signals, "field"),
        _label=_first(signals, "label"),
        _rule=_first(signals, "rule"),
        _shown=_first(signals, "shown"),
    )
    return [_finding(ctx, row) for row in flagged.iter_rows(named=True)]


def _finding(ctx: CheckContext, row: dict[str, Any]) -> Finding:
    category, status, rule = row["_category"], ctx.statuses.disqualified, row["_rule"]
    if category == "test_record":
        action = "Delete the test record" + (f" (or set Status to {status!r})." if status else ".")
    else:
        action = (
            f"Disqualify it: set Status to {status!r}." if status else "Disqualify it (close it as not a prospect)."
        )
    reason = _REASONS[category].format(label=row["_label"], shown=row["_shown"], how=_HOW.get(rule, ""), rule=rule)
    return ctx.finding(
        "junk_lead",
        sobject="Lead",
        record_id=row["Id"],
        reason=reason,
        suggested_action=action,
        evidence={
            "category": category,
            "rule": rule,
            "matched_field": row["_field"],
            "matched_value": row["_shown"],
            "Status": row["Status"],
        }
        | {name: row[name] for name in ("Email", "Company", "Title")},
        suggested_values={"Status": status} if status else {},
    )


junk_lead = Check(
    name="junk_lead",
    title="Junk leads",
    explains=(
        "Open leads that are not prospects: test records, colleagues, competitors, disposable addresses, students, "
        "job seekers and private individuals. Each gets one reason (in that priority order), naming the rule and "
        "the value; the fix disqualifies them."
    ),
    run=_junk,
    needs=lambda _rules: {"Lead": frozenset({"Id", "Status", "IsConverted", *_FIELDS})},
    objects=("Lead",),
)

#: This module's checks, in report order.
CHECKS: tuple[Check, ...] = (junk_lead,)
