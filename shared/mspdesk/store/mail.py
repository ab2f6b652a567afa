"""The mail repository: Message-ID links (AP8), the ticket writes of ingestion, the
ignored-mail log, the unmatched view, watchers, sent mail and the acknowledgement allowance.

Keys (one table, see docs/data-model.md); `<key>` is `mail_key(message_id)`:

- Message-ID -> ticket (AP8): pk `MSGID#<id>` (ids over 1000 bytes: `MSGID#sha256:<hex>`),
  sk `MSGID`, `ticket_number`;
- ignored mail: pk `IGNORED_MAIL#<key>`, sk `IGNORED_MAIL`, listed by `by_parent`
  (`LIST#ignored_mail` / `<received>#<key>`), with a TTL;
- unmatched mail: pk `UNMATCHED_MAIL#<key>`, sk `UNMATCHED_MAIL`, listed by `by_parent`
  (`LIST#unmatched_mail` / `<received>#<key>`), `version`;
- a ticket's watchers and the mail sent on it, in the ticket's partition (AP1 reads them):
  sk `WATCHER#<email>`, and `MAILOUT#ack` or `MAILOUT#<action id>`;
- acknowledgement allowance: pk `MAILRATE#<sender>`, sk `<UTC hour>`, `sent` (atomic ADD), TTL.

A mail's ticket write and its Message-ID link are one
transaction, so a mail delivered twice (or retried after a crash) changes its ticket once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from mspdesk.domain.errors import AlreadyExists, TicketNotFound, VersionConflict
from mspdesk.domain.mail_records import IgnoredMail, SentMail, UnmatchedMail, Watcher
from mspdesk.domain.models import Action, Ticket
from mspdesk.store import table
from mspdesk.store.codec import Item, item, load, n, s
from mspdesk.store.dynamo import LOAD_ONLY, DynamoStore, Page, message_id_key, ticket_item

IGNORED_LIST = "LIST#ignored_mail"
UNMATCHED_LIST = "LIST#unmatched_mail"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _failed_conditions(error: ClientError) -> list[bool] | None:
    """Which operations of a cancelled transaction failed their condition; None when the
    error is not a failed condition at all."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return [True]
    if code != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons") or []
    failed = [r.get("Code") == "ConditionalCheckFailed" for r in reasons]
    if any(failed):
        return failed
    message = error.response.get("Error", {}).get("Message", "")
    return [] if "ConditionalCheckFailed" in message else None


@dataclass
class MailThread:
    """A ticket's partition as mail needs it: the ticket, its actions oldest first, its
    watchers and the mail the desk sent on it."""

    ticket: Ticket
    actions: list[Action] = field(default_factory=list)
    watchers: list[Watcher] = field(default_factory=list)
    sent: list[SentMail] = field(default_factory=list)


class MailStore:
    def __init__(self, store: DynamoStore) -> None:
        self.store = store
        self._db = store.db
        self._table = store.table_name

    # --- AP8 ---------------------------------------------------------------------------------

    def _link_item(self, message_id: str, number: int) -> Item:
        return item(
            {table.PK: message_id_key(message_id), table.SK: "MSGID", "ticket_number": number}
        )

    def ticket_by_message_id(self, message_id: str, consistent: bool = False) -> int | None:
        return self.store.ticket_number_by_message_id(message_id, consistent)

    def link(self, message_id: str, number: int) -> bool:
        """Record that a mail belongs to a ticket; False if it was already recorded."""
        return self.store.link_message_id(message_id, number)

    # --- ticket writes -------------------------------------------------------------------------

    @staticmethod
    def action_item(action: Action) -> Item:
        """The same item DynamoStore writes for an action."""
        return item(
            {
                table.PK: f"TICKET#{action.ticket_number}",
                table.SK: f"ACTION#{_iso(action.created_at)}#{action.id}",
            },
            action,
        )

    def _put(self, raw: Item, condition: str | None = None, **extra: Any) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": raw, **extra}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def create_ticket(
        self,
        ticket: Ticket,
        actions: Sequence[Action],
        message_id: str,
        unmatched: UnmatchedMail | None = None,
    ) -> int | None:
        """A new ticket, its first actions and the mail's Message-ID link in one transaction
        (with `unmatched`, that item is removed in it too). Returns None, or the number of the
        ticket the mail already made (nothing is written then)."""
        operations = [
            self._put(ticket_item(ticket), "attribute_not_exists(pk)"),
            *(self._put(self.action_item(a)) for a in actions),
            self._put(self._link_item(message_id, ticket.number), "attribute_not_exists(pk)"),
        ]
        if unmatched is not None:
            operations.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": self._unmatched_key(unmatched.id),
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {":v": n(unmatched.version)},
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if _failed_conditions(error) is None:
                raise
            existing = self.ticket_by_message_id(message_id, consistent=True)
            if existing is not None:
                return existing
            if unmatched is not None:  # assigned or changed meanwhile: read it again
                raise VersionConflict(
                    "unmatched mail", unmatched.id, unmatched.version, None
                ) from error
            raise AlreadyExists("ticket", str(ticket.number)) from error
        return None

    def append(
        self, ticket: Ticket, expected_version: int, actions: Sequence[Action], message_id: str
    ) -> int | None:
        """`ticket` (whose stored version must be `expected_version`), new actions and the
        mail's link in one transaction. Returns None, or the ticket the mail already went to.
        A stale version is a VersionConflict: read again and retry."""
        operations = [
            self._put(
                ticket_item(ticket),
                "version = :v",
                ExpressionAttributeValues={":v": n(expected_version)},
            ),
            *(self._put(self.action_item(a)) for a in actions),
            self._put(self._link_item(message_id, ticket.number), "attribute_not_exists(pk)"),
        ]
        try:
            self._db.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if _failed_conditions(error) is None:
                raise
            existing = self.ticket_by_message_id(message_id, consistent=True)
            if existing is not None:
                return existing
            current = self.store.find_ticket(ticket.number, consistent=True)
            if current is None:
                raise TicketNotFound(ticket.number) from error
            raise VersionConflict(
                "ticket", str(ticket.number), expected_version, current.version
            ) from error
        return None

    def thread(self, number: int) -> MailThread:
        """AP1 for mail: the ticket's partition in one Query."""
        ticket: Ticket | None = None
        actions: list[Action] = []
        watchers: list[Watcher] = []
        sent: list[SentMail] = []
        for raw in self.store.query_all(
            "mail_thread",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": s(f"TICKET#{number}")},
            **LOAD_ONLY,
        ):
            sk = raw[table.SK]["S"]
            if sk == "TICKET":
                ticket = load(Ticket, raw)
            elif sk.startswith("ACTION#"):
                actions.append(load(Action, raw))
            elif sk.startswith("WATCHER#"):
                watchers.append(load(Watcher, raw))
            elif sk.startswith("MAILOUT#"):
                sent.append(load(SentMail, raw))
        if ticket is None:
            raise TicketNotFound(number)
        return MailThread(ticket, actions, watchers, sent)

    # --- watchers ------------------------------------------------------------------------------

    def add_watchers(self, watchers: Sequence[Watcher]) -> int:
        """Adds those not watching yet; returns how many were added."""
        added = 0
        for watcher in watchers:
            raw = item(
                {
                    table.PK: f"TICKET#{watcher.ticket_number}",
                    table.SK: f"WATCHER#{watcher.email.lower()}",
                },
                watcher,
            )
            added += self.store.put_new(raw)
        return added

    # --- the ignored-mail log ------------------------------------------------------------------

    def log_ignored(self, entry: IgnoredMail, keep: timedelta) -> bool:
        """False when this mail is in the log already (a redelivery)."""
        raw = item(
            {
                table.PK: f"IGNORED_MAIL#{entry.id}",
                table.SK: "IGNORED_MAIL",
                "gsi1pk": IGNORED_LIST,
                "gsi1sk": f"{_iso(entry.received_at)}#{entry.id}",
                table.TTL_ATTRIBUTE: int((entry.received_at + keep).timestamp()),
            },
            entry,
        )
        return self.store.put_new(raw)

    def ignored(self, limit: int = 50, cursor: str | None = None) -> Page[IgnoredMail]:
        """The ignored-mail log, newest first."""
        raw, next_cursor = self.store.query_page(
            "ignored_mail",
            table.BY_PARENT,
            "gsi1pk = :p",
            {":p": s(IGNORED_LIST)},
            limit,
            cursor,
            hint=IGNORED_LIST,
            forward=False,
        )
        return Page([load(IgnoredMail, r) for r in raw], next_cursor)

    # --- the unmatched view --------------------------------------------------------------------

    @staticmethod
    def _unmatched_key(entry_id: str) -> Item:
        return {table.PK: s(f"UNMATCHED_MAIL#{entry_id}"), table.SK: s("UNMATCHED_MAIL")}

    def put_unmatched(self, entry: UnmatchedMail) -> bool:
        """False when the mail waits there already (a redelivery)."""
        raw = item(
            {
                table.PK: f"UNMATCHED_MAIL#{entry.id}",
                table.SK: "UNMATCHED_MAIL",
                "gsi1pk": UNMATCHED_LIST,
                "gsi1sk": f"{_iso(entry.received_at)}#{entry.id}",
                "version": entry.version,
            },
            entry,
        )
        return self.store.put_new(raw)

    def get_unmatched(self, entry_id: str) -> UnmatchedMail | None:
        found = self.store.get_raw("unmatched_mail", self._unmatched_key(entry_id), True)
        return load(UnmatchedMail, found) if found else None

    def unmatched(self, limit: int = 50, cursor: str | None = None) -> Page[UnmatchedMail]:
        """Mail waiting for a client, newest first."""
        raw, next_cursor = self.store.query_page(
            "unmatched_mail",
            table.BY_PARENT,
            "gsi1pk = :p",
            {":p": s(UNMATCHED_LIST)},
            limit,
            cursor,
            hint=UNMATCHED_LIST,
            forward=False,
        )
        return Page([load(UnmatchedMail, r) for r in raw], next_cursor)

    # --- mail the desk sends -------------------------------------------------------------------

    def take_ack_allowance(self, sender: str, now: datetime, per_hour: int) -> bool:
        """Count one acknowledgement to `sender` in this UTC hour; False when the hour's
        allowance is spent (nothing is counted then)."""
        if per_hour <= 0:
            return False
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        try:
            self._db.update_item(
                TableName=self._table,
                Key={table.PK: s(f"MAILRATE#{sender.lower()}"), table.SK: s(_iso(hour))},
                UpdateExpression="ADD sent :one SET #ttl = :ttl",
                ConditionExpression="attribute_not_exists(sent) OR sent < :max",
                ExpressionAttributeNames={"#ttl": table.TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":one": n(1),
                    ":max": n(per_hour),
                    ":ttl": n(int((hour + timedelta(hours=2)).timestamp())),
                },
            )
        except ClientError as error:
            if _failed_conditions(error) is None:
                raise
            return False
        return True

    @staticmethod
    def _sent_key(number: int, key: str) -> Item:
        return {table.PK: s(f"TICKET#{number}"), table.SK: s(f"MAILOUT#{key}")}

    def claim_send(self, record: SentMail, key: str) -> bool:
        """Claim the right to send one mail (the ticket's acknowledgement, or the mail of one
        action); False when it was claimed before."""
        raw = item({table.PK: f"TICKET#{record.ticket_number}", table.SK: f"MAILOUT#{key}"}, record)
        return self.store.put_new(raw)

    def finish_send(self, record: SentMail, key: str) -> None:
        raw = item({table.PK: f"TICKET#{record.ticket_number}", table.SK: f"MAILOUT#{key}"}, record)
        self._db.put_item(TableName=self._table, Item=raw)

    def release_send(self, number: int, key: str) -> None:
        """Give a claim back after a failed send, so that a retry sends."""
        self._db.delete_item(TableName=self._table, Key=self._sent_key(number, key))
