"""A makerspace's public pages, at the API's own URLs: the list of makerspaces (`/makerspaces`)
and each one's profile (`/makerspaces/{slug}`): who it is, its DID and signing keys, its
facilities, the badges it has issued by skill, and how to check one. A browser (Accept prefers
text/html) gets HTML; every other client, and `?format=json`, the API's JSON.

As in web.browse_pages, each page takes its API answer from the API route's own function, used
as a dependency, and the router refuses NUL in the slug as the API's router does: a JSON client
cannot tell the page route from the API route, errors included. Register this router before
the API routers; it shadows only their GET routes (POST /makerspaces passes by)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlmodel import col

from passport_vc.api import routes_makerspaces
from passport_vc.api.deps import CtxDep
from passport_vc.api.schemas import NO_NUL
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import ServiceError
from passport_vc.services.makerspaces import ACTIVE, PUBLISHED, RETIRED
from passport_vc.store import CredentialRecord, Facility
from passport_vc.web.rendering import error_page, for_browser, render

# What each key state means to someone checking a badge.
KEY_STATES = {
    ACTIVE: ("Active", "signs the badges it issues now"),
    PUBLISHED: ("Published", "no longer signs, but the badges it signed still verify"),
    RETIRED: ("Retired", "removed from the DID document: the badges it signed no longer verify"),
}


@dataclass(frozen=True)
class SkillCount:
    """How many badges of one skill a makerspace has issued; `code` None for a skill the
    taxonomy no longer knows (its URI is the label then)."""

    code: str | None
    label: str
    count: int


class MakerspacePageRoute(APIRoute):
    """For a browser, an error the API answers with problem+json (no such makerspace, a NUL in
    the slug) is an HTML page with the same status and detail; JSON clients pass straight
    through. A database outage is left to the app's handler, which answers a browser with the
    HTML 503 page and Retry-After itself. (Not browse_pages.BrowsePageRoute: these pages take
    no query to tidy, and it answers an outage, a PassportVcError too, with a 422 page.)"""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if not for_browser(request):
                return await handler(request)
            try:
                return await handler(request)
            except ServiceError as exc:
                return error_page(request, exc.status, exc.title, exc.detail)

        return handle


router = APIRouter(include_in_schema=False, route_class=MakerspacePageRoute, dependencies=[NO_NUL])

Listing = Annotated[dict[str, Any], Depends(routes_makerspaces.list_makerspaces)]
Profile = Annotated[dict[str, Any], Depends(routes_makerspaces.get_makerspace)]


def _json(answer: Mapping[str, Any]) -> JSONResponse:
    return JSONResponse(jsonable_encoder(answer), headers={"Vary": "Accept"})


def _json_url(request: Request) -> str:
    return f"{request.url.path}?format=json"


# --- the list ---------------------------------------------------------------------------------


@router.get("/makerspaces")
def makerspaces_page(request: Request, listing: Listing) -> Response:
    if not for_browser(request):
        return _json(listing)
    return render(request, "makerspaces.html", makerspaces_view(request, listing))


def makerspaces_view(request: Request, listing: Mapping[str, Any]) -> dict[str, Any]:
    items = sorted(listing["makerspaces"], key=lambda m: (str(m["name"]).casefold(), m["slug"]))
    return {
        "json_url": _json_url(request),
        "makerspaces": [
            {
                "slug": item["slug"],
                "name": item["name"],
                "location": item.get("location"),
                "url": item.get("url"),
            }
            for item in items
        ],
    }


# --- one makerspace ---------------------------------------------------------------------------


@router.get("/makerspaces/{slug}")
def makerspace_page(request: Request, ctx: CtxDep, profile: Profile) -> Response:
    if not for_browser(request):
        return _json(profile)
    return render(request, "makerspace.html", makerspace_view(ctx, request, profile))


def makerspace_view(
    ctx: ServiceContext, request: Request, profile: Mapping[str, Any]
) -> dict[str, Any]:
    slug = str(profile["slug"])
    facilities, counts = _facilities_and_badges(ctx, int(profile["id"]))
    badges = []
    for uri, count in counts:
        skill = ctx.taxonomy.find(uri) if uri else None
        label = skill.label_in("en") if skill else (uri or "No skill named")
        badges.append(SkillCount(skill.code if skill else None, label, count))
    badges.sort(key=lambda b: (-b.count, b.label.casefold()))
    keys = [
        {
            "id": key["id"],
            "state": key["state"],
            "state_name": KEY_STATES.get(key["state"], (key["state"], ""))[0],
            "meaning": KEY_STATES.get(key["state"], ("", ""))[1],
            "created": str(key["createdAt"])[:10],
        }
        for key in profile.get("keys", [])
    ]
    return {
        "slug": slug,
        "name": profile["name"],
        "url": profile.get("url"),
        "email": profile.get("email"),
        "location": profile.get("location"),
        "facility_url": profile.get("facilityUrl"),
        "did": profile["did"],
        "did_method": profile.get("didMethod"),
        "did_document_url": f"/makerspaces/{quote(slug, safe='')}/did.json",
        "registered": str(profile.get("createdAt") or "")[:10],
        "keys": keys,
        "facilities": facilities,
        "badges": badges,
        "badges_total": sum(b.count for b in badges),
        "json_url": _json_url(request),
    }


def _facilities_and_badges(
    ctx: ServiceContext, makerspace_id: int
) -> tuple[list[dict[str, Any]], list[tuple[str | None, int]]]:
    """The makerspace's facilities by name, and how many badges it has issued of each skill
    (one grouped query: revoked and expired badges count, as they were issued)."""
    with ctx.db.session() as session:
        rows = session.execute(
            select(col(Facility.id), col(Facility.name), col(Facility.city), col(Facility.country))
            .where(col(Facility.makerspace_id) == makerspace_id)
            .order_by(col(Facility.name), col(Facility.id))
        ).all()
        counts = session.execute(
            select(col(CredentialRecord.skill_uri), func.count())
            .where(col(CredentialRecord.makerspace_id) == makerspace_id)
            .group_by(col(CredentialRecord.skill_uri))
        ).all()
    facilities = [
        {
            "id": facility_id,
            "name": name or facility_id,
            "place": ", ".join(str(p) for p in (city, country) if p),
        }
        for facility_id, name, city, country in rows
    ]
    return facilities, [(uri, int(count)) for uri, count in counts]
