"""The phone directory: the main numbers of clients and sites (kept from their events, so a
call from a switchboard finds its client), extensions to agents and dialled numbers to teams."""

from __future__ import annotations

from typing import Any, TypeVar

from mspdesk.domain.calls import CtiDirectory
from mspdesk.domain.enums import Role
from mspdesk.domain.errors import Forbidden, InvalidInput, NotFound, VersionConflict
from mspdesk.domain.models import Stored
from mspdesk.domain.phone import to_e164
from mspdesk.domain.scope import Scope
from mspdesk.services.deps import Deps
from mspdesk.store import entities as kinds
from mspdesk.store.cti_directory import DirectoryStore
from mspdesk.store.entities import EntityKind

E = TypeVar("E", bound=Stored)


def require_admin(scope: Scope) -> None:
    if scope.role is not Role.ADMIN:
        raise Forbidden("admin role required")


class CtiDirectoryService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self.store = DirectoryStore(deps.store)

    # --- main numbers ------------------------------------------------------------------------

    def index_client(self, client_id: str) -> bool:
        client = self._d.store.find_entity(kinds.CLIENTS, client_id)
        phone = client.main_phone if client is not None and client.active else None
        return self.store.set_main_number("client", client_id, client_id, phone)

    def index_site(self, site_id: str) -> bool:
        site = self._d.store.find_entity(kinds.SITES, site_id)
        if site is None:
            return False
        return self.store.set_main_number("site", site.id, site.client_id, site.main_phone)

    def reindex(self, scope: Scope) -> dict[str, int]:
        """Index every client's and site's main number again (after an import, or for data
        written before the index existed); reads each listing page by page."""
        require_admin(scope)
        counts = {"clients": 0, "sites": 0, "changed": 0}
        for client in self._d.store.every_entity(kinds.CLIENTS):
            counts["clients"] += 1
            counts["changed"] += self.index_client(client.id)
            for site in self._d.store.every_entity(kinds.SITES, client.id):
                counts["sites"] += 1
                counts["changed"] += self.index_site(site.id)
        return counts

    # --- extensions and dialled numbers ------------------------------------------------------

    def get(self, scope: Scope) -> CtiDirectory:
        if not scope.is_staff:
            raise NotFound("route", "directory")
        return self.store.directory(consistent=True)

    def put(self, scope: Scope, directory: CtiDirectory) -> CtiDirectory:
        """Replace the directory; `version` must be the one read."""
        require_admin(scope)
        current = self.store.directory(consistent=True)
        if directory.version != current.version:
            raise VersionConflict("cti_directory", "directory", directory.version, current.version)
        region = self._d.store.get_settings().phone_region
        numbers = {
            to_e164(number, region, f"numbers.{number}"): team
            for number, team in directory.numbers.items()
        }
        wanted: list[tuple[EntityKind[Any], str]] = [
            (kinds.AGENTS, a) for a in set(directory.extensions.values())
        ] + [(kinds.TEAMS, t) for t in set(numbers.values())]
        found = self._d.store.get_mixed(wanted) if wanted else {}
        for extension, agent in directory.extensions.items():
            if ("agent", agent) not in found:
                raise InvalidInput(f"extensions.{extension}", f"no agent {agent}")
        for number, team in numbers.items():
            if ("team", team) not in found:
                raise InvalidInput(f"numbers.{number}", f"no team {team}")
        saved = CtiDirectory(
            extensions={k.strip().lower(): v for k, v in directory.extensions.items()},
            numbers=numbers,
            version=current.version + 1,
        )
        self.store.save_directory(saved, current.version)
        return saved
