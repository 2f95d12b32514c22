"""The OpenAPI document declares the Bearer scheme on exactly the operations that answer 401
without it (so /docs has an Authorize button), optional where a presentation can stand in."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.service.conftest import ADMIN, Hub

METHODS = ("get", "put", "post", "delete", "patch")


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, ops in document["paths"].items()
        for method, operation in ops.items()
        if method in METHODS
    }


def test_secured_operations_are_the_ones_that_answer_401(client: TestClient, hub: Hub) -> None:
    document = client.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    ops = operations(document)
    secured = {key for key, op in ops.items() if "security" in op}
    assert ("POST", "/makerspaces/{slug}/badges") in secured
    assert ("GET", "/admin/audit") in secured
    assert ("POST", "/credentials/verify") not in secured
    assert ("GET", "/status-lists/{list_id}") not in secured
    optional = {key for key in secured if {} in ops[key]["security"]}
    assert optional == {
        ("POST", "/passports/{did}/share-links"),
        ("GET", "/passports/{did}/share-links"),
        ("DELETE", "/passports/{did}/share-links/{link_id}"),
        ("POST", "/equipment/{equipment_id}/authorisations/check"),
    }
    # What the document says holds: a required-token operation without one is a 401.
    for method, path in sorted(secured - optional):
        url = path.replace("{slug}", hub.slug).replace("{facility_id}", "x")
        url = url.replace("{did}", "did%3Aexample%3Aa").replace("{contract_id}", "x")
        response = client.request(method, url, json={})
        assert response.status_code == 401, (method, path, response.status_code)
    assert client.get("/admin/audit", headers=ADMIN).status_code == 200
