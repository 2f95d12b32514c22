"""eddsa-rdfc-2022 (EdDSA Cryptosuites §3.2): RDFC-1.0 canonical N-Quads, Ed25519."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from passport_vc.jsonld.canonical import canonicalize
from passport_vc.proofs.suite import Cryptosuite, register


class EddsaRdfc2022(Cryptosuite):
    name = "eddsa-rdfc-2022"
    canonicalizes_rdf = True

    def canonical_document(self, unsecured: Mapping[str, Any], proof: Mapping[str, Any]) -> bytes:
        return canonicalize(unsecured).encode("utf-8")

    def canonical_proof_config(
        self, proof_config: Mapping[str, Any], document: Mapping[str, Any]
    ) -> bytes:
        # §3.2.5: the proof configuration takes the document's @context; the proof itself
        # carries none.
        config = {k: v for k, v in proof_config.items() if k != "proofValue"}
        config["@context"] = document.get("@context")
        return canonicalize(config).encode("utf-8")


SUITE = register(EddsaRdfc2022())
