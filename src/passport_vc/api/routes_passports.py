"""The maker's passport and its share links.

A passport is private: it opens only with a live share link's token. Share links are managed by
the maker (a Verifiable Presentation of theirs, proof purpose authentication, signed over a
challenge from POST /challenges, in the body or, base64url-encoded, in the `Presentation`
header) or by a makerspace that issued them a badge (its API key as the Bearer token)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from passport_vc.api.deps import CtxDep, VerifierDep
from passport_vc.api.problems import AUTHENTICATED, JSON_BODY, problem_responses
from passport_vc.api.schemas import NO_NUL
from passport_vc.services import passports
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import AuthenticationError, InvalidFieldError
from passport_vc.services.verification import Verifier

router = APIRouter(tags=["Passports"], dependencies=[NO_NUL])

PRESENTATION_HEADER = "presentation"
MAX_HEADER_CHARS = 64 * 1024


class ShareLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verifiablePresentation: dict[str, Any] | None = Field(
        default=None,
        description="The holder's presentation, signed over a challenge from POST /challenges "
        "(omit it when authenticating with a makerspace API key).",
    )
    expiresAt: str | None = Field(
        default=None, max_length=64, description="When the link stops working (dateTimeStamp)."
    )


def _header_presentation(request: Request) -> Any:
    raw = request.headers.get(PRESENTATION_HEADER)
    if raw is None:
        return None
    if len(raw) > MAX_HEADER_CHARS:
        raise InvalidFieldError("the Presentation header is too long", field="Presentation")
    try:
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidFieldError(
            "the Presentation header must be the base64url of the presentation's JSON",
            field="Presentation",
        ) from None


def _authorise(
    request: Request, ctx: ServiceContext, verifier: Verifier, did: str, presentation: Any
) -> str:
    """The actor managing `did`'s links: "holder" or "makerspace:<slug>"."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return passports.authorise_api_key(ctx, did, token.strip())
    if presentation is None:
        presentation = _header_presentation(request)
    if presentation is None:
        raise AuthenticationError(
            "send the holder's presentation (verifiablePresentation) or a makerspace API key "
            "('Authorization: Bearer <key>')"
        )
    return passports.authorise_presentation(verifier, did, presentation)


@router.post(
    "/passports/{did}/share-links",
    status_code=201,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 503),
)
def create_share_link(
    did: str, body: ShareLinkCreate, request: Request, ctx: CtxDep, verifier: VerifierDep
) -> JSONResponse:
    """A new share link to the passport of `did`; the token in its `url` is shown only now."""
    did = passports.checked_did(did)
    expires_at = passports.parse_expiry(body.expiresAt)
    actor = _authorise(request, ctx, verifier, did, body.verifiablePresentation)
    link = passports.create_link(ctx, did, expires_at, actor)
    return JSONResponse(link.as_json(), status_code=201, headers={"Cache-Control": "no-store"})


@router.get(
    "/passports/{did}/share-links", responses=problem_responses(*AUTHENTICATED, 403, 422, 503)
)
def list_share_links(
    did: str, request: Request, ctx: CtxDep, verifier: VerifierDep
) -> dict[str, Any]:
    """The passport's share links (never their tokens)."""
    did = passports.checked_did(did)
    _authorise(request, ctx, verifier, did, None)
    return {"holder": did, "shareLinks": passports.list_links(ctx, did)}


@router.delete(
    "/passports/{did}/share-links/{link_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(*AUTHENTICATED, 403, 404, 422, 503),
)
def revoke_share_link(
    did: str, link_id: str, request: Request, ctx: CtxDep, verifier: VerifierDep
) -> Response:
    """Revoke a share link: it opens nothing from now on."""
    did = passports.checked_did(did)
    _authorise(request, ctx, verifier, did, None)
    passports.revoke_link(ctx, did, link_id)
    return Response(status_code=204)


PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Vary": "Accept"}


@router.get("/passports/{did}", responses=problem_responses(404, 422, 429, 503))
def get_passport(
    did: str, ctx: CtxDep, verifier: VerifierDep, token: str | None = None
) -> JSONResponse:
    """The holder's badges with a live verification result each; 404 without a live token."""
    badges = passports.open_passport(ctx, did, token)
    return JSONResponse(passports.passport_json(verifier, did, badges), headers=PRIVATE)


@router.get("/passports/{did}/presentation.json", responses=problem_responses(404, 422, 429, 503))
def get_presentation(did: str, ctx: CtxDep, token: str | None = None) -> JSONResponse:
    """The badges as an unsigned VerifiablePresentation (only the holder can sign one)."""
    badges = passports.open_passport(ctx, did, token)
    return JSONResponse(
        passports.presentation_of(did, badges),
        headers={**PRIVATE, "Content-Disposition": 'attachment; filename="passport.json"'},
    )
