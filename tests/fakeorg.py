"""A small org behind `responses`: it answers queries, updates, convertLead, merge and undelete from its records.

Apply's behaviour depends on what the org holds between calls (a lead converted by an
earlier batch, a record changed by someone else), which fixed cassettes cannot express. The
bodies follow the recorded shapes in fixtures/http/ (auth, writes, convert): the same JSON
keys, the partner SOAP envelope, `Sforce-Limit-Info`, 18-character Ids. Tests of the exact
wire formats are the cassette tests (test_convert.py, test_writes.py); this is for behaviour.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import requests
import responses

from conftest import INSTANCE
from sfbridge.ids import to_18

ORG_ID, USER_ID = "00D9P0000L6772hUQA", "0059P0000Am3kw2QQA"
TOKEN = "00D9P0000L6772h!AQ4AQSimulatedAccessTokenNotASecret"
API = f"{INSTANCE}/services/data/v66.0"
SOAP = f"{INSTANCE}/services/Soap/u/66.0"
API_PATH = "/services/data/v66.0"
DESCRIBES = Path(__file__).resolve().parent.parent / "fixtures" / "demo-org" / "describe"  # recorded describes
P = "{urn:partner.soap.sforce.com}"
S = "{urn:sobject.partner.soap.sforce.com}"
_QUERY = re.compile(r"SELECT (?P<fields>.+) FROM (?P<object>\w+) WHERE Id IN \((?P<ids>[^)]*)\)", re.IGNORECASE)


@dataclass
class FakeOrg:
    """Records by Id, and switches for the failures a test wants."""

    records: dict[str, dict[str, Any]]
    org_id: str = ORG_ID
    is_sandbox: bool = True  # Organization.IsSandbox, which apply names and checks against the plan
    refuse_updates: dict[str, tuple[str, str]] = field(default_factory=dict)
    refuse_converts: dict[str, tuple[str, str]] = field(default_factory=dict)
    drop_convert_answer: int = 0  # convert the next N batches, then fail the connection as if timed out
    # Park the next N convert calls: Salesforce is still working on them (slow triggers) when the
    # client gives up or dies (`park_raises`), and converts them after `park_reads` more queries.
    park_converts: int = 0
    park_reads: int = 2
    park_raises: type[BaseException] = requests.ConnectionError
    on_convert: Callable[[list[str]], None] | None = None
    converts_sent: list[list[str]] = field(default_factory=list)
    refuse_merges: dict[str, tuple[str, str]] = field(default_factory=dict)  # by master Id
    drop_merge_answer: int = 0  # merge the next N calls, then fail the connection as if timed out
    on_merge: Callable[[list[str]], None] | None = None  # called with the masters of each merge call
    merges_sent: list[list[tuple[str, tuple[str, ...]]]] = field(default_factory=list)
    undeletes_sent: list[list[str]] = field(default_factory=list)
    drop_undelete_answer: int = 0  # undelete the next N calls, then fail the connection as if timed out
    updates_sent: list[list[dict[str, Any]]] = field(default_factory=list)
    lead_statuses: dict[str, bool] = field(
        default_factory=lambda: {
            "Open - Not Contacted": False,
            "Working - Contacted": False,
            "Closed - Converted": True,
            "Closed - Not Converted": False,
        }
    )
    api_used: int = 1002  # reported in Sforce-Limit-Info and LimitInfoHeader, one more per call
    clock: int = 0  # seconds after 10:00 on 2026-11-03, the SystemModstamp of the next write
    # Salesforce's clock, sent as the Date header of every answer (revert measures the
    # Recycle Bin's 15 days on it).
    now: str = "Tue, 03 Nov 2026 11:00:00 GMT"
    _serial: int = 0
    _parked: list[list[Any]] = field(default_factory=list)  # [queries left, <leadConverts> elements]

    def _usage(self) -> dict[str, str]:
        self.api_used += 1
        return self._headers()

    def _headers(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_used}/15000", "Date": self.now}

    def install(self, mock: responses.RequestsMock) -> None:
        """Register the token, identity, query, update and SOAP endpoints."""
        mock.add(
            responses.POST,
            f"{INSTANCE}/services/oauth2/token",
            json={
                "access_token": TOKEN,
                "instance_url": INSTANCE,
                "id": f"https://login.salesforce.com/id/{self.org_id}/{USER_ID}",
                "token_type": "Bearer",
                "issued_at": "1793610000000",
                "signature": "c2ltdWxhdGVkLXNpZ25hdHVyZQ==",
                "scope": "api",
            },
        )
        resources = {"queryAll": "/services/data/v66.0/queryAll", "identity": f"{INSTANCE}/id/{self.org_id}/{USER_ID}"}
        mock.add_callback(
            responses.GET,
            f"{API}/",
            callback=lambda _request: (200, self._headers(), json.dumps(resources)),
            content_type="application/json",
        )
        mock.add_callback(responses.GET, f"{API}/queryAll/", callback=self._query)
        mock.add_callback(responses.GET, f"{API}/query/", callback=self._query)
        for sobject in ("Lead", "Account", "Contact", "Opportunity"):
            describe = (DESCRIBES / f"{sobject}.json").read_text(encoding="utf-8")
            mock.add(
                responses.GET, f"{API}/sobjects/{sobject}/describe/", body=describe, content_type="application/json"
            )
        mock.add_callback(responses.PATCH, f"{API}/composite/sobjects", callback=self._update)
        mock.add_callback(responses.POST, SOAP, callback=self._soap)

    def _stamp(self) -> str:
        self.clock += 1
        return f"2026-11-03T10:{self.clock // 60:02d}:{self.clock % 60:02d}.000+0000"

    def _new_id(self, prefix: str) -> str:
        self._serial += 1
        return to_18(f"{prefix}9P0000Zz{self._serial:04d}")

    def _finish_parked(self, *, all_now: bool = False) -> None:
        for parked in list(self._parked):
            parked[0] -= 1
            if parked[0] <= 0 or all_now:
                self._parked.remove(parked)
                for item in parked[1]:
                    self._convert_one(item)

    def _query(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self._finish_parked()
        soql = parse_qs(urlsplit(request.url or "").query)["q"][0]
        if soql == "SELECT ApiName, MasterLabel, IsConverted FROM LeadStatus":
            rows = [
                {"attributes": {"type": "LeadStatus"}, "ApiName": name, "MasterLabel": name, "IsConverted": converted}
                for name, converted in self.lead_statuses.items()
            ]
            return 200, self._usage(), json.dumps({"totalSize": len(rows), "done": True, "records": rows})
        if soql == "SELECT Id, Name, OrganizationType, IsSandbox FROM Organization":
            rows = [
                {
                    "attributes": {
                        "type": "Organization",
                        "url": f"/services/data/v66.0/sobjects/Organization/{self.org_id}",
                    },
                    "Id": self.org_id,
                    "Name": "sfbridge Scenario Org",
                    "OrganizationType": "Enterprise Edition",
                    "IsSandbox": self.is_sandbox,
                }
            ]
            return 200, self._usage(), json.dumps({"totalSize": 1, "done": True, "records": rows})
        if soql.startswith("SELECT Id, Username FROM User WHERE Id = ") and soql.endswith(f"'{USER_ID}'"):
            row = {"attributes": {"type": "User"}, "Id": USER_ID, "Username": "integration@scenario.example"}
            return 200, self._usage(), json.dumps({"totalSize": 1, "done": True, "records": [row]})
        match = _QUERY.fullmatch(soql.strip())
        assert match, soql
        fields = [name.strip() for name in match["fields"].split(",")]
        ids = re.findall(r"'([^']+)'", match["ids"])
        rows = []
        for record_id in ids:
            record = self.records.get(record_id)
            if record is None:
                continue
            row = {
                "attributes": {
                    "type": match["object"],
                    "url": f"/services/data/v66.0/sobjects/{match['object']}/{record_id}",
                }
            }
            row |= {name: record.get(name) for name in fields}
            rows.append(row)
        return 200, self._usage(), json.dumps({"totalSize": len(rows), "done": True, "records": rows})

    def _update(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        payload = json.loads(request.body or b"{}")
        assert payload["allOrNone"] is False
        self.updates_sent.append(payload["records"])
        results = []
        for item in payload["records"]:
            record_id = item["id"]
            if record_id in self.refuse_updates:
                code, message = self.refuse_updates[record_id]
                results.append({"success": False, "errors": [{"statusCode": code, "message": message, "fields": []}]})
                continue
            values = {k: v for k, v in item.items() if k not in {"attributes", "id"}}
            self.records[record_id].update(values, SystemModstamp=self._stamp())
            results.append({"id": record_id, "success": True, "errors": []})
        return 200, self._usage(), json.dumps(results)

    def _soap(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        envelope = ET.fromstring(request.body or b"")  # noqa: S314 (sfbridge's own request)
        if envelope.find(f".//{P}merge") is not None:
            return self._merge(envelope)
        if envelope.find(f".//{P}undelete") is not None:
            return self._undelete(envelope)
        return self._convert(envelope)

    def _answer(self, call: str, results: list[str]) -> tuple[int, dict[str, str], str]:
        limit = f"<current>{self.api_used}</current><limit>15000</limit><type>API REQUESTS</type>"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<soapenv:Header><LimitInfoHeader><limitInfo>{limit}</limitInfo></LimitInfoHeader></soapenv:Header>"
            f"<soapenv:Body><{call}Response>{''.join(results)}</{call}Response></soapenv:Body>"
            "</soapenv:Envelope>"
        )
        return 200, {"Content-Type": "text/xml;charset=UTF-8", "Date": self.now}, body

    @staticmethod
    def _refused(code: str, message: str) -> str:
        return (
            f"<result><errors><message>{escape(message)}</message><statusCode>{code}</statusCode></errors>"
            '<id xsi:nil="true"/><success>false</success></result>'
        )

    def _merge(self, envelope: ET.Element) -> tuple[int, dict[str, str], str]:
        requests_ = envelope.findall(f".//{P}request")
        sent = []
        for item in requests_:
            master = item.find(f"{P}masterRecord")
            sent.append((master.findtext(f"{S}Id"), tuple(e.text for e in item.findall(f"{P}recordToMergeIds"))))
        self.merges_sent.append(sent)
        if self.on_merge is not None:
            self.on_merge([master for master, _ in sent])
        results = [self._merge_one(item) for item in requests_]
        self._usage()
        if self.drop_merge_answer:
            self.drop_merge_answer -= 1
            msg = "Connection reset by peer"
            raise requests.ConnectionError(msg)  # merged; the answer is lost
        return self._answer("merge", results)

    def _merge_one(self, item: ET.Element) -> str:  # noqa: C901 (Salesforce's checks, then the merge)
        master_element = item.find(f"{P}masterRecord")
        master_id = master_element.findtext(f"{S}Id")
        merged = [e.text for e in item.findall(f"{P}recordToMergeIds")]
        if master_id in self.refuse_merges:
            return self._refused(*self.refuse_merges[master_id])
        for record_id in (master_id, *merged):
            record = self.records.get(record_id)
            if record is None:
                return self._refused("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            if record.get("IsDeleted"):
                return self._refused("ENTITY_IS_DELETED", "entity is deleted")
        master = self.records[master_id]
        for child in master_element:
            name = child.tag.rpartition("}")[2]
            if name == "fieldsToNull":
                master[child.text] = None
            elif name not in {"type", "Id"}:
                master[name] = child.text
        master["SystemModstamp"] = self._stamp()
        related = []
        for record_id in merged:
            self.records[record_id].update(IsDeleted=True, MasterRecordId=master_id, SystemModstamp=self._stamp())
            for other_id, other in self.records.items():
                if other.get("WhoId") == record_id:  # a Task: Salesforce re-parents it to the master
                    other["WhoId"] = master_id
                    related.append(other_id)
        return (
            f"<result><id>{master_id}</id>"
            + "".join(f"<mergedRecordIds>{record_id}</mergedRecordIds>" for record_id in merged)
            + "<success>true</success>"
            + "".join(f"<updatedRelatedIds>{record_id}</updatedRelatedIds>" for record_id in related)
            + "</result>"
        )

    def _undelete(self, envelope: ET.Element) -> tuple[int, dict[str, str], str]:
        ids = [e.text for e in envelope.findall(f".//{P}ids")]
        self.undeletes_sent.append(ids)
        results = []
        for record_id in ids:
            record = self.records.get(record_id)
            if record is None or not record.get("IsDeleted"):
                results.append(self._refused("UNDELETE_FAILED", "Entity is not in the recycle bin"))
                continue
            record.update(IsDeleted=False, MasterRecordId=None, SystemModstamp=self._stamp())
            results.append(f"<result><id>{record_id}</id><success>true</success></result>")
        self._usage()
        if self.drop_undelete_answer:
            self.drop_undelete_answer -= 1
            msg = "Connection reset by peer"
            raise requests.ConnectionError(msg)  # undeleted; the answer is lost
        return self._answer("undelete", results)

    def _convert(self, envelope: ET.Element) -> tuple[int, dict[str, str], str]:
        converts = envelope.findall(f".//{P}leadConverts")
        lead_ids = [item.findtext(f"{P}leadId") or "" for item in converts]
        self.converts_sent.append(lead_ids)
        self._finish_parked(all_now=True)  # a parked call holds the leads' row locks until it commits
        if self.on_convert is not None:
            self.on_convert(lead_ids)
        if self.park_converts:
            self.park_converts -= 1
            self._parked.append([self.park_reads, converts])
            msg = "Read timed out (the call is still running in Salesforce)"
            raise self.park_raises(msg)
        results = [self._convert_one(item) for item in converts]
        self._usage()
        if self.drop_convert_answer:
            self.drop_convert_answer -= 1
            msg = "Connection reset by peer"
            raise requests.ConnectionError(msg)  # the leads converted; the answer is lost
        limit = f"<current>{self.api_used}</current><limit>15000</limit><type>API REQUESTS</type>"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<soapenv:Header><LimitInfoHeader><limitInfo>{limit}</limitInfo></LimitInfoHeader></soapenv:Header>"
            f"<soapenv:Body><convertLeadResponse>{''.join(results)}</convertLeadResponse></soapenv:Body>"
            "</soapenv:Envelope>"
        )
        return 200, {"Content-Type": "text/xml;charset=UTF-8", "Date": self.now}, body

    def _convert_one(self, item: ET.Element) -> str:
        lead_id = item.findtext(f"{P}leadId") or ""
        lead = self.records[lead_id]
        refusal = self.refuse_converts.get(lead_id)
        if refusal is None and lead.get("IsConverted"):
            refusal = ("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        if refusal is not None:
            code, message = refusal
            return (
                '<result><accountId xsi:nil="true"/><contactId xsi:nil="true"/>'
                f"<errors><message>{escape(message)}</message><statusCode>{code}</statusCode></errors>"
                f'<leadId>{lead_id}</leadId><opportunityId xsi:nil="true"/><success>false</success></result>'
            )
        account = item.findtext(f"{P}accountId") or self._new_id("001")
        contact = item.findtext(f"{P}contactId") or self._new_id("003")
        opportunity = None if item.findtext(f"{P}doNotCreateOpportunity") == "true" else self._new_id("006")
        lead.update(
            IsConverted=True,
            ConvertedAccountId=account,
            ConvertedContactId=contact,
            ConvertedOpportunityId=opportunity,
            Status=item.findtext(f"{P}convertedStatus"),
            SystemModstamp=self._stamp(),
        )
        opportunity_xml = (
            f"<opportunityId>{opportunity}</opportunityId>" if opportunity else '<opportunityId xsi:nil="true"/>'
        )
        return (
            f"<result><accountId>{account}</accountId><contactId>{contact}</contactId><leadId>{lead_id}</leadId>"
            f"{opportunity_xml}<success>true</success></result>"
        )
