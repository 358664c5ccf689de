"""Links from a report to the records in Salesforce: ``<instance>/lightning/r/<Object>/<Id>/view``.

Every link is built here, from an instance URL and an Id that are both checked first: the
instance must be a plain ``https://host`` URL, the object an API name, and the Id a
well-formed Salesforce Id of that object (:func:`sfbridge.ids.validate_id`). Anything else
gets no link, so a crafted value in a record can never become a ``javascript:`` or
off-site link in a report.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from sfbridge.ids import KEY_PREFIXES, InvalidIdError, validate_id

__all__ = ["instance_base", "lightning_url", "sobject_of"]

_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?")
_OBJECT_OF_PREFIX = {prefix: sobject for sobject, prefix in KEY_PREFIXES.items()}


@lru_cache(maxsize=64)  # a report links tens of thousands of records, all on one or a few instances
def instance_base(instance_url: str | None) -> str | None:
    """The ``https://host`` of an instance URL, or None when it is not a plain HTTPS origin.

    >>> instance_base("https://acme.my.salesforce.com/"), instance_base("javascript:alert(1)")
    ('https://acme.my.salesforce.com', None)
    """
    if not instance_url:
        return None
    parts = urlsplit(instance_url.strip())
    if parts.scheme != "https" or parts.query or parts.fragment or parts.path not in {"", "/"}:
        return None
    if "@" in parts.netloc or not _HOST.fullmatch(parts.netloc):
        return None
    return f"https://{parts.netloc.lower()}"


def lightning_url(instance_url: str | None, sobject: str | None, record_id: str | None) -> str | None:
    """The Lightning Experience page of a record, or None when any part fails its check.

    Args:
        instance_url: the org's instance (``https://acme.my.salesforce.com``).
        sobject: the record's object API name (``Lead``); None: read it from the Id's prefix.
        record_id: a 15- or 18-character Id (the link uses the 18-character form).

    Returns:
        ``<instance>/lightning/r/<Object>/<Id>/view``, or None.

    >>> lightning_url("https://acme.my.salesforce.com", "Lead", "00Q5g00000AbCdEEAV")
    'https://acme.my.salesforce.com/lightning/r/Lead/00Q5g00000AbCdEEAV/view'
    >>> lightning_url("https://acme.my.salesforce.com", "Lead", "<script>") is None
    True
    """
    base = instance_base(instance_url)
    if base is None or not record_id:
        return None
    sobject = sobject or sobject_of(record_id)
    if not sobject or not _API_NAME.fullmatch(sobject):
        return None
    try:
        id18 = validate_id(record_id, sobject=sobject)
    except InvalidIdError:
        return None
    return f"{base}/lightning/r/{sobject}/{id18}/view"


def sobject_of(record_id: str | None) -> str | None:
    """The object an Id belongs to, from its key prefix (for the objects sfbridge knows).

    >>> sobject_of("0035g00000AbCdEAAV"), sobject_of("a0X5g00000AbCdE")
    ('Contact', None)
    """
    if not record_id:
        return None
    return _OBJECT_OF_PREFIX.get(record_id[:3])
