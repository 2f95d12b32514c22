"""BitstringStatusList: bit layout, encode/decode, limits (BSL §2.2, §3.3, §3.4, §7.1)."""

from __future__ import annotations

import contextlib
import gzip
import json
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport_vc.errors import (
    INPUT_LIMIT_ERROR,
    MALFORMED_VALUE_ERROR,
    RANGE_ERROR,
    STATUS_LIST_LENGTH_ERROR,
    PassportVcError,
    StatusListError,
)
from passport_vc.multibase import decode_base64url, encode_base64url
from passport_vc.status import MIN_ENTRIES, BitstringStatusList

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bitstring-status-list"
MIB = 1024 * 1024


# 16 KiB of zeros, gzipped with a fixed mtime: test ids must not depend on the clock.
_GZ_ZEROS = gzip.compress(bytes(16 * 1024), mtime=0)


def _encoded(raw: bytes) -> str:
    """encodedList for `raw` built with the stdlib, independent of the code under test."""
    return encode_base64url(gzip.compress(raw, mtime=0))


# --- the REC example -------------------------------------------------------------------


def test_rec_example_encoded_list_is_131072_zero_bits() -> None:
    credential = json.loads((VECTORS / "example-BitstringStatusListCredential.json").read_text())
    decoded = BitstringStatusList.decode(credential["credentialSubject"]["encodedList"])
    assert decoded.length == 131_072 == MIN_ENTRIES
    assert decoded.status_size == 1
    assert decoded.to_bytes() == bytes(16 * 1024)
    assert decoded.count_set() == 0
    assert decoded == BitstringStatusList()


# --- bit order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "byte_index", "byte_value"),
    [
        (0, 0, 0x80),
        (1, 0, 0x40),
        (7, 0, 0x01),
        (8, 1, 0x80),
        (15, 1, 0x01),
        (131_071, 16_383, 0x01),
    ],
)
def test_index_zero_is_the_leftmost_bit(index: int, byte_index: int, byte_value: int) -> None:
    bits = BitstringStatusList()
    bits.set(index, 1)
    raw = bits.to_bytes()
    assert raw[byte_index] == byte_value
    assert raw.count(0) == len(raw) - 1
    assert bits.get(index) == 1
    assert bits.count_set() == 1
    bits.set(index, 0)
    assert bits.to_bytes() == bytes(len(raw))


def test_status_size_2_layout() -> None:
    bits = BitstringStatusList(status_size=2)
    assert bits.length == MIN_ENTRIES
    assert len(bits.to_bytes()) == 32 * 1024
    bits.set(0, 0b11)
    bits.set(1, 0b01)
    bits.set(3, 0b10)
    assert bits.to_bytes()[0] == 0b11_01_00_10
    bits.set(4, 0b01)
    assert bits.to_bytes()[1] == 0b01_00_00_00
    assert [bits.get(i) for i in range(6)] == [3, 1, 0, 2, 1, 0]
    bits.set(0, 0)
    assert bits.to_bytes()[0] == 0b00_01_00_10
    assert bits.count_set() == 3


def test_status_size_8_entry_is_one_byte() -> None:
    bits = BitstringStatusList(status_size=8)
    bits.set(0, 0xA5)
    bits.set(2, 0xFF)
    assert bits.to_bytes()[:4] == b"\xa5\x00\xff\x00"
    assert bits.get(0) == 0xA5
    assert bits.get(2) == 0xFF
    assert bits.count_set() == 2


def test_status_size_3_entries_straddle_bytes() -> None:
    bits = BitstringStatusList(status_size=3)
    # Entry 2 is bits 6, 7, 8: the last two bits of byte 0 and the first of byte 1.
    bits.set(2, 0b101)
    assert bits.to_bytes()[:2] == bytes([0b0000_0010, 0b1000_0000])
    assert bits.get(2) == 0b101
    assert bits.get(1) == 0
    assert bits.get(3) == 0
    bits.set(1, 0b111)
    bits.set(3, 0b111)
    bits.set(2, 0)
    assert bits.to_bytes()[:2] == bytes([0b0001_1100, 0b0111_0000])
    assert bits.count_set() == 2


# --- encode / decode -------------------------------------------------------------------


def test_encode_is_deterministic_gzip_with_zero_mtime() -> None:
    first, second = BitstringStatusList(), BitstringStatusList()
    for index in (5, 99, 131_000):
        first.set(index, 1)
        second.set(index, 1)
    encoded = first.encode()
    assert encoded == first.encode() == second.encode()
    assert encoded.startswith("u")
    assert "=" not in encoded
    compressed = BitstringStatusList.decode(encoded).to_bytes()
    assert compressed == first.to_bytes()
    # Readable by any GZIP implementation, with MTIME 0 in the header.
    gz = decode_base64url(encoded)
    assert gz[:2] == b"\x1f\x8b"
    assert gz[4:8] == b"\x00\x00\x00\x00"
    assert gzip.decompress(gz) == first.to_bytes()


@pytest.mark.parametrize("status_size", [1, 2, 3, 4, 8, 16])
def test_round_trip_each_status_size(status_size: int) -> None:
    bits = BitstringStatusList(status_size=status_size)
    top = (1 << status_size) - 1
    for index, value in ((0, top), (1, 1), (12_345, top // 2 or 1), (MIN_ENTRIES - 1, top)):
        bits.set(index, value)
    decoded = BitstringStatusList.decode(bits.encode(), status_size=status_size)
    assert decoded == bits
    assert decoded.get(12_345) == (top // 2 or 1)
    assert decoded.get(MIN_ENTRIES - 1) == top


def test_decodes_lists_made_by_other_encoders() -> None:
    raw = bytearray(16 * 1024)
    raw[0] = 0x80
    raw[-1] = 0x01
    decoded = BitstringStatusList.decode(_encoded(bytes(raw)))
    assert decoded.get(0) == 1
    assert decoded.get(MIN_ENTRIES - 1) == 1
    assert decoded.count_set() == 2


def test_longer_list_and_from_bytes_round_trip() -> None:
    raw = bytes(range(256)) * 128  # 32 KiB: 262,144 one-bit entries
    bits = BitstringStatusList.from_bytes(raw)
    assert bits.length == 262_144
    assert bits.to_bytes() == raw
    assert BitstringStatusList.decode(bits.encode()) == bits
    # 49,153 bytes hold 131,074 whole 3-bit entries and 2 leftover bits, which are kept.
    raw3 = bytes(49_152) + b"\x03"
    three = BitstringStatusList.from_bytes(raw3, status_size=3)
    assert three.length == 131_074
    assert three.to_bytes() == raw3
    assert three.get(131_073) == 0


def test_min_entries_can_be_lowered_by_an_ecosystem() -> None:
    bits = BitstringStatusList(64, min_entries=8)
    bits.set(63, 1)
    decoded = BitstringStatusList.decode(bits.encode(), min_entries=8)
    assert decoded.length == 64
    assert decoded.get(63) == 1


def test_count_set_general_sizes() -> None:
    bits = BitstringStatusList(status_size=4)
    assert bits.count_set() == 0
    for index in (0, 7, 99_999):
        bits.set(index, 9)
    assert bits.count_set() == 3


# --- bad input -------------------------------------------------------------------------


_ZEROS = _encoded(bytes(16 * 1024))


def _problem(exc: pytest.ExceptionInfo[StatusListError]) -> str:
    return exc.value.problem_type


@pytest.mark.parametrize(
    ("encoded", "status_size", "problem_type", "fragment"),
    [
        (_encoded(bytes(16 * 1024 - 1)), 1, STATUS_LIST_LENGTH_ERROR, "131064 entries"),
        (_encoded(b""), 1, STATUS_LIST_LENGTH_ERROR, "0 entries"),
        (_encoded(bytes(16 * 1024)), 2, STATUS_LIST_LENGTH_ERROR, "65536 entries"),
        (
            encode_base64url(zlib.compress(bytes(16 * 1024))),
            1,
            MALFORMED_VALUE_ERROR,
            "not GZIP",
        ),
        (encode_base64url(bytes(16 * 1024)), 1, MALFORMED_VALUE_ERROR, "not GZIP"),
        (
            encode_base64url(_GZ_ZEROS + b"\x00"),
            1,
            MALFORMED_VALUE_ERROR,
            "after the end",
        ),
        (
            encode_base64url(_GZ_ZEROS * 2),
            1,
            MALFORMED_VALUE_ERROR,
            "after the end",
        ),
        (encode_base64url(_GZ_ZEROS[:-9]), 1, MALFORMED_VALUE_ERROR, "trunc"),
        (encode_base64url(_GZ_ZEROS[:12]), 1, MALFORMED_VALUE_ERROR, "trunc"),
        (
            encode_base64url(_GZ_ZEROS[:-8] + b"\0\0\0\0\0\x40\0\0"),
            1,
            MALFORMED_VALUE_ERROR,
            "not valid GZIP",
        ),
        (_encoded(bytes(16 * 1024)) + "=", 1, MALFORMED_VALUE_ERROR, "without padding"),
        (_encoded(bytes(16 * 1024)) + "==", 1, MALFORMED_VALUE_ERROR, "without padding"),
        (_ZEROS[:10] + "+" + _ZEROS[11:], 1, MALFORMED_VALUE_ERROR, "'u'"),
        (_ZEROS[:10] + "/" + _ZEROS[11:], 1, MALFORMED_VALUE_ERROR, "'u'"),
        ("z" + _encoded(bytes(16 * 1024))[1:], 1, MALFORMED_VALUE_ERROR, "multibase"),
        (_encoded(bytes(16 * 1024))[1:], 1, MALFORMED_VALUE_ERROR, "multibase"),
        ("", 1, MALFORMED_VALUE_ERROR, "multibase"),
        ("u", 1, MALFORMED_VALUE_ERROR, "not GZIP"),
        ("uH4s I", 1, MALFORMED_VALUE_ERROR, "multibase"),
        ("uA", 1, MALFORMED_VALUE_ERROR, "encodedList"),
        (_encoded(bytes(16 * 1024)), 0, MALFORMED_VALUE_ERROR, "statusSize"),
        (_encoded(bytes(16 * 1024)), 17, MALFORMED_VALUE_ERROR, "statusSize"),
    ],
)
def test_decode_refuses(encoded: str, status_size: int, problem_type: str, fragment: str) -> None:
    with pytest.raises(StatusListError) as exc:
        BitstringStatusList.decode(encoded, status_size=status_size)
    assert _problem(exc) == problem_type
    assert fragment in exc.value.detail


def test_decode_refuses_non_string() -> None:
    with pytest.raises(StatusListError):
        BitstringStatusList.decode(b"uH4sI")  # type: ignore[arg-type]


def test_decode_refuses_absurdly_long_input_before_decoding() -> None:
    with pytest.raises(StatusListError, match="longer than"):
        BitstringStatusList.decode("u" + "A" * (3 * MIB), max_decompressed_bytes=MIB)


def _zero_gzip_bomb(total: int) -> bytes:
    """A valid GZIP member of `total` zero bytes, built without compressing them all.

    One MiB of zeros is deflated once, ending in a full flush so the piece refers to
    nothing before it; repeating the piece then gives a valid stream of any multiple.
    """
    zeros = bytes(MIB)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(total // MIB):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    last_block = b"\x03\x00"  # final, fixed-Huffman, empty
    trailer = crc.to_bytes(4, "little") + (total & 0xFFFFFFFF).to_bytes(4, "little")
    return header + piece * (total // MIB) + last_block + trailer


@pytest.fixture(scope="module")
def gib_of_zeros_encoded() -> str:
    return encode_base64url(_zero_gzip_bomb(1024 * MIB))


def test_gzip_bomb_is_valid_gzip_of_what_it_claims() -> None:
    assert gzip.decompress(_zero_gzip_bomb(4 * MIB)) == bytes(4 * MIB)


@pytest.mark.parametrize("cap", [16 * MIB, MIB])
def test_gzip_bomb_refused_quickly_with_bounded_memory(gib_of_zeros_encoded: str, cap: int) -> None:
    assert len(gib_of_zeros_encoded) < 2 * MIB  # ~1 GiB behind ~1.4 MB of text
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        started = time.perf_counter()
        with pytest.raises(StatusListError) as exc:
            BitstringStatusList.decode(gib_of_zeros_encoded, max_decompressed_bytes=cap)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert exc.value.problem_type == INPUT_LIMIT_ERROR
    assert str(cap) in exc.value.detail
    assert elapsed < 2.0
    # Base64 decoding of the ~1.4 MB text (~3 MiB), then at most the cap + one slice.
    assert peak - before < cap + 6 * MIB


def test_exactly_the_cap_is_accepted() -> None:
    encoded = _encoded(bytes(MIB))
    assert BitstringStatusList.decode(encoded, max_decompressed_bytes=MIB).length == 8 * MIB
    with pytest.raises(StatusListError, match=str(MIB - 1)):
        BitstringStatusList.decode(encoded, max_decompressed_bytes=MIB - 1)


@pytest.mark.parametrize("index", [-1, MIN_ENTRIES, MIN_ENTRIES + 100, 10**30])
def test_index_out_of_range(index: int) -> None:
    bits = BitstringStatusList()
    for call in (lambda: bits.get(index), lambda: bits.set(index, 1)):
        with pytest.raises(StatusListError) as exc:
            call()
        assert exc.value.problem_type == RANGE_ERROR


@pytest.mark.parametrize(("status_size", "value"), [(1, 2), (1, -1), (2, 4), (8, 256), (3, 8)])
def test_value_must_fit_status_size(status_size: int, value: int) -> None:
    bits = BitstringStatusList(status_size=status_size)
    with pytest.raises(StatusListError) as exc:
        bits.set(0, value)
    assert exc.value.problem_type == RANGE_ERROR
    assert bits.get(0) == 0


def test_bool_values_are_accepted_for_one_bit_entries() -> None:
    bits = BitstringStatusList()
    bits.set(3, True)
    assert bits.get(3) == 1
    bits.set(3, False)
    assert bits.get(3) == 0


def test_constructor_refuses_bad_shapes() -> None:
    with pytest.raises(StatusListError) as exc:
        BitstringStatusList(MIN_ENTRIES - 8)
    assert exc.value.problem_type == STATUS_LIST_LENGTH_ERROR
    with pytest.raises(StatusListError, match="multiple of 8"):
        BitstringStatusList(MIN_ENTRIES + 1)
    for size in (0, -1, 17, True):
        with pytest.raises(StatusListError, match="statusSize"):
            BitstringStatusList(status_size=size)
    with pytest.raises(StatusListError) as exc:
        BitstringStatusList.from_bytes(bytes(100))
    assert exc.value.problem_type == STATUS_LIST_LENGTH_ERROR


def test_lists_are_unhashable_and_compare_by_content() -> None:
    bits = BitstringStatusList()
    with pytest.raises(TypeError):
        hash(bits)
    other = BitstringStatusList()
    assert bits == other
    other.set(1, 1)
    assert bits != other
    assert bits != BitstringStatusList(status_size=8, min_entries=0, length=16 * 1024)
    assert repr(bits) == "BitstringStatusList(length=131072, status_size=1)"


# --- properties ------------------------------------------------------------------------


@st.composite
def _assignments(draw: st.DrawFn) -> tuple[int, dict[int, int]]:
    size = draw(st.sampled_from([1, 2, 3, 4, 5, 8, 16]))
    values = draw(
        st.dictionaries(
            st.integers(0, MIN_ENTRIES - 1), st.integers(0, (1 << size) - 1), max_size=64
        )
    )
    return size, values


@settings(max_examples=60, deadline=None)
@given(_assignments())
def test_property_set_get_encode_decode(assignment: tuple[int, dict[int, int]]) -> None:
    size, values = assignment
    bits = BitstringStatusList(status_size=size)
    for index, value in values.items():
        bits.set(index, value)
    for index, value in values.items():
        assert bits.get(index) == value
    decoded = BitstringStatusList.decode(bits.encode(), status_size=size)
    assert decoded == bits
    for index, value in values.items():
        assert decoded.get(index) == value
    assert decoded.count_set() == sum(1 for value in values.values() if value)


def _decode_or_passport_error(encoded: str) -> None:
    # PassportVcError is the only kind of failure allowed; anything else fails the test.
    with contextlib.suppress(PassportVcError):
        BitstringStatusList.decode(encoded, max_decompressed_bytes=MIB, min_entries=8)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_garbage_text_only_raises_passport_errors(text: str) -> None:
    _decode_or_passport_error(text)
    _decode_or_passport_error("u" + text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_property_garbage_bytes_only_raise_passport_errors(data: bytes) -> None:
    _decode_or_passport_error(encode_base64url(data))
    _decode_or_passport_error(encode_base64url(b"\x1f\x8b\x08" + data))


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=512), st.data())
def test_property_corrupted_gzip_only_raises_passport_errors(
    payload: bytes, data: st.DataObject
) -> None:
    compressed = bytearray(gzip.compress(payload, mtime=0))
    position = data.draw(st.integers(0, len(compressed) - 1))
    compressed[position] ^= data.draw(st.integers(1, 255))
    cut = data.draw(st.integers(0, len(compressed)))
    _decode_or_passport_error(encode_base64url(bytes(compressed)))
    _decode_or_passport_error(encode_base64url(bytes(compressed[:cut])))
