"""Administration (admin token): the audit log and the trust registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from passport_vc.api.deps import AdminDep, CtxDep
from passport_vc.api.schemas import TrustedIssuerBody
from passport_vc.services import audit, trust

router = APIRouter(prefix="/admin", tags=["administration"])


@router.get("/audit")
def list_audit(
    admin: AdminDep,
    ctx: CtxDep,
    action: str | None = None,
    makerspace_id: Annotated[int | None, Query(alias="makerspaceId")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Every issuance, revocation, suspension, key rotation and registration, newest first."""
    with ctx.db.session() as session:
        total, events = audit.list_events(
            session, makerspace_id=makerspace_id, action=action, limit=limit, offset=offset
        )
    return {"total": total, "events": events}


@router.get("/trusted-issuers")
def list_trusted(admin: AdminDep, ctx: CtxDep) -> dict[str, Any]:
    with ctx.db.session() as session:
        return {
            "trustedIssuers": [
                {"did": t.did, "name": t.name, "addedAt": t.added_at.isoformat()}
                for t in trust.list_trusted(session)
            ]
        }


@router.post("/trusted-issuers", status_code=201)
def add_trusted(body: TrustedIssuerBody, admin: AdminDep, ctx: CtxDep) -> dict[str, Any]:
    """Trust an issuer that is not a makerspace of this service (by DID)."""
    record = trust.add_trusted_issuer(ctx, admin, body.did, body.name)
    return {"did": record.did, "name": record.name}


@router.delete("/trusted-issuers/{did}", status_code=204, response_class=Response)
def remove_trusted(did: str, admin: AdminDep, ctx: CtxDep) -> Response:
    trust.remove_trusted_issuer(ctx, admin, did)
    return Response(status_code=204)
