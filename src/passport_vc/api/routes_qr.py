"""QR codes of credentials: a link to the credential's page, or the signed credential itself
(`offline-qr`, see passport_vc.qr.offline) for verifiers with no network.

These paths sit under /credentials/{id}/, which the catch-all GET /credentials/{id:path} of
routes_credentials would also match: app.py includes this router before that one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from passport_vc.api.deps import CtxDep
from passport_vc.qr import encode_offline, qr_png, qr_svg
from passport_vc.services import credentials
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import NotFoundError

router = APIRouter(tags=["QR codes"])

CACHE = {"Cache-Control": "public, max-age=86400"}
PNG_SCALE = 8
SVG_TYPE = "image/svg+xml"


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


@router.get("/credentials/{credential_id}/qr.png", response_class=Response)
def link_qr_png(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code of the credential's page URL, as PNG."""
    png = qr_png(_page_url(ctx, credential_id), scale=PNG_SCALE)
    return Response(png, media_type="image/png", headers=CACHE)


@router.get("/credentials/{credential_id}/qr.svg", response_class=Response)
def link_qr_svg(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code of the credential's page URL, as SVG."""
    return Response(qr_svg(_page_url(ctx, credential_id)), media_type=SVG_TYPE, headers=CACHE)


@router.get("/credentials/{credential_id}/offline-qr.png", response_class=Response)
def offline_qr_png(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code holding the whole signed credential (checkable with no network), as PNG."""
    png = qr_png(_offline(ctx, credential_id), scale=PNG_SCALE)
    return Response(png, media_type="image/png", headers=CACHE)


@router.get("/credentials/{credential_id}/offline-qr.svg", response_class=Response)
def offline_qr_svg(credential_id: str, ctx: CtxDep) -> Response:
    """A QR code holding the whole signed credential, as SVG."""
    return Response(qr_svg(_offline(ctx, credential_id)), media_type=SVG_TYPE, headers=CACHE)


@router.get("/credentials/{credential_id}/offline-qr.txt", response_class=Response)
def offline_qr_text(credential_id: str, ctx: CtxDep) -> Response:
    """The offline QR payload as text (`PVC1:` and base45)."""
    return Response(
        _offline(ctx, credential_id), media_type="text/plain; charset=utf-8", headers=CACHE
    )


__all__ = ["router"]
