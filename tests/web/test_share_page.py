"""/share: the maker makes a share link in the browser by pasting a presentation signed over the
page's challenge. The link works and opens only their passport; a presentation over a spent, a
foreign or no challenge, someone else's signature, or text that is not JSON makes nothing and
says why, on a form with a fresh challenge."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select
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

from passport_vc.credentials.signing import sign
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions
from passport_vc.services.context import ServiceContext
from passport_vc.store import ShareLink

V2 = "https://www.w3.org/ns/credentials/v2"


def form_challenge(client: TestClient) -> str:
    page = client.get("/share", headers=BROWSER)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    _assert_self_contained(page.text)
    found = re.search(r"--challenge ([A-Za-z0-9_-]+)", page.text)
    assert found, page.text
    return found.group(1)


def signed(key: SigningKey, challenge: str | None) -> dict[str, Any]:
    presentation = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": key.did_key}
    options = ProofOptions(proof_purpose="authentication", challenge=challenge)
    return sign(presentation, key, options)


def post(client: TestClient, presentation: Any, expiry: str = "30") -> Any:
    text = presentation if isinstance(presentation, str) else json.dumps(presentation)
    return client.post("/share", data={"presentation": text, "expiry": expiry}, headers=BROWSER)


def links(ctx: ServiceContext) -> int:
    with ctx.db.session() as session:
        return int(session.execute(select(func.count()).select_from(ShareLink)).scalar_one())


def test_a_maker_makes_a_link_that_opens_their_passport(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    maker = SigningKey.generate()
    issue_badge(client, hub, holder=maker.did_key, holderName="Wanjiru Kamau")
    response = post(client, signed(maker, form_challenge(client)), expiry="7")
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    _assert_self_contained(page)
    url = html_lib.unescape(re.search(r'class="permalink" href="([^"]+)"', page).group(1))
    assert url.startswith("https://hub.example/passports/did%3Akey%3A")
    assert "until 20" in page and "the only time the link is shown" in page
    parts = urlsplit(url)
    passport = client.get(f"{parts.path}?{parts.query}", headers=BROWSER)
    assert passport.status_code == 200 and "Wanjiru Kamau" in passport.text
    qr = re.search(r'<img class="qr" src="([^"]+)"', page).group(1)
    assert client.get(html_lib.unescape(qr)).status_code == 200
    assert links(ctx) == 1


@pytest.mark.parametrize(
    "case",
    ["spent challenge", "no challenge", "unknown challenge", "other signer", "not json", "array"],
)
def test_nothing_is_made_without_a_fresh_proof_of_the_holder(
    client: TestClient, ctx: ServiceContext, hub: Hub, case: str
) -> None:
    maker, other = SigningKey.generate(), SigningKey.generate()
    issue_badge(client, hub, holder=maker.did_key)
    challenge = form_challenge(client)
    body: Any
    if case == "spent challenge":
        assert post(client, signed(maker, challenge)).status_code == 201
        body = signed(maker, challenge)
    elif case == "no challenge":
        body = signed(maker, None)
    elif case == "unknown challenge":
        body = signed(maker, "not-a-challenge-of-this-service")
    elif case == "other signer":
        body = {**signed(other, challenge), "holder": maker.did_key}  # proof no longer fits
    elif case == "not json":
        body = '{"holder": '
    else:
        body = "[1, 2]"
    before = links(ctx)
    response = post(client, body)
    assert response.status_code in (400, 401, 422), response.text
    assert 'role="alert"' in response.text and "Not made:" in response.text
    assert links(ctx) == before
    # The form comes back with a new challenge and what was pasted, escaped.
    assert re.search(r"--challenge ([A-Za-z0-9_-]+)", response.text).group(1) != challenge
    assert "<script" not in response.text


def test_pasted_text_is_escaped(client: TestClient) -> None:
    response = post(client, "</textarea><script>alert(1)</script>")
    assert response.status_code == 400
    assert "<script>alert" not in response.text
    assert "&lt;/textarea&gt;&lt;script&gt;" in response.text
