"""The qualification check record verifies in the reference JavaScript implementation.

The service runs in-process (a fresh SQLite database per test). A contract is checked with
real presentations; the record it answers is verified by the JS stack with nothing but the
pinned contexts (which include https://passport-vc.org/contexts/v1, read from INDEX.json by
interop/loader.mjs) and the service's DID document, fetched from /.well-known/did.json as a
verifier on the web would. A presentation signed by the JS stack is accepted by the check.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsref import JsReference, error_messages
from tests.service.conftest import Hub, issue_badge, make_settings, register
from tests.service.test_qualifications import LASER_TYPE, add_facility, new_challenge, present

from passport_vc.api import create_app
from passport_vc.credentials.verification import verify_credential
from passport_vc.keys import SigningKey
from passport_vc.services.context import ServiceContext, open_service

pytestmark = pytest.mark.interop

SERVICE_DID = "did:web:hub.example"  # make_settings' public_url is https://hub.example
V2 = "https://www.w3.org/ns/credentials/v2"
RECORD_CONTEXT = "https://passport-vc.org/contexts/v1"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    opened = open_service(make_settings(tmp_path, f"sqlite:///{tmp_path / 'pvc.sqlite3'}"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def client(ctx: ServiceContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def hub(client: TestClient) -> Hub:
    return register(client, "Fablab Cotonou")


def _contract(client: TestClient, ctx: ServiceContext, hub: Hub, maker: str) -> str:
    facility = add_facility(ctx, hub.slug)[0]
    body = {
        "item": {"name": "Enclosure"},
        "totalQuantity": 10,
        "parties": [
            {"did": "did:web:buyer.example", "role": "initiator"},
            {"did": maker, "role": "manufacturer", "allocatedQuantity": 10, "facility": facility},
        ],
        "requirements": {
            "manufacturer": [
                {"skill": "LASER-CUT", "minLevel": 2},
                {"skill": "WELD-TIG", "minLevel": 1},
                {"facilityCapability": {"equipmentType": LASER_TYPE}},
            ]
        },
    }
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    contract_id: str = response.json()["id"]
    return contract_id


def _check(client: TestClient, hub: Hub, contract_id: str, did: str, vp: Any) -> dict[str, Any]:
    response = client.post(
        f"/contracts/{contract_id}/qualification-checks",
        json={"presentations": {did: vp}},
        headers=hub.auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _did_documents(client: TestClient) -> dict[str, Any]:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    document = response.json()
    assert document["id"] == SERVICE_DID
    return {SERVICE_DID: document}


def test_the_record_verifies_in_the_js_reference(
    jsref: JsReference, client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    maker = SigningKey.generate()
    contract_id = _contract(client, ctx, hub, maker.did_key)
    badge = issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=3)
    body = _check(
        client, hub, contract_id, maker.did_key, present(maker, [badge], new_challenge(client))
    )
    assert body["passed"] is False  # WELD-TIG is missing: a record with met and unmet outcomes
    record = body["recordCredential"]
    assert record["@context"] == [V2, RECORD_CONTEXT]
    [party] = [p for p in record["credentialSubject"]["parties"] if p["id"] == maker.did_key]
    assert [r["met"] for r in party["requirements"]] == [True, False, True]

    documents = _did_documents(client)
    result = jsref.verify(record, extra_documents=documents)
    assert result["verified"] is True, error_messages(result["result"])

    tampered = copy.deepcopy(record)
    tampered["credentialSubject"]["parties"][1]["requirements"][1]["met"] = True
    assert jsref.verify(tampered, extra_documents=documents)["verified"] is False

    # The JS stack canonicalizes our terms as we do: the record signed there verifies here.
    signer = SigningKey.generate()
    unsigned = {k: v for k, v in record.items() if k != "proof"}
    unsigned["issuer"] = signer.did_key
    signed = jsref.sign(unsigned, signer.secret_multibase(), signer.public_key.multibase)
    ours = verify_credential(signed)
    assert ours["verified"] is True, ours["problemDetails"]


def test_a_presentation_signed_by_the_js_reference_passes_the_check(
    jsref: JsReference, client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    maker = SigningKey.generate()
    contract_id = _contract(client, ctx, hub, maker.did_key)
    badges = [
        issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=2),
        issue_badge(client, hub, holder=maker.did_key, skill="WELD-TIG", level=1),
    ]
    challenge = new_challenge(client)
    unsigned = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "holder": maker.did_key,
        "verifiableCredential": badges,
    }
    vp = jsref.sign(
        unsigned,
        maker.secret_multibase(),
        maker.public_key.multibase,
        purpose="authentication",
        challenge=challenge,
    )
    body = _check(client, hub, contract_id, maker.did_key, vp)
    assert body["passed"] is True, body
    result = jsref.verify(body["recordCredential"], extra_documents=_did_documents(client))
    assert result["verified"] is True, error_messages(result["result"])
