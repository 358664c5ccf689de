"""Check rules as code: thresholds, status lists, policies and patterns, from ``rules.toml``.

Every threshold the checks use is a setting here, with a default that suits most orgs
(``config/rules.toml`` ships them, commented). Status lists default to ``"auto"``: read from
the org's own LeadStatus values, never from hard-coded labels. Invalid rules fail with a
message naming the file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sfbridge.errors import ConfigError
from sfbridge.matching import best_values, placeholders, survivorship
from sfbridge.matching.phones import DEFAULT_PLACEHOLDERS, PhoneSettings
from sfbridge.models import Severity
from sfbridge.tomlfile import read_toml, unknown_key

__all__ = [
    "CHECK_SEVERITIES",
    "PLAN_ACTIONS",
    "ConversionRules",
    "DuplicateRules",
    "JunkRules",
    "LeadSourceRules",
    "MergedValueRules",
    "PhoneRules",
    "PlanAction",
    "PlanRules",
    "Rules",
    "StatusRules",
    "SurvivorRules",
    "load_rules",
    "rules_digest",
]

Days = Annotated[int, Field(ge=1, le=3650)]
Auto = Literal["auto"]

#: The default severity of each check's findings (override under [severity]).
CHECK_SEVERITIES: dict[str, Severity] = {
    "stale_lead": Severity.LOW,
    "never_touched_lead": Severity.MEDIUM,
    "duplicate": Severity.MEDIUM,
    "missing_lead_source": Severity.LOW,
    "premature_conversion": Severity.HIGH,
    "junk_lead": Severity.MEDIUM,
    "lead_is_existing_contact": Severity.HIGH,
    "lead_matches_account": Severity.MEDIUM,
    "inactive_owner": Severity.HIGH,
    "queue_aging": Severity.MEDIUM,
    "orphan_contact": Severity.LOW,
    "bounced_email": Severity.MEDIUM,
    "invalid_email": Severity.MEDIUM,
    "invalid_phone": Severity.LOW,
    "phone_format": Severity.INFO,
    "ready_to_convert": Severity.INFO,
}


# Codes people write for a region that ISO 3166 (and so the phone library) names otherwise.
_REGION_ALIASES = {"UK": "GB", "EL": "GR"}

# UTM sources most orgs see, and the standard LeadSource picklist value each stands for.
_STANDARD_SOURCES = {
    "google": "Advertisement",
    "bing": "Advertisement",
    "facebook": "Advertisement",
    "linkedin": "Advertisement",
    "newsletter": "Web",
    "website": "Web",
    "organic": "Web",
    "partner": "Partner Referral",
    "webinar": "Webinar",
    "tradeshow": "Trade Show",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusRules(_Section):
    """Which Lead statuses count as open, qualified and closed.

    ``"auto"`` reads the org's LeadStatus values: closed = converted statuses plus labels like
    "Closed", "Disqualified", "Unqualified", "Junk"; qualified = labels saying "Qualified"
    (not "Unqualified"/"Disqualified"); open = every other status.
    """

    closed: list[str] | Auto = "auto"
    qualified: list[str] | Auto = "auto"
    disqualified: str | Auto = "auto"


class ConversionRules(_Section):
    """What a lead must show before it is converted (the qualification policy)."""

    qualified_status_required: bool = True
    min_minutes_from_creation: Annotated[int, Field(ge=0, le=525_600)] = 30
    activity_required: bool = True
    score_field: str | None = None
    min_score: float | None = None
    required_fields: list[str] = Field(default_factory=lambda: ["Email", "Phone", "Title"])
    opportunity_required: bool = False
    ready_field: str | None = None


class LeadSourceRules(_Section):
    """Where a missing LeadSource can be inferred from (e.g. a UTM field) and how."""

    inference_field: str | None = "UTM_Source__c"
    mapping: dict[str, str] = Field(default_factory=lambda: dict(_STANDARD_SOURCES))

    @field_validator("mapping")
    @classmethod
    def _fold_keys(cls, mapping: dict[str, str]) -> dict[str, str]:
        # Matching is trimmed and case-insensitive, so keys are stored folded.
        return {key.strip().casefold(): value for key, value in mapping.items()}


# Words that only pad a value around a junk word ("Test Company Inc", "Fake User", "N/A -
# personal"): legal forms, record and form words, placeholders, environments, domain labels.
_NEUTRAL_WORDS = (
    "inc", "llc", "ltd", "co", "corp", "corporation", "company", "companies", "limited", "gmbh", "ag", "sa",
    "sas", "sarl", "srl", "spa", "bv", "nv", "plc", "pty", "kg", "ab", "oy", "llp", "lp", "société", "societe",
    "user", "users", "lead", "leads", "contact", "account", "accounts", "customer", "client", "buyer", "person",
    "people", "record", "entry", "name", "firstname", "lastname", "first", "last", "email", "mail", "form",
    "data", "business", "org", "organisation", "organization", "group", "team", "dept", "department",
    "acme", "abc", "xyz", "example", "the", "and", "of", "my", "your", "new", "another", "qa", "dev", "uat",
    "sandbox", "staging", "prod", "do", "not", "use", "delete", "ignore", "only", "please", "just", "na",
    "none", "null", "nil", "currently", "com", "net", "io", "www", "web", "online", "site",
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv",
)  # fmt: skip

# Rows of keys people run a finger along (QWERTY, AZERTY, QWERTZ), and the alphabet.
_KEYBOARD_ROWS = (
    "qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn", "qwertzuiop", "yxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)  # fmt: skip


class JunkRules(_Section):
    """What marks a lead as junk; every list is matched case-insensitively, an empty list switches its rule off.

    Test-like words, keyboard mashes, repeated letters and vowel-less names are judged per
    field (FirstName, LastName, Company, the email's local part, its +tag and its domain) on
    whole words, and only when the field holds nothing else but ``neutral_words``: "Test
    Company Inc" is a test value, "National Testing Laboratories" is not. A word of
    ``real_surnames`` in the LastName is the person's name there and wherever it recurs in
    the lead (Company, email), never a test marker.
    """

    competitor_domains: list[str] = Field(default_factory=list)
    own_domains: list[str] = Field(default_factory=list)
    extra_disposable_domains: list[str] = Field(default_factory=list)
    student_domain_suffixes: list[str] = Field(default_factory=lambda: [".edu", ".ac.uk", ".edu.au"])
    student_titles: list[str] = Field(default_factory=lambda: ["student", "intern"])
    job_seeker_phrases: list[str] = Field(
        default_factory=lambda: [
            "job seeker",
            "looking for a job",
            "career opportunities",
            "open to work",
            "looking for work",
            "seeking employment",
            "between jobs",
            "job hunting",
        ]
    )
    job_seeker_words: list[str] = Field(
        default_factory=lambda: ["unemployed", "jobless", "jobseeker", "jobseeking", "arbeitslos", "arbeitssuchend"]
    )
    individual_words: list[str] = Field(
        default_factory=lambda: [
            "self",
            "individual",
            "private",
            "personal",
            "myself",
            "home",
            "retired",
            "homeowner",
            "consumer",
            "privat",
            "privatperson",
            "particulier",
            "particular",
            "privado",
            "privato",
        ]
    )
    test_names: list[str] = Field(
        default_factory=lambda: ["test test", "asdf", "mickey mouse", "donald duck", "foo bar", "john doe test"]
    )
    test_domains: list[str] = Field(default_factory=lambda: ["example.com", "example.org", "example.net", "test.com"])
    not_test_domains: list[str] = Field(default_factory=lambda: ["test.de"])
    test_words: list[str] = Field(
        default_factory=lambda: [
            "test",
            "tester",
            "testing",
            "asdf",
            "qwerty",
            "xxx",
            "dummy",
            "fake",
            "sample",
            "demo",
            "foobar",
            "prueba",
        ]
    )
    test_word_stems: list[str] = Field(default_factory=lambda: ["test"])
    test_word_prefixes: list[str] = Field(default_factory=lambda: ["mc", "mac"])
    test_word_suffixes: list[str] = Field(default_factory=lambda: ["y", "er", "ers", "ing", "ed", "erson", "face"])
    keyboard_rows: list[str] = Field(default_factory=lambda: list(_KEYBOARD_ROWS))
    repeated_letters_min: Annotated[int, Field(ge=0, le=20)] = 3
    repeated_letters_min_company: Annotated[int, Field(ge=0, le=20)] = 4
    no_vowels_min_length: Annotated[int, Field(ge=0, le=40)] = 0
    neutral_words: list[str] = Field(default_factory=lambda: list(_NEUTRAL_WORDS))
    real_surnames: list[str] = Field(default_factory=lambda: ["sample", "tester", "demo"])

    @field_validator(
        "job_seeker_words",
        "individual_words",
        "test_words",
        "test_word_stems",
        "test_word_prefixes",
        "test_word_suffixes",
        "keyboard_rows",
        "neutral_words",
        "real_surnames",
    )
    @classmethod
    def _one_word_each(cls, words: list[str]) -> list[str]:
        # Words are compared with whole lower-cased words of a value: a space or a stray
        # character in one could never match, so it is refused rather than ignored.
        folded = [word.strip().lower() for word in words]
        bad = [word for word in folded if not word.isalpha()]
        if bad:
            msg = f"{bad[0]!r} is not one word of letters (each entry is matched against one whole word)"
            raise ValueError(msg)
        return folded


def _region_code(region: str) -> str:
    # A region the phone library does not know would read every local number as invalid.
    code = region.strip().upper()
    if code in phonenumbers.SUPPORTED_REGIONS:
        return code
    known = sorted(phonenumbers.SUPPORTED_REGIONS)
    close = _REGION_ALIASES.get(code) or next(iter(difflib.get_close_matches(code, known, n=1, cutoff=0.5)), None)
    msg = f"{region!r} is not a region the phone library knows (ISO 3166 codes such as 'US', 'GB' or 'DE')"
    raise ValueError(msg + (f"; did you mean {close!r}?" if close else ""))


#: What a phone number must reach for ``invalid_phone`` to pass it, lowest first.
PhoneRequirement = Literal["format", "possible", "valid"]
_PLACEHOLDER_DIGITS = 4  # fewer digits than this are too short to be a number: reported anyway


class PhoneRules(_Section):
    """What ``invalid_phone`` reports, which numbers are placeholders, and where else a number is read.

    ``require`` is what a number must be not to be reported: ``format`` (phone characters
    and 7-15 digits), ``possible`` (a dialable length in its region or a fallback region),
    ``valid`` (in an allocated range of its country's numbering plan). Placeholders are
    reported whatever ``require`` says, and matching counts only valid numbers as evidence.
    ``fallback_regions`` ``"auto"`` is the default region, then the org's most common ones.
    """

    require: PhoneRequirement = "valid"
    placeholders: list[str] = Field(default_factory=lambda: list(DEFAULT_PLACEHOLDERS))
    placeholder_patterns: bool = True
    fallback_regions: list[str] | Auto = "auto"

    @field_validator("placeholders")
    @classmethod
    def _numbers(cls, placeholders: list[str]) -> list[str]:
        for text in placeholders:
            if sum(char.isdigit() for char in text) < _PLACEHOLDER_DIGITS:
                msg = f"{text!r} has fewer than {_PLACEHOLDER_DIGITS} digits; list numbers (text is reported anyway)"
                raise ValueError(msg)
        return placeholders

    @field_validator("fallback_regions")
    @classmethod
    def _known_regions(cls, regions: list[str] | Auto) -> list[str] | Auto:
        return regions if regions == "auto" else [_region_code(region) for region in regions]

    def settings(self) -> PhoneSettings:
        """These rules as the matching engine reads them."""
        return PhoneSettings(
            placeholders=tuple(self.placeholders),
            placeholder_patterns=self.placeholder_patterns,
            fallback_regions=None if self.fallback_regions == "auto" else tuple(self.fallback_regions),
        )


def _names(value: Any, allowed: tuple[str, ...], *, what: str, plural: str) -> list[str]:  # noqa: ANN401 (a TOML value)
    """A name or list of names, each one of ``allowed`` (with the closest one suggested) and none twice."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        msg = f"give a {what} or a list of them: {', '.join(allowed)}"
        raise ValueError(msg)
    for name in names:
        if name not in allowed:
            # A high cutoff: "newest" (a survivor criterion) is no misspelt "longest".
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.8)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"{name!r} is not a {what}{hint} ({plural} are {', '.join(allowed)})"
            raise ValueError(msg)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        msg = f"{', '.join(map(repr, repeated))} given twice: each {what} decides once, in the order given"
        raise ValueError(msg)
    return names


class SurvivorRules(_Section):
    """Which record of a duplicate cluster is kept: the others merge into it.

    ``order`` lists criteria (see :mod:`sfbridge.matching.survivorship`), most important first;
    the oldest record Id breaks the last ties. ``contact`` first keeps a Contact over a Lead,
    as a Lead can be converted into a Contact but never the reverse.
    """

    order: list[survivorship.SurvivorCriterion] = Field(default_factory=lambda: list(survivorship.DEFAULT_ORDER))

    @field_validator("order", mode="before")
    @classmethod
    def _criteria(cls, order: Any) -> list[str]:  # noqa: ANN401 (a TOML value)
        # Checked here for a message that lists the choices; the annotation then types them.
        return _names(order, survivorship.SURVIVOR_CRITERIA, what="survivor criterion", plural="survivor criteria")

    def criteria(self) -> tuple[survivorship.SurvivorCriterion, ...]:
        """The order as the matching engine reads it."""
        return tuple(self.order)


def _value_rules(target: str) -> Any:  # noqa: ANN401 (a pydantic field)
    return Field(default_factory=lambda: list(best_values.ValueRules().of(target)))


class MergedValueRules(_Section):
    """Which value each field of a merged record takes (see :mod:`sfbridge.matching.best_values`).

    Each key is a field's rule or list of rules, most important first; the survivor ranking
    breaks the last ties. ``address`` chooses street, city, state, postal code and country
    together, from one record. ``default``, when set, replaces the built-in rules of every
    field the file does not set.
    """

    default: list[best_values.ValueRule] | None = None
    first_name: list[best_values.ValueRule] = _value_rules("first_name")
    last_name: list[best_values.ValueRule] = _value_rules("last_name")
    email: list[best_values.ValueRule] = _value_rules("email")
    phone: list[best_values.ValueRule] = _value_rules("phone")
    mobile_phone: list[best_values.ValueRule] = _value_rules("mobile_phone")
    company: list[best_values.ValueRule] = _value_rules("company")
    title: list[best_values.ValueRule] = _value_rules("title")
    address: list[best_values.ValueRule] = _value_rules("address")

    @model_validator(mode="before")
    @classmethod
    def _no_address_parts(cls, data: Any) -> Any:  # noqa: ANN401 (a TOML table)
        # Rules per address part would let a merged record mix one record's street with
        # another's city: name the key that decides them instead of "unknown key".
        parts = [key for key in best_values.ADDRESS_FIELDS if isinstance(data, dict) and key in data]
        if parts:
            msg = (
                f"{', '.join(parts)}: the address ({', '.join(best_values.ADDRESS_FIELDS)}) is chosen as one unit, "
                "from one record; set its rules with `address = ...` instead"
            )
            raise ValueError(msg)
        return data

    @field_validator("default", *best_values.RULE_TARGETS, mode="before")
    @classmethod
    def _rules(cls, rules: Any) -> list[str] | None:  # noqa: ANN401 (a TOML value)
        if rules is None:
            return None
        names = _names(rules, best_values.VALUE_RULES, what="value rule", plural="value rules")
        if not names:
            msg = f"name at least one rule: {', '.join(best_values.VALUE_RULES)}"
            raise ValueError(msg)
        return names

    def value_rules(self) -> best_values.ValueRules:
        """These rules as the matching engine reads them, ``default`` filling the fields not set."""
        chosen = {}
        for target in best_values.RULE_TARGETS:
            rules = getattr(self, target)
            if self.default is not None and target not in self.model_fields_set:
                rules = self.default
            chosen[target] = tuple(rules)
        return best_values.ValueRules(**chosen)


class DuplicateRules(_Section):
    """How close two people must be to be called one, what is no evidence, and limits that keep matching linear.

    The placeholder lists replace the defaults (``sfbridge.matching.placeholders``) when set:
    copy the defaults from config/rules.toml and add to them.
    """

    match_threshold: Annotated[float, Field(ge=0.5, le=1.0)] = 0.85
    max_block_size: Annotated[int, Field(ge=10, le=100_000)] = 100
    learn_weights: bool = True
    # How far the candidate pairs' agreement patterns may move (the share of pairs, 0-1) from
    # those a kept model was learned from before an audit learns it anew (sfbridge.matching.kept_model).
    relearn_drift: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    placeholder_companies: list[str] = Field(default_factory=lambda: list(placeholders.DEFAULT_COMPANIES))
    placeholder_emails: list[str] = Field(default_factory=lambda: list(placeholders.DEFAULT_EMAILS))
    placeholder_names: list[str] = Field(default_factory=lambda: list(placeholders.DEFAULT_NAMES))
    placeholder_full_names: list[str] = Field(default_factory=lambda: list(placeholders.DEFAULT_FULL_NAMES))
    survivor: SurvivorRules = SurvivorRules()
    values: MergedValueRules = MergedValueRules()

    @field_validator("placeholder_emails")
    @classmethod
    def _email_patterns(cls, patterns: list[str]) -> list[str]:
        # A pattern without "@" would match no address, so it is a mistake, not a choice.
        wrong = [pattern for pattern in patterns if "@" not in pattern]
        if wrong:
            shown = ", ".join(map(repr, wrong))
            msg = f"{shown} cannot match an email address: write patterns such as 'none@*' or '*@none.com'"
            raise ValueError(msg)
        return [pattern.strip().lower() for pattern in patterns]

    def placeholders(self) -> placeholders.Placeholders:
        """The placeholder values these rules name."""
        return placeholders.Placeholders(
            companies=tuple(self.placeholder_companies),
            emails=tuple(self.placeholder_emails),
            names=tuple(self.placeholder_names),
            full_names=tuple(self.placeholder_full_names),
        )


#: An action ``sfbridge plan`` can propose, named by what it does.
PlanAction = Literal[
    "convert_existing_contact",  # lead_is_existing_contact: convert into that Contact and its Account
    "convert_into_account",  # lead_matches_account: convert into that Account, with a new Contact
    "convert_ready",  # ready_to_convert: convert with a new Account, an Opportunity per the policy
    "disqualify_junk",  # junk_lead: set the disqualified status
    "fill_lead_source",  # missing_lead_source with an inferred value: set LeadSource
    "reassign_inactive_owner",  # inactive_owner: set OwnerId to the fallback owner
    "merge_duplicates",  # duplicate: merge a cluster's Leads, and its Contacts, into its survivor
]
PLAN_ACTIONS: tuple[PlanAction, ...] = get_args(PlanAction)

_SALESFORCE_ID = r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"


class PlanRules(_Section):
    """How findings become actions in a plan (nothing is written until a plan is applied).

    Junk leads get the status ``statuses.disqualified`` names; ``converted_status`` ``"auto"``
    takes the org's first converted LeadStatus. A lead owned by a queue cannot be converted
    without a user to own the new records: ``convert_owner_id`` (else ``fallback_owner_id``
    when it is a user).
    """

    actions: list[PlanAction] = Field(default_factory=lambda: list(PLAN_ACTIONS))
    converted_status: str | Auto = "auto"
    disqualified_reason_field: str | None = None
    fallback_owner_id: Annotated[str | None, Field(pattern=_SALESFORCE_ID)] = None
    convert_owner_id: Annotated[str | None, Field(pattern=_SALESFORCE_ID)] = None
    opportunity_for_matches: bool = False
    convert_batch_size: Annotated[int, Field(ge=1, le=100)] = 50


class MergeRules(_Section):
    """When ``sfbridge plan`` proposes merging a duplicate cluster, and what it never merges by itself.

    The master is the cluster's survivor (``[duplicates.survivor]``) and takes the values
    ``[duplicates.values]`` chooses, field by field; every other field keeps the master's own
    value, as a Salesforce merge does. A cluster these rules hold back becomes a plan note
    with the reason, for a person to decide.
    """

    merge_threshold: Annotated[float, Field(ge=0.5, le=1.0)] = 0.95
    same_owner_only: bool = False
    same_record_type_only: bool = True
    batch_size: Annotated[int, Field(ge=1, le=200)] = 50


class Rules(_Section):
    """Everything the checks are configured by."""

    stale_days: Days = 90
    never_touched_days: Days = 30
    queue_age_days: Days = 7
    default_phone_region: Annotated[str, Field(min_length=2, max_length=2)] = "US"
    statuses: StatusRules = StatusRules()
    conversion: ConversionRules = ConversionRules()
    lead_source: LeadSourceRules = LeadSourceRules()
    junk: JunkRules = JunkRules()
    duplicates: DuplicateRules = DuplicateRules()
    phones: PhoneRules = PhoneRules()
    plan: PlanRules = PlanRules()
    merge: MergeRules = MergeRules()
    severity: dict[str, Severity] = Field(default_factory=dict)

    @field_validator("default_phone_region")
    @classmethod
    def _known_region(cls, region: str) -> str:
        return _region_code(region)

    @field_validator("severity")
    @classmethod
    def _known_checks(cls, severity: dict[str, Severity]) -> dict[str, Severity]:
        unknown = sorted(set(severity) - set(CHECK_SEVERITIES))
        if unknown:
            msg = f"unknown check(s) {', '.join(unknown)}; checks are {', '.join(CHECK_SEVERITIES)}"
            raise ValueError(msg)
        return severity

    def severity_of(self, check: str) -> Severity:
        """The severity of a check's findings (the configured one, else its default)."""
        return self.severity.get(check, CHECK_SEVERITIES.get(check, Severity.MEDIUM))


def rules_digest(rules: Rules) -> str:
    """A digest of the rules: a plan names the rules it was made under, a run the rules its findings came from."""
    return hashlib.sha256(rules.model_dump_json().encode()).hexdigest()


def load_rules(path: Path | None) -> Rules:
    """Read rules from a TOML file (or the defaults when there is none).

    Args:
        path: the rules file, or None for the built-in defaults.

    Returns:
        The validated rules.

    Raises:
        ConfigError: naming the file and key of anything wrong.
    """
    if path is None:
        return Rules()
    raw = read_toml(path, what="the rules file")
    try:
        return Rules.model_validate(raw)
    except ValidationError as exc:
        raise _rules_error(exc, path=path) from exc


def _rules_error(exc: ValidationError, *, path: Path) -> ConfigError:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(unknown_key(Rules, error["loc"], where=key))
        else:
            lines.append(f"{key}: {error['msg'].removeprefix('Value error, ')}")
    return ConfigError("\n  ".join(lines), source=str(path))
