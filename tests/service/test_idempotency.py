"""Idempotency keys on issuance: a retry with the same Idempotency-Key and body returns the
credential issued the first time (Idempotent-Replayed: true) and stores nothing more, even when
the retries race; a key reused for another request is a 422 naming the header; a batch sent
again under its key returns the rows already issued and issues only the rest."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select
from tests.service.conftest import HOLDER, Hub

from passport_vc.services.context import ServiceContext
from passport_vc.store import AuditEvent, CredentialRecord, IdempotencyRecord

BADGE = {"holder": HOLDER, "skill": "LASER-CUT", "level": 3}
OTHER_HOLDER = "did:web:makers.example:kofi"


def post_badge(client: TestClient, hub: Hub, key: str | None, body: Any = BADGE) -> Any:
    headers = dict(hub.auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"/makerspaces/{hub.slug}/badges", json=body, headers=headers)


def count(ctx: ServiceContext, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def issue_events(ctx: ServiceContext) -> int:
    with ctx.db.session() as session:
        query = select(func.count()).where(AuditEvent.action == "credential.issue")
        return int(session.execute(query).scalar_one())


def test_a_retry_with_the_same_key_returns_the_first_badge(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    first = post_badge(client, hub, "retry-7f3c")
    again = post_badge(client, hub, "retry-7f3c", body=dict(reversed(list(BADGE.items()))))
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert count(ctx, CredentialRecord) == 1 and issue_events(ctx) == 1
    # Without a key, or with another one, each request is a new badge.
    assert post_badge(client, hub, None).json() != first.json()
    assert post_badge(client, hub, "another").json() != first.json()
    assert count(ctx, CredentialRecord) == 3 and count(ctx, IdempotencyRecord) == 2


def test_a_key_reused_for_another_request_is_refused(
    client: TestClient, ctx: ServiceContext, hub: Hub, other_hub: Hub
) -> None:
    assert post_badge(client, hub, "k-1").status_code == 201
    response = post_badge(client, hub, "k-1", body={**BADGE, "level": 2})
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "Idempotency-Key" and "different request" in problem["detail"]
    # Keys belong to their makerspace: another one may use the same key.
    theirs = post_badge(client, other_hub, "k-1")
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert count(ctx, CredentialRecord) == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "clé-é", "tab\there"])
def test_a_malformed_key_is_a_422_naming_the_header(
    client: TestClient, ctx: ServiceContext, hub: Hub, key: str
) -> None:
    headers: dict[str, str | bytes] = {**hub.auth, "Content-Type": "application/json"}
    headers["Idempotency-Key"] = key.encode()  # UTF-8 bytes on the wire, as a client may send
    response = client.post(
        f"/makerspaces/{hub.slug}/badges", content=json.dumps(BADGE).encode(), headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "Idempotency-Key"
    assert count(ctx, CredentialRecord) == 0


def test_racing_retries_store_one_badge(client: TestClient, ctx: ServiceContext, hub: Hub) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: post_badge(client, hub, "race-1"), range(8)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 7
    assert count(ctx, CredentialRecord) == 1 and issue_events(ctx) == 1


def test_the_vc_api_honours_keys_even_with_a_supplied_id(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    body = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:6f1d1c8e-3d0a-4d5e-9b1a-0c7b5e0e9a11",
            "type": ["VerifiableCredential"],
            "issuer": hub.did,
            "credentialSubject": {"id": HOLDER},
        },
        "options": {},
    }
    headers = {**hub.auth, "Idempotency-Key": "vc-api-1"}
    first = client.post("/credentials/issue", json=body, headers=headers)
    again = client.post("/credentials/issue", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    # The same id without the key is the duplicate it is.
    assert client.post("/credentials/issue", json=body, headers=hub.auth).status_code == 409
    assert count(ctx, CredentialRecord) == 1


def rows(n: int) -> list[dict[str, Any]]:
    return [
        {"holder": f"did:web:makers.example:m{i}", "skill": "SOLDER-THT", "level": 1 + i % 4}
        for i in range(n)
    ]


def post_batch(client: TestClient, hub: Hub, body_rows: list[Any], key: str) -> dict[str, Any]:
    response = client.post(
        f"/makerspaces/{hub.slug}/badges/batch",
        json={"rows": body_rows},
        headers={**hub.auth, "Idempotency-Key": key},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_batch_cut_off_half_way_is_resumed_without_duplicates(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    batch = rows(7)
    # The first attempt got as far as four rows (the service stores a batch in chunks).
    partial = post_batch(client, hub, batch[:4], "batch-2026-11")
    assert partial["issued"] == 4
    resumed = post_batch(client, hub, batch, "batch-2026-11")
    assert resumed["issued"] == 7 and resumed["failed"] == 0
    assert [r.get("replayed", False) for r in resumed["results"]] == [True] * 4 + [False] * 3
    assert [r["id"] for r in resumed["results"][:4]] == [r["id"] for r in partial["results"]]
    assert count(ctx, CredentialRecord) == 7
    # Sent a third time, it is all replay.
    third = post_batch(client, hub, batch, "batch-2026-11")
    assert all(r["replayed"] for r in third["results"]) and count(ctx, CredentialRecord) == 7
    # A row changed since is refused by name; the others still come back.
    changed = [*batch[:6], {**batch[6], "level": 4 if batch[6]["level"] != 4 else 1}]
    mixed = post_batch(client, hub, changed, "batch-2026-11")
    assert mixed["results"][6]["status"] == "failed"
    assert mixed["results"][6]["field"] == "Idempotency-Key"
    assert mixed["issued"] == 6 and count(ctx, CredentialRecord) == 7
