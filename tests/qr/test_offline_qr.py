"""The offline QR payload: base45 (RFC 9285), DEFLATE against the preset dictionary, and a
strict decoder that names what is wrong."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport_vc.errors import PassportVcError
from passport_vc.qr.offline import (
    DICTIONARY_V1,
    MAX_JSON_BYTES,
    PREFIX,
    OfflineQrError,
    OfflineQrLimitError,
    b45decode,
    b45encode,
    decode_offline,
    encode_offline,
)

BADGE: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Laser cutting — Level 3 Proficient",
    "credentialSubject": {"type": ["AchievementSubject"], "note": "±0.2 mm, ünïcödé"},
    "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"},
}


def _raw_deflate(data: bytes, zdict: bytes = DICTIONARY_V1) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=zdict)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_matches_rfc_9285(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text) == data


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("GGW", "over 65535"),  # RFC 9285 §6's example of an invalid group
        ("BB8a1", "not in the alphabet"),
        ("BB8A", "not 3n or 3n"),
        (":;", "not in the alphabet"),
        ("::", "over 255"),
    ],
)
def test_base45_decoding_is_strict(text: str, reason: str) -> None:
    with pytest.raises(OfflineQrError, match=reason):
        b45decode(text)


@given(st.binary(max_size=600))
def test_base45_round_trip(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert b45decode(text) == data


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=12), _json, max_size=8))
def test_encode_decode_round_trip(document: dict[str, Any]) -> None:
    payload = encode_offline(document)
    assert payload.startswith(PREFIX)
    assert decode_offline(payload) == document


def test_payload_is_qr_alphanumeric_and_exact() -> None:
    payload = encode_offline(BADGE)
    assert set(payload) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    decoded = decode_offline(payload)
    assert decoded == BADGE
    assert json.dumps(decoded, ensure_ascii=False) == json.dumps(BADGE, ensure_ascii=False)


def test_the_dictionary_is_what_makes_it_small() -> None:
    raw = json.dumps(BADGE, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(_raw_deflate(raw)) < len(_raw_deflate(raw, zdict=b"x"))


def _payload(packed: bytes) -> str:
    return PREFIX + b45encode(packed)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must start with 'PVC1:'"),
        ("HC1:NCFOXN", "must start with 'PVC1:'"),
        ("PVC2:BB8", "unsupported offline QR version 'PVC2'"),
        ("PVC01:BB8", "unsupported offline QR version 'PVC01'"),
        ("PVCX:BB8", "unsupported offline QR version 'PVCX'"),
        ("PVC1:bb8", "not in the alphabet"),
        ("PVC1:BB8A", "not 3n or 3n"),
        ("PVC1:", "truncated"),
        ("PVC1:" + b45encode(b"\xff\xff\xff\xff"), "corrupt"),
    ],
)
def test_decoder_rejects_garbage(text: str, reason: str) -> None:
    with pytest.raises(OfflineQrError, match=reason) as caught:
        decode_offline(text)
    assert isinstance(caught.value, PassportVcError)


def test_decoder_rejects_a_truncated_payload() -> None:
    payload = encode_offline(BADGE)
    cut = payload[: len(payload) - 3 * 4]
    with pytest.raises(OfflineQrError, match="truncated"):
        decode_offline(cut)


def test_decoder_rejects_trailing_bytes() -> None:
    packed = _raw_deflate(json.dumps(BADGE).encode()) + b"!!"
    with pytest.raises(OfflineQrError, match="after the end"):
        decode_offline(_payload(packed))


def test_decoder_stops_a_deflate_bomb() -> None:
    bomb = _raw_deflate(b"[" + b" " * (16 * MAX_JSON_BYTES) + b"]")
    assert len(bomb) < 4096
    with pytest.raises(OfflineQrLimitError, match="over 65536 bytes"):
        decode_offline(_payload(bomb))


def test_encoder_refuses_what_the_decoder_would() -> None:
    with pytest.raises(OfflineQrLimitError):
        encode_offline({"x": " " * MAX_JSON_BYTES})
    with pytest.raises(OfflineQrError):
        encode_offline(["not", "an", "object"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("json_text", "reason"),
    [
        (b"[1, 2]", "JSON list, not a credential object"),
        (b'"text"', "JSON str"),
        (b"{", "JSON: Expecting property name"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_decoder_rejects_what_is_not_one_credential_object(json_text: bytes, reason: str) -> None:
    with pytest.raises(OfflineQrError, match=reason):
        decode_offline(_payload(_raw_deflate(json_text)))
