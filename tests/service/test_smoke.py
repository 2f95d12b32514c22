"""The main path, end to end over HTTP: register, issue, verify, revoke, verify again."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.service.conftest import Hub, issue_badge


def test_issue_verify_revoke(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    assert badge["issuer"]["id"] == hub.did
    verified = client.post("/credentials/verify", json={"verifiableCredential": badge})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["issuer"]["registered"] is True
    assert verified.json()["skill"]["code"] == "LASER-CUT"
    revoke = client.post(
        "/credentials/status",
        json={
            "credentialId": badge["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True,
        },
        headers=hub.auth,
    )
    assert revoke.status_code == 200, revoke.text
    again = client.post("/credentials/verify", json={"verifiableCredential": badge})
    assert again.status_code == 400
    assert again.json()["verified"] is False
    assert any("revoked" in p["detail"] for p in again.json()["problemDetails"])
