"""The status bitstring of Bitstring Status List v1.0 (BSL §2.2, §3.3, §3.4, §7.1).

Entry `i` of a list with `status_size` bits per entry occupies bits
`[i * status_size, (i + 1) * status_size)`, counted from the left: bit 0 is the most
significant bit of byte 0, and an entry's own bits are read most significant first.
"""

from __future__ import annotations

import re
from typing import Final

from passport_vc.errors import (
    MALFORMED_VALUE_ERROR,
    RANGE_ERROR,
    STATUS_LIST_LENGTH_ERROR,
    MalformedValueError,
    StatusListError,
)
from passport_vc.multibase import decode_base64url, encode_base64url
from passport_vc.status.compression import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    gzip_compress,
    gzip_decompress_capped,
)

MIN_ENTRIES: Final = 131_072
"""BSL §3.2 minimumNumberOfEntries: 16 KiB of 1-bit entries, the herd-privacy floor."""

MAX_STATUS_SIZE: Final = 16
"""Largest statusSize handled. BSL sets no maximum; 16 bits already means 65,536
distinct statuses, each of which the entry must spell out in statusMessage."""

_BASE64URL_BODY = re.compile(r"[A-Za-z0-9_-]*")


def _check_status_size(status_size: int) -> None:
    if (
        isinstance(status_size, bool)
        or not isinstance(status_size, int)
        or not 1 <= status_size <= MAX_STATUS_SIZE
    ):
        raise StatusListError(
            f"statusSize must be an integer from 1 to {MAX_STATUS_SIZE}, got {status_size!r}",
            problem_type=MALFORMED_VALUE_ERROR,
        )


class BitstringStatusList:
    """A mutable list of `length` status entries of `status_size` bits each.

    The bits live in one bytearray, so get/set are a few integer operations and
    encode/decode are a single zlib call each.
    """

    __slots__ = ("_bits", "_length", "_size")

    def __init__(
        self, length: int = MIN_ENTRIES, *, status_size: int = 1, min_entries: int = MIN_ENTRIES
    ) -> None:
        """An all-zero list. `length * status_size` must be a whole number of bytes so
        that encode/decode round-trips to exactly the same length."""
        _check_status_size(status_size)
        if length < min_entries:
            raise StatusListError(
                f"a status list needs at least {min_entries} entries, got {length}",
                problem_type=STATUS_LIST_LENGTH_ERROR,
            )
        if (length * status_size) % 8:
            raise StatusListError(
                f"length * status_size must be a multiple of 8 bits, got {length} * {status_size}",
                problem_type=MALFORMED_VALUE_ERROR,
            )
        self._bits = bytearray(length * status_size // 8)
        self._length = length
        self._size = status_size

    @classmethod
    def _adopt(cls, bits: bytearray, status_size: int, min_entries: int) -> BitstringStatusList:
        """Wrap `bits` without copying; the length is every whole entry the bytes hold."""
        _check_status_size(status_size)
        length = len(bits) * 8 // status_size
        # BSL §3.2 step 9: len(bitstring) / statusSize < minimumNumberOfEntries.
        if length < min_entries:
            raise StatusListError(
                f"status list has {length} entries of {status_size} bit(s); "
                f"at least {min_entries} are required",
                problem_type=STATUS_LIST_LENGTH_ERROR,
            )
        self = cls.__new__(cls)
        self._bits = bits
        self._length = length
        self._size = status_size
        return self

    @classmethod
    def from_bytes(
        cls,
        raw: bytes | bytearray | memoryview,
        status_size: int = 1,
        *,
        min_entries: int = MIN_ENTRIES,
    ) -> BitstringStatusList:
        """A list over a copy of the uncompressed bitstring `raw`.

        Bits left over after the last whole entry (possible when status_size does not
        divide 8) are kept, so `to_bytes()` returns `raw` unchanged.
        """
        return cls._adopt(bytearray(raw), status_size, min_entries)

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._bits)

    @property
    def length(self) -> int:
        """Number of entries."""
        return self._length

    @property
    def status_size(self) -> int:
        """Bits per entry."""
        return self._size

    def __len__(self) -> int:
        return self._length

    def __eq__(self, other: object) -> bool:
        # Defining __eq__ alone leaves __hash__ None: the list is mutable, so unhashable.
        if not isinstance(other, BitstringStatusList):
            return NotImplemented
        return self._size == other._size and self._bits == other._bits

    def __repr__(self) -> str:
        return f"BitstringStatusList(length={self._length}, status_size={self._size})"

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self._length:
            raise StatusListError(
                f"status list index {index} is outside the list (0..{self._length - 1})",
                problem_type=RANGE_ERROR,
            )

    def get(self, index: int) -> int:
        """The status value of entry `index` (0 .. 2**status_size - 1)."""
        self._check_index(index)
        size = self._size
        if size == 1:
            return (self._bits[index >> 3] >> (7 - (index & 7))) & 1
        start = index * size
        first, last = start >> 3, (start + size - 1) >> 3
        word = int.from_bytes(self._bits[first : last + 1], "big")
        shift = (last + 1) * 8 - (start + size)
        return (word >> shift) & ((1 << size) - 1)

    def set(self, index: int, value: int) -> None:
        """Store `value` in entry `index`; it must fit in status_size bits."""
        self._check_index(index)
        size = self._size
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int) or not 0 <= value < (1 << size):
            raise StatusListError(
                f"status value {value!r} does not fit in {size} bit(s)",
                problem_type=RANGE_ERROR,
            )
        if size == 1:
            mask = 0x80 >> (index & 7)
            if value:
                self._bits[index >> 3] |= mask
            else:
                self._bits[index >> 3] &= ~mask & 0xFF
            return
        start = index * size
        first, last = start >> 3, (start + size - 1) >> 3
        width = last + 1 - first
        word = int.from_bytes(self._bits[first : last + 1], "big")
        shift = (last + 1) * 8 - (start + size)
        word = (word & ~(((1 << size) - 1) << shift)) | (value << shift)
        self._bits[first : last + 1] = word.to_bytes(width, "big")

    def count_set(self) -> int:
        """Number of entries whose value is not 0 (a few big-integer passes in C)."""
        size, total_bits = self._size, self._length * self._size
        # Drop leftover bits after the last whole entry, then OR each entry's bits down
        # into its lowest bit and count those lowest bits.
        word = int.from_bytes(self._bits, "big") >> (len(self._bits) * 8 - total_bits)
        folded = word
        for shift in range(1, size):
            folded |= word >> shift
        lowest_bits = ((1 << total_bits) - 1) // ((1 << size) - 1)  # 1 every `size` bits
        return (folded & lowest_bits).bit_count()

    def encode(self) -> str:
        """The `encodedList` value: multibase 'u' + base64url (no padding) of GZIP(bits).

        Deterministic: the same bits always give the same string (fixed GZIP header).
        """
        return encode_base64url(gzip_compress(self._bits))

    @classmethod
    def decode(
        cls,
        encoded_list: str,
        *,
        status_size: int = 1,
        max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
        min_entries: int = MIN_ENTRIES,
    ) -> BitstringStatusList:
        """Parse an `encodedList` value (BSL §3.4 Bitstring Expansion).

        Every failure is a StatusListError: MALFORMED_VALUE_ERROR for a value that is not
        unpadded multibase base64url of one GZIP member, INPUT_LIMIT_ERROR when it
        inflates past `max_decompressed_bytes`, STATUS_LIST_LENGTH_ERROR when it holds
        fewer than `min_entries` entries.
        """
        _check_status_size(status_size)
        if not isinstance(encoded_list, str):
            raise StatusListError(
                "encodedList must be a string", problem_type=MALFORMED_VALUE_ERROR
            )
        # Incompressible data grows a little under GZIP and by 4/3 under base64: anything
        # far longer than that cannot fit under the cap, so refuse it before decoding.
        max_chars = 2 * max_decompressed_bytes + 1024
        if len(encoded_list) > max_chars:
            raise StatusListError(
                f"encodedList is longer than {max_chars} characters",
                problem_type=MALFORMED_VALUE_ERROR,
            )
        # The shared base64url decoder skips characters outside the alphabet and accepts
        # '+' and '/'; an encodedList must be strict base64url, so check the body first.
        if not encoded_list.startswith("u") or not _BASE64URL_BODY.fullmatch(encoded_list, 1):
            if "=" in encoded_list:
                detail = "encodedList must be base64url without padding"
            else:
                detail = "encodedList must be multibase base64url: 'u' then [A-Za-z0-9_-]"
            raise StatusListError(detail, problem_type=MALFORMED_VALUE_ERROR)
        try:
            compressed = decode_base64url(encoded_list)
        except MalformedValueError as exc:
            raise StatusListError(
                f"encodedList: {exc.detail}", problem_type=MALFORMED_VALUE_ERROR
            ) from None
        bits = gzip_decompress_capped(compressed, max_decompressed_bytes)
        return cls._adopt(bits, status_size, min_entries)
