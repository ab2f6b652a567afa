"""Phone calls (DESIGN section 8): what a phone system tells us, the call we keep, and the pure
rules that move a call from ringing to answered to ended or missed. No I/O here.

Every provider's payload is turned into `CallEvent`s (mspdesk.domain.cti_providers); the call
service applies them to a `Call` with `advance`, so a redelivered or out-of-order event changes
nothing it should not.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import phonenumbers
from pydantic import Field

from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import Id, Model, utcnow
from mspdesk.domain.phone import to_e164


class CallProvider(StrEnum):
    GENERIC = "generic"  # Zammad's generic CTI interface (3CX, Placetel, sipgate bridges)
    THREECX = "3cx"  # 3CX's server-side CRM template
    AIRCALL = "aircall"
    TEAMS = "teams"  # Microsoft Teams call records through Graph


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallEventKind(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class CallState(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"  # answered, then hung up
    MISSED = "missed"  # hung up before anyone answered

    @property
    def is_over(self) -> bool:
        return self in (CallState.ENDED, CallState.MISSED)


class MatchedBy(StrEnum):
    END_USER = "end_user"  # the caller's own number (AP6)
    SITE = "site"  # the main number of one of the client's sites
    CLIENT = "client"  # the client's main number
    AGENT = "agent"  # an agent set the client or the person by hand


# Zammad's hang-up causes that mean nobody took the call.
UNANSWERED_CAUSES = frozenset({"cancel", "noanswer", "busy", "congestion", "notfound"})
# What phone systems send for a withheld number.
_ANONYMOUS = frozenset({"", "anonymous", "unknown", "restricted", "private", "withheld", "0"})

ExternalId = Annotated[str, Field(min_length=1, max_length=250)]


class CallEvent(Model):
    """One thing a phone system told us, in our terms."""

    provider: CallProvider
    external_id: ExternalId
    kind: CallEventKind
    direction: CallDirection = CallDirection.INBOUND
    # The outside party's number as the phone system wrote it, and the number of ours involved.
    caller: str | None = Field(default=None, max_length=200)
    dialled: str | None = Field(default=None, max_length=200)
    # Whatever names the agent: an extension, an email address, a name.
    agent_hints: list[Annotated[str, Field(max_length=320)]] = Field(
        default_factory=list, max_length=50
    )
    # When it happened, by the phone system's clock; None means "as it reached us".
    at: datetime | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    cause: str | None = Field(default=None, max_length=100)
    # The provider says outright that nobody answered.
    missed: bool | None = None


class Call(Model):
    id: Id
    provider: CallProvider
    external_id: ExternalId
    direction: CallDirection = CallDirection.INBOUND
    state: CallState = CallState.RINGING
    caller_raw: str | None = None
    caller_e164: str | None = None
    dialled_e164: str | None = None
    # Who is calling: kept empty for an unknown caller, who is never dropped.
    client_id: Id | None = None
    end_user_id: Id | None = None
    site_id: Id | None = None
    matched_by: MatchedBy | None = None
    # Other people on a shared line, for the agent to choose from.
    other_end_user_ids: list[Id] = Field(default_factory=list)
    # The agents the screen pop went to, and the one who answered.
    offered_to: list[Id] = Field(default_factory=list)
    team_id: Id | None = None
    agent_id: Id | None = None
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    cause: str | None = None
    # What the agent did: the ticket picked (or made at hang-up), notes, the script's answers.
    ticket_number: int | None = None
    notes: str = Field(default="", max_length=20_000)
    script_id: Id | None = None
    script_answers: dict[str, str] = Field(default_factory=dict)
    # Set once the call is written on its ticket with its time entry.
    logged: bool = False
    time_entry_id: Id | None = None
    # A missed call: the call-back ticket when the client is known, else an open call-back.
    callback_ticket: int | None = None
    callback_open: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1

    @property
    def talk_seconds(self) -> float:
        if self.answered_at is None or self.ended_at is None:
            return 0.0
        return max(0.0, (self.ended_at - self.answered_at).total_seconds())

    @property
    def billable_minutes(self) -> int:
        """Whole minutes from answer to end, at least one, at most a day (TimeEntry's bounds)."""
        return min(24 * 60, max(1, math.ceil(self.talk_seconds / 60)))


def call_id(provider: CallProvider, external_id: str) -> str:
    """The same provider call always gets the same id: a redelivered event finds its call."""
    digest = hashlib.sha256(f"{provider.value}:{external_id}".encode()).hexdigest()
    return f"call_{digest[:20]}"


_SIP = re.compile(r"^(?:sips?|tel):", re.IGNORECASE)


def caller_e164(raw: str | None, region: str) -> str | None:
    """A caller id as phone systems send it, in E.164; None when withheld or not a number.

    Beside what `to_e164` understands ("01623 555014", "+44 ...", "0044 ...", extensions),
    phone systems send international numbers without a plus ("441623555014", as in Zammad's
    examples) and SIP or tel URIs ("sip:+441623555014@pbx").
    """
    if raw is None:
        return None
    text = _SIP.sub("", raw.strip())
    text = text.split("@", 1)[0].split(";", 1)[0].strip()
    if text.lower() in _ANONYMOUS:
        return None
    candidates = [text]
    digits = re.sub(r"[\s().\-/]", "", text)
    if digits.isdigit() and not digits.startswith("0"):
        candidates.append("+" + digits)
    possible: str | None = None
    for candidate in candidates:
        try:
            number = to_e164(candidate, region)
        except InvalidInput:
            continue
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number
        possible = possible or number
    return possible


def start_call(event: CallEvent, e164: str | None, dialled: str | None, now: datetime) -> Call:
    """The call as the first event we hear of it describes it (ringing, or already over)."""
    started = event.started_at or event.at or now
    return Call(
        id=call_id(event.provider, event.external_id),
        provider=event.provider,
        external_id=event.external_id,
        direction=event.direction,
        caller_raw=event.caller,
        caller_e164=e164,
        dialled_e164=dialled,
        started_at=started,
        created_at=now,
        updated_at=now,
    )


def is_missed(event: CallEvent, answered_at: datetime | None) -> bool:
    if event.missed is not None:
        return event.missed
    if answered_at is None:
        return True
    return (event.cause or "").replace("_", "").lower() in UNANSWERED_CAUSES


def advance(call: Call, event: CallEvent, agent_id: str | None, now: datetime) -> Call | None:
    """The call after `event`, or None when the event changes nothing (a duplicate, or news
    of a stage the call has already passed)."""
    at = event.at or now
    if event.kind is CallEventKind.RINGING:
        return None
    if event.kind is CallEventKind.ANSWERED:
        if call.state is not CallState.RINGING:
            return None
        return call.model_copy(
            update={
                "state": CallState.ANSWERED,
                "answered_at": event.answered_at or at,
                "agent_id": agent_id or call.agent_id,
                "updated_at": now,
                "version": call.version + 1,
            }
        )
    if call.state.is_over:
        return None
    answered_at = call.answered_at or event.answered_at
    missed = is_missed(event, answered_at)
    ended_at = max(at, answered_at) if answered_at else at
    return call.model_copy(
        update={
            "state": CallState.MISSED if missed else CallState.ENDED,
            "answered_at": None if missed else answered_at,
            "ended_at": ended_at,
            "agent_id": None if missed else (call.agent_id or agent_id),
            "cause": event.cause or call.cause,
            "updated_at": now,
            "version": call.version + 1,
        }
    )


def describe(call: Call, caller_name: str | None) -> str:
    """The call as one line on its ticket: who, when, how long."""
    who = caller_name or call.caller_e164 or call.caller_raw or "a withheld number"
    way = "from" if call.direction is CallDirection.INBOUND else "to"
    if call.state is CallState.MISSED:
        return f"Missed {call.direction.value} call {way} {who} at {call.started_at:%H:%M} UTC."
    minutes = call.talk_seconds / 60
    answered = f"{call.answered_at:%H:%M}" if call.answered_at else "-"
    ended = f"{call.ended_at:%H:%M}" if call.ended_at else "-"
    return (
        f"{call.direction.value.capitalize()} call {way} {who}, {answered}-{ended} UTC "
        f"({minutes:.1f} min, {call.provider.value})."
    )


class CtiDirectory(Model):
    """Who is who on the phone system: extensions (or the names and addresses a phone system
    sends) to agents, and our dialled numbers to the team that answers them."""

    extensions: dict[Annotated[str, Field(min_length=1, max_length=320)], Id] = Field(
        default_factory=dict, max_length=2000
    )
    numbers: dict[Annotated[str, Field(min_length=2, max_length=40)], Id] = Field(
        default_factory=dict, max_length=500
    )
    version: int = 1
