"""The badge page at a credential's URL: plain words, a live verdict (valid, revoked,
suspended), JSON for clients and ?format=json, escaping, nothing loaded from elsewhere."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import (  # noqa: F401 (fixtures)
    HOLDER,
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


def _uuid(credential: dict[str, object]) -> str:
    return str(credential["id"]).rsplit("/", 1)[-1]


def _page(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    _assert_self_contained(response.text)
    return response.text


def _set_status(client: TestClient, hub: Hub, credential_id: str, purpose: str) -> None:
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
            "status": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text


def test_the_badge_page_says_it_all_in_plain_words(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(
        client, hub, holderName="Amina Diallo", evidence="Cut a 40-part plywood enclosure"
    )
    uuid = _uuid(badge)
    html = _page(client, f"/credentials/{uuid}")

    assert "Laser cutting" in html and "Laser &amp; cutting" in html
    assert "Level 3 — Proficient" in html
    assert "Fablab Cotonou" in html and "A makerspace registered here" in html
    assert "Amina Diallo" in html
    assert HOLDER[:18] in html  # the DID, shortened
    assert "Cut a 40-part plywood enclosure" in html
    assert "<strong>Valid</strong>" in html
    assert "<details>" in html and "Technical checks" in html
    title = "Laser cutting — level 3 — Fablab Cotonou"
    assert f"<title>{title} · passport-vc</title>" in html
    assert f'<meta property="og:title" content="{title}">' in html
    assert f'<img class="qr" src="/credentials/{uuid}/qr.svg"' in html
    assert re.search(r'<img [^>]*alt="QR code[^"]+"', html)
    assert f'href="/credentials/{uuid}?format=json" download=' in html
    assert f'href="/verify?credential={uuid}"' in html


@pytest.mark.parametrize(
    ("purpose", "words"),
    [("revocation", "Revoked by the issuer"), ("suspension", "Suspended by the issuer")],
)
def test_the_page_verifies_live_on_each_view(
    client: TestClient, hub: Hub, purpose: str, words: str
) -> None:
    badge = issue_badge(client, hub)
    path = f"/credentials/{_uuid(badge)}"
    assert "<strong>Valid</strong>" in _page(client, path)
    _set_status(client, hub, badge["id"], purpose)
    html = _page(client, path)
    assert f"<strong>{words}</strong>" in html
    assert "<strong>Valid</strong>" not in html
    assert "The issuer has withdrawn it" in html


@pytest.mark.parametrize("accept", ["application/json", "application/vc", "*/*", None])
def test_json_clients_still_get_the_credential(
    client: TestClient, hub: Hub, accept: str | None
) -> None:
    badge = issue_badge(client, hub)
    headers = {"Accept": accept} if accept else {}
    for ref in (_uuid(badge), badge["id"]):
        response = client.get(f"/credentials/{ref}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"verifiableCredential": badge}


def test_format_json_gives_json_to_a_browser_too(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    response = client.get(f"/credentials/{_uuid(badge)}?format=json", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"verifiableCredential": badge}


def test_an_unknown_badge_is_a_404_page_for_browsers_and_problem_json_for_clients(
    client: TestClient, hub: Hub
) -> None:
    missing = "/credentials/00000000-0000-0000-0000-000000000000"
    assert "No such badge" in _page(client, missing, 404)
    response = client.get(missing, headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_holder_name_is_escaped(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub, holderName="<script>x</script>")
    html = _page(client, f"/credentials/{_uuid(badge)}")
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script" not in html


def test_the_qr_route_is_not_shadowed(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    response = client.get(f"/credentials/{_uuid(badge)}/qr.svg", headers=BROWSER)
    assert response.status_code == 200
    assert "svg" in response.headers["content-type"]
