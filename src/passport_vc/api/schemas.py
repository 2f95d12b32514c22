"""Request and response bodies, with the examples /docs shows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
