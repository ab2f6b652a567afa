"""Where each admin-managed entity kind lives in the table, how it is listed and whether it
may be deleted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from mspdesk.domain.models import (
    Agent,
    Asset,
    Calendar,
    Category,
    Client,
    Contract,
    EndUser,
    Site,
    SlaPlan,
    Stored,
    Team,
)
from mspdesk.domain.triage import RoutingRule

E = TypeVar("E", bound=Stored)


def _by_name(entity: Stored) -> str:
    return f"{getattr(entity, 'name', '').lower()}#{entity.id}"


@dataclass(frozen=True)
class EntityKind(Generic[E]):
    name: str
    model: type[E]
    # Entities owned by a client are listed per client; the others in one list per kind.
    owned_by_client: bool = False
    sort_key: Callable[[E], str] = _by_name
    # Only kinds that no ticket, call or bill names, and that no lookup item (email, domain,
    # phone) points at, may be deleted; the others are deactivated or kept.
    deletable: bool = False

    def key(self, entity_id: str) -> str:
        return f"{self.name.upper()}#{entity_id}"

    def list_key(self, client_id: str | None) -> str:
        if self.owned_by_client:
            return f"CLIENT#{client_id}#{self.name}"
        return f"LIST#{self.name}"


CLIENTS = EntityKind("client", Client)
SITES = EntityKind("site", Site, owned_by_client=True)
END_USERS = EntityKind("end_user", EndUser, owned_by_client=True)
AGENTS = EntityKind("agent", Agent)
TEAMS = EntityKind("team", Team)
CATEGORIES = EntityKind("category", Category)
SLA_PLANS = EntityKind("sla_plan", SlaPlan)
CALENDARS = EntityKind("calendar", Calendar)
# Newest start first when listed in reverse: the contract in force is found with one Query.
CONTRACTS = EntityKind(
    "contract",
    Contract,
    owned_by_client=True,
    sort_key=lambda c: f"{c.starts_on.isoformat()}#{c.id}",
)
ASSETS = EntityKind("asset", Asset, owned_by_client=True, deletable=True)
# In the order they run.
ROUTING_RULES = EntityKind(
    "routing_rule",
    RoutingRule,
    sort_key=lambda r: f"{r.order:07d}#{r.name.lower()}#{r.id}",
    deletable=True,
)

ALL_KINDS: dict[str, EntityKind[Stored]] = {
    kind.name: kind  # type: ignore[misc]
    for kind in (
        CLIENTS,
        SITES,
        END_USERS,
        AGENTS,
        TEAMS,
        CATEGORIES,
        SLA_PLANS,
        CALENDARS,
        CONTRACTS,
        ASSETS,
        ROUTING_RULES,
    )
}
