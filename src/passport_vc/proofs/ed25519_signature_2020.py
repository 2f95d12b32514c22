"""Ed25519Signature2020 (the legacy suite of many badges in the wild): verification only.

Same hashing as eddsa-rdfc-2022 (URDNA2015 = RDFC-1.0), with its own proof type and context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from passport_vc.errors import ProofError
from passport_vc.proofs.eddsa_rdfc_2022 import EddsaRdfc2022
from passport_vc.proofs.suite import register

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class Ed25519Signature2020(EddsaRdfc2022):
    name = "Ed25519Signature2020"
    proof_type = "Ed25519Signature2020"
    can_sign = False
    method_types = ("Ed25519VerificationKey2020", "Multikey")

    def check_proof(self, proof: Mapping[str, Any], document: Mapping[str, Any]) -> None:
        contexts = document.get("@context")
        if not isinstance(contexts, list) or ED25519_2020_CONTEXT not in contexts:
            raise ProofError(
                f"an Ed25519Signature2020 proof needs {ED25519_2020_CONTEXT} in the @context"
            )


SUITE = register(Ed25519Signature2020())
