"""Multikey values split into multicodec + key bytes, so errors can name the key type found.

Only Ed25519 keys verify; the other codecs are listed so that a P-256 (`zDn…`) or X25519
(`z6LS…`) key is refused with a message saying what it is rather than "bad prefix".
"""

from __future__ import annotations

from passport_vc.errors import KeyFormatError, MalformedValueError
from passport_vc.multibase import decode_base58btc, encode_base58btc

ED25519_PUB = 0xED
X25519_PUB = 0xEC
ED25519_PUB_LENGTH = 32

# From the multiformats multicodec table (key rows only).
_KEY_CODECS = {
    0xE7: "secp256k1-pub",
    0xEA: "bls12_381-g1-pub",
    0xEB: "bls12_381-g2-pub",
    0xEC: "x25519-pub",
    0xED: "ed25519-pub",
    0x1200: "p256-pub",
    0x1201: "p384-pub",
    0x1202: "p521-pub",
    0x1205: "rsa-pub",
    0x1300: "ed25519-priv",
}


def codec_name(codec: int) -> str:
    """`0x1200 (p256-pub)`, or just the hex value for a codec we do not know."""
    name = _KEY_CODECS.get(codec)
    return f"0x{codec:x} ({name})" if name else f"0x{codec:x}"


def _read_varint(data: bytes) -> tuple[int, int]:
    """Unsigned LEB128 varint at the start of `data`: (value, bytes used)."""
    value = 0
    # Multicodec codes fit in 9 bytes; stop early rather than loop over hostile input.
    for index, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if byte == 0 and index > 0:
                # A trailing zero byte is a second spelling of a shorter varint.
                raise KeyFormatError("Multikey multicodec varint is not minimally encoded")
            return value, index + 1
    raise KeyFormatError("Multikey value does not start with a valid multicodec varint")


def decode_multikey(multibase: str) -> tuple[int, bytes]:
    """Split a base58btc Multikey into (multicodec, key bytes); KeyFormatError if it is not one."""
    try:
        raw = decode_base58btc(multibase)
    except MalformedValueError as exc:
        raise KeyFormatError(f"not a base58btc Multikey: {exc.detail}") from None
    codec, used = _read_varint(raw)
    return codec, raw[used:]


def encode_multikey(codec: int, key: bytes) -> str:
    """Multikey (`z` + base58btc(varint(codec) ‖ key)) for the two-byte codecs used here."""
    if not 0x80 <= codec < 0x4000:
        raise ValueError("only two-byte multicodec varints are supported")
    prefix = bytes([(codec & 0x7F) | 0x80, codec >> 7])
    return encode_base58btc(prefix + key)


def ed25519_key_bytes(multibase: str) -> bytes:
    """The 32 key bytes of an Ed25519 Multikey; KeyFormatError naming the codec or length found."""
    codec, key = decode_multikey(multibase)
    if codec != ED25519_PUB:
        raise KeyFormatError(
            f"Multikey has multicodec {codec_name(codec)}; only Ed25519 (0xed) keys are supported"
        )
    if len(key) != ED25519_PUB_LENGTH:
        raise KeyFormatError(f"Ed25519 Multikey holds {len(key)} key bytes instead of 32")
    return key
