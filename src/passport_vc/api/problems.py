"""Every error leaves as RFC 9457 problem+json, naming the field and the reason."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from passport_vc.api.limits import BodyTooLargeError
from passport_vc.errors import PARSING_ERROR, PassportVcError
from passport_vc.services.errors import ServiceError
from passport_vc.store import StoreUnavailableError

PROBLEM_JSON = "application/problem+json"
BASE = "https://passport-vc.org/problems#"
log = logging.getLogger("passport_vc.api")


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    problem_type: str = "about:blank",
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    if instance is not None:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc_to_field(loc: tuple[Any, ...] | list[Any], body: Any = None) -> str:
    """The JSON path of a pydantic error location, without pydantic's union-member names
    (`credentialStatus.CredentialStatusRef.statusPurpose` is `credentialStatus.statusPurpose`):
    a part is kept only if it is a key or index of the body at that point."""
    parts = list(loc)
    node = None
    if parts and parts[0] in ("body", "query", "path", "header"):
        node = body if parts.pop(0) == "body" else None
    out = ""
    for part in parts:
        if isinstance(part, int):
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
            elif node is not None:
                continue
            out += f"[{part}]"
            continue
        name = str(part)
        if isinstance(node, dict):
            if name not in node and out:
                continue
            node = node.get(name)
        elif node is not None:
            continue
        out += f".{name}" if out else name
    return out or "(body)"


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            problem_type=exc.problem_type,
            field=exc.field,
            headers=headers,
            instance=request.url.path,
        )

    @app.exception_handler(StoreUnavailableError)
    async def _unavailable(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        log.warning("database unavailable on %s %s", request.method, request.url.path)
        return problem_response(
            503,
            "Service unavailable",
            "the database is unavailable; retry shortly",
            problem_type=BASE + "UNAVAILABLE",
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(PassportVcError)
    async def _engine(request: Request, exc: PassportVcError) -> JSONResponse:
        status = 400 if exc.problem_type == PARSING_ERROR else 422
        return problem_response(
            status, exc.title, exc.detail, problem_type=exc.problem_type, instance=request.url.path
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = []
        malformed = False
        for error in exc.errors():
            if error.get("type") == "json_invalid":
                malformed = True
            found.append(
                {
                    "field": _loc_to_field(error.get("loc", ()), exc.body),
                    "reason": error.get("msg", "invalid"),
                }
            )
        if malformed:
            return problem_response(
                400,
                "Malformed JSON",
                "the request body is not valid JSON: " + found[0]["reason"],
                problem_type=PARSING_ERROR,
                field="(body)",
            )
        first = found[0] if found else {"field": "(body)", "reason": "invalid"}
        return problem_response(
            422,
            "Invalid field",
            f"{first['field']}: {first['reason']}",
            problem_type=BASE + "INVALID_FIELD",
            field=first["field"],
            errors=found,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code,
            _TITLES.get(exc.status_code, "Error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(request: Request, exc: BodyTooLargeError) -> JSONResponse:
        return problem_response(
            413,
            "Payload too large",
            str(exc.detail),
            problem_type=BASE + "PAYLOAD_TOO_LARGE",
            field="(body)",
            headers={"Connection": "close"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The exception text may quote input; log its type and where, not its message.
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem_response(
            500, "Internal error", "an unexpected error occurred; it was logged"
        )


_TITLES = {
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
}
