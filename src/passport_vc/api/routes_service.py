"""The service's own DID document (did:web of the public URL), which verifies the qualification
check records the service signs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from passport_vc.api.deps import CtxDep
from passport_vc.api.problems import problem_responses
from passport_vc.api.schemas import DidDocumentResponse
from passport_vc.services import service_identity

router = APIRouter(tags=["service"])


def _document(ctx: CtxDep) -> JSONResponse:
    return JSONResponse(
        service_identity.did_document(ctx),
        media_type="application/did+json",
        headers={"Cache-Control": "max-age=300"},
    )


@router.get(
    "/.well-known/did.json",
    response_class=DidDocumentResponse,
    responses=problem_responses(503),
)
def well_known_did_document(ctx: CtxDep) -> JSONResponse:
    """The DID document of the service (did:web of a public URL without a path)."""
    return _document(ctx)


@router.get("/did.json", response_class=DidDocumentResponse, responses=problem_responses(503))
def did_document(ctx: CtxDep) -> JSONResponse:
    """The same document, where did:web looks when the public URL has a path."""
    return _document(ctx)
