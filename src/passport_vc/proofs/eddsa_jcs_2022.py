"""eddsa-jcs-2022 (EdDSA Cryptosuites §3.3): RFC 8785 JSON canonicalization, Ed25519.

JCS does no JSON-LD processing, so the caller still validates contexts and data loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

from passport_vc.errors import MalformedValueError, ProofError
from passport_vc.proofs.suite import Cryptosuite, register


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON of `value`."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise MalformedValueError(
            f"value cannot be canonicalized as JSON (RFC 8785): {exc}"
        ) from None


class EddsaJcs2022(Cryptosuite):
    name = "eddsa-jcs-2022"

    def prepare_proof(self, proof: dict[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
        # §3.3.1: the proof carries (and signs) the document's @context.
        if "@context" in document:
            proof["@context"] = document["@context"]
        return proof

    def check_proof(self, proof: Mapping[str, Any], document: Mapping[str, Any]) -> None:
        # §3.3.2: the document's @context must start with the proof's, in order.
        if "@context" not in proof:
            return
        proof_ctx = _as_list(proof["@context"])
        doc_ctx = _as_list(document.get("@context"))
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            raise ProofError("proof @context is not a prefix of the document's @context")

    def canonical_document(self, unsecured: Mapping[str, Any], proof: Mapping[str, Any]) -> bytes:
        if "@context" in proof:
            unsecured = {**unsecured, "@context": proof["@context"]}
        return jcs(unsecured)

    def canonical_proof_config(
        self, proof_config: Mapping[str, Any], document: Mapping[str, Any]
    ) -> bytes:
        return jcs({k: v for k, v in proof_config.items() if k != "proofValue"})


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


SUITE = register(EddsaJcs2022())
