"""Sign credentials and presentations, refusing what verifiers would reject.

Before a proof is added the document must pass the context policy and the VC Data Model checks,
lose nothing in JSON-LD processing, and name as issuer (or holder) the key's controller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from passport_vc import errors
from passport_vc.credentials.model import (
    check_contexts,
    check_credential,
    check_presentation,
    issuer_id,
    types_of,
)
from passport_vc.errors import MalformedValueError, PassportVcError
from passport_vc.jsonld.canonical import check_lossless
from passport_vc.jsonld.contexts import CREDENTIALS_V1, DATA_INTEGRITY_V2
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions, add_proof
from passport_vc.proofs.suite import get_suite


class SigningError(PassportVcError):
    problem_type = errors.MALFORMED_VALUE_ERROR
    title = "Cannot sign this document"


def _refuse_problems(problems: list[dict[str, str]]) -> None:
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SigningError(first["detail"] + more, problem_type=first["type"])


def _inject_proof_context(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """DI §2.4.2: VC 1.1 contexts do not define the proof terms; add data-integrity/v2."""
    contexts = document.get("@context")
    if not isinstance(contexts, list):
        return document
    if contexts[:1] == [CREDENTIALS_V1] and DATA_INTEGRITY_V2 not in contexts:
        return {**document, "@context": [*contexts, DATA_INTEGRITY_V2]}
    return document


def _check_lossless_for(document: Mapping[str, Any], options: ProofOptions) -> None:
    """Refuse JSON-LD data loss. RDF suites find it while canonicalizing; JSON suites ask here."""
    if not get_suite(options.cryptosuite).canonicalizes_rdf:
        check_lossless({k: v for k, v in document.items() if k != "proof"})


def _controller_of(verification_method: str) -> str:
    return verification_method.split("#", 1)[0]


def sign_credential(
    credential: Mapping[str, Any],
    key: SigningKey,
    options: ProofOptions | None = None,
    *,
    controller: str | None = None,
    own: bool = False,
) -> dict[str, Any]:
    """Add an assertionMethod proof to a credential whose issuer is the key's controller.

    `own=True` is for a credential the service built itself from checked values (a skill badge
    from `build_skill_badge` and status entries from `build_status_entry`): the context policy
    and VC Data Model checks, which such a credential passes by construction, are not run
    again, and the proof hashes it by the suite's exact fast path (`hash_own_data`). The signed
    output is the same bytes either way (tests/credentials/test_own_signing.py)."""
    options = options or ProofOptions()
    if not isinstance(credential, Mapping):
        raise MalformedValueError("a credential must be a JSON object")
    credential = _inject_proof_context(credential)
    if not own:
        _refuse_problems(check_contexts(credential))
        _refuse_problems(check_credential(credential))
    controller = controller or _controller_of(
        options.verification_method or key.verification_method
    )
    if issuer_id(credential) != controller:
        raise SigningError(
            f"issuer is {issuer_id(credential)!r} but the key belongs to {controller}",
            problem_type=errors.ISSUER_BINDING_ERROR,
        )
    _check_lossless_for(credential, options)
    return add_proof(credential, key, options, own=own)


def sign_presentation(
    presentation: Mapping[str, Any],
    key: SigningKey,
    options: ProofOptions | None = None,
) -> dict[str, Any]:
    """Add an authentication proof (with challenge and domain) to a presentation."""
    options = replace(options or ProofOptions(), proof_purpose="authentication")
    if not isinstance(presentation, Mapping):
        raise MalformedValueError("a presentation must be a JSON object")
    presentation = _inject_proof_context(presentation)
    _refuse_problems(check_contexts(presentation))
    _refuse_problems(check_presentation(presentation))
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    controller = _controller_of(options.verification_method or key.verification_method)
    if holder is not None and holder != controller:
        raise SigningError(
            f"holder is {holder!r} but the key belongs to {controller}",
            problem_type=errors.HOLDER_BINDING_ERROR,
        )
    _check_lossless_for(presentation, options)
    return add_proof(presentation, key, options)


def sign(
    document: Mapping[str, Any], key: SigningKey, options: ProofOptions | None = None
) -> dict[str, Any]:
    """Sign a credential or a presentation, chosen by its type."""
    if isinstance(document, Mapping) and "VerifiablePresentation" in types_of(document):
        return sign_presentation(document, key, options)
    return sign_credential(document, key, options)
