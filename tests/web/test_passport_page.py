"""The passport page: every badge of the maker in plain words with a live verdict, links to
each badge and to the presentation download, escaping, and the same 404 without a live token."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi.testclient import TestClient
from tests.service.conftest import (  # noqa: F401 (fixtures)
    Hub,
    client,
    ctx,
    database_url,
    hub,
    issue_badge,
    other_hub,
    postgres_database,
    register,
    settings,
)
from tests.service.test_passports import share
from tests.web.test_pages import BROWSER, _assert_self_contained

from passport_vc.keys import SigningKey


def _page(client: TestClient, url: str, status: int = 200) -> str:
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}", headers=BROWSER)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    _assert_self_contained(response.text)
    return response.text


def test_the_passport_page_shows_every_badge_in_plain_words(
    client: TestClient, hub: Hub, other_hub: Hub
) -> None:
    maker = SigningKey.generate()
    first = issue_badge(
        client, hub, holder=maker.did_key, evidence="Cut a 40-part plywood enclosure"
    )
    second = issue_badge(client, other_hub, holder=maker.did_key, skill="LASER-SAFETY", level=1)
    issue_badge(client, other_hub, skill="LASER-SAFETY", level=2)  # somebody else's
    url = share(client, maker)["url"]
    html = _page(client, url)

    assert "Maker passport" in html
    assert "2 badges, 2 valid now" in html
    assert "Laser cutting" in html and "Level 3 — Proficient" in html
    assert "Fablab Cotonou" in html and "Makerspace Berlin" in html
    assert "A makerspace registered here" in html
    assert "Cut a 40-part plywood enclosure" in html
    for badge in (first, second):
        uuid = badge["id"].rsplit("/", 1)[-1]
        assert f'href="/credentials/{uuid}"' in html
        assert f'href="/credentials/{uuid}?format=json"' in html
    token = url.split("token=", 1)[1]
    download = f"/passports/{quote(maker.did_key, safe='')}/presentation.json?token={token}"
    assert f'href="{download}"' in html.replace("&amp;", "&")
    assert "Download as a Verifiable Presentation" in html and "unsigned" in html
    assert "Level 2" not in html  # the other holder's badge
    assert '<meta name="robots" content="noindex">' in html
    # The token never reaches og:url or anything else in the head.
    assert token not in html.split("<body>", 1)[0]


def test_the_page_shows_a_revoked_badge_as_revoked(client: TestClient, hub: Hub) -> None:
    maker = SigningKey.generate()
    badge = issue_badge(client, hub, holder=maker.did_key)
    url = share(client, maker)["url"]
    assert "1 badge, 1 valid now" in _page(client, url)
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": badge["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text
    html = _page(client, url)
    assert "Revoked by the issuer" in html and "1 badge, 0 valid now" in html


def test_without_a_live_token_the_page_is_a_plain_404(client: TestClient, hub: Hub) -> None:
    maker = SigningKey.generate()
    issue_badge(client, hub, holder=maker.did_key)
    share(client, maker)
    html = _page(client, f"/passports/{quote(maker.did_key, safe='')}?token=nope", 404)
    assert "No such passport" in html and "Laser" not in html
    _page(client, f"/passports/{quote(maker.did_key, safe='')}?", 404)


def test_the_page_escapes_what_issuers_wrote(client: TestClient) -> None:
    evil = register(client, "<script>alert('x')</script> Lab")
    maker = SigningKey.generate()
    issue_badge(client, evil, holder=maker.did_key, evidence="<img src=x onerror=alert(1)>")
    html = _page(client, share(client, maker)["url"])
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(" in html


def test_json_clients_and_format_json_get_the_api_answer(client: TestClient, hub: Hub) -> None:
    maker = SigningKey.generate()
    issue_badge(client, hub, holder=maker.did_key)
    url = urlsplit(share(client, maker)["url"])
    response = client.get(f"{url.path}?{url.query}&format=json", headers=BROWSER)
    assert response.status_code == 200
    assert response.json()["holder"] == maker.did_key
    assert len(response.json()["credentials"]) == 1
