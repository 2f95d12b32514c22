"""The QR routes, read back with a real decoder (zxing-cpp): the link QR gives the page URL;
the offline QR gives the exact signed badge, which verifies with no server (the issuer's DID
document comes from a dict captured beforehand; status is not checked, since offline there
is no status list to fetch); a tampered badge decodes but fails verification."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import copy
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from tests.service.conftest import (  # noqa: F401 (fixtures)
    Hub,
    client,
    ctx,
    database_url,
    hub,
    issue_badge,
    postgres_database,
    settings,
)

from passport_vc.credentials.verification import VerifyOptions, verify_credential
from passport_vc.errors import DidResolutionError
from passport_vc.qr import decode_offline, encode_offline, qr_info, qr_png

CACHE = "public, max-age=86400"


def read_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG."""
    image = Image.open(io.BytesIO(png)).convert("L")
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, found
    text: str = found[0].text
    return text


class CapturedDids:
    """DID documents fetched once, beforehand: resolving needs no network afterwards."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents

    def resolve(self, did: str) -> dict[str, Any]:
        if did not in self.documents:
            raise DidResolutionError(f"{did} was not captured")
        return copy.deepcopy(self.documents[did])


def capture(client: TestClient, hub: Hub) -> CapturedDids:
    response = client.get(f"/makerspaces/{hub.slug}/did.json")
    assert response.status_code == 200, response.text
    return CapturedDids({hub.did: response.json()})


def verify_offline(credential: dict[str, Any], dids: CapturedDids) -> dict[str, Any]:
    # status_resolver None: an offline verifier cannot fetch the status list; the status is
    # reported as not checked, which does not fail the verification.
    return verify_credential(credential, VerifyOptions(did_resolver=dids, status_resolver=None))


def uuid_of(credential: dict[str, Any]) -> str:
    uuid: str = credential["id"].rsplit("/", 1)[1]
    return uuid


def test_link_qr_decodes_to_the_credential_page(client: TestClient, hub: Hub) -> None:
    uuid = uuid_of(issue_badge(client, hub))
    response = client.get(f"/credentials/{uuid}/qr.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == CACHE
    assert read_qr(response.content) == f"https://hub.example/credentials/{uuid}"


def test_link_qr_svg(client: TestClient, hub: Hub) -> None:
    uuid = uuid_of(issue_badge(client, hub))
    response = client.get(f"/credentials/{uuid}/qr.svg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == CACHE
    root = ET.fromstring(response.text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_offline_qr_decodes_to_the_exact_signed_badge_which_verifies(
    client: TestClient, hub: Hub
) -> None:
    issued = issue_badge(client, hub, holderName="Amina Diallo", evidence="Observed by staff.")
    dids = capture(client, hub)
    uuid = uuid_of(issued)
    response = client.get(f"/credentials/{uuid}/offline-qr.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == CACHE
    text = read_qr(response.content)
    assert text == client.get(f"/credentials/{uuid}/offline-qr.txt").text
    decoded = decode_offline(text)
    assert decoded == issued
    client.close()  # no server from here on
    result = verify_offline(decoded, dids)
    assert result["verified"] is True, result["problemDetails"]


def test_offline_qr_text_and_svg(client: TestClient, hub: Hub) -> None:
    issued = issue_badge(client, hub)
    uuid = uuid_of(issued)
    text = client.get(f"/credentials/{uuid}/offline-qr.txt")
    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["cache-control"] == CACHE
    assert decode_offline(text.text) == issued
    svg = client.get(f"/credentials/{uuid}/offline-qr.svg")
    assert svg.status_code == 200
    assert svg.headers["cache-control"] == CACHE
    assert ET.fromstring(svg.text).tag == "{http://www.w3.org/2000/svg}svg"


def test_a_tampered_badge_decodes_but_does_not_verify(client: TestClient, hub: Hub) -> None:
    issued = issue_badge(client, hub, level=2)
    dids = capture(client, hub)
    assert verify_offline(issued, dids)["verified"] is True
    forged = copy.deepcopy(issued)
    forged["credentialSubject"]["result"][0]["achievedLevel"] = (
        "https://passport-vc.org/skills/levels/4"
    )
    decoded = decode_offline(read_qr(qr_png(encode_offline(forged), scale=6)))
    assert decoded == forged
    result = verify_offline(decoded, dids)
    assert result["verified"] is False
    assert result["problemDetails"]


@pytest.mark.parametrize(
    "suffix", ["qr.png", "qr.svg", "offline-qr.png", "offline-qr.svg", "offline-qr.txt"]
)
def test_unknown_credential_is_a_404_problem(client: TestClient, suffix: str) -> None:
    response = client.get(f"/credentials/00000000-0000-4000-8000-000000000000/{suffix}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "id"


def test_qr_routes_come_before_the_catch_all(client: TestClient, hub: Hub) -> None:
    issued = issue_badge(client, hub)
    uuid = uuid_of(issued)
    # The catch-all still answers the credential itself...
    plain = client.get(f"/credentials/{uuid}")
    assert plain.status_code == 200
    assert plain.json()["verifiableCredential"] == issued
    # ...and does not take the QR paths (it would answer 404 for an id ending in "/qr.png").
    for suffix, kind in (
        ("qr.png", "image/png"),
        ("qr.svg", "image/svg+xml"),
        ("offline-qr.png", "image/png"),
        ("offline-qr.svg", "image/svg+xml"),
        ("offline-qr.txt", "text/plain"),
    ):
        response = client.get(f"/credentials/{uuid}/{suffix}")
        assert response.status_code == 200, (suffix, response.text)
        assert response.headers["content-type"].startswith(kind)


def _measure(credential: dict[str, Any]) -> dict[str, Any]:
    payload = encode_offline(credential)
    versions = {level: qr_info(payload, error=level)["version"] for level in "LMQH"}
    return {"payload": len(payload), "mode": qr_info(payload)["mode"], "versions": versions}


def test_measured_offline_qr_sizes(client: TestClient, hub: Hub) -> None:
    """Recorded, not asserted (apart from the hard limit of version 40): run with -s."""
    typical = issue_badge(client, hub)
    rich = issue_badge(
        client,
        hub,
        holderName="Amina Diallo",
        evidence="Cut a 40-part plywood enclosure to ±0.2 mm, observed by staff.",
    )
    for name, credential in (("typical", typical), ("evidence+holderName", rich)):
        figures = _measure(credential)
        print(f"offline QR, {name} badge: {figures}")
        assert figures["mode"] == "alphanumeric"
        assert figures["versions"]["M"] <= 40
        assert read_qr(qr_png(encode_offline(credential), scale=4)) == encode_offline(credential)
