"""Phone routes of the API: calls (screen pop, ticket picked, notes, the script's answers),
suspected major incidents and Problem tickets, call scripts and the phone directory for
admins; in local mode also the webhooks themselves, the screen-pop WebSocket and
GET /api/dev/settings. `install` mounts them all on the app."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response, WebSocket
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from functions.api.context import Staff, if_match_version
from functions.api.errors import Unauthorized
from mspdesk.adapters.websocket_push import local_hub
from mspdesk.config import Settings
from mspdesk.cti_runtime import CtiContext
from mspdesk.domain.call_scripts import CallScript, CallScriptFields
from mspdesk.domain.calls import Call, CtiDirectory
from mspdesk.domain.cti_signing import REPLAY_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER
from mspdesk.domain.major_incidents import (
    IncidentStatus,
    MajorIncident,
    ProblemLinks,
    ProblemSummary,
    TicketProblem,
)
from mspdesk.services.calls import CallPatch, ScriptAnswers
from mspdesk.services.deps import Deps
from mspdesk.services.problems import LinkInput, ProblemInput

router = APIRouter(prefix="/api", tags=["phone"])
admin_router = APIRouter(prefix="/api/admin", tags=["admin"])
dev_router = APIRouter(prefix="/api/dev", tags=["local dev"])
socket_router = APIRouter()

CallId = Annotated[str, Path(max_length=64, pattern=r"^call_[a-f0-9]+$")]
IncidentId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
ScriptId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Number = Annotated[int, Path(ge=1, le=10**12)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2000)]


def cti_context(request: Request) -> CtiContext:
    found: CtiContext = request.app.state.cti
    return found


Cti = Annotated[CtiContext, Depends(cti_context)]


class CallPage(BaseModel):
    items: list[Call]
    next_cursor: str | None = None


class IncidentPage(BaseModel):
    items: list[MajorIncident]
    next_cursor: str | None = None


class ProblemPage(BaseModel):
    items: list[ProblemSummary]
    next_cursor: str | None = None


# --- calls ---------------------------------------------------------------------------------


@router.get("/calls", response_model=CallPage)
def calls(
    cti: Cti,
    scope: Staff,
    view: Annotated[str, Query(pattern="^(recent|unmatched|callback)$")] = "recent",
    hours: Annotated[int, Query(ge=1, le=168)] = 24,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CallPage:
    """Recent calls (newest first), unknown callers waiting for an agent to say who they
    were, or missed calls of unknown callers to call back."""
    page = cti.calls.listing(scope, view, limit, cursor, hours)
    return CallPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/calls/{call_id}", response_model=Call)
def call(call_id: CallId, cti: Cti, scope: Staff) -> Call:
    return cti.calls.get(scope, call_id)


@router.get("/calls/{call_id}/screen-pop")
def screen_pop(call_id: CallId, cti: Cti, scope: Staff) -> dict[str, Any]:
    """What the socket pushed on ringing and answer, for a console opened mid-call."""
    found = cti.calls.get(scope, call_id)
    return cti.calls.screen_pop(found, found.state.value)


@router.patch("/calls/{call_id}", response_model=Call)
def change_call(call_id: CallId, patch: CallPatch, cti: Cti, scope: Staff) -> Call:
    """Pick the ticket to log the call on, say who called, write notes, close a call-back.
    A call over and not logged yet is logged as soon as its client is known."""
    return cti.calls.update(scope, call_id, patch)


@router.put("/calls/{call_id}/script-answers", response_model=Call)
def answer_script(call_id: CallId, data: ScriptAnswers, cti: Cti, scope: Staff) -> Call:
    """The call script's answers; saved on the call's ticket when it is logged."""
    return cti.calls.answer_script(scope, call_id, data)


# --- major incidents and Problems ------------------------------------------------------------


@router.get("/major-incidents", response_model=IncidentPage)
def major_incidents(
    cti: Cti,
    scope: Staff,
    status: IncidentStatus = IncidentStatus.OPEN,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> IncidentPage:
    """Suspected major incidents, newest first: keywords several clients reported within
    the window, with the tickets and calls that reported them."""
    page = cti.problems.incidents_page(scope, status, limit, cursor)
    return IncidentPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/major-incidents/{incident_id}", response_model=MajorIncident)
def major_incident(incident_id: IncidentId, cti: Cti, scope: Staff) -> MajorIncident:
    return cti.problems.incident(scope, incident_id)


@router.post("/major-incidents/{incident_id}/problem", status_code=201, response_model=ProblemLinks)
def raise_problem_for_incident(
    incident_id: IncidentId, data: ProblemInput, cti: Cti, scope: Staff
) -> ProblemLinks:
    """Raise a Problem ticket for the incident and link its tickets (and those of its
    calls) to it; subject and body default to the incident's keywords."""
    return cti.problems.raise_for_incident(scope, incident_id, data)


@router.post("/major-incidents/{incident_id}/dismiss", response_model=MajorIncident)
def dismiss_incident(incident_id: IncidentId, cti: Cti, scope: Staff) -> MajorIncident:
    return cti.problems.dismiss(scope, incident_id)


@router.post("/problems", status_code=201, response_model=ProblemLinks)
def raise_problem(data: ProblemInput, cti: Cti, scope: Staff) -> ProblemLinks:
    """A Problem ticket raised by hand, with the tickets to link."""
    return cti.problems.raise_problem(scope, data)


@router.get("/problems", response_model=ProblemPage)
def problems(
    cti: Cti,
    scope: Staff,
    state: Literal["open", "resolved"] = "open",
    limit: Limit = 25,
    cursor: Cursor = None,
) -> ProblemPage:
    """Open (or resolved and closed) Problem tickets, newest first, with the number of
    tickets linked to each."""
    page = cti.problems.page(scope, limit, cursor, resolved=state == "resolved")
    return ProblemPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/tickets/{number}/problem", response_model=TicketProblem)
def ticket_problem(number: Number, cti: Cti, scope: Staff) -> TicketProblem:
    """Whether the ticket is a Problem (with its links) or is linked to one."""
    return cti.problems.of_ticket(scope, number)


@router.get("/problems/{number}", response_model=ProblemLinks)
def problem(number: Number, cti: Cti, scope: Staff) -> ProblemLinks:
    return cti.problems.get(scope, number)


@router.post("/problems/{number}/links", response_model=ProblemLinks)
def link(number: Number, data: LinkInput, cti: Cti, scope: Staff) -> ProblemLinks:
    """Link more tickets: a public update on the Problem reaches them, resolving it
    resolves them."""
    return cti.problems.link(scope, number, data)


@router.delete("/problems/{number}/links/{linked}", response_model=ProblemLinks)
def unlink(number: Number, linked: Number, cti: Cti, scope: Staff) -> ProblemLinks:
    return cti.problems.unlink(scope, number, linked)


# --- admin: call scripts and the phone directory -----------------------------------------------


@admin_router.get("/call-scripts", response_model=list[CallScript])
def call_scripts(cti: Cti, scope: Staff) -> list[CallScript]:
    return cti.scripts.all(scope)


@admin_router.post("/call-scripts", status_code=201, response_model=CallScript)
def create_call_script(data: CallScriptFields, cti: Cti, scope: Staff) -> CallScript:
    """A script for a client, a category or a team (or the default, with none): ordered
    questions, each may branch forward on its answer."""
    return cti.scripts.create(scope, data)


@admin_router.get("/call-scripts/{script_id}", response_model=CallScript)
def call_script(script_id: ScriptId, cti: Cti, scope: Staff) -> CallScript:
    return cti.scripts.get(scope, script_id)


@admin_router.put("/call-scripts/{script_id}", response_model=CallScript)
def replace_call_script(
    script_id: ScriptId,
    data: CallScriptFields,
    cti: Cti,
    scope: Staff,
    if_match: Annotated[str | None, Header()] = None,
) -> CallScript:
    return cti.scripts.replace(scope, script_id, data, if_match_version(if_match))


@admin_router.delete("/call-scripts/{script_id}", status_code=204, response_class=Response)
def delete_call_script(
    script_id: ScriptId,
    cti: Cti,
    scope: Staff,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Delete for good: calls keep their answers' transcript on their tickets."""
    cti.scripts.delete(scope, script_id, if_match_version(if_match))
    return Response(status_code=204)


@admin_router.get("/cti/directory", response_model=CtiDirectory)
def directory(cti: Cti, scope: Staff) -> CtiDirectory:
    """Extensions (or the names and addresses phone systems send) to agents; our dialled
    numbers to the team whose agents a ringing call pops to."""
    return cti.directory.get(scope)


@admin_router.put("/cti/directory", response_model=CtiDirectory)
def put_directory(data: CtiDirectory, cti: Cti, scope: Staff) -> CtiDirectory:
    saved = cti.directory.put(scope, data)
    cti.calls.forget_cache()
    return saved


@admin_router.post("/cti/reindex")
def reindex(cti: Cti, scope: Staff) -> dict[str, int]:
    """Index every client's and site's main number again, so callers from a switchboard find
    their client (the index follows client and site changes by itself)."""
    return cti.directory.reindex(scope)


# --- local mode only --------------------------------------------------------------------------


@dev_router.get("/settings")
def dev_settings(request: Request, cti: Cti) -> dict[str, Any]:
    """The local webhook secrets and how to sign: enough to act as any phone system."""
    found = cti.secrets.get()
    base = str(request.base_url).rstrip("/")
    socket_base = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return {
        "webhooks": {
            "generic": {
                "url": f"{base}/cti/generic",
                "secret": found.generic_secret,
                "signing": {
                    "algorithm": "HMAC-SHA256",
                    "message": "<timestamp>.<raw request body>",
                    "timestamp_header": TIMESTAMP_HEADER,
                    "timestamp": "Unix time in seconds",
                    "signature_header": SIGNATURE_HEADER,
                    "signature": "sha256=<lower-case hex digest>",
                    "replay_window_seconds": cti.cti.replay_seconds or REPLAY_SECONDS,
                    "each_signature_once": True,
                    "example": (
                        "ts=$(date +%s); body='event=newCall&from=01623555014&to=01155550100"
                        '&direction=in&callId=demo-1\'; sig=$(printf \'%s.%s\' "$ts" "$body" | '
                        "openssl dgst -sha256 -hmac \"$SECRET\" -hex | cut -d' ' -f2); "
                        f'curl -H "{TIMESTAMP_HEADER}: $ts" -H "{SIGNATURE_HEADER}: sha256=$sig" '
                        f'--data "$body" {base}/cti/generic'
                    ),
                },
            },
            "3cx": {
                "lookup_url": f"{base}/cti/3cx/lookup?number=",
                "journal_url": f"{base}/cti/3cx/journal",
                "api_key_header": "X-Api-Key",
                "api_key": found.threecx_api_key,
                "template": "integrations/3cx/mspdesk.xml",
            },
            "aircall": {"url": f"{base}/cti/aircall", "token": found.aircall_token},
            "teams": {
                "url": f"{base}/cti/teams",
                "client_state": found.teams_client_state,
                "graph_configured": bool(found.graph_client_id),
            },
        },
        "screen_pop": {"websocket": f"{socket_base}/api/ws?token=<a dev token of an agent>"},
    }


@socket_router.websocket("/api/ws")
async def screen_pops(websocket: WebSocket, token: str = "") -> None:
    """Local mode: an agent's screen pops, as the WebSocket API delivers them in AWS. The
    first message names the connection; "ping" is answered "pong"."""
    cti: CtiContext = websocket.app.state.cti
    auth = websocket.app.state.services.auth
    try:
        scope = await run_in_threadpool(auth.scope_for, f"Bearer {token}")
    except Unauthorized:
        await websocket.close(code=4401)
        return
    if not scope.is_staff:
        await websocket.close(code=4403)
        return
    await websocket.accept()
    connection_id = f"local-{secrets.token_hex(8)}"
    hub = local_hub()
    hub.register(connection_id, websocket, asyncio.get_running_loop())
    until = cti.deps.clock() + timedelta(hours=cti.cti.connection_hours)
    await run_in_threadpool(cti.calls.connections.put, connection_id, scope.principal_id, until)
    try:
        await websocket.send_json(
            {"type": "hello", "connection_id": connection_id, "agent_id": scope.principal_id}
        )
        while True:
            message = await websocket.receive_text()
            if message.strip().lower() == "ping":
                await websocket.send_json({"type": "pong"})
    except WebSocketDisconnect:
        pass
    finally:
        hub.unregister(connection_id)
        await run_in_threadpool(cti.calls.connections.delete, connection_id)


def install(
    app: FastAPI, settings: Settings, deps: Deps, context: CtiContext | None = None
) -> CtiContext:
    """Mount the phone routes. In local mode the webhooks, the socket and the dev settings
    too; in AWS the webhooks are their own function (functions/cti_webhook)."""
    found = context or CtiContext.build(settings, deps)
    app.state.cti = found
    app.include_router(router)
    app.include_router(admin_router)
    if settings.local_mode:
        from functions.cti_webhook.routes import router as webhooks

        app.include_router(webhooks)
        app.include_router(dev_router)
        app.include_router(socket_router)
    return found
