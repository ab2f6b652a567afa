"""The FastAPI application, the same in Lambda (through Mangum) and locally (uvicorn)."""

from __future__ import annotations

from fastapi import FastAPI

from functions.api import (
    errors,
    routes_admin,
    routes_attachments,
    routes_billing,
    routes_cti,
    routes_dev,
    routes_mail,
    routes_portal,
    routes_reference,
    routes_tickets,
    routes_timers,
    routes_triage,
)
from functions.api.context import Services
from functions.api.limits import BodySizeLimit
from mspdesk.config import Settings
from mspdesk.services.deps import Deps


def create_app(settings: Settings, deps: Deps) -> FastAPI:
    app = FastAPI(
        title="mspdesk",
        version="0.1.0",
        description="Multi-client service desk API for Managed Service Providers.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = Services.build(settings, deps)
    errors.install(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(routes_tickets.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_portal.router)
    app.include_router(routes_attachments.agent_router)
    app.include_router(routes_attachments.portal_router)
    app.include_router(routes_timers.router)
    app.include_router(routes_billing.router)
    app.include_router(routes_triage.router)
    app.include_router(routes_reference.router)
    routes_cti.install(app, settings, deps)
    routes_mail.install(app, settings, deps)
    if settings.local_mode:
        app.include_router(routes_dev.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
