"""Ed25519 keys as Multikey (Controlled Identifiers 1.0 §2.2.2).

Public keys are `z6Mk…` (multicodec 0xed01 + 32 bytes), secret keys `z3u2…` (0x8026 + 32-byte
seed). `SigningKey` keeps its seed private: its repr and str never show it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey as _NaclSigningKey
from nacl.signing import VerifyKey as _NaclVerifyKey

from passport_vc.errors import KeyFormatError, MalformedValueError
from passport_vc.multibase import decode_base58btc, encode_base58btc

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"


@functools.lru_cache(maxsize=4096)
def _public_bytes(multibase: str) -> bytes:
    try:
        raw = decode_base58btc(multibase)
    except MalformedValueError as exc:
        raise KeyFormatError(f"publicKeyMultibase: {exc.detail}") from None
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise KeyFormatError(
            "publicKeyMultibase must be an Ed25519 Multikey (0xed01 prefix, 32-byte key)"
        )
    return raw[2:]


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key."""

    raw: bytes

    @classmethod
    def from_multibase(cls, multibase: str) -> PublicKey:
        return cls(_public_bytes(multibase))

    @property
    def multibase(self) -> str:
        return _public_multibase(self.raw)

    @property
    def did_key(self) -> str:
        return "did:key:" + self.multibase

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when `signature` is a valid pure-Ed25519 signature of `message`."""
        if len(signature) != 64:
            return False
        try:
            _verify_key(self.raw).verify(message, signature)
        except BadSignatureError:
            return False
        return True


@functools.lru_cache(maxsize=4096)
def _public_multibase(raw: bytes) -> str:
    return encode_base58btc(ED25519_PUB_PREFIX + raw)


@functools.lru_cache(maxsize=4096)
def _verify_key(raw: bytes) -> _NaclVerifyKey:
    return _NaclVerifyKey(raw)


class SigningKey:
    """An Ed25519 private key. Never printed, never serialised except on request."""

    __slots__ = ("_key", "public_key")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        self._key = _NaclSigningKey(seed)
        self.public_key = PublicKey(bytes(self._key.verify_key))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(_NaclSigningKey.generate()))

    @classmethod
    def from_multibase(cls, secret_multibase: str) -> SigningKey:
        try:
            raw = decode_base58btc(secret_multibase)
        except MalformedValueError:
            raise KeyFormatError("secretKeyMultibase is not multibase base58btc") from None
        if len(raw) != 34 or raw[:2] != ED25519_PRIV_PREFIX:
            raise KeyFormatError(
                "secretKeyMultibase must be an Ed25519 Multikey secret (0x8026 prefix, 32 bytes)"
            )
        return cls(raw[2:])

    def secret_multibase(self) -> str:
        """The secret key as Multikey (`z3u2…`): only for the key store and `keygen`."""
        return encode_base58btc(ED25519_PRIV_PREFIX + bytes(self._key))

    def seed(self) -> bytes:
        """The 32-byte seed: only for the key store."""
        return bytes(self._key)

    def sign(self, message: bytes) -> bytes:
        """Pure Ed25519 signature (64 bytes) of `message`."""
        return bytes(self._key.sign(message).signature)

    @property
    def did_key(self) -> str:
        return self.public_key.did_key

    @property
    def verification_method(self) -> str:
        """The did:key verification method URL of this key."""
        mb = self.public_key.multibase
        return f"did:key:{mb}#{mb}"

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public_key.multibase})"

    __str__ = __repr__
