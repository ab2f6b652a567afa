"""Agent routes for AI triage: accept a suggestion, and the accuracy report. The record itself
comes with the ticket (GET /api/tickets/{number}, as "triage")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query

from functions.api.context import Staff, Svc, required_version
from functions.api.schemas import TicketOut
from mspdesk.domain.errors import InvalidInput
from mspdesk.services.triage import TriageReview

router = APIRouter(prefix="/api", tags=["triage"])
Number = Annotated[int, Path(ge=1, le=10**12)]
DEFAULT_PERIOD = timedelta(days=30)


@router.post("/tickets/{number}/triage/accept", response_model=TicketOut)
def accept_suggestion(
    number: Number,
    svc: Svc,
    scope: Staff,
    if_match: Annotated[str | None, Header()] = None,
) -> TicketOut:
    """Write triage's suggested fields to the ticket (If-Match: the version you read)."""
    review = TriageReview(svc.deps)
    return TicketOut.of(review.accept(scope, number, required_version(if_match)))


@router.get("/triage/stats")
def triage_stats(
    svc: Svc,
    scope: Staff,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    client_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")] = None,
) -> dict[str, Any]:
    """How often agents kept what triage chose, per method and per client, over a period
    (default: the last 30 days). A field counts as kept unless an agent changed it."""
    end = end or svc.deps.clock()
    start = start or end - DEFAULT_PERIOD
    for name, value in (("from", start), ("to", end)):
        if value.tzinfo is None:
            raise InvalidInput(name, "give a time zone, e.g. 2026-11-01T00:00:00Z")
    return TriageReview(svc.deps).stats(scope, start, end, client_id)
