"""/share: a maker makes a share link to their own passport in the browser.

No key ever reaches the page and the page runs no script: it gives a fresh challenge and the
command that signs a presentation over it with the maker's own key
(`passport-vc sign --purpose authentication`); the maker pastes what the command prints; the
page checks it as POST /passports/{DID}/share-links does (the holder's own proof, over this
challenge, used once) and answers the new link, shown only now, with its QR code."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from passport_vc.api.strict_json import json_body_problem
from passport_vc.services import challenges, passports
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import ServiceError
from passport_vc.services.verification import Verifier
from passport_vc.timestamps import format_datetime_stamp, utc_now
from passport_vc.web.rendering import render

router = APIRouter(include_in_schema=False)

TEMPLATE = "share.html"
MAX_PRESENTATION_BYTES = 64 * 1024
# The expiry choices offered, in days (None: until the maker revokes it).
EXPIRY_DAYS: dict[str, int | None] = {"7": 7, "30": 30, "90": 90, "365": 365, "never": None}
DEFAULT_EXPIRY = "30"
NO_STORE = {"Cache-Control": "no-store"}


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _form_page(
    request: Request,
    ctx: ServiceContext,
    *,
    error: str | None = None,
    status: int = 200,
    pasted: str = "",
    expiry: str = DEFAULT_EXPIRY,
) -> Response:
    """The form, always with a fresh challenge: a refused presentation's may be spent."""
    challenge, ttl = challenges.create_challenge(ctx)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "YOUR-DID",
    }
    response = render(
        request,
        TEMPLATE,
        {
            "stage": "form",
            "challenge": challenge,
            "minutes": ttl // 60,
            "unsigned": json.dumps(unsigned),
            "error": error,
            "pasted": pasted,
            "expiry": expiry,
            "choices": list(EXPIRY_DAYS),
        },
        status_code=status,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/share")
async def share_form(request: Request) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    return await run_in_threadpool(_form_page, request, ctx)


def _presentation(text: str) -> dict[str, Any]:
    if not text.strip():
        raise _Refused(422, "Paste the presentation that passport-vc sign printed.")
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_PRESENTATION_BYTES:
        raise _Refused(413, f"A presentation up to {MAX_PRESENTATION_BYTES // 1024} KiB.")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _Refused(400, "That is not JSON: paste exactly what the command printed.") from None
    if (problem := json_body_problem(raw)) is not None:
        raise _Refused(400, f"That is not JSON the service accepts: {problem}.")
    if not isinstance(value, dict):
        raise _Refused(422, "A presentation is a JSON object ({ … }).")
    return value


def _holder(presentation: dict[str, Any]) -> str:
    holder = presentation.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    if not isinstance(holder, str):
        raise _Refused(422, "The presentation names no holder: put your DID in its holder.")
    try:
        return passports.checked_did(holder)
    except ServiceError as exc:
        raise _Refused(422, f"The holder is not a DID: {exc.detail}") from None


@router.post("/share")
async def share(request: Request) -> Response:
    ctx: ServiceContext = request.app.state.ctx
    verifier: Verifier = request.app.state.verifier
    try:
        form = await request.form(
            max_files=0, max_fields=4, max_part_size=MAX_PRESENTATION_BYTES + 1024
        )
    except HTTPException as exc:
        return await run_in_threadpool(
            _form_page, request, ctx, error=str(exc.detail), status=exc.status_code
        )
    text = form.get("presentation")
    pasted = text if isinstance(text, str) else ""
    expiry = form.get("expiry")
    expiry = expiry if isinstance(expiry, str) and expiry in EXPIRY_DAYS else DEFAULT_EXPIRY

    def make_link() -> Response:
        try:
            presentation = _presentation(pasted)
            did = _holder(presentation)
            passports.authorise_presentation(verifier, did, presentation)
        except _Refused as exc:
            return _form_page(
                request, ctx, error=exc.detail, status=exc.status, pasted=pasted, expiry=expiry
            )
        except ServiceError as exc:  # 401: it does not verify, or not over a live challenge
            return _form_page(
                request, ctx, error=exc.detail, status=exc.status, pasted=pasted, expiry=expiry
            )
        days = EXPIRY_DAYS[expiry]
        expires_at = utc_now() + timedelta(days=days) if days is not None else None
        link = passports.create_link(ctx, did, expires_at, "holder")
        token = link.url.split("token=", 1)[1]
        qr = f"/passports/{quote(did, safe='')}/qr.svg?token={token}"
        response = render(
            request,
            TEMPLATE,
            {
                "stage": "made",
                "holder": did,
                "url": link.url,
                "qr_url": qr,
                "expires": format_datetime_stamp(expires_at) if expires_at else None,
                "link_id": link.id,
            },
            status_code=201,
        )
        response.headers.update(NO_STORE)
        return response

    return await run_in_threadpool(make_link)
