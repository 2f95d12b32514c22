"""Pages at the resource URLs: a browser (Accept prefers text/html) gets HTML, every other
client the JSON the API routes answer. Register this router before the API routers: its routes
shadow theirs for the same path and hand JSON clients straight to them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from passport_vc.api import routes_contracts, routes_facilities
from passport_vc.api.deps import CtxDep
from passport_vc.services import contracts, facilities, makerspaces
from passport_vc.services import qualifications as q
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import NotFoundError
from passport_vc.web.rendering import error_page, render, wants_html

router = APIRouter(include_in_schema=False)


def _negotiated(
    request: Request,
    answer: Callable[[], dict[str, Any]],
    page: Callable[[dict[str, Any]], Response],
    what: str,
) -> Response:
    """JSON from `answer` for clients (its errors stay problem+json); for browsers the page
    built from it, or an HTML 404."""
    if not wants_html(request):
        return JSONResponse(jsonable_encoder(answer()), headers={"Vary": "Accept"})
    try:
        found = answer()
    except NotFoundError as exc:
        return error_page(request, 404, f"No such {what}", exc.detail)
    return page(found)


# --- facilities ----------------------------------------------------------------------------


@router.get("/facilities/{facility_id}")
def facility_page(facility_id: str, request: Request, ctx: CtxDep) -> Response:
    return _negotiated(
        request,
        lambda: routes_facilities.get_facility(facility_id, ctx),
        lambda found: render(request, "facility.html", facility_view(ctx, found)),
        "facility",
    )


def facility_view(ctx: ServiceContext, found: Mapping[str, Any]) -> dict[str, Any]:
    record: Mapping[str, Any] = found["facility"]
    location: Mapping[str, Any] = record.get("location") or {}
    address: Mapping[str, Any] = location.get("address") or {}
    gps: Mapping[str, Any] = location.get("gpsCoordinates") or {}
    lat, lon = gps.get("latitude"), gps.get("longitude")
    map_url = (
        f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"
        if lat is not None and lon is not None
        else None
    )
    parts = ("number", "street", "district", "city", "region", "postcode", "country")
    return {
        "id": found["id"],
        "makerspace": found.get("makerspace"),
        "name": record.get("name") or found["id"],
        "description": record.get("description"),
        "status": record.get("facilityStatus"),
        "access_type": record.get("accessType"),
        "address": ", ".join(str(address[k]) for k in parts if address.get(k)),
        "directions": location.get("directions"),
        "gps": {"latitude": lat, "longitude": lon} if map_url else None,
        "map_url": map_url,
        "agents": [
            (title, _agent(agent))
            for key, title in (("owner", "Owner"), ("contact", "Contact"))
            if isinstance(agent := record.get(key), Mapping)
        ],
        "processes": list(record.get("manufacturingProcesses") or []),
        "materials": [_material(m) for m in record.get("typicalMaterials") or []],
        "machines": [_machine(ctx, item) for item in record.get("equipment") or []],
    }


def _agent(agent: Mapping[str, Any]) -> dict[str, Any]:
    return {k: agent.get(k) for k in ("name", "email", "website", "did")}


def _material(material: Any) -> str:
    if isinstance(material, Mapping):
        for key in ("name", "materialType", "label", "id"):
            if material.get(key):
                return str(material[key])
        return ", ".join(f"{k}: {v}" for k, v in material.items())
    return str(material)


def _machine(ctx: ServiceContext, item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "type": item.get("equipmentType"),
        "process": item.get("manufacturingProcess"),
        "make": item.get("make"),
        "model": item.get("model"),
        "quantity": item.get("quantity", 1),
        "condition": item.get("condition"),
        "skills": [_skill(ctx, r["skill"], r["minLevel"]) for r in item.get("skillsRequired", [])],
        "operators": list(item.get("operators") or []),
    }


def _skill(ctx: ServiceContext, uri: str, min_level: int) -> dict[str, Any]:
    """A required skill in words: label, category, minimum level's name and its criteria."""
    skill = ctx.taxonomy.find(uri)
    level = next((lv for lv in ctx.taxonomy.levels if lv.number == min_level), None)
    category = None
    if skill is not None:
        category = next((c for c in ctx.taxonomy.categories if c.code == skill.category), None)
    return {
        "uri": uri,
        "code": skill.code if skill else None,
        "label": skill.label_in("en") if skill else uri,
        "category": category.label_in("en") if category else None,
        "min_level": min_level,
        "level_name": level.name_in("en") if level else f"level {min_level}",
        "criteria": skill.level_criteria.get(min_level) if skill else None,
    }


# --- contracts -----------------------------------------------------------------------------


@router.get("/contracts/{contract_id}")
def contract_page(contract_id: str, request: Request, ctx: CtxDep) -> Response:
    return _negotiated(
        request,
        lambda: routes_contracts.get_contract(contract_id, ctx),
        lambda found: render(request, "contract.html", contract_view(ctx, found["contract"])),
        "contract",
    )


REASONS = {
    q.INVALID_PROOF: "the badge's signature does not verify",
    q.NOT_PRESENTING_HOLDER: "the badge was issued to someone else",
    q.ISSUER_NOT_TRUSTED: "the issuer is not trusted here",
    q.REVOKED: "revoked by the issuer",
    q.SUSPENDED: "suspended by the issuer",
    q.EXPIRED: "the badge has expired",
    q.NOT_YET_VALID: "the badge is not valid yet",
    q.STATUS_UNAVAILABLE: "the badge's status could not be checked",
    q.MISSING: "no badge for this skill was presented",
    q.PRESENTATION_INVALID: "the presentation does not verify",
    q.NO_PRESENTATION: "the party presented nothing",
}


def reason_in_words(outcome: Mapping[str, Any]) -> str | None:
    """Why a requirement is not met, in plain words ("level too low: has 2, needs 3")."""
    reason = outcome.get("reason")
    if reason is None:
        return None
    if reason == q.LEVEL_TOO_LOW:
        has = outcome.get("achievedLevel")
        return f"level too low: has {has}, needs {outcome.get('minLevel')}"
    if reason == q.MISSING and "facilityCapability" in outcome:
        return str(outcome.get("detail") or "the facility lacks this capability")
    return REASONS.get(reason, str(outcome.get("detail") or reason))


def contract_view(ctx: ServiceContext, contract: Mapping[str, Any]) -> dict[str, Any]:
    contract_id = contract["id"]
    try:
        latest: dict[str, Any] | None = contracts.latest_check(ctx, contract_id)
    except NotFoundError:
        latest = None
    item: Mapping[str, Any] = contract.get("item") or {}
    return {
        "id": contract_id,
        "item": {k: item.get(k) for k in ("name", "details", "okhManifest")},
        "total_quantity": contract.get("totalQuantity"),
        "status": contract.get("status"),
        "makerspace": contract.get("makerspace"),
        "created_at": contract.get("createdAt"),
        "updated_at": contract.get("updatedAt"),
        "parties": [_party(ctx, p) for p in contract.get("parties", [])],
        "requirements": [
            (role, [_requirement(ctx, r) for r in wanted])
            for role, wanted in (contract.get("requirements") or {}).items()
        ],
        "milestones": [
            {k: m.get(k) for k in ("kind", "party", "due", "status")}
            for m in contract.get("milestones") or []
        ],
        "check": _check(ctx, contract_id, latest) if latest else None,
    }


def _facility_name(ctx: ServiceContext, facility_id: str) -> tuple[bool, str | None]:
    """(whether the facility is listed here, its name)."""
    try:
        found = facilities.get_facility(ctx, facility_id)
    except NotFoundError:
        return False, None
    name = found["facility"].get("name")
    return True, str(name) if name else None


def _makerspace_of(ctx: ServiceContext, did: str) -> str | None:
    """The slug of the makerspace registered here under `did` (its public profile), if any."""
    with ctx.db.session() as session:
        found = makerspaces.by_did(session, did)
    return found.slug if found else None


def _party(ctx: ServiceContext, party: Mapping[str, Any]) -> dict[str, Any]:
    """A party as the page shows it. Its DID links only to what is public anyway: the profile
    of a makerspace registered here. A maker's passport is never linked: it opens only with a
    share link the maker chose to give."""
    facility = party.get("facility")
    listed, name = _facility_name(ctx, facility) if facility else (False, None)
    return {
        "did": party["did"],
        "role": party["role"],
        "allocated_quantity": party.get("allocatedQuantity"),
        "makerspace": _makerspace_of(ctx, party["did"]),
        "facility": facility,
        "facility_listed": listed,
        "facility_name": name,
    }


def _requirement(ctx: ServiceContext, requirement: Mapping[str, Any]) -> dict[str, Any]:
    if "facilityCapability" in requirement:
        [(kind, url)] = requirement["facilityCapability"].items()
        what = "equipment" if kind == "equipmentType" else "process"
        return {"capability": {"kind": what, "url": url}, "skill": None}
    return {"capability": None, "skill": _skill(ctx, requirement["skill"], requirement["minLevel"])}


def _check(ctx: ServiceContext, contract_id: str, found: Mapping[str, Any]) -> dict[str, Any]:
    parties = []
    for party in found.get("parties", []):
        outcomes = []
        for outcome in party.get("requirements", []):
            badge = outcome.get("badge") or {}
            issuer = badge.get("issuer") or {}
            outcomes.append(
                {
                    **_requirement(ctx, outcome),
                    "met": bool(outcome.get("met")),
                    "reason": reason_in_words(outcome),
                    "achieved_level": outcome.get("achievedLevel"),
                    "badge": badge.get("id"),
                    "issuer": issuer.get("name") or issuer.get("id"),
                }
            )
        presentation = party.get("presentation")
        parties.append(
            {
                "did": party["did"],
                "role": party["role"],
                "passed": bool(party.get("passed")),
                "presented": presentation is not None,
                "presentation_verified": bool(presentation and presentation.get("verified")),
                "requirements": outcomes,
            }
        )
    return {
        "id": found["checkId"],
        "passed": bool(found.get("passed")),
        "checked_at": found.get("checkedAt"),
        "record_url": f"/contracts/{contract_id}/qualification-checks/{found['checkId']}",
        "parties": parties,
    }
