"""Who opens a screen-pop socket in AWS: the agent's Cognito ID token, passed as ?token= on
the WebSocket URL (browsers cannot set headers on a WebSocket), checked as the API checks it.
API Gateway's WebSocket APIs offer no JWT authorizer, so $connect does it."""

from __future__ import annotations

from typing import Any

import jwt

from mspdesk.config import Settings
from mspdesk.domain.scope import Scope
from mspdesk.store import entities as kinds
from mspdesk.store.dynamo import DynamoStore


class Refused(Exception):
    pass


class SocketAuthenticator:
    def __init__(self, settings: Settings, store: DynamoStore) -> None:
        self._settings = settings
        self._store = store
        self._jwks: jwt.PyJWKClient | None = None

    def _claims(self, token: str) -> dict[str, Any]:
        issuer = self._settings.cognito_issuer
        if not issuer:
            raise Refused("no identity provider is configured")
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", lifespan=3600)
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=issuer,
                options={"verify_aud": False, "require": ["exp", "iss", "token_use"]},
            )
        except jwt.PyJWTError as exc:
            raise Refused(f"invalid token: {exc}") from exc
        if claims.get("token_use") != "id" or claims.get("aud") not in (
            self._settings.cognito_client_ids
        ):
            raise Refused("send the web client's Cognito ID token")
        return claims

    def agent_scope(self, token: str) -> Scope:
        """The agent of the token; end-users and unknown or inactive people are refused."""
        email = str(self._claims(token).get("email", "")).strip().lower()
        principal = self._store.principal_by_email(email) if email else None
        if principal is None or principal.kind != "agent":
            raise Refused("screen pops are for the MSP's agents")
        agent = self._store.find_entity(kinds.AGENTS, principal.id)
        if agent is None or not agent.active:
            raise Refused("this agent account is not active")
        return Scope(role=agent.role, principal_id=agent.id, name=agent.name)
