"""The VC API: issue, verify, change status, read credentials; challenges for presentations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from passport_vc.api.deps import CallerDep, CtxDep, IdempotencyKeyDep, VerifierDep
from passport_vc.api.problems import (
    AUTHENTICATED,
    JSON_BODY,
    PROBLEM_JSON,
    PROBLEM_SCHEMA_REF,
    problem_responses,
)
from passport_vc.api.schemas import (
    NO_NUL,
    ChallengeResponse,
    IssuedCredential,
    IssueRequest,
    StatusChangeRequest,
    VerifyCredentialRequest,
    VerifyPresentationRequest,
)
from passport_vc.services import challenges, credentials, idempotency, issuance
from passport_vc.services.errors import InvalidFieldError, NotFoundError

router = APIRouter(tags=["VC API"], dependencies=[NO_NUL])


@router.post(
    "/credentials/issue",
    status_code=201,
    response_model=IssuedCredential,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 409, 503),
)
def issue_credential(
    body: IssueRequest, caller: CallerDep, ctx: CtxDep, key: IdempotencyKeyDep
) -> JSONResponse:
    """Sign a credential as the caller's makerspace (its issuer, whatever the body says), with
    revocation and suspension entries unless `options.statusPurposes` says otherwise."""
    options = body.options.model_dump(exclude_none=True)
    draft = issuance.draft_vc_api(ctx, caller.makerspace, body.credential, options)
    draft.idempotency = idempotency.for_request(key, body.model_dump(mode="json"))
    signed = issuance.issue_one(ctx, caller.actor, caller.makerspace, draft)
    return issued(signed, replayed=draft.replayed)


class _RenderedJSON(JSONResponse):
    """A JSONResponse whose body the caller wrote, exactly as JSONResponse.render would."""

    def render(self, content: Any) -> bytes:
        assert isinstance(content, bytes)
        return content


def created(body: dict[str, Any], *, rendered: bytes | None = None) -> JSONResponse:
    """201 with the body serialized once, as signed (no response-model round trip).

    `rendered`: `body` as JSONResponse would render it, already written (then used as is)."""
    if rendered is not None:
        return _RenderedJSON(rendered, status_code=201)
    return JSONResponse(body, status_code=201)


def issued(
    signed: dict[str, Any], *, replayed: bool, signed_json: str | None = None
) -> JSONResponse:
    """201 with the issued credential; a replay under an Idempotency-Key says so.

    `signed_json`: `signed` as json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
    writes it (the text stored for it), when the caller has it: the answer is then built
    around it instead of serializing the credential a second time. Only for a credential
    without floats (a skill badge): JSONResponse would refuse NaN where json.dumps does not."""
    body = {"verifiableCredential": signed}
    rendered = None
    if signed_json is not None:
        rendered = b'{"verifiableCredential":' + signed_json.encode("utf-8") + b"}"
    response = created(body, rendered=rendered)
    if replayed:
        response.headers[idempotency.REPLAYED_HEADER] = "true"
    return response


# 400 is the verification result (`verified: false`), or a problem when the body is not JSON.
VERIFICATION_RESPONSES = {
    **problem_responses(413, 422, 429),
    400: {
        "description": "Does not verify (the result, with its reasons); or malformed JSON",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}},
        },
    },
}


def _verification_response(result: dict[str, Any]) -> JSONResponse:
    return JSONResponse(result, status_code=200 if result["verified"] else 400)


@router.post("/credentials/verify", responses=VERIFICATION_RESPONSES)
def verify_credential(body: VerifyCredentialRequest, verifier: VerifierDep) -> JSONResponse:
    """200 when it verifies, 400 with the same body (`verified: false`, reasons) when not."""
    result = verifier.verify_credential(body.verifiableCredential)
    if body.options.returnCredential is False:
        result.pop("credential", None)
    return _verification_response(result)


@router.post("/presentations/verify", responses=VERIFICATION_RESPONSES)
def verify_presentation(body: VerifyPresentationRequest, verifier: VerifierDep) -> JSONResponse:
    """Checks the holder's proof, the challenge (single use, from POST /challenges), the domain,
    and every credential inside."""
    document = (
        body.verifiablePresentation
        if body.verifiablePresentation is not None
        else body.presentation
    )
    if document is None:
        raise InvalidFieldError(
            "verifiablePresentation is required", field="verifiablePresentation"
        )
    result = verifier.verify_presentation(
        document, challenge=body.options.challenge, domain=body.options.domain
    )
    if body.options.returnPresentation is False:
        result.pop("presentation", None)
    return _verification_response(result)


@router.post(
    "/challenges",
    status_code=201,
    response_model=ChallengeResponse,
    responses=problem_responses(429, 503),
)
def create_challenge(ctx: CtxDep) -> dict[str, Any]:
    """A single-use challenge for a presentation; it expires after `expiresIn` seconds."""
    value, ttl = challenges.create_challenge(ctx)
    return {"challenge": value, "expiresIn": ttl}


@router.post(
    "/credentials/status",
    status_code=200,
    response_class=Response,
    responses=problem_responses(*AUTHENTICATED, *JSON_BODY, 404, 409, 503),
)
def update_status(body: StatusChangeRequest, caller: CallerDep, ctx: CtxDep) -> Response:
    """Revoke (permanent) or suspend / reinstate a credential issued by the caller."""
    entries = (
        body.credentialStatus
        if isinstance(body.credentialStatus, list)
        else [body.credentialStatus]
    )
    for entry in entries:
        if entry.type != "BitstringStatusListEntry":
            raise InvalidFieldError(
                "credentialStatus.type must be BitstringStatusListEntry",
                field="credentialStatus.type",
            )
        credentials.change_status(
            ctx,
            caller.actor,
            caller.makerspace,
            body.credentialId,
            entry.statusPurpose,
            body.status,
        )
    return Response(status_code=200)


@router.get(
    "/credentials/{credential_id:path}",
    response_model=IssuedCredential,
    responses=problem_responses(404, 422, 503),
)
def get_credential(credential_id: str, ctx: CtxDep) -> dict[str, Any]:
    """A credential issued here, by its id (the UUID in its URL, or its full `id`)."""
    with ctx.db.session() as session:
        record = credentials.find(session, credential_id)
        if record is None:
            raise NotFoundError(f"no credential {credential_id!r}", field="id")
        return {"verifiableCredential": credentials.document_of(record)}


__all__ = ["router"]
