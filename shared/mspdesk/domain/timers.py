"""Timers kept on the server (DESIGN section 6): one per agent and ticket, pure state changes.

A timer runs, pauses and stops; its time is what ran between starts and pauses. Stopping it
proposes a time entry that the agent confirms (and may correct): the timer never writes time
on its own.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from mspdesk.domain.enums import TimerMode
from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import Id, Model

WorkType = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_\-]+$")]


class TimerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class Timer(Model):
    id: Id
    ticket_number: int
    client_id: Id
    agent_id: Id
    mode: TimerMode
    state: TimerState = TimerState.RUNNING
    started_at: datetime
    # While running: since when; the seconds before that are in `seconds`.
    running_since: datetime | None = None
    seconds: int = 0
    stopped_at: datetime | None = None
    work_type: WorkType = "remote"
    note: str = Field(default="", max_length=5000)
    version: int = 1
    updated_at: datetime

    def elapsed(self, now: datetime) -> int:
        """Seconds counted so far."""
        if self.state is TimerState.RUNNING and self.running_since is not None:
            return self.seconds + max(0, int((now - self.running_since).total_seconds()))
        return self.seconds

    def pause(self, now: datetime) -> Timer:
        if self.state is not TimerState.RUNNING:
            return self
        return self._next(now, state=TimerState.PAUSED, seconds=self.elapsed(now))

    def resume(self, now: datetime) -> Timer:
        if self.state is TimerState.STOPPED:
            raise InvalidInput("state", "a stopped timer proposes an entry: confirm or discard it")
        if self.state is TimerState.RUNNING:
            return self
        return self._next(now, state=TimerState.RUNNING, running_since=now)

    def stop(self, now: datetime) -> Timer:
        if self.state is TimerState.STOPPED:
            return self
        return self._next(now, state=TimerState.STOPPED, seconds=self.elapsed(now), stopped_at=now)

    def _next(self, now: datetime, **changes: object) -> Timer:
        if changes.get("state") is not TimerState.RUNNING:
            changes["running_since"] = None
        return self.model_copy(update={**changes, "version": self.version + 1, "updated_at": now})

    def proposal(self, now: datetime) -> Proposal:
        """The time entry this timer proposes: its minutes (at least one), work type, note."""
        minutes = max(1, min(24 * 60, round(self.elapsed(now) / 60)))
        return Proposal(
            ticket_number=self.ticket_number,
            started_at=self.started_at,
            minutes=minutes,
            work_type=self.work_type,
            note=self.note,
        )


class Proposal(Model):
    """What stopping a timer proposes; the agent confirms it, changed or not."""

    ticket_number: int
    started_at: datetime
    minutes: int = Field(gt=0, le=24 * 60)
    work_type: WorkType
    note: str = Field(default="", max_length=5000)


def started_by_mode(team_mode: TimerMode, trigger: TimerMode) -> bool:
    """Whether opening a ticket (VIEWING) or starting an action (DOING) starts a timer for a
    team in `team_mode`: viewing teams time from the moment a ticket opens, doing teams from the
    first action. Starting an action always starts one (a viewing team's timer is running by
    then, so nothing changes)."""
    return trigger is TimerMode.DOING or team_mode is TimerMode.VIEWING
