"""The shared passport's QR code, read back with a real decoder: it opens the passport page,
token included; it is shown on that page; and it exists only while the share link is live
(a wrong token, another maker's token, or a revoked link get the passport's usual 404)."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

from fastapi.testclient import TestClient
from tests.qr.test_qr_routes import read_qr
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
from tests.service.test_passports import links_path, local, share

from passport_vc.keys import SigningKey

BROWSER = {"Accept": "text/html"}


def test_the_passport_qr_opens_the_shared_page(client: TestClient, hub: Hub) -> None:
    maker, stranger = SigningKey.generate(), SigningKey.generate()
    issue_badge(client, hub, holder=maker.did_key)
    issue_badge(client, hub, holder=stranger.did_key)
    link = share(client, maker)
    did = quote(maker.did_key, safe="")
    token = link["url"].split("token=", 1)[1]

    png = client.get(f"/passports/{did}/qr.png", params={"token": token})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"] == "no-store"
    assert read_qr(png.content) == link["url"]
    svg = client.get(f"/passports/{did}/qr.svg", params={"token": token})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(svg.text)  # well-formed

    page = client.get(local(link["url"]), headers=BROWSER).text
    assert f'src="/passports/{did}/qr.svg?token={token}"' in page
    assert f'href="/passports/{did}/qr.png?token={token}"' in page

    # Only a live token of this very passport gets a QR.
    theirs = share(client, stranger)["url"].split("token=", 1)[1]
    for bad in (None, "not-a-token", theirs):
        params = {"token": bad} if bad else {}
        for kind in ("png", "svg"):
            response = client.get(f"/passports/{did}/qr.{kind}", params=params)
            assert response.status_code == 404, (bad, kind, response.text)
    deleted = client.delete(
        f"{links_path(maker.did_key)}/{link['id']}",
        headers={"Authorization": f"Bearer {hub.api_key}"},
    )
    assert deleted.status_code == 204, deleted.text
    assert client.get(f"/passports/{did}/qr.png", params={"token": token}).status_code == 404
    assert urlsplit(link["url"]).hostname == "hub.example"
