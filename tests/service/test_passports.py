"""The maker's passport over HTTP: share links made by the maker (a signed presentation over a
fresh challenge) or by a makerspace that issued to them; what a link opens, and what it never
opens (another passport; a revoked, expired or missing token)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col
from tests.service.conftest import Hub, issue_badge

from passport_vc.credentials.signing import sign_presentation
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions
from passport_vc.services.context import ServiceContext
from passport_vc.store import ShareLink
from passport_vc.timestamps import utc_now

V2 = "https://www.w3.org/ns/credentials/v2"
API = {"Accept": "application/json"}


def challenge(client: TestClient) -> str:
    response = client.post("/challenges")
    assert response.status_code == 201, response.text
    value: str = response.json()["challenge"]
    return value


def login(client: TestClient, key: SigningKey) -> dict[str, Any]:
    """The maker's presentation (no credentials) signed over a fresh challenge."""
    presentation = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": key.did_key,
    }
    return sign_presentation(presentation, key, ProofOptions(challenge=challenge(client)))


def links_path(did: str) -> str:
    return f"/passports/{quote(did, safe='')}/share-links"


def share(client: TestClient, key: SigningKey, expires_at: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"verifiablePresentation": login(client, key)}
    if expires_at is not None:
        body["expiresAt"] = expires_at
    response = client.post(links_path(key.did_key), json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def local(url: str) -> str:
    """The path and query of a link, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def maker() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def badges(client: TestClient, hub: Hub, other_hub: Hub, maker: SigningKey) -> list[dict[str, Any]]:
    """Two badges from one makerspace, one from another; and one for somebody else."""
    issued = [
        issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=3),
        issue_badge(client, hub, holder=maker.did_key, skill="LASER-SAFETY", level=1),
        issue_badge(client, other_hub, holder=maker.did_key, skill="LASER-CUT", level=2),
    ]
    issue_badge(client, other_hub)  # to conftest.HOLDER
    return issued


def test_the_maker_shares_a_passport_of_all_and_only_their_badges(
    client: TestClient, maker: SigningKey, badges: list[dict[str, Any]]
) -> None:
    link = share(client, maker)
    url = link["url"]
    assert url.startswith("https://hub.example/passports/did%3Akey%3A")
    assert link["expiresAt"] is None and link["id"]
    token = url.split("token=", 1)[1]
    assert len(token) >= 43

    response = client.get(local(url), headers=API)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["holder"] == maker.did_key
    assert [c["id"] for c in body["credentials"]] == [b["id"] for b in badges]
    assert body["credentials"] == badges  # signed, as issued
    assert [r["state"] for r in body["results"]] == ["valid"] * 3
    assert {r["issuer"]["name"] for r in body["results"]} == {
        "Fablab Cotonou",
        "Makerspace Berlin",
    }


def test_the_passport_follows_revocation(
    client: TestClient, hub: Hub, maker: SigningKey, badges: list[dict[str, Any]]
) -> None:
    url = local(share(client, maker)["url"])
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": badges[0]["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text
    states = [r["state"] for r in client.get(url, headers=API).json()["results"]]
    assert states == ["revoked", "valid", "valid"]


def test_a_token_opens_only_its_own_passport(
    client: TestClient, ctx: ServiceContext, maker: SigningKey, badges: list[dict[str, Any]]
) -> None:
    from tests.service.conftest import HOLDER

    token = share(client, maker)["url"].split("token=", 1)[1]
    for path in (
        f"/passports/{quote(HOLDER, safe='')}?token={token}",
        f"/passports/{quote(HOLDER, safe='')}/presentation.json?token={token}",
        f"/passports/{quote(maker.did_key, safe='')}",
        f"/passports/{quote(maker.did_key, safe='')}?token=",
        f"/passports/{quote(maker.did_key, safe='')}?token={token}x",
        f"/passports/{quote(maker.did_key, safe='')}/presentation.json",
        f"/passports/not-a-did?token={token}",
    ):
        response = client.get(path, headers=API)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
    # No passport at all answers exactly the same.
    unknown = SigningKey.generate().did_key
    a = client.get(f"/passports/{quote(unknown, safe='')}?token={token}", headers=API).json()
    b = client.get(f"/passports/{quote(HOLDER, safe='')}?token={token}", headers=API).json()
    assert a["detail"] == b["detail"]


def test_revoked_and_expired_links_open_nothing(
    client: TestClient, ctx: ServiceContext, maker: SigningKey, badges: list[dict[str, Any]]
) -> None:
    kept, revoked, expired = (share(client, maker) for _ in range(3))
    path = links_path(maker.did_key)
    response = client.delete(
        f"{path}/{revoked['id']}", headers={"Presentation": _header(login(client, maker))}
    )
    assert response.status_code == 204, response.text
    with ctx.db.session(write=True) as session:
        session.execute(
            update(ShareLink)
            .where(col(ShareLink.id) == expired["id"])
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    assert client.get(local(kept["url"]), headers=API).status_code == 200
    assert client.get(local(revoked["url"]), headers=API).status_code == 404
    assert client.get(local(expired["url"]), headers=API).status_code == 404

    listed = client.get(path, headers={"Presentation": _header(login(client, maker))})
    assert listed.status_code == 200, listed.text
    rows = {row["id"]: row for row in listed.json()["shareLinks"]}
    assert set(rows) == {kept["id"], revoked["id"], expired["id"]}
    assert rows[revoked["id"]]["revoked"] is True and rows[kept["id"]]["revoked"] is False
    assert "token" not in str(listed.json()).lower()


def _header(presentation: dict[str, Any]) -> str:
    import base64
    import json

    raw = json.dumps(presentation).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def test_a_link_with_a_future_expiry_works_until_then(
    client: TestClient, maker: SigningKey, badges: list[dict[str, Any]]
) -> None:
    link = share(client, maker, expires_at="2999-01-01T00:00:00Z")
    assert link["expiresAt"] == "2999-01-01T00:00:00Z"
    assert client.get(local(link["url"]), headers=API).status_code == 200


def test_a_makerspace_that_issued_to_the_maker_manages_links(
    client: TestClient, hub: Hub, other_hub: Hub, maker: SigningKey, badges: list[dict[str, Any]]
) -> None:
    path = links_path(maker.did_key)
    response = client.post(path, json={}, headers=hub.auth)
    assert response.status_code == 201, response.text
    link = response.json()
    assert client.get(local(link["url"]), headers=API).status_code == 200
    listed = client.get(path, headers=other_hub.auth).json()["shareLinks"]
    assert [(row["id"], row["createdBy"]) for row in listed] == [
        (link["id"], f"makerspace:{hub.slug}")
    ]
    assert client.delete(f"{path}/{link['id']}", headers=other_hub.auth).status_code == 204
    assert client.get(local(link["url"]), headers=API).status_code == 404


def test_a_makerspace_that_never_issued_to_the_maker_cannot(
    client: TestClient, hub: Hub, maker: SigningKey
) -> None:
    issue_badge(client, hub)  # to somebody else
    path = links_path(maker.did_key)
    response = client.post(path, json={}, headers=hub.auth)
    assert response.status_code == 403, response.text
    assert client.get(path, headers=hub.auth).status_code == 403
    assert (
        client.post(path, json={}, headers={"Authorization": "Bearer pvc_nope"}).status_code == 401
    )


def test_no_credentials_no_link(client: TestClient, maker: SigningKey) -> None:
    response = client.post(links_path(maker.did_key), json={})
    assert response.status_code == 401
    assert client.get(links_path(maker.did_key)).status_code == 401


def test_a_replayed_presentation_fails(client: TestClient, maker: SigningKey) -> None:
    vp = login(client, maker)
    path = links_path(maker.did_key)
    assert client.post(path, json={"verifiablePresentation": vp}).status_code == 201
    replay = client.post(path, json={"verifiablePresentation": vp})
    assert replay.status_code in (401, 403)
    assert "challenge" in replay.json()["detail"]


def test_a_presentation_without_challenge_or_by_someone_else_fails(
    client: TestClient, maker: SigningKey
) -> None:
    path = links_path(maker.did_key)
    unsigned = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": maker.did_key}
    bare = sign_presentation(unsigned, maker, ProofOptions())
    assert client.post(path, json={"verifiablePresentation": bare}).status_code == 401
    stranger = SigningKey.generate()
    theirs = login(client, stranger)
    assert client.post(path, json={"verifiablePresentation": theirs}).status_code == 403
    # Naming the maker as holder after signing with another key does not verify.
    forged = {**login(client, stranger), "holder": maker.did_key}
    assert client.post(path, json={"verifiablePresentation": forged}).status_code == 401


@pytest.mark.parametrize(
    ("did", "body", "field"),
    [
        ("not-a-did", {}, "did"),
        ("did:key:z6Mk#frag", {}, "did"),
        (None, {"expiresAt": "tomorrow"}, "expiresAt"),
        (None, {"expiresAt": "2030-01-01T00:00:00"}, "expiresAt"),
        (None, {"expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
        (None, {"expiresAt": 12}, "expiresAt"),
        (None, {"verifiablePresentation": "text"}, "verifiablePresentation"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    client: TestClient, maker: SigningKey, did: str | None, body: dict[str, Any], field: str
) -> None:
    response = client.post(links_path(did or maker.did_key), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem.get("field") == field or field in str(problem.get("errors")), problem


def test_the_presentation_download_is_an_unsigned_presentation_of_the_signed_badges(
    client: TestClient, ctx: ServiceContext, maker: SigningKey, badges: list[dict[str, Any]]
) -> None:
    url = share(client, maker)["url"]
    did, token = maker.did_key, url.split("token=", 1)[1]
    response = client.get(f"/passports/{quote(did, safe='')}/presentation.json?token={token}")
    assert response.status_code == 200, response.text
    vp = response.json()
    assert vp["@context"] == [V2]
    assert vp["type"] == ["VerifiablePresentation"]
    assert vp["holder"] == did
    assert "proof" not in vp
    assert vp["verifiableCredential"] == badges
    result = client.app.state.verifier.verify_presentation(vp, challenge=None, domain=None)  # type: ignore[attr-defined]
    assert all(item["verified"] for item in result["results"]["credentials"])
