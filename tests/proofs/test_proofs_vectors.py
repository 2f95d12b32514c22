"""The official W3C vc-di-eddsa test vectors, reproduced byte for byte (tests/vectors/)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from passport_vc.jsonld.canonical import Canonicalizer
from passport_vc.keys import PublicKey, SigningKey
from passport_vc.proofs import ProofOptions, add_proof, get_suite, proofs_of
from passport_vc.proofs.data_integrity import ResolvedKey, verify_proof

VECTORS = Path(__file__).parent.parent / "vectors" / "vc-di-eddsa" / "TestVectors"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def text(name: str) -> str:
    return (VECTORS / name).read_text(encoding="utf-8")


def did_key_resolver(vm: str, relationship: str) -> ResolvedKey:
    did = vm.split("#")[0]
    return ResolvedKey(vm, did, PublicKey.from_multibase(did.removeprefix("did:key:")))


@pytest.fixture(scope="module")
def key() -> SigningKey:
    pair = load("keyPair.json")
    signing = SigningKey.from_multibase(pair["privateKeyMultibase"])
    assert signing.public_key.multibase == pair["publicKeyMultibase"]
    return signing


@pytest.mark.parametrize("fast", [True, False])
def test_rdfc_canonical_forms_and_hashes(fast: bool) -> None:
    canon = Canonicalizer()
    doc = canon.canonicalize(load("unsigned.json"), fast=fast)
    config = canon.canonicalize(load("eddsa-rdfc-2022/proofConfigDataInt.json"), fast=fast)
    assert doc == text("eddsa-rdfc-2022/canonDocDataInt.txt")
    assert config == text("eddsa-rdfc-2022/proofCanonDataInt.txt")
    assert (
        hashlib.sha256(doc.encode()).hexdigest()
        == text("eddsa-rdfc-2022/docHashDataInt.txt").strip()
    )
    assert hashlib.sha256(config.encode()).hexdigest() == (
        text("eddsa-rdfc-2022/proofHashDataInt.txt").strip()
    )


@pytest.mark.parametrize(
    ("suite", "folder", "suffix"),
    [
        ("eddsa-rdfc-2022", "eddsa-rdfc-2022", "DataInt"),
        ("eddsa-jcs-2022", "eddsa-jcs-2022", "JCS"),
    ],
)
def test_sign_reproduces_vector(key: SigningKey, suite: str, folder: str, suffix: str) -> None:
    expected = load(f"{folder}/signed{suffix}.json")
    unsigned = load("unsigned.json")
    signed = add_proof(
        unsigned, key, ProofOptions(cryptosuite=suite, created=expected["proof"]["created"])
    )
    assert signed == expected
    proof = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    combined = get_suite(suite).hash_data(unsigned, proof)
    assert combined.hex() == text(f"{folder}/combinedHash{suffix}.txt").strip()
    assert key.sign(combined).hex() == text(f"{folder}/sigHex{suffix}.txt").strip()
    assert signed["proof"]["proofValue"] == text(f"{folder}/sigBTC58{suffix}.txt").strip()


def test_jcs_canonical_forms(key: SigningKey) -> None:
    suite = get_suite("eddsa-jcs-2022")
    unsigned = load("unsigned.json")
    config = load("eddsa-jcs-2022/proofConfigJCS.json")
    assert suite.canonical_document(unsigned, config).decode() == text(
        "eddsa-jcs-2022/canonDocJCS.txt"
    )
    assert suite.canonical_proof_config(config, unsigned).decode() == (
        text("eddsa-jcs-2022/proofCanonJCS.txt")
    )


@pytest.mark.parametrize(
    "name",
    [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
        "Ed25519Signature2020/signedEdSig.json",
        "proof-set-chain/signedProofSet1.json",
        "proof-set-chain/signedProofSet2.json",
        "proof-set-chain/signedProofChain1.json",
        "proof-set-chain/signedProofChain2.json",
    ],
)
def test_signed_vectors_verify_and_tampering_fails(name: str) -> None:
    signed = load(name)
    proofs = proofs_of(signed)
    checks = [
        verify_proof(
            signed,
            p,
            all_proofs=proofs,
            resolve_key=did_key_resolver,
            expected_purpose="assertionMethod",
        )
        for p in proofs
    ]
    assert [c.verified for c in checks] == [True] * len(proofs), [c.problems for c in checks]
    tampered = {
        **signed,
        "credentialSubject": {**signed["credentialSubject"], "alumniOf": "Elsewhere"},
    }
    for p in proofs:
        check = verify_proof(
            tampered,
            p,
            all_proofs=proofs,
            resolve_key=did_key_resolver,
            expected_purpose="assertionMethod",
        )
        assert not check.verified
        assert check.problems[0]["type"].endswith("CRYPTOGRAPHIC_SECURITY_ERROR")


def test_proof_set_and_chain_reproduce_with_vector_keys() -> None:
    """B.5: adding the set and chain proofs with the vector keys gives the vector documents."""
    pairs = load("proof-set-chain/multiKeyPairs.json")
    keys = {
        p["publicKeyMultibase"]: SigningKey.from_multibase(p["privateKeyMultibase"])
        for p in pairs.values()
    }
    doc: dict[str, Any] = load("proof-set-chain/unsigned.json")
    expected = load("proof-set-chain/signedProofChain2.json")
    for proof in proofs_of(expected):
        mb = proof["verificationMethod"].split("#")[1]
        doc = add_proof(
            doc,
            keys[mb],
            ProofOptions(
                id=proof.get("id"),
                created=proof["created"],
                previous_proof=proof.get("previousProof"),
            ),
        )
        if not isinstance(doc["proof"], list):
            doc["proof"] = [doc["proof"]]
    assert doc == expected


def test_chain_with_missing_previous_proof_fails() -> None:
    signed = load("proof-set-chain/signedProofChain2.json")
    proofs = proofs_of(signed)
    last = proofs[-1]
    check = verify_proof(
        signed,
        last,
        all_proofs=[last],
        resolve_key=did_key_resolver,
        expected_purpose="assertionMethod",
    )
    assert not check.verified
    assert "previousProof" in check.problems[0]["detail"]
