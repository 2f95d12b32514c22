"""Bad input never escapes as an exception: each case is `verified: false` with the right problem.

The table follows the engine issue: unknown context, inline context redefining a protected term,
a dropped term (VC 1.1 has no @vocab), relative IRI type, wrong purpose, wrong challenge, wrong
domain, expired proof, key controller other than issuer, malformed multibase, truncated
signature, status list too short, gzip bomb.
"""

from __future__ import annotations

import copy
import gzip
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from passport_vc.credentials.signing import sign_credential, sign_presentation
from passport_vc.credentials.verification import VerifyOptions, verify, verify_credential
from passport_vc.errors import PassportVcError
from passport_vc.keys import SigningKey
from passport_vc.multibase import encode_base64url
from passport_vc.proofs import ProofOptions, add_proof
from passport_vc.status import BitstringStatusList, build_status_entry, build_status_list_credential

V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
ISSUER = SigningKey(bytes(range(10, 42)))
OTHER = SigningKey(bytes(range(20, 52)))
LIST_URL = "https://hub.example/status/7"


def credential(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [V2],
        "id": "urn:uuid:6f1c9a7e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER.did_key,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:maker", "name": "Amina"},
    }
    doc.update(extra)
    return doc


def signed(**extra: Any) -> dict[str, Any]:
    return sign_credential(credential(**extra), ISSUER)


def problem_types(result: dict[str, Any]) -> list[str]:
    return [p["type"].rsplit("#", 1)[-1] for p in result["problemDetails"]]


def resign_raw(doc: dict[str, Any], key: SigningKey = ISSUER, **opts: Any) -> dict[str, Any]:
    """Sign without the signing-side checks, to build documents an attacker could send."""
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    return add_proof(unsigned, key, ProofOptions(**opts))


def gzip_bomb(uncompressed: int) -> str:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    parts = [comp.compress(chunk) for _ in range(uncompressed >> 20)]
    parts.append(comp.flush())
    return encode_base64url(b"".join(parts))


def status_case(encoded: str) -> dict[str, Any]:
    vc = signed(
        credentialStatus=build_status_entry(list_url=LIST_URL, index=5, purpose="revocation")
    )
    unsigned = build_status_list_credential(
        list_url=LIST_URL,
        issuer=ISSUER.did_key,
        purpose="revocation",
        status_list=BitstringStatusList(),
    )
    unsigned["credentialSubject"]["encodedList"] = encoded
    published = sign_credential(unsigned, ISSUER)
    return verify_credential(vc, VerifyOptions(status_resolver=lambda url: published))


def mutate(fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = signed()
    fn(doc)
    return verify_credential(doc)


CASES: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    (
        "unknown context URL",
        lambda: mutate(lambda d: d["@context"].append("https://evil.example/ctx")),
        "CONTEXT_VALIDATION_ERROR",
    ),
    (
        "inline context redefining a protected term",
        lambda: mutate(lambda d: d["@context"].append({"issuer": "https://evil.example/issuer"})),
        "CONTEXT_VALIDATION_ERROR",
    ),
    (
        "term dropped by expansion under VC 1.1",
        lambda: verify_credential(
            {
                **credential(**{"@context": [V1]}),
                "issuanceDate": "2026-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:maker", "skillLevel": 3},
                "proof": signed()["proof"],
            }
        ),
        "DATA_LOSS_DETECTION_ERROR",
    ),
    (
        "relative IRI type",
        lambda: verify_credential(
            {
                **credential(**{"@context": [V1], "type": ["VerifiableCredential", "SkillBadge"]}),
                "issuanceDate": "2026-01-01T00:00:00Z",
                "proof": signed()["proof"],
            }
        ),
        "DATA_LOSS_DETECTION_ERROR",
    ),
    (
        "wrong proof purpose",
        lambda: verify_credential(resign_raw(credential(), proof_purpose="authentication")),
        "PROOF_VERIFICATION_ERROR",
    ),
    (
        "expired proof",
        lambda: verify_credential(
            resign_raw(credential(), expires=datetime.now(UTC) - timedelta(days=1))
        ),
        "PROOF_EXPIRED_ERROR",
    ),
    (
        "proof created in the future",
        lambda: verify_credential(
            resign_raw(credential(), created=datetime.now(UTC) + timedelta(days=1))
        ),
        "PROOF_VERIFICATION_ERROR",
    ),
    (
        "key controller other than issuer",
        lambda: verify_credential(resign_raw(credential(), key=OTHER)),
        "ISSUER_BINDING_ERROR",
    ),
    (
        "malformed multibase proofValue",
        lambda: mutate(
            lambda d: d["proof"].update(proofValue="z0OIl" + d["proof"]["proofValue"][5:])
        ),
        "PROOF_VERIFICATION_ERROR",
    ),
    (
        "truncated signature",
        lambda: mutate(lambda d: d["proof"].update(proofValue=d["proof"]["proofValue"][:40])),
        "PROOF_VERIFICATION_ERROR",
    ),
    (
        "proofValue not base58btc",
        lambda: mutate(lambda d: d["proof"].update(proofValue="u" + d["proof"]["proofValue"][1:])),
        "PROOF_VERIFICATION_ERROR",
    ),
    (
        "malformed verification method key",
        lambda: mutate(lambda d: d["proof"].update(verificationMethod="did:key:z6MkBAD#z6MkBAD")),
        "INVALID_VERIFICATION_METHOD",
    ),
    (
        "tampered subject",
        lambda: mutate(lambda d: d["credentialSubject"].update(name="Mallory")),
        "CRYPTOGRAPHIC_SECURITY_ERROR",
    ),
    (
        "validUntil in the past",
        lambda: verify_credential(signed(validUntil="2026-02-01T00:00:00Z")),
        "VALIDITY_ERROR",
    ),
    (
        "status list too short",
        lambda: status_case(encode_base64url(gzip.compress(b"\0" * 1024, mtime=0))),
        "STATUS_LIST_LENGTH_ERROR",
    ),
    (
        "gzip bomb as status list",
        lambda: status_case(gzip_bomb(64 << 20)),
        "INPUT_LIMIT_ERROR",
    ),
    ("no proof", lambda: verify_credential(credential()), "PROOF_VERIFICATION_ERROR"),
    ("not an object", lambda: verify_credential(["not", "a", "credential"]), "PARSING_ERROR"),
    ("proof is a string", lambda: mutate(lambda d: d.update(proof="z123")), "PARSING_ERROR"),
]


@pytest.mark.parametrize(("name", "run", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_the_right_problem(
    name: str, run: Callable[[], dict[str, Any]], expected: str
) -> None:
    result = run()
    assert result["verified"] is False
    assert expected in problem_types(result), result["problemDetails"]
    for p in result["problemDetails"]:
        assert set(p) >= {"type", "title", "detail"}


def test_presentation_challenge_and_domain_are_enforced() -> None:
    holder = SigningKey(bytes(range(30, 62)))
    vp = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": holder.did_key,
        "verifiableCredential": [signed()],
    }
    signed_vp = sign_presentation(
        vp, holder, ProofOptions(challenge="abc", domain="employer.example")
    )
    assert verify(signed_vp, VerifyOptions(challenge="abc", domain="employer.example"))["verified"]
    wrong_challenge = verify(signed_vp, VerifyOptions(challenge="abd", domain="employer.example"))
    assert "INVALID_CHALLENGE_ERROR" in problem_types(wrong_challenge)
    wrong_domain = verify(signed_vp, VerifyOptions(challenge="abc", domain="evil.example"))
    assert "INVALID_DOMAIN_ERROR" in problem_types(wrong_domain)
    stolen = copy.deepcopy(signed_vp)
    stolen["holder"] = OTHER.did_key
    assert not verify(stolen, VerifyOptions(challenge="abc"))["verified"]
    as_credential_key = resign_raw(vp, proof_purpose="assertionMethod", challenge="abc")
    assert "PROOF_VERIFICATION_ERROR" in problem_types(
        verify(as_credential_key, VerifyOptions(challenge="abc"))
    )


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        (credential(issuer=OTHER.did_key), "issuer"),
        (credential(validFrom="2026-01-01"), "dateTimeStamp"),
        (credential(validFrom="2026-03-01T00:00:00Z", validUntil="2026-02-01T00:00:00Z"), "after"),
        (credential(credentialSubject={"id": "not a url"}), "credentialSubject"),
        (
            credential(
                **{"@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]}
            ),
            "first @context",
        ),
        (credential(name=None), "name must be"),
        (credential(name="lone \ud800 surrogate"), "surrogate"),
        (
            credential(
                type=["VerifiableCredential", "SkillBadge"],
                **{"@context": [V1]},
                issuanceDate="2026-01-01T00:00:00Z",
                credentialSubject={"id": "did:example:maker"},
            ),
            "relative IRI",
        ),
    ],
)
def test_signing_refuses_what_verifiers_would_reject(doc: dict[str, Any], fragment: str) -> None:
    with pytest.raises(PassportVcError) as info:
        sign_credential(doc, ISSUER)
    assert fragment in info.value.detail


def test_signing_refuses_oversized_and_deep_input() -> None:
    deep: Any = "x"
    for _ in range(100):
        deep = [deep]
    with pytest.raises(PassportVcError, match="nesting"):
        sign_credential(credential(credentialSubject={"id": "did:example:m", "name": deep}), ISSUER)
    with pytest.raises(PassportVcError, match="exceed"):
        sign_credential(credential(description="x" * 1_100_000), ISSUER)
