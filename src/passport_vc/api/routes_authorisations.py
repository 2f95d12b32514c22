"""Machine authorisation checks: may this holder operate this machine?"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from passport_vc.api.deps import Caller, CtxDep, VerifierDep, get_caller
from passport_vc.api.problems import AUTHENTICATED, JSON_BODY, problem_responses
from passport_vc.api.schemas import NO_NUL
from passport_vc.services import authorisations
from passport_vc.services.errors import InvalidFieldError

router = APIRouter(tags=["machines"], dependencies=[NO_NUL])


async def optional_caller(request: Request, ctx: CtxDep) -> Caller | None:
    """The makerspace of the Bearer API key, or None when no key is sent."""
    if not request.headers.get("authorization"):
        return None
    return await get_caller(request, ctx)


OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]


class AuthorisationCheckOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    challenge: str = Field(min_length=1, max_length=256, description="From POST /challenges.")
    domain: str | list[str] | None = None
    addOperator: bool = Field(
        default=False,
        description="Add the holder to the machine's operators when the check passes "
        "(the API key of the makerspace owning the facility only).",
    )


class AuthorisationCheckRequest(BaseModel):
    verifiablePresentation: Any = Field(description="Signed by the holder over the challenge.")
    options: AuthorisationCheckOptions

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "verifiablePresentation": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiablePresentation"],
                        "holder": "did:key:z6Mk…",
                        "verifiableCredential": ["…skill badges…"],
                        "proof": {"challenge": "from POST /challenges", "…": "…"},
                    },
                    "options": {"challenge": "from POST /challenges", "addOperator": True},
                }
            ]
        }
    )


@router.post(
    "/equipment/{equipment_id}/authorisations/check",
    status_code=201,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 404, 409, 503),
)
def check_authorisation(
    equipment_id: str,
    body: AuthorisationCheckRequest,
    ctx: CtxDep,
    verifier: VerifierDep,
    caller: OptionalCallerDep,
) -> JSONResponse:
    """Anyone may check a holder's presentation against the skills the machine requires; the
    decision is stored (`checkId`). With `addOperator` and the owning makerspace's API key, a
    holder who passes becomes an operator."""
    if body.verifiablePresentation is None:
        raise InvalidFieldError(
            "verifiablePresentation is required", field="verifiablePresentation"
        )
    answer = authorisations.check_equipment(
        ctx,
        verifier,
        equipment_id,
        body.verifiablePresentation,
        challenge=body.options.challenge,
        domain=body.options.domain,
        add_as_operator=body.options.addOperator,
        caller=caller.makerspace if caller else None,
        actor=caller.actor if caller else None,
    )
    return JSONResponse(answer, status_code=201)


@router.get(
    "/equipment/{equipment_id}/authorisations/{check_id}",
    responses=problem_responses(404, 422, 503),
)
def get_authorisation(equipment_id: str, check_id: str, ctx: CtxDep) -> dict[str, Any]:
    """A stored authorisation check."""
    return authorisations.get_check(ctx, equipment_id, check_id)
