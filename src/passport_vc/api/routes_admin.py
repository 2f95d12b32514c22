"""Administration (admin token): the audit log and the trust registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from passport_vc.api.deps import AdminDep, CtxDep
from passport_vc.api.problems import AUTHENTICATED, JSON_BODY, problem_responses
from passport_vc.api.schemas import NO_NUL, IdQuery, OffsetQuery, TrustedIssuerBody
from passport_vc.services import audit, trust

router = APIRouter(prefix="/admin", tags=["administration"], dependencies=[NO_NUL])


@router.get("/audit", responses=problem_responses(*AUTHENTICATED, 422, 503))
def list_audit(
    admin: AdminDep,
    ctx: CtxDep,
    action: str | None = None,
    makerspace_id: Annotated[IdQuery | None, Query(alias="makerspaceId")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Every issuance, revocation, suspension, key rotation and registration, newest first."""
    with ctx.db.session() as session:
        total, events = audit.list_events(
            session, makerspace_id=makerspace_id, action=action, limit=limit, offset=offset
        )
    return {"total": total, "events": events}


@router.get("/trusted-issuers", responses=problem_responses(*AUTHENTICATED, 503))
def list_trusted(admin: AdminDep, ctx: CtxDep) -> dict[str, Any]:
    with ctx.db.session() as session:
        return {
            "trustedIssuers": [
                {"did": t.did, "name": t.name, "addedAt": t.added_at.isoformat()}
                for t in trust.list_trusted(session)
            ]
        }


@router.post(
    "/trusted-issuers",
    status_code=201,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 503),
)
def add_trusted(body: TrustedIssuerBody, admin: AdminDep, ctx: CtxDep) -> dict[str, Any]:
    """Trust an issuer that is not a makerspace of this service (by DID)."""
    record = trust.add_trusted_issuer(ctx, admin, body.did, body.name)
    return {"did": record.did, "name": record.name}


@router.delete(
    "/trusted-issuers/{did}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(*AUTHENTICATED, 404, 422, 503),
)
def remove_trusted(did: str, admin: AdminDep, ctx: CtxDep) -> Response:
    trust.remove_trusted_issuer(ctx, admin, did)
    return Response(status_code=204)
