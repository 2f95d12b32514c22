"""/verify: the form, pasted and uploaded badges, tampering, garbage, size caps, the links
that reproduce a result (?credential= and ?doc=), offline QR payloads and presentations
signed over the page's challenge."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import copy
import html as htmllib
import json
import re
from typing import Any

from fastapi.testclient import TestClient
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
from tests.web.test_pages import BROWSER, _assert_self_contained

from passport_vc.credentials.signing import sign_presentation
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions
from passport_vc.web.verify_page import MAX_DOCUMENT_BYTES, decode_doc, encode_doc

V2 = "https://www.w3.org/ns/credentials/v2"
LEVEL_4 = "https://passport-vc.org/skills/levels/4"


def _html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    _assert_self_contained(response.text)
    return str(response.text)


def _paste(client: TestClient, document: Any, **fields: str) -> Any:
    text = document if isinstance(document, str) else json.dumps(document)
    return client.post("/verify", data={"document": text, **fields}, headers=BROWSER)


def _permalink(html: str) -> str:
    found = re.search(r'<a class="permalink" href="([^"]+)"', html)
    assert found, html
    link = htmllib.unescape(found.group(1))
    assert link.startswith("https://hub.example/verify?")
    return link.removeprefix("https://hub.example")


def _challenge(html: str) -> str:
    found = re.search(r'<input type="hidden" name="challenge" value="([^"]+)">', html)
    assert found, html
    return found.group(1)


def test_the_form_has_labelled_controls_and_a_challenge(client: TestClient) -> None:
    html = _html(client.get("/verify", headers=BROWSER))
    assert '<label for="document">' in html and '<textarea id="document" name="document"' in html
    assert '<label for="file">' in html and '<input id="file" name="file" type="file"' in html
    assert 'enctype="multipart/form-data"' in html
    challenge = _challenge(html)
    assert f'<code class="challenge">{challenge}</code>' in html
    assert "<title>Verify a skill badge · passport-vc</title>" in html
    assert _challenge(_html(client.get("/verify", headers=BROWSER))) != challenge


def test_a_pasted_valid_badge_is_valid_in_words(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub, holderName="Amina Diallo")
    html = _html(_paste(client, badge))
    assert "<strong>Valid</strong>" in html
    assert "Issued by Fablab Cotonou (a makerspace registered here) to Amina Diallo." in html
    assert "Laser cutting — level 3 Proficient" in html
    assert "<details>" in html and "<summary>Technical checks</summary>" in html
    assert "&#34;verified&#34;: true" in html  # the raw result, escaped
    # issued here: the permanent link names it by its UUID and re-verifies live
    link = _permalink(html)
    assert link == "/verify?credential=" + badge["id"].rsplit("/", 1)[-1]
    again = _html(client.get(link, headers=BROWSER))
    assert "<strong>Valid</strong>" in again and "Amina Diallo" in again


def test_the_api_answer_is_accepted_too(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    assert "<strong>Valid</strong>" in _html(_paste(client, {"verifiableCredential": badge}))


def test_a_tampered_badge_is_not_valid_and_says_why(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    badge["credentialSubject"]["result"][0]["achievedLevel"] = LEVEL_4
    html = _html(_paste(client, badge))
    assert "<strong>Not valid</strong>" in html
    assert "<strong>Valid</strong>" not in html
    assert "The signature does not match" in html
    assert "the signature does not match the document" in html


def test_garbage_is_a_friendly_400_page(client: TestClient) -> None:
    html = _html(_paste(client, "{not json"), 400)
    assert "That is not JSON" in html and "line 1, column 2" in html
    assert "That is not a badge" in _html(_paste(client, "[1, 2]"), 400)
    assert "Nothing to verify" in _html(_paste(client, "   "), 400)
    html = _html(_paste(client, {"hello": "world"}))
    assert "<strong>Not valid</strong>" in html


def test_an_uploaded_file_verifies(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    response = client.post(
        "/verify",
        files={"file": ("badge.json", json.dumps(badge).encode(), "application/json")},
        data={"document": ""},
        headers=BROWSER,
    )
    assert "<strong>Valid</strong>" in _html(response)


def test_more_than_256_kib_is_a_413_page(client: TestClient, hub: Hub) -> None:
    big = b"{" + b" " * MAX_DOCUMENT_BYTES + b"}"
    response = client.post(
        "/verify", files={"file": ("big.json", big, "application/json")}, headers=BROWSER
    )
    assert "too large" in _html(response, 413)
    pasted = client.post("/verify", data={"document": big.decode()}, headers=BROWSER)
    assert "too large" in _html(pasted, 413)


def test_a_document_from_elsewhere_gets_a_link_that_carries_it(
    client: TestClient, hub: Hub
) -> None:
    badge = issue_badge(client, hub, holderName="Amina Diallo")
    tampered = copy.deepcopy(badge)
    tampered["id"] = "urn:uuid:0f0c0a3e-0000-4000-8000-000000000000"  # not in the store
    html = _html(_paste(client, tampered))
    assert "<strong>Not valid</strong>" in html
    link = _permalink(html)
    assert link.startswith("/verify?doc=")
    assert decode_doc(link.removeprefix("/verify?doc=")) == tampered
    again = _html(client.get(link, headers=BROWSER))
    assert "<strong>Not valid</strong>" in again and "Amina Diallo" in again
    assert "The signature does not match" in again
    # an untouched badge carried in a link verifies
    carried = _html(client.get(f"/verify?doc={encode_doc(badge)}", headers=BROWSER))
    assert "<strong>Valid</strong>" in carried


def test_a_link_past_8_kib_is_not_offered(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    badge["id"] = "urn:uuid:0f0c0a3e-0000-4000-8000-000000000001"
    badge["noise"] = [f"{i:08x}{i * 7919 % 104729:08x}" for i in range(2000)]
    html = _html(_paste(client, badge))
    assert '<a class="permalink"' not in html
    assert "more than the 8,192 a link may take" in html


def test_broken_links_are_400_pages(client: TestClient) -> None:
    assert "This link is damaged" in _html(client.get("/verify?doc=!!!", headers=BROWSER), 400)
    assert "This link is damaged" in _html(client.get("/verify?doc=AAAA", headers=BROWSER), 400)
    missing = client.get("/verify?credential=urn:uuid:nothing-here", headers=BROWSER)
    assert "No such badge" in _html(missing, 404)


def test_an_offline_qr_payload_verifies(client: TestClient, hub: Hub) -> None:
    from passport_vc.qr.offline import encode_offline

    badge = issue_badge(client, hub, holderName="Amina Diallo")
    response = client.get("/verify", params={"qr": encode_offline(badge)}, headers=BROWSER)
    html = _html(response)
    assert "<strong>Valid</strong>" in html and "Amina Diallo" in html
    damaged = client.get("/verify", params={"qr": "PVC1:%%%"}, headers=BROWSER)
    assert "This QR payload could not be read" in _html(damaged, 400)


def test_a_presentation_signed_over_the_page_challenge_verifies(
    client: TestClient, hub: Hub
) -> None:
    key = SigningKey.generate()
    badge = issue_badge(client, hub, holder=key.did_key, holderName="Amina Diallo")
    challenge = _challenge(_html(client.get("/verify", headers=BROWSER)))
    presentation = sign_presentation(
        {
            "@context": [V2],
            "type": ["VerifiablePresentation"],
            "holder": key.did_key,
            "verifiableCredential": [badge],
        },
        key,
        ProofOptions(challenge=challenge),
    )
    html = _html(_paste(client, presentation, challenge=challenge))
    assert "Valid presentation of 1 badge" in html
    assert "<strong>Valid</strong>" in html and "Amina Diallo" in html
    assert "Technical checks of the presentation" in html
    # the challenge is single use: the same presentation again is refused
    replay = _html(_paste(client, presentation, challenge=challenge))
    assert "Not valid presentation" in replay
    assert "challenge is wrong or already used" in replay
