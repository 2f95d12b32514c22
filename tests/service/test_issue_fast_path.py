"""The single-badge path's shortcuts keep what clients and the database see unchanged.

- The group-commit writer sends the inserts and the COMMIT of a group in one pipeline on
  PostgreSQL: members whose status indices are taken are refused alone, a duplicate the probe
  cannot see fails the group as SQLAlchemy's IntegrityError (so the writer retries one member
  at a time), and the connection is fine afterwards. On SQLite the plain path runs.
- The answer to POST /makerspaces/{slug}/badges is built around the JSON text stored for the
  badge: the same bytes and headers JSONResponse would send, and the stored document.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from tests.service.conftest import HOLDER, Hub, issue_badge

from passport_vc.errors import MalformedValueError
from passport_vc.services import issuance, makerspaces, status_lists
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.status import build_status_entry
from passport_vc.store import AuditEvent, CredentialRecord, Makerspace, StatusEntry
from passport_vc.store.group_commit import ClaimTakenError, Submission, is_retryable

ACTOR = Actor(name="makerspace:test", api_key_hint="pvc_test")


def _makerspace(ctx: ServiceContext, hub: Hub) -> Makerspace:
    with ctx.db.session() as session:
        return makerspaces.by_slug(session, hub.slug)


def _submission(
    ctx: ServiceContext, makerspace: Makerspace, indices: dict[str, tuple[int, int]]
) -> tuple[Submission, str]:
    """The rows of one signed-looking credential claiming `indices` (purpose: (list, idx))."""
    credential_uuid = str(uuid.uuid4())
    draft = issuance.Draft(
        uuid=credential_uuid,
        document={},
        purposes=tuple(indices),
        holder=HOLDER,
        indices=dict(indices),
    )
    document = {"id": f"https://hub.example/credentials/{credential_uuid}"}
    signed = [(draft, document)]
    rows = issuance._rows(ACTOR, makerspace, signed, "did:web:hub.example#key-1")
    return Submission(rows, issuance._claims(signed)), credential_uuid


def _lists(ctx: ServiceContext, makerspace: Makerspace) -> dict[str, int]:
    assert makerspace.id is not None
    _, _, lists = issuance._issuing_state(ctx, makerspace.id)
    return {purpose: record.id or 0 for purpose, record in lists.items()}


def _free(ctx: ServiceContext, list_id: int, count: int) -> list[int]:
    """`count` indices of the list nobody holds yet."""
    with ctx.db.session() as session:
        used = status_lists.used_indices(session, list_id)
    return [i for i in range(count + len(used)) if i not in used][:count]


def _stored(ctx: ServiceContext, credential_uuid: str) -> tuple[int, int, int]:
    """(credential rows, status entry rows, audit rows) stored for one credential."""
    with ctx.db.session() as session:
        credentials = session.execute(
            select(func.count()).where(col(CredentialRecord.id) == credential_uuid)
        ).scalar_one()
        entries = session.execute(
            select(func.count()).where(col(StatusEntry.credential_id) == credential_uuid)
        ).scalar_one()
        events = session.execute(
            select(func.count()).where(col(AuditEvent.target).contains(credential_uuid))
        ).scalar_one()
    return credentials, entries, events


def test_a_group_is_stored_whole_and_a_taken_index_refuses_its_member_alone(
    ctx: ServiceContext, client: TestClient, hub: Hub
) -> None:
    issue_badge(client, hub)  # the status lists exist
    makerspace = _makerspace(ctx, hub)
    lists = _lists(ctx, makerspace)
    revocation, suspension = lists["revocation"], lists["suspension"]
    a, b, c = _free(ctx, revocation, 3)
    first, first_uuid = _submission(
        ctx,
        makerspace,
        {"revocation": (revocation, a), "suspension": (suspension, _free(ctx, suspension, 1)[0])},
    )
    ctx.writer._commit([first])
    first.future.result(timeout=10)
    assert _stored(ctx, first_uuid) == (1, 2, 1)

    # A group of three: the second claims an index the first one holds now.
    members = [
        _submission(ctx, makerspace, {"revocation": (revocation, b)}),
        _submission(ctx, makerspace, {"revocation": (revocation, a)}),
        _submission(ctx, makerspace, {"revocation": (revocation, c)}),
    ]
    ctx.writer._commit([submission for submission, _ in members])
    members[0][0].future.result(timeout=10)
    members[2][0].future.result(timeout=10)
    with pytest.raises(ClaimTakenError):
        members[1][0].future.result(timeout=10)
    assert _stored(ctx, members[0][1]) == (1, 1, 1)
    assert _stored(ctx, members[1][1]) == (0, 0, 0)
    assert _stored(ctx, members[2][1]) == (1, 1, 1)


def test_a_duplicate_the_probe_cannot_see_fails_the_group_as_sqlalchemy_says_it(
    ctx: ServiceContext, client: TestClient, hub: Hub
) -> None:
    """Two members with the same credential id: the probe checks status indices only, so
    the database refuses the group at its sync; the writer gets SQLAlchemy's IntegrityError
    (retryable), nothing of the group is stored, and the next group is stored fine."""
    issue_badge(client, hub)
    makerspace = _makerspace(ctx, hub)
    revocation = _lists(ctx, makerspace)["revocation"]
    a, b, c = _free(ctx, revocation, 3)
    one, one_uuid = _submission(ctx, makerspace, {"revocation": (revocation, a)})
    two, _ = _submission(ctx, makerspace, {"revocation": (revocation, b)})
    inserts = cast(dict[Any, list[dict[str, Any]]], two.inserts)
    for row in inserts[issuance.CREDENTIAL_TABLE]:
        row["id"] = one_uuid  # the primary key of the first member's credential
    for row in inserts[issuance.STATUS_ENTRY_TABLE]:
        row["credential_id"] = one_uuid
    with pytest.raises(IntegrityError) as raised:
        ctx.writer._write([one, two])
    assert is_retryable(raised.value)
    assert _stored(ctx, one_uuid) == (0, 0, 0)
    # The connection went back to the pool in a usable state.
    three, three_uuid = _submission(ctx, makerspace, {"revocation": (revocation, c)})
    assert ctx.writer._write([three]) == [three]
    assert _stored(ctx, three_uuid) == (1, 1, 1)


def test_single_badges_answer_the_bytes_jsonresponse_would_send(
    ctx: ServiceContext, client: TestClient, hub: Hub
) -> None:
    for fields in (
        {},
        {"holderName": 'Zoë "Z" O\'Neil \\ 漢字 🛠', "evidence": "Built a {box}."},
        {"scope": "machine-authorisation", "validUntil": "2030-01-02T03:04:05Z"},
    ):
        body: dict[str, Any] = {"holder": HOLDER, "skill": "FDM-PRINT", "level": 2, **fields}
        response = client.post(f"/makerspaces/{hub.slug}/badges", json=body, headers=hub.auth)
        assert response.status_code == 201, response.text
        answer = response.json()
        rendered = json.dumps(
            answer, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8")
        assert response.content == rendered
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-length"] == str(len(rendered))
        credential = answer["verifiableCredential"]
        uuid_part = credential["id"].rsplit("/", 1)[1]
        with ctx.db.session() as session:
            stored = session.execute(
                select(col(CredentialRecord.document)).where(col(CredentialRecord.id) == uuid_part)
            ).scalar_one()
        assert json.loads(stored) == credential
        assert response.content == b'{"verifiableCredential":' + stored.encode("utf-8") + b"}"


def test_a_replay_answers_the_stored_credential(client: TestClient, hub: Hub) -> None:
    body = {"holder": HOLDER, "skill": "LASER-CUT", "level": 1}
    headers = {**hub.auth, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = client.post(f"/makerspaces/{hub.slug}/badges", json=body, headers=headers)
    again = client.post(f"/makerspaces/{hub.slug}/badges", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.content == first.content


def test_the_route_declares_the_idempotency_key_as_the_dependency_would(
    client: TestClient,
) -> None:
    """POST /makerspaces/{slug}/badges reads the header itself; its OpenAPI parameter is the
    one FastAPI writes for IdempotencyKeyDep on the routes that keep the dependency."""
    paths = client.get("/openapi.json").json()["paths"]
    single = paths["/makerspaces/{slug}/badges"]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in single] == [
        ("slug", "path"),
        ("Idempotency-Key", "header"),
    ]
    for path in ("/makerspaces/{slug}/badges/batch", "/credentials/issue"):
        declared = [p for p in paths[path]["post"]["parameters"] if p["name"] == "Idempotency-Key"]
        assert declared == [single[1]]


GOOD = {"holder": HOLDER, "skill": "LASER-CUT", "level": 1}


@pytest.mark.parametrize(
    ("case", "body", "status", "field"),
    [
        ("no-auth", GOOD, 401, None),
        # The caller is checked before the key, the key before the slug: the order in which
        # the dependencies were solved, and then the handler ran.
        ("no-auth-bad-key", GOOD, 401, None),
        ("bad-key", GOOD, 422, "Idempotency-Key"),
        ("bad-key-other-slug", GOOD, 422, "Idempotency-Key"),
        ("other-slug", GOOD, 403, None),
        # The router's NUL check comes before all of them.
        ("bad-key-nul", {**GOOD, "holder": "did:example:\u0000"}, 422, "holder"),
    ],
)
def test_errors_come_in_the_order_the_dependencies_gave_them(
    client: TestClient, hub: Hub, case: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    headers = {} if case.startswith("no-auth") else dict(hub.auth)
    if "bad-key" in case:
        headers["Idempotency-Key"] = "k" * 300
    slug = "another-hub" if case.endswith("other-slug") else hub.slug
    response = client.post(f"/makerspaces/{slug}/badges", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert response.json()["field"] == field


def test_single_flight_runs_one_call_for_concurrent_askers() -> None:
    calls: list[str] = []
    gate = threading.Event()

    def slow(name: str) -> str:
        gate.wait(5)
        calls.append(name)
        if name == "bad":
            raise ValueError("refused")
        return name.upper()

    async def main() -> None:
        waiters = [asyncio.ensure_future(issuance.single_flight("k", slow, "a")) for _ in range(5)]
        other = asyncio.ensure_future(issuance.single_flight("other", slow, "b"))
        failing = [
            asyncio.ensure_future(issuance.single_flight("x", slow, "bad")) for _ in range(3)
        ]
        await asyncio.sleep(0.05)
        gate.set()
        assert await asyncio.gather(*waiters) == ["A"] * 5
        assert await other == "B"
        for waiter in failing:
            with pytest.raises(ValueError, match="refused"):
                await waiter
        # Once done, the next ask runs the call again.
        assert await issuance.single_flight("k", slow, "a") == "A"

    asyncio.run(main())
    assert sorted(calls) == ["a", "a", "b", "bad"]


@pytest.mark.parametrize(
    "list_url",
    ["https://hub.example/status-lists/1", "http://127.0.0.1:8000/base/status-lists/42"],
)
def test_status_entries_are_what_build_status_entry_writes(list_url: str) -> None:
    for purpose in ("revocation", "suspension"):
        for index in (0, 1, 9, 4096, 131_071, 10**9):
            expected = build_status_entry(list_url=list_url, index=index, purpose=purpose)
            written = issuance._status_entry(list_url, index, purpose)
            assert json.dumps(written) == json.dumps(expected)  # key order included
        for index in (-1, True):  # refused as build_status_entry refuses them
            with pytest.raises(MalformedValueError):
                issuance._status_entry(list_url, index, purpose)
    with pytest.raises(MalformedValueError):  # a list URL build_status_entry refuses
        issuance._status_entry(f"{list_url}#fragment", 3, "revocation")
