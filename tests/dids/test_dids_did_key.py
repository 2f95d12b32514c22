"""did:key: the w3c-ccg vectors, the v0.9 spec example, and every way a did:key can be wrong."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from passport_vc.dids import (
    did_key_from_public_key,
    public_key_from_did_key,
    resolve_did_key,
    x25519_from_ed25519,
)
from passport_vc.dids.multicodec import X25519_PUB, decode_multikey
from passport_vc.errors import (
    DID_RESOLUTION_ERROR,
    INVALID_VERIFICATION_METHOD,
    DidResolutionError,
    KeyFormatError,
    PassportVcError,
)
from passport_vc.keys import PublicKey, SigningKey
from passport_vc.multibase import b58decode, encode_base58btc

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "did-key"
ED25519_X25519 = json.loads((VECTORS / "ed25519-x25519.json").read_text(encoding="utf-8"))
SPEC_EXAMPLE = json.loads(
    (VECTORS / "did-key-spec-example-did-document.json").read_text(encoding="utf-8")
)
EXAMPLE_DID = SPEC_EXAMPLE["id"]


def _key_bytes(pair: dict[str, Any]) -> bytes:
    """The raw public key of an old-style vector key pair (publicKeyBase58 or a JWK)."""
    if "publicKeyBase58" in pair:
        return b58decode(pair["publicKeyBase58"])
    x = pair["publicKeyJwk"]["x"]
    return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))


@pytest.mark.parametrize("did", sorted(ED25519_X25519))
def test_vector_did_resolves_to_its_key(did: str) -> None:
    vector = ED25519_X25519[did]
    document = resolve_did_key(did)
    msid = did.removeprefix("did:key:")

    assert document["id"] == did
    [method] = document["verificationMethod"]
    assert method == {
        "id": f"{did}#{msid}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": msid,
    }
    expected_key = _key_bytes(vector["verificationKeyPair"])
    assert PublicKey.from_multibase(method["publicKeyMultibase"]).raw == expected_key
    # The old documents list the same method ids under the same relationships.
    for relationship in (
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        assert document[relationship] == vector["didDocument"][relationship]


@pytest.mark.parametrize("did", sorted(ED25519_X25519))
def test_vector_x25519_key_agreement_matches(did: str) -> None:
    vector = ED25519_X25519[did]
    [agreement] = resolve_did_key(did)["keyAgreement"]
    expected_id = vector["didDocument"]["keyAgreement"][0]

    assert agreement["id"] == expected_id
    assert agreement["controller"] == did
    codec, raw = decode_multikey(agreement["publicKeyMultibase"])
    assert codec == X25519_PUB
    assert raw == _key_bytes(vector["keyAgreementKeyPair"])
    assert x25519_from_ed25519(public_key_from_did_key(did)) == raw


@pytest.mark.parametrize("did", sorted(ED25519_X25519))
def test_vector_seed_gives_the_did(did: str) -> None:
    key = SigningKey(bytes.fromhex(ED25519_X25519[did]["seed"]))
    assert did_key_from_public_key(key.public_key) == did
    assert public_key_from_did_key(did) == key.public_key


def test_spec_example_document() -> None:
    document = resolve_did_key(EXAMPLE_DID)
    ours, theirs = document["verificationMethod"][0], SPEC_EXAMPLE["verificationMethod"][0]
    assert ours == theirs
    assert document["keyAgreement"] == SPEC_EXAMPLE["keyAgreement"]
    for relationship in (
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ):
        assert document[relationship] == SPEC_EXAMPLE[relationship]
    # The one deliberate difference: did/v1 + multikey/v1 (pinned) instead of did/v1.1.
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]


def test_resolution_returns_independent_copies() -> None:
    first = resolve_did_key(EXAMPLE_DID)
    first["verificationMethod"][0]["publicKeyMultibase"] = "tampered"
    first["assertionMethod"].clear()
    second = resolve_did_key(EXAMPLE_DID)
    assert second["verificationMethod"][0]["publicKeyMultibase"] == EXAMPLE_DID[8:]
    assert second["assertionMethod"]


P256_DID = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"
X25519_DID = "did:key:z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p"
SHORT_KEY = "did:key:" + encode_base58btc(b"\xed\x01" + bytes(31))
LONG_KEY = "did:key:" + encode_base58btc(b"\xed\x01" + bytes(33))
# 0xed01 + 32 bytes that are not a point of large order on Ed25519 (the identity point).
SMALL_ORDER = "did:key:" + encode_base58btc(b"\xed\x01" + b"\x01" + bytes(31))


@pytest.mark.parametrize(
    ("did", "error", "problem_type", "mentions"),
    [
        ("did:web:example.com", DidResolutionError, DID_RESOLUTION_ERROR, "not a did:key"),
        ("key:z6Mk", DidResolutionError, DID_RESOLUTION_ERROR, "must start with 'did:'"),
        ("did:key:", DidResolutionError, DID_RESOLUTION_ERROR, "method-specific"),
        (EXAMPLE_DID + "#frag", DidResolutionError, DID_RESOLUTION_ERROR, "fragment"),
        (EXAMPLE_DID + "?versionId=1", DidResolutionError, DID_RESOLUTION_ERROR, "query"),
        (EXAMPLE_DID + "/path", DidResolutionError, DID_RESOLUTION_ERROR, "path"),
        ("did:key:1.0:" + EXAMPLE_DID[8:], DidResolutionError, DID_RESOLUTION_ERROR, "':'"),
        ("did:key:f6Mkhabcdef", KeyFormatError, INVALID_VERIFICATION_METHOD, "base58btc"),
        ("did:key:z6MkO0Il", KeyFormatError, INVALID_VERIFICATION_METHOD, "base58btc"),
        (P256_DID, KeyFormatError, INVALID_VERIFICATION_METHOD, "p256-pub"),
        (X25519_DID, KeyFormatError, INVALID_VERIFICATION_METHOD, "x25519-pub"),
        (SHORT_KEY, KeyFormatError, INVALID_VERIFICATION_METHOD, "31 key bytes"),
        (LONG_KEY, KeyFormatError, INVALID_VERIFICATION_METHOD, "33 key bytes"),
        (SMALL_ORDER, KeyFormatError, INVALID_VERIFICATION_METHOD, "not a valid Ed25519"),
    ],
)
def test_bad_did_key_is_refused(
    did: str, error: type[PassportVcError], problem_type: str, mentions: str
) -> None:
    with pytest.raises(error) as caught:
        resolve_did_key(did)
    assert caught.value.problem_type == problem_type
    assert mentions in caught.value.detail


def test_non_string_is_refused() -> None:
    with pytest.raises(DidResolutionError):
        resolve_did_key(["did:key:z6Mk"])  # type: ignore[arg-type]
