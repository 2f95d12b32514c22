"""Makerspaces: registration (admin), public profiles and DID documents, keys, badges."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from passport_vc.api.deps import (
    IDEMPOTENCY_KEY_PARAMETER,
    AdminDep,
    CallerDep,
    CtxDep,
    IdempotencyKeyDep,
    context_of,
    get_caller,
    idempotency_key_of,
    require_slug,
)
from passport_vc.api.problems import AUTHENTICATED, JSON_BODY, problem_responses
from passport_vc.api.routes_credentials import issued
from passport_vc.api.schemas import (
    NO_NUL,
    BadgeRequestBody,
    BatchRequest,
    DidDocumentResponse,
    IssuedCredential,
    KeyRetireBody,
    MakerspaceCreate,
    MakerspaceCreated,
    OffsetQuery,
)
from passport_vc.errors import ParsingError
from passport_vc.services import audit, batch, credentials, idempotency, issuance, makerspaces
from passport_vc.services.badge_requests import parse_badge_request
from passport_vc.services.errors import InvalidFieldError

router = APIRouter(tags=["makerspaces"], dependencies=[NO_NUL])


@router.post(
    "/makerspaces",
    status_code=201,
    response_model=MakerspaceCreated,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 409, 503),
)
def create_makerspace(body: MakerspaceCreate, admin: AdminDep, ctx: CtxDep) -> dict[str, Any]:
    """Register a makerspace (admin token). The API key in the answer is shown only once."""
    created = makerspaces.create_makerspace(
        ctx,
        admin,
        name=body.name,
        slug=body.slug,
        did_method=body.didMethod,
        url=body.url,
        email=body.email,
        location=body.location,
        facility_url=body.facilityUrl,
    )
    record = created.makerspace
    return {"id": record.id, "slug": record.slug, "did": record.did, "api_key": created.api_key}


@router.get("/makerspaces", responses=problem_responses(503))
def list_makerspaces(ctx: CtxDep) -> dict[str, Any]:
    with ctx.db.session() as session:
        return {
            "makerspaces": [
                makerspaces.public_view(m) for m in makerspaces.list_makerspaces(session)
            ]
        }


@router.get("/makerspaces/{slug}", responses=problem_responses(404, 422, 503))
def get_makerspace(slug: str, ctx: CtxDep) -> dict[str, Any]:
    with ctx.db.session() as session:
        found = makerspaces.by_slug(session, slug)
        assert found.id is not None
        return makerspaces.public_view(found, makerspaces.keys_of(session, found.id))


@router.get(
    "/makerspaces/{slug}/did.json",
    response_class=DidDocumentResponse,
    responses=problem_responses(404, 422, 503),
)
def did_document(slug: str, ctx: CtxDep) -> JSONResponse:
    """The did:web document: the active key and every published (not retired) key."""
    with ctx.db.session() as session:
        found = makerspaces.by_slug(session, slug)
        document = makerspaces.did_document(session, found)
    return JSONResponse(
        document, media_type="application/did+json", headers={"Cache-Control": "max-age=60"}
    )


@router.post(
    "/makerspaces/{slug}/keys/rotate",
    responses=problem_responses(*AUTHENTICATED, 403, 409, 422, 503),
)
def rotate_key(slug: str, caller: CallerDep, ctx: CtxDep) -> dict[str, Any]:
    """A new signing key; the previous one stays in the DID document until retired."""
    require_slug(caller, slug)
    return {"verificationMethod": makerspaces.rotate_key(ctx, caller.actor, slug)}


@router.post(
    "/makerspaces/{slug}/keys/retire",
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 404, 409, 503),
)
def retire_key(slug: str, body: KeyRetireBody, caller: CallerDep, ctx: CtxDep) -> dict[str, Any]:
    """Remove a previous key from the DID document: badges it signed stop verifying."""
    require_slug(caller, slug)
    return {"retired": makerspaces.retire_key(ctx, caller.actor, slug, body.key)}


@router.post(
    "/makerspaces/{slug}/badges",
    status_code=201,
    response_model=IssuedCredential,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 409, 503),
    openapi_extra={
        "parameters": [IDEMPOTENCY_KEY_PARAMETER],
        "requestBody": {
            "content": {"application/json": {"schema": BadgeRequestBody.model_json_schema()}},
            "required": True,
        },
    },
)
async def issue_badge(slug: str, request: Request) -> JSONResponse:
    """An Open Badges 3.0 skill badge built from the taxonomy, with status entries.

    Body: `{holder: DID, holderName?, skill: code or URI, level, evidence?, validUntil?, scope?}`;
    a wrong field is a 422 naming it. The body is read without a model: the hot path."""
    # The hot path reads its caller and Idempotency-Key itself, in the order FastAPI would
    # solve CallerDep and IdempotencyKeyDep (the header is declared in openapi_extra).
    ctx = context_of(request)
    caller = await get_caller(request, ctx)
    key = idempotency_key_of(request)
    require_slug(caller, slug)
    try:
        raw = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise ParsingError("the request body is not valid JSON") from None
    badge_request = parse_badge_request(raw, ctx.taxonomy)
    draft = issuance.draft_badge(ctx, caller.makerspace, badge_request)
    draft.idempotency = idempotency.for_request(key, raw)
    signed = await issuance.issue_one_async(ctx, caller.actor, caller.makerspace, draft)
    # A skill badge holds no floats: the JSON stored for it is what the answer would write.
    return issued(signed, replayed=draft.replayed, signed_json=draft.stored_json(signed))


@router.post(
    "/makerspaces/{slug}/badges/batch",
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 403, 409, 503),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": BatchRequest.model_json_schema()},
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            },
            "required": True,
        }
    },
)
async def issue_batch(
    slug: str,
    request: Request,
    caller: CallerDep,
    ctx: CtxDep,
    key: IdempotencyKeyDep,
    include_credentials: Annotated[bool, Query(alias="includeCredentials")] = False,
) -> dict[str, Any]:
    """Up to 10,000 badges: JSON `{rows: [...]}`, a CSV body, or a CSV file upload. The answer
    has one result per row; each row is issued whole (with its status entries) or not at all."""
    require_slug(caller, slug)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    max_rows = ctx.settings.max_batch_rows
    if content_type == "application/json":
        try:
            parsed = json.loads(await request.body())
        except (ValueError, RecursionError):
            raise ParsingError("the request body is not valid JSON") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("rows"), list):
            raise InvalidFieldError('the body must be {"rows": [...]}', field="rows")
        rows: list[Any] = parsed["rows"]
    elif content_type == "text/csv":
        rows = batch.parse_csv(await request.body(), max_rows)
    elif content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=5)
        except HTTPException as exc:  # Starlette's: too many fields or files, or malformed
            raise ParsingError(f"the multipart body cannot be read: {exc.detail}") from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidFieldError("upload the CSV as the form field 'file'", field="file")
        rows = batch.parse_csv(await upload.read(), max_rows)
    else:
        raise InvalidFieldError(
            "send application/json, text/csv or multipart/form-data", field="Content-Type"
        )
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(
        batch.issue_batch, ctx, caller.actor, caller.makerspace, rows, None, key
    )
    return result.to_json(include_credentials=include_credentials)


@router.get(
    "/makerspaces/{slug}/credentials",
    responses=problem_responses(*AUTHENTICATED, 403, 422, 503),
)
def list_credentials(
    slug: str,
    caller: CallerDep,
    ctx: CtxDep,
    holder: str | None = None,
    skill: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """The caller's own credentials, newest first; filter by holder, skill, status."""
    require_slug(caller, slug)
    if skill is not None and ctx.taxonomy.find(skill) is not None:
        skill = ctx.taxonomy.skill(skill).uri
    assert caller.makerspace.id is not None
    with ctx.db.session() as session:
        page = credentials.list_issued(
            session,
            caller.makerspace.id,
            holder=holder,
            skill=skill,
            status=status,
            limit=limit,
            offset=offset,
        )
    return {"total": page.total, "limit": limit, "offset": offset, "items": page.items}


@router.get("/makerspaces/{slug}/audit", responses=problem_responses(*AUTHENTICATED, 403, 422, 503))
def makerspace_audit(
    slug: str,
    caller: CallerDep,
    ctx: CtxDep,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """The caller's own audit events, newest first."""
    require_slug(caller, slug)
    with ctx.db.session() as session:
        total, events = audit.list_events(
            session, makerspace_id=caller.makerspace.id, action=action, limit=limit, offset=offset
        )
    return {"total": total, "events": events}
