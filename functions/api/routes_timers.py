"""Agent routes for timers and time entries (issue 6). End-users get 404 on all of them."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel

from functions.api.context import Staff, if_match_version, services
from mspdesk.domain.models import TimeEntry, utcnow
from mspdesk.domain.scope import Scope
from mspdesk.domain.timers import Proposal, Timer
from mspdesk.observability import logger
from mspdesk.services.time_capture import (
    TimeCaptureService,
    TimeEntryInput,
    TimeEntryPatch,
    TimerConfirm,
    TimerStart,
)

router = APIRouter(prefix="/api", tags=["time"])
Number = Annotated[int, Path(ge=1, le=10**12)]
EntryId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
# Opening a ticket starts the viewing timer beside the ticket's own reads.
_OPENED_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="timer")


def time_capture(request: Request) -> TimeCaptureService:
    """One service per app (it remembers which tickets already have a viewing timer)."""
    state = request.app.state
    found: TimeCaptureService | None = getattr(state, "time_capture", None)
    if found is None:
        found = TimeCaptureService(services(request).deps)
        state.time_capture = found
    return found


TimeCapture = Annotated[TimeCaptureService, Depends(time_capture)]


def _open_quietly(timers: TimeCaptureService, scope: Scope, number: int) -> None:
    try:
        timers.ticket_opened(scope, number)
    except Exception:
        # The ticket itself must open even when its timer cannot start; the agent can start
        # one by hand.
        logger.exception("viewing timer not started", ticket=number)


def start_viewing_timer(timers: TimeCaptureService, scope: Scope, number: int) -> Future[None]:
    """Start the agent's viewing timer on a ticket they open, on a worker thread."""
    return _OPENED_POOL.submit(_open_quietly, timers, scope, number)


class TimerOut(Timer):
    elapsed_seconds: int

    @classmethod
    def of(cls, timer: Timer, now: datetime | None = None) -> TimerOut:
        return cls(**dict(timer), elapsed_seconds=timer.elapsed(now or utcnow()))


class StoppedTimer(BaseModel):
    timer: TimerOut
    proposal: Proposal


# --- timers ------------------------------------------------------------------------------


@router.get("/timers", response_model=list[TimerOut])
def my_timers(scope: Staff, timers: TimeCapture) -> list[TimerOut]:
    """Your timers on every ticket, newest first."""
    now = utcnow()
    return [TimerOut.of(t, now) for t in timers.my_timers(scope)]


@router.get("/tickets/{number}/timer", response_model=TimerOut)
def get_timer(number: Number, scope: Staff, timers: TimeCapture) -> TimerOut:
    """Your timer on this ticket: every tab and reload sees the same one."""
    return TimerOut.of(timers.timer(scope, number))


@router.post("/tickets/{number}/timer", status_code=201, response_model=TimerOut)
def start_timer(number: Number, data: TimerStart, scope: Staff, timers: TimeCapture) -> TimerOut:
    """Start timing (the console calls this as you start an action). A running timer is
    returned as it is, a paused one resumed: one timer per agent and ticket."""
    return TimerOut.of(timers.start(scope, number, data))


@router.post("/tickets/{number}/timer/pause", response_model=TimerOut)
def pause_timer(number: Number, scope: Staff, timers: TimeCapture) -> TimerOut:
    return TimerOut.of(timers.pause(scope, number))


@router.post("/tickets/{number}/timer/resume", response_model=TimerOut)
def resume_timer(number: Number, scope: Staff, timers: TimeCapture) -> TimerOut:
    return TimerOut.of(timers.resume(scope, number))


@router.post("/tickets/{number}/timer/stop", response_model=StoppedTimer)
def stop_timer(number: Number, scope: Staff, timers: TimeCapture) -> StoppedTimer:
    """Stop the timer: the answer proposes a time entry to confirm (or change, or discard)."""
    timer, proposal = timers.stop(scope, number)
    return StoppedTimer(timer=TimerOut.of(timer), proposal=proposal)


@router.post("/tickets/{number}/timer/confirm", status_code=201, response_model=TimeEntry)
def confirm_timer(
    number: Number, data: TimerConfirm, scope: Staff, timers: TimeCapture
) -> TimeEntry:
    """Write the stopped timer's proposal, with what you send changed, as a time entry."""
    return timers.confirm(scope, number, data)


@router.delete("/tickets/{number}/timer", status_code=204)
def discard_timer(number: Number, scope: Staff, timers: TimeCapture) -> Response:
    timers.discard(scope, number)
    return Response(status_code=204)


# --- time entries --------------------------------------------------------------------------


@router.get("/tickets/{number}/time-entries", response_model=list[TimeEntry])
def list_entries(number: Number, scope: Staff, timers: TimeCapture) -> list[TimeEntry]:
    return timers.entries(scope, number)


@router.post("/tickets/{number}/time-entries", status_code=201, response_model=TimeEntry)
def add_entry(number: Number, data: TimeEntryInput, scope: Staff, timers: TimeCapture) -> TimeEntry:
    """Log time on a ticket; the client's contract decides what it costs."""
    return timers.add_entry(scope, number, data)


@router.patch("/tickets/{number}/time-entries/{entry_id}", response_model=TimeEntry)
def change_entry(
    number: Number,
    entry_id: EntryId,
    patch: TimeEntryPatch,
    scope: Staff,
    timers: TimeCapture,
    if_match: Annotated[str | None, Header()] = None,
) -> TimeEntry:
    """Change your own entry while its billing period is open (403 once it is approved)."""
    return timers.update_entry(scope, number, entry_id, patch, if_match_version(if_match))


@router.delete("/tickets/{number}/time-entries/{entry_id}", status_code=204)
def delete_entry(number: Number, entry_id: EntryId, scope: Staff, timers: TimeCapture) -> Response:
    timers.delete_entry(scope, number, entry_id)
    return Response(status_code=204)
