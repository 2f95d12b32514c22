"""The OpenAPI document says which operations take a Bearer token, so /docs offers an
Authorize button and clients generated from the schema send the header.

The routes read `Authorization` themselves (api/deps.py): a declared security dependency would
answer FastAPI's own 403 instead of our 401 problem. So the scheme is added to the document
after it is generated: every operation that declares a 401 answer takes the token (a few
optionally, see OPTIONAL)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

SCHEME = "bearerAuth"
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A makerspace's API key (`pvc_…`), shown once when it is registered or "
    "rotated; for `/admin/…` and `POST /makerspaces`, the service's admin token.",
}
METHODS = ("get", "put", "post", "delete", "patch")
# Operations where the token is one way among others: a holder proves control of their DID
# with a signed presentation instead (share links), or the key only adds an effect (a passing
# authorisation check adding the holder to the machine's operators).
OPTIONAL = ("/passports/{did}/share-links", "/equipment/{equipment_id}/authorisations/check")


def declare_bearer_auth(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # FastAPI caches the document: this runs once per app
        document.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = BEARER
        for path, operations in document.get("paths", {}).items():
            optional = path.startswith(OPTIONAL)
            for method in METHODS:
                operation = operations.get(method)
                if operation is not None and "401" in operation.get("responses", {}):
                    # `{}` in the list: the operation may also be called without the token.
                    security: list[dict[str, list[str]]] = [{SCHEME: []}]
                    if optional:
                        security.append({})
                    operation.setdefault("security", security)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
