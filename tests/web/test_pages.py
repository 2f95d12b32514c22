"""The HTML pages at the resource URLs: browsers get the facility and contract pages, JSON
clients the same JSON as before; unknown ids, escaping, and nothing loaded from elsewhere."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from tests.service.conftest import (  # noqa: F401 (fixtures)
    HOLDER,
    Hub,
    client,
    ctx,
    database_url,
    hub,
    postgres_database,
    settings,
)
from tests.service.test_contracts import (  # noqa: F401 (fixtures)
    Parties,
    badges,
    contract,
    full_presentations,
    parties,
    revoke,
    run_check,
    terms,
    workshop,
)
from tests.service.test_facilities import LAB, WIKI

from passport_vc.web.rendering import wants_html

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"Accept": "application/json"}
PROBLEM_JSON = "application/problem+json"


def _facility(client: TestClient, hub: Hub, body: dict[str, Any]) -> str:
    response = client.post(f"/makerspaces/{hub.slug}/facilities", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    facility_id: str = response.json()["id"]
    return facility_id


def _page(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    html = response.text
    _assert_self_contained(html)
    return html


def _assert_self_contained(html: str) -> None:
    """A page: lang, title, Open Graph, no script at all, stylesheets from here only."""
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert re.search(r"<title>[^<]+</title>", html)
    for prop in ("og:title", "og:description", "og:type"):
        assert f'<meta property="{prop}" content="' in html
    assert "<script" not in html.lower()
    for link in re.findall(r"<link\b[^>]*>", html, flags=re.IGNORECASE):
        assert not re.search(r"href=\"(https?:)?//", link), link
    assert '<link rel="stylesheet" href="/static/passport.css">' in html
    assert "<main" in html and "<header" in html and "<nav" in html and "<h1>" in html


# --- negotiation -----------------------------------------------------------------------------


def _request(accept: str | None) -> Request:
    headers = [] if accept is None else [(b"accept", accept.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER["Accept"], True),
        ("text/html", True),
        ("application/xhtml+xml", True),
        ("text/*, application/json;q=0.5", True),
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/json, text/html", False),
        ("text/html;q=0.4, application/json;q=0.9", False),
        ("application/ld+json, */*;q=0.1", False),
        ("text/html;q=0", False),
        ("text/html;q=oops", False),
    ],
)
def test_wants_html_only_when_html_is_preferred(accept: str | None, html: bool) -> None:
    assert wants_html(_request(accept)) is html


# --- facilities ------------------------------------------------------------------------------


def test_the_facility_page_lists_every_machine_and_what_it_takes(
    client: TestClient, hub: Hub
) -> None:
    body = copy.deepcopy(LAB)
    body["accessType"] = "Membership"
    body["typicalMaterials"] = ["Plywood", "PLA"]
    body["equipment"][1]["condition"] = "Good"
    facility_id = _facility(client, hub, body)
    html = _page(client, f"/facilities/{facility_id}")

    assert "<h1>Fablab Cotonou</h1>" in html
    assert "Cotonou" in html and "Membership" in html and "Plywood" in html
    assert "https://www.openstreetmap.org/?mlat=6.3736012&amp;mlon=2.4257544" in html
    assert '<th scope="col">Skills required</th>' in html
    assert html.count('<th scope="row">') == 2
    for shown in ("Laser cutting", "3D printing", "Trotec Laser SP500", "Prusa MK4", "Good"):
        assert shown in html
    # the skills and their minimum levels by name, with the level's criteria
    for label in ("Laser safety", "Laser cutting", "Inducted", "Independent"):
        assert label in html
    assert "No skill badge required" in html
    # operators: counted, shown truncated with the full DID in the title
    assert f'title="{HOLDER}"' in html
    assert f">{HOLDER}<" not in html
    assert 'og:type" content="place"' in html


def test_json_clients_still_get_json_at_the_same_url(client: TestClient, hub: Hub) -> None:
    facility_id = _facility(client, hub, LAB)
    for headers in (API, {"Accept": "*/*"}, {}):
        response = client.get(f"/facilities/{facility_id}", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert (body["id"], body["makerspace"]) == (facility_id, hub.slug)
        assert len(body["facility"]["equipment"]) == 2
    assert "/facilities/{facility_id}" in client.get("/openapi.json").json()["paths"]


def test_html_in_facility_data_is_escaped(client: TestClient, hub: Hub) -> None:
    body = copy.deepcopy(LAB)
    body["name"] = "<script>alert(1)</script>"
    body["description"] = '"><img src=x onerror=alert(2)>'
    body["equipment"][0]["model"] = "<b>SP500</b>"
    facility_id = _facility(client, hub, body)
    html = _page(client, f"/facilities/{facility_id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>SP500</b>" not in html and "&lt;b&gt;SP500&lt;/b&gt;" in html


def test_an_unknown_id_is_an_html_404_for_browsers_and_problem_json_for_clients(
    client: TestClient,
) -> None:
    for path in (
        "/facilities/00000000-0000-4000-8000-000000000000",
        "/facilities/%3Cscript%3E",
        "/contracts/00000000-0000-4000-8000-000000000000",
    ):
        html = _page(client, path, 404)
        assert "<h1>No such " in html and "<script>" not in html
        response = client.get(path, headers=API)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert response.json()["status"] == 404


def test_the_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/static/passport.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "@media print" in response.text
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", response.text)


# --- contracts -------------------------------------------------------------------------------


def test_the_contract_page_shows_parties_and_requirements_before_any_check(
    client: TestClient, contract: str, parties: Parties, workshop: str
) -> None:
    html = _page(client, f"/contracts/{contract}")
    assert "Contract: Solar dryer enclosure" in html
    for did in (parties.buyer.did_key, parties.maker.did_key, parties.inspector.did_key):
        assert f'title="{did}"' in html
    for role in ("buyer", "manufacturer", "quality-inspector"):
        assert role in html
    assert f'href="/facilities/{workshop}"' in html
    assert "Laser cutting" in html and "Independent" in html  # LASER-CUT at least 2
    assert "Facility with equipment" in html
    assert "prototype" in html and "2026-09-01" in html
    assert "has not been checked yet" in html

    response = client.get(f"/contracts/{contract}", headers=API)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["contract"]["id"] == contract


def test_the_contract_page_shows_the_latest_decision_and_its_reasons(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    first = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert first["passed"] is True
    html = _page(client, f"/contracts/{contract}")
    assert "<strong>Passed</strong>" in html
    assert f'href="/contracts/{contract}/qualification-checks/{first["checkId"]}"' in html
    assert badges["maker"][0]["id"][-5:] in html  # the badge relied on

    revoke(client, hub, badges["inspector"][0]["id"])
    second = run_check(client, hub, contract, full_presentations(client, parties, badges))
    html = _page(client, f"/contracts/{contract}")
    assert "<strong>Not passed</strong>" in html
    assert "revoked by the issuer" in html
    assert f'/qualification-checks/{second["checkId"]}"' in html
    assert first["checkId"] not in html


def test_a_level_too_low_and_nothing_presented_are_said_in_plain_words(
    client: TestClient,
    hub: Hub,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
    workshop: str,
) -> None:
    body = terms(parties, workshop)
    body["requirements"]["manufacturer"][0]["minLevel"] = 4
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    contract_id = response.json()["id"]
    presentations = full_presentations(client, parties, badges)
    del presentations[parties.inspector.did_key]
    run_check(client, hub, contract_id, presentations)
    html = _page(client, f"/contracts/{contract_id}")
    assert "level too low: has 3, needs 4" in html
    assert "the party presented nothing" in html


def test_process_names_come_from_the_wikipedia_url(client: TestClient, hub: Hub) -> None:
    facility_id = _facility(client, hub, LAB)
    html = _page(client, f"/facilities/{facility_id}")
    assert f'href="{WIKI}Laser_cutting"' in html
    assert "Fused filament fabrication" in html
