"""simple-salesforce, adapted to sfbridge: the only module that imports it.

The gateway drives it through what is here: a client class (orjson for bodies, raw-body query
calls, no pretty-printing), the token exchange of the flows the library implements (JWT
bearer, client credentials, SOAP login), and the library's exception types.
"""

from __future__ import annotations

from typing import Any

import orjson
import requests
from simple_salesforce.api import Salesforce  # from the modules: the package re-exports without __all__
from simple_salesforce.exceptions import SalesforceAuthenticationFailed as LoginRefused
from simple_salesforce.exceptions import SalesforceError as LibraryError
from simple_salesforce.login import SalesforceLogin

__all__ = ["Client", "LibraryError", "LoginRefused", "exchange_token"]


class Client(Salesforce):
    """simple-salesforce with orjson for response bodies, and raw-body query calls.

    Parsing query pages is most of a pull's client-side time: the pull decodes them itself
    (typed, with msgspec) from ``query_raw``; everything else is parsed with orjson, ~3x
    faster than the standard library, into the same plain dicts, lists and numbers.
    """

    def parse_result_to_json(self, result: requests.Response) -> Any:  # noqa: ANN401 (parsed JSON)
        """Parse a response body."""
        return orjson.loads(result.content)

    def query_raw(self, soql: str, *, include_deleted: bool, headers: dict[str, str]) -> bytes:
        """``query`` that hands back the body unparsed (the pull decodes pages itself)."""
        url = self.base_url + ("queryAll/" if include_deleted else "query/")
        return self._call_salesforce("GET", url, name="query", params={"q": soql}, headers=headers).content

    def query_more_raw(self, next_records_url: str) -> bytes:
        """``query_more`` by URL, body unparsed."""
        url = f"https://{self.sf_instance}{next_records_url}"
        return self._call_salesforce("GET", url, name="query_more").content

    @classmethod
    def for_token(cls, access_token: str, *, instance_url: str, api_version: str, session: requests.Session) -> Client:
        """Build a "direct" client for a token.

        simple-salesforce never refreshes a direct client behind our back, so renewal,
        retries and the API budget all stay in the gateway.
        """
        client = cls(
            session_id=access_token,
            instance_url=instance_url,
            version=api_version,
            session=session,
        )
        # simple-salesforce asks for pretty-printed JSON; compact pages are ~25 % smaller.
        client.headers.pop("X-PrettyPrint", None)
        return client


def exchange_token(session: requests.Session, **arguments: Any) -> tuple[str, str]:  # noqa: ANN401
    """Run one of simple-salesforce's login flows and return (access token, instance host).

    Raises:
        LoginRefused: when Salesforce refuses the login.
    """
    access_token, host = SalesforceLogin(session=session, **arguments)
    return str(access_token), str(host)
