"""Contracts and their qualification checks (records signed by the service's DID)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from passport_vc.api.deps import CallerDep, CtxDep, VerifierDep
from passport_vc.api.problems import AUTHENTICATED, JSON_BODY, problem_responses
from passport_vc.api.schemas import NO_NUL, OffsetQuery
from passport_vc.services import contract_list, contracts

router = APIRouter(tags=["contracts"], dependencies=[NO_NUL])

_EXAMPLE: dict[str, Any] = {
    "item": {
        "name": "Solar dryer enclosure",
        "details": "Laser-cut plywood, 40 parts",
        "okhManifest": "https://example.org/okh/solar-dryer.toml",
    },
    "totalQuantity": 50,
    "parties": [
        {"did": "did:web:buyer.example", "role": "initiator"},
        {
            "did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "role": "manufacturer",
            "allocatedQuantity": 50,
        },
    ],
    "requirements": {
        "manufacturer": [
            {"skill": "LASER-CUT", "minLevel": 2},
            {
                "facilityCapability": {
                    "equipmentType": "https://en.wikipedia.org/wiki/Laser_cutting"
                }
            },
        ]
    },
    "milestones": [
        {
            "kind": "prototype",
            "party": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "due": "2026-09-01",
            "status": "pending",
        }
    ],
}
ContractBody = Annotated[
    dict[str, Any], Body(description="The contract's terms.", examples=[_EXAMPLE])
]


class CheckOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    challenges: dict[str, str] | None = Field(
        default=None,
        description="Party DID -> the challenge its presentation must be signed over "
        "(default: the challenge in its proof, which must come from POST /challenges).",
    )
    domain: str | list[str] | None = None


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presentations: dict[str, Any] = Field(
        default_factory=dict, description="Party DID -> its verifiable presentation."
    )
    options: CheckOptions = Field(default_factory=CheckOptions)


@router.post(
    "/contracts", status_code=201, responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 503)
)
def create_contract(body: ContractBody, caller: CallerDep, ctx: CtxDep) -> JSONResponse:
    """A contract initiated by the caller's makerspace; 422 names the field that is wrong."""
    return JSONResponse(
        contracts.create_contract(ctx, caller.actor, caller.makerspace, body), status_code=201
    )


@router.get("/contracts", responses=problem_responses(*AUTHENTICATED, 422, 503))
def list_contracts(
    caller: CallerDep,
    ctx: CtxDep,
    party: Annotated[
        str | None, Query(description="A DID: only contracts where it is a party.")
    ] = None,
    status: Annotated[
        str | None, Query(description="draft, active, completed or cancelled.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """The contracts the caller's makerspace initiated or is a party to (by its DID), newest
    first: item, quantity, how many parties, and the latest qualification check's outcome
    (`passed`, `failed` or `none`) with its URL. A wrong filter is a 422 naming it."""
    page = contract_list.list_contracts(
        ctx, caller.makerspace, party=party, status=status, limit=limit, offset=offset
    )
    return {"total": page.total, "limit": limit, "offset": offset, "items": page.items}


@router.get("/contracts/{contract_id}", responses=problem_responses(404, 422, 503))
def get_contract(contract_id: str, ctx: CtxDep) -> dict[str, Any]:
    return {"id": contract_id, "contract": contracts.get_contract(ctx, contract_id)}


@router.post(
    "/contracts/{contract_id}/qualification-checks",
    status_code=201,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 404, 503),
)
def check_contract(
    contract_id: str, body: CheckRequest, caller: CallerDep, ctx: CtxDep, verifier: VerifierDep
) -> JSONResponse:
    """Per party and requirement: met or not and why; stored, and signed as a
    QualificationCheckRecord by the service's DID (`recordCredential`). The API key of the
    makerspace that created the contract."""
    answer = contracts.run_check(
        ctx,
        verifier,
        contract_id,
        body.presentations,
        challenges=body.options.challenges,
        domain=body.options.domain,
        caller=caller.makerspace,
        actor=caller.actor,
    )
    return JSONResponse(answer, status_code=201)


@router.get(
    "/contracts/{contract_id}/qualification-checks/latest",
    responses=problem_responses(404, 422, 503),
)
def latest_check(contract_id: str, ctx: CtxDep) -> dict[str, Any]:
    return contracts.latest_check(ctx, contract_id)


@router.get(
    "/contracts/{contract_id}/qualification-checks/{check_id}",
    responses=problem_responses(404, 422, 503),
)
def get_check(contract_id: str, check_id: str, ctx: CtxDep) -> dict[str, Any]:
    return contracts.get_check(ctx, contract_id, check_id)
