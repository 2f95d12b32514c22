"""What the running service publishes verifies in the reference JavaScript implementation.

The service runs in-process (FastAPI TestClient, a fresh SQLite database per test). Everything
the JS verifier needs comes from the service's own HTTP API, fetched the way a verifier on the
web would: the did:web document at the URL the DID resolves to, and each status list at its
`statusListCredential` URL. Nothing else is given to the worker (beyond the pinned contexts),
so a badge only verifies if what the service serves is enough and correct.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from jsref import JsReference, error_messages
from tests.service.conftest import HOLDER, Hub, issue_badge, make_settings, register

from passport_vc.api import create_app
from passport_vc.services.context import open_service

pytestmark = pytest.mark.interop

PUBLIC_URL = "https://hub.example"  # make_settings' public_url
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
SET_BIT_PURPOSES = ("revocation", "suspension")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    ctx = open_service(make_settings(tmp_path, f"sqlite:///{tmp_path / 'passport-vc.sqlite3'}"))
    try:
        with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        ctx.close()


@pytest.fixture
def hub(client: TestClient) -> Hub:
    registered = register(client, "Fablab Cotonou", url="https://fablab-cotonou.example")
    assert registered.did == f"did:web:hub.example:makerspaces:{registered.slug}"
    return registered


# --- fetching what a verifier on the web would fetch ---------------------------------------


def get_json(client: TestClient, url: str) -> dict[str, Any]:
    """GET an https://hub.example/... URL from the in-process service."""
    assert url.startswith(PUBLIC_URL + "/"), url
    response = client.get(url[len(PUBLIC_URL) :])
    assert response.status_code == 200, (url, response.text)
    document: dict[str, Any] = response.json()
    return document


def did_web_url(did: str) -> str:
    """did:web resolution (did:web method spec §3.2): ':' -> '/', '%3A' port, + /did.json."""
    assert did.startswith("did:web:"), did
    host, *path = did[len("did:web:") :].split(":")
    where = "/".join(unquote(part) for part in path) if path else ".well-known"
    return f"https://{unquote(host)}/{where}/did.json"


def status_entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    entries = credential.get("credentialStatus", [])
    return entries if isinstance(entries, list) else [entries]


def published(client: TestClient, *credentials: dict[str, Any]) -> dict[str, Any]:
    """extraDocuments for the JS verifier: each issuer's DID document (under the DID; the
    worker's loader finds `<did>#key-n` inside it) and each status list credential."""
    documents: dict[str, Any] = {}
    for credential in credentials:
        issuer = credential["issuer"]
        did = issuer["id"] if isinstance(issuer, dict) else issuer
        if did not in documents:
            did_doc = get_json(client, did_web_url(did))
            assert did_doc["id"] == did
            documents[did] = did_doc
        for entry in status_entries(credential):
            url = entry["statusListCredential"]
            if url not in documents:
                documents[url] = get_json(client, url)
    return documents


def status_bits(result: dict[str, Any]) -> dict[str, bool]:
    """statusPurpose -> the bit the JS status library read (True = set)."""
    status_result = result["result"].get("statusResult") or {}
    return {
        r["credentialStatus"]["statusPurpose"]: r["status"]
        for r in status_result.get("results", [])
    }


def js_verify(jsref: JsReference, client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    return jsref.verify(
        credential, check_status=True, extra_documents=published(client, credential)
    )


def assert_verifies(result: dict[str, Any], *purposes: str) -> None:
    assert result["verified"] is True, error_messages(result["result"])
    assert result["result"]["statusResult"]["verified"] is True
    assert status_bits(result) == dict.fromkeys(purposes, False)


def change_status(
    client: TestClient, hub: Hub, credential: dict[str, Any], purpose: str, status: bool
) -> None:
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
            "status": status,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text


def issue_vc_api(client: TestClient, hub: Hub, credential: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/credentials/issue", json={"credential": credential}, headers=hub.auth)
    assert response.status_code == 201, response.text
    signed: dict[str, Any] = response.json()["verifiableCredential"]
    return signed


# --- (a) a badge, with its status checked ---------------------------------------------------


def test_badge_verifies_in_js_with_status_checking(
    jsref: JsReference, client: TestClient, hub: Hub
) -> None:
    badge = issue_badge(client, hub)
    assert badge["proof"]["verificationMethod"] == f"{hub.did}#key-1"
    assert {e["statusPurpose"] for e in status_entries(badge)} == set(SET_BIT_PURPOSES)
    documents = published(client, badge)

    result = jsref.verify(badge, check_status=True, extra_documents=documents)
    assert_verifies(result, *SET_BIT_PURPOSES)
    (proof_result,) = result["result"]["results"]
    assert proof_result["verificationMethod"]["id"] == f"{hub.did}#key-1"
    assert proof_result["verificationMethod"]["controller"] == hub.did

    # the status list credentials the service serves verify on their own too
    for entry in status_entries(badge):
        listed = jsref.verify(documents[entry["statusListCredential"]], extra_documents=documents)
        assert listed["verified"] is True, error_messages(listed["result"])


def test_js_needs_the_published_documents(jsref: JsReference, client: TestClient, hub: Hub) -> None:
    """Control: without the DID document or a status list the JS verifier cannot succeed, so
    the passing tests really use what the service served."""
    badge = issue_badge(client, hub)
    documents = published(client, badge)
    no_did = {k: v for k, v in documents.items() if k != hub.did}
    assert jsref.verify(badge, check_status=True, extra_documents=no_did)["verified"] is False
    list_url = status_entries(badge)[0]["statusListCredential"]
    no_list = {k: v for k, v in documents.items() if k != list_url}
    assert jsref.verify(badge, check_status=True, extra_documents=no_list)["verified"] is False


# --- (b) revocation and suspension, seen through the re-fetched status list -----------------


def test_revocation_over_http_is_seen_by_js(
    jsref: JsReference, client: TestClient, hub: Hub
) -> None:
    badge = issue_badge(client, hub)
    other = issue_badge(client, hub, skill="FDM-PRINT", level=2)
    before = published(client, badge, other)
    assert_verifies(
        jsref.verify(badge, check_status=True, extra_documents=before), *SET_BIT_PURPOSES
    )

    change_status(client, hub, badge, "revocation", True)

    after = js_verify(jsref, client, badge)
    assert after["verified"] is False
    assert status_bits(after) == {"revocation": True, "suspension": False}
    assert any('statusPurpose "revocation"' in m for m in error_messages(after["result"]))
    # the signature itself is still good: only the status fails
    assert all(r["verified"] for r in after["result"]["results"])
    # the stale copy of the list fetched before still says "not revoked" (so the re-fetch
    # is what made the difference), and the other badge on the same list is unaffected
    stale = jsref.verify(badge, check_status=True, extra_documents=before)
    assert stale["verified"] is True
    assert_verifies(js_verify(jsref, client, other), *SET_BIT_PURPOSES)


def test_suspension_and_reinstatement_over_http_are_seen_by_js(
    jsref: JsReference, client: TestClient, hub: Hub
) -> None:
    badge = issue_badge(client, hub)
    change_status(client, hub, badge, "suspension", True)
    suspended = js_verify(jsref, client, badge)
    assert suspended["verified"] is False
    assert status_bits(suspended) == {"revocation": False, "suspension": True}
    change_status(client, hub, badge, "suspension", False)
    assert_verifies(js_verify(jsref, client, badge), *SET_BIT_PURPOSES)


# --- (c) plain credentials through the VC API, VC 2.0 and VC 1.1 ----------------------------


def test_vc_api_issued_v2_credential_verifies_in_js(
    jsref: JsReference, client: TestClient, hub: Hub
) -> None:
    signed = issue_vc_api(
        client,
        hub,
        {
            "@context": [CREDENTIALS_V2, EXAMPLES_V2],
            "type": ["VerifiableCredential", "ExampleMembershipCredential"],
            "issuer": "did:web:ignored.example",
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": HOLDER, "memberOf": "Fablab Cotonou"},
        },
    )
    assert signed["issuer"] == hub.did
    assert_verifies(js_verify(jsref, client, signed), *SET_BIT_PURPOSES)
    change_status(client, hub, signed, "revocation", True)
    assert js_verify(jsref, client, signed)["verified"] is False


def test_vc_api_issued_v1_credential_verifies_in_js(
    jsref: JsReference, client: TestClient, hub: Hub
) -> None:
    signed = issue_vc_api(
        client,
        hub,
        {
            "@context": [CREDENTIALS_V1, EXAMPLES_V2],
            "type": ["VerifiableCredential", "ExampleMembershipCredential"],
            "issuer": {"id": "did:web:ignored.example", "name": "ignored"},
            "issuanceDate": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": HOLDER, "memberOf": "Fablab Cotonou"},
        },
    )
    assert signed["@context"][0] == CREDENTIALS_V1
    assert signed["issuer"]["id"] == hub.did
    assert_verifies(js_verify(jsref, client, signed), *SET_BIT_PURPOSES)
    change_status(client, hub, signed, "revocation", True)
    assert js_verify(jsref, client, signed)["verified"] is False


def test_vc_api_credential_without_status_verifies_in_js(
    jsref: JsReference, client: TestClient, hub: Hub
) -> None:
    response = client.post(
        "/credentials/issue",
        json={
            "credential": {
                "@context": [CREDENTIALS_V2, EXAMPLES_V2],
                "type": ["VerifiableCredential"],
                "issuer": hub.did,
                "credentialSubject": {"id": HOLDER, "memberOf": "Fablab Cotonou"},
            },
            "options": {"statusPurposes": []},
        },
        headers=hub.auth,
    )
    assert response.status_code == 201, response.text
    signed = response.json()["verifiableCredential"]
    assert "credentialStatus" not in signed
    result = js_verify(jsref, client, signed)
    assert result["verified"] is True, error_messages(result["result"])


# --- (d) key rotation: old and new badges, one DID document ---------------------------------


def test_old_and_new_badges_verify_after_key_rotation(
    jsref: JsReference, client: TestClient, hub: Hub
) -> None:
    old = issue_badge(client, hub)
    rotated = client.post(f"/makerspaces/{hub.slug}/keys/rotate", headers=hub.auth)
    assert rotated.status_code == 200, rotated.text
    new_method = rotated.json()["verificationMethod"]
    assert new_method == f"{hub.did}#key-2"
    new = issue_badge(client, hub, skill="FDM-PRINT", level=2)
    assert old["proof"]["verificationMethod"] == f"{hub.did}#key-1"
    assert new["proof"]["verificationMethod"] == new_method

    did_doc = get_json(client, did_web_url(hub.did))
    assert {m["id"] for m in did_doc["verificationMethod"]} == {f"{hub.did}#key-1", new_method}
    for badge in (old, new):
        documents = published(client, badge)
        assert documents[hub.did] == did_doc  # the new DID document, fetched afresh
        result = jsref.verify(badge, check_status=True, extra_documents=documents)
        assert_verifies(result, *SET_BIT_PURPOSES)
        (proof_result,) = result["result"]["results"]
        assert proof_result["verificationMethod"]["id"] == badge["proof"]["verificationMethod"]
        # the lists are re-signed with the new key; JS checks that signature too
        for entry in status_entries(badge):
            listed = documents[entry["statusListCredential"]]
            assert listed["proof"]["verificationMethod"] == new_method

    # once the old key is retired it leaves the DID document: only the old badge stops verifying
    retired = client.post(
        f"/makerspaces/{hub.slug}/keys/retire", json={"key": "key-1"}, headers=hub.auth
    )
    assert retired.status_code == 200, retired.text
    gone = js_verify(jsref, client, old)
    assert gone["verified"] is False
    assert any("key-1" in m for m in error_messages(gone["result"]))
    assert_verifies(js_verify(jsref, client, new), *SET_BIT_PURPOSES)


# --- two services in one process: each serves its own lists ------------------------------


def test_fresh_service_serves_its_own_status_list(jsref: JsReference, tmp_path: Path) -> None:
    """Regression: signed lists were cached process-wide by (list id, version, method id), so a
    second service (fresh database, same slug: the same did:web#key-1 but another key) served
    the first one's list, whose signature JS rejected. The cache now lives in the context."""
    slug = f"same-slug-{uuid.uuid4().hex[:8]}"
    for run in ("first", "second"):
        settings = make_settings(tmp_path / run, f"sqlite:///{tmp_path / f'{run}.sqlite3'}")
        ctx = open_service(settings)
        try:
            with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as client:
                hub = register(client, "Fablab Cotonou", slug=slug)
                badge = issue_badge(client, hub)
                result = js_verify(jsref, client, badge)
                assert result["verified"] is True, (run, error_messages(result["result"]))
        finally:
            ctx.close()
