"""Fixed vocabularies of the demo org: sources and their funnel, titles, free-mail, junk cues."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BOUNCE_REASONS",
    "COMPETITORS",
    "DISPOSABLE_DOMAINS",
    "FREE_MAIL",
    "JOB_SEEKER_PHRASES",
    "LEAD_STATUSES",
    "NICKNAMES",
    "OWN_COMPANY",
    "QUALIFIED_STATUSES",
    "SOURCES",
    "STUDENT_DOMAINS",
    "TITLES",
    "UNMAPPED_UTM",
    "UTM_TO_SOURCE",
    "Source",
]


class Source(NamedTuple):
    """A LeadSource value and how leads from it behave.

    Attributes:
        value: the picklist value.
        share: share of all leads.
        convert: probability a lead from this source converts.
        close: probability it is closed without conversion.
        days_to_convert: median days from creation to conversion.
        utm: UTM_Source__c values campaigns of this source carry (empty: none).
    """

    value: str
    share: float
    convert: float
    close: float
    days_to_convert: float
    utm: tuple[str, ...]


# fmt: off
SOURCES: tuple[Source, ...] = (
    Source("Web", 0.27, 0.14, 0.34, 24, ("website", "newsletter", "organic")),
    Source("Advertisement", 0.14, 0.08, 0.40, 35, ("google", "linkedin", "bing", "facebook")),
    Source("Purchased List", 0.11, 0.04, 0.55, 60, ()),
    Source("Webinar", 0.10, 0.18, 0.30, 21, ("webinar",)),
    Source("Partner Referral", 0.09, 0.34, 0.22, 9, ("partner",)),
    Source("Trade Show", 0.08, 0.15, 0.35, 30, ("tradeshow",)),
    Source("Phone Inquiry", 0.08, 0.24, 0.28, 12, ()),
    Source("Employee Referral", 0.05, 0.30, 0.25, 14, ()),
    Source("Other", 0.08, 0.10, 0.38, 28, ()),
)

#: How a missing LeadSource is inferred from UTM_Source__c (case-insensitive, trimmed).
UTM_TO_SOURCE: dict[str, str] = {
    "google": "Advertisement", "linkedin": "Advertisement", "bing": "Advertisement",
    "facebook": "Advertisement", "newsletter": "Web", "website": "Web", "organic": "Web",
    "partner": "Partner Referral", "webinar": "Webinar", "tradeshow": "Trade Show",
}
#: UTM values seen in the org that no mapping covers.
UNMAPPED_UTM = ("podcast", "qr-code", "tiktok_test", "g2crowd", "spring_promo")

LEAD_STATUSES: tuple[tuple[str, bool, bool], ...] = (
    # (value, IsDefault, IsConverted), in SortOrder.
    ("Open - Not Contacted", True, False),
    ("Working - Contacted", False, False),
    ("Marketing Qualified", False, False),
    ("Sales Qualified", False, False),
    ("Closed - Converted", False, True),
    ("Closed - Not Converted", False, False),
)
QUALIFIED_STATUSES = ("Marketing Qualified", "Sales Qualified")

#: Job titles with the department that goes with each.
TITLES: tuple[tuple[str, str], ...] = (
    ("CEO", "Executive"), ("Founder & CEO", "Executive"), ("COO", "Executive"), ("CFO", "Finance"),
    ("CTO", "Engineering"), ("VP of Sales", "Sales"), ("VP Marketing", "Marketing"),
    ("Vice President, Operations", "Operations"), ("Director of Marketing", "Marketing"),
    ("Director of IT", "IT"), ("Head of Procurement", "Procurement"), ("Head of Growth", "Marketing"),
    ("Sales Operations Manager", "Sales"), ("Marketing Manager", "Marketing"), ("IT Manager", "IT"),
    ("Office Manager", "Administration"), ("Operations Manager", "Operations"),
    ("Procurement Specialist", "Procurement"), ("Software Engineer", "Engineering"),
    ("Senior Data Analyst", "Finance"), ("Controller", "Finance"), ("HR Director", "Human Resources"),
    ("Customer Success Lead", "Customer Success"), ("Account Executive", "Sales"),
    ("Product Manager", "Product"), ("Purchasing Agent", "Procurement"), ("Facilities Manager", "Operations"),
    ("Geschäftsführer", "Executive"), ("Directeur Commercial", "Sales"), ("Responsable Achats", "Procurement"),
    ("Director Comercial", "Sales"), ("Responsabile IT", "IT"), ("Inkoper", "Procurement"),
)

FREE_MAIL: dict[str, tuple[str, ...]] = {
    # Per country; gmail.com everywhere is the point of the gmail-only normalisation rules.
    "US": ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"),
    "GB": ("gmail.com", "yahoo.co.uk", "outlook.com", "hotmail.co.uk", "btinternet.com"),
    "DE": ("gmail.com", "gmx.de", "web.de", "t-online.de"),
    "FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net"),
    "AU": ("gmail.com", "bigpond.com", "outlook.com"),
    "CA": ("gmail.com", "outlook.com", "yahoo.ca"),
    "NL": ("gmail.com", "ziggo.nl", "outlook.com"),
    "ES": ("gmail.com", "hotmail.es", "yahoo.es"),
    "IT": ("gmail.com", "libero.it", "virgilio.it"),
    "JP": ("gmail.com", "yahoo.co.jp"),
    "BR": ("gmail.com", "uol.com.br", "hotmail.com"),
    "MX": ("gmail.com", "hotmail.com", "outlook.com"),
    "PL": ("gmail.com", "wp.pl", "onet.pl"),
    "GR": ("gmail.com", "yahoo.gr"),
}

#: The org's own company: leads from this domain are employees testing forms.
OWN_COMPANY = ("Lumen Ridge Software, Inc.", "lumenridge.example")
#: Fictional competitors (company name, domain).
COMPETITORS = (
    ("Corvanta Systems", "corvanta.example"),
    ("Quillfire CRM", "quillfire.example"),
    ("Zentrix Cloud Ltd", "zentrixcloud.example"),
)
#: Domains on the public disposable-address blocklists (e.g. disposable-email-domains).
DISPOSABLE_DOMAINS = ("mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "sharklasers.com")
#: Fictional universities (name, domain).
STUDENT_DOMAINS = (
    ("Northfield State University", "stu.northfield-state.edu"),
    ("Westbrook College", "westbrook-college.edu"),
    ("Ridgemont Institute of Technology", "mail.ridgemont-tech.edu"),
)
JOB_SEEKER_PHRASES = ("job seeker", "looking for a job", "career opportunities", "open to work")

BOUNCE_REASONS = (
    "550 5.1.1 The email account that you tried to reach does not exist.",
    "550 5.1.1 <{email}>: Recipient address rejected: User unknown in virtual mailbox table",
    "552 5.2.2 The email account that you tried to reach is over quota.",
    "554 5.7.1 Message rejected due to content restrictions",
    "550 5.4.1 Recipient address rejected: Access denied",
)

#: Formal given names and the nicknames people sign up with (for duplicate variants).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Betty"), "Margaret": ("Peggy", "Maggie", "Meg"),
    "Richard": ("Rick", "Rich"), "James": ("Jim", "Jimmy"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Jennifer": ("Jen", "Jenny"), "Michael": ("Mike",), "Thomas": ("Tom", "Tommy"), "Joseph": ("Joe",),
    "Daniel": ("Dan", "Danny"), "Anthony": ("Tony",), "Christopher": ("Chris",), "Patricia": ("Pat", "Patty"),
    "Susan": ("Sue",), "Deborah": ("Deb", "Debbie"), "Alexander": ("Alex",), "Jonathan": ("Jon",),
    "Nicholas": ("Nick",), "Edward": ("Ed", "Ted"), "Charles": ("Charlie", "Chuck"), "Samuel": ("Sam",),
    "Benjamin": ("Ben",), "Matthew": ("Matt",), "Andrew": ("Andy", "Drew"), "Steven": ("Steve",),
    "Timothy": ("Tim",), "Rebecca": ("Becky",), "Victoria": ("Vicky",), "Gregory": ("Greg",),
    "Kenneth": ("Ken",), "Abigail": ("Abby",), "Joshua": ("Josh",), "Dorothy": ("Dot",),
}
#: Accented given names and surnames whose accents people drop when typing.
ACCENTED_FIRST = ("José", "André", "Chloé", "Renée", "Zoë", "Inés", "João", "Jürgen", "François", "Léa", "Ángela")
ACCENTED_LAST = ("Müller", "Gómez", "Pérez", "Núñez", "Sánchez", "Lefèvre", "Gonçalves", "Jäger", "Björk", "Dvořák")
# fmt: on
