"""Each phone system's payloads, as it sends them, to CallEvents. Pure: no I/O, no secrets.

- generic: Zammad's generic CTI interface (docs.zammad.org, "Generic CTI"): form or JSON posts
  with `event` newCall / answer / hangup, `from`, `to`, `direction` in / out, `callId`, `user`
  or `user[]` (the agents' names), `answeringNumber` and `cause` (normalClearing, busy,
  cancel, noAnswer, congestion, notFound, forwarded). `call_id` is accepted as a spelling of
  `callId`.
- 3cx: what integrations/3cx/mspdesk.xml (our server-side CRM template) posts to journal a
  finished call: call_type (Inbound, Outbound, Missed, Notanswered), number, agent,
  agent_email, agent_name, duration (seconds talked), start_utc, end_utc.
- aircall: webhook bodies {resource, event, timestamp, token, data: call}.
- teams: a Graph callRecord (communications/callRecords/{id}?$expand=sessions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from mspdesk.domain.calls import CallDirection, CallEvent, CallEventKind, CallProvider
from mspdesk.domain.errors import InvalidInput

Fields = Mapping[str, Sequence[str]]

_ZAMMAD_EVENTS = {
    "newcall": CallEventKind.RINGING,
    "answer": CallEventKind.ANSWERED,
    "hangup": CallEventKind.ENDED,
}
_AIRCALL_EVENTS = {
    "call.created": CallEventKind.RINGING,
    "call.ringing_on_agent": CallEventKind.RINGING,
    "call.answered": CallEventKind.ANSWERED,
    "call.hungup": CallEventKind.ENDED,
    "call.ended": CallEventKind.ENDED,
}


def _first(fields: Fields, *names: str) -> str | None:
    for name in names:
        values = fields.get(name)
        if values:
            value = str(values[0]).strip()
            if value:
                return value
    return None


def _all(fields: Fields, *names: str) -> list[str]:
    return [str(v).strip() for name in names for v in fields.get(name, ()) if str(v).strip()]


def as_fields(payload: Mapping[str, Any]) -> dict[str, list[str]]:
    """A JSON body in the shape of a parsed form: every value a list of strings."""
    out: dict[str, list[str]] = {}
    for key, value in payload.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        out[key] = [str(v) for v in values if v is not None and not isinstance(v, dict)]
    return out


def zammad_event(fields: Fields) -> CallEvent:
    """A Zammad generic CTI post (form-encoded or JSON through `as_fields`)."""
    name = (_first(fields, "event") or "").lower()
    kind = _ZAMMAD_EVENTS.get(name)
    if kind is None:
        raise InvalidInput("event", "event is newCall, answer or hangup")
    external = _first(fields, "callId", "call_id")
    if external is None:
        raise InvalidInput("callId", "callId is required")
    outbound = (_first(fields, "direction") or "in").lower() == "out"
    caller, ours = _first(fields, "from"), _first(fields, "to")
    hints = _all(fields, "answeringNumber") + _all(fields, "user[]", "user")
    return CallEvent(
        provider=CallProvider.GENERIC,
        external_id=external[:250],
        kind=kind,
        direction=CallDirection.OUTBOUND if outbound else CallDirection.INBOUND,
        caller=ours if outbound else caller,
        dialled=caller if outbound else ours,
        agent_hints=list(dict.fromkeys(hints))[:50],
        cause=_first(fields, "cause"),
    )


def _unix(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def aircall_event(body: Mapping[str, Any]) -> CallEvent | None:
    """An Aircall webhook; None for the events a screen pop and the call log do not need
    (call.tagged, call.commented, ...)."""
    kind = _AIRCALL_EVENTS.get(str(body.get("event", "")))
    data = body.get("data")
    if kind is None or not isinstance(data, Mapping) or data.get("id") is None:
        return None
    found_user, found_number = data.get("user"), data.get("number")
    user: Mapping[str, Any] = found_user if isinstance(found_user, Mapping) else {}
    number: Mapping[str, Any] = found_number if isinstance(found_number, Mapping) else {}
    hints = [str(user[k]) for k in ("email", "name") if user.get(k)]
    answered = _unix(data.get("answered_at"))
    at = {
        CallEventKind.RINGING: _unix(data.get("started_at")),
        CallEventKind.ANSWERED: answered,
        CallEventKind.ENDED: _unix(data.get("ended_at")),
    }[kind]
    missed = None
    if kind is CallEventKind.ENDED:
        missed = data.get("missed_call_reason") is not None or answered is None
    outbound = str(data.get("direction", "inbound")) == "outbound"
    return CallEvent(
        provider=CallProvider.AIRCALL,
        external_id=str(data["id"]),
        kind=kind,
        direction=CallDirection.OUTBOUND if outbound else CallDirection.INBOUND,
        caller=str(data.get("raw_digits") or "") or None,
        dialled=str(number.get("digits") or "") or None,
        agent_hints=hints,
        at=at,
        started_at=_unix(data.get("started_at")),
        answered_at=answered,
        cause=str(data["missed_call_reason"]) if data.get("missed_call_reason") else None,
        missed=missed,
    )


def _iso(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seconds(value: str | None) -> int:
    """3CX durations: seconds ("125", "125.4") or a time span ("00:02:05")."""
    if not value:
        return 0
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return round(float(value))
    parts = re.fullmatch(r"(?:(\d+)\.)?(\d+):(\d{2}):(\d{2})(?:\.\d+)?", value)
    if parts is None:
        return 0
    days, hours, minutes, seconds = (int(p) if p else 0 for p in parts.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def threecx_journal(fields: Fields, now: datetime) -> CallEvent:
    """The ReportCall post of our 3CX template: one finished call."""
    number = _first(fields, "number")
    if number is None:
        raise InvalidInput("number", "number is required")
    call_type = (_first(fields, "call_type") or "Inbound").lower()
    ended = _iso(_first(fields, "end_utc")) or now
    started = _iso(_first(fields, "start_utc")) or ended
    talked = _seconds(_first(fields, "duration"))
    missed = call_type in ("missed", "notanswered")
    answered = None if missed or talked <= 0 else ended - timedelta(seconds=talked)
    hints = [h for h in (_first(fields, "agent_email"), _first(fields, "agent")) if h]
    name = _first(fields, "agent_name")
    if name:
        hints.append(name)
    return CallEvent(
        provider=CallProvider.THREECX,
        external_id=f"{number}@{started.isoformat()}"[:250],
        kind=CallEventKind.ENDED,
        direction=(
            CallDirection.OUTBOUND
            if call_type in ("outbound", "notanswered")
            else CallDirection.INBOUND
        ),
        caller=number,
        agent_hints=hints,
        at=ended,
        started_at=started,
        answered_at=max(answered, started) if answered else None,
        cause="noAnswer" if missed else "normalClearing",
        missed=missed,
    )


def _identity(endpoint: Any) -> tuple[str | None, list[str]]:
    """(phone number, names of a user) of a Graph endpoint or participant identity set."""
    if not isinstance(endpoint, Mapping):
        return None, []
    identity = endpoint.get("identity") or endpoint.get("associatedIdentity") or endpoint
    if not isinstance(identity, Mapping):
        return None, []
    phone = identity.get("phone")
    if isinstance(phone, Mapping) and phone.get("id"):
        return str(phone["id"]), []
    user = identity.get("user") if isinstance(identity.get("user"), Mapping) else identity
    names = [
        str(user[k])
        for k in ("userPrincipalName", "displayName", "id")
        if isinstance(user, Mapping) and user.get(k)
    ]
    return None, names


def teams_call_event(record: Mapping[str, Any]) -> CallEvent | None:
    """A Graph callRecord of a PSTN call, as the ended call it describes; None for meetings
    and calls between colleagues (no phone number on either side)."""
    record_id = record.get("id")
    if not record_id:
        return None
    sessions = [s for s in record.get("sessions") or [] if isinstance(s, Mapping)]
    caller: str | None = None
    direction = CallDirection.INBOUND
    answered: datetime | None = None
    hints: list[str] = []
    for session in sorted(sessions, key=lambda s: str(s.get("startDateTime", ""))):
        from_phone, from_user = _identity(session.get("caller"))
        to_phone, to_user = _identity(session.get("callee"))
        if caller is None and (from_phone or to_phone):
            caller = from_phone or to_phone
            direction = CallDirection.INBOUND if from_phone else CallDirection.OUTBOUND
        agent = to_user if from_phone else from_user if to_phone else []
        if agent and answered is None and not session.get("failureInfo"):
            answered = _iso(session.get("startDateTime"))
            hints = agent
    if caller is None:
        for participant in record.get("participants") or []:
            phone, _ = _identity(participant)
            if phone:
                caller = phone
                break
    if caller is None:
        return None
    started = _iso(record.get("startDateTime"))
    return CallEvent(
        provider=CallProvider.TEAMS,
        external_id=str(record_id)[:250],
        kind=CallEventKind.ENDED,
        direction=direction,
        caller=caller,
        agent_hints=hints,
        at=_iso(record.get("endDateTime")),
        started_at=started,
        answered_at=answered,
        missed=answered is None,
    )


def teams_record_ids(notification: Mapping[str, Any]) -> list[str]:
    """The call record ids a Graph change notification collection names."""
    ids: list[str] = []
    for item in notification.get("value") or []:
        if not isinstance(item, Mapping):
            continue
        data = item.get("resourceData")
        found = data.get("id") if isinstance(data, Mapping) else None
        if not found:
            resource = str(item.get("resource") or "")
            match = re.search(r"callRecords(?:/|\(')([^/')]+)", resource)
            found = match.group(1) if match else None
        if found and str(found) not in ids:
            ids.append(str(found))
    return ids
