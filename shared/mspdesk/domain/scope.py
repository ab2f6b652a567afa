"""Who is asking: every store read takes a Scope and refuses what it does not cover."""

from __future__ import annotations

from dataclasses import dataclass

from mspdesk.domain.enums import Role


@dataclass(frozen=True)
class Scope:
    role: Role
    principal_id: str
    name: str = ""
    client_id: str | None = None  # an end-user's own client; None for the MSP's staff

    @classmethod
    def system(cls) -> Scope:
        """The desk itself (ingestion, schedules): sees every client."""
        return cls(role=Role.ADMIN, principal_id="system", name="mspdesk")

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.AGENT)

    def covers(self, client_id: str | None) -> bool:
        return self.is_staff or (client_id is not None and client_id == self.client_id)
