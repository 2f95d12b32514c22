"""The inputs with which Schemathesis found a 500, or a 4xx that named no field, each kept as
a plain test: every one is now a problem+json naming what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from tests.schema.conftest import MAKER, SLUG, FuzzTarget
from tests.service.conftest import ADMIN

from passport_vc.api.problems import PROBLEM_JSON

TOO_BIG_FOR_SQLITE = 2**63  # an OverflowError in sqlite3, bigint out of range on PostgreSQL
TOO_BIG_FOR_AN_ID = 2**31  # integer out of range on PostgreSQL


@pytest.fixture(scope="module")
def client(fuzz_target: FuzzTarget) -> Iterator[TestClient]:
    with TestClient(fuzz_target.app, raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer {fuzz_target.api_key}"
        yield test_client


def _problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["field"] == field, body
    return body


@pytest.mark.parametrize(
    "path",
    [
        f"/makerspaces/{SLUG}/audit",
        f"/makerspaces/{SLUG}/credentials",
        "/contracts",
        "/facilities",
        "/admin/audit",
    ],
)
def test_an_offset_past_64_bits_is_a_422(client: TestClient, path: str) -> None:
    headers = ADMIN if path.startswith("/admin/") else {}
    response = client.get(path, params={"offset": TOO_BIG_FOR_SQLITE}, headers=headers)
    _problem(response, 422, "offset")
    largest = client.get(path, params={"offset": TOO_BIG_FOR_SQLITE - 1}, headers=headers)
    assert largest.status_code == 200, largest.text
    assert largest.json()["total"] >= 0


def test_ids_past_32_bits_are_a_422(client: TestClient) -> None:
    response = client.get("/admin/audit", params={"makerspaceId": TOO_BIG_FOR_AN_ID}, headers=ADMIN)
    _problem(response, 422, "makerspaceId")
    _problem(client.get(f"/status-lists/{TOO_BIG_FOR_SQLITE}"), 422, "list_id")
    _problem(client.get(f"/status-lists/{TOO_BIG_FOR_AN_ID}"), 422, "list_id")
    assert client.get(f"/status-lists/{TOO_BIG_FOR_AN_ID - 1}").status_code == 404


@pytest.mark.parametrize(
    "suffix", ["", "/presentation.json", "/qr.png", "/qr.svg"], ids=["json", "vp", "png", "svg"]
)
def test_a_non_ascii_did_with_a_live_token_is_a_404(
    client: TestClient, fuzz_target: FuzzTarget, suffix: str
) -> None:
    """secrets.compare_digest raised TypeError on a str with non-ASCII characters."""
    token = fuzz_target.known["token"][0]
    assert client.get(f"/passports/{quote(MAKER.did_key)}{suffix}?token={token}").is_success
    response = client.get(f"/passports/{quote(chr(0x80))}{suffix}?token={token}")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM_JSON


def test_a_batch_form_with_too_many_fields_names_the_body(client: TestClient) -> None:
    files = {f"field{n}": (None, "x") for n in range(6)}
    response = client.post(f"/makerspaces/{SLUG}/badges/batch", files=files)
    body = _problem(response, 400, "(body)")
    assert "Too many fields" in body["detail"]


def test_a_badge_body_that_is_not_json_names_the_body(client: TestClient) -> None:
    response = client.post(
        f"/makerspaces/{SLUG}/badges",
        content=b"\x00",
        headers={"Content-Type": "application/json"},
    )
    _problem(response, 400, "(body)")


def test_an_unknown_skill_category_is_a_422_naming_it(client: TestClient) -> None:
    body = _problem(client.get("/skills", params={"category": "null"}), 422, "category")
    assert "laser-cutting" in body["detail"]  # the known codes are listed
    assert client.get("/skills", params={"category": "laser-cutting"}).json()["skills"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/makerspaces", {"name": "Lab\u0000"}, "name"),
        ("GET", "/admin/audit?action=%00", None, "action"),
        ("GET", f"/makerspaces/{SLUG}/audit?action=a%00b", None, "action"),
        ("GET", "/facilities?country=B%00", None, "country"),
        ("GET", "/credentials/%00/qr.png", None, "credential_id"),
        ("GET", "/equipment/x%00y", None, "equipment_id"),
        ("GET", f"/makerspaces/{SLUG}/credentials?holder=%00", None, "holder"),
        (
            "POST",
            "/credentials/verify",
            {"verifiableCredential": {"issuer": "did:web:a\u0000", "type": ["x"]}},
            "verifiableCredential.issuer",
        ),
        ("POST", "/contracts", {"parties": [{"did\u0000": 1}]}, "parties[0].did\\u0000"),
    ],
)
def test_nul_anywhere_is_a_422_naming_where(
    client: TestClient, method: str, path: str, body: Any, field: str
) -> None:
    """PostgreSQL text cannot hold NUL: these were a DataError (500) there."""
    headers = (
        ADMIN if path.startswith(("/admin/", "/makerspaces?")) or path == "/makerspaces" else {}
    )
    response = client.request(method, path, json=body, headers=headers)
    body = _problem(response, 422, field)
    assert "NUL" in body["detail"]


@pytest.mark.parametrize("path", ["/credentials/%00", "/contracts/%00", "/facilities/x%00y"])
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_nul_in_an_id_a_page_serves_too_is_a_404(
    client: TestClient, path: str, accept: str
) -> None:
    """The pages answer these paths first (and JSON clients through the API's functions): an
    id with NUL names nothing, where PostgreSQL raised a DataError (500)."""
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 404, response.text
