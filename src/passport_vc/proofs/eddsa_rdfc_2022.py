"""eddsa-rdfc-2022 (EdDSA Cryptosuites §3.2): RDFC-1.0 canonical N-Quads, Ed25519."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from passport_vc.jsonld.canonical import canonicalize
from passport_vc.proofs.rdfc_templates import TemplateCanonicalizer
from passport_vc.proofs.suite import Cryptosuite, register

# Documents the service signs itself: their canonical N-Quads from per-shape templates.
OWN_DOCUMENTS = TemplateCanonicalizer()


class EddsaRdfc2022(Cryptosuite):
    name = "eddsa-rdfc-2022"
    canonicalizes_rdf = True

    def canonical_document(self, unsecured: Mapping[str, Any], proof: Mapping[str, Any]) -> bytes:
        return canonicalize(unsecured).encode("utf-8")

    def canonical_proof_config(
        self, proof_config: Mapping[str, Any], document: Mapping[str, Any]
    ) -> bytes:
        return canonicalize(_configuration(proof_config, document)).encode("utf-8")

    def hash_own_data(self, unsecured: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
        """`hash_data`, with canonical N-Quads from OWN_DOCUMENTS when it is sure of them."""
        config = _configuration(proof_config, unsecured)
        config_nquads = OWN_DOCUMENTS.canonical_utf8(config)
        if config_nquads is None:
            config_nquads = canonicalize(config).encode("utf-8")
        document_nquads = OWN_DOCUMENTS.canonical_utf8(unsecured)
        if document_nquads is None:
            document_nquads = canonicalize(unsecured).encode("utf-8")
        return hashlib.sha256(config_nquads).digest() + hashlib.sha256(document_nquads).digest()


def _configuration(proof_config: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    # §3.2.5: the proof configuration takes the document's @context; the proof itself
    # carries none.
    config = {k: v for k, v in proof_config.items() if k != "proofValue"}
    config["@context"] = document.get("@context")
    return config


SUITE = register(EddsaRdfc2022())
