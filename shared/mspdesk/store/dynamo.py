"""The DynamoDB repository. Only Query, GetItem, BatchGetItem and writes: never a Scan.

Every read takes a Scope and raises OutOfScope (a NotFound) for what the scope does not cover.
SDK errors are turned into domain errors here, so no caller sees botocore.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from mspdesk.domain.enums import TicketStatus
from mspdesk.domain.errors import (
    AlreadyExists,
    NotFound,
    OutOfScope,
    TicketNotFound,
    VersionConflict,
)
from mspdesk.domain.models import (
    Action,
    Agent,
    Asset,
    Client,
    Contract,
    EndUser,
    MspSettings,
    Presence,
    Stored,
    Ticket,
    TimeEntry,
)
from mspdesk.domain.scope import Scope
from mspdesk.domain.sla import next_sla_event
from mspdesk.domain.triage import TriageRecord
from mspdesk.store import table
from mspdesk.store.codec import Item, decode_cursor, encode_cursor, item, load, n, s, text
from mspdesk.store.entities import ASSETS, CLIENTS, CONTRACTS, EntityKind

T = TypeVar("T")
E = TypeVar("E", bound=Stored)

ENTITY_SK = "ENTITY"
TICKET_SK = "TICKET"
UNASSIGNED = "UNASSIGNED"
_NO_DUE = "9999-12-31T23:59:59+00:00"
MAX_PAGE = 100
REFERENCE_SECONDS = 30.0
# The context panel's "recent tickets of this client" may lag other containers this long.
RECENT_SECONDS = 10.0
# Reads that only load models ask for the entity and its keys, not every index attribute.
LOAD_ONLY = {
    "ProjectionExpression": "pk, sk, #data",
    "ExpressionAttributeNames": {"#data": "data"},
}


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters; each is one value. `agent_id`/`team_id` may be "unassigned"."""

    client_id: str | None = None
    status: TicketStatus | None = None
    agent_id: str | None = None
    team_id: str | None = None
    priority: str | None = None
    sla: str | None = None

    def signature(self) -> str:
        return "|".join(
            str(v)
            for v in (
                self.client_id,
                self.status,
                self.agent_id,
                self.team_id,
                self.priority,
                self.sla,
            )
        )


@dataclass(frozen=True)
class Principal:
    """Who owns an email address: an agent or an end-user."""

    kind: str  # "agent" or "end_user"
    id: str
    client_id: str | None


@dataclass(frozen=True)
class TicketRecord:
    """AP1: a ticket with everything kept in its partition."""

    ticket: Ticket
    actions: list[Action]
    time_entries: list[TimeEntry]
    presence: list[Presence]
    triage: TriageRecord | None = None


@dataclass
class ReadCounter:
    """Items DynamoDB read for this store: what the queue benchmark and tests watch."""

    items: int = 0
    calls: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)

    def add(self, operation: str, count: int) -> None:
        self.items += count
        self.calls += 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + count


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _ticket_key(number: int) -> Item:
    return {table.PK: s(f"TICKET#{number}"), table.SK: s(TICKET_SK)}


def conditional_failed(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        message = error.response.get("Error", {}).get("Message", "")
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons) or (
            "ConditionalCheckFailed" in message
        )
    return False


# DynamoDB keys hold at most 2048 bytes; a longer Message-ID is keyed by its hash.
_MAX_MESSAGE_ID_BYTES = 1000


def message_id_key(message_id: str) -> str:
    """AP8's partition key for a Message-ID, the same for every writer and reader."""
    raw = message_id.encode("utf-8", "surrogatepass")
    if len(raw) <= _MAX_MESSAGE_ID_BYTES:
        return f"MSGID#{message_id}"
    return f"MSGID#sha256:{hashlib.sha256(raw).hexdigest()}"


def ticket_item(ticket: Ticket) -> Item:
    """The ticket's item with the attributes of every index it belongs to."""
    created = _iso(ticket.created_at)
    attrs: dict[str, str | int | None] = {
        table.PK: f"TICKET#{ticket.number}",
        table.SK: TICKET_SK,
        "version": ticket.version,
        "client_id": ticket.client_id,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "agent": ticket.agent_id or UNASSIGNED,
        "team": ticket.team_id or UNASSIGNED,
        # The same value as q_sla, so that a filter on it agrees with the sla index.
        "sla_state": ticket.queue_sla_state.value if ticket.queue_sla_state else "none",
        "gsi2pk": f"CLIENT#{ticket.client_id}#ticket",
        "gsi2sk": f"{created}#{ticket.number:010d}",
        table.RECENT.pk: f"RECENT#{ticket.created_at.astimezone(UTC).date().isoformat()}",
        table.RECENT.sk: f"{created}#TICKET#{ticket.number:010d}",
        "q_status": ticket.status.value,
        "q_sort": "#".join(
            (
                _iso(ticket.queue_due_at) if ticket.queue_due_at else _NO_DUE,
                created,
                f"{ticket.number:010d}",
            )
        ),
    }
    if ticket.end_user_id:
        attrs["gsi1pk"] = f"END_USER#{ticket.end_user_id}#ticket"
        attrs["gsi1sk"] = attrs["gsi2sk"]
    if ticket.status.is_open:
        attrs.update(
            q_all="OPEN",
            q_client=ticket.client_id,
            q_agent=ticket.agent_id or UNASSIGNED,
            q_team=ticket.team_id or UNASSIGNED,
            q_priority=ticket.priority.value,
            q_sla=ticket.queue_sla_state.value if ticket.queue_sla_state else "none",
        )
        due = next_sla_event(ticket.sla)
        if due is not None:
            attrs[table.SLA_DUE.pk] = "SLA"
            attrs[table.SLA_DUE.sk] = f"{_iso(due)}#{ticket.number:010d}"
    return item(attrs, ticket)


class DynamoStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self.db = client
        self.table_name = table_name
        self.reads = ReadCounter()
        # Reference data (clients, contracts, plans, calendars, people) read for display, kept
        # per container for REFERENCE_SECONDS; this container's own writes replace it at once.
        self._reference: dict[str, tuple[float, Stored]] = {}
        self._panel: dict[str, tuple[float, Any]] = {}

    # --- low-level helpers -----------------------------------------------------------------

    def query(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.db.query(TableName=self.table_name, **kwargs)
        read = response.get("ScannedCount", response.get("Count", len(response.get("Items", []))))
        self.reads.add(operation, int(read))
        return response

    def query_all(self, operation: str, **kwargs: Any) -> Iterator[Item]:
        while True:
            response = self.query(operation, **kwargs)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get_raw(self, operation: str, key: Item, consistent: bool = False) -> Item | None:
        response = self.db.get_item(TableName=self.table_name, Key=key, ConsistentRead=consistent)
        found: Item | None = response.get("Item")
        self.reads.add(operation, 1 if found else 0)
        return found

    def batch_get_raw(self, keys: Sequence[Item]) -> list[Item]:
        found: list[Item] = []
        pending = list(keys)
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request = {self.table_name: {"Keys": chunk, **LOAD_ONLY}}
            while request:
                response = self.db.batch_get_item(RequestItems=request)
                got = response["Responses"].get(self.table_name, [])
                self.reads.add("batch_get", len(got))
                found.extend(got)
                request = response.get("UnprocessedKeys") or {}
        return found

    def query_page(
        self,
        operation: str,
        index: table.Index | None,
        key_condition: str,
        values: dict[str, Any],
        limit: int,
        cursor: str | None,
        hint: str,
        forward: bool = True,
        whole_items: bool = False,
    ) -> tuple[list[Item], str | None]:
        """One page of a Query; items carry only their keys and data unless `whole_items`."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": values,
            "Limit": max(1, min(limit, MAX_PAGE)),
            "ScanIndexForward": forward,
            **({} if whole_items else LOAD_ONLY),
        }
        index_name = index.name if index else "table"
        if index:
            kwargs["IndexName"] = index.name
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor, index_name, hint)
        response = self.query(operation, **kwargs)
        last = response.get("LastEvaluatedKey")
        next_cursor = encode_cursor(index_name, last, hint) if last else None
        return response["Items"], next_cursor

    # --- settings and the ticket counter ----------------------------------------------------

    def get_settings(self) -> MspSettings:
        found = self.get_raw("settings", {table.PK: s("SETTINGS"), table.SK: s("SETTINGS")})
        return load(MspSettings, found) if found else MspSettings()

    def put_settings(self, settings: MspSettings) -> None:
        self.db.put_item(
            TableName=self.table_name,
            Item=item({table.PK: "SETTINGS", table.SK: "SETTINGS"}, settings),
        )

    def next_ticket_number(self) -> int:
        response = self.db.update_item(
            TableName=self.table_name,
            Key={table.PK: s("COUNTER"), table.SK: s("TICKET")},
            UpdateExpression="ADD next_number :one",
            ExpressionAttributeValues={":one": n(1)},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["next_number"]["N"])

    def seed_ticket_counter(self, at_least: int) -> None:
        """Make the next number larger than `at_least` (imports and restored state)."""
        try:
            self.db.update_item(
                TableName=self.table_name,
                Key={table.PK: s("COUNTER"), table.SK: s("TICKET")},
                UpdateExpression="SET next_number = :n",
                ConditionExpression="attribute_not_exists(next_number) OR next_number < :n",
                ExpressionAttributeValues={":n": n(at_least)},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise

    # --- admin-managed entities --------------------------------------------------------------

    def _entity_item(self, kind: EntityKind[E], entity: E) -> Item:
        client_id = getattr(entity, "client_id", None)
        attrs: dict[str, str | int | None] = {
            table.PK: kind.key(entity.id),
            table.SK: ENTITY_SK,
            "version": entity.version,
            "client_id": client_id if kind.owned_by_client else None,
            "gsi1pk": kind.list_key(client_id),
            "gsi1sk": kind.sort_key(entity),
        }
        if isinstance(entity, Asset) and entity.end_user_id:
            attrs["gsi2pk"] = f"END_USER#{entity.end_user_id}#asset"
            attrs["gsi2sk"] = kind.sort_key(entity)
        return item(attrs, entity)

    @staticmethod
    def _lookup_items(entity: Stored) -> dict[tuple[str, str], Item]:
        """Items that make an entity findable by email, domain or phone (AP5, AP6)."""
        out: dict[tuple[str, str], Item] = {}
        if isinstance(entity, EndUser):
            for email in entity.emails:
                out[(f"EMAIL#{email}", "EMAIL")] = item(
                    {"owner_kind": "end_user", "owner_id": entity.id, "client_id": entity.client_id}
                )
            for phone in entity.phones:
                out[(f"PHONE#{phone}", f"END_USER#{entity.id}")] = item(
                    {"owner_id": entity.id, "client_id": entity.client_id}
                )
        elif isinstance(entity, Client):
            for domain in entity.email_domains:
                out[(f"DOMAIN#{domain}", "DOMAIN")] = item(
                    {"owner_kind": "client", "owner_id": entity.id, "client_id": entity.id}
                )
            if entity.branding.host:
                out[(f"PORTAL_HOST#{entity.branding.host}", "PORTAL_HOST")] = item(
                    {"owner_kind": "client", "owner_id": entity.id, "client_id": entity.id}
                )
        elif isinstance(entity, Agent):
            out[(f"EMAIL#{entity.email}", "EMAIL")] = item(
                {"owner_kind": "agent", "owner_id": entity.id}
            )
        return out

    def save_entity(self, kind: EntityKind[E], entity: E, previous: E | None = None) -> E:
        """Create (previous None) or replace `previous` with `entity`, whose version must be
        previous.version + 1. Email addresses and domains stay unique across owners."""
        operations: list[dict[str, Any]] = []
        main: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": self._entity_item(kind, entity),
        }
        if previous is None:
            main["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            main["ConditionExpression"] = "version = :v"
            main["ExpressionAttributeValues"] = {":v": n(previous.version)}
        operations.append({"Put": main})
        new_lookups = self._lookup_items(entity)
        old_lookups = self._lookup_items(previous) if previous else {}
        unique_keys: list[str] = []
        for (pk, sk), attrs in new_lookups.items():
            if (pk, sk) in old_lookups:
                continue
            put: dict[str, Any] = {
                "TableName": self.table_name,
                "Item": {table.PK: s(pk), table.SK: s(sk), **attrs},
            }
            if sk in ("EMAIL", "DOMAIN", "PORTAL_HOST"):
                put["ConditionExpression"] = "attribute_not_exists(pk)"
                unique_keys.append(pk.split("#", 1)[1])
            operations.append({"Put": put})
        for pk, sk in old_lookups.keys() - new_lookups.keys():
            operations.append(
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {table.PK: s(pk), table.SK: s(sk)},
                    }
                }
            )
        self._reference.pop(kind.key(entity.id), None)
        for asset in (entity, previous):
            if isinstance(asset, Asset) and asset.end_user_id:
                self._forget_panel(f"assets#{asset.end_user_id}")
        try:
            self.db.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if not conditional_failed(error):
                raise
            reasons = error.response.get("CancellationReasons") or []
            first_failed = bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"
            if previous is not None and (first_failed or not unique_keys):
                current = self.find_entity(kind, entity.id)
                raise VersionConflict(
                    kind.name, entity.id, previous.version, current.version if current else None
                ) from error
            if previous is None and (first_failed or not unique_keys):
                raise AlreadyExists(kind.name, entity.id) from error
            raise AlreadyExists("address", ", ".join(unique_keys)) from error
        return entity

    def delete_entity(self, kind: EntityKind[E], entity: E) -> None:
        """Delete `entity` at the version it was read (one DeleteItem: its index entries are
        attributes of the same item). VersionConflict when it changed since, NotFound when it
        has gone already."""
        if not kind.deletable:
            raise ValueError(f"{kind.name} is kept for its history, never deleted")
        try:
            self.db.delete_item(
                TableName=self.table_name,
                Key={table.PK: s(kind.key(entity.id)), table.SK: s(ENTITY_SK)},
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": n(entity.version)},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            current = self.find_entity(kind, entity.id)
            if current is None:
                raise NotFound(kind.name, entity.id) from error
            raise VersionConflict(kind.name, entity.id, entity.version, current.version) from error
        finally:
            # This container's display caches must not show it again (as save_entity does).
            self._reference.pop(kind.key(entity.id), None)
            if isinstance(entity, Asset) and entity.end_user_id:
                self._forget_panel(f"assets#{entity.end_user_id}")

    def find_entity(self, kind: EntityKind[E], entity_id: str) -> E | None:
        found = self.get_raw(kind.name, {table.PK: s(kind.key(entity_id)), table.SK: s(ENTITY_SK)})
        return load(kind.model, found) if found else None

    def get_entity(self, kind: EntityKind[E], entity_id: str, scope: Scope) -> E:
        entity = self.find_entity(kind, entity_id)
        if entity is None:
            raise NotFound(kind.name, entity_id)
        owner = entity.id if kind is CLIENTS else getattr(entity, "client_id", None)
        if not scope.is_staff and (kind.owned_by_client or kind is CLIENTS):
            if not scope.covers(owner):
                raise OutOfScope(kind.name, entity_id)
        elif not scope.is_staff:
            raise OutOfScope(kind.name, entity_id)
        return entity

    def get_entities(self, kind: EntityKind[E], ids: Iterable[str]) -> dict[str, E]:
        keys = [{table.PK: s(kind.key(i)), table.SK: s(ENTITY_SK)} for i in dict.fromkeys(ids)]
        return {e.id: e for e in (load(kind.model, raw) for raw in self.batch_get_raw(keys))}

    def get_reference(
        self, wanted: Sequence[tuple[EntityKind[Any], str]]
    ) -> dict[tuple[str, str], Stored]:
        """Like get_mixed, for display: answers from this container's recent reads when they
        are younger than REFERENCE_SECONDS, and fetches the rest in one BatchGetItem."""
        now = time.monotonic()
        out: dict[tuple[str, str], Stored] = {}
        missing: list[tuple[EntityKind[Any], str]] = []
        for kind, entity_id in wanted:
            hit = self._reference.get(kind.key(entity_id))
            if hit is not None and now - hit[0] < REFERENCE_SECONDS:
                out[(kind.name, entity_id)] = hit[1]
            else:
                missing.append((kind, entity_id))
        if missing:
            fetched = self.get_mixed(missing)
            if len(self._reference) > 10_000:
                self._reference.clear()
            kinds_by_name = {kind.name: kind for kind, _ in missing}
            for (name, entity_id), entity in fetched.items():
                self._reference[kinds_by_name[name].key(entity_id)] = (now, entity)
            out.update(fetched)
        return out

    def get_mixed(
        self, wanted: Sequence[tuple[EntityKind[Any], str]]
    ) -> dict[tuple[str, str], Stored]:
        """Entities of several kinds in one BatchGetItem, keyed by (kind name, id)."""
        by_key = {kind.key(i): kind for kind, i in wanted}
        keys = [{table.PK: s(k), table.SK: s(ENTITY_SK)} for k in by_key]
        out: dict[tuple[str, str], Stored] = {}
        for raw in self.batch_get_raw(keys):
            kind = by_key[raw[table.PK]["S"]]
            entity = load(kind.model, raw)
            out[(kind.name, entity.id)] = entity
        return out

    def list_entities(
        self,
        kind: EntityKind[E],
        scope: Scope,
        client_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[E]:
        if not scope.is_staff:
            raise OutOfScope(kind.name, "list")
        raw, next_cursor = self.query_page(
            f"list_{kind.name}",
            table.BY_PARENT,
            "gsi1pk = :p",
            {":p": s(kind.list_key(client_id))},
            limit,
            cursor,
            hint=kind.list_key(client_id),
        )
        return Page([load(kind.model, r) for r in raw], next_cursor)

    def every_entity(self, kind: EntityKind[E], client_id: str | None = None) -> Iterator[E]:
        """Every entity of a kind (of one client, for client-owned kinds), page by page: for
        the desk's own jobs, which see every client."""
        cursor: str | None = None
        while True:
            page = self.list_entities(kind, Scope.system(), client_id, MAX_PAGE, cursor)
            yield from page.items
            cursor = page.next_cursor
            if not cursor:
                return

    def contract_in_force(self, client_id: str, day: date) -> Contract | None:
        """AP10: the newest-starting contract of the client that is in force on `day`."""
        for raw in self.query_all(
            "contract_in_force",
            IndexName=table.BY_PARENT.name,
            KeyConditionExpression="gsi1pk = :p AND gsi1sk <= :d",
            ExpressionAttributeValues={
                ":p": s(CONTRACTS.list_key(client_id)),
                ":d": s(f"{day.isoformat()}#~"),
            },
            ScanIndexForward=False,
            Limit=10,
            **LOAD_ONLY,
        ):
            contract = load(Contract, raw)
            if contract.in_force_on(day):
                return contract
        return None

    def assets_of_end_user(
        self, end_user_id: str, limit: int = 50, cursor: str | None = None
    ) -> Page[Asset]:
        """AP11 (by end-user); a client's assets are `list_entities(ASSETS, client_id=...)`."""
        listed = f"END_USER#{end_user_id}#asset"
        raw, next_cursor = self.query_page(
            "assets_of_end_user",
            table.BY_OWNER,
            "gsi2pk = :p",
            {":p": s(listed)},
            limit,
            cursor,
            hint=listed,
        )
        return Page([load(ASSETS.model, r) for r in raw], next_cursor)

    def panel_assets(self, end_user_id: str) -> list[Asset]:
        """An end-user's assets for the context panel: reference data, cached briefly."""
        return self._panel_read(
            f"assets#{end_user_id}",
            REFERENCE_SECONDS,
            lambda: self.assets_of_end_user(end_user_id).items,
        )

    def panel_recent_tickets(self, client_id: str, count: int) -> list[Ticket]:
        """A client's newest tickets for the context panel, cached for RECENT_SECONDS."""
        return self._panel_read(
            f"recent#{client_id}#{count}",
            RECENT_SECONDS,
            lambda: self.client_tickets(client_id, Scope.system(), count).items,
        )

    def _panel_read(self, key: str, seconds: float, read: Callable[[], T]) -> T:
        now = time.monotonic()
        hit = self._panel.get(key)
        if hit is not None and now - hit[0] < seconds:
            value: T = hit[1]
            return value
        value = read()
        if len(self._panel) > 10_000:
            self._panel.clear()
        self._panel[key] = (now, value)
        return value

    def _forget_panel(self, prefix: str) -> None:
        for key in [k for k in self._panel if k.startswith(prefix)]:
            self._panel.pop(key, None)

    def principal_by_email(self, email: str) -> Principal | None:
        """AP5: who owns an address (lower-cased: addresses are matched case-insensitively)."""
        found = self.get_raw(
            "by_email", {table.PK: s(f"EMAIL#{email.strip().lower()}"), table.SK: s("EMAIL")}
        )
        if not found:
            return None
        return Principal(
            kind=text(found, "owner_kind") or "",
            id=text(found, "owner_id") or "",
            client_id=text(found, "client_id"),
        )

    def client_id_by_domain(self, domain: str) -> str | None:
        """AP5: the client that owns an email domain."""
        found = self.get_raw(
            "by_domain", {table.PK: s(f"DOMAIN#{domain.strip().lower()}"), table.SK: s("DOMAIN")}
        )
        return text(found, "owner_id") if found else None

    def client_id_by_portal_host(self, host: str) -> str | None:
        """The client whose portal answers on this host name."""
        found = self.get_raw(
            "by_portal_host",
            {table.PK: s(f"PORTAL_HOST#{host.strip().lower()}"), table.SK: s("PORTAL_HOST")},
        )
        return text(found, "owner_id") if found else None

    def end_users_by_phone(self, e164: str) -> list[Principal]:
        """AP6: end-users with this number (a shared line may have several)."""
        return [
            Principal(kind="end_user", id=text(r, "owner_id") or "", client_id=text(r, "client_id"))
            for r in self.query_all(
                "by_phone",
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": s(f"PHONE#{e164}")},
            )
        ]

    # --- tickets -----------------------------------------------------------------------------

    def create_ticket(
        self, ticket: Ticket, actions: Sequence[Action], idempotency_claim: str | None = None
    ) -> int | None:
        """Write a new ticket with its first actions. With a claim (the caller's idempotency
        key), a retry of the same request returns the number it created instead (and writes
        nothing); otherwise returns None."""
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": ticket_item(ticket),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        operations += [
            {"Put": {"TableName": self.table_name, "Item": self._action_item(a)}} for a in actions
        ]
        claim_key = {table.PK: s(f"IDEMPOTENCY#{idempotency_claim}"), table.SK: s("TICKET")}
        if idempotency_claim:
            operations.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            **claim_key,
                            "ticket_number": n(ticket.number),
                            table.TTL_ATTRIBUTE: n(int(ticket.created_at.timestamp()) + 86_400),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            self.db.transact_write_items(TransactItems=operations)
            self._forget_panel(f"recent#{ticket.client_id}#")
        except ClientError as error:
            if not conditional_failed(error):
                raise
            claimed = (
                self.get_raw("idempotency", claim_key, consistent=True)
                if (idempotency_claim)
                else None
            )
            if claimed:
                return int(claimed["ticket_number"]["N"])
            raise AlreadyExists("ticket", str(ticket.number)) from error
        return None

    def import_tickets(self, records: Sequence[tuple[Ticket, Sequence[Action]]]) -> None:
        """Bulk-write tickets whose numbers were reserved (migration, demo history): plain
        puts in BatchWriteItem requests of 25 on 4 threads, retrying unprocessed items."""
        items = [
            raw
            for ticket, actions in records
            for raw in (ticket_item(ticket), *(self._action_item(a) for a in actions))
        ]

        def put(chunk: list[Item]) -> None:
            request: dict[str, Any] = {
                self.table_name: [{"PutRequest": {"Item": i}} for i in chunk]
            }
            for attempt in range(10):
                response = self.db.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
                if not request:
                    return
                time.sleep(0.05 * 2**attempt)
            raise RuntimeError("DynamoDB kept some imported items unprocessed")

        chunks = [items[i : i + 25] for i in range(0, len(items), 25)]
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="import") as pool:
            list(pool.map(put, chunks))
        for client_id in {ticket.client_id for ticket, _ in records}:
            self._forget_panel(f"recent#{client_id}#")

    def save_ticket(
        self, ticket: Ticket, expected_version: int, actions: Sequence[Action] = ()
    ) -> None:
        """Write `ticket` only if the stored one still has `expected_version`."""
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": ticket_item(ticket),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": n(expected_version)},
                }
            }
        ]
        operations += [
            {"Put": {"TableName": self.table_name, "Item": self._action_item(a)}} for a in actions
        ]
        try:
            self.db.transact_write_items(TransactItems=operations)
            self._forget_panel(f"recent#{ticket.client_id}#")
        except ClientError as error:
            if not conditional_failed(error):
                raise
            current = self.get_raw("ticket", _ticket_key(ticket.number), consistent=True)
            if current is None:
                raise TicketNotFound(ticket.number) from error
            version = int(current["version"]["N"])
            raise VersionConflict(
                "ticket", str(ticket.number), expected_version, version
            ) from error

    @staticmethod
    def _action_item(action: Action) -> Item:
        return item(
            {
                table.PK: f"TICKET#{action.ticket_number}",
                table.SK: f"ACTION#{_iso(action.created_at)}#{action.id}",
            },
            action,
        )

    def find_action(self, number: int, action_id: str) -> Action | None:
        """One action of a ticket by id. Its sort key starts with the time it was added, so
        the ticket's actions are read (one Query) and the one picked out."""
        for raw in self.query_all(
            "ticket_actions",
            KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
            ExpressionAttributeValues={":p": s(f"TICKET#{number}"), ":a": s("ACTION#")},
            **LOAD_ONLY,
        ):
            action = load(Action, raw)
            if action.id == action_id:
                return action
        return None

    def find_ticket(self, number: int, consistent: bool = False) -> Ticket | None:
        found = self.get_raw("ticket", _ticket_key(number), consistent=consistent)
        return load(Ticket, found) if found else None

    def tickets_by_number(self, numbers: Iterable[int]) -> dict[int, Ticket]:
        """Several tickets at once (BatchGetItem), with no scope check: for services that
        checked the caller already or act for the system."""
        keys = [_ticket_key(number) for number in dict.fromkeys(numbers)]
        found = (load(Ticket, raw) for raw in self.batch_get_raw(keys)) if keys else ()
        return {ticket.number: ticket for ticket in found}

    def get_ticket(self, number: int, scope: Scope, consistent: bool = False) -> Ticket:
        ticket = self.find_ticket(number, consistent)
        if ticket is None or not scope.covers(ticket.client_id):
            raise TicketNotFound(number)
        return ticket

    def get_ticket_record(self, number: int, scope: Scope, now: datetime) -> TicketRecord:
        """AP1 and AP12 in one Query: the ticket, its actions, time entries and presence."""
        ticket: Ticket | None = None
        actions: list[Action] = []
        entries: list[TimeEntry] = []
        presence: list[Presence] = []
        triage: TriageRecord | None = None
        for raw in self.query_all(
            "ticket_record",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": s(f"TICKET#{number}")},
            **LOAD_ONLY,
        ):
            sk = raw[table.SK]["S"]
            if sk == TICKET_SK:
                ticket = load(Ticket, raw)
            elif sk.startswith("ACTION#"):
                actions.append(load(Action, raw))
            elif sk.startswith("TIME#"):
                entries.append(load(TimeEntry, raw))
            elif sk.startswith("PRESENCE#"):
                seen = load(Presence, raw)
                if seen.expires_at > now:  # TTL deletion lags; expired presence is gone
                    presence.append(seen)
            elif sk == "TRIAGE":
                triage = load(TriageRecord, raw)
        if ticket is None or not scope.covers(ticket.client_id):
            raise TicketNotFound(number)
        return TicketRecord(ticket, actions, entries, presence, triage)

    def queue(
        self, scope: Scope, filters: QueueFilter, limit: int = 25, cursor: str | None = None
    ) -> Page[Ticket]:
        """AP2: open tickets across clients ordered by SLA due, then age.

        The most selective filter picks the index; the others are applied as a filter
        expression, and the cursor always points at the last ticket returned.
        """
        if not scope.is_staff:
            raise OutOfScope("queue", "all")
        limit = max(1, min(limit, MAX_PAGE))
        index, value = self._queue_index(filters)
        conditions: list[str] = []
        values: dict[str, Any] = {":k": s(value)}
        names: dict[str, str] = {}
        checks = (
            ("client_id", filters.client_id, table.QUEUE_CLIENT),
            ("agent", self._assignee(filters.agent_id), table.QUEUE_AGENT),
            ("team", self._assignee(filters.team_id), table.QUEUE_TEAM),
            ("priority", filters.priority, table.QUEUE_PRIORITY),
            ("sla_state", filters.sla, table.QUEUE_SLA),
            ("status", filters.status.value if filters.status else None, table.QUEUE_STATUS),
        )
        for attribute, wanted, own_index in checks:
            if wanted is None or own_index is index:
                continue
            names[f"#{attribute}"] = attribute
            values[f":{attribute}"] = s(wanted)
            conditions.append(f"#{attribute} = :{attribute}")
        kwargs: dict[str, Any] = {
            "IndexName": index.name,
            "KeyConditionExpression": f"{index.pk} = :k",
            "ExpressionAttributeValues": values,
        }
        if conditions:
            kwargs["FilterExpression"] = " AND ".join(conditions)
            kwargs["ExpressionAttributeNames"] = names
        hint = filters.signature()
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor, index.name, hint)
        found: list[Item] = []
        # A filter expression may discard items: read in bounded rounds, never the whole queue.
        budget = max(limit * 20, 500)
        more = True
        # Whether the last response held matches beyond the page: they are not read again
        # unless the cursor points at the last ticket returned.
        left_over = False
        while len(found) < limit and budget > 0 and more:
            kwargs["Limit"] = min(budget, limit - len(found) if not conditions else max(limit, 100))
            response = self.query("queue", **kwargs)
            budget -= int(response.get("ScannedCount", 0))
            room = limit - len(found)
            found += response["Items"][:room]
            left_over = len(response["Items"]) > room
            more = "LastEvaluatedKey" in response
            if more:
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        if len(found) == limit and (more or left_over):
            last = found[-1]
            key = {name: last[name] for name in (table.PK, table.SK, index.pk, index.sk)}
            next_cursor: str | None = encode_cursor(index.name, key, hint)
        elif more:
            next_cursor = encode_cursor(index.name, kwargs["ExclusiveStartKey"], hint)
        else:
            next_cursor = None
        return Page([load(Ticket, r) for r in found], next_cursor)

    @staticmethod
    def _assignee(value: str | None) -> str | None:
        if value is None:
            return None
        return UNASSIGNED if value.lower() in ("unassigned", "none") else value

    def _queue_index(self, filters: QueueFilter) -> tuple[table.Index, str]:
        if filters.status is not None and not filters.status.is_open:
            return table.QUEUE_STATUS, filters.status.value
        agent = self._assignee(filters.agent_id)
        team = self._assignee(filters.team_id)
        for index, value in (
            (table.QUEUE_AGENT, agent if agent != UNASSIGNED else None),
            (table.QUEUE_CLIENT, filters.client_id),
            (table.QUEUE_TEAM, team if team != UNASSIGNED else None),
            (table.QUEUE_SLA, filters.sla),
            (table.QUEUE_PRIORITY, filters.priority),
            (table.QUEUE_STATUS, filters.status.value if filters.status else None),
            (table.QUEUE_AGENT, agent),
            (table.QUEUE_TEAM, team),
        ):
            if value is not None:
                return index, value
        return table.QUEUE_ALL, "OPEN"

    def client_tickets(
        self, client_id: str, scope: Scope, limit: int = 25, cursor: str | None = None
    ) -> Page[Ticket]:
        """AP3: a client's tickets, newest first."""
        if not scope.covers(client_id):
            raise OutOfScope("client", client_id)
        raw, next_cursor = self.query_page(
            "client_tickets",
            table.BY_OWNER,
            "gsi2pk = :p",
            {":p": s(f"CLIENT#{client_id}#ticket")},
            limit,
            cursor,
            hint=client_id,
            forward=False,
        )
        return Page([load(Ticket, r) for r in raw], next_cursor)

    def end_user_tickets(
        self,
        end_user_id: str,
        client_id: str,
        scope: Scope,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[Ticket]:
        """AP4: an end-user's tickets, newest first."""
        if not scope.covers(client_id):
            raise OutOfScope("end_user", end_user_id)
        raw, next_cursor = self.query_page(
            "end_user_tickets",
            table.BY_PARENT,
            "gsi1pk = :p",
            {":p": s(f"END_USER#{end_user_id}#ticket")},
            limit,
            cursor,
            hint=end_user_id,
            forward=False,
        )
        tickets = [t for t in (load(Ticket, r) for r in raw) if t.client_id == client_id]
        return Page(tickets, next_cursor)

    def tickets_due_before(self, instant: datetime, limit: int = 100) -> list[Ticket]:
        """AP7: open tickets whose next SLA instant is at or before `instant`."""
        raw, _ = self.query_page(
            "sla_due",
            table.SLA_DUE,
            "sla_pk = :p AND sla_sk <= :t",
            {":p": s("SLA"), ":t": s(f"{_iso(instant)}#~")},
            limit,
            None,
            hint="",
        )
        return [load(Ticket, r) for r in raw]

    def tickets_created_since(self, since: datetime, now: datetime) -> list[Ticket]:
        """AP13: tickets created in [since, now] across clients, oldest first."""
        out: list[Ticket] = []
        day = since.astimezone(UTC).date()
        while day <= now.astimezone(UTC).date():
            for raw in self.query_all(
                "recent",
                IndexName=table.RECENT.name,
                KeyConditionExpression="recent_pk = :p AND recent_sk BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":p": s(f"RECENT#{day.isoformat()}"),
                    ":a": s(_iso(since)),
                    ":b": s(f"{_iso(now)}~"),
                },
            ):
                if raw[table.SK]["S"] == TICKET_SK:
                    out.append(load(Ticket, raw))
            day += timedelta(days=1)
        return out

    # --- message ids (AP8), presence (AP12), time entries (AP9) -----------------------------

    def put_versioned(self, raw: Item, expected_version: int) -> bool:
        """Replace an item nobody changed since `expected_version`; False when someone did."""
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item=raw,
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": n(expected_version)},
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def put_new(self, raw: Item) -> bool:
        """Put an item that must not exist yet; False when it does (a retry, a duplicate)."""
        try:
            self.db.put_item(
                TableName=self.table_name, Item=raw, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def link_message_id(self, message_id: str, number: int) -> bool:
        """Record that a mail belongs to a ticket; False if it was already recorded."""
        return self.put_new(
            item(
                {
                    table.PK: message_id_key(message_id),
                    table.SK: "MSGID",
                    "ticket_number": number,
                }
            )
        )

    def ticket_number_by_message_id(self, message_id: str, consistent: bool = False) -> int | None:
        found = self.get_raw(
            "by_message_id",
            {table.PK: s(message_id_key(message_id)), table.SK: s("MSGID")},
            consistent=consistent,
        )
        return int(found["ticket_number"]["N"]) if found else None

    def ticket_presence(self, number: int, scope: Scope, now: datetime) -> list[Presence]:
        """Who is on the ticket, for the heartbeat: one Query of the presence items and the
        ticket item, which sort next to each other (`PRESENCE#...` < `TICKET`), never the
        actions. The ticket item is what the scope is checked against."""
        found: Ticket | None = None
        presence: list[Presence] = []
        for raw in self.query_all(
            "ticket_presence",
            KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :t",
            ExpressionAttributeValues={
                ":p": s(f"TICKET#{number}"),
                ":a": s("PRESENCE#"),
                ":t": s(TICKET_SK),
            },
            **LOAD_ONLY,
        ):
            if raw[table.SK]["S"] == TICKET_SK:
                found = load(Ticket, raw)
                continue
            seen = load(Presence, raw)
            if seen.expires_at > now:  # TTL deletion lags; expired presence is gone
                presence.append(seen)
        if found is None or not scope.covers(found.client_id):
            raise TicketNotFound(number)
        return presence

    def put_presence(self, presence: Presence) -> None:
        self.db.put_item(
            TableName=self.table_name,
            Item=item(
                {
                    table.PK: f"TICKET#{presence.ticket_number}",
                    table.SK: f"PRESENCE#{presence.agent_id}",
                    table.TTL_ATTRIBUTE: int(presence.expires_at.timestamp()),
                },
                presence,
            ),
        )

    def delete_presence(self, number: int, agent_id: str) -> None:
        self.db.delete_item(
            TableName=self.table_name,
            Key={table.PK: s(f"TICKET#{number}"), table.SK: s(f"PRESENCE#{agent_id}")},
        )

    def add_time_entry(self, entry: TimeEntry) -> None:
        started = _iso(entry.started_at)
        self.db.put_item(
            TableName=self.table_name,
            Item=item(
                {
                    table.PK: f"TICKET#{entry.ticket_number}",
                    table.SK: f"TIME#{started}#{entry.id}",
                    "gsi2pk": f"CLIENT#{entry.client_id}#time",
                    "gsi2sk": f"{started}#{entry.id}",
                },
                entry,
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def time_entries_of_client(
        self, client_id: str, start: datetime, end: datetime
    ) -> list[TimeEntry]:
        """AP9: a client's time entries that started in [start, end)."""
        return [
            load(TimeEntry, raw)
            for raw in self.query_all(
                "time_entries",
                IndexName=table.BY_OWNER.name,
                KeyConditionExpression="gsi2pk = :p AND gsi2sk BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":p": s(f"CLIENT#{client_id}#time"),
                    ":a": s(_iso(start)),
                    ":b": s(_iso(end - timedelta(microseconds=1)) + "~"),
                },
            )
        ]
