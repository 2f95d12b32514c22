"""QR codes of credentials: a link to the credential's page, or the signed credential itself
(`offline-qr`, see passport_vc.qr.offline) for verifiers with no network.

These paths sit under /credentials/{id}/, which the catch-all GET /credentials/{id:path} of
routes_credentials would also match: app.py includes this router before that one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from passport_vc.api.deps import CtxDep
from passport_vc.api.problems import problem_responses
from passport_vc.api.schemas import NO_NUL, media_response
from passport_vc.qr import encode_offline, qr_png, qr_svg
from passport_vc.services import credentials, passports
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import NotFoundError

router = APIRouter(tags=["QR codes"], dependencies=[NO_NUL])

CACHE = {"Cache-Control": "public, max-age=86400"}
PNG_SCALE = 8
SVG_TYPE = "image/svg+xml"
NOT_FOUND = problem_responses(404, 422, 503)
PNG = {200: media_response("image/png", "The QR code as PNG"), **NOT_FOUND}
SVG = {200: media_response(SVG_TYPE, "The QR code as SVG", {"type": "string"}), **NOT_FOUND}
TEXT = {200: media_response("text/plain", "`PVC1:` and base45", {"type": "string"}), **NOT_FOUND}


def _found(ctx: ServiceContext, credential_id: str) -> tuple[str, dict[str, Any]]:
    """The credential's UUID and its signed document; 404 when not issued here."""
    with ctx.db.session() as session:
        record = credentials.find(session, credential_id)
        if record is None:
            raise NotFoundError(f"no credential {credential_id!r}", field="id")
        return record.id, credentials.document_of(record)


def _page_url(ctx: ServiceContext, credential_id: str) -> str:
    uuid, _ = _found(ctx, credential_id)
    return f"{ctx.public_url}/credentials/{uuid}"


def _offline(ctx: ServiceContext, credential_id: str) -> str:
    _, document = _found(ctx, credential_id)
    return encode_offline(document)


@router.get("/credentials/{credential_id}/qr.png", response_class=Response, responses=PNG)
def link_qr_png(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code of the credential's page URL, as PNG."""
    png = qr_png(_page_url(ctx, credential_id), scale=PNG_SCALE)
    return Response(png, media_type="image/png", headers=CACHE)


@router.get("/credentials/{credential_id}/qr.svg", response_class=Response, responses=SVG)
def link_qr_svg(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code of the credential's page URL, as SVG."""
    return Response(qr_svg(_page_url(ctx, credential_id)), media_type=SVG_TYPE, headers=CACHE)


@router.get("/credentials/{credential_id}/offline-qr.png", response_class=Response, responses=PNG)
def offline_qr_png(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code holding the whole signed credential (checkable with no network), as PNG."""
    png = qr_png(_offline(ctx, credential_id), scale=PNG_SCALE)
    return Response(png, media_type="image/png", headers=CACHE)


@router.get("/credentials/{credential_id}/offline-qr.svg", response_class=Response, responses=SVG)
def offline_qr_svg(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code holding the whole signed credential, as SVG."""
    return Response(qr_svg(_offline(ctx, credential_id)), media_type=SVG_TYPE, headers=CACHE)


@router.get("/credentials/{credential_id}/offline-qr.txt", response_class=Response, responses=TEXT)
def offline_qr_text(credential_id: str, ctx: CtxDep) -> Response:
    """The offline QR payload as text (`PVC1:` and base45)."""
    return Response(
        _offline(ctx, credential_id), media_type="text/plain; charset=utf-8", headers=CACHE
    )


__all__ = ["router"]


# --- a shared passport: the QR of its page, token included; only for a live token -----------

PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# A wrong share token counts as a failed authentication (api/rate_limits.py): 429 after many.
SHARED_PNG = {**PNG, **problem_responses(429)}
SHARED_SVG = {**SVG, **problem_responses(429)}


@router.get("/passports/{did}/qr.png", response_class=Response, responses=SHARED_PNG)
def passport_qr_png(did: str, ctx: CtxDep, token: str | None = None) -> Response:
    """A QR code of the shared passport's page (with its token), as PNG; 404 unless the token
    is a live share link of this passport."""
    png = qr_png(passports.shared_page_url(ctx, did, token), scale=PNG_SCALE)
    return Response(png, media_type="image/png", headers=PRIVATE)


@router.get("/passports/{did}/qr.svg", response_class=Response, responses=SHARED_SVG)
def passport_qr_svg(did: str, ctx: CtxDep, token: str | None = None) -> Response:
    """A QR code of the shared passport's page (with its token), as SVG."""
    svg = qr_svg(passports.shared_page_url(ctx, did, token))
    return Response(svg, media_type=SVG_TYPE, headers=PRIVATE)
