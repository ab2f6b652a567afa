"""The phone systems' webhooks: POST /cti/generic (Zammad's generic CTI, signed with our
HMAC scheme), GET /cti/3cx/lookup and POST /cti/3cx/journal (our 3CX CRM template, with its
API key), POST /cti/aircall (Aircall's token) and POST /cti/teams (Graph change notifications
with their clientState). A request that fails its provider's check gets 401 and changes
nothing.

The same router serves the cti_webhook Lambda function (functions/cti_webhook/app.py) and,
in local mode, the API's own server.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from mspdesk.adapters.graph_calls import GraphUnavailable
from mspdesk.cti_runtime import CtiContext
from mspdesk.domain.cti_providers import (
    aircall_event,
    as_fields,
    teams_call_event,
    teams_record_ids,
    threecx_journal,
    zammad_event,
)
from mspdesk.domain.cti_signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSignature,
    verify,
)
from mspdesk.domain.errors import InvalidInput
from mspdesk.observability import logger
from mspdesk.services.calls import Contact

router = APIRouter(prefix="/cti", tags=["phone webhooks"])
API_KEY_HEADER = "X-Api-Key"


def context(request: Request) -> CtiContext:
    found: CtiContext = request.app.state.cti
    return found


def unauthorized(message: str) -> JSONResponse:
    return JSONResponse(status_code=401, content={"error": "unauthorized", "message": message})


def _same(expected: str, given: str | None) -> bool:
    """Constant-time comparison; an unset secret matches nothing."""
    return bool(expected) and given is not None and hmac.compare_digest(expected, given)


def _fields(content_type: str | None, body: bytes) -> Mapping[str, list[str]]:
    """A form post, or the same fields as JSON (Zammad documents both)."""
    if (content_type or "").split(";")[0].strip().lower() == "application/json":
        try:
            payload = json.loads(body or b"{}")
        except json.JSONDecodeError as exc:
            raise InvalidInput("body", "the body is not JSON") from exc
        if not isinstance(payload, dict):
            raise InvalidInput("body", "the body is a JSON object")
        return as_fields(payload)
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=False)


def _check_signature(ctx: CtiContext, timestamp: str | None, sent: str | None, body: bytes) -> None:
    """Our scheme, then the signature remembered for the replay window: the same signed
    request a second time is a replay."""
    now = ctx.deps.clock()
    window = ctx.cti.replay_seconds
    instant = verify(ctx.secrets.get().generic_secret, timestamp, sent, body, now, window)
    until = datetime.fromtimestamp(instant, UTC) + timedelta(seconds=window + 60)
    if not ctx.directory.store.claim_signature((sent or "").strip().lower(), until):
        raise BadSignature("this request was delivered before (a replay)")


@router.post("/generic")
async def generic(
    request: Request,
    x_mspdesk_timestamp: Annotated[str | None, Header(alias=TIMESTAMP_HEADER)] = None,
    x_mspdesk_signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> Response:
    """Zammad's generic CTI events (newCall, answer, hangup) as form or JSON posts, signed:
    X-Mspdesk-Signature: sha256=HMAC-SHA256(secret, "<X-Mspdesk-Timestamp>.<raw body>")."""
    ctx = context(request)
    body = await request.body()
    try:
        await run_in_threadpool(
            _check_signature, ctx, x_mspdesk_timestamp, x_mspdesk_signature, body
        )
    except BadSignature as exc:
        logger.info("cti webhook refused", extra={"provider": "generic", "reason": str(exc)})
        return unauthorized(str(exc))
    event = zammad_event(_fields(request.headers.get("content-type"), body))
    await run_in_threadpool(ctx.calls.handle, event)
    return JSONResponse({})


def contact_json(e164: str | None, contact: Contact) -> dict[str, Any]:
    person, client = contact.end_user, contact.client
    if person is None and client is None:
        return {"contacts": []}
    first, _, last = (person.name if person else "").partition(" ")
    return {
        "contacts": [
            {
                "id": person.id if person else client.id if client else "",
                "firstname": first,
                "lastname": last,
                "company": client.name if client else "",
                "email": person.emails[0] if person and person.emails else "",
                "phone": e164 or "",
                "client_id": client.id if client else "",
                "vip": bool(person and person.vip),
            }
        ]
    }


@router.get("/3cx/lookup")
def threecx_lookup(
    request: Request,
    number: Annotated[str, Query(min_length=1, max_length=100)],
    x_api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
) -> Response:
    """3CX's contact lookup, which 3CX makes when a call rings: who is calling. It also
    starts the call and pops it to the agents; the journal finishes it."""
    ctx = context(request)
    if not _same(ctx.secrets.get().threecx_api_key, x_api_key):
        return unauthorized(f"send the API key in {API_KEY_HEADER}")
    call, found = ctx.calls.threecx_lookup(number)
    return JSONResponse(contact_json(call.caller_e164 if call else None, found))


@router.post("/3cx/journal")
async def threecx_journal_post(
    request: Request,
    x_api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
) -> Response:
    """3CX's ReportCall: the finished call, journaled on its ticket."""
    ctx = context(request)
    if not _same(ctx.secrets.get().threecx_api_key, x_api_key):
        return unauthorized(f"send the API key in {API_KEY_HEADER}")
    body = await request.body()
    event = threecx_journal(_fields(request.headers.get("content-type"), body), ctx.deps.clock())
    call = await run_in_threadpool(ctx.calls.threecx_journal, event)
    return JSONResponse({"call_id": call.id, "ticket_number": call.ticket_number})


@router.post("/aircall")
async def aircall(request: Request) -> Response:
    """Aircall's call webhooks (call.created, call.ringing_on_agent, call.answered,
    call.hungup, call.ended); the body's `token` must be the webhook's token."""
    ctx = context(request)
    try:
        payload = json.loads(await request.body())
    except json.JSONDecodeError as exc:
        raise InvalidInput("body", "the body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidInput("body", "the body is a JSON object")
    if not _same(ctx.secrets.get().aircall_token, str(payload.get("token") or "")):
        return unauthorized("the token is not this webhook's")
    event = aircall_event(payload)
    if event is None:
        return JSONResponse({"status": "ignored"})
    await run_in_threadpool(ctx.calls.handle, event)
    return JSONResponse({"status": "ok"})


@router.post("/teams")
async def teams(
    request: Request,
    validation_token: Annotated[str | None, Query(alias="validationToken", max_length=1024)] = None,
) -> Response:
    """Graph change notifications for Teams call records. Creating the subscription sends a
    validationToken, echoed as text/plain; each notification must carry our clientState."""
    if validation_token is not None:
        return PlainTextResponse(validation_token)
    ctx = context(request)
    try:
        payload = json.loads(await request.body())
    except json.JSONDecodeError as exc:
        raise InvalidInput("body", "the body is not JSON") from exc
    items = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise InvalidInput("value", "a change notification collection has a value list")
    expected = ctx.secrets.get().teams_client_state
    if not all(isinstance(i, dict) and _same(expected, i.get("clientState")) for i in items):
        return unauthorized("the clientState is not ours")

    def process() -> int:
        graph = ctx.graph()
        handled = 0
        for record_id in teams_record_ids(payload):
            event = teams_call_event(graph.call_record(record_id))
            if event is not None:
                ctx.calls.handle(event)
                handled += 1
        return handled

    try:
        await run_in_threadpool(process)
    except GraphUnavailable as exc:
        # Graph redelivers what we do not accept; nothing was logged for this record.
        logger.warning("graph unavailable", extra={"reason": str(exc)})
        return JSONResponse(status_code=503, content={"error": "unavailable", "message": str(exc)})
    return Response(status_code=202)
