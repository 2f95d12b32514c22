"""Facilities and machines (Open Know-Where): makerspaces publish theirs, anyone reads the map."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from passport_vc.api.deps import CallerDep, CtxDep, require_slug
from passport_vc.api.problems import AUTHENTICATED, JSON_BODY, problem_responses
from passport_vc.api.schemas import NO_NUL, OffsetQuery
from passport_vc.services import facilities

router = APIRouter(tags=["facilities"], dependencies=[NO_NUL])

_EXAMPLE: dict[str, Any] = {
    "name": "Fablab Cotonou",
    "location": {
        "address": {"city": "Cotonou", "country": "BJ"},
        "gpsCoordinates": {"latitude": 6.3736, "longitude": 2.4258},
    },
    "facilityStatus": "Active",
    "accessType": "Membership",
    "manufacturingProcesses": ["https://en.wikipedia.org/wiki/Laser_cutting"],
    "equipment": [
        {
            "equipmentType": "https://en.wikipedia.org/wiki/Laser_cutting",
            "manufacturingProcess": "https://en.wikipedia.org/wiki/Laser_cutting",
            "make": "Trotec Laser",
            "model": "SP500",
            "skillsRequired": [
                {"skill": "LASER-SAFETY", "minLevel": 1},
                {"skill": "LASER-CUT", "minLevel": 2},
            ],
            "operators": ["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"],
        }
    ],
}
FacilityBody = Annotated[
    dict[str, Any], Body(description="An OKW v1 facility (JSON).", examples=[_EXAMPLE])
]


@router.post(
    "/makerspaces/{slug}/facilities",
    status_code=201,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 409, 503),
)
def import_facility(
    slug: str, body: FacilityBody, caller: CallerDep, ctx: CtxDep
) -> dict[str, Any]:
    """Publish an OKW facility with its equipment (required skills, operators). The same
    `id`, or else the same name, replaces the makerspace's earlier record."""
    require_slug(caller, slug)
    stored = facilities.import_facility(ctx, caller.actor, caller.makerspace, body)
    return {"id": stored.id, "facility": stored.facility}


@router.put(
    "/facilities/{facility_id}",
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 404, 409, 503),
)
def replace_facility(
    facility_id: str, body: FacilityBody, caller: CallerDep, ctx: CtxDep
) -> dict[str, Any]:
    """Replace a facility (its owner's API key only). Equipment keeps its id when the body
    gives it (as GET shows it); `operators` left out keeps a machine's operators."""
    stored = facilities.replace_facility(ctx, caller.actor, caller.makerspace, facility_id, body)
    return {"id": stored.id, "facility": stored.facility}


@router.get("/facilities", responses=problem_responses(422, 503))
def list_facilities(
    ctx: CtxDep,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2, e.g. BJ")] = None,
    process: Annotated[
        str | None, Query(description="A Wikipedia URL, or its title: Laser_cutting")
    ] = None,
    equipment_type: Annotated[
        str | None,
        Query(alias="equipmentType", description="A Wikipedia URL, or its title: 3D_printing"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """The map of machines: each facility's place, makerspace and equipment, by name."""
    page = facilities.list_facilities(
        ctx,
        country=country,
        process=process,
        equipment_type=equipment_type,
        limit=limit,
        offset=offset,
    )
    return {"total": page.total, "limit": limit, "offset": offset, "items": page.items}


@router.get("/facilities/{facility_id}", responses=problem_responses(404, 422, 503))
def get_facility(facility_id: str, ctx: CtxDep) -> dict[str, Any]:
    """{id, makerspace, facility}: the facility as OKW JSON, equipment with ids, required
    skills and operators."""
    return facilities.get_facility(ctx, facility_id)


@router.get("/equipment/{equipment_id}", responses=problem_responses(404, 422, 503))
def get_equipment(equipment_id: str, ctx: CtxDep) -> dict[str, Any]:
    """A machine: its OKW record, the skills it requires (with labels and level names) and its
    operators (with when and by which check each was added)."""
    return facilities.get_equipment(ctx, equipment_id)
