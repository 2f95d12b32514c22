"""A makerspace's public pages at the API's own URLs: the list (`/makerspaces`) and each one's
profile (`/makerspaces/{slug}`). Browsers get HTML; JSON clients and `?format=json` get exactly
what the API routes answer, errors included."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from tests.service.conftest import (  # noqa: F401 (fixtures)
    ADMIN,
    HOLDER,
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
from tests.service.test_contracts import revoke
from tests.service.test_facilities import LAB, NANTES
from tests.web.test_browse_pages import _browse, _main
from tests.web.test_pages import API, BROWSER, PROBLEM_JSON

from passport_vc.api import problems, routes_makerspaces
from passport_vc.services import makerspaces
from passport_vc.services.context import ServiceContext

OTHER = "did:web:makers.example:kofi"


def _facility(client: TestClient, hub: Hub, body: dict[str, Any]) -> str:
    response = client.post(f"/makerspaces/{hub.slug}/facilities", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    facility_id: str = response.json()["id"]
    return facility_id


@pytest.fixture
def busy(client: TestClient, hub: Hub, other_hub: Hub) -> dict[str, str]:
    """Fablab Cotonou: two facilities, a rotated key, five badges (LASER-CUT three times, one
    of them revoked, SOLDER-THT twice); Makerspace Berlin: one badge. Facility name -> id."""
    ids = {
        "Fablab Cotonou": _facility(client, hub, LAB),
        "PiNG": _facility(client, hub, NANTES),
    }
    issue_badge(client, hub)
    issue_badge(client, hub, holder=OTHER)
    revoked = issue_badge(client, hub, level=2)
    rotated = client.post(f"/makerspaces/{hub.slug}/keys/rotate", headers=hub.auth)
    assert rotated.status_code == 200, rotated.text
    issue_badge(client, hub, skill="SOLDER-THT", level=2)
    issue_badge(client, hub, skill="SOLDER-THT", level=1, holder=OTHER)
    issue_badge(client, other_hub, skill="CAD-2D", level=1)
    revoke(client, hub, revoked["id"])
    return ids


# --- negotiation: the API's JSON, byte for byte ---------------------------------------------


def _api_only(ctx: ServiceContext) -> TestClient:
    """The API's own makerspace routes, without any page in front of them."""
    app = FastAPI()
    problems.install(app)
    app.include_router(routes_makerspaces.router)
    app.state.ctx = ctx
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "path",
    [
        "/makerspaces",
        "/makerspaces/fablab-cotonou",
        "/makerspaces/makerspace-berlin",
        "/makerspaces/no-such-place",
        "/makerspaces/x%00y",  # NUL: the API's 422 naming the slug
        "/makerspaces/fablab-cotonou?unknown=1",
    ],
)
def test_json_clients_get_exactly_what_the_api_answers(
    client: TestClient, ctx: ServiceContext, busy: dict[str, str], path: str
) -> None:
    api = _api_only(ctx)
    expected = api.get(path, headers=API)
    joiner = "&" if "?" in path else "?"
    for got, wanted in (
        (client.get(path, headers=API), expected),
        (client.get(path), expected),  # no Accept header, as curl sends */*
        (
            client.get(f"{path}{joiner}format=json", headers=BROWSER),
            api.get(f"{path}{joiner}format=json", headers=BROWSER),
        ),
    ):
        assert got.status_code == wanted.status_code, got.text
        assert got.headers["content-type"] == wanted.headers["content-type"]
        assert got.json() == wanted.json()
        assert "Accept" in got.headers["vary"]
    assert expected.headers["content-type"].startswith(("application/json", PROBLEM_JSON))


def test_the_api_routes_stay_as_they_were(client: TestClient, hub: Hub) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/makerspaces"]) == {"get", "post"}
    assert "get" in paths["/makerspaces/{slug}"]
    created = client.post("/makerspaces", json={"name": "PiNG Nantes"}, headers=ADMIN)
    assert created.status_code == 201, created.text  # POST passes the page route by
    document = client.get(f"/makerspaces/{hub.slug}/did.json", headers=BROWSER)
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/did+json"


# --- the list -------------------------------------------------------------------------------


def _set_url(ctx: ServiceContext, slug: str, url: str) -> None:
    """A URL the API would refuse (it takes http(s) only), as an older record may hold."""
    with ctx.db.session(write=True) as session:
        found = makerspaces.by_slug(session, slug)
        found.url = url
        session.add(found)


def test_the_list_shows_every_makerspace_by_name(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    atelier = register(client, "Atelier Zéro", location="Dakar, SN")
    _set_url(ctx, atelier.slug, "javascript:alert(1)")
    register(client, "Makerspace Berlin", location="Berlin, DE", url="https://berlin.example")
    html = _browse(client, "/makerspaces")
    assert "<h1>Makerspaces</h1>" in html and '<h2 id="registered">3 makerspaces</h2>' in html
    rows = re.findall(r'<th scope="row"><a href="/makerspaces/([^"]+)">([^<]+)</a></th>', html)
    assert rows == [
        ("atelier-z-ro", "Atelier Zéro"),
        (hub.slug, "Fablab Cotonou"),
        ("makerspace-berlin", "Makerspace Berlin"),
    ]
    berlin = html.split('href="/makerspaces/makerspace-berlin"', 1)[1].split("</tr>", 1)[0]
    assert "<td>Berlin, DE</td>" in berlin
    assert '<a href="https://berlin.example" rel="external noopener">' in berlin
    zero = html.split('href="/makerspaces/atelier-z-ro"', 1)[1].split("</tr>", 1)[0]
    assert "<td>Dakar, SN</td>" in zero
    assert 'href="javascript' not in html and "<td>javascript:alert(1)</td>" in zero
    cotonou = html.split(f'href="/makerspaces/{hub.slug}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>—</td>" in cotonou  # no location given
    assert '<a href="/makerspaces?format=json" type="application/json">' in html


def test_an_empty_list_says_so(client: TestClient) -> None:
    html = _browse(client, "/makerspaces")
    assert "No makerspace is registered yet." in html and "<table" not in html


# --- one makerspace -------------------------------------------------------------------------


def test_the_page_shows_who_it_is_and_its_did(client: TestClient, hub: Hub) -> None:
    registered = register(
        client,
        "PiNG",
        slug="ping",
        location="Nantes, FR",
        url="https://pingbase.net",
        email="contact@pingbase.example",
        facilityUrl="https://pingbase.net/atelier",
    )
    html = _browse(client, "/makerspaces/ping")
    main = _main(html)
    assert "<h1>PiNG</h1>" in main
    assert "<dt>Location</dt><dd>Nantes, FR</dd>" in main
    assert '<a href="https://pingbase.net" rel="external noopener">https://pingbase.net</a>' in main
    assert '<a href="mailto:contact@pingbase.example">contact@pingbase.example</a>' in main
    assert '<a href="https://pingbase.net/atelier" rel="external noopener">' in main
    assert f'<code class="did">{registered.did}</code>' in main
    assert '<a href="/makerspaces/ping/did.json" type="application/did+json">' in main
    assert '<a href="/verify">the verify page</a>' in main
    assert '<a href="/makerspaces/ping?format=json" type="application/json">' in main
    assert '<meta property="og:url" content="https://hub.example/makerspaces/ping">' in html
    assert "<title>PiNG · passport-vc</title>" in html
    # The DID document linked is the one served, and names the key the page lists.
    document = client.get("/makerspaces/ping/did.json").json()
    method = document["verificationMethod"][0]["id"]
    assert f'<th scope="row"><code class="did">{method}</code></th>' in main


def test_keys_say_which_sign_and_which_still_verify(
    client: TestClient, hub: Hub, busy: dict[str, str]
) -> None:
    keys = client.get(f"/makerspaces/{hub.slug}", headers=API).json()["keys"]
    assert [k["state"] for k in keys] == ["published", "active"]
    main = _main(_browse(client, f"/makerspaces/{hub.slug}"))
    rows = re.findall(
        r'<th scope="row"><code class="did">([^<]+)</code></th>\s*<td><strong>(\w+)</strong>',
        main,
    )
    assert rows == [(keys[0]["id"], "Published"), (keys[1]["id"], "Active")]
    assert "still verify" in main and "signs the badges it issues now" in main
    retired = client.post(
        f"/makerspaces/{hub.slug}/keys/retire", json={"key": keys[0]["id"]}, headers=hub.auth
    )
    assert retired.status_code == 200, retired.text
    main = _main(_browse(client, f"/makerspaces/{hub.slug}"))
    assert f"{keys[0]['id']}</code></th>\n      <td><strong>Retired</strong>" in main
    assert "no longer verify" in main


def test_facilities_link_to_their_pages(
    client: TestClient, hub: Hub, other_hub: Hub, busy: dict[str, str]
) -> None:
    main = _main(_browse(client, f"/makerspaces/{hub.slug}"))
    section = main.split('<h2 id="facilities">', 1)[1].split("</section>", 1)[0]
    found = re.findall(r'<a href="/facilities/([^"]+)">([^<]+)</a>', section)
    assert found == [(busy["Fablab Cotonou"], "Fablab Cotonou"), (busy["PiNG"], "PiNG")]
    assert "Cotonou, BJ" in section
    other = _main(_browse(client, f"/makerspaces/{other_hub.slug}"))
    assert "lists no facility here" in other and "/facilities/" not in other


def test_badges_issued_are_counted_by_skill(
    client: TestClient, hub: Hub, other_hub: Hub, busy: dict[str, str]
) -> None:
    main = _main(_browse(client, f"/makerspaces/{hub.slug}"))
    section = main.split('<h2 id="issued">', 1)[1].split("</section>", 1)[0]
    assert "5 badges issued, by skill (revoked and expired ones included)" in section
    counts = re.findall(
        r'<th scope="row"><a href="/skills/([A-Z0-9-]+)">([^<]+)</a></th>\s*'
        r'<td class="num">(\d+)</td>',
        section,
    )
    assert counts == [
        ("LASER-CUT", "Laser cutting", "3"),
        ("SOLDER-THT", "Through-hole soldering", "2"),
    ]
    other = _main(_browse(client, f"/makerspaces/{other_hub.slug}"))
    assert "1 badge issued, by skill" in other and 'href="/skills/CAD-2D"' in other
    nothing = register(client, "Quiet Lab")
    assert "has not issued a badge here yet" in _browse(client, f"/makerspaces/{nothing.slug}")


def test_an_unknown_slug_or_a_nul_is_the_apis_error_as_an_html_page(client: TestClient) -> None:
    for path, status in (("/makerspaces/no-such-place", 404), ("/makerspaces/x%00y", 422)):
        problem = client.get(path, headers=API)
        assert problem.status_code == status
        assert problem.headers["content-type"].startswith(PROBLEM_JSON)
        html = _browse(client, path, status)
        assert f"<h1>{problem.json()['title']}</h1>" in html
        assert str(escape(problem.json()["detail"])) in html


def test_what_a_makerspace_typed_is_shown_as_text(client: TestClient, ctx: ServiceContext) -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    registered = register(client, evil, slug="evil", location=evil, url="https://x.example/?a=<b>")
    for path in ("/makerspaces", f"/makerspaces/{registered.slug}"):
        html = _browse(client, path)
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert 'href="https://x.example/?a=&lt;b&gt;"' in html
    _set_url(ctx, registered.slug, "javascript:alert(3)")
    main = _main(_browse(client, f"/makerspaces/{registered.slug}"))
    assert (
        "<dt>Web site</dt><dd>javascript:alert(3)</dd>" in main and 'href="javascript' not in main
    )
