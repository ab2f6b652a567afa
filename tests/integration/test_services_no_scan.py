"""No request path scans the table: every service runs on a client whose Scan raises."""

from __future__ import annotations

from datetime import timedelta

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.enums import PresenceActivity, TicketSource, TicketStatus
from mspdesk.services.admin import lookup
from mspdesk.services.deps import Deps
from mspdesk.services.sla import SlaSweeper
from mspdesk.services.tickets import ActionInput, TicketInput, TicketPatch
from mspdesk.store.dynamo import DynamoStore, QueueFilter
from tests.conftest import Clock
from tests.unit.builders import ADMIN, NoScanClient, build_desk


def test_request_paths_use_keys_and_indexes_only(
    store: DynamoStore, events: RecordingPublisher, clock: Clock
) -> None:
    client = NoScanClient(store.db)
    desk = build_desk(Deps(DynamoStore(client, store.table_name), events, clock))
    agent, alice = desk.agent_scope, desk.alice_scope
    client.operations.clear()

    ticket = desk.ticket(team_id=desk.team.id)
    desk.tickets.create(
        alice, TicketInput(subject="Portal", body="From the portal"), TicketSource.PORTAL, "idem-1"
    )
    desk.tickets.create(
        alice, TicketInput(subject="Portal", body="From the portal"), TicketSource.PORTAL, "idem-1"
    )
    updated = desk.tickets.update(agent, ticket.number, ticket.version, TicketPatch(priority="P1"))
    desk.tickets.add_action(agent, updated.number, ActionInput(body="Looking"))
    desk.tickets.add_action(alice, updated.number, ActionInput(body="Thanks"))
    desk.tickets.heartbeat(agent, ticket.number, PresenceActivity.VIEWING)
    desk.tickets.leave(agent, ticket.number)
    desk.tickets.detail(agent, ticket.number)
    desk.tickets.detail(alice, ticket.number)
    desk.tickets.portal_list(alice, 10, None)
    for filters in (
        QueueFilter(),
        QueueFilter(client_id=desk.client_a.id, priority="P1"),
        QueueFilter(agent_id="unassigned", team_id=desk.team.id),
        QueueFilter(status=TicketStatus.RESOLVED, sla="met"),
    ):
        desk.tickets.queue(agent, filters, 10, None)
    for managed in ("clients", "agents", "teams", "sla-plans"):
        desk.admin.list(ADMIN, lookup(managed), None, 10, None)
    desk.admin.list(ADMIN, lookup("end-users"), desk.client_a.id, 10, None)
    desk.admin.update(ADMIN, lookup("end-users"), desk.alice.id, {"phones": ["01623 123456"]}, None)
    desk.admin.get(ADMIN, lookup("contracts"), desk.contract_a.id)
    clock.now += timedelta(minutes=25)
    SlaSweeper(desk.deps).sweep()

    assert "scan" not in client.operations
    assert {"query", "get_item", "batch_get_item", "transact_write_items"} <= set(client.operations)
