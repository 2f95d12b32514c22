"""did:key for Ed25519 keys (w3c-ccg did:key spec v0.9): the DID is the key, resolved locally.

`did:key:z6Mk…` resolves, with no network access, to a document with one Multikey
verification method `did#z6Mk…` under every signing relationship, plus the X25519 key
derived from it under `keyAgreement` (multicodec 0xec, `z6LS…`).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from nacl.bindings import crypto_sign_ed25519_pk_to_curve25519
from nacl.exceptions import CryptoError

from passport_vc.dids.documents import (
    ASSERTION_METHOD,
    AUTHENTICATION,
    CAPABILITY_DELEGATION,
    CAPABILITY_INVOCATION,
    DID_DOCUMENT_CONTEXT,
    KEY_AGREEMENT,
    multikey_method,
)
from passport_vc.dids.multicodec import X25519_PUB, ed25519_key_bytes, encode_multikey
from passport_vc.dids.syntax import parse_did, shorten
from passport_vc.errors import DidResolutionError, KeyFormatError
from passport_vc.keys import PublicKey

DID_KEY_PREFIX = "did:key:"


def did_key_from_public_key(key: PublicKey) -> str:
    """`did:key:z6Mk…` for an Ed25519 public key."""
    return DID_KEY_PREFIX + key.multibase


def public_key_from_did_key(did: str) -> PublicKey:
    """The Ed25519 key a did:key DID encodes; DidResolutionError/KeyFormatError naming the fault."""
    return _parse(did)[0]


def x25519_from_ed25519(key: PublicKey) -> bytes:
    """The X25519 public key (32 bytes) birationally equivalent to an Ed25519 public key.

    Raises KeyFormatError when the bytes are not a usable Ed25519 point (not on the curve, or of
    small order): did:key requires refusing such keys (invalidPublicKey).
    """
    try:
        return bytes(crypto_sign_ed25519_pk_to_curve25519(key.raw))
    except CryptoError:
        raise KeyFormatError(
            f"{key.multibase} is not a valid Ed25519 public key (not a curve point of large order)"
        ) from None


def resolve_did_key(did: str) -> dict[str, Any]:
    """The DID document of an Ed25519 did:key, built locally (each call gets its own copy)."""
    if not isinstance(did, str):
        raise DidResolutionError(f"a DID must be a string, got {shorten(did)}")
    return copy.deepcopy(_document(did))


@functools.lru_cache(maxsize=1024)
def _document(did: str) -> dict[str, Any]:
    # Verification resolves the same issuers over and over; the X25519 derivation is the cost.
    key, multibase = _parse(did)
    agreement = encode_multikey(X25519_PUB, x25519_from_ed25519(key))
    signing = multikey_method(did, multibase, multibase)
    return {
        "@context": list(DID_DOCUMENT_CONTEXT),
        "id": did,
        "verificationMethod": [signing],
        AUTHENTICATION: [signing["id"]],
        ASSERTION_METHOD: [signing["id"]],
        CAPABILITY_INVOCATION: [signing["id"]],
        CAPABILITY_DELEGATION: [signing["id"]],
        KEY_AGREEMENT: [multikey_method(did, agreement, agreement)],
    }


def _parse(did: str) -> tuple[PublicKey, str]:
    parsed = parse_did(did)
    if parsed.method != "key":
        raise DidResolutionError(f"{shorten(did)} is not a did:key DID")
    multibase = parsed.method_specific_id
    if ":" in multibase:
        raise DidResolutionError(
            f"{shorten(did)}: did:key takes exactly one multibase value (no version or ':' parts)"
        )
    if not multibase.startswith("z"):
        raise KeyFormatError(
            f"{shorten(did)}: the key must be multibase base58btc (starting with 'z')"
        )
    try:
        ed25519_key_bytes(multibase)  # names the codec or length when it is not Ed25519
        key = PublicKey.from_multibase(multibase)  # the canonical 0xed01 + 32 bytes check
    except KeyFormatError as exc:
        raise KeyFormatError(f"{shorten(did)}: {exc.detail}") from None
    return key, multibase
