"""Agent routes for billing (issue 6): the preview of a client's period, invoice drafts to
list, re-run, approve and export. End-users get 404 on all of them."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from functions.api.context import Staff, if_match_version, services
from mspdesk.domain.billing import PERIOD_PATTERN, InvoiceDraft, period_of
from mspdesk.domain.models import utcnow
from mspdesk.services.billing import BillingService

router = APIRouter(prefix="/api", tags=["billing"])
ClientId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN)]
PeriodQuery = Annotated[
    str | None, Query(pattern=PERIOD_PATTERN, description="YYYY-MM; this month when absent")
]


def billing(request: Request) -> BillingService:
    state = request.app.state
    found: BillingService | None = getattr(state, "billing", None)
    if found is None:
        found = BillingService(services(request).deps)
        state.billing = found
    return found


Billing = Annotated[BillingService, Depends(billing)]


class InvoicePage(BaseModel):
    items: list[InvoiceDraft]
    next_cursor: str | None = None


def _period(billing: BillingService, period: str | None) -> str:
    if period:
        return period
    zone = ZoneInfo(billing.billing.store.get_settings().time_zone)
    return period_of(utcnow(), zone)


@router.get("/clients/{client_id}/billing/preview", response_model=InvoiceDraft)
def preview(
    client_id: ClientId, scope: Staff, billing: Billing, period: PeriodQuery = None
) -> InvoiceDraft:
    """What tonight's run would produce for the client's period, entry by entry with the
    reason for each (an approved period: the invoice as approved). Nothing is saved."""
    return billing.preview(scope, client_id, _period(billing, period))


@router.get("/invoices", response_model=InvoicePage)
def list_invoices(
    scope: Staff,
    billing: Billing,
    period: PeriodQuery = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> InvoicePage:
    """The invoice drafts of a period across clients, by client name (without their entry
    lines; read one draft for those). `stale` is true when entries came in after the run."""
    page = billing.invoices(scope, _period(billing, period), limit, cursor)
    return InvoicePage(items=page.items, next_cursor=page.next_cursor)


@router.get("/invoices/{client_id}/{period}", response_model=InvoiceDraft)
def get_invoice(
    client_id: ClientId, period: PeriodPath, scope: Staff, billing: Billing, response: Response
) -> InvoiceDraft:
    draft = billing.invoice(scope, client_id, period)
    response.headers["ETag"] = f'"{draft.version}"'
    return draft


@router.post("/invoices/{client_id}/{period}/run", response_model=InvoiceDraft)
def run_now(
    client_id: ClientId, period: PeriodPath, scope: Staff, billing: Billing, response: Response
) -> InvoiceDraft:
    """Run the nightly job for this client and period now: the draft is replaced (or left
    as it is when nothing changed; an approved one is never touched)."""
    draft = billing.rerun(scope, client_id, period)
    response.headers["ETag"] = f'"{draft.version}"'
    return draft


@router.post("/invoices/{client_id}/{period}/approve", response_model=InvoiceDraft)
def approve(
    client_id: ClientId,
    period: PeriodPath,
    scope: Staff,
    billing: Billing,
    if_match: Annotated[str | None, Header()] = None,
) -> InvoiceDraft:
    """Approve (admins): the period is locked; later entries are billed in the next one.
    409 when the draft is not the version in If-Match, or is stale (run it again first)."""
    return billing.approve(scope, client_id, period, if_match_version(if_match))


@router.get(
    "/invoices/{client_id}/{period}/export",
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export(
    client_id: ClientId,
    period: PeriodPath,
    scope: Staff,
    billing: Billing,
    format: Annotated[Literal["csv", "json"], Query()] = "csv",
) -> Response:
    """The invoice as CSV (its lines) or JSON (lines, totals and every entry's parts)."""
    filename = f"invoice-{client_id}-{period}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "json":
        return JSONResponse(billing.export_json(scope, client_id, period), headers=disposition)
    return Response(
        billing.export_csv(scope, client_id, period),
        media_type="text/csv; charset=utf-8",
        headers=disposition,
    )
