"""Add and verify Data Integrity proofs (VC Data Integrity 1.0 §4.2–§4.5), sets and chains."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from passport_vc import errors
from passport_vc.errors import PassportVcError, ProofError
from passport_vc.keys import PublicKey, SigningKey
from passport_vc.proofs.suite import get_suite, suite_for_proof
from passport_vc.timestamps import format_datetime_stamp, parse_datetime_stamp, utc_now

CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ProofOptions:
    """What a new proof says besides its signature."""

    cryptosuite: str = "eddsa-rdfc-2022"
    proof_purpose: str = "assertionMethod"
    verification_method: str | None = None  # default: the key's did:key method
    created: datetime | str | None = None  # default: now
    expires: datetime | str | None = None
    challenge: str | None = None
    domain: str | Sequence[str] | None = None
    nonce: str | None = None
    id: str | None = None
    previous_proof: str | Sequence[str] | None = None


def proofs_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (a proof set or chain, or a single proof)."""
    proof = document.get("proof")
    if proof is None:
        return []
    if isinstance(proof, dict):
        return [proof]
    if isinstance(proof, list) and all(isinstance(p, dict) for p in proof):
        return list(proof)
    raise ProofError(
        "proof must be an object or a list of objects", problem_type=errors.PARSING_ERROR
    )


def _stamp(value: datetime | str, field_name: str) -> str:
    if isinstance(value, str):
        parse_datetime_stamp(value, field_name)
        return value
    return format_datetime_stamp(value)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _unsecured_for(
    document: Mapping[str, Any], proof: Mapping[str, Any], all_proofs: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The document a proof signs: without proofs, plus the proofs it chains to (§4.3, §4.5)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    previous = proof.get("previousProof")
    if previous is not None:
        wanted = _as_list(previous)
        by_id = {p.get("id"): p for p in all_proofs if p is not proof}
        missing = [w for w in wanted if w not in by_id]
        if missing:
            raise ProofError(f"previousProof {', '.join(missing)} is not in the proof set")
        unsecured["proof"] = [by_id[w] for w in wanted]
    return unsecured


def add_proof(
    document: Mapping[str, Any],
    key: SigningKey,
    options: ProofOptions | None = None,
    *,
    own: bool = False,
) -> dict[str, Any]:
    """A copy of `document` with a new proof added (to a proof set if it already has proofs).

    `own`: the service built `document` itself; the suite may hash it by a faster path that
    gives the same bytes (Cryptosuite.hash_own_data)."""
    options = options or ProofOptions()
    if not isinstance(document, Mapping):
        raise ProofError(
            "the document to sign must be a JSON object", problem_type=errors.PARSING_ERROR
        )
    suite = get_suite(options.cryptosuite)
    if not suite.can_sign:
        raise ProofError(f"{suite.name} is supported for verification only")
    existing = proofs_of(document)
    proof: dict[str, Any] = {"type": suite.proof_type}
    if options.id is not None:
        proof["id"] = options.id
    if suite.proof_type == "DataIntegrityProof":
        proof["cryptosuite"] = suite.name
    proof["created"] = _stamp(options.created or utc_now(), "created")
    if options.expires is not None:
        proof["expires"] = _stamp(options.expires, "expires")
    proof["verificationMethod"] = options.verification_method or key.verification_method
    proof["proofPurpose"] = options.proof_purpose
    if options.challenge is not None:
        proof["challenge"] = options.challenge
    if options.domain is not None:
        proof["domain"] = (
            options.domain if isinstance(options.domain, str) else list(options.domain)
        )
    if options.nonce is not None:
        proof["nonce"] = options.nonce
    if options.previous_proof is not None:
        proof["previousProof"] = (
            options.previous_proof
            if isinstance(options.previous_proof, str)
            else list(options.previous_proof)
        )
    proof = suite.prepare_proof(proof, document)
    unsecured = _unsecured_for(document, proof, existing)
    digest = suite.hash_own_data(unsecured, proof) if own else suite.hash_data(unsecured, proof)
    proof["proofValue"] = suite.encode_signature(key.sign(digest))
    signed = {k: v for k, v in document.items() if k != "proof"}
    signed["proof"] = [*existing, proof] if existing else proof
    return signed


@dataclass(frozen=True)
class ResolvedKey:
    """A verification method after dereferencing: who controls it and its public key."""

    id: str
    controller: str
    public_key: PublicKey
    type: str = "Multikey"


KeyResolver = Callable[[str, str], ResolvedKey]
"""(verification method URL, relationship) -> the dereferenced key; raises PassportVcError."""


@dataclass
class ProofCheck:
    """The outcome of checking one proof."""

    proof: Mapping[str, Any]
    verified: bool = False
    controller: str | None = None
    problems: list[dict[str, str]] = field(default_factory=list)

    def fail(
        self, problem_type: str, detail: str, title: str = "Proof verification failed"
    ) -> None:
        self.verified = False
        self.problems.append({"type": problem_type, "title": title, "detail": detail})


def _check_domain(
    proof: Mapping[str, Any], expected: str | Sequence[str] | None, check: ProofCheck
) -> None:
    if expected is None:
        return
    have = proof.get("domain")
    have_set = set(_as_list(have)) if isinstance(have, str | list) else set()
    missing = [d for d in _as_list(expected) if d not in have_set]
    if missing:
        check.fail(
            errors.INVALID_DOMAIN_ERROR,
            f"proof domain {have!r} does not include the expected domain {', '.join(missing)}",
            "Invalid domain",
        )


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    all_proofs: Sequence[Mapping[str, Any]] = (),
    resolve_key: KeyResolver,
    expected_purpose: str,
    challenge: str | None = None,
    domain: str | Sequence[str] | None = None,
    now: datetime | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ProofCheck:
    """Run the Verify Proof algorithm (§4.4) on one proof; never raises for bad input."""
    check = ProofCheck(proof)
    try:
        for name in ("type", "verificationMethod", "proofPurpose"):
            if not isinstance(proof.get(name), str):
                check.fail(errors.PROOF_VERIFICATION_ERROR, f"proof.{name} is required (a string)")
        if check.problems:
            return check
        if proof["proofPurpose"] != expected_purpose:
            check.fail(
                errors.PROOF_VERIFICATION_ERROR,
                f"proofPurpose is {proof['proofPurpose']!r}; expected {expected_purpose!r}",
            )
        _check_domain(proof, domain, check)
        if challenge is not None and proof.get("challenge") != challenge:
            check.fail(
                errors.INVALID_CHALLENGE_ERROR,
                "proof challenge does not match the expected challenge",
                "Invalid challenge",
            )
        moment = now or clock()
        if "created" in proof:
            created = parse_datetime_stamp(proof["created"], "proof.created")
            if created > moment + CLOCK_SKEW:
                check.fail(
                    errors.PROOF_VERIFICATION_ERROR,
                    f"proof created in the future ({proof['created']})",
                )
        if "expires" in proof:
            expires = parse_datetime_stamp(proof["expires"], "proof.expires")
            if expires < moment:
                check.fail(
                    errors.PROOF_EXPIRED_ERROR,
                    f"proof expired at {proof['expires']}",
                    "Proof expired",
                )
        if check.problems:
            return check
        suite = suite_for_proof(proof)
        suite.check_proof(proof, document)
        signature = suite.decode_signature(proof.get("proofValue"))
        key = resolve_key(proof["verificationMethod"], expected_purpose)
        check.controller = key.controller
        if key.type not in suite.method_types:
            raise ProofError(
                f"{suite.name} needs a {' or '.join(suite.method_types)} verification method, "
                f"not {key.type}",
                problem_type=errors.INVALID_VERIFICATION_METHOD,
            )
        unsecured = _unsecured_for(document, proof, all_proofs)
        if key.public_key.verify(suite.hash_data(unsecured, proof), signature):
            check.verified = True
        else:
            check.fail(
                errors.CRYPTOGRAPHIC_SECURITY_ERROR,
                "the signature does not match the document",
                "Invalid signature",
            )
    except PassportVcError as exc:
        check.fail(exc.problem_type, exc.detail, exc.title)
    return check
