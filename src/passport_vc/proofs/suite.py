"""The cryptosuite interface: what differs between suites is how document and proof are hashed.

A suite turns (unsecured document, proof configuration) into the bytes that are signed; signing
and checking those bytes with Ed25519 is shared. Adding a suite is a new module registered here.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from passport_vc.errors import MalformedValueError, ProofError
from passport_vc.multibase import decode_base58btc, encode_base58btc

_REGISTRY: dict[str, Cryptosuite] = {}


class Cryptosuite(ABC):
    """One Data Integrity cryptosuite (EdDSA family: Ed25519 over SHA-256 hashes)."""

    name: ClassVar[str]
    proof_type: ClassVar[str] = "DataIntegrityProof"
    can_sign: ClassVar[bool] = True
    method_types: ClassVar[tuple[str, ...]] = ("Multikey",)  # EdDSA Cryptosuites §2.1.1
    # True when hashing converts the document to RDF, which refuses data loss on its own.
    canonicalizes_rdf: ClassVar[bool] = False

    def prepare_proof(self, proof: dict[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
        """The proof object before its value is added (a suite may add fields, e.g. @context)."""
        return proof

    def check_proof(self, proof: Mapping[str, Any], document: Mapping[str, Any]) -> None:
        """Suite-specific checks on a received proof; raise ProofError when it cannot apply."""
        return None

    @abstractmethod
    def canonical_document(self, unsecured: Mapping[str, Any], proof: Mapping[str, Any]) -> bytes:
        """The transformed (canonical) unsecured document."""

    @abstractmethod
    def canonical_proof_config(
        self, proof_config: Mapping[str, Any], document: Mapping[str, Any]
    ) -> bytes:
        """The canonical proof configuration (the proof without proofValue)."""

    def hash_data(self, unsecured: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
        """SHA-256(canonical proof config) ‖ SHA-256(canonical document): the signed bytes."""
        config_hash = hashlib.sha256(self.canonical_proof_config(proof_config, unsecured)).digest()
        doc_hash = hashlib.sha256(self.canonical_document(unsecured, proof_config)).digest()
        return config_hash + doc_hash

    def hash_own_data(self, unsecured: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
        """`hash_data` of a document this service built itself: the same bytes, by a faster exact
        path where the suite has one (eddsa-rdfc-2022: proofs.rdfc_templates)."""
        return self.hash_data(unsecured, proof_config)

    def encode_signature(self, signature: bytes) -> str:
        return encode_base58btc(signature)

    def decode_signature(self, proof_value: Any) -> bytes:
        try:
            signature = decode_base58btc(proof_value)
        except MalformedValueError as exc:
            raise ProofError(f"proofValue: {exc.detail}") from None
        if len(signature) != 64:
            raise ProofError(f"proofValue: an Ed25519 signature is 64 bytes, got {len(signature)}")
        return signature


def register(suite: Cryptosuite) -> Cryptosuite:
    _REGISTRY[suite.name] = suite
    return suite


def get_suite(name: str) -> Cryptosuite:
    """The registered suite `name`; ProofError naming the known ones otherwise."""
    _load_builtin()
    suite = _REGISTRY.get(name)
    if suite is None:
        raise ProofError(f"unsupported cryptosuite {name!r}; supported: {', '.join(suite_names())}")
    return suite


def suite_for_proof(proof: Mapping[str, Any]) -> Cryptosuite:
    """Pick the suite from a proof's `type` and `cryptosuite`."""
    proof_type = proof.get("type")
    if proof_type == "DataIntegrityProof":
        name = proof.get("cryptosuite")
        if not isinstance(name, str):
            raise ProofError("proof.cryptosuite is required for a DataIntegrityProof")
        return get_suite(name)
    if isinstance(proof_type, str):
        _load_builtin()
        for suite in _REGISTRY.values():
            if suite.proof_type == proof_type:
                return suite
    raise ProofError(f"unsupported proof type {proof_type!r}")


def suite_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


_builtin_loaded = False


def _load_builtin() -> None:
    # A flag, not an empty registry: importing one suite's module first (eddsa_rdfc_2022 for
    # its OWN_DOCUMENTS) registers it alone.
    global _builtin_loaded
    if not _builtin_loaded:
        from passport_vc.proofs import (  # noqa: F401  (registration on import)
            ed25519_signature_2020,
            eddsa_jcs_2022,
            eddsa_rdfc_2022,
        )

        _builtin_loaded = True
