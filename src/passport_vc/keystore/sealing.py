"""Sealing makerspace private keys under the master key.

A sealed key is `version (1 byte) ‖ nonce (24 bytes) ‖ XChaCha20-Poly1305(seed) (32 + 16 bytes)`,
73 bytes in all. The associated data binds it to the master key id and to `key_ref`, the
verification method id the key is stored under, so a blob copied to another row does not open.
Errors say which key failed and why, never what the key is.
"""

from __future__ import annotations

import nacl.bindings
import nacl.exceptions
import nacl.utils

from passport_vc.keys import SigningKey
from passport_vc.keystore.master_key import MasterKey, MasterKeyError

SEALED_VERSION = 1
NONCE_BYTES = 24
_SEED_BYTES = 32
_TAG_BYTES = 16
SEALED_LENGTH = 1 + NONCE_BYTES + _SEED_BYTES + _TAG_BYTES
_AAD_PREFIX = b"passport-vc/sealed-key/v1\0"


def _associated_data(master: MasterKey, key_ref: str) -> bytes:
    if not isinstance(key_ref, str) or not key_ref:
        raise MasterKeyError("a sealed key needs a non-empty key_ref (its verification method id)")
    return _AAD_PREFIX + master.key_id.encode("ascii") + b"\0" + key_ref.encode("utf-8")


def seal_private_key(master: MasterKey, key: SigningKey, key_ref: str) -> bytes:
    """Encrypt `key`'s seed under `master`, bound to `key_ref`."""
    aad = _associated_data(master, key_ref)
    nonce = bytes(nacl.utils.random(NONCE_BYTES))
    ciphertext = bytes(
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
            key.seed(), aad, nonce, master.secret()
        )
    )
    return bytes([SEALED_VERSION]) + nonce + ciphertext


def open_private_key(master: MasterKey, sealed: bytes, key_ref: str) -> SigningKey:
    """The private key sealed in `sealed` for `key_ref`; MasterKeyError when it does not open."""
    aad = _associated_data(master, key_ref)
    blob = bytes(sealed)
    if not blob:
        raise MasterKeyError(f"the sealed key for {key_ref} is empty")
    if blob[0] != SEALED_VERSION:
        raise MasterKeyError(
            f"the sealed key for {key_ref} has format version {blob[0]}; "
            f"this passport-vc reads version {SEALED_VERSION}"
        )
    if len(blob) != SEALED_LENGTH:
        raise MasterKeyError(
            f"the sealed key for {key_ref} is {len(blob)} bytes; a version {SEALED_VERSION} "
            f"sealed key is {SEALED_LENGTH} bytes: truncated or tampered record"
        )
    nonce = blob[1 : 1 + NONCE_BYTES]
    ciphertext = blob[1 + NONCE_BYTES :]
    seed: bytes | None
    try:
        seed = bytes(
            nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                ciphertext, aad, nonce, master.secret()
            )
        )
    except nacl.exceptions.CryptoError:
        seed = None
    # Raised outside the except block, so the error carries no chained exception at all.
    if seed is None or len(seed) != _SEED_BYTES:
        raise MasterKeyError(
            f"the sealed key for {key_ref} does not open under master key {master.key_id}: "
            "wrong master key, tampered record, or a record copied from another key"
        )
    return SigningKey(seed)
