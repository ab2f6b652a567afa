"""Domain errors to HTTP, in one place. Every error body has `error` and `message`; 422s
also carry `detail`, a list naming the field at fault."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mspdesk.domain.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    VersionConflict,
)


class Unauthorized(Exception):
    def __init__(self, message: str = "sign in first") -> None:
        super().__init__(message)
        self.message = message


class PreconditionRequired(Exception):
    def __init__(self, header: str) -> None:
        super().__init__(f"send the {header} header with the version you read")
        self.header = header


def body(error: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": error, "message": message, **extra}


def _json(
    status: int, content: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(status_code=status, content=content, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        fields = ", ".join(".".join(str(p) for p in d["loc"][1:]) or d["loc"][0] for d in detail)
        return _json(422, body("validation_error", f"invalid: {fields}", detail=detail))

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        detail = [{"loc": ["body", *exc.field.split(".")], "msg": exc.message, "type": "invalid"}]
        return _json(422, body("validation_error", f"{exc.field}: {exc.message}", detail=detail))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _json(404, body("not_found", str(exc)))

    @app.exception_handler(VersionConflict)
    async def _conflict(_: Request, exc: VersionConflict) -> JSONResponse:
        return _json(409, body("version_conflict", str(exc), current_version=exc.current))

    @app.exception_handler(AlreadyExists)
    async def _exists(_: Request, exc: AlreadyExists) -> JSONResponse:
        return _json(409, body("already_exists", str(exc)))

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return _json(403, body("forbidden", str(exc)))

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        return _json(401, body("unauthorized", exc.message), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(PreconditionRequired)
    async def _precondition(_: Request, exc: PreconditionRequired) -> JSONResponse:
        detail = [{"loc": ["header", exc.header], "msg": str(exc), "type": "missing"}]
        return _json(428, body("precondition_required", str(exc), detail=detail))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        return _json(exc.status_code, body(names.get(exc.status_code, "error"), str(exc.detail)))
