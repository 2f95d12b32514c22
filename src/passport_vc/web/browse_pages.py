"""The pages people browse, at the API's own URLs: the map of facilities (`/facilities`) and
the skills taxonomy (`/skills`, `/skills/{code}`). A browser (Accept prefers text/html) gets
HTML; every other client, and `?format=json`, the API's JSON.

Each page takes its API answer from the API route's own function, used as a dependency: the
same query and path parameters, validated the same way, so a JSON client cannot tell the page
route from the API route, errors included. For a browser, `BrowsePageRoute` turns those errors
into HTML pages with the same status and detail. Register this router before the API routers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute

from passport_vc.api import routes_facilities, routes_public
from passport_vc.api.deps import CtxDep
from passport_vc.errors import PARSING_ERROR, PassportVcError
from passport_vc.services import browse_views
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import ServiceError
from passport_vc.store import StoreUnavailableError
from passport_vc.taxonomy import Skill, Taxonomy
from passport_vc.web.rendering import error_page, render, wants_html, wiki_title

FILTERS = ("country", "process", "equipmentType")


def for_browser(request: Request) -> bool:
    """Whether to answer HTML: the Accept header prefers it and `?format=json` is not asked."""
    return request.query_params.get("format") != "json" and wants_html(request)


class BrowsePageRoute(APIRoute):
    """For a browser: a form's empty fields are dropped (a redirect to the URL without them,
    as the API takes an empty filter for a wrong one), and an error is an HTML page with the
    status and detail the API's problem+json gives. JSON clients pass straight through."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if not for_browser(request):
                return await handler(request)
            given = request.query_params.multi_items()
            if any(not value for _, value in given):
                kept = [(key, value) for key, value in given if value]
                return RedirectResponse(
                    _with_query(request.url.path, kept), status_code=303, headers={"Vary": "Accept"}
                )
            try:
                return await handler(request)
            except RequestValidationError as exc:
                field, reason = _first_error(exc)
                return error_page(request, 422, "Invalid field", f"{field}: {reason}")
            except StoreUnavailableError:
                raise  # a 503 with Retry-After, from the app's handler (HTML for browsers)
            except PassportVcError as exc:  # the status the app's problem handlers give it
                if isinstance(exc, ServiceError):
                    status = exc.status
                else:
                    status = 400 if exc.problem_type == PARSING_ERROR else 422
                return error_page(request, status, exc.title, exc.detail)

        return handle


def _first_error(exc: RequestValidationError) -> tuple[str, str]:
    """The field (the query or path parameter) and reason of the first error, as the API's
    problem+json names them."""
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("query", "path", "header"):
            location = location[1:]
        return ".".join(location) or "(query)", str(error.get("msg", "invalid"))
    return "(query)", "invalid"


def _with_query(path: str, query: Iterable[tuple[str, str]]) -> str:
    encoded = urlencode(list(query))
    return f"{path}?{encoded}" if encoded else path


def _json_url(request: Request) -> str:
    """This page's URL asking for the API's JSON."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "format"]
    return _with_query(request.url.path, [*query, ("format", "json")])


def _json(answer: Mapping[str, Any]) -> JSONResponse:
    return JSONResponse(jsonable_encoder(answer), headers={"Vary": "Accept"})


router = APIRouter(include_in_schema=False, route_class=BrowsePageRoute)

FacilityListing = Annotated[dict[str, Any], Depends(routes_facilities.list_facilities)]
SkillListing = Annotated[dict[str, Any], Depends(routes_public.list_skills)]
SkillAnswer = Annotated[dict[str, Any], Depends(routes_public.get_skill)]


# --- the map of facilities ----------------------------------------------------------------


@router.get("/facilities")
def facilities_page(request: Request, ctx: CtxDep, listing: FacilityListing) -> Response:
    if not for_browser(request):
        return _json(listing)
    return render(request, "facilities.html", facilities_view(ctx, request, listing))


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


def _options(values: Iterable[str], given: str | None, label: Callable[[str], str]) -> list[Option]:
    """A select's options, the given filter selected; a value given that no facility has (or a
    Wikipedia title where the options are URLs) is matched by its title, or else offered too."""
    values = list(values)
    chosen = None
    if given:
        key = _title_key(given)
        chosen = next((v for v in values if v == given), None) or next(
            (v for v in values if _title_key(v) == key), None
        )
        if chosen is None:
            values.append(given)
            chosen = given
    options = [Option(v, label(v), v == chosen) for v in values]
    return sorted(options, key=lambda o: o.label.casefold())


def _title_key(value: str) -> str:
    text = value.rsplit("/", 1)[-1] if "://" in value else value
    return wiki_title(text).casefold()


def facilities_view(
    ctx: ServiceContext, request: Request, listing: Mapping[str, Any]
) -> dict[str, Any]:
    total, limit, offset = int(listing["total"]), int(listing["limit"]), int(listing["offset"])
    items: list[dict[str, Any]] = list(listing["items"])
    extras = browse_views.facility_extras(ctx, [item["id"] for item in items])
    found = browse_views.filter_options(ctx)
    given = {name: request.query_params.get(name) for name in FILTERS}
    country = given["country"]
    countries = _options(found.countries, country.upper() if country else None, lambda code: code)
    rows = []
    for item in items:
        extra = extras.get(item["id"], browse_views.FacilityExtras([], []))
        machines = item.get("equipment") or []
        rows.append(
            {
                "id": item["id"],
                "name": item.get("name") or item["id"],
                "place": ", ".join(str(p) for p in (item.get("city"), item.get("country")) if p),
                "makerspace": item.get("makerspace"),
                "processes": extra.processes,
                "machines": sum(_quantity(m) for m in machines),
                "skills": [_skill_link(ctx.taxonomy, uri) for uri in extra.skills],
            }
        )
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]

    last_page = (total - 1) // limit * limit if total else 0
    previous = max(min(offset - limit, last_page), 0)  # from past the end: the last page

    def page_url(at: int) -> str:
        return _with_query(request.url.path, [*query, *([("offset", str(at))] if at else [])])

    return {
        "filters": given,
        "limit": request.query_params.get("limit"),
        "json_url": _json_url(request),
        "filtered": any(given.values()),
        "countries": countries,
        "processes": _options(found.processes, given["process"], wiki_title),
        "equipment_types": _options(found.equipment_types, given["equipmentType"], wiki_title),
        "total": total,
        "first": offset + 1 if rows else 0,
        "last": offset + len(rows),
        "facilities": rows,
        "previous_url": page_url(previous) if offset > 0 else None,
        "next_url": page_url(offset + limit) if offset + limit < total else None,
    }


def _quantity(machine: Mapping[str, Any]) -> int:
    quantity = machine.get("quantity", 1)
    return quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 1


def _skill_link(taxonomy: Taxonomy, uri: str) -> dict[str, Any]:
    skill = taxonomy.find(uri)
    return {"code": skill.code if skill else None, "label": skill.label_in("en") if skill else uri}


# --- the skills taxonomy ------------------------------------------------------------------


@router.get("/skills")
def skills_page(request: Request, ctx: CtxDep, listing: SkillListing) -> Response:
    if not for_browser(request):
        return _json(listing)
    return render(request, "skills.html", skills_view(ctx, request, listing))


def _skill_item(taxonomy: Taxonomy, skill: Skill) -> dict[str, Any]:
    return {
        "code": skill.code,
        "label": skill.label_in("en"),
        "definition": skill.definition,
        "category": taxonomy.category(skill.category).label_in("en"),
        "deprecated": skill.status != "active",
    }


def skills_view(
    ctx: ServiceContext, request: Request, listing: Mapping[str, Any]
) -> dict[str, Any]:
    taxonomy = ctx.taxonomy
    listed = {item["code"] for item in listing["skills"]}
    q = request.query_params.get("q") or ""
    category = request.query_params.get("category")
    chosen = taxonomy.category(category).code if category else None  # the API found it
    results = None
    if q:  # best first, as the taxonomy ranks them
        results = [_skill_item(taxonomy, s) for s in taxonomy.search(q) if s.code in listed]
    sections = [
        {
            "code": c.code,
            "label": c.label_in("en"),
            "skills": [
                _skill_item(taxonomy, s)
                for s in taxonomy.skills
                if s.category == c.code and s.code in listed
            ],
        }
        for c in taxonomy.categories
        if chosen in (None, c.code)
    ]
    return {
        "json_url": _json_url(request),
        "taxonomy": {"name": taxonomy.name, "version": taxonomy.version, "id": taxonomy.id},
        "count": len(taxonomy.skills),
        "q": q,
        "chosen": chosen,
        "categories": [
            Option(c.code, c.label_in("en"), c.code == chosen) for c in taxonomy.categories
        ],
        "results": results,
        "sections": [s for s in sections if s["skills"]],
        "levels": [
            {"number": lv.number, "name": lv.name_in("en"), "description": lv.description}
            for lv in taxonomy.levels
        ],
    }


@router.get("/skills/{code}")
def skill_page(request: Request, ctx: CtxDep, answer: SkillAnswer) -> Response:
    if not for_browser(request):
        return _json(answer)
    return render(request, "skill.html", skill_view(ctx, answer))


def skill_view(ctx: ServiceContext, answer: Mapping[str, Any]) -> dict[str, Any]:
    taxonomy = ctx.taxonomy
    skill = taxonomy.skill(answer["id"])
    names = {lv.number: lv.name_in("en") for lv in taxonomy.levels}
    machines, more = browse_views.machines_requiring(ctx, skill.uri)
    prerequisites = [_skill_link(taxonomy, code) for code in skill.prerequisites]
    return {
        "uri": skill.uri,
        "code": skill.code,
        "label": skill.label_in("en"),
        "definition": skill.definition,
        "category": answer["category"],
        "kind": skill.kind,
        "deprecated": skill.status != "active",
        "validity_months": skill.default_validity_months,
        "prerequisites": prerequisites,
        "equipment_types": list(skill.okw_equipment_types),
        "processes": list(skill.okw_processes),
        "esco": [{"uri": a.uri, "label": a.label, "match": a.match} for a in skill.esco],
        "levels": [
            {
                "number": level["level"],
                "name": level["name"],
                "criteria": level.get("criteria"),
            }
            for level in answer["levels"]
        ],
        "machines": [
            {
                "facility_id": m.facility_id,
                "facility": m.facility_name,
                "place": ", ".join(p for p in (m.city, m.country) if p),
                "makerspace": m.makerspace,
                "type": m.equipment_type,
                "process": m.process,
                "make_model": " ".join(p for p in (m.make, m.model) if p),
                "quantity": m.quantity,
                "equipment_id": m.equipment_id,
                "min_level": m.min_level,
                "level_name": names.get(m.min_level, f"level {m.min_level}"),
            }
            for m in machines
        ],
        "more_machines": more,
    }
