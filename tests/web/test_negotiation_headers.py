"""Answers at URLs shared by pages and the API: every one says `Vary: Accept` (a cache must not
serve a browser's page to an API client, or an API client's problem+json to a browser), and a
database outage met by a browser is the HTML error page (503, Retry-After) while JSON clients
keep getting problem+json."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

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
from tests.service.test_facilities import LAB
from tests.service.test_outage import fail_first_sessions
from tests.service.test_passports import local, share
from tests.web.test_console import _csrf, _html, _login, browser  # noqa: F401
from tests.web.test_pages import API, BROWSER, PROBLEM_JSON, _assert_self_contained

from passport_vc.api.problems import vary_on_accept
from passport_vc.keys import SigningKey
from passport_vc.services.context import ServiceContext
from passport_vc.store import StoreUnavailableError


def _varies_on_accept(response: Any) -> bool:
    values = [v.strip().lower() for v in response.headers.get("vary", "").split(",")]
    return "accept" in values


def _uuid(credential: dict[str, Any]) -> str:
    return str(credential["id"]).rsplit("/", 1)[-1]


@pytest.fixture
def places(client: TestClient, hub: Hub) -> dict[str, str]:
    """A badge, a facility and a maker's passport link: path of each page."""
    maker = SigningKey.generate()
    badge = issue_badge(client, hub, holder=maker.did_key)
    facility = client.post(f"/makerspaces/{hub.slug}/facilities", json=LAB, headers=hub.auth)
    assert facility.status_code == 201, facility.text
    return {
        "credential": f"/credentials/{_uuid(badge)}",
        "facility": f"/facilities/{facility.json()['id']}",
        "makerspace": f"/makerspaces/{hub.slug}",
        "passport": local(share(client, maker)["url"]),
    }


# --- Vary: Accept -----------------------------------------------------------------------------


def test_vary_on_accept_keeps_what_a_response_already_varies_on() -> None:
    assert vary_on_accept(None) == {"Vary": "Accept"}
    assert vary_on_accept({"Retry-After": "2"}) == {"Retry-After": "2", "Vary": "Accept"}
    assert vary_on_accept({"vary": "Origin"}) == {"Vary": "Origin, Accept"}
    assert vary_on_accept({"Vary": "origin, accept"}) == {"Vary": "origin, accept"}
    assert vary_on_accept({"Vary": "*"}) == {"Vary": "*"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/credentials/nope", None, 404),  # a page's URL: problem+json for clients
        ("GET", "/facilities/nope", None, 404),
        ("GET", "/makerspaces/nope", None, 404),
        ("GET", "/contracts/nope", None, 404),
        ("GET", "/skills/NOPE", None, 404),
        ("GET", "/passports/did:key:z6Mk?token=wrong", None, 404),
        ("GET", "/facilities?limit=0", None, 422),  # the validation handler
        ("GET", "/makerspaces/x%00y", None, 422),
        ("GET", "/no/such/route", None, 404),  # Starlette's 404 and 405
        ("DELETE", "/skills", None, 405),
        ("GET", "/makerspaces/fablab-cotonou/credentials", None, 401),
        ("POST", "/credentials/verify", b'{"verifiableCredential": ', 400),
    ],
)
def test_every_problem_varies_on_accept(
    client: TestClient, hub: Hub, method: str, path: str, body: bytes | None, status: int
) -> None:
    headers = {**API, **({"Content-Type": "application/json"} if body is not None else {})}
    response = client.request(method, path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert _varies_on_accept(response), response.headers
    if status == 401:  # the handler's own headers stay
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_unexpected_error_varies_on_accept(
    client: TestClient, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextlib.contextmanager
    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise RuntimeError("a bug")
        yield

    monkeypatch.setattr(ctx.db, "session", broken)
    response = client.get("/makerspaces", headers=API)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert _varies_on_accept(response)


def test_pages_and_their_json_vary_on_accept(client: TestClient, places: dict[str, str]) -> None:
    negotiated = [*places.values(), "/facilities", "/skills", "/skills/LASER-CUT", "/makerspaces"]
    for path in negotiated:
        for headers in (BROWSER, API):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)
            assert _varies_on_accept(response), (path, headers, response.headers)
        page = client.get(path, headers=BROWSER)
        assert page.headers["content-type"].startswith("text/html"), path
    for path, status in (("/credentials/nope", 404), ("/makerspaces/nope", 404)):
        page = client.get(path, headers=BROWSER)
        assert page.status_code == status and page.headers["content-type"].startswith("text/html")
        assert _varies_on_accept(page)
    for path in ("/verify", "/console/login"):  # pages only, with the pages' headers
        assert _varies_on_accept(client.get(path, headers=BROWSER)), path


# --- a database outage ------------------------------------------------------------------------


def _outage(ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every database session fails as in an outage, until the test ends."""

    @contextlib.contextmanager
    def down(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise StoreUnavailableError("the database is unavailable (test); retry shortly")
        yield

    monkeypatch.setattr(ctx.db, "session", down)


def _unavailable_page(response: Any) -> str:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "2"
    assert _varies_on_accept(response)
    html = str(response.text)
    _assert_self_contained(html)
    assert "<h1>Service unavailable</h1>" in html
    assert "Try again in a few seconds" in html
    return html


def _unavailable_problem(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == "2"
    assert _varies_on_accept(response)
    problem = response.json()
    assert problem["status"] == 503 and problem["type"].endswith("#UNAVAILABLE")


@pytest.mark.parametrize("page", ["credential", "passport", "makerspace", "facility"])
def test_an_outage_is_an_html_503_for_a_browser_and_problem_json_for_clients(
    client: TestClient,
    ctx: ServiceContext,
    places: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    page: str,
) -> None:
    path = places[page]
    fail_first_sessions(ctx, monkeypatch, 1)
    _unavailable_page(client.get(path, headers=BROWSER))
    fail_first_sessions(ctx, monkeypatch, 1)
    _unavailable_problem(client.get(path, headers=API))
    fail_first_sessions(ctx, monkeypatch, 1)
    joiner = "&" if "?" in path else "?"
    _unavailable_problem(client.get(f"{path}{joiner}format=json", headers=BROWSER))
    # the database back, the page is there again
    again = client.get(path, headers=BROWSER)
    assert again.status_code == 200 and again.headers["content-type"].startswith("text/html")


def test_a_form_posted_during_an_outage_is_an_html_503(
    client: TestClient, ctx: ServiceContext, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    badge = issue_badge(client, hub)
    _outage(ctx, monkeypatch)
    posted = client.post("/verify", data={"document": json.dumps(badge)}, headers=BROWSER)
    _unavailable_page(posted)
    # A JSON client of the API in the same outage: problem+json, as before.
    _unavailable_problem(
        client.post("/credentials/verify", json={"verifiableCredential": badge}, headers=API)
    )


def test_the_console_in_an_outage_is_an_html_503(
    browser: TestClient, ctx: ServiceContext, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console/issue")))
    _outage(ctx, monkeypatch)
    html = _unavailable_page(browser.get("/console"))
    assert re.search(r"Error 503\.", html)
    form = {"csrf": csrf, "skill": "LASER-CUT", "level": "2", "holder": HOLDER}
    _unavailable_page(browser.post("/console/issue", data=form))


def test_a_passport_page_in_an_outage_leaks_no_token(
    client: TestClient, ctx: ServiceContext, places: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = places["passport"]
    token = path.split("token=", 1)[1]
    _outage(ctx, monkeypatch)
    html = _unavailable_page(client.get(path, headers=BROWSER))
    assert token not in html and quote(token, safe="") not in html


def test_an_outage_on_a_browse_page_is_a_503_page_for_a_browser(
    client: TestClient, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.service.test_outage import fail_first_sessions

    fail_first_sessions(ctx, monkeypatch, 1)
    response = client.get("/facilities", headers={"Accept": "text/html"})
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert response.headers["content-type"].startswith("text/html")
