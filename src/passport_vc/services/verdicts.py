"""A verification result's verdict in plain words: valid, revoked, suspended, expired, not
valid yet, or not valid, and what each problem means. Shared by the pages and the passport."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from passport_vc import errors

# state -> the verdict a person reads
VERDICTS = {
    "valid": "Valid",
    "revoked": "Revoked by the issuer",
    "suspended": "Suspended by the issuer",
    "expired": "Expired",
    "not-yet-valid": "Not valid yet",
    "invalid": "Not valid",
}

# problem type -> what it means, before the verifier's own detail
_MEANINGS = {
    errors.CRYPTOGRAPHIC_SECURITY_ERROR: "The signature does not match: the badge was changed "
    "after it was signed, or someone else signed it",
    errors.PROOF_VERIFICATION_ERROR: "The signature could not be checked",
    errors.PARSING_ERROR: "This is not a well-formed credential",
    errors.MALFORMED_VALUE_ERROR: "Part of the badge is malformed",
    errors.STATUS_ERROR: "The issuer has withdrawn it",
    errors.STATUS_RETRIEVAL_ERROR: "Its revocation status could not be fetched",
    errors.STATUS_VERIFICATION_ERROR: "Its revocation status list does not verify",
    errors.VALIDITY_ERROR: "It is outside its validity period",
    errors.ISSUER_BINDING_ERROR: "The signer is not the issuer the badge names",
    errors.HOLDER_BINDING_ERROR: "The presenter is not the person the badge was issued to",
    errors.DID_RESOLUTION_ERROR: "The issuer's identity (DID) could not be looked up",
    errors.INVALID_CHALLENGE_ERROR: "The presentation's challenge is wrong or already used",
    errors.INVALID_DOMAIN_ERROR: "The presentation was made for another site",
}


def problem_in_words(problem: Mapping[str, Any]) -> str:
    """`"<meaning>: <detail>"`, falling back on the problem's title."""
    kind = str(problem.get("type") or "")
    meaning = _MEANINGS.get(kind) or str(problem.get("title") or "Problem")
    detail = problem.get("detail")
    return f"{meaning}: {detail}." if detail else f"{meaning}."


def state_of(result: Mapping[str, Any]) -> str:
    """valid / revoked / suspended / expired / not-yet-valid / invalid. A bad signature makes
    everything else the document says moot, so it is `invalid` whatever its status."""
    if result.get("verified"):
        return "valid"
    results: Mapping[str, Any] = result.get("results") or {}
    proofs = [p for p in results.get("proof") or [] if isinstance(p, Mapping)]
    if not proofs or not all(p.get("verified") for p in proofs):
        return "invalid"
    withdrawn = {
        str(item.get("purpose"))
        for item in results.get("credentialStatus") or []
        if isinstance(item, Mapping) and item.get("checked") and item.get("value")
    }
    if "revocation" in withdrawn:
        return "revoked"
    if "suspension" in withdrawn:
        return "suspended"
    for name, state in (("validUntil", "expired"), ("validFrom", "not-yet-valid")):
        checked = results.get(name)
        if isinstance(checked, Mapping) and checked.get("verified") is False:
            return state
    return "invalid"
