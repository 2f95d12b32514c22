"""Multibase encodings used by Data Integrity: base58btc (`z`) and base64url no padding (`u`)."""

from __future__ import annotations

import base64
import binascii
import re

from passport_vc.errors import MalformedValueError

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
MAX_MULTIBASE_CHARS = 4096
_BASE64URL = re.compile(
    r"[A-Za-z0-9_-]*\Z"
)  # keys and signatures are < 100 chars; refuse absurd input early


def b58encode(data: bytes) -> str:
    """Bitcoin base58 of `data` (leading zero bytes become leading '1's)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of `b58encode`; raises MalformedValueError on a character outside the alphabet."""
    if len(text) > MAX_MULTIBASE_CHARS:
        raise MalformedValueError(f"base58 value too long ({len(text)} characters)")
    num = 0
    for ch in text:
        digit = _B58_INDEX.get(ch)
        if digit is None:
            raise MalformedValueError(f"invalid base58btc character {ch!r}")
        num = num * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def encode_base58btc(data: bytes) -> str:
    """Multibase base58btc: 'z' + base58."""
    return "z" + b58encode(data)


def decode_base58btc(value: str) -> bytes:
    """Decode a multibase base58btc string; anything but a 'z' prefix is refused."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise MalformedValueError("expected a multibase base58btc value starting with 'z'")
    return b58decode(value[1:])


def encode_base64url(data: bytes) -> str:
    """Multibase base64url without padding: 'u' + base64url."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(value: str) -> bytes:
    """Decode a multibase base64url (no padding) string; anything but a 'u' prefix is refused."""
    if not isinstance(value, str) or not value.startswith("u"):
        raise MalformedValueError("expected a multibase base64url value starting with 'u'")
    body = value[1:]
    if "=" in body:
        raise MalformedValueError("multibase base64url must not be padded")
    if _BASE64URL.match(body) is None or len(body) % 4 == 1:
        raise MalformedValueError("invalid base64url: characters outside the base64url alphabet")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedValueError(f"invalid base64url: {exc}") from None
