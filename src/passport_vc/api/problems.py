"""Every error leaves as RFC 9457 problem+json, naming the field and the reason, with
`Vary: Accept` (pages share the API's URLs). A database outage met by a browser's request is
the HTML error page instead, with the same 503 and Retry-After."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from passport_vc.api.limits import BodyTooLargeError
from passport_vc.api.schemas import Problem
from passport_vc.errors import PARSING_ERROR, PassportVcError
from passport_vc.services.errors import ServiceError
from passport_vc.store import StoreUnavailableError
from passport_vc.web.rendering import error_page, for_browser

PROBLEM_JSON = "application/problem+json"
BASE = "https://passport-vc.org/problems#"
RETRY_AFTER = "2"  # seconds, when the database is unavailable
log = logging.getLogger("passport_vc.api")

# The OpenAPI side: what each error status means, answered as problem+json (the Problem
# schema, declared in the components by `install`). Routes list theirs with
# `responses=problem_responses(...)`; declaring 422 also replaces FastAPI's default
# HTTPValidationError, which is not what the handlers below send.
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
_MEANING = {
    400: "Malformed JSON, or JSON that is not strict (duplicate keys, NaN, ...)",
    401: "No valid API key or admin token (`Authorization: Bearer ...`)",
    403: "The key is valid but may not act on this object",
    404: "No such object",
    409: "In conflict with the current state",
    413: "The body is over the size limit",
    422: "A field is wrong: `field` names it, `errors` lists every one",
    429: "Rate limited: retry after `Retry-After` seconds",
    503: "The database is unavailable: retry after `Retry-After` seconds",
}
# Statuses that kinds of route share.
AUTHENTICATED = (401, 429)  # a wrong key; 429 once the address spent its failed sign-ins
JSON_BODY = (400, 413, 422)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for a route decorator: each status answered with a Problem."""
    return {
        status: {
            "description": _MEANING[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for status in sorted(set(statuses))
    }


def _problem_components() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = schema.pop("$defs", {})
    components["Problem"] = schema
    for member in schema["properties"].values():
        member.pop("default", None)  # left out when unset, never null
    return components


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
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=vary_on_accept(headers)
    )


def vary_on_accept(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """`headers` with Accept among the Vary values. Many URLs answer a browser with HTML and
    any other client with JSON, errors included; the header keeps a cache from serving one
    the other's answer (a 404 is cacheable by default)."""
    found = dict(headers or {})
    name = next((key for key in found if key.lower() == "vary"), None)
    values = [v.strip() for v in found.pop(name, "").split(",") if v.strip()] if name else []
    if not {v.lower() for v in values} & {"accept", "*"}:
        values.append("Accept")
    found["Vary"] = ", ".join(values)
    return found


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


def _declare_problem_schema(app: FastAPI) -> None:
    """Add the Problem schema to the components of the app's OpenAPI document (FastAPI adds
    only the models it meets as request or response bodies)."""
    generate = app.openapi
    components = _problem_components()

    def openapi() -> dict[str, Any]:
        document = generate()  # built once, then cached by FastAPI
        document.setdefault("components", {}).setdefault("schemas", {}).update(components)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _declare_problem_schema(app)

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
    async def _unavailable(request: Request, exc: StoreUnavailableError) -> Response:
        log.warning("database unavailable on %s %s", request.method, request.url.path)
        if for_browser(request):  # a page, or a console form: the error as a page too
            page = error_page(
                request,
                503,
                "Service unavailable",
                "The database is unavailable for a moment. Try again in a few seconds.",
            )
            page.headers["Retry-After"] = RETRY_AFTER
            return page
        return problem_response(
            503,
            "Service unavailable",
            "the database is unavailable; retry shortly",
            problem_type=BASE + "UNAVAILABLE",
            headers={"Retry-After": RETRY_AFTER},
        )

    @app.exception_handler(PassportVcError)
    async def _engine(request: Request, exc: PassportVcError) -> JSONResponse:
        malformed = exc.problem_type == PARSING_ERROR
        return problem_response(
            400 if malformed else 422,
            exc.title,
            exc.detail,
            problem_type=exc.problem_type,
            field="(body)" if malformed else None,  # as for malformed JSON FastAPI reads
            instance=request.url.path,
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
