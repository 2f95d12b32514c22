"""The pages people browse at the API's own URLs: the map of facilities (`/facilities`) and the
skills taxonomy (`/skills`, `/skills/{code}`). Browsers get HTML; JSON clients and `?format=json`
get exactly what the API routes answer, errors included."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from tests.service.conftest import (  # noqa: F401 (fixtures)
    Hub,
    client,
    ctx,
    database_url,
    hub,
    other_hub,
    postgres_database,
    settings,
)
from tests.service.test_facilities import LAB, NANTES, WIKI
from tests.web.test_pages import API, BROWSER, PROBLEM_JSON, _page

from passport_vc.api import problems, routes_facilities, routes_public
from passport_vc.services import browse_views
from passport_vc.services.context import ServiceContext

BERLIN: dict[str, Any] = {
    "name": "Makerspace Berlin Werkstatt",
    "location": {"address": {"city": "Berlin", "country": "DE"}},
    "manufacturingProcesses": [WIKI + "Laser_cutting"],
    "equipment": [
        {
            "equipmentType": WIKI + "Laser_cutting",
            "make": "Epilog",
            "model": "Fusion Pro",
            "skillsRequired": [{"skill": "LASER-CUT", "minLevel": 3}],
        }
    ],
}


def _facility(client: TestClient, hub: Hub, body: dict[str, Any]) -> str:
    response = client.post(f"/makerspaces/{hub.slug}/facilities", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    facility_id: str = response.json()["id"]
    return facility_id


@pytest.fixture
def three(client: TestClient, hub: Hub, other_hub: Hub) -> dict[str, str]:
    """Fablab Cotonou (BJ, laser cutter and 3 printers), PiNG (FR, CNC router) and Makerspace
    Berlin Werkstatt (DE, a laser cutter needing LASER-CUT at level 3): name -> id."""
    return {
        "Fablab Cotonou": _facility(client, hub, LAB),
        "PiNG": _facility(client, other_hub, NANTES),
        "Makerspace Berlin Werkstatt": _facility(client, other_hub, BERLIN),
    }


# --- what every page must be ----------------------------------------------------------------


class _Structure(HTMLParser):
    """The parts of a page the accessibility rules are about."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found or tag in ("style", "script"):
            self.styles += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and found.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        elif tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        elif tag in ("input", "select", "textarea") and found.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(str(found.get("id")))


def _assert_accessible(html: str) -> _Structure:
    parsed = _Structure()
    parsed.feed(html)
    assert parsed.headings.count(1) == 1 and parsed.headings[0] == 1, parsed.headings
    for before, after in zip(parsed.headings, parsed.headings[1:], strict=False):
        assert after <= before + 1, parsed.headings
    assert parsed.captions == parsed.tables
    assert parsed.th_without_scope == 0
    assert all(control in parsed.labels for control in parsed.controls), parsed.controls
    assert parsed.styles == 0
    assert re.search(r"<title>[^<]+ · passport-vc</title>", html)
    assert re.search(r'<meta name="description" content="[^"]+">', html)
    assert "|safe" not in html
    return parsed


def _browse(client: TestClient, path: str, status: int = 200) -> str:
    html = _page(client, path, status)
    _assert_accessible(html)
    return html


def _main(html: str) -> str:
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def _rows(html: str) -> list[str]:
    """The facility names the list shows, in order."""
    return re.findall(r'<th scope="row"><a href="/facilities/[^"]+">([^<]+)</a></th>', html)


def _href(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _skill_links(html: str) -> list[str]:
    return re.findall(r'<a href="/skills/([A-Z0-9-]+)">', _main(html))


# --- negotiation: the API's JSON, byte for byte ---------------------------------------------


def test_each_page_renders_for_a_browser(client: TestClient, three: dict[str, str]) -> None:
    for path, h1 in (
        ("/facilities", "Facilities and their machines"),
        ("/skills", "Maker skills"),
        ("/skills/LASER-CUT", "Laser cutting"),
    ):
        html = _browse(client, path)
        assert f"<h1>{h1}</h1>" in html
        assert f'<meta property="og:url" content="https://hub.example{path}">' in html


def _api_only(ctx: ServiceContext) -> TestClient:
    """The API's own routes, without any page in front of them."""
    app = FastAPI()
    problems.install(app)
    app.include_router(routes_facilities.router)
    app.include_router(routes_public.router)
    app.state.ctx = ctx
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "path",
    [
        "/facilities",
        "/facilities?country=bj",
        "/facilities?process=Laser_cutting&limit=1&offset=1",
        "/facilities?equipmentType=" + WIKI + "CNC_router",
        "/facilities?country=XYZ",
        "/facilities?country=",
        "/facilities?limit=0",
        "/facilities?offset=-1",
        "/facilities?limit=many",
        "/skills",
        "/skills?q=laser",
        "/skills?q=laser&category=laser-cutting",
        "/skills?category=nope",
        "/skills/LASER-CUT",
        "/skills/NOPE",
    ],
)
def test_json_clients_get_exactly_what_the_api_answers(
    client: TestClient, ctx: ServiceContext, three: dict[str, str], path: str
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
        assert "Accept" in got.headers.get("vary", "") or got.status_code != 200
    assert expected.headers["content-type"].startswith(("application/json", PROBLEM_JSON))


def test_the_api_routes_stay_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/facilities", "/skills", "/skills/{code}"} <= set(paths)
    listed = paths["/facilities"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"country", "process", "equipmentType"}


# --- the map of facilities ------------------------------------------------------------------


def test_the_list_shows_each_facility_with_its_machines_and_skills(
    client: TestClient, hub: Hub, three: dict[str, str]
) -> None:
    html = _browse(client, "/facilities")
    assert _rows(html) == ["Fablab Cotonou", "Makerspace Berlin Werkstatt", "PiNG"]
    assert '<h2 id="found">3 facilities</h2>' in html
    assert "<caption>Facilities 1 to 3 of 3, by name</caption>" in html
    row = html.split(f'href="/facilities/{three["Fablab Cotonou"]}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>Cotonou, BJ</td>" in row
    assert f'<a href="/makerspaces/{hub.slug}">{hub.slug}</a>' in row
    assert "<li>Laser cutting</li>" in row and "<li>Fused filament fabrication</li>" in row
    assert '<td class="num">4</td>' in row  # a laser cutter and three printers
    assert re.findall(r'<a href="/skills/([A-Z-]+)">', row) == ["LASER-SAFETY", "LASER-CUT"]
    ping = html.split(f'href="/facilities/{three["PiNG"]}"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="muted">None</span>' in ping and "/skills/" not in ping


def test_the_filters_offer_what_exists_and_narrow_the_list(
    client: TestClient, three: dict[str, str]
) -> None:
    html = _browse(client, "/facilities")
    countries = re.findall(r'<option value="([A-Z]{2})"', html)
    assert countries == ["BJ", "DE", "FR"]
    # processes and equipment types by their Wikipedia titles, the URL as the value
    assert f'<option value="{WIKI}Fused_filament_fabrication">Fused filament fabrication<' in html
    assert f'<option value="{WIKI}CNC_router">CNC router</option>' in html
    assert '<label for="f-country">Country</label>' in html

    by_country = _browse(client, "/facilities?country=bj")
    assert _rows(by_country) == ["Fablab Cotonou"]
    assert '<option value="BJ" selected>BJ</option>' in by_country
    assert "1 facility matches the filters" in by_country
    laser = _browse(client, f"/facilities?process={WIKI}Laser_cutting")
    assert _rows(laser) == ["Fablab Cotonou", "Makerspace Berlin Werkstatt"]
    assert f'<option value="{WIKI}Laser_cutting" selected>' in laser
    by_title = _browse(client, "/facilities?equipmentType=cnc_router")  # a title selects too
    assert _rows(by_title) == ["PiNG"]
    assert f'<option value="{WIKI}CNC_router" selected>CNC router</option>' in by_title
    both = _browse(client, f"/facilities?process={WIKI}Laser_cutting&country=DE")
    assert _rows(both) == ["Makerspace Berlin Werkstatt"]
    none = _browse(client, "/facilities?country=US")
    assert _rows(none) == [] and "No facility matches these filters" in none
    assert '<option value="US" selected>US</option>' in none  # still shown as chosen


def test_empty_form_fields_are_dropped_for_browsers(
    client: TestClient, three: dict[str, str]
) -> None:
    response = client.get(
        "/facilities?country=BJ&process=&equipmentType=", headers=BROWSER, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/facilities?country=BJ"
    assert _rows(_browse(client, "/facilities?country=&process=&equipmentType=")) == [
        "Fablab Cotonou",
        "Makerspace Berlin Werkstatt",
        "PiNG",
    ]


def test_paging_links_keep_the_filters(client: TestClient, three: dict[str, str]) -> None:
    first = _browse(client, f"/facilities?process={WIKI}Laser_cutting&limit=1")
    assert _rows(first) == ["Fablab Cotonou"]
    assert "<caption>Facilities 1 to 1 of 2, by name</caption>" in first
    assert _href(first, "prev") is None
    assert '<input type="hidden" name="limit" value="1">' in first
    following = _href(first, "next")
    assert following is not None
    assert dict(parse_qsl(urlsplit(following).query)) == {
        "process": WIKI + "Laser_cutting",
        "limit": "1",
        "offset": "1",
    }
    second = _browse(client, following)
    assert _rows(second) == ["Makerspace Berlin Werkstatt"]
    assert _href(second, "next") is None
    back = _href(second, "prev")
    assert back is not None
    assert dict(parse_qsl(urlsplit(back).query)) == {
        "process": WIKI + "Laser_cutting",
        "limit": "1",
    }
    assert _rows(_browse(client, back)) == ["Fablab Cotonou"]
    past = _browse(client, "/facilities?limit=2&offset=10")
    assert _rows(past) == [] and "past the last" in past
    assert _href(past, "prev") == "/facilities?limit=2&offset=2"  # the last page
    assert _rows(_browse(client, "/facilities?limit=2&offset=2")) == ["PiNG"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("country=XYZ", "country"),
        ("process=" + "x" * 600, "process"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_a_bad_filter_is_the_apis_422_as_an_html_page(
    client: TestClient, query: str, field: str
) -> None:
    problem = client.get(f"/facilities?{query}", headers=API)
    assert problem.status_code == 422
    assert problem.headers["content-type"].startswith(PROBLEM_JSON)
    assert problem.json()["field"] == field
    html = _browse(client, f"/facilities?{query}", 422)
    assert "<h1>Invalid field</h1>" in html
    assert str(escape(problem.json()["detail"])) in html


def test_facility_text_is_escaped_in_the_list(client: TestClient, hub: Hub) -> None:
    body = copy.deepcopy(LAB)
    body["name"] = "<script>alert(1)</script>"
    body["location"]["address"]["city"] = '"><img src=x onerror=alert(2)>'
    _facility(client, hub, body)
    for path in ("/facilities", "/skills/LASER-CUT"):
        html = _browse(client, path)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


# --- the skills taxonomy --------------------------------------------------------------------


def test_the_taxonomy_is_browsed_by_category(client: TestClient, ctx: ServiceContext) -> None:
    html = _browse(client, "/skills")
    taxonomy = ctx.taxonomy
    sections = re.findall(r'<h2 id="category-([a-z-]+)">([^<]+)</h2>', html)
    assert [code for code, _ in sections] == [c.code for c in taxonomy.categories]
    assert sections[0][1] == taxonomy.categories[0].label_in("en")
    assert sorted(_skill_links(html)) == sorted(s.code for s in taxonomy.skills)
    for level in taxonomy.levels:
        assert f"<dt>{level.number} · {level.name_in('en')}</dt>" in html
    one = _browse(client, "/skills?category=cnc")
    assert re.findall(r'<h2 id="category-([a-z-]+)">', one) == ["cnc"]
    assert sorted(_skill_links(one)) == sorted(s.code for s in taxonomy.in_category("cnc"))
    assert '<option value="cnc" selected>' in one


def test_search_finds_the_laser_skills(client: TestClient, ctx: ServiceContext) -> None:
    html = _browse(client, "/skills?q=laser")
    found = _skill_links(html)
    assert found[:3] == ["LASER-CUT", "LASER-ENGRAVE", "LASER-SAFETY"]
    assert found == [s.code for s in ctx.taxonomy.search("laser")]  # best first
    assert "WOOD-" not in " ".join(found)
    assert '<input id="s-q" name="q" type="search" value="laser"' in html
    assert f'<h2 id="results">{len(found)} skills match “laser”</h2>' in html
    narrowed = _skill_links(_browse(client, "/skills?q=laser&category=design-cad"))
    assert narrowed and all(ctx.taxonomy.skill(c).category == "design-cad" for c in narrowed)
    nothing = _browse(client, "/skills?q=zzzqqq")
    assert "0 skills match" in nothing and _skill_links(nothing) == []
    hostile = _browse(client, "/skills?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>" not in hostile and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in hostile


def test_a_bad_category_is_an_html_422(client: TestClient) -> None:
    html = _browse(client, "/skills?category=nope", 422)
    assert "no skill category &#39;nope&#39;" in html
    problem = client.get("/skills?category=nope", headers=API)
    assert problem.status_code == 422
    assert problem.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_skill_page_lists_its_levels_and_the_machines_that_require_it(
    client: TestClient, ctx: ServiceContext, three: dict[str, str]
) -> None:
    html = _browse(client, "/skills/LASER-CUT")
    skill = ctx.taxonomy.skill("LASER-CUT")
    assert str(escape(skill.definition)) in html
    assert "<code>LASER-CUT</code>" in html and '<a href="/skills?category=laser-cutting">' in html
    for level in ctx.taxonomy.levels:
        assert f'<span class="level">{level.number} · {level.name_in("en")}</span>' in html
        assert str(escape(skill.criteria(level.number))) in html
    for alignment in skill.esco:
        assert f'<a href="{alignment.uri}" rel="external noopener">{alignment.label}</a>' in html
    assert '<a href="/skills/LASER-SAFETY">Laser safety</a>' in html  # needed first
    machines = _main(html).split('<h2 id="machines">', 1)[1]
    linked = re.findall(r'<a href="/facilities/([^"#]+)#machine-[^"]+">([^<]+)</a>', machines)
    assert linked == [
        (three["Fablab Cotonou"], "Fablab Cotonou"),
        (three["Makerspace Berlin Werkstatt"], "Makerspace Berlin Werkstatt"),
    ]
    assert "Trotec Laser SP500" in machines and "Epilog Fusion Pro" in machines
    assert re.findall(r'href="#level-(\d)">', machines) == ["2", "3"]
    # LASER-SAFETY is required by the Cotonou laser only; no machine requires CAD-2D
    safety = _main(_browse(client, "/skills/LASER-SAFETY")).split('<h2 id="machines">', 1)[1]
    assert "Fablab Cotonou" in safety and "Makerspace Berlin" not in safety
    assert "No machine listed on this service requires this skill yet" in _browse(
        client, "/skills/CAD-2D"
    )


def test_an_unknown_skill_is_an_html_404(client: TestClient) -> None:
    html = _browse(client, "/skills/NO-SUCH-SKILL", 404)
    assert "<h1>Not found</h1>" in html and "NO-SUCH-SKILL" in html
    problem = client.get("/skills/NO-SUCH-SKILL", headers=API)
    assert problem.status_code == 404
    assert problem.headers["content-type"].startswith(PROBLEM_JSON)


def test_machines_requiring_names_the_skill_exactly(
    client: TestClient, ctx: ServiceContext, three: dict[str, str]
) -> None:
    taxonomy = ctx.taxonomy
    cut, more = browse_views.machines_requiring(ctx, taxonomy.skill("LASER-CUT").uri)
    assert not more
    assert [(m.facility_name, m.make, m.min_level) for m in cut] == [
        ("Fablab Cotonou", "Trotec Laser", 2),
        ("Makerspace Berlin Werkstatt", "Epilog", 3),
    ]
    first, more = browse_views.machines_requiring(ctx, taxonomy.skill("LASER-CUT").uri, limit=1)
    assert [m.facility_name for m in first] == ["Fablab Cotonou"] and more
    # a URI that only starts like a required one matches nothing
    assert browse_views.machines_requiring(ctx, taxonomy.skill("LASER-CUT").uri[:-1]) == ([], False)
    assert browse_views.machines_requiring(ctx, "https://passport-vc.org/skills/%") == ([], False)
