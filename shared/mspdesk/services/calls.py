"""Calls: every phone system's events through one path. Match the caller, pop the record to
the agents concerned on ringing and on answer, and at hang-up log the call on the ticket the
agent picked (or a new one) with a time entry from answer to end; a missed call becomes a
call-back. The webhooks, the agents' routes and the tests all come through here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from mspdesk.adapters.websocket_push import Message, ScreenPopPusher
from mspdesk.cti_config import CtiSettings
from mspdesk.domain.call_scripts import CallScript, choose_script, transcript, walk
from mspdesk.domain.calls import (
    Call,
    CallDirection,
    CallEvent,
    CallEventKind,
    CallProvider,
    CallState,
    CtiDirectory,
    MatchedBy,
    advance,
    call_id,
    caller_e164,
    describe,
    start_call,
)
from mspdesk.domain.enums import ActionKind, Priority, TicketSource, Visibility
from mspdesk.domain.errors import InvalidInput, NotFound, VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import Agent, Client, EndUser, Id, Model, TimeEntry
from mspdesk.domain.scope import Scope
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import ActionInput, TicketInput, TicketService
from mspdesk.services.time_capture import TimeCaptureService
from mspdesk.store import entities as kinds
from mspdesk.store.call_scripts import CallScriptStore
from mspdesk.store.calls import CallStore
from mspdesk.store.cti_directory import DirectoryStore
from mspdesk.store.dynamo import Page, QueueFilter
from mspdesk.store.websocket_connections import ConnectionStore

SAVE_ATTEMPTS = 8
OPEN_TICKETS_SHOWN = 10
REFERENCE_SECONDS = 30.0
# A 3CX lookup and the journal of the same call are paired by the caller's number this long.
THREECX_PAIRING = timedelta(hours=2)


class CallPatch(Model):
    """What an agent sets on a call: the ticket to log it on, who the caller is, notes."""

    ticket_number: Annotated[int, Field(ge=1, le=10**12)] | None = None
    client_id: Id | None = None
    end_user_id: Id | None = None
    notes: Annotated[str, Field(max_length=20_000)] | None = None
    callback_done: bool | None = None


class ScriptAnswers(Model):
    script_id: Id
    answers: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=2000)]]


@dataclass(frozen=True)
class Contact:
    """What a phone system's contact lookup answers (3CX)."""

    end_user: EndUser | None
    client: Client | None


def agent_scope(agent: Agent) -> Scope:
    return Scope(role=agent.role, principal_id=agent.id, name=agent.name)


class CallService:
    def __init__(self, deps: Deps, pusher: ScreenPopPusher, settings: CtiSettings) -> None:
        self._d = deps
        self._pusher = pusher
        self._settings = settings
        self.calls = CallStore(deps.store)
        self.time_capture = TimeCaptureService(deps)
        self.directory_store = DirectoryStore(deps.store)
        self.scripts = CallScriptStore(deps.store)
        self.connections = ConnectionStore(deps.store)
        self.tickets = TicketService(deps)
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    # --- reference data, kept briefly: every ringing call reads it ---------------------------

    def _cached(self, key: str, read: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < REFERENCE_SECONDS:
            return hit[1]
        value = read()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def _region(self) -> str:
        region: str = self._cached("region", lambda: self._d.store.get_settings().phone_region)
        return region

    def _directory(self) -> CtiDirectory:
        found: CtiDirectory = self._cached("directory", self.directory_store.directory)
        return found

    def _agents(self) -> list[Agent]:
        def read() -> list[Agent]:
            return [a for a in self._d.store.every_entity(kinds.AGENTS) if a.active]

        found: list[Agent] = self._cached("agents", read)
        return found

    def forget_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # --- who is calling, who is concerned ---------------------------------------------------

    def _match(self, call: Call) -> Call:
        """End-user by phone (AP6), else the client by a site's or its own main number; an
        unknown caller stays unmatched and is kept."""
        if not call.caller_e164:
            return call
        people = self._d.store.end_users_by_phone(call.caller_e164)
        if people:
            first = people[0]
            return call.model_copy(
                update={
                    "client_id": first.client_id,
                    "end_user_id": first.id,
                    "other_end_user_ids": [p.id for p in people[1:]],
                    "matched_by": MatchedBy.END_USER,
                }
            )
        owners = self.directory_store.main_number_owners(call.caller_e164)
        site = next((o for o in owners if o.kind == "site"), None)
        owner = site or next(iter(owners), None)
        if owner is None:
            return call
        return call.model_copy(
            update={
                "client_id": owner.client_id,
                "site_id": site.owner_id if site else None,
                "matched_by": MatchedBy.SITE if site else MatchedBy.CLIENT,
            }
        )

    def agent_for(self, hints: list[str]) -> Agent | None:
        """The agent a phone system names: an extension of the directory, an email address,
        or a name."""
        if not hints:
            return None
        directory = self._directory()
        agents = {a.id: a for a in self._agents()}
        for hint in hints:
            mapped = directory.extensions.get(hint) or directory.extensions.get(hint.lower())
            if mapped and mapped in agents:
                return agents[mapped]
            lowered = hint.strip().lower()
            for agent in agents.values():
                if lowered in (agent.email, agent.name.lower()):
                    return agent
        return None

    def _concerned(self, call: Call, hints: list[str]) -> tuple[list[str], str | None]:
        """The agents a ringing call pops to: those the phone system names, else the agents of
        the team that answers the dialled number, else every agent."""
        team_id = self._directory().numbers.get(call.dialled_e164 or "")
        named = [a.id for a in (self.agent_for([h]) for h in hints) if a is not None]
        if named:
            return list(dict.fromkeys(named)), team_id
        agents = self._agents()
        if team_id:
            members = [a.id for a in agents if team_id in a.team_ids]
            if members:
                return members, team_id
        return [a.id for a in agents], team_id

    # --- the screen pop -------------------------------------------------------------------------

    def screen_pop(self, call: Call, stage: str) -> Message:
        """Caller, client, contract, VIP and pop-up notes, open tickets and the call script."""
        store = self._d.store
        wanted: list[tuple[kinds.EntityKind[Any], str]] = []
        if call.client_id:
            wanted.append((kinds.CLIENTS, call.client_id))
        for person in [call.end_user_id, *call.other_end_user_ids]:
            if person:
                wanted.append((kinds.END_USERS, person))
        found = store.get_reference(wanted) if wanted else {}
        client = found.get(("client", call.client_id or ""))
        end_user = found.get(("end_user", call.end_user_id or ""))
        others = [found.get(("end_user", i)) for i in call.other_end_user_ids]
        client = client if isinstance(client, Client) else None
        end_user = end_user if isinstance(end_user, EndUser) else None
        contract = None
        open_tickets: list[dict[str, Any]] = []
        if client is not None:
            zone = ZoneInfo(store.get_settings().time_zone)
            contract = store.contract_in_force(client.id, self._d.clock().astimezone(zone).date())
            queue = store.queue(
                Scope.system(), QueueFilter(client_id=client.id), OPEN_TICKETS_SHOWN, None
            ).items
            queue.sort(key=lambda t: t.end_user_id != call.end_user_id)
            open_tickets = [
                {
                    "number": t.number,
                    "subject": t.subject,
                    "status": t.status.value,
                    "priority": t.priority.value,
                    "end_user_id": t.end_user_id,
                    "sla_due_at": t.queue_due_at,
                    "mine": bool(call.end_user_id) and t.end_user_id == call.end_user_id,
                }
                for t in queue
            ]
        script = choose_script(self.scripts.all(cached=True), call.client_id, None, call.team_id)
        notes = [
            *(client.popup_notes if client else []),
            *(end_user.popup_notes if end_user else []),
        ]
        return {
            "type": "screen_pop",
            "stage": stage,
            "call": call.model_dump(
                mode="json",
                include={
                    "id",
                    "provider",
                    "direction",
                    "state",
                    "caller_raw",
                    "caller_e164",
                    "dialled_e164",
                    "matched_by",
                    "agent_id",
                    "team_id",
                    "started_at",
                    "answered_at",
                    "ticket_number",
                },
            ),
            "caller": _person(end_user),
            "other_matches": [_person(o) for o in others if isinstance(o, EndUser)],
            "client": (
                client.model_dump(mode="json", include={"id", "name", "unsupported", "main_phone"})
                if client
                else None
            ),
            "contract": (
                contract.model_dump(
                    mode="json", include={"id", "name", "kind", "starts_on", "ends_on"}
                )
                if contract
                else None
            ),
            "vip": bool(end_user and end_user.vip),
            "unsupported": bool(
                (client and client.unsupported) or (end_user and end_user.unsupported)
            ),
            "popup_notes": notes,
            "open_tickets": open_tickets,
            "script": script.model_dump(mode="json") if script else None,
        }

    def _pop(self, call: Call, stage: str, agent_ids: list[str]) -> int:
        """Push the screen pop to every open console of these agents; returns how many."""
        if not agent_ids:
            return 0
        message = self.screen_pop(call, stage)
        now = self._d.clock()
        sent = 0
        for agent_id in agent_ids:
            for connection in self.connections.of_agent(agent_id, now):
                if self._pusher.push(connection, message):
                    sent += 1
                else:
                    self.connections.delete(connection)
        return sent

    def broadcast(self, message: Message) -> int:
        """A message to every agent's consoles (a suspected major incident)."""
        now = self._d.clock()
        sent = 0
        for agent in self._agents():
            for connection in self.connections.of_agent(agent.id, now):
                if self._pusher.push(connection, message):
                    sent += 1
                else:
                    self.connections.delete(connection)
        return sent

    # --- phone system events ----------------------------------------------------------------

    def handle(self, event: CallEvent, external_id: str | None = None) -> Call:
        """Apply one event of a phone system; safe to deliver twice."""
        if external_id is not None:
            event = event.model_copy(update={"external_id": external_id})
        now = self._d.clock()
        region = self._region()
        the_id = call_id(event.provider, event.external_id)
        call = self.calls.get(the_id, consistent=True)
        if call is None:
            fresh = self._match(
                start_call(
                    event,
                    caller_e164(event.caller, region),
                    caller_e164(event.dialled, region),
                    now,
                )
            )
            offered, team_id = self._concerned(fresh, event.agent_hints)
            fresh = fresh.model_copy(update={"offered_to": offered, "team_id": team_id})
            if self.calls.create(fresh):
                self._publish("CallStarted", fresh, {})
                if event.kind is CallEventKind.RINGING:
                    self._pop(fresh, "ringing", offered)
                call = fresh
            else:  # created meanwhile by a concurrent delivery
                call = self.calls.get(the_id, consistent=True) or fresh
        elif event.kind is CallEventKind.RINGING and event.agent_hints:
            call = self._ring_more(call, event)
        agent = (
            self.agent_for(event.agent_hints) if event.kind is not CallEventKind.RINGING else None
        )
        changed = self._save_with(
            call.id, lambda c: advance(c, event, agent.id if agent else None, now)
        )
        if changed is None:
            return self.calls.get(call.id) or call
        if changed.state is CallState.ANSWERED:
            self._publish(
                "CallAnswered",
                changed,
                {"answered_at": changed.answered_at, "agent_id": changed.agent_id},
            )
            self._pop(
                changed, "answered", [changed.agent_id] if changed.agent_id else changed.offered_to
            )
            return changed
        if changed.state.is_over:
            return self._after_hang_up(changed)
        return changed

    def _ring_more(self, call: Call, event: CallEvent) -> Call:
        """A ringing call offered to more agents (Aircall's call.ringing_on_agent)."""
        more = [
            a.id
            for a in (self.agent_for([h]) for h in event.agent_hints)
            if a is not None and a.id not in call.offered_to
        ]
        if not more or call.state is not CallState.RINGING:
            return call
        updated = self._save_with(
            call.id,
            lambda c: c.model_copy(
                update={"offered_to": [*c.offered_to, *more], "version": c.version + 1}
            ),
        )
        self._pop(updated or call, "ringing", more)
        return updated or call

    def _save_with(self, the_id: str, change: Callable[[Call], Call | None]) -> Call | None:
        """Read the call, apply `change`, write it; a concurrent write is retried."""
        for _ in range(SAVE_ATTEMPTS):
            current = self.calls.get(the_id, consistent=True)
            if current is None:
                raise NotFound("call", the_id)
            changed = change(current)
            if changed is None:
                return None
            changed = changed.model_copy(
                update={"version": current.version + 1, "updated_at": self._d.clock()}
            )
            try:
                self.calls.save(changed, current.version)
            except VersionConflict:
                continue
            return changed
        raise VersionConflict("call", the_id, 0, None)

    # --- hang-up ------------------------------------------------------------------------------

    def _after_hang_up(self, call: Call) -> Call:
        self._publish(
            "CallEnded",
            call,
            {"state": call.state.value, "has_notes": bool(call.notes.strip())},
        )
        if call.state is CallState.MISSED:
            return self._call_back(call)
        return self._log(call)

    def _agent(self, agent_id: str | None) -> Agent | None:
        if not agent_id:
            return None
        found = self._d.store.get_reference([(kinds.AGENTS, agent_id)]).get(("agent", agent_id))
        return found if isinstance(found, Agent) else None

    def _caller_name(self, call: Call) -> str | None:
        if not call.end_user_id:
            return None
        found = self._d.store.get_reference([(kinds.END_USERS, call.end_user_id)])
        person = found.get(("end_user", call.end_user_id))
        return person.name if isinstance(person, EndUser) else None

    def _log(self, call: Call) -> Call:
        """The answered call on its ticket (the one picked, else a new one) with a time entry
        from answer to end. Waits for an agent to say who called when the caller is unknown."""
        if call.logged or call.state is not CallState.ENDED or call.client_id is None:
            return call
        agent = self._agent(call.agent_id)
        scope = agent_scope(agent) if agent else Scope.system()
        name = self._caller_name(call)
        summary = describe(call, name)
        way = "from" if call.direction is CallDirection.INBOUND else "to"
        who = name or call.caller_e164 or call.caller_raw or "a withheld number"
        number = call.ticket_number
        if number is None:
            ticket = self.tickets.create(
                scope,
                TicketInput(
                    client_id=call.client_id,
                    end_user_id=call.end_user_id,
                    subject=f"Phone call {way} {who}"[:500],
                    body=call.notes.strip() or summary,
                    agent_id=agent.id if agent else None,
                    team_id=call.team_id,
                ),
                source=TicketSource.PHONE,
                idempotency_key=f"call:{call.id}",
            )
            number = ticket.number
        body = summary + (f"\n\nNotes:\n{call.notes.strip()}" if call.notes.strip() else "")
        self.tickets.add_action(
            scope,
            number,
            ActionInput(body=body, visibility=Visibility.PRIVATE, kind=ActionKind.CALL),
        )
        self._save_answers_on(call, scope, number)
        entry_id = None
        if agent is not None and call.answered_at is not None:
            entry = TimeEntry(
                id=f"te_{call.id.removeprefix('call_')[:20]}",
                ticket_number=number,
                client_id=call.client_id,
                agent_id=agent.id,
                started_at=call.answered_at,
                minutes=call.billable_minutes,
                work_type="phone",
                note=summary[:5000],
                created_at=self._d.clock(),
            )
            # Through time capture, so the entry reopens its period's draft (or rolls into
            # the next open period); a retried hang-up finds it written and adds nothing.
            self.time_capture.record(entry)
            entry_id = entry.id
        logged = self._save_with(
            call.id,
            lambda c: c.model_copy(
                update={"logged": True, "ticket_number": number, "time_entry_id": entry_id}
            ),
        )
        final = logged or call
        self._publish("CallLogged", final, {"ticket_number": number, "time_entry_id": entry_id})
        return final

    def _save_answers_on(self, call: Call, scope: Scope, number: int) -> None:
        if not (call.script_id and call.script_answers):
            return
        try:
            script = self.scripts.get(call.script_id)
        except NotFound:
            return
        text = transcript(script, walk(script, call.script_answers))
        self.tickets.add_action(
            scope,
            number,
            ActionInput(body=text, visibility=Visibility.PRIVATE, kind=ActionKind.NOTE),
        )

    def _call_back(self, call: Call) -> Call:
        """A missed inbound call: a call-back ticket when the client is known (it joins the
        queue with its SLA), else an open call-back on the call itself."""
        if call.direction is not CallDirection.INBOUND or call.callback_ticket is not None:
            return call
        if call.client_id is None:
            if not call.callback_open and call.caller_e164:
                return (
                    self._save_with(call.id, lambda c: c.model_copy(update={"callback_open": True}))
                    or call
                )
            return call
        name = self._caller_name(call)
        vip = False
        if call.end_user_id:
            found = self._d.store.get_reference([(kinds.END_USERS, call.end_user_id)])
            person = found.get(("end_user", call.end_user_id))
            vip = isinstance(person, EndUser) and person.vip
        who = name or call.caller_e164 or call.caller_raw or "a withheld number"
        ticket = self.tickets.create(
            Scope.system(),
            TicketInput(
                client_id=call.client_id,
                end_user_id=call.end_user_id,
                subject=f"Call back {who} (missed call)"[:500],
                body=describe(call, name) + f" Call back on {call.caller_e164 or call.caller_raw}.",
                priority=Priority.P2 if vip else None,
                team_id=call.team_id,
            ),
            source=TicketSource.PHONE,
            idempotency_key=f"callback:{call.id}",
        )
        return (
            self._save_with(
                call.id,
                lambda c: c.model_copy(
                    update={"callback_ticket": ticket.number, "callback_open": False}
                ),
            )
            or call
        )

    # --- 3CX ----------------------------------------------------------------------------------

    def contact(self, raw_number: str) -> tuple[str | None, Contact]:
        """3CX's contact lookup: the caller's E.164 and who it is."""
        e164 = caller_e164(raw_number, self._region())
        if e164 is None:
            return None, Contact(None, None)
        call = self._match(
            Call(
                id="call_lookup",
                provider=CallProvider.THREECX,
                external_id="lookup",
                caller_e164=e164,
                started_at=self._d.clock(),
            )
        )
        wanted: list[tuple[kinds.EntityKind[Any], str]] = []
        if call.client_id:
            wanted.append((kinds.CLIENTS, call.client_id))
        if call.end_user_id:
            wanted.append((kinds.END_USERS, call.end_user_id))
        found = self._d.store.get_reference(wanted) if wanted else {}
        client = found.get(("client", call.client_id or ""))
        person = found.get(("end_user", call.end_user_id or ""))
        return e164, Contact(
            person if isinstance(person, EndUser) else None,
            client if isinstance(client, Client) else None,
        )

    def threecx_lookup(self, raw_number: str) -> tuple[Call | None, Contact]:
        """The lookup is 3CX's sign of a ringing call: it starts a call (once per number while
        one is pending) and pops it; the journal later finishes the same call."""
        e164, contact = self.contact(raw_number)
        if e164 is None:
            return None, contact
        now = self._d.clock()
        pending = self.calls.pending(CallProvider.THREECX, e164, now)
        if pending is not None:
            existing = self.calls.get(pending)
            if existing is not None and existing.state is CallState.RINGING:
                return existing, contact
        external = f"lookup:{e164}:{now.isoformat()}"
        call = self.handle(
            CallEvent(
                provider=CallProvider.THREECX,
                external_id=external,
                kind=CallEventKind.RINGING,
                caller=raw_number,
                at=now,
            )
        )
        self.calls.put_pending(CallProvider.THREECX, e164, call.id, now + THREECX_PAIRING)
        return call, contact

    def threecx_journal(self, event: CallEvent) -> Call:
        """3CX's ReportCall: finish the call its lookup started, or log it on its own."""
        e164 = caller_e164(event.caller, self._region())
        now = self._d.clock()
        pending = self.calls.pending(CallProvider.THREECX, e164, now) if e164 else None
        if pending is not None and e164 is not None:
            existing = self.calls.get(pending, consistent=True)
            if existing is not None and not existing.state.is_over:
                self.calls.clear_pending(CallProvider.THREECX, e164)
                return self.handle(event, external_id=existing.external_id)
        return self.handle(event)

    # --- agents' work on a call --------------------------------------------------------------

    def get(self, scope: Scope, the_id: str) -> Call:
        call = self.calls.get(the_id) if scope.is_staff else None
        if call is None:
            raise NotFound("call", the_id)
        return call

    def update(self, scope: Scope, the_id: str, patch: CallPatch) -> Call:
        """Pick the ticket, say who called, write notes, close a call-back. A call over and
        not yet logged is logged as soon as its client is known."""
        current = self.get(scope, the_id)
        fields = patch.model_fields_set
        picked_client: str | None = None
        if "ticket_number" in fields and patch.ticket_number is not None:
            if current.logged and current.ticket_number != patch.ticket_number:
                raise InvalidInput(
                    "ticket_number", f"the call is logged on #{current.ticket_number}"
                )
            ticket = self._d.store.get_ticket(patch.ticket_number, scope)
            client = patch.client_id or current.client_id
            if client is not None and ticket.client_id != client:
                raise InvalidInput("ticket_number", "that ticket belongs to another client")
            picked_client = ticket.client_id
        if (
            patch.client_id is not None
            and self._d.store.find_entity(kinds.CLIENTS, patch.client_id) is None
        ):
            raise InvalidInput("client_id", f"no client {patch.client_id}")
        if patch.end_user_id is not None:
            person = self._d.store.find_entity(kinds.END_USERS, patch.end_user_id)
            client = patch.client_id or current.client_id
            if person is None or (client is not None and person.client_id != client):
                raise InvalidInput("end_user_id", f"no end-user {patch.end_user_id} at this client")
        if current.logged and ("client_id" in fields or "end_user_id" in fields):
            raise InvalidInput("client_id", "the call is logged; change the ticket instead")

        def change(call: Call) -> Call:
            update: dict[str, Any] = {}
            if patch.ticket_number is not None:
                update["ticket_number"] = patch.ticket_number
                if call.client_id is None and patch.client_id is None:
                    # Picking a ticket says who called.
                    update.update(client_id=picked_client, matched_by=MatchedBy.AGENT)
            if patch.end_user_id is not None:
                person = self._d.store.find_entity(kinds.END_USERS, patch.end_user_id)
                update.update(end_user_id=patch.end_user_id, matched_by=MatchedBy.AGENT)
                if person is not None:
                    update["client_id"] = person.client_id
            if patch.client_id is not None:
                update.update(client_id=patch.client_id, matched_by=MatchedBy.AGENT)
                if patch.ticket_number is None and call.ticket_number is not None:
                    update["ticket_number"] = None
            if patch.notes is not None:
                update["notes"] = patch.notes
            if patch.callback_done:
                update["callback_open"] = False
            return call.model_copy(update=update)

        changed = self._save_with(the_id, change) or current
        if patch.notes is not None and changed.logged and changed.ticket_number:
            self.tickets.add_action(
                scope,
                changed.ticket_number,
                ActionInput(body=f"Call notes:\n{patch.notes}", visibility=Visibility.PRIVATE),
            )
        caller_named = current.client_id is None and changed.client_id is not None
        if changed.notes.strip() and (patch.notes is not None or caller_named):
            self._publish("CallNoted", changed, {})
        if changed.state is CallState.ENDED and not changed.logged:
            changed = self._log(changed)
        elif changed.state is CallState.MISSED and changed.callback_open and changed.client_id:
            changed = self._call_back(changed)
        return changed

    def answer_script(self, scope: Scope, the_id: str, data: ScriptAnswers) -> Call:
        """The script's answers on the call; on its ticket at once when it is logged already,
        else when it is logged at hang-up."""
        call = self.get(scope, the_id)
        script: CallScript = self.scripts.get(data.script_id)
        walk(script, data.answers)
        changed = (
            self._save_with(
                call.id,
                lambda c: c.model_copy(
                    update={"script_id": script.id, "script_answers": data.answers}
                ),
            )
            or call
        )
        if changed.logged and changed.ticket_number:
            self._save_answers_on(changed, scope, changed.ticket_number)
        return changed

    def listing(
        self, scope: Scope, view: str, limit: int, cursor: str | None, hours: int
    ) -> Page[Call]:
        if not scope.is_staff:
            raise NotFound("route", "calls")
        if view in ("unmatched", "callback"):
            return self.calls.waiting(view, limit, cursor)
        now = self._d.clock()
        return self.calls.recent_page(now - timedelta(hours=hours), now, limit, cursor)

    # --- events -------------------------------------------------------------------------------

    def _publish(self, event_type: str, call: Call, extra: dict[str, Any]) -> None:
        detail = {
            "call_id": call.id,
            "provider": call.provider.value,
            "state": call.state.value,
            "ticket_number": call.ticket_number,
            **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in extra.items()},
        }
        self._d.events.publish(
            [DomainEvent(type=event_type, client_id=call.client_id, detail=detail)]
        )


def _person(person: EndUser | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return person.model_dump(
        mode="json",
        include={
            "id",
            "name",
            "job_title",
            "vip",
            "unsupported",
            "emails",
            "phones",
            "site_id",
            "client_id",
        },
    )
