"""The OpenAPI document declares every error as what the service sends: RFC 9457
problem+json (the Problem schema), never FastAPI's default HTTPValidationError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.schema.conftest import fuzz_settings, openapi_document

from passport_vc.api import create_app
from passport_vc.api.problems import PROBLEM_JSON, PROBLEM_SCHEMA_REF


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_error_response_is_a_problem() -> None:
    document = openapi_document()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail"}
    operations = _operations(document)
    assert len(operations) > 40
    for method, path, operation in operations:
        errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
        assert errors, f"{method} {path} declares no error"
        for status, response in errors.items():
            content = response["content"]
            assert content[PROBLEM_JSON] == {"schema": {"$ref": PROBLEM_SCHEMA_REF}}, (
                f"{method} {path} {status}"
            )
            others = set(content) - {PROBLEM_JSON}
            # A verifier's 400 is also the verification result (`verified: false`).
            allowed = (
                {"application/json"} if status == "400" and path.endswith("/verify") else set()
            )
            assert others == allowed, f"{method} {path} {status}: {others}"


def test_bodies_and_parameters_declare_their_422() -> None:
    for method, path, operation in _operations(openapi_document()):
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], f"{method} {path}"
        if operation.get("requestBody"):
            assert {"400", "413"} <= set(operation["responses"]), f"{method} {path}"


def test_the_served_document_is_the_one_checked(tmp_path: Path) -> None:
    """/openapi.json (no lifespan: no database is opened for it) has the Problem schema."""
    app = create_app(fuzz_settings(tmp_path, f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    served = TestClient(app).get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == openapi_document()
