"""SOAP writes: ``convertLead``, ``merge`` and ``undelete``, which REST does not have.

The envelopes and the reading of results are :mod:`.convert` and :mod:`.merge` (on the common
wire format of :mod:`.soap`); this sends them through the partner API endpoint
``/services/Soap/u/<version>``. None is idempotent, so none is sent again once it may have
reached Salesforce; a lost answer is settled by re-reading the records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog

from sfbridge.errors import ProtocolError
from sfbridge.salesforce.client import Client
from sfbridge.salesforce.connection import OrgConnection
from sfbridge.salesforce.convert import (
    MAX_CONVERTS,
    LeadConvert,
    LeadConvertResult,
    convert_request,
    parse_convert_response,
)
from sfbridge.salesforce.merge import (
    MAX_MERGE_REQUESTS,
    MAX_UNDELETES,
    MergeRequest,
    MergeResult,
    UndeleteResult,
    merge_request,
    parse_merge_response,
    parse_undelete_response,
    undelete_request,
)
from sfbridge.salesforce.soap import soap_api_usage, soap_fault

__all__ = ["SoapWrites"]

log = structlog.get_logger()


class SoapWrites(OrgConnection):
    """The gateway's SOAP writes (partner API)."""

    def convert_leads(
        self,
        converts: Sequence[LeadConvert],
        *,
        allow_duplicate_save: bool | None = None,
    ) -> list[LeadConvertResult]:
        """Convert up to 100 leads with the SOAP ``convertLead`` call (REST has none).

        A conversion cannot be undone, so the call is never sent again once it may have reached
        Salesforce: after a timeout or a reset the transport error is raised, and the caller
        re-reads the leads to learn what happened. An expired session is renewed and the call
        repeated once: Salesforce refuses the session before it converts anything.

        Args:
            converts: the leads, at most 100 (callers batch).
            allow_duplicate_save: when not None, sent as the DuplicateRuleHeader's ``allowSave``.

        Returns:
            One result per lead, in the order given; a refused lead is a result with its errors.

        Raises:
            ValueError: for more than 100 leads, before anything is sent.
            AuthenticationError: when the session is refused and cannot be renewed.
            ApiBudgetError: when the org's API allowance, or sfbridge's reserve, is used up.
            RetriableSalesforceError: when the connection failed (the leads may be converted), or
                a fault says Salesforce is briefly unavailable.
            ProtocolError: when the answer does not account for every lead; some may be converted.
            FatalSalesforceError: for any other SOAP fault (nothing was converted).
        """
        if len(converts) > MAX_CONVERTS:
            msg = f"convert leads: {len(converts)} leads given; one call takes at most {MAX_CONVERTS}, send batches"
            raise ValueError(msg)
        if not converts:
            return []
        body = self._soap(
            "convert leads",
            lambda session: convert_request(converts, session_id=session, allow_duplicate_save=allow_duplicate_save),
            sobject="Lead",
        )
        try:
            results = parse_convert_response(body, expected=[convert.lead_id for convert in converts])
        except ProtocolError as exc:
            msg = f"{exc}; some of the {len(converts)} leads may be converted: re-read them before sending again"
            raise ProtocolError(msg) from exc
        log.info("salesforce_leads_converted", leads=len(converts), converted=sum(r.success for r in results))
        return results

    def merge_records(self, merges: Sequence[MergeRequest]) -> list[MergeResult]:
        """Merge duplicates with the SOAP ``merge`` call (REST has none): up to 200 merges a call.

        Each merge is its own transaction in Salesforce, and none may be sent twice: a merge
        whose answer was lost may have happened (its merged records deleted, their children
        re-parented), so after a timeout or a reset the transport error is raised and the caller
        re-reads the records (``queryAll`` shows merged ones deleted, with ``MasterRecordId``).

        Args:
            merges: the merges, at most 200 (callers batch); all of one object.

        Returns:
            One result per merge, in the order given; a refused merge is a result with its errors.

        Raises:
            ValueError: for more than 200 merges or merges of two objects, before anything is sent.
            RetriableSalesforceError: when the connection failed (merges may have happened), or
                a fault says Salesforce is briefly unavailable.
            ProtocolError: when the answer does not account for every merge; some may have happened.
            FatalSalesforceError: for any other SOAP fault (nothing was merged).
        """
        if len(merges) > MAX_MERGE_REQUESTS:
            msg = f"merge records: {len(merges)} merges given; one call takes at most {MAX_MERGE_REQUESTS}"
            raise ValueError(msg)
        if not merges:
            return []
        objects = {merge.sobject for merge in merges}
        if len(objects) > 1:
            msg = f"merge records: one call merges one object, not {', '.join(sorted(objects))}"
            raise ValueError(msg)
        sobject = objects.pop()
        body = self._soap("merge records", lambda session: merge_request(merges, session_id=session), sobject=sobject)
        try:
            results = parse_merge_response(body, masters=[merge.master_id for merge in merges])
        except ProtocolError as exc:
            msg = f"{exc}; some of the {len(merges)} merges may have happened: re-read the records before sending again"
            raise ProtocolError(msg) from exc
        log.info(
            "salesforce_records_merged", sobject=sobject, merges=len(merges), merged=sum(r.success for r in results)
        )
        return results

    def undelete_records(self, ids: Sequence[str]) -> list[UndeleteResult]:
        """Take records out of the Recycle Bin with the SOAP ``undelete`` call: up to 200 a call.

        Undeleting cannot happen twice (a record no longer in the Recycle Bin is refused, not
        restored again), so a lost answer is settled by re-reading the records.

        Args:
            ids: the deleted records' Ids.

        Returns:
            One result per Id, in the order given.

        Raises:
            ValueError: for more than 200 Ids, before anything is sent.
            SalesforceError: as for :meth:`merge_records`.
        """
        if len(ids) > MAX_UNDELETES:
            msg = f"undelete records: {len(ids)} Ids given; one call takes at most {MAX_UNDELETES}"
            raise ValueError(msg)
        if not ids:
            return []
        body = self._soap("undelete records", lambda session: undelete_request(ids, session_id=session))
        results = parse_undelete_response(body, ids=ids)
        log.info("salesforce_records_undeleted", records=len(ids), undeleted=sum(r.success for r in results))
        return results

    def _soap(self, what: str, envelope: Callable[[str], bytes], *, sobject: str | None = None) -> bytes:
        """POST a partner API envelope (built for the session on each attempt); the answer's body.

        Never repeated once it may have reached Salesforce (SOAP writes are not idempotent):
        only an expired session is renewed and the call made again, which Salesforce refuses
        before doing anything. The org's API usage is read from the answer's LimitInfoHeader.
        """
        url_path = f"/services/Soap/u/{self.api_version}"
        # SOAP 1.1: the partner WSDL binds every operation with soapAction="".
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}

        def send(sf: Client) -> bytes:
            # Built on each attempt: after a renewal the envelope carries the new session id.
            response = sf.session.post(
                f"https://{sf.sf_instance}{url_path}", data=envelope(sf.session_id), headers=headers
            )
            fault = soap_fault(response.content, response.status_code, headers=response.headers, sobject=sobject)
            if fault is not None:
                raise fault
            return response.content

        body = self._call(what, send, sobject=sobject, idempotent=False)
        usage = soap_api_usage(body)
        if usage is not None:  # SOAP reports the allowance in its LimitInfoHeader, not Sforce-Limit-Info
            self.usage.used, self.usage.limit = usage
        return body
