"""Mail the desk sends (issue 3, point 6), as the consumer of two domain events:

- TicketCreated from an email: the acknowledgement to the sender, branded for the client, the
  ticket token in the subject, `Auto-Submitted: auto-replied` (RFC 3834), never for mail whose
  classification disallows automatic replies, and at most `acks_per_sender_per_hour` per
  sender (an atomic counter with a TTL, so two desks cannot ping-pong forever);
- ActionAdded for an agent's public reply: the reply to the requester, watchers in Cc, with
  In-Reply-To and References so that mail clients thread it and the answer comes back to the
  same ticket.

An agent's reply carries the files it lists, as far as one message holds them; the rest are
named in the text, to be fetched from the portal.

Each send is claimed first (one item per ticket and purpose), so a redelivered event never
sends twice; a failed send gives the claim back and raises, so the event is retried and, in the
end, dead-lettered. Every Message-ID the sent mail may carry is linked to the ticket (AP8).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from mspdesk.adapters.blobs import BlobNotFound, BlobRef, BlobStore
from mspdesk.adapters.mail_sender import MailSender
from mspdesk.domain.attachments import StoredAttachment, attachments_of
from mspdesk.domain.enums import ActionKind, Visibility
from mspdesk.domain.mail import format_token, normalise_message_id
from mspdesk.domain.mail_records import SentMail
from mspdesk.domain.models import Action, Client, EndUser, Ticket
from mspdesk.mail_config import MailSettings
from mspdesk.services.deps import Deps
from mspdesk.store import entities as kinds
from mspdesk.store.mail import MailStore, MailThread

# References carries the thread's newest ids; mail clients need no more than this.
MAX_REFERENCES = 20
REPLY_KINDS = (ActionKind.NOTE, ActionKind.EMAIL_OUT)
# Files attached to one reply: SES takes 10 MB a message, and base64 with its line breaks
# makes 6 MiB of files about 8.6 MB.
ATTACHED_BYTES = 6 * 1024 * 1024
# A file name from a mail may hold anything; a header may not hold line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Brand:
    name: str  # the client's portal display name, else its name
    colour: str
    logo_url: str | None
    msp: str
    desk: str  # how the desk signs: the display name as set, else "<client> service desk"


def _mail_info(action: Action) -> dict[str, Any]:
    info = action.meta.get("mail")
    return info if isinstance(info, dict) else {}


def _bracketed(ids: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in ids)


class OutboundMail:
    def __init__(
        self,
        deps: Deps,
        settings: MailSettings,
        sender: MailSender | None,
        mail: MailStore | None = None,
        files: BlobStore | None = None,
    ) -> None:
        self._d = deps
        self._settings = settings
        self._sender = sender
        self.mail = mail or MailStore(deps.store)
        self._files = files

    def handle(self, event_type: str, detail: dict[str, Any]) -> str:
        """Act on one event; returns what was done (for the log and the tests)."""
        number = detail.get("number")
        if not isinstance(number, int):
            return "not_for_mail"
        if event_type == "TicketCreated" and detail.get("source") == "email":
            return self.acknowledge(number)
        if (
            event_type == "ActionAdded"
            and detail.get("visibility") == Visibility.PUBLIC.value
            and detail.get("author_kind") == "agent"
            and detail.get("kind") in {k.value for k in REPLY_KINDS}
        ):
            return self.reply(number, str(detail.get("action_id")))
        return "not_for_mail"

    # --- acknowledgements --------------------------------------------------------------------

    def acknowledge(self, number: int) -> str:
        thread = self.mail.thread(number)
        first = next(
            (a for a in thread.actions if a.kind is ActionKind.EMAIL_IN and _mail_info(a)),
            None,
        )
        if first is None:
            return "no_mail"
        info = _mail_info(first)
        if not info.get("new_ticket"):
            return "no_mail"
        if not info.get("auto_reply_allowed"):
            return "suppressed"
        to = info.get("from")
        if not isinstance(to, str) or "@" not in to:
            return "no_address"
        if self._sender is None or not self._settings.mail_from:
            return "no_sender"
        record = SentMail(ticket_number=number, purpose="ack", to=[to])
        if not self.mail.claim_send(record, "ack"):
            return "already_sent"
        now = self._d.clock()
        if not self.mail.take_ack_allowance(to, now, self._settings.acks_per_sender_per_hour):
            skipped = record.model_copy(update={"state": "skipped", "note": "rate limited"})
            self.mail.finish_send(skipped, "ack")
            return "rate_limited"
        brand = self._brand(thread.ticket)
        token = format_token(number, self._d.store.get_settings().ticket_token_prefix)
        original = None
        if not info.get("message_id_synthesised"):
            original = normalise_message_id(f"<{info.get('message_id', '')}>")
        name = str(info.get("from_name") or "").strip()
        text = (
            f"Hello{' ' + name if name else ''},\n\n"
            f"Thank you for your message. We have opened ticket {token} for it:\n"
            f"  {thread.ticket.subject}\n\n"
            f"Our team will be in touch. To add anything, reply to this mail and keep {token} "
            "in the subject.\n\n"
            f"{brand.desk}, provided by {brand.msp}\n"
        )
        message = self._message(
            brand,
            display=brand.desk,
            to=[to],
            cc=[],
            subject=f"{token} {thread.ticket.subject}",
            text=text,
            in_reply_to=original,
            references=[original] if original else [],
        )
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
        return self._send(record, "ack", message)

    # --- agents' replies ---------------------------------------------------------------------

    def reply(self, number: int, action_id: str) -> str:
        thread = self.mail.thread(number)
        action = next((a for a in thread.actions if a.id == action_id), None)
        if action is None:
            return "no_action"
        if (
            action.visibility is not Visibility.PUBLIC
            or action.author.kind != "agent"
            or action.kind not in REPLY_KINDS
        ):
            return "not_for_mail"
        to = self._requester_address(thread)
        if to is None:
            return "no_address"
        if self._sender is None or not self._settings.mail_from:
            return "no_sender"
        cc = [
            w.email
            for w in thread.watchers
            if w.kind == "end_user" and w.email.lower() != to.lower()
        ]
        # The whole message is made before the send is claimed: a failure on the way (a file
        # that cannot be read, say) leaves the event to be retried, never a claim without mail.
        attached, named = self._fitting(attachments_of(action.meta))
        files = self._read(attached)
        brand = self._brand(thread.ticket)
        token = format_token(number, self._d.store.get_settings().ticket_token_prefix)
        last_in, references = self._references(thread)
        agent = (action.author.name or "").strip()
        listed = "".join(f"- {f.filename}\n" for f in named)
        text = (
            f"{action.body.rstrip()}\n\n"
            + (
                f"Files too large for mail, on the ticket in the portal:\n{listed}\n"
                if listed
                else ""
            )
            + "-- \n"
            f"{agent + ', ' if agent else ''}{brand.desk} ({brand.msp})\n"
            f"Ticket {token}: reply to this mail to add to it.\n"
        )
        message = self._message(
            brand,
            display=f"{agent} ({brand.desk})" if agent else brand.desk,
            to=[to],
            cc=cc,
            subject=f"{'Re: ' if last_in else ''}{token} {thread.ticket.subject}",
            text=text,
            in_reply_to=last_in,
            references=references,
        )
        for found, data in files:
            maintype, _, subtype = found.content_type.partition("/")
            message.add_attachment(
                data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=_CONTROL.sub(" ", found.filename),
            )
        record = SentMail(
            ticket_number=number, purpose="reply", action_id=action.id, to=[to], cc=cc
        )
        if not self.mail.claim_send(record, action.id):
            return "already_sent"
        return self._send(record, action.id, message)

    def _fitting(
        self, files: list[StoredAttachment]
    ) -> tuple[list[StoredAttachment], list[StoredAttachment]]:
        """The files that go in the mail, in order while they fit, and those only named."""
        kept = [f for f in files if f.key is not None]
        if self._files is None:
            return [], kept
        attached: list[StoredAttachment] = []
        named: list[StoredAttachment] = []
        room = ATTACHED_BYTES
        for found in kept:
            if found.size <= room:
                attached.append(found)
                room -= found.size
            else:
                named.append(found)
        return attached, named

    def _read(self, files: list[StoredAttachment]) -> list[tuple[StoredAttachment, bytes]]:
        """The files' bytes; one gone from the bucket (expired) is left out."""
        read: list[tuple[StoredAttachment, bytes]] = []
        for found in files:
            if self._files is None or found.key is None:
                continue
            try:
                read.append(
                    (found, self._files.get(BlobRef(self._settings.mail_bucket, found.key)))
                )
            except BlobNotFound:
                continue
        return read

    def _requester_address(self, thread: MailThread) -> str | None:
        """Who the ticket's mail goes to: the address the requester last wrote from, else the
        end-user's first address."""
        for action in reversed(thread.actions):
            info = _mail_info(action)
            sender = info.get("from")
            if action.kind is ActionKind.EMAIL_IN and action.author.kind == "end_user" and sender:
                return str(sender)
        if thread.ticket.end_user_id:
            person = self._d.store.find_entity(kinds.END_USERS, thread.ticket.end_user_id)
            if isinstance(person, EndUser) and person.emails:
                return person.emails[0]
        return None

    @staticmethod
    def _references(thread: MailThread) -> tuple[str | None, list[str]]:
        """The last mail received on the ticket, and the thread's ids oldest first."""
        dated: list[tuple[str, str]] = []
        last_in: str | None = None
        for action in thread.actions:
            info = _mail_info(action)
            message_id = info.get("message_id")
            if info.get("message_id_synthesised"):
                continue
            if action.kind is ActionKind.EMAIL_IN and isinstance(message_id, str):
                dated.append((action.created_at.isoformat(), message_id))
                last_in = message_id
        for sent in thread.sent:
            if sent.state == "sent" and sent.message_ids and sent.sent_at is not None:
                dated.append((sent.sent_at.isoformat(), sent.message_ids[0]))
        ordered = list(dict.fromkeys(i for _, i in sorted(dated)))
        return last_in, ordered[-MAX_REFERENCES:]

    # --- building and sending ----------------------------------------------------------------

    def _brand(self, ticket: Ticket) -> Brand:
        client = self._d.store.find_entity(kinds.CLIENTS, ticket.client_id)
        msp = self._d.store.get_settings().name
        if not isinstance(client, Client):
            return Brand(msp, "#1f6feb", None, msp, f"{msp} service desk")
        branding = client.branding
        return Brand(
            branding.display_name or client.name,
            branding.primary_colour,
            branding.logo_url,
            msp,
            branding.display_name or f"{client.name} service desk",
        )

    def _message(
        self,
        brand: Brand,
        *,
        display: str,
        to: list[str],
        cc: list[str],
        subject: str,
        text: str,
        in_reply_to: str | None,
        references: list[str],
    ) -> EmailMessage:
        sender = self._settings.mail_from or ""
        message = EmailMessage()
        message["From"] = formataddr((display, sender))
        message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        message["Subject"] = " ".join(subject.split())[:900]
        message["Date"] = formatdate(self._d.clock().timestamp(), usegmt=True)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        if in_reply_to:
            message["In-Reply-To"] = f"<{in_reply_to}>"
        if references:
            message["References"] = _bracketed(references)
        message.set_content(text)
        message.add_alternative(self._html(brand, text), subtype="html")
        return message

    @staticmethod
    def _html(brand: Brand, text: str) -> str:
        logo = (
            f'<img src="{html.escape(brand.logo_url)}" alt="{html.escape(brand.name)}" '
            'style="max-height:48px"><br>'
            if brand.logo_url
            else ""
        )
        paragraphs = "".join(
            f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>"
            for block in text.split("\n\n")
            if block.strip()
        )
        return (
            '<!doctype html><html><body style="font-family:sans-serif">'
            f'<div style="border-top:4px solid {html.escape(brand.colour)};padding:12px">'
            f"{logo}{paragraphs}</div></body></html>"
        )

    def _send(self, record: SentMail, key: str, message: EmailMessage) -> str:
        assert self._sender is not None
        own_id = normalise_message_id(str(message["Message-ID"]))
        try:
            raw = message.as_bytes(policy=SMTP)
            ids = self._sender.send_raw(
                self._settings.mail_from or "", [*record.to, *record.cc], raw
            )
        except Exception:  # nothing went out: the retried event may send it
            self.mail.release_send(record.ticket_number, key)
            raise
        # The provider's ids first: SES replaces our Message-ID, so its id is the one the
        # recipient sees and References should carry.
        known = list(dict.fromkeys([*ids, *([own_id] if own_id else [])]))
        for message_id in known:
            self.mail.link(message_id, record.ticket_number)
        done = record.model_copy(
            update={"state": "sent", "message_ids": known, "sent_at": self._d.clock()}
        )
        self.mail.finish_send(done, key)
        return "sent"
