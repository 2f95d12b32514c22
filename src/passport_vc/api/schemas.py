"""Request and response bodies, with the examples /docs shows; the Problem every error is;
the bounds of integer parameters, and the NUL check, that every API router shares."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from passport_vc.services.errors import InvalidFieldError

# The largest integers the databases take: an OFFSET is 64-bit, an id column INTEGER (32-bit
# on PostgreSQL). Past them the drivers raise (OverflowError on SQLite, "out of range" on
# PostgreSQL), so a query or path parameter stops there, with a 422 naming it.
OFFSET_MAX = 2**63 - 1
ID_MAX = 2**31 - 1
OffsetQuery = Annotated[int, Query(ge=0, le=OFFSET_MAX)]
IdQuery = Annotated[int, Query(ge=1, le=ID_MAX)]
IdPath = Annotated[int, Path(ge=1, le=ID_MAX)]

# PostgreSQL text cannot hold the NUL character (a DataError: a 500), and no id, DID, name or
# credential of this service has one: a request that carries one in a path or query parameter
# or anywhere in a JSON body is a 422 naming where. Every API router depends on this.
NUL = "\x00"


def _nul_in_json(document: Any) -> str | None:
    """The JSON path of the first key or string holding NUL, or None (iterative: no depth
    limit of its own)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path or "(body)"
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                name = key.replace(NUL, "\\u0000")
                where = f"{path}.{name}" if path else name
                if NUL in key:
                    return where
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None


async def refuse_nul(request: Request) -> None:
    """422 naming the path or query parameter, or the JSON path, that holds NUL."""
    field: str | None = None
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if NUL in name or (isinstance(value, str) and NUL in value):
            field = name.replace(NUL, "\\u0000")
            break
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if field is None and content_type == "application/json":
        body = await request.body()  # cached: the handler reads the same bytes
        if b"\\u0000" in body:  # JSON carries NUL only as this escape
            # Malformed JSON is left to the handler's parser, which says so.
            with contextlib.suppress(ValueError, RecursionError):
                field = _nul_in_json(json.loads(body))
    if field is not None:
        raise InvalidFieldError(
            f"{field} contains the NUL character (\\u0000), which no text here may hold",
            field=field,
        )


NO_NUL = Depends(refuse_nul)


class DidDocumentResponse(JSONResponse):
    """A DID document: JSON as application/did+json (the response class declares it)."""

    media_type = "application/did+json"


def media_response(
    media_type: str, description: str, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An OpenAPI response of another media type than JSON (binary unless `schema` says)."""
    return {
        "description": description,
        "content": {media_type: {"schema": schema or {"type": "string", "format": "binary"}}},
    }


class ProblemFieldError(BaseModel):
    field: str = Field(description="The JSON path, query parameter or header that is wrong.")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error is answered so, as application/problem+json
    (passport_vc.api.problems). The optional members are left out, never null."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(description="A URI naming the kind of problem, or about:blank.")
    title: str
    status: int
    detail: str
    field: str | SkipJsonSchema[None] = Field(
        default=None, description="What is wrong: a JSON path, a parameter, (body)."
    )
    errors: list[ProblemFieldError] | SkipJsonSchema[None] = Field(
        default=None, description="Every wrong field, when there are several."
    )
    instance: str | SkipJsonSchema[None] = None


_BADGE_EXAMPLE: dict[str, Any] = {
    "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "holderName": "Amina Diallo",
    "skill": "LASER-CUT",
    "level": 3,
    "evidence": "Cut a 40-part plywood enclosure to ±0.2 mm, observed by staff.",
    "scope": "skill",
}


class IssueOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    credentialId: str | None = None
    statusPurposes: list[Literal["revocation", "suspension"]] | None = Field(
        default=None, description="Status entries to add (default both; [] for none)."
    )


class IssueRequest(BaseModel):
    credential: dict[str, Any]
    options: IssueOptions = Field(default_factory=IssueOptions)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "credential": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential"],
                        "issuer": "did:web:ignored-the-caller-is-the-issuer",
                        "credentialSubject": {"id": "did:example:maker"},
                    },
                    "options": {},
                }
            ]
        }
    )


class IssuedCredential(BaseModel):
    verifiableCredential: dict[str, Any]


class VerifyCredentialOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    returnResults: bool | None = None
    returnProblemDetails: bool | None = None
    returnCredential: bool | None = None


class VerifyCredentialRequest(BaseModel):
    verifiableCredential: Any
    options: VerifyCredentialOptions = Field(default_factory=VerifyCredentialOptions)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "verifiableCredential": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiableCredential"],
                        "issuer": "did:key:z6Mk…",
                        "credentialSubject": {"id": "did:example:maker"},
                        "proof": {
                            "type": "DataIntegrityProof",
                            "cryptosuite": "eddsa-rdfc-2022",
                            "…": "…",
                        },
                    },
                    "options": {},
                }
            ]
        }
    )


class VerifyPresentationOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    challenge: str | None = Field(default=None, max_length=256)
    domain: str | list[str] | None = None
    returnPresentation: bool | None = None


class VerifyPresentationRequest(BaseModel):
    verifiablePresentation: Any = None
    presentation: Any = None
    options: VerifyPresentationOptions = Field(default_factory=VerifyPresentationOptions)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "verifiablePresentation": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiablePresentation"],
                        "holder": "did:key:z6Mk…",
                        "verifiableCredential": ["…"],
                        "proof": {"challenge": "from POST /challenges", "…": "…"},
                    },
                    "options": {"challenge": "from POST /challenges", "domain": "employer.example"},
                }
            ]
        }
    )


class CredentialStatusRef(BaseModel):
    type: str = "BitstringStatusListEntry"
    statusPurpose: str
    statusListIndex: str | None = None
    statusListCredential: str | None = None


class StatusChangeRequest(BaseModel):
    credentialId: str = Field(max_length=2000)
    credentialStatus: CredentialStatusRef | list[CredentialStatusRef]
    status: bool

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "credentialId": "https://hub.example/credentials/0b7f…",
                    "credentialStatus": {
                        "type": "BitstringStatusListEntry",
                        "statusPurpose": "revocation",
                    },
                    "status": True,
                }
            ]
        }
    )


class ChallengeResponse(BaseModel):
    challenge: str
    expiresIn: int


class MakerspaceCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Fablab Cotonou",
                    "url": "https://fablab-cotonou.example",
                    "email": "hello@fablab-cotonou.example",
                    "location": "Cotonou, Benin",
                }
            ]
        },
        extra="forbid",
    )
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=64)
    didMethod: Literal["web", "key"] | None = None
    url: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=320)
    location: str | None = Field(default=None, max_length=200)
    facilityUrl: str | None = Field(default=None, max_length=2000)


class MakerspaceCreated(BaseModel):
    id: int
    slug: str
    did: str
    api_key: str = Field(description="Shown once; only its hash is stored.")


class BadgeRequestBody(BaseModel):
    """One badge: the fields are checked by the service, which names the wrong one."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_BADGE_EXAMPLE]})
    holder: Any = None
    holderName: Any = None
    skill: Any = None
    level: Any = None
    evidence: Any = None
    validUntil: Any = None
    scope: Any = None


class BatchRequest(BaseModel):
    rows: list[dict[str, Any]]

    model_config = ConfigDict(json_schema_extra={"examples": [{"rows": [_BADGE_EXAMPLE]}]})


class TrustedIssuerBody(BaseModel):
    did: str = Field(max_length=400)
    name: str = Field(min_length=1, max_length=200)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"did": "did:web:badges.example.org", "name": "Example Training Centre"}]
        }
    )


class KeyRetireBody(BaseModel):
    key: str = Field(max_length=500, description="The key's fragment (key-1) or full method id.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"key": "key-1"}]})
