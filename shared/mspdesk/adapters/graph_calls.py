"""The Microsoft Graph port for Teams call records, and its HTTP adapter: an app-only token
from the client-credentials flow, then GET communications/callRecords/{id} with its sessions.
Plain urllib: the layer carries no HTTP client for one request per call.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_TOKEN_MARGIN_SECONDS = 60


class GraphUnavailable(Exception):
    """Graph refused or did not answer; the notification is retried by Graph."""


class CallRecords(Protocol):
    def call_record(self, record_id: str) -> dict[str, Any]: ...


def _fetch(
    url: str,
    timeout: float,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """GET (or POST `data`) and read JSON. Only http(s): the URLs come from our configuration,
    and the scheme is checked before urllib sees them."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise GraphUnavailable("Graph URLs are http(s)")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            found: dict[str, Any] = json.loads(response.read())
            return found
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        raise GraphUnavailable(f"Graph: {exc}") from exc


class HttpCallRecords:
    def __init__(
        self,
        *,
        login_url: str,
        api_url: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        timeout: float = 5.0,
    ) -> None:
        self._login_url = login_url.rstrip("/")
        self._api_url = api_url.rstrip("/")
        self._tenant = tenant_id
        self._client_id = client_id
        self._secret = client_secret
        self._timeout = timeout
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _access_token(self) -> str:
        with self._lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            if not (self._tenant and self._client_id and self._secret):
                raise GraphUnavailable("Graph credentials are not configured")
            form = urllib.parse.urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._secret,
                    "scope": GRAPH_SCOPE,
                }
            ).encode()
            tenant = urllib.parse.quote(self._tenant, safe="")
            answer = _fetch(
                f"{self._login_url}/{tenant}/oauth2/v2.0/token", self._timeout, data=form
            )
            token = str(answer.get("access_token") or "")
            if not token:
                raise GraphUnavailable("Graph gave no access token")
            lifetime = int(answer.get("expires_in") or 3600)
            self._token = (token, time.monotonic() + max(0, lifetime - _TOKEN_MARGIN_SECONDS))
            return token

    def call_record(self, record_id: str) -> dict[str, Any]:
        query = urllib.parse.urlencode({"$expand": "sessions($expand=segments)"})
        path = urllib.parse.quote(record_id, safe="")
        return _fetch(
            f"{self._api_url}/communications/callRecords/{path}?{query}",
            self._timeout,
            headers={"Authorization": f"Bearer {self._access_token()}"},
        )
