"""Salesforce record Ids: validation, the 15 → 18 character case-safe form, and key prefixes.

A Salesforce Id is 15 case-sensitive characters; the API returns an 18-character form whose
last three characters encode, five characters at a time, which of the first fifteen are upper
case, so that the Id survives case-insensitive tools (Excel, SQL collations).
https://help.salesforce.com/s/articleView?id=000385585
"""

from __future__ import annotations

import re
import string

__all__ = [
    "KEY_PREFIXES",
    "InvalidIdError",
    "is_queue_id",
    "object_of_id",
    "to_18",
    "validate_id",
]

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_SHAPE = re.compile(r"[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?")

#: Key prefixes (the first three characters) of the objects sfbridge reads and writes.
KEY_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Group": "00G",
    "Lead": "00Q",
    "Task": "00T",
    "Organization": "00D",
    "LeadHistory": "017",
    "LeadStatus": "01J",
}


_OBJECT_OF_PREFIX = {prefix: sobject for sobject, prefix in KEY_PREFIXES.items()}


def object_of_id(record_id: str) -> str | None:
    """The object a record Id belongs to, by its key prefix (None for an object not in :data:`KEY_PREFIXES`).

    >>> object_of_id("00Q9P0000F9qkitUQA"), object_of_id("a0B000000000001")
    ('Lead', None)
    """
    return _OBJECT_OF_PREFIX.get(record_id[:3])


class InvalidIdError(ValueError):
    """A string that is not a well-formed Salesforce Id (or not one of the expected object)."""


# Each character of an Id as a flag: "1" for an upper-case letter, "0" otherwise.
_UPPER_FLAGS = str.maketrans(
    {**dict.fromkeys(string.ascii_uppercase, "1"), **dict.fromkeys(string.ascii_lowercase + string.digits, "0")}
)


def _suffix(id15: str) -> str:
    # Salesforce's case-safe suffix: per 5-character chunk, a bit per upper-case letter (the
    # first character is the lowest bit), read as an index into A-Z0-5. Reports check
    # hundreds of thousands of Ids, so this is string operations, not a loop per character.
    flags = id15.translate(_UPPER_FLAGS)
    return "".join(
        _SUFFIX_ALPHABET[int(flags[start + 4 : None if start == 0 else start - 1 : -1], 2)] for start in (0, 5, 10)
    )


def to_18(record_id: str) -> str:
    """Return the 18-character, case-safe form of a 15- or 18-character Id.

    Args:
        record_id: a Salesforce Id.

    Returns:
        The 18-character Id.

    Raises:
        InvalidIdError: when the string is not a well-formed Id or its checksum is wrong.

    >>> to_18("00Q5g00000AbCdE")
    '00Q5g00000AbCdEEAV'
    """
    return validate_id(record_id)


def validate_id(record_id: str, *, sobject: str | None = None) -> str:
    """Check a 15- or 18-character Id (and its object, when given) and return its 18-char form.

    Args:
        record_id: the Id to check.
        sobject: when given, the Id must carry that object's key prefix.

    Returns:
        The 18-character Id.

    Raises:
        InvalidIdError: naming what is wrong with the Id.

    >>> validate_id("00Q5g00000AbCdEEAV", sobject="Lead")
    '00Q5g00000AbCdEEAV'
    """
    if not isinstance(record_id, str) or not _ID_SHAPE.fullmatch(record_id):
        msg = f"{record_id!r} is not a Salesforce Id (15 or 18 letters and digits)"
        raise InvalidIdError(msg)
    id15 = record_id[:15]
    suffix = _suffix(id15)
    if len(record_id) == 18 and record_id[15:] != suffix:  # noqa: PLR2004 (the 18-char form)
        msg = (
            f"{record_id!r} has a wrong case-safe suffix (expected {id15 + suffix}); "
            "it was probably changed by a case-insensitive tool"
        )
        raise InvalidIdError(msg)
    if sobject is not None:
        prefix = KEY_PREFIXES.get(sobject)
        if prefix is not None and not id15.startswith(prefix):
            msg = f"{record_id!r} is not a {sobject} Id ({sobject} Ids start with {prefix})"
            raise InvalidIdError(msg)
    return id15 + suffix


def is_queue_id(owner_id: str | None) -> bool:
    """Tell whether an OwnerId points at a queue (a Group) rather than a User.

    `Lead.OwnerId` is polymorphic: User (005) or Group/Queue (00G).

    >>> is_queue_id("00G5g000001AbCdEAK"), is_queue_id("0055g000001AbCdEAK"), is_queue_id(None)
    (True, False, False)
    """
    return bool(owner_id) and str(owner_id).startswith(KEY_PREFIXES["Group"])
