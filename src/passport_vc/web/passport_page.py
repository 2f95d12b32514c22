"""The passport page: every badge of one maker, in plain words, each verified live on each
view, for whoever holds a share link; and the contracts the maker is a party to and the
machines they may operate, with links to those pages. JSON clients (and `?format=json`) get
what the API route answers. Without a live token it is the same 404 as for a passport that does
not exist."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from passport_vc.api import routes_passports
from passport_vc.api.deps import CtxDep, VerifierDep
from passport_vc.services import contract_list, passports
from passport_vc.services.errors import NotFoundError
from passport_vc.web.badge_view import badge_view
from passport_vc.web.rendering import error_page, render, wants_html

router = APIRouter(include_in_schema=False)


@router.get("/passports/{did}")
def passport_page(
    did: str,
    request: Request,
    ctx: CtxDep,
    verifier: VerifierDep,
    token: str | None = None,
    format: str | None = None,
) -> Response:
    if format == "json" or not wants_html(request):
        return routes_passports.get_passport(did, ctx, verifier, token)
    try:
        badges = passports.open_passport(ctx, did, token)
    except NotFoundError as exc:
        return error_page(request, 404, "No such passport", exc.detail)
    views: list[dict[str, Any]] = []
    for uuid, document in badges:
        view = badge_view(document, verifier.verify_credential(document))
        views.append({"uuid": uuid, "badge": view})
    valid = sum(1 for item in views if item["badge"]["ok"])
    # Only now, behind the live token: what this holder takes part in is theirs to share.
    holder_contracts = contract_list.contracts_of_party(ctx, did)
    assert token is not None
    response = render(
        request,
        "passport.html",
        {
            "holder": did,
            "badges": views,
            "valid": valid,
            "contracts": holder_contracts.items,
            "contracts_total": holder_contracts.total,
            "facilities": passports.machines_operated(ctx, did),
            "presentation_url": f"/passports/{quote(did, safe='')}/presentation.json"
            f"?token={quote(token, safe='')}",
            "qr_url": f"/passports/{quote(did, safe='')}/qr.svg?token={quote(token, safe='')}",
            "qr_png_url": f"/passports/{quote(did, safe='')}/qr.png"
            f"?token={quote(token, safe='')}",
        },
    )
    response.headers.update(routes_passports.PRIVATE)
    return response
