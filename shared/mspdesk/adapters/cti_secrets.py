"""The webhook secrets: read from Secrets Manager in AWS, made on first use and kept in the
table locally. Read once and trusted for a few minutes, so a rotation applies without a
redeploy.

The AWS secret is JSON. The CDK app generates `master`; our own secrets (the generic
signature's key, the 3CX API key, Teams' clientState) are derived from it unless set outright.
What the providers issue (Aircall's webhook token, the Graph app's tenant, client id and
secret) an admin adds to the JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel

from mspdesk.store.cti_directory import DirectoryStore

DERIVED = {"generic_secret": "generic", "threecx_api_key": "3cx", "teams_client_state": "teams"}


class CtiSecrets(BaseModel):
    generic_secret: str = ""
    threecx_api_key: str = ""
    aircall_token: str = ""
    teams_client_state: str = ""
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = ""


class SecretsSource(Protocol):
    def get(self) -> CtiSecrets: ...


def derive(master: str, label: str) -> str:
    return hmac.new(master.encode(), f"mspdesk-cti:{label}".encode(), hashlib.sha256).hexdigest()


def from_json(document: dict[str, Any]) -> CtiSecrets:
    values = {k: str(v) for k, v in document.items() if k in CtiSecrets.model_fields and v}
    master = str(document.get("master") or "")
    if master:
        for field, label in DERIVED.items():
            values.setdefault(field, derive(master, label))
    return CtiSecrets(**values)


class _Cached:
    def __init__(self, load: Callable[[], CtiSecrets], seconds: float) -> None:
        self._load = load
        self._seconds = seconds
        self._value: tuple[float, CtiSecrets] | None = None
        self._lock = threading.Lock()

    def get(self) -> CtiSecrets:
        now = time.monotonic()
        with self._lock:
            if self._value is None or now - self._value[0] >= self._seconds:
                self._value = (now, self._load())
            return self._value[1]


class SecretsManagerSource(_Cached):
    def __init__(self, client: Callable[[], Any], secret_arn: str, seconds: float = 300) -> None:
        def load() -> CtiSecrets:
            answer = client().get_secret_value(SecretId=secret_arn)
            return from_json(json.loads(answer["SecretString"]))

        super().__init__(load, seconds)


class LocalSecretsSource(_Cached):
    """Local mode: random secrets made the first time and kept in the table (and so in the
    saved state), shown by GET /api/dev/settings. The Aircall token is made up too, so a
    local sender can act as Aircall."""

    def __init__(self, directory: DirectoryStore, seconds: float = 300) -> None:
        def load() -> CtiSecrets:
            found = directory.local_secrets()
            if found is None:
                made = {
                    field: secrets.token_urlsafe(24)
                    for field in ("generic_secret", "threecx_api_key", "aircall_token")
                }
                made["teams_client_state"] = secrets.token_urlsafe(24)
                found = directory.create_local_secrets(made)
            return CtiSecrets(**{k: v for k, v in found.items() if k in CtiSecrets.model_fields})

        super().__init__(load, seconds)
