"""Domain events: every change publishes one; events are the only coupling between functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from mspdesk.domain.models import new_id, utcnow

SOURCE = "mspdesk"


class DomainEvent(BaseModel):
    type: str
    detail: dict[str, Any]
    client_id: str | None = None
    id: str = Field(default_factory=lambda: new_id("ev"))
    occurred_at: datetime = Field(default_factory=utcnow)

    def as_eventbridge(
        self, account: str = "000000000000", region: str = "eu-west-2"
    ) -> dict[str, Any]:
        """The shape EventBridge delivers to a Lambda target, also used for local delivery."""
        return {
            "version": "0",
            "id": self.id,
            "detail-type": self.type,
            "source": SOURCE,
            "account": account,
            "time": self.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [],
            "detail": {**self.detail, "client_id": self.client_id},
        }
