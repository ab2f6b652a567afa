"""Bearer tokens to a Scope: Cognito ID tokens checked against the pool's JWKS in AWS; in local
mode only, tokens of the dev issuer. The person is then looked up by email address."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from functions.api.errors import Unauthorized
from mspdesk.config import Settings
from mspdesk.domain.enums import Role
from mspdesk.domain.scope import Scope
from mspdesk.store import entities as kinds
from mspdesk.store.dynamo import DynamoStore

DEV_ISSUER = "mspdesk-local-dev"
DEV_TOKEN_HOURS = 12
_PRINCIPAL_TTL = 30.0  # seconds a resolved person is trusted before it is read again


@dataclass
class _Cached:
    scope: Scope
    until: float


class Authenticator:
    def __init__(self, settings: Settings, store: DynamoStore) -> None:
        self._settings = settings
        self._store = store
        self._jwks: jwt.PyJWKClient | None = None
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        if settings.local_mode and not settings.dev_token_secret:
            raise ValueError("local mode needs MSPDESK_DEV_TOKEN_SECRET")

    # --- tokens ------------------------------------------------------------------------------

    def issue_dev_token(self, email: str) -> str:
        """Local mode only: a token for a known person, as the sign-in picker asks."""
        secret = self._settings.dev_token_secret
        if not self._settings.local_mode or not secret:
            raise Unauthorized("the dev issuer exists only in local mode")
        principal = self._store.principal_by_email(email)
        if principal is None:
            raise Unauthorized(f"no account for {email}")
        now = datetime.now(UTC)
        claims = {
            "iss": DEV_ISSUER,
            "sub": principal.id,
            "email": email.strip().lower(),
            "token_use": "id",
            "iat": now,
            "exp": now + timedelta(hours=DEV_TOKEN_HOURS),
        }
        return jwt.encode(claims, secret, algorithm="HS256")

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            if self._settings.local_mode and header.get("alg") == "HS256":
                claims: dict[str, Any] = jwt.decode(
                    token,
                    self._settings.dev_token_secret or "",
                    algorithms=["HS256"],
                    issuer=DEV_ISSUER,
                    options={"require": ["exp", "iss", "email"]},
                )
                return claims
            return self._cognito_claims(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc

    def _cognito_claims(self, token: str) -> dict[str, Any]:
        issuer = self._settings.cognito_issuer
        if not issuer:
            raise Unauthorized("no identity provider is configured")
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", lifespan=3600)
        key = self._jwks.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=issuer,
            options={"verify_aud": False, "require": ["exp", "iss", "token_use"]},
        )
        # ID tokens name the app client in `aud`; they carry the email we match people on.
        if claims.get("token_use") != "id":
            raise Unauthorized("send the Cognito ID token")
        if claims.get("aud") not in self._settings.cognito_client_ids:
            raise Unauthorized("token of an unknown app client")
        return claims

    # --- people ------------------------------------------------------------------------------

    def scope_for(self, authorization: str | None) -> Scope:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthorized()
        token = authorization[7:].strip()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token)
        if cached and cached.until > now:
            return cached.scope
        claims = self._claims(token)
        scope = self._resolve(str(claims.get("email", "")))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = _Cached(scope, now + _PRINCIPAL_TTL)
        return scope

    def _resolve(self, email: str) -> Scope:
        principal = self._store.principal_by_email(email) if email else None
        if principal is None:
            raise Unauthorized("this account is not known to the desk")
        if principal.kind == "agent":
            agent = self._store.find_entity(kinds.AGENTS, principal.id)
            if agent is None or not agent.active:
                raise Unauthorized("this agent account is not active")
            return Scope(role=agent.role, principal_id=agent.id, name=agent.name)
        end_user = self._store.find_entity(kinds.END_USERS, principal.id)
        if end_user is None or not end_user.active:
            raise Unauthorized("this account is not active")
        return Scope(
            role=Role.END_USER,
            principal_id=end_user.id,
            name=end_user.name,
            client_id=end_user.client_id,
        )
