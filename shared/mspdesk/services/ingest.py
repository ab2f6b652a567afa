"""Email ingestion (issue 3): every received mail becomes the right ticket update, or an entry
an admin or agent can see. Never dropped.

    raw bytes (kept in S3 before this runs) -> parse -> classify
      automatic (bounce, auto-reply, list, report)   -> ignored-mail log, no ticket, no reply;
                                                        a bounce of our mail -> a note (AP8)
      a reply (subject token, or In-Reply-To / References on AP8)
        -> append to that ticket (reopens a waiting or recently resolved one), or a new ticket
           that follows up a closed one
      else the sender: address -> end-user -> client; domain -> client (creating the end-user
        when the client allows it) -> a new ticket; nobody -> the unmatched view
      known people in To/Cc -> watchers

`examine` is the pure-ish core (parse, classify, thread, match against a `MailDirectory`),
shared with the ingest benchmark; `IngestService` acts on what it found. A mail's ticket write
and its Message-ID link are one transaction (mspdesk.store.mail), so a mail delivered twice,
or retried after a crash, changes its ticket once. The acknowledgement of a new ticket is sent
by functions/mail_outbound on TicketCreated (mspdesk.services.mail_out).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from mspdesk.adapters.blobs import BlobRef, BlobStore
from mspdesk.domain.attachments import StoredAttachment, safe_filename
from mspdesk.domain.enums import ActionKind, Priority, TicketSource, TicketStatus, Visibility
from mspdesk.domain.errors import AlreadyExists, InvalidInput, NotFound, VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.mail import (
    Address,
    Classification,
    MailKind,
    ParsedMail,
    classify,
    is_forward_subject,
    parse,
    thread_ids,
    ticket_token,
)
from mspdesk.domain.mail_records import (
    IgnoredMail,
    RawMail,
    UnmatchedMail,
    Watcher,
    mail_key,
)
from mspdesk.domain.models import (
    Action,
    Author,
    Client,
    EndUser,
    StatusChange,
    Ticket,
    new_id,
)
from mspdesk.domain.scope import Scope
from mspdesk.mail_config import MailSettings
from mspdesk.services.admin import AdminService, lookup
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketService
from mspdesk.store import entities as kinds
from mspdesk.store import table
from mspdesk.store.codec import s
from mspdesk.store.dynamo import DynamoStore, Page, Principal
from mspdesk.store.mail import MailStore

# How many In-Reply-To / References ids are looked up (AP8) before giving up on threading.
THREAD_LOOKUPS = 10
APPEND_ATTEMPTS = 12
NO_TEXT = "(the mail had no readable text)"
NO_SUBJECT = "(no subject)"
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "text/plain": ".txt",
    "text/html": ".html",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
}


# --- the core: what a mail is, and where it belongs -----------------------------------------


class MailDirectory(Protocol):
    """What the core reads: AP5 (people and client domains) and AP8 (Message-IDs)."""

    def principal_by_email(self, email: str) -> Principal | None: ...

    def client_id_by_domain(self, domain: str) -> str | None: ...

    def ticket_by_message_id(self, message_id: str) -> int | None: ...


class StoreDirectory:
    """The directory on the table."""

    def __init__(self, store: DynamoStore, mail: MailStore) -> None:
        self._store = store
        self._mail = mail

    def principal_by_email(self, email: str) -> Principal | None:
        return self._store.principal_by_email(email)

    def client_id_by_domain(self, domain: str) -> str | None:
        return self._store.client_id_by_domain(domain)

    def ticket_by_message_id(self, message_id: str) -> int | None:
        return self._mail.ticket_by_message_id(message_id)


@dataclass
class MemoryDirectory:
    """The directory in dicts: for unit tests and the ingest benchmark."""

    people: dict[str, Principal] = field(default_factory=dict)  # lower-cased address ->
    domains: dict[str, str] = field(default_factory=dict)  # domain -> client id
    message_ids: dict[str, int] = field(default_factory=dict)

    def principal_by_email(self, email: str) -> Principal | None:
        return self.people.get(email.strip().lower())

    def client_id_by_domain(self, domain: str) -> str | None:
        return self.domains.get(domain.strip().lower())

    def ticket_by_message_id(self, message_id: str) -> int | None:
        return self.message_ids.get(message_id)


@dataclass(frozen=True)
class SenderMatch:
    """Who a mailbox is to the desk. `how`: address (an end-user's), staff (an agent's),
    domain (a client's domain, person unknown) or none."""

    address: Address | None
    how: str
    client_id: str | None = None
    person_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.how == "staff"


def match_sender(address: Address | None, directory: MailDirectory) -> SenderMatch:
    """Exact address (end-user or agent), else the client owning the domain (AP5)."""
    if address is None or "@" not in address.address:
        return SenderMatch(address, "none")
    found = directory.principal_by_email(address.address)
    if found is not None and found.kind == "agent":
        return SenderMatch(address, "staff", person_id=found.id)
    if found is not None and found.client_id:
        return SenderMatch(address, "address", found.client_id, found.id)
    client_id = directory.client_id_by_domain(address.domain) if address.domain else None
    if client_id:
        return SenderMatch(address, "domain", client_id)
    return SenderMatch(address, "none")


@dataclass(frozen=True)
class Examined:
    """What the core found out about one mail."""

    parsed: ParsedMail
    verdict: Classification
    # The ticket this very Message-ID already went to: a redelivery.
    duplicate_of: int | None = None
    # The ticket whose mail a bounce returns (AP8 on the original Message-ID).
    bounce_of: int | None = None
    # The ticket number of a subject token, and the ticket In-Reply-To / References point at.
    token: int | None = None
    replied_to: int | None = None
    sender: SenderMatch = field(default_factory=lambda: SenderMatch(None, "none"))
    # Who the ticket is for: the sender, or for a forward by an agent the original sender.
    requester: SenderMatch = field(default_factory=lambda: SenderMatch(None, "none"))
    subject: str = ""


def examine(raw: bytes, directory: MailDirectory, *, prefix: str = "#") -> Examined:
    """Parse, classify, thread and match one raw mail. Reads the directory, writes nothing."""
    parsed = parse(raw)
    verdict = classify(parsed)
    duplicate = directory.ticket_by_message_id(parsed.message_id)
    if duplicate is not None:
        return Examined(parsed, verdict, duplicate_of=duplicate)
    if verdict.kind.is_automatic:
        bounce_of = None
        if verdict.kind is MailKind.BOUNCE and verdict.original_message_id:
            bounce_of = directory.ticket_by_message_id(verdict.original_message_id)
        return Examined(parsed, verdict, bounce_of=bounce_of)
    sender = match_sender(parsed.from_address, directory)
    requester, subject = sender, parsed.subject
    forwarded = parsed.forwarded_from
    if (
        sender.is_staff
        and forwarded is not None
        and (parsed.forwarded or is_forward_subject(parsed.subject))
    ):
        original = match_sender(forwarded, directory)
        if not original.is_staff:
            requester, subject = original, parsed.forwarded_subject or subject
    replied_to = None
    for message_id in thread_ids(parsed)[:THREAD_LOOKUPS]:
        replied_to = directory.ticket_by_message_id(message_id)
        if replied_to is not None:
            break
    return Examined(
        parsed,
        verdict,
        token=ticket_token(parsed.subject, prefix),
        replied_to=replied_to,
        sender=sender,
        requester=requester,
        subject=subject,
    )


# --- the service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestOutcome:
    """What became of one mail. outcome: created, appended, reopened, follow_up, bounce_noted,
    ignored, unmatched or duplicate."""

    outcome: str
    mail: str  # mail_key of its Message-ID: safe to log, unlike the id itself
    ticket_number: int | None = None
    reason: str | None = None


def _address_list(addresses: Iterable[Address]) -> list[str]:
    return [a.address for a in addresses]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class IngestService:
    def __init__(
        self,
        deps: Deps,
        blobs: BlobStore,
        settings: MailSettings,
        mail: MailStore | None = None,
    ) -> None:
        self._d = deps
        self._blobs = blobs
        self._settings = settings
        self.mail = mail or MailStore(deps.store)
        self.directory = StoreDirectory(deps.store, self.mail)
        self._tickets = TicketService(deps)

    # --- entry points ------------------------------------------------------------------------

    def store_raw(self, ref: BlobRef, raw: bytes) -> None:
        """Keep a raw message where received mail is kept (replay of a file)."""
        self._blobs.put(ref, raw, "message/rfc822")

    def ingest(
        self,
        ref: BlobRef,
        received_at: datetime | None = None,
        recipients: Iterable[str] = (),
    ) -> IngestOutcome:
        """Ingest the raw mail kept at `ref`; raises (so that the event is retried and, in the
        end, dead-lettered) on anything but a mail that cannot be helped."""
        raw = self._blobs.get(ref)
        return self.ingest_raw(raw, ref, received_at, recipients)

    def ingest_raw(
        self,
        raw: bytes,
        ref: BlobRef,
        received_at: datetime | None = None,
        recipients: Iterable[str] = (),
    ) -> IngestOutcome:
        settings = self._d.store.get_settings()
        ex = examine(raw, self.directory, prefix=settings.ticket_token_prefix)
        parsed = ex.parsed
        key = mail_key(parsed.message_id)
        stored = RawMail(bucket=ref.bucket, key=ref.key)
        received = received_at or self._d.clock()
        if ex.duplicate_of is not None:
            return IngestOutcome("duplicate", key, ex.duplicate_of)
        if ex.verdict.kind.is_automatic:
            return self._ignore(ex, key, stored, received, ex.verdict.reason)
        sender = parsed.from_address
        own = self._own_addresses()
        if sender is not None and sender.address.lower() in own:
            return self._ignore(ex, key, stored, received, "sent from the desk's own address")
        own |= {r.lower() for r in recipients}
        target = self._thread_target(ex)
        if target is not None:
            return self._reply(ex, key, stored, target, own)
        return self._open(ex, key, stored, received, own)

    def _own_addresses(self) -> set[str]:
        configured = [self._settings.mail_from or "", *self._settings.mail_own_addresses]
        return {a.strip().lower() for a in configured if a.strip()}

    # --- automatic mail ----------------------------------------------------------------------

    def _ignore(
        self, ex: Examined, key: str, stored: RawMail, received: datetime, reason: str
    ) -> IngestOutcome:
        parsed = ex.parsed
        entry = IgnoredMail(
            id=key,
            message_id=_clip(parsed.message_id, 1000),
            received_at=received,
            sender=parsed.from_address.address if parsed.from_address else None,
            subject=_clip(parsed.subject, 500),
            kind=ex.verdict.kind.value,
            reason=_clip(reason, 1000),
            raw=stored,
            ticket_number=ex.bounce_of,
        )
        # Logged first: once the note's Message-ID link exists, a retry stops at "duplicate".
        self.mail.log_ignored(entry, timedelta(days=self._settings.ignored_log_days))
        if ex.bounce_of is None:
            return IngestOutcome("ignored", key, reason=reason)
        outcome, number = self._append(
            ex.bounce_of,
            lambda ticket, now: self._failure_note(ex, ticket, now, stored),
            parsed.message_id,
            reopen=False,
        )
        return IngestOutcome(
            "duplicate" if outcome == "duplicate" else "bounce_noted", key, number, reason
        )

    @staticmethod
    def _failure_note(ex: Examined, ticket: Ticket, now: datetime, stored: RawMail) -> Action:
        verdict = ex.verdict
        lines = ["Delivery failure: a mail the desk sent on this ticket was returned."]
        for status in verdict.recipients:
            details = ", ".join(
                f"{label} {value}"
                for label, value in (
                    ("action", status.action),
                    ("status", status.status),
                    ("diagnostic", status.diagnostic),
                )
                if value
            )
            lines.append(f"- {status.recipient or 'a recipient'}: {details or 'no details'}")
        if verdict.permanent is False:
            lines.append("The receiving server is still retrying (a delay, not a failure).")
        lines.append(f"Reason: {verdict.reason}")
        return Action(
            id=new_id("act"),
            ticket_number=ticket.number,
            kind=ActionKind.NOTE,
            visibility=Visibility.PRIVATE,
            author=Author(kind="system", name="mspdesk mail"),
            body=_clip("\n".join(lines), 100_000),
            meta={
                "delivery_failure": {
                    "original_message_id": verdict.original_message_id,
                    "permanent": verdict.permanent,
                    "recipients": [
                        {
                            "recipient": r.recipient,
                            "action": r.action,
                            "status": r.status,
                            "diagnostic": r.diagnostic,
                        }
                        for r in verdict.recipients
                    ],
                },
                "mail": {"message_id": ex.parsed.message_id, "raw": stored.model_dump()},
            },
            created_at=now,
        )

    # --- replies -----------------------------------------------------------------------------

    def _thread_target(self, ex: Examined) -> Ticket | None:
        """The ticket this mail answers, if the sender may write to it. A subject token is
        easy to type, so it only counts from the ticket's client, its watchers or staff; an
        In-Reply-To shows the mail really answers ours, so a third party copied in may join
        too, unless they belong to another client."""
        for number, by_token in ((ex.token, True), (ex.replied_to, False)):
            if number is None:
                continue
            ticket = self._d.store.find_ticket(number, consistent=True)
            if ticket is None:
                continue
            sender = ex.sender
            if (
                sender.is_staff
                or sender.client_id == ticket.client_id
                or (not by_token and sender.client_id is None)
                or (sender.address is not None and self._watches(number, sender.address))
            ):
                return ticket
        return None

    def _watches(self, number: int, address: Address) -> bool:
        found = self._d.store.get_raw(
            "watcher",
            {table.PK: s(f"TICKET#{number}"), table.SK: s(f"WATCHER#{address.address.lower()}")},
        )
        return found is not None

    def _reply(
        self, ex: Examined, key: str, stored: RawMail, ticket: Ticket, own: set[str]
    ) -> IngestOutcome:
        now = self._d.clock()
        window = timedelta(days=self._settings.reopen_days)
        stale = ticket.status is TicketStatus.CLOSED or (
            ticket.status is TicketStatus.RESOLVED
            and (ticket.resolved_at is None or now - ticket.resolved_at > window)
        )
        if stale and not ex.sender.is_staff:
            return self._follow_up(ex, key, stored, ticket, own)
        parsed = ex.parsed
        attachments = self._store_attachments(parsed, key)
        body = parsed.new_text.strip() or parsed.text.strip() or NO_TEXT
        meta = self._mail_meta(ex, stored, attachments)

        def build(current: Ticket, at: datetime) -> Action:
            return Action(
                id=new_id("act"),
                ticket_number=current.number,
                kind=ActionKind.EMAIL_IN,
                visibility=Visibility.PUBLIC,
                author=self._author(ex.sender),
                body=_clip(body, 100_000),
                meta=meta,
                created_at=at,
            )

        outcome, number = self._append(
            ticket.number, build, parsed.message_id, reopen=not ex.sender.is_staff
        )
        if outcome != "duplicate":
            self._add_watchers(ex, number, own)
        return IngestOutcome(outcome, key, number)

    def _append(
        self,
        number: int,
        build: Callable[[Ticket, datetime], Action],
        message_id: str,
        *,
        reopen: bool,
    ) -> tuple[str, int]:
        """Add one action and link the mail in one transaction, retrying on a concurrent
        change. A reply from the requester's side reopens a ticket waiting on them or resolved
        within the window (the caller has sent later replies elsewhere)."""
        store = self._d.store
        for attempt in range(APPEND_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.01 * 2 ** min(attempt, 5)))  # noqa: S311
            now = self._d.clock()
            ticket = store.find_ticket(number, consistent=True)
            if ticket is None:
                raise NotFound("ticket", str(number))
            action = build(ticket, now)
            update: dict[str, Any] = {"version": ticket.version + 1, "updated_at": now}
            outcome = "appended"
            if reopen and ticket.status in (
                TicketStatus.WAITING_ON_CUSTOMER,
                TicketStatus.RESOLVED,
            ):
                update.update(
                    status=TicketStatus.OPEN,
                    status_history=[
                        *ticket.status_history,
                        StatusChange(status=TicketStatus.OPEN, at=now),
                    ],
                    resolved_at=None,
                    closed_at=None,
                )
                if ticket.status is TicketStatus.RESOLVED:
                    outcome = "reopened"
            changed = self._tickets.with_sla(ticket.model_copy(update=update), now)
            try:
                existing = self.mail.append(changed, ticket.version, [action], message_id)
            except VersionConflict:
                continue
            if existing is not None:
                return "duplicate", existing
            self._publish(
                "ActionAdded",
                changed,
                {
                    "action_id": action.id,
                    "kind": action.kind.value,
                    "visibility": action.visibility.value,
                    "author_kind": action.author.kind,
                    "source": "email",
                    **({"reopened": True} if outcome == "reopened" else {}),
                },
            )
            return outcome, number
        raise VersionConflict("ticket", str(number), 0, None)

    def _follow_up(
        self, ex: Examined, key: str, stored: RawMail, old: Ticket, own: set[str]
    ) -> IngestOutcome:
        """A reply to a closed ticket (or one resolved before the window): a new ticket for the
        same client, which says which ticket it follows up."""
        store = self._d.store
        client = store.find_entity(kinds.CLIENTS, old.client_id)
        if client is None or not client.active:
            why = f"a reply to closed ticket {old.number}, whose client is inactive"
            return self._unmatched(ex, key, stored, self._d.clock(), why)
        end_user = None
        if ex.sender.how == "address" and ex.sender.client_id == old.client_id:
            end_user = store.find_entity(kinds.END_USERS, ex.sender.person_id or "")
        elif old.end_user_id:
            end_user = store.find_entity(kinds.END_USERS, old.end_user_id)
        outcome, number = self._create(
            ex, key, stored, client, end_user, extra_meta={"follows_up": old.number}
        )
        if outcome == "created":
            self._add_watchers(ex, number, own)
            return IngestOutcome("follow_up", key, number)
        return IngestOutcome(outcome, key, number)

    # --- new tickets -------------------------------------------------------------------------

    def _open(
        self, ex: Examined, key: str, stored: RawMail, received: datetime, own: set[str]
    ) -> IngestOutcome:
        requester = ex.requester
        store = self._d.store
        if requester.client_id is None:
            who = "no sender" if requester.address is None else "no client owns this sender"
            if requester.is_staff:
                who = "sent by an agent, naming no client's person"
            return self._unmatched(ex, key, stored, received, who)
        client = store.find_entity(kinds.CLIENTS, requester.client_id)
        if client is None:
            return self._unmatched(ex, key, stored, received, "the sender's client is gone")
        if not client.active:
            return self._unmatched(ex, key, stored, received, f"client {client.name} is inactive")
        end_user = None
        if requester.how == "address" and requester.person_id:
            end_user = store.find_entity(kinds.END_USERS, requester.person_id)
        elif requester.address is not None and client.auto_create_end_users:
            end_user = self._end_user_for(client, requester.address)
        outcome, number = self._create(ex, key, stored, client, end_user)
        if outcome == "created":
            self._add_watchers(ex, number, own)
        return IngestOutcome(outcome, key, number)

    def _end_user_for(self, client: Client, address: Address) -> EndUser | None:
        """A new end-user at `client` for a sender of its domain; the one that owns the
        address when a concurrent mail made it first."""
        name = address.name.strip() or address.address.partition("@")[0] or address.address
        body = {"client_id": client.id, "name": name[:200], "emails": [address.address]}
        try:
            created = AdminService(self._d).create(Scope.system(), lookup("end-users"), body)
        except AlreadyExists:
            owner = self._d.store.principal_by_email(address.address)
            if owner is None or owner.kind != "end_user" or owner.client_id != client.id:
                return None
            return self._d.store.find_entity(kinds.END_USERS, owner.id)
        except InvalidInput:
            return None  # an address our model refuses: the ticket is the client's alone
        return created if isinstance(created, EndUser) else None

    def _create(
        self,
        ex: Examined,
        key: str,
        stored: RawMail,
        client: Client,
        end_user: EndUser | None,
        *,
        extra_meta: dict[str, Any] | None = None,
        unmatched: UnmatchedMail | None = None,
    ) -> tuple[str, int]:
        """The ticket, its first action and the mail's link in one transaction, as
        TicketService.create builds a ticket (contract in force, SLA clocks)."""
        store = self._d.store
        parsed = ex.parsed
        attachments = self._store_attachments(parsed, key)
        now = self._d.clock()
        today = now.astimezone(ZoneInfo(store.get_settings().time_zone)).date()
        contract = store.contract_in_force(client.id, today)
        number = store.next_ticket_number()
        subject = " ".join((ex.subject or "").split()) or NO_SUBJECT
        ticket = Ticket(
            number=number,
            client_id=client.id,
            end_user_id=end_user.id if end_user else None,
            subject=_clip(subject, 500),
            priority=Priority.P3,
            source=TicketSource.EMAIL,
            contract_id=contract.id if contract else None,
            status_history=[StatusChange(status=TicketStatus.NEW, at=now)],
            created_at=now,
            updated_at=now,
        )
        ticket = self._tickets.with_sla(ticket, now)
        author = (
            Author(kind="end_user", id=end_user.id, name=end_user.name)
            if end_user
            else self._author(ex.requester)
        )
        meta = self._mail_meta(ex, stored, attachments)
        meta["mail"]["new_ticket"] = True
        meta.update(extra_meta or {})
        first = Action(
            id=new_id("act"),
            ticket_number=number,
            kind=ActionKind.EMAIL_IN,
            visibility=Visibility.PUBLIC,
            author=author,
            body=_clip(parsed.text.strip() or NO_TEXT, 100_000),
            meta=meta,
            created_at=now,
        )
        existing = self.mail.create_ticket(ticket, [first], parsed.message_id, unmatched)
        if existing is not None:
            return "duplicate", existing
        self._publish("TicketCreated", ticket, {"source": TicketSource.EMAIL.value})
        return "created", number

    # --- the unmatched view ------------------------------------------------------------------

    def _unmatched(
        self, ex: Examined, key: str, stored: RawMail, received: datetime, reason: str
    ) -> IngestOutcome:
        parsed = ex.parsed
        address = ex.requester.address or parsed.from_address
        entry = UnmatchedMail(
            id=key,
            message_id=_clip(parsed.message_id, 1000),
            received_at=received,
            sender=address.address if address else None,
            sender_name=_clip(address.name if address else "", 200),
            subject=_clip(ex.subject or parsed.subject, 500),
            preview=_clip(parsed.text.strip(), 2000),
            reason=reason,
            raw=stored,
            attachments=len(parsed.attachments),
        )
        if not self.mail.put_unmatched(entry):
            return IngestOutcome("duplicate", key, reason=reason)
        self._d.events.publish([DomainEvent(type="MailUnmatched", detail={"id": key})])
        return IngestOutcome("unmatched", key, reason=reason)

    def unmatched(self, scope: Scope, limit: int = 50, cursor: str | None = None) -> Page[Any]:
        if not scope.is_staff:
            raise NotFound("route", "unmatched mail")
        return self.mail.unmatched(limit, cursor)

    def ignored(self, scope: Scope, limit: int = 50, cursor: str | None = None) -> Page[Any]:
        if not scope.is_staff:
            raise NotFound("route", "ignored mail")
        return self.mail.ignored(limit, cursor)

    def assign_unmatched(
        self, scope: Scope, entry_id: str, client_id: str, end_user_id: str | None = None
    ) -> int:
        """An agent picks the client of an unmatched mail: its ticket is opened (and the mail
        leaves the view in the same transaction). Returns the ticket number."""
        if not scope.is_staff:
            raise NotFound("unmatched mail", entry_id)
        store = self._d.store
        entry = self.mail.get_unmatched(entry_id)
        if entry is None:
            raise NotFound("unmatched mail", entry_id)
        client = store.find_entity(kinds.CLIENTS, client_id)
        if client is None:
            raise InvalidInput("client_id", f"no client {client_id}")
        if not client.active:
            raise InvalidInput("client_id", f"client {client.name} is not active")
        raw = self._blobs.get(BlobRef(entry.raw.bucket, entry.raw.key))
        ex = examine(raw, self.directory, prefix=store.get_settings().ticket_token_prefix)
        address = ex.requester.address or ex.parsed.from_address
        end_user = None
        if end_user_id is not None:
            end_user = store.find_entity(kinds.END_USERS, end_user_id)
            if end_user is None or end_user.client_id != client.id:
                raise InvalidInput("end_user_id", f"no end-user {end_user_id} at this client")
        elif address is not None and "@" in address.address:
            owner = store.principal_by_email(address.address)
            if owner is not None and owner.kind == "end_user" and owner.client_id == client.id:
                end_user = store.find_entity(kinds.END_USERS, owner.id)
            elif owner is None and client.auto_create_end_users:
                end_user = self._end_user_for(client, address)
        stored = entry.raw
        _, number = self._create(
            ex,
            entry.id,
            stored,
            client,
            end_user,
            extra_meta={"assigned_by": scope.principal_id},
            unmatched=entry,
        )
        return number

    # --- pieces ------------------------------------------------------------------------------

    @staticmethod
    def _author(match: SenderMatch) -> Author:
        address = match.address
        name = (address.name or address.address) if address else "unknown sender"
        if match.is_staff:
            return Author(kind="agent", id=match.person_id, name=name)
        if match.how == "address":
            return Author(kind="end_user", id=match.person_id, name=name)
        return Author(kind="end_user", name=str(address) if address else name)

    def _mail_meta(
        self, ex: Examined, stored: RawMail, attachments: list[StoredAttachment]
    ) -> dict[str, Any]:
        parsed = ex.parsed
        sender = ex.requester.address or parsed.from_address
        meta: dict[str, Any] = {
            "mail": {
                "message_id": parsed.message_id,
                # Made up by us for a mail that had none: never quoted back to anyone.
                "message_id_synthesised": parsed.message_id_synthesised,
                "from": sender.address if sender else None,
                "from_name": sender.name if sender else "",
                "to": _address_list(parsed.to),
                "cc": _address_list(parsed.cc),
                "subject": _clip(parsed.subject, 500),
                "in_reply_to": parsed.in_reply_to,
                "raw": stored.model_dump(),
                "auto_reply_allowed": ex.verdict.auto_reply_allowed,
                "auto_reply_note": ex.verdict.reason,
                "matched_by": ex.requester.how,
                "defects": len(parsed.defects),
            }
        }
        if ex.requester is not ex.sender and parsed.from_address is not None:
            meta["mail"]["forwarded_by"] = parsed.from_address.address
        if attachments:
            meta["attachments"] = [a.model_dump(exclude_none=True) for a in attachments]
        return meta

    def _store_attachments(self, parsed: ParsedMail, key: str) -> list[StoredAttachment]:
        """Each attachment and inline image under a key made from the mail's Message-ID and
        its position, so a retry writes the same objects again; larger ones are listed only."""
        limit = self._settings.attachment_max_bytes
        stored: list[StoredAttachment] = []
        for index, part in enumerate(parsed.attachments[: self._settings.attachments_per_mail]):
            name = part.filename or f"part-{index + 1}{_EXTENSIONS.get(part.content_type, '')}"
            safe = safe_filename(name, f"part-{index + 1}")
            found = StoredAttachment(
                filename=_clip(name, 255),
                content_type=part.content_type,
                size=part.size,
                inline=part.inline,
                content_id=part.content_id,
            )
            if part.size > limit:
                stored.append(found.model_copy(update={"skipped": f"larger than {limit} bytes"}))
                continue
            object_key = f"{self._settings.attachment_prefix}{key}/{index + 1:02d}-{safe}"
            self._blobs.put(
                BlobRef(self._settings.mail_bucket, object_key), part.payload, part.content_type
            )
            stored.append(found.model_copy(update={"key": object_key}))
        return stored

    def _add_watchers(self, ex: Examined, number: int, own: set[str]) -> None:
        """Known people in To and Cc (not the desk, not the requester) watch the ticket:
        end-users of the ticket's client and agents; nobody from another client."""
        ticket = self._d.store.find_ticket(number)
        if ticket is None:
            return
        skip = set(own)
        for match in (ex.sender, ex.requester):
            if match.address is not None:
                skip.add(match.address.address.lower())
        watchers: list[Watcher] = []
        seen: set[str] = set()
        for address in (*ex.parsed.to, *ex.parsed.cc):
            email = address.address.lower()
            if email in skip or email in seen or "@" not in email:
                continue
            seen.add(email)
            person = self._d.store.principal_by_email(email)
            if person is None:
                continue
            if person.kind == "end_user" and person.client_id != ticket.client_id:
                continue
            watchers.append(
                Watcher(
                    ticket_number=number,
                    email=email,
                    name=_clip(address.name, 200),
                    kind="agent" if person.kind == "agent" else "end_user",
                    person_id=person.id,
                    added_at=self._d.clock(),
                )
            )
        if watchers:
            self.mail.add_watchers(watchers)

    def _publish(self, event_type: str, ticket: Ticket, extra: dict[str, Any]) -> None:
        self._d.events.publish(
            [
                DomainEvent(
                    type=event_type,
                    client_id=ticket.client_id,
                    detail={"number": ticket.number, "version": ticket.version, **extra},
                )
            ]
        )
