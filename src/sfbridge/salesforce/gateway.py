"""The one door to Salesforce: :class:`SalesforceGateway`, joined from parts of one job each.

Every call goes through :meth:`~sfbridge.salesforce.connection.OrgConnection._call`, which
refuses to spend the org's reserved API allowance, retries transient failures with back-off
(idempotent calls only), renews an expired session once, and translates every failure into
sfbridge's exception tree. The calls themselves are grouped by API:

- :mod:`.connection`: logging in, the call path, the API reserve, the server's clock;
- :mod:`.identity`: who the session is, which API versions the org serves;
- :mod:`.rest_reads`: SOQL pages, describes, limits, Get Deleted;
- :mod:`.rest_writes`: sObject Collections updates and the pre-flight re-read;
- :mod:`.soap_writes`: ``convertLead``, ``merge``, ``undelete`` (SOAP only);
- :mod:`.bulk_jobs`: Bulk API 2.0 query jobs.
"""

from __future__ import annotations

from sfbridge.salesforce.bulk_jobs import BulkQueryJobs
from sfbridge.salesforce.identity import Identity, SessionIdentity
from sfbridge.salesforce.rest_reads import RestReads
from sfbridge.salesforce.rest_writes import RestWrites
from sfbridge.salesforce.soap_writes import SoapWrites

__all__ = ["Identity", "SalesforceGateway"]


class SalesforceGateway(SessionIdentity, RestWrites, RestReads, SoapWrites, BulkQueryJobs):
    """A logged-in connection to one org. Create it with :func:`sfbridge.salesforce.connect`.

    Each base adds the calls of one API to the same :class:`~.connection.OrgConnection`, so
    they all share one login, one retry policy and one API budget.
    """
