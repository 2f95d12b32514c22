"""The verification pipeline for credentials and presentations.

`verify(document, options)` answers in the VC API's current result shape: `verified`,
`problemDetails` (RFC 9457 objects with the specifications' error types) and `results` per check.
Each check is a small function that adds its result and problems; none of them raises for bad
input. DID documents and status lists come through resolvers the caller supplies.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from passport_vc import errors
from passport_vc.credentials.model import (
    Problem,
    as_list,
    check_contexts,
    check_credential,
    check_presentation,
    issuer_id,
    problem,
    types_of,
)
from passport_vc.dids import DidResolver, UniversalResolver, dereference_verification_method
from passport_vc.errors import PassportVcError
from passport_vc.jsonld.canonical import check_lossless
from passport_vc.proofs.data_integrity import ProofCheck, ResolvedKey, proofs_of, verify_proof
from passport_vc.proofs.suite import suite_for_proof
from passport_vc.status import check_status, parse_status_entry
from passport_vc.timestamps import parse_datetime_stamp, utc_now

StatusListResolver = Callable[[str], Mapping[str, Any]]
"""Returns the status list credential at a URL (raising PassportVcError when it cannot)."""


@dataclass
class VerifyOptions:
    """What the verifier expects and where it gets DID documents and status lists."""

    challenge: str | None = None
    domain: str | Sequence[str] | None = None
    now: datetime | None = None
    did_resolver: DidResolver | None = None  # default: did:key only, no network
    status_resolver: StatusListResolver | None = None  # None: status reported as unchecked
    require_status: bool = False  # fail when a status entry cannot be checked
    allow_embedded_contexts: bool = False
    return_document: bool = True


@dataclass
class _Outcome:
    problems: list[Problem] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def add(self, found: list[Problem]) -> bool:
        self.problems.extend(found)
        return not found


_default_resolver = UniversalResolver()


def _key_resolver(resolver: DidResolver) -> Callable[[str, str], ResolvedKey]:
    def resolve(verification_method: str, relationship: str) -> ResolvedKey:
        method = dereference_verification_method(verification_method, resolver, relationship)
        return ResolvedKey(method.id, method.controller, method.public_key, method.type)

    return resolve


def _canonicalizes_rdf(proof: Mapping[str, Any]) -> bool:
    try:
        return suite_for_proof(proof).canonicalizes_rdf
    except PassportVcError:
        return False  # the proof check reports the unknown suite


def _check_lossless(document: Mapping[str, Any], out: _Outcome) -> bool:
    """Refuse data loss up front unless every proof's suite converts to RDF (and so refuses it)."""
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    if all(isinstance(p, Mapping) and _canonicalizes_rdf(p) for p in proofs):
        return True
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    try:
        check_lossless(unsecured)
    except PassportVcError as exc:
        out.problems.append(exc.problem())
        return False
    return True


def _verify_proofs(
    document: Mapping[str, Any],
    *,
    purpose: str,
    options: VerifyOptions,
    bind_to: str | None,
    bind_name: str,
    out: _Outcome,
) -> list[ProofCheck]:
    """Every proof must verify (DI §4.5); at least one must be by a key `bind_to` controls."""
    try:
        proofs = proofs_of(document)
    except PassportVcError as exc:
        out.problems.append(exc.problem())
        out.results["proof"] = []
        return []
    if not proofs:
        out.problems.append(
            problem(errors.PROOF_VERIFICATION_ERROR, "the document has no proof", "No proof")
        )
        out.results["proof"] = []
        return []
    resolve = _key_resolver(options.did_resolver or _default_resolver)
    checks = [
        verify_proof(
            document,
            proof,
            all_proofs=proofs,
            resolve_key=resolve,
            expected_purpose=purpose,
            challenge=options.challenge if purpose == "authentication" else None,
            domain=options.domain if purpose == "authentication" else None,
            now=options.now,
        )
        for proof in proofs
    ]
    for check in checks:
        out.problems.extend(check.problems)
    all_verified = all(c.verified for c in checks)
    if bind_to is not None and all_verified and not any(c.controller == bind_to for c in checks):
        out.problems.append(
            problem(
                errors.ISSUER_BINDING_ERROR,
                f"no proof is by a key that the {bind_name} {bind_to} controls "
                f"(signed by {', '.join(sorted({str(c.controller) for c in checks}))})",
                f"Key not controlled by the {bind_name}",
            )
        )
    out.results["proof"] = [
        {
            "verified": c.verified,
            "input": c.proof,
            "controller": c.controller,
            "problemDetails": c.problems,
        }
        for c in checks
    ]
    return checks


def _check_validity(document: Mapping[str, Any], options: VerifyOptions, out: _Outcome) -> None:
    now = options.now or utc_now()
    v1 = "issuanceDate" in document and "validFrom" not in document
    for name, legacy, before in (
        ("validFrom", "issuanceDate", True),
        ("validUntil", "expirationDate", False),
    ):
        key = legacy if v1 else name
        if key not in document:
            continue
        value = document[key]
        try:
            moment = parse_datetime_stamp(value, key)
        except PassportVcError as exc:
            out.results[name] = {"verified": False, "input": value}
            out.problems.append(exc.problem())
            continue
        ok = now >= moment if before else now <= moment
        out.results[name] = {"verified": ok, "input": value}
        if not ok:
            detail = f"not valid before {value}" if before else f"expired at {value}"
            out.problems.append(
                problem(errors.VALIDITY_ERROR, f"{key}: {detail}", "Outside validity period")
            )


class _StatusListCache:
    """Verified status list credentials, by URL and proof value (a re-signed list is new)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.data: OrderedDict[tuple[str, str], list[Problem]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> list[Problem] | None:
        with self.lock:
            return self.data.get(key)

    def put(self, key: tuple[str, str], value: list[Problem]) -> None:
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_verified_lists = _StatusListCache()


def _verify_status_list(
    url: str, list_vc: Mapping[str, Any], issuer: str | None, options: VerifyOptions
) -> list[Problem]:
    # Keyed by the whole document (not its proofValue, which a forger can copy onto other
    # bits) and by the resolver that vouched for the key.
    digest = hashlib.sha256(
        json.dumps(list_vc, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    cache_key = (url, f"{digest}|{issuer}|{id(options.did_resolver)}")
    cached = _verified_lists.get(cache_key)
    if cached is not None:
        return cached
    inner = VerifyOptions(now=options.now, did_resolver=options.did_resolver, status_resolver=None)
    result = verify_credential(list_vc, inner, check_status_entries=False)
    found: list[Problem] = []
    if not result["verified"]:
        details = "; ".join(p["detail"] for p in result["problemDetails"])
        found.append(
            problem(
                errors.STATUS_VERIFICATION_ERROR,
                f"status list {url} does not verify: {details}",
                "Status list does not verify",
            )
        )
    elif issuer is not None and issuer_id(list_vc) != issuer:
        found.append(
            problem(
                errors.STATUS_VERIFICATION_ERROR,
                f"status list {url} is issued by {issuer_id(list_vc)}, "
                f"not by the credential's issuer {issuer}",
                "Status list issuer mismatch",
            )
        )
    if list_vc.get("id") not in (None, url):
        found.append(
            problem(
                errors.STATUS_VERIFICATION_ERROR,
                f"status list at {url} says its id is {list_vc.get('id')!r}",
                "Status list id mismatch",
            )
        )
    if result["verified"]:
        _verified_lists.put(cache_key, found)
    return found


def _not_checked(
    item: dict[str, Any], problem_type: str, detail: str, options: VerifyOptions, out: _Outcome
) -> None:
    """A status entry that could not be checked: a failure if required, else a warning."""
    item["checked"] = False
    note = problem(problem_type, detail, "Status not checked")
    if options.require_status:
        out.problems.append(note)
    else:
        item["verified"] = True
        out.warnings.append(note)


def _check_status(document: Mapping[str, Any], options: VerifyOptions, out: _Outcome) -> None:
    entries = as_list(document.get("credentialStatus"))
    if not entries:
        return
    results: list[dict[str, Any]] = []
    out.results["credentialStatus"] = results
    for raw in entries:
        item: dict[str, Any] = {"verified": False, "input": raw}
        results.append(item)
        if not isinstance(raw, Mapping) or raw.get("type") != "BitstringStatusListEntry":
            kind = raw.get("type") if isinstance(raw, Mapping) else raw
            _not_checked(
                item, errors.STATUS_ERROR, f"status type {kind!r} is not supported", options, out
            )
            continue
        try:
            entry = parse_status_entry(raw)
            if options.status_resolver is None:
                detail = f"status list {entry.status_list_credential} was not retrieved (offline)"
                _not_checked(item, errors.STATUS_RETRIEVAL_ERROR, detail, options, out)
                continue
            try:
                list_vc = options.status_resolver(entry.status_list_credential)
            except PassportVcError as exc:
                raise PassportVcError(
                    exc.detail, problem_type=errors.STATUS_RETRIEVAL_ERROR
                ) from None
            list_problems = _verify_status_list(
                entry.status_list_credential, list_vc, issuer_id(document), options
            )
            if list_problems:
                out.problems.extend(list_problems)
                continue
            status = check_status(entry, list_vc, now=options.now)
            item["checked"] = True
            item["value"] = status.value
            item["purpose"] = status.purpose
            if status.message is not None:
                item["message"] = status.message
            if status.set and entry.purpose in ("revocation", "suspension"):
                word = "revoked" if entry.purpose == "revocation" else "suspended"
                out.problems.append(
                    problem(errors.STATUS_ERROR, f"the credential is {word}", f"Credential {word}")
                )
            else:
                item["verified"] = True
        except PassportVcError as exc:
            out.problems.append(exc.problem())


def _finish(
    out: _Outcome, key: str, document: Mapping[str, Any], options: VerifyOptions
) -> dict[str, Any]:
    result: dict[str, Any] = {"verified": not out.problems}
    if options.return_document:
        result[key] = document
    result["problemDetails"] = out.problems
    result["warnings"] = out.warnings
    result["results"] = out.results
    return result


def verify_credential(
    document: Any, options: VerifyOptions | None = None, *, check_status_entries: bool = True
) -> dict[str, Any]:
    """Verify a credential: proofs, issuer binding, conformance, validity window, status."""
    options = options or VerifyOptions()
    out = _Outcome()
    if not isinstance(document, Mapping):
        out.problems.append(
            problem(errors.PARSING_ERROR, "a credential must be a JSON object", "Parsing error")
        )
        return _finish(out, "credential", {}, options)
    contexts_ok = out.add(check_contexts(document, allow_embedded=options.allow_embedded_contexts))
    if contexts_ok and _check_lossless(document, out):
        _verify_proofs(
            document,
            purpose="assertionMethod",
            options=options,
            bind_to=issuer_id(document),
            bind_name="issuer",
            out=out,
        )
    else:
        out.results["proof"] = []
    out.add(check_credential(document))
    _check_validity(document, options, out)
    if check_status_entries:
        _check_status(document, options, out)
    return _finish(out, "credential", document, options)


def verify_presentation(document: Any, options: VerifyOptions | None = None) -> dict[str, Any]:
    """Verify a presentation: its authentication proof (challenge, domain) and each credential."""
    options = options or VerifyOptions()
    out = _Outcome()
    if not isinstance(document, Mapping):
        out.problems.append(
            problem(errors.PARSING_ERROR, "a presentation must be a JSON object", "Parsing error")
        )
        return _finish(out, "presentation", {}, options)
    holder = document.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    holder = holder if isinstance(holder, str) else None
    contexts_ok = out.add(check_contexts(document, allow_embedded=options.allow_embedded_contexts))
    if contexts_ok and _check_lossless(document, out):
        _verify_proofs(
            document,
            purpose="authentication",
            options=options,
            bind_to=holder,
            bind_name="holder",
            out=out,
        )
    else:
        out.results["proof"] = []
    out.add(check_presentation(document))
    presentation: dict[str, Any] = {}
    proofs = [p for p in (out.results.get("proof") or [])]
    if options.challenge is not None:
        presentation["challenge"] = {
            "verified": any(p["input"].get("challenge") == options.challenge for p in proofs),
            "input": options.challenge,
        }
    if options.domain is not None:
        presentation["domain"] = {
            "verified": all(p["verified"] for p in proofs) and bool(proofs),
            "input": options.domain,
        }
    out.results["presentation"] = presentation
    credential_results = []
    inner = VerifyOptions(
        now=options.now,
        did_resolver=options.did_resolver,
        status_resolver=options.status_resolver,
        require_status=options.require_status,
        allow_embedded_contexts=options.allow_embedded_contexts,
        return_document=False,
    )
    for i, vc in enumerate(as_list(document.get("verifiableCredential"))):
        result = verify_credential(vc, inner)
        subjects = as_list(vc.get("credentialSubject")) if isinstance(vc, Mapping) else []
        result["holderIsSubject"] = holder is not None and any(
            isinstance(s, Mapping) and s.get("id") == holder for s in subjects
        )
        credential_results.append(result)
        for p in result["problemDetails"]:
            out.problems.append({**p, "detail": f"verifiableCredential[{i}]: {p['detail']}"})
    out.results["credentials"] = credential_results
    return _finish(out, "presentation", document, options)


def verify(document: Any, options: VerifyOptions | None = None) -> dict[str, Any]:
    """Verify a credential or a presentation, chosen by its `type`."""
    if isinstance(document, Mapping) and "VerifiablePresentation" in types_of(document):
        return verify_presentation(document, options)
    return verify_credential(document, options)


def trusted(result: Mapping[str, Any], trusted_issuers: Collection[str]) -> bool:
    """Whether a verified credential's issuer is in a trust list (for callers with a registry)."""
    credential = result.get("credential")
    return (
        bool(result.get("verified"))
        and isinstance(credential, Mapping)
        and issuer_id(credential) in trusted_issuers
    )
