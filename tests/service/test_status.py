"""Status over HTTP: revocation and suspension, the served status lists (ETag, bits, proof),
the audit log, and signing key rotation and retirement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.service.conftest import ADMIN, Hub, issue_badge, make_settings, register

from passport_vc.api import create_app
from passport_vc.services.context import open_service
from passport_vc.status import BitstringStatusList

PUBLIC = "https://hub.example"


def _entry(badge: dict[str, Any], purpose: str) -> dict[str, Any]:
    entries = badge["credentialStatus"]
    [found] = [e for e in entries if e["statusPurpose"] == purpose]
    return dict(found)


def _list_path(badge: dict[str, Any], purpose: str = "revocation") -> str:
    url: str = _entry(badge, purpose)["statusListCredential"]
    assert url.startswith(PUBLIC + "/status-lists/")
    return url.removeprefix(PUBLIC)


def _bit(client: TestClient, badge: dict[str, Any], purpose: str = "revocation") -> int:
    response = client.get(_list_path(badge, purpose))
    assert response.status_code == 200, response.text
    encoded = response.json()["credentialSubject"]["encodedList"]
    return BitstringStatusList.decode(encoded).get(int(_entry(badge, purpose)["statusListIndex"]))


def _set(
    client: TestClient, hub: Hub, badge: dict[str, Any], purpose: str, value: bool = True
) -> Any:
    return client.post(
        "/credentials/status",
        json={
            "credentialId": badge["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
            "status": value,
        },
        headers=hub.auth,
    )


def _verify(client: TestClient, vc: dict[str, Any]) -> Any:
    return client.post("/credentials/verify", json={"verifiableCredential": vc})


def _details(response: Any) -> str:
    return " | ".join(p["detail"] for p in response.json()["problemDetails"])


# --- revocation and the served list ------------------------------------------------------


def test_revocation_via_the_vc_api_answers_200(client: TestClient, hub: Hub) -> None:
    """POST /credentials/status with the VC API shape revokes and answers 200."""
    badge = issue_badge(client, hub)
    response = _set(client, hub, badge, "revocation")
    assert response.status_code == 200, response.text
    again = _verify(client, badge)
    assert again.status_code == 400
    assert "revoked" in _details(again)


def test_revocation_by_full_entry_and_uuid_reference(client: TestClient, hub: Hub) -> None:
    """The entry may be the credential's own full status entry and the credential may be named
    by its UUID."""
    badge = issue_badge(client, hub)
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": badge["id"].rsplit("/", 1)[1],
            "credentialStatus": [_entry(badge, "revocation")],
            "status": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text
    assert _bit(client, badge) == 1


def test_served_status_list_is_a_signed_bitstring_status_list_credential(
    client: TestClient, hub: Hub
) -> None:
    """The served list is a BitstringStatusListCredential issued by the makerspace DID (a
    string) that verifies through POST /credentials/verify."""
    badge = issue_badge(client, hub)
    response = client.get(_list_path(badge))
    assert response.status_code == 200, response.text
    listed = response.json()
    assert "BitstringStatusListCredential" in listed["type"]
    assert listed["issuer"] == hub.did
    assert listed["id"] == _entry(badge, "revocation")["statusListCredential"]
    assert listed["credentialSubject"]["statusPurpose"] == "revocation"
    assert isinstance(listed["proof"], dict)
    verified = _verify(client, listed)
    assert verified.status_code == 200, verified.text
    suspension = client.get(_list_path(badge, "suspension")).json()
    assert suspension["credentialSubject"]["statusPurpose"] == "suspension"


def test_served_status_list_has_etag_and_max_age_and_answers_304(
    client: TestClient, hub: Hub
) -> None:
    """The list has an ETag and Cache-Control max-age, and If-None-Match with it gets 304."""
    badge = issue_badge(client, hub)
    path = _list_path(badge)
    response = client.get(path)
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert "max-age=" in response.headers["cache-control"]
    assert client.get(path).headers["etag"] == etag
    cached = client.get(path, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_revocation_changes_the_etag_and_sets_the_bit(client: TestClient, hub: Hub) -> None:
    """After a revocation the list has a new ETag and the credential's bit is set."""
    badge = issue_badge(client, hub)
    neighbour = issue_badge(client, hub)
    path = _list_path(badge)
    before = client.get(path).headers["etag"]
    assert _bit(client, badge) == 0
    assert _set(client, hub, badge, "revocation").status_code == 200
    after = client.get(path)
    assert after.headers["etag"] != before
    assert client.get(path, headers={"If-None-Match": before}).status_code == 200
    assert _bit(client, badge) == 1
    assert _bit(client, neighbour) == 0
    assert _bit(client, badge, "suspension") == 0
    assert _verify(client, after.json()).status_code == 200


def test_unknown_status_list_is_404(client: TestClient) -> None:
    """A status list that does not exist is 404 problem+json."""
    response = client.get("/status-lists/999999")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


# --- revocation is permanent, suspension is not ------------------------------------------


def test_revocation_is_permanent(client: TestClient, hub: Hub) -> None:
    """Un-revoking is 409 and the credential stays revoked."""
    badge = issue_badge(client, hub)
    assert _set(client, hub, badge, "revocation").status_code == 200
    undo = _set(client, hub, badge, "revocation", False)
    assert undo.status_code == 409, undo.text
    assert undo.json()["field"] == "status"
    assert _bit(client, badge) == 1
    assert _verify(client, badge).status_code == 400


def test_suspension_is_reversible(client: TestClient, hub: Hub) -> None:
    """A suspended credential fails verification as suspended; reinstated, it verifies."""
    badge = issue_badge(client, hub)
    assert _set(client, hub, badge, "suspension").status_code == 200
    suspended = _verify(client, badge)
    assert suspended.status_code == 400
    assert suspended.json()["verified"] is False
    assert "suspended" in _details(suspended)
    assert _set(client, hub, badge, "suspension", False).status_code == 200
    reinstated = _verify(client, badge)
    assert reinstated.status_code == 200, reinstated.text
    assert _bit(client, badge, "suspension") == 0


def test_repeating_a_status_change_is_200_and_idempotent(client: TestClient, hub: Hub) -> None:
    """The same change twice answers 200 both times, changes the list once and is audited
    once."""
    badge = issue_badge(client, hub)
    path = _list_path(badge)
    assert _set(client, hub, badge, "revocation").status_code == 200
    etag = client.get(path).headers["etag"]
    assert _set(client, hub, badge, "revocation").status_code == 200
    assert client.get(path).headers["etag"] == etag
    assert _set(client, hub, badge, "suspension", False).status_code == 200  # already 0
    events = client.get("/admin/audit", params={"action": "credential.revoke"}, headers=ADMIN)
    assert events.json()["total"] == 1
    reinstated = client.get(
        "/admin/audit", params={"action": "credential.reinstate"}, headers=ADMIN
    )
    assert reinstated.json()["total"] == 0


def test_another_makerspace_cannot_revoke(client: TestClient, hub: Hub, other_hub: Hub) -> None:
    """A revocation with another makerspace's key is 404 and leaves the list untouched."""
    badge = issue_badge(client, hub)
    path = _list_path(badge)
    etag = client.get(path).headers["etag"]
    response = _set(client, other_hub, badge, "revocation")
    assert response.status_code == 404, response.text
    assert response.json()["field"] == "credentialId"
    assert client.get(path).headers["etag"] == etag
    assert _bit(client, badge) == 0
    assert _verify(client, badge).status_code == 200


def test_status_change_with_an_unknown_purpose_is_422(client: TestClient, hub: Hub) -> None:
    """A statusPurpose other than revocation or suspension is 422 naming it."""
    badge = issue_badge(client, hub)
    response = _set(client, hub, badge, "refresh")
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "credentialStatus.statusPurpose"


def test_status_change_of_a_credential_without_that_entry_is_409(
    client: TestClient, hub: Hub
) -> None:
    """Suspending a credential issued without a suspension entry is 409."""
    response = client.post(
        "/credentials/issue",
        json={
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:maker"},
            },
            "options": {"statusPurposes": ["revocation"]},
        },
        headers=hub.auth,
    )
    assert response.status_code == 201, response.text
    vc = response.json()["verifiableCredential"]
    assert _set(client, hub, vc, "suspension").status_code == 409


# --- audit -------------------------------------------------------------------------------


def _events(client: TestClient, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(path, params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["events"])
    events: list[dict[str, Any]] = body["events"]
    return events


def test_audit_records_every_kind_of_change(client: TestClient, hub: Hub) -> None:
    """Registration, issuance, revocation, suspension and key rotation each appear in the
    admin audit log with actor, action, target and apiKeyHint."""
    revoked = issue_badge(client, hub)
    suspended = issue_badge(client, hub)
    assert _set(client, hub, revoked, "revocation").status_code == 200
    assert _set(client, hub, suspended, "suspension").status_code == 200
    rotated = client.post(f"/makerspaces/{hub.slug}/keys/rotate", headers=hub.auth)
    assert rotated.status_code == 200, rotated.text
    events = _events(client, "/admin/audit", ADMIN)
    for event in events:
        assert {"actor", "action", "target", "apiKeyHint", "at"} <= set(event)
    by_action: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_action.setdefault(event["action"], []).append(event)
    hint = hub.api_key[len("pvc_") : len("pvc_") + 8]
    me = f"makerspace:{hub.slug}"

    [created] = by_action["makerspace.create"]
    assert (created["actor"], created["target"]) == ("admin", hub.did)
    assert created["apiKeyHint"] is None
    issued = by_action["credential.issue"]
    assert {e["target"] for e in issued} == {revoked["id"], suspended["id"]}
    [revoke] = by_action["credential.revoke"]
    assert revoke["target"] == revoked["id"]
    [suspend] = by_action["credential.suspend"]
    assert suspend["target"] == suspended["id"]
    [rotate] = by_action["key.rotate"]
    assert rotate["target"] == hub.did
    assert rotate["detail"]["newKey"] == rotated.json()["verificationMethod"]
    for event in [*issued, revoke, suspend, rotate]:
        assert event["actor"] == me
        assert event["apiKeyHint"] == hint
    assert hub.api_key not in str(events)
    # newest first
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)


def test_makerspace_audit_shows_only_its_own_events(
    client: TestClient, hub: Hub, other_hub: Hub
) -> None:
    """GET /makerspaces/{slug}/audit lists the makerspace's own events, not the other hub's."""
    mine = issue_badge(client, hub)
    theirs = issue_badge(client, other_hub)
    assert _set(client, other_hub, theirs, "revocation").status_code == 200
    own = _events(client, f"/makerspaces/{hub.slug}/audit", hub.auth)
    assert [(e["action"], e["target"]) for e in own] == [
        ("credential.issue", mine["id"]),
        ("makerspace.create", hub.did),
    ]
    other = _events(client, f"/makerspaces/{other_hub.slug}/audit", other_hub.auth)
    assert {(e["action"], e["target"]) for e in other} == {
        ("makerspace.create", other_hub.did),
        ("credential.issue", theirs["id"]),
        ("credential.revoke", theirs["id"]),
    }
    assert {e["actor"] for e in other} == {"admin", f"makerspace:{other_hub.slug}"}


# --- key rotation and retirement ---------------------------------------------------------


def _rotate(client: TestClient, hub: Hub) -> Any:
    return client.post(f"/makerspaces/{hub.slug}/keys/rotate", headers=hub.auth)


def _retire(client: TestClient, hub: Hub, key: str) -> Any:
    return client.post(f"/makerspaces/{hub.slug}/keys/retire", json={"key": key}, headers=hub.auth)


def _did_methods(client: TestClient, hub: Hub) -> list[str]:
    response = client.get(f"/makerspaces/{hub.slug}/did.json")
    assert response.status_code == 200, response.text
    return [vm["id"] for vm in response.json()["verificationMethod"]]


def test_key_rotation_keeps_old_badges_verifying(client: TestClient, hub: Hub) -> None:
    """After a rotation old badges verify, new badges name the new key and the DID document
    lists both keys."""
    old = issue_badge(client, hub)
    rotated = _rotate(client, hub)
    assert rotated.status_code == 200, rotated.text
    new_method = rotated.json()["verificationMethod"]
    assert new_method == f"{hub.did}#key-2"
    new = issue_badge(client, hub)
    assert old["proof"]["verificationMethod"] == f"{hub.did}#key-1"
    assert new["proof"]["verificationMethod"] == new_method
    assert set(_did_methods(client, hub)) == {f"{hub.did}#key-1", new_method}
    assert _verify(client, old).status_code == 200
    assert _verify(client, new).status_code == 200
    status_list = client.get(_list_path(old)).json()
    assert status_list["proof"]["verificationMethod"] == new_method
    assert _verify(client, status_list).status_code == 200
    keys = client.get(f"/makerspaces/{hub.slug}").json()["keys"]
    assert [(k["id"], k["state"]) for k in keys] == [
        (f"{hub.did}#key-1", "published"),
        (new_method, "active"),
    ]


def test_retiring_a_key_stops_its_badges_verifying(client: TestClient, hub: Hub) -> None:
    """A retired key leaves the DID document: its badges fail, newer badges still verify."""
    old = issue_badge(client, hub)
    assert _rotate(client, hub).status_code == 200
    new = issue_badge(client, hub)
    retired = _retire(client, hub, "key-1")
    assert retired.status_code == 200, retired.text
    assert retired.json()["retired"] == f"{hub.did}#key-1"
    assert _did_methods(client, hub) == [f"{hub.did}#key-2"]
    failed = _verify(client, old)
    assert failed.status_code == 400
    assert failed.json()["verified"] is False
    assert _verify(client, new).status_code == 200
    assert _retire(client, hub, f"{hub.did}#key-1").status_code == 200  # again: no change
    events = client.get("/admin/audit", params={"action": "key.retire"}, headers=ADMIN)
    assert events.json()["total"] == 1


def test_retiring_the_active_key_is_409(client: TestClient, hub: Hub) -> None:
    """The active key cannot be retired (before or after a rotation)."""
    assert _retire(client, hub, "key-1").status_code == 409
    assert _rotate(client, hub).status_code == 200
    response = _retire(client, hub, "key-2")
    assert response.status_code == 409, response.text
    assert response.json()["field"] == "key"
    assert _verify(client, issue_badge(client, hub)).status_code == 200


def test_retiring_an_unknown_key_is_404(client: TestClient, hub: Hub) -> None:
    """A key the makerspace does not have is 404 naming "key"."""
    response = _retire(client, hub, "key-9")
    assert response.status_code == 404
    assert response.json()["field"] == "key"


def test_a_did_key_makerspace_cannot_rotate(client: TestClient) -> None:
    """A did:key makerspace's identifier is its key: rotation is 409."""
    keyed = register(client, "Garage Lab", didMethod="key")
    assert keyed.did.startswith("did:key:z6Mk")
    response = _rotate(client, keyed)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    badge = issue_badge(client, keyed)
    assert badge["proof"]["verificationMethod"].startswith(keyed.did + "#")
    assert _verify(client, badge).status_code == 200


# --- services in one process ----------------------------------------------------------


def test_status_lists_of_two_services_in_one_process_never_mix(
    tmp_path: Path, database_url: str
) -> None:
    """Two services in one process (two databases) each serve their own status lists: a
    badge revoked in the second one does not verify there."""
    ctx_a = open_service(make_settings(tmp_path / "a", database_url))
    other_db = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    ctx_b = open_service(make_settings(tmp_path / "b", other_db))
    try:
        with TestClient(create_app(ctx=ctx_a), raise_server_exceptions=False) as client_a:
            hub_a = register(client_a, "Fablab Cotonou")
            revoked_a = issue_badge(client_a, hub_a)
            assert _set(client_a, hub_a, revoked_a, "revocation").status_code == 200
            assert _verify(client_a, revoked_a).status_code == 400
        with TestClient(create_app(ctx=ctx_b), raise_server_exceptions=False) as client_b:
            hub_b = register(client_b, "Fablab Cotonou")
            issue_badge(client_b, hub_b)
            revoked_b = issue_badge(client_b, hub_b)
            assert _set(client_b, hub_b, revoked_b, "revocation").status_code == 200
            assert _verify(client_b, revoked_b).status_code == 400, "a revoked badge verified"
            served = client_b.get(_list_path(revoked_b)).json()
            assert _verify(client_b, served).status_code == 200
            assert _bit(client_b, revoked_b) == 1
    finally:
        ctx_a.close()
        ctx_b.close()
