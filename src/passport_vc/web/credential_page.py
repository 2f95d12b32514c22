"""The badge page at a credential's own URL: browsers get the badge in plain words, verified
live on each view; JSON clients (and `?format=json`) get what the API route answers.

The path parameter takes no slash, so `/credentials/{id}/qr.svg` and the like pass by."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from passport_vc.api import routes_credentials
from passport_vc.api.deps import CtxDep
from passport_vc.services import credentials
from passport_vc.web.badge_view import badge_view, og_title
from passport_vc.web.rendering import error_page, render, wants_html

router = APIRouter(include_in_schema=False)


@router.get("/credentials/{credential_id}")
def credential_page(
    credential_id: str, request: Request, ctx: CtxDep, format: str | None = None
) -> Response:
    if format == "json" or not wants_html(request):
        found = routes_credentials.get_credential(credential_id, ctx)
        return JSONResponse(jsonable_encoder(found), headers={"Vary": "Accept"})
    with ctx.db.session() as session:
        record = credentials.find(session, credential_id)
        if record is None:
            return error_page(
                request, 404, "No such badge", f"No badge {credential_id!r} was issued here."
            )
        uuid = record.id
        document = credentials.document_of(record)
    return render(request, "credential.html", credential_context(request, uuid, document))


def credential_context(request: Request, uuid: str, document: dict[str, Any]) -> dict[str, Any]:
    result = request.app.state.verifier.verify_credential(document)
    view = badge_view(document, result)
    return {"uuid": uuid, "badge": view, "og_title": og_title(view)}
