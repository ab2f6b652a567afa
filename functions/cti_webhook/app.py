"""The webhook function's FastAPI application: the /cti routes alone, with the domain errors
mapped as the API maps them."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from functions.cti_webhook import routes
from mspdesk.cti_runtime import CtiContext
from mspdesk.domain.errors import InvalidInput, NotFound


def create_webhook_app(context: CtiContext) -> FastAPI:
    app = FastAPI(
        title="mspdesk phone webhooks",
        version="0.1.0",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.cti = context

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"error": "validation_error", "message": f"{exc.field}: {exc.message}"},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return JSONResponse(
            status_code=422, content={"error": "validation_error", "message": f"invalid: {fields}"}
        )

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"error": "not_found", "message": str(exc)})

    app.include_router(routes.router)
    return app
