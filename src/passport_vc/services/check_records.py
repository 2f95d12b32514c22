"""The qualification check record: a contract check's decision as a credential signed by the
service's own DID, in the terms of https://passport-vc.org/contexts/v1.

    {"@context": [credentials/v2, passport-vc.org/contexts/v1],
     "id": "<public url>/contracts/<id>/qualification-checks/<check id>",
     "type": ["VerifiableCredential", "QualificationCheckRecord"],
     "issuer": "<service DID>", "validFrom": "...", "validUntil": "...",
     "credentialSubject": {
       "id": "<public url>/contracts/<id>", "type": ["Contract"],
       "contractId": "<id>", "checkId": "<check id>", "passed": false,
       "parties": [{"id": "<party DID>", "role": "manufacturer", "passed": false,
                    "presentationVerified": true,
                    "requirements": [
                      {"skill": "<skill URI>", "minLevel": 3, "met": true, "achievedLevel": 3,
                       "reliedOn": {"id": "<badge id>", "issuedBy": "<issuer DID>"}},
                      {"facilityCapability": {"equipmentType": "<Wikipedia URL>"},
                       "facilityId": "<facility id>", "met": false, "reason": "missing"}]}]}}

Only terms the two contexts define are written, so the signer loses nothing. The record expires
(validUntil) after `qualification_record_days`, or with the first badge it relied on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from passport_vc.credentials.signing import sign_credential
from passport_vc.errors import PassportVcError
from passport_vc.jsonld.contexts import CREDENTIALS_V2
from passport_vc.proofs.data_integrity import ProofOptions
from passport_vc.services import service_identity
from passport_vc.services.context import ServiceContext
from passport_vc.timestamps import format_datetime_stamp, parse_datetime_stamp

PASSPORT_VC_CONTEXT = "https://passport-vc.org/contexts/v1"
RECORD_TYPE = "QualificationCheckRecord"


def contract_url(ctx: ServiceContext, contract_id: str) -> str:
    return f"{ctx.public_url}/contracts/{contract_id}"


def check_url(ctx: ServiceContext, contract_id: str, check_id: str) -> str:
    return f"{contract_url(ctx, contract_id)}/qualification-checks/{check_id}"


def _requirement(outcome: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "facilityCapability" in outcome:
        out["facilityCapability"] = dict(outcome["facilityCapability"])
        if outcome.get("facility") is not None:
            out["facilityId"] = outcome["facility"]
    else:
        out["skill"] = outcome["skill"]
        out["minLevel"] = outcome["minLevel"]
    out["met"] = bool(outcome["met"])
    if outcome.get("reason") is not None:
        out["reason"] = outcome["reason"]
    if outcome.get("achievedLevel") is not None:
        out["achievedLevel"] = outcome["achievedLevel"]
    badge = outcome.get("badge")
    if isinstance(badge, Mapping):
        relied: dict[str, Any] = {}
        if badge.get("id") is not None:
            relied["id"] = badge["id"]
        issuer = badge.get("issuer", {}).get("id")
        if issuer is not None:
            relied["issuedBy"] = issuer
        if relied:
            out["reliedOn"] = relied
    return out


def _party(outcome: Mapping[str, Any]) -> dict[str, Any]:
    presentation = outcome.get("presentation")
    return {
        "id": outcome["did"],
        "role": outcome["role"],
        "passed": bool(outcome["passed"]),
        "presentationVerified": bool(presentation and presentation.get("verified")),
        "requirements": [_requirement(r) for r in outcome["requirements"]],
    }


def _relied_on_expiries(parties: Sequence[Mapping[str, Any]]) -> Iterator[datetime]:
    """The validUntil of every badge a met requirement rests on (unreadable ones skipped:
    the check itself already refused an invalid badge)."""
    for party in parties:
        for outcome in party.get("requirements", []):
            badge = outcome.get("badge")
            value = badge.get("validUntil") if isinstance(badge, Mapping) else None
            if outcome.get("met") and isinstance(value, str):
                try:
                    yield parse_datetime_stamp(value, "validUntil")
                except PassportVcError:
                    continue


def record_valid_until(
    ctx: ServiceContext, parties: Sequence[Mapping[str, Any]], checked_at: datetime
) -> datetime:
    """When the record stops vouching: `qualification_record_days` after the check, or when
    the first badge it relied on expires, whichever is sooner."""
    limit = checked_at + timedelta(days=ctx.settings.qualification_record_days)
    return min([limit, *_relied_on_expiries(parties)])


def build_record(
    ctx: ServiceContext,
    *,
    contract_id: str,
    check_id: str,
    passed: bool,
    parties: Sequence[Mapping[str, Any]],
    checked_at: datetime,
) -> dict[str, Any]:
    """The unsigned record of one contract check (parties as the check's answer lists them)."""
    return {
        "@context": [CREDENTIALS_V2, PASSPORT_VC_CONTEXT],
        "id": check_url(ctx, contract_id, check_id),
        "type": ["VerifiableCredential", RECORD_TYPE],
        "issuer": service_identity.service_did(ctx),
        "validFrom": format_datetime_stamp(checked_at),
        "validUntil": format_datetime_stamp(record_valid_until(ctx, parties, checked_at)),
        "name": "Qualification check record",
        "credentialSubject": {
            "id": contract_url(ctx, contract_id),
            "type": ["Contract"],
            "contractId": contract_id,
            "checkId": check_id,
            "passed": passed,
            "parties": [_party(p) for p in parties],
        },
    }


def sign_record(ctx: ServiceContext, record: Mapping[str, Any]) -> dict[str, Any]:
    """Sign with the service's key (made on first use)."""
    key, method = service_identity.signing_key(ctx)
    return sign_credential(record, key, ProofOptions(verification_method=method))
