"""Property tests of every parser that reads outside input: whatever the bytes or text, each
either returns a value or raises its one documented error type, never IndexError, KeyError,
RecursionError, OverflowError, a bare ValueError, ...; round trips are exact; decompression
is bounded.

Deterministic (derandomize, no example database) and bounded (max_examples per test), so CI
sees the same examples every run and the file runs in a few seconds.
"""

from __future__ import annotations

import csv
import json
import random
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from passport_vc.api.strict_json import MAX_DEPTH as STRICT_MAX_DEPTH
from passport_vc.api.strict_json import json_body_problem
from passport_vc.dids import (
    DidWebResolver,
    HttpsFetcher,
    did_key_from_public_key,
    did_web_from_url,
    did_web_to_url,
    public_key_from_did_key,
    resolve_did_key,
)
from passport_vc.dids.syntax import parse_did
from passport_vc.errors import (
    INPUT_LIMIT_ERROR,
    DidResolutionError,
    KeyFormatError,
    MalformedValueError,
    StatusListError,
)
from passport_vc.keys import SigningKey
from passport_vc.multibase import (
    MAX_MULTIBASE_CHARS,
    b58decode,
    b58encode,
    decode_base58btc,
    decode_base64url,
    encode_base58btc,
    encode_base64url,
)
from passport_vc.okw import FacilityRecord, OkwError, parse_document, parse_facility
from passport_vc.okw.errors import ROOT
from passport_vc.qr.offline import (
    DICTIONARY_V1,
    MAX_JSON_BYTES,
    MAX_PAYLOAD_CHARS,
    PREFIX,
    OfflineQrError,
    OfflineQrLimitError,
    b45encode,
    compact_json,
    decode_offline,
    encode_offline,
)
from passport_vc.services.batch import CSV_COLUMNS, parse_csv
from passport_vc.services.errors import InvalidFieldError
from passport_vc.status import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    MIN_ENTRIES,
    BitstringStatusList,
    parse_status_entry,
)
from passport_vc.status.compression import gzip_decompress_capped
from passport_vc.taxonomy import load_taxonomy

# Every test: the same examples on every run, no example database, no per-example deadline
# (a shared CI core can be slow), bounded size.
BASE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(BASE, max_examples=40)

MIB = 1024 * 1024


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Yields a one-item list that holds, after the block, the peak bytes traced within it."""
    result = [0]
    tracemalloc.start()
    try:
        yield result
    finally:
        result[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def raises_only(kinds: tuple[type[BaseException], ...], call: Callable[[], Any]) -> Any:
    """The result of `call()`, or None if it raised one of `kinds`; anything else fails."""
    try:
        return call()
    except kinds:
        return None


# --- multibase --------------------------------------------------------------------------------


@BASE
@given(st.binary(max_size=1024))
def test_multibase_round_trips_arbitrary_bytes(data: bytes) -> None:
    assert decode_base58btc(encode_base58btc(data)) == data
    assert b58decode(b58encode(data)) == data
    assert decode_base64url(encode_base64url(data)) == data


multibase_texts = st.one_of(
    st.text(max_size=200),
    st.builds(lambda p, t: p + t, st.sampled_from(["z", "u", "z1", "u=", "zz"]), st.text()),
    st.builds(
        lambda p, t: p + t,
        st.sampled_from(["z", "u"]),
        st.text(
            alphabet="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl+/_-=",
            max_size=80,
        ),
    ),
)


@BASE
@given(multibase_texts)
def test_multibase_decoders_raise_only_malformed_value(text: str) -> None:
    for decode in (decode_base58btc, decode_base64url, b58decode):
        try:
            decode(text)
        except MalformedValueError as exc:
            assert exc.detail  # says what is wrong


@BASE
@given(st.text(alphabet="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", max_size=120))
def test_base58btc_has_one_spelling_per_value(body: str) -> None:
    """Every base58btc text that decodes is the encoding of what it decodes to: a proof value
    or key cannot be respelled into a second accepted form."""
    assert encode_base58btc(decode_base58btc("z" + body)) == "z" + body


def test_multibase_decoders_refuse_absurd_lengths_early() -> None:
    with pytest.raises(MalformedValueError, match="too long"):
        decode_base58btc("z" + "2" * (MAX_MULTIBASE_CHARS + 1))
    for value in (5, None, b"zabc", ["z"]):
        with pytest.raises(MalformedValueError):
            decode_base58btc(value)  # type: ignore[arg-type]
        with pytest.raises(MalformedValueError):
            decode_base64url(value)  # type: ignore[arg-type]


# --- DIDs -------------------------------------------------------------------------------------


@BASE
@given(st.binary(min_size=32, max_size=32))
def test_did_key_round_trips_generated_ed25519_keys(seed: bytes) -> None:
    key = SigningKey(seed).public_key
    did = did_key_from_public_key(key)
    assert did.startswith("did:key:z6Mk")
    assert public_key_from_did_key(did).raw == key.raw
    document = resolve_did_key(did)
    assert document["id"] == did
    assert document["verificationMethod"][0]["publicKeyMultibase"] == key.multibase
    assert parse_did(did).method_specific_id == key.multibase


DID_PIECES = [
    *"aZz09:%#?/.-_~@\\[] 3Aé\x00",
    "%3A",
    "%3a",
    "%2F",
    "%2f",
    "%2e",
    "%2E%2E",
    "%40",
    "%5C",
    "%00",
    "%25",
    "..",
    ".",
    "example.com",
    "EXAMPLE.com",
    "evil.example",
    "127.0.0.1",
    "169.254.169.254",
    "0x7f.1",
    "2130706433",
    "[::1]",
    "localhost",
    "user@",
    ":8443",
    "%3A8443",
    "%3A99999",
    "xn--bcher-kva.example",
]
did_strings = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda prefix, parts: prefix + "".join(parts),
        st.sampled_from(
            ["", "did:", "did:key:", "did:key:z6Mk", "did:web:", "DID:web:", "did:WEB:"]
        ),
        st.lists(st.sampled_from(DID_PIECES), max_size=10),
    ),
)


@BASE
@given(did_strings)
def test_did_parsers_raise_only_the_documented_errors(text: str) -> None:
    raises_only((DidResolutionError,), lambda: parse_did(text))
    raises_only((DidResolutionError, KeyFormatError), lambda: public_key_from_did_key(text))
    raises_only((DidResolutionError, KeyFormatError), lambda: resolve_did_key(text))
    raises_only((DidResolutionError,), lambda: did_web_to_url(text))


VALID_HOSTS = st.sampled_from(
    ["example.com", "Example.COM", "a.b.example", "xn--bcher-kva.example", "x.y"]
)
# Pieces that keep the DID syntactically valid (idchars and %-escapes), so that what refuses
# a DID is the did:web mapping's own checks: encoded separators, traversal, odd hosts.
LEGAL_PIECES = [
    *"aZ09.-_",
    "%2F",
    "%2f",
    "%2e",
    "%2E%2E",
    "..",
    "%40",
    "%5C",
    "%00",
    "%25",
    "%3A",
    "%3A8443",
    "%41",
    "%C3%A9",
    "%7E",
    "%FF",
    "127.0.0.1",
    "0x7f.1",
    "2130706433",
    "localhost",
    "example.com",
]
legal = st.builds("".join, st.lists(st.sampled_from(LEGAL_PIECES), min_size=1, max_size=4))
did_web_dids = st.one_of(
    st.builds(
        lambda host, port, segments: "did:web:" + host + port + "".join(":" + s for s in segments),
        st.one_of(
            VALID_HOSTS, st.builds("".join, st.lists(st.sampled_from(DID_PIECES), max_size=5))
        ),
        st.sampled_from(["", "%3A8443", "%3a443", "%3A0", "%3A65536", ":8443", "%3A8443%3A1"]),
        st.lists(st.builds("".join, st.lists(st.sampled_from(DID_PIECES), max_size=4)), max_size=4),
    ),
    st.builds(
        lambda host, segments: "did:web:" + host + "".join(":" + s for s in segments),
        st.one_of(VALID_HOSTS, legal),
        st.lists(legal, max_size=4),
    ),
)


def _declared_authority(did: str) -> tuple[str, int | None]:
    """The host and port as the DID spells them: its first segment, split at %3A."""
    first = did.split(":")[2]
    host, _, port = first.replace("%3a", "%3A").partition("%3A")
    return host.lower(), int(port) if port else None


@BASE
@given(did_web_dids)
def test_did_web_urls_never_leave_the_host_the_did_names(did: str) -> None:
    """For every did:web that maps to a URL: the URL's host and port are exactly the DID's,
    with no userinfo, and its path has no traversal or encoded separator a server could
    decode into another path."""
    url = raises_only((DidResolutionError,), lambda: did_web_to_url(did))
    event("mapped to a URL" if url is not None else "refused")
    if url is None:
        return
    split = urlsplit(url)
    host, port = _declared_authority(did)
    assert split.scheme == "https"
    assert split.hostname == host, (did, url)
    assert split.port == port, (did, url)
    assert split.username is None and split.password is None and "@" not in split.netloc
    assert not split.query and not split.fragment
    assert split.path.endswith("/did.json")
    for segment in split.path.split("/")[1:]:
        decoded = unquote(segment)
        assert decoded not in (".", ".."), (did, url)
        assert not set(decoded) & set("/\\?#%"), (did, url)


@BASE
@given(did_web_dids)
def test_did_web_resolution_only_ever_asks_for_the_named_host(did: str) -> None:
    """Through the resolver and the real HTTPS fetcher (with a name resolver that records and
    answers a private address): a host is only ever looked up if it is the DID's own, a name,
    never an IP literal; nothing is connected to."""
    looked_up: list[tuple[str, int]] = []

    def resolve_host(host: str, port: int) -> list[str]:
        looked_up.append((host, port))
        return ["10.0.0.1"]

    resolver = DidWebResolver(HttpsFetcher(resolve_host=resolve_host), cache_ttl=0)
    with pytest.raises(DidResolutionError):
        resolver.resolve(did)
    event("looked up" if looked_up else "refused before any lookup")
    if looked_up:
        host, port = _declared_authority(did)
        assert looked_up == [(host, port or 443)], did
        assert not host.replace(".", "").isdigit()
        assert host != "localhost" and not host.endswith(".localhost"), did


@pytest.mark.parametrize(
    "did",
    [
        "did:web:127.0.0.1",
        "did:web:169.254.169.254",
        "did:web:10.0.0.1%3A8443",
        "did:web:localhost",
        "did:web:localhost%3A8000",
        "did:web:api.localhost",
    ],
)
def test_did_web_private_hosts_are_refused_without_a_lookup(did: str) -> None:
    looked_up: list[str] = []

    def resolve_host(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    resolver = DidWebResolver(HttpsFetcher(resolve_host=resolve_host))
    with pytest.raises(DidResolutionError) as caught:
        resolver.resolve(did)
    assert looked_up == []
    assert any(word in caught.value.detail for word in ("IP address", "loopback")), caught.value


base_urls = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, parts: scheme + "".join(parts),
        st.sampled_from(["http://", "https://", "HTTPS://", "ftp://", "//", ""]),
        st.lists(st.sampled_from([*DID_PIECES, "/", ":443", ":80", "?q", "#f"]), max_size=8),
    ),
)


@BASE
@given(base_urls, st.lists(st.text(max_size=8), max_size=3))
def test_did_web_from_url_raises_only_malformed_value(base: str, segments: list[str]) -> None:
    did = raises_only((MalformedValueError,), lambda: did_web_from_url(base, segments))
    if did is not None:
        url = did_web_to_url(did)  # what it makes is a did:web that maps back
        assert urlsplit(url).hostname == urlsplit(base).hostname


# --- status lists -----------------------------------------------------------------------------


@FEW
@given(
    st.sampled_from([1, 2, 4, 8]),
    st.integers(min_value=0, max_value=2**32),
    st.lists(st.integers(min_value=0, max_value=MIN_ENTRIES - 1), max_size=50),
)
def test_status_list_round_trips_at_the_sizes_used(
    status_size: int, seed: int, indexes: list[int]
) -> None:
    """A random bitstring of the service's list size (131,072 entries), and a sparse one,
    decode to exactly what was encoded."""
    raw = random.Random(seed).randbytes(MIN_ENTRIES * status_size // 8)
    dense = BitstringStatusList.from_bytes(raw, status_size)
    decoded = BitstringStatusList.decode(dense.encode(), status_size=status_size)
    assert decoded == dense and decoded.to_bytes() == raw
    sparse = BitstringStatusList(MIN_ENTRIES, status_size=status_size)
    for index in indexes:
        sparse.set(index, (index % ((1 << status_size) - 1)) + 1)
    again = BitstringStatusList.decode(sparse.encode(), status_size=status_size)
    assert again == sparse
    assert [again.get(i) for i in indexes] == [sparse.get(i) for i in indexes]
    assert again.count_set() == len(set(indexes))


def _gzip_of(data: bytes) -> bytes:
    return zlib.compress(data, 6, wbits=31)


VALID_GZIP = _gzip_of(bytes(MIN_ENTRIES // 8))


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        out[position % len(out)] = value
    return bytes(out[:cut] if cut is not None else out)


encoded_lists = st.one_of(
    st.text(max_size=200),
    st.builds(lambda t: "u" + t, st.text(alphabet="ABCDEFabcdef0123456789-_=+/ \n", max_size=200)),
    st.builds(
        lambda b: encode_base64url(b), st.binary(max_size=300)
    ),  # base64url of arbitrary bytes
    st.builds(
        lambda b: encode_base64url(b"\x1f\x8b" + b), st.binary(max_size=300)
    ),  # GZIP magic, then garbage
    st.builds(
        lambda edits, cut: encode_base64url(_mutate(VALID_GZIP, edits, cut)),
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
        st.one_of(st.none(), st.integers(0, len(VALID_GZIP))),
    ),  # a valid list, bit-flipped or cut short
    st.builds(lambda b: encode_base64url(_gzip_of(b)), st.binary(max_size=64)),  # too short
)


@BASE
@given(encoded_lists, st.sampled_from([1, 2, 8]))
def test_status_list_decoding_raises_only_status_list_errors(text: str, size: int) -> None:
    result = raises_only(
        (StatusListError,), lambda: BitstringStatusList.decode(text, status_size=size)
    )
    event("decoded" if result is not None else "refused")
    if result is not None:
        assert result.length >= MIN_ENTRIES


ENTRY_KEYS = [
    "id",
    "type",
    "statusPurpose",
    "statusListIndex",
    "statusListCredential",
    "statusSize",
    "statusMessage",
    "status",
    "message",
    "statusReference",
]
entry_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "BitstringStatusListEntry",
            "revocation",
            "suspension",
            "message",
            "https://hub.example/status-lists/1",
            "0x1",
            "0xFFFFFFFFFFFFFFFFFFFF",
            "007",
            "9" * 40,
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(ENTRY_KEYS), inner, max_size=6)
    ),
    max_leaves=30,
)


VALID_ENTRY = {
    "id": "https://hub.example/status-lists/1#7",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "7",
    "statusListCredential": "https://hub.example/status-lists/1",
}


@BASE
@given(
    st.builds(
        lambda changes: {**VALID_ENTRY, **changes},
        st.dictionaries(st.sampled_from(ENTRY_KEYS), entry_values, max_size=2),
    )
    | st.dictionaries(st.sampled_from(ENTRY_KEYS), entry_values, max_size=8)
)
def test_status_entries_parse_or_raise_malformed_value(entry: dict[str, Any]) -> None:
    """A credentialStatus item, as arbitrary JSON: a StatusEntry or a MalformedValueError
    naming the field under credentialStatus."""
    try:
        parsed = parse_status_entry(entry)
    except MalformedValueError as exc:
        assert exc.detail.startswith("credentialStatus"), exc.detail
        event("MalformedValueError")
        return
    event("entry")
    assert parsed.index >= 0 and 1 <= parsed.status_size <= 16


def _gzip_bomb(inflated_bytes: int) -> bytes:
    """A GZIP member whose DEFLATE data inflates to `inflated_bytes` zeros, built without ever
    holding them: one fully-flushed 1 MiB segment repeated (the trailer is not reached)."""
    chunk = MIB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    second = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert first == second  # a full flush resets the history: segments are interchangeable
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    tail = compressor.flush(zlib.Z_FINISH) + b"\x00" * 8
    return header + first * (inflated_bytes // chunk) + tail


def test_status_list_decompression_bomb_is_refused_with_bounded_memory() -> None:
    """1 GiB of zeros in about 1 MB of GZIP: refused at the cap, holding no more than the cap
    (plus one output slice and the input itself) in memory."""
    bomb = _gzip_bomb(1024 * MIB)
    assert len(bomb) < 2 * MIB
    encoded = encode_base64url(bomb)
    cap = 2 * MIB
    with peak_memory() as peak, pytest.raises(StatusListError) as caught:
        BitstringStatusList.decode(encoded, max_decompressed_bytes=cap)
    assert caught.value.problem_type == INPUT_LIMIT_ERROR, caught.value.detail
    assert str(cap) in caught.value.detail
    # The decoded input (~1 MB) and the output up to the cap, plus slack: not gigabytes.
    assert peak[0] < len(bomb) + cap + 2 * MIB, peak[0]
    with peak_memory() as peak, pytest.raises(StatusListError):
        gzip_decompress_capped(bomb, cap)
    assert peak[0] < cap + MIB, peak[0]


def test_status_list_bomb_of_4_gib_is_refused_at_the_default_cap() -> None:
    """With the default cap (16 MiB), a 4 GiB bomb (about 4 MB) is refused too."""
    bomb = _gzip_bomb(4096 * MIB)
    encoded = encode_base64url(bomb)
    with peak_memory() as peak, pytest.raises(StatusListError) as caught:
        BitstringStatusList.decode(encoded)
    assert caught.value.problem_type == INPUT_LIMIT_ERROR, caught.value.detail
    assert peak[0] < DEFAULT_MAX_DECOMPRESSED_BYTES + len(bomb) + 4 * MIB, peak[0]


# --- the offline QR payload ------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=40,
)
credentials_like = st.fixed_dictionaries(
    {
        "@context": st.just(["https://www.w3.org/ns/credentials/v2"]),
        "type": st.just(["VerifiableCredential", "OpenBadgeCredential"]),
        "issuer": st.builds(lambda s: "did:web:hub.example:makerspaces:" + s, st.text(max_size=20)),
        "credentialSubject": st.dictionaries(st.text(max_size=12), json_values, max_size=6),
    },
    optional={"name": st.text(), "extra": json_values},
)


@BASE
@given(credentials_like)
def test_offline_qr_round_trip_is_byte_exact(document: dict[str, Any]) -> None:
    payload = encode_offline(document)
    decoded = decode_offline(payload)
    assert decoded == document
    assert compact_json(decoded) == compact_json(document)  # key order, -0.0, unicode


def _pack(raw: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=DICTIONARY_V1)
    return PREFIX + b45encode(compressor.compress(raw) + compressor.flush())


qr_texts = st.one_of(
    st.text(max_size=100),
    st.builds(
        lambda t: PREFIX + t,
        st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=60),
    ),
    st.builds(lambda b: PREFIX + b45encode(b), st.binary(max_size=80)),  # not DEFLATE
    st.builds(lambda b: _pack(b), st.binary(max_size=80)),  # DEFLATE of bytes, not JSON
    st.builds(
        lambda text: _pack(text.encode("utf-8", "surrogatepass")),
        st.text(alphabet='{}[],:"0123456789.eE+-tfnulNaIiy\\ud\x00 ', max_size=60),
    ),  # JSON-ish text: NaN, Infinity, duplicate keys, bad escapes, lone surrogates
    st.builds(lambda v: _pack(json.dumps(v).encode()), json_values),  # JSON that is no object
    st.builds(lambda n: "PVC" + n + ":", st.text(alphabet="0123456789٣", max_size=6)),
)


@BASE
@given(qr_texts)
def test_offline_qr_decoder_raises_only_offline_qr_errors(text: str) -> None:
    decoded = raises_only((OfflineQrError,), lambda: decode_offline(text))
    event("decoded" if decoded is not None else "refused")
    if decoded is not None:
        assert isinstance(decoded, dict)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(b"[" * 30_000 + b"]" * 30_000, "nested", id="30000 nested arrays"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested", id="10000 nested objects"),
        pytest.param(b'{"n":' + b"9" * 5000 + b"}", "digits", id="5000-digit integer"),
        pytest.param(b'{"n":1e400}', "finite", id="1e400"),
        pytest.param(b'{"n":NaN}', "NaN", id="NaN"),
        pytest.param(b'{"n":-Infinity}', "Infinity", id="-Infinity"),
        pytest.param(b'{"id":"a","id":"b"}', "twice", id="duplicate key"),
        pytest.param(b'{"a":"\xff\xfe"}', "UTF-8", id="not UTF-8"),
    ],
)
def test_offline_qr_decoder_names_each_hostile_json(raw: bytes, reason: str) -> None:
    with pytest.raises(OfflineQrError, match=reason):
        decode_offline(_pack(raw))


def test_offline_qr_decoder_refuses_an_absurd_version_number() -> None:
    with pytest.raises(OfflineQrError, match="unsupported offline QR version"):
        decode_offline("PVC" + "1" * 5000 + ":AB")


def test_offline_qr_length_cap_admits_the_largest_payload_the_encoder_writes() -> None:
    """Hard-to-compress JSON of exactly MAX_JSON_BYTES (random 3-byte characters; UTF-8 text
    is never fully incompressible, and MAX_PAYLOAD_CHARS allows for data that is): its payload
    is under the decoder's length cap and round-trips."""
    rng = random.Random(7)
    text = "".join(chr(rng.randrange(0x800, 0xD7FF)) for _ in range(21_000))  # 3 UTF-8 bytes each
    document = {"n": text + "x" * (MAX_JSON_BYTES - 8 - len(text.encode()))}
    assert len(compact_json(document)) == MAX_JSON_BYTES
    payload = encode_offline(document)
    assert len(payload) <= MAX_PAYLOAD_CHARS
    assert decode_offline(payload) == document


def test_offline_qr_bomb_is_refused_with_bounded_memory() -> None:
    """Raw DEFLATE of 256 MiB of zeros (about 250 KB, 370,000 base45 characters) is refused
    with the size-limit error, and neither the inflated bytes nor the base45 text are held."""
    chunk = MIB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=DICTIONARY_V1)
    body = bytearray(compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH))
    segment = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    body += segment * 255 + compressor.flush()
    payload = PREFIX + b45encode(bytes(body))
    with peak_memory() as peak, pytest.raises(OfflineQrLimitError):
        decode_offline(payload)
    assert peak[0] < 2 * MIB, peak[0]
    # A payload small enough to be read, that inflates past MAX_JSON_BYTES, is refused too.
    small_bomb = _pack(b'{"a":"' + b"x" * (MAX_JSON_BYTES + 10) + b'"}')
    with peak_memory() as peak, pytest.raises(OfflineQrLimitError):
        decode_offline(small_bomb)
    assert peak[0] < MAX_JSON_BYTES + MIB, peak[0]


@BASE
@given(
    st.dictionaries(
        st.text(max_size=5),
        json_values | st.sampled_from([float("nan"), float("inf"), "\ud800", b"x"]),
        max_size=3,
    )
)
def test_offline_qr_encoder_raises_only_offline_qr_errors(document: dict[str, Any]) -> None:
    payload = raises_only((OfflineQrError,), lambda: encode_offline(document))
    if payload is not None:
        assert decode_offline(payload) == document


# --- request bodies (the API's strict JSON check) ----------------------------------------------


@BASE
@given(json_values, st.booleans())
def test_strict_json_accepts_whatever_a_json_encoder_writes(value: Any, ascii_only: bool) -> None:
    """No false alarms: any JSON a client library writes (escaped or not) passes."""
    assert json_body_problem(json.dumps(value, ensure_ascii=ascii_only).encode()) is None


def test_strict_json_depth_limit_is_exact() -> None:
    """MAX_DEPTH levels pass (a presentation of a credential of JSON-LD's 32 fits); one more
    is refused, well before pydantic's ~255 and the parser's ~1000."""
    for depth, refused in ((STRICT_MAX_DEPTH, False), (STRICT_MAX_DEPTH + 1, True)):
        for wrap in (lambda v: [v], lambda v: {"k": v}):
            value: Any = "x"
            for _ in range(depth):
                value = wrap(value)
            problem = json_body_problem(json.dumps(value).encode())
            assert (problem is not None) == refused, (depth, problem)


json_ish_bytes = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda text: text.encode("utf-8", "surrogatepass"),
        st.text(alphabet='{}[],:"0123456789.eE+-tfnulNaIiy\\ud\ud800 ', max_size=80),
    ),
)


@BASE
@given(json_ish_bytes)
def test_strict_json_names_a_problem_or_passes_never_raises(data: bytes) -> None:
    problem = json_body_problem(data)
    assert problem is None or (isinstance(problem, str) and problem)


# --- CSV batches ------------------------------------------------------------------------------

CSV_PIECES = [
    *CSV_COLUMNS,
    "holderName",
    "unknown",
    ",",
    ",",
    "\n",
    "\r\n",
    "\r",
    '"',
    '""',
    '"a\nb"',
    "\x00",
    "\ufeff",
    "é",
    " ",
    "did:key:z6Mk",
    "LASER-CUT",
    "3",
    "x" * 140_000,  # over csv's default field size limit (131,072)
]
csv_bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda bom, header, rows, encoding: (bom + header + "\n" + rows).encode(
            encoding, "replace"
        ),
        st.sampled_from(["", "\ufeff"]),
        st.sampled_from(["holder,skill,level", "holder,skill,level,evidence", "skill,level"]),
        st.builds("".join, st.lists(st.sampled_from(CSV_PIECES), max_size=25)),
        st.sampled_from(["utf-8", "utf-16", "latin-1"]),
    ),
    st.builds(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass"),
        st.lists(st.sampled_from([*CSV_PIECES, "\ud800"]), max_size=25),
    ),
)


@BASE
@given(csv_bodies)
def test_csv_parser_gives_rows_or_a_field_error(data: bytes) -> None:
    try:
        rows = parse_csv(data, max_rows=50)
    except InvalidFieldError as exc:
        assert exc.field is not None and exc.field.startswith("file")
        assert exc.detail
        event("field error")
        return
    event("rows")
    for row in rows:
        assert set(row) <= {*CSV_COLUMNS, "__error__"}, row
        assert all(isinstance(value, str) for value in row.values())


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        pytest.param(
            b"holder" + b"x" * 140_000 + b",skill,level\n",
            "file",
            "malformed CSV",
            id="long header",
        ),
        pytest.param(
            b"holder,skill,level\n" + b"a" * 140_000 + b",b,c\n",
            "file",
            "malformed CSV",
            id="long cell",
        ),
        pytest.param(b"\xff\xfeh\x00", "file", "not UTF-8", id="UTF-16"),
        pytest.param(b"", "file", "empty", id="empty"),
        pytest.param(b"\xef\xbb\xbf", "file", "empty", id="only a BOM"),
        pytest.param(b"holder,skill\n", "file.level", "'level'", id="missing column"),
    ],
)
def test_csv_parser_names_the_problem(data: bytes, field: str, reason: str) -> None:
    with pytest.raises(InvalidFieldError, match=reason) as caught:
        parse_csv(data, max_rows=10)
    assert caught.value.field == field


def test_csv_parser_keeps_quoted_newlines_nul_and_a_bom() -> None:
    data = '\ufeffholder,skill,level,evidence\ndid:key:z6Mk,LASER-CUT,3,"two\nlines\x00"\n'
    rows = parse_csv(data.encode(), max_rows=10)
    assert rows == [
        {"holder": "did:key:z6Mk", "skill": "LASER-CUT", "level": "3", "evidence": "two\nlines\x00"}
    ]
    assert csv.field_size_limit() == 131_072  # the parser changed no process-wide setting


# --- OKW import -------------------------------------------------------------------------------

OKW_KEYS = [
    "name",
    "id",
    "location",
    "address",
    "gps",
    "gpsCoordinates",
    "latitude",
    "longitude",
    "city",
    "country",
    "postcode",
    "owner",
    "contact",
    "affiliation",
    "email",
    "website",
    "url",
    "did",
    "equipment",
    "equipmentType",
    "skillsRequired",
    "skill",
    "minLevel",
    "operators",
    "quantity",
    "properties",
    "materialsWorked",
    "typicalMaterials",
    "manufacturingProcesses",
    "facilityStatus",
    "status",
    "accessType",
    "dateCreated",
    "facility",
    "geocoding",
    "region",
    "zip_code",
    "facility_id",
    "country",
]
okw_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400), 2**1024, 1e308])
    | st.floats()  # NaN and infinities too: Python's json module reads them
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "LASER-CUT",
            "https://en.wikipedia.org/wiki/Laser_cutting",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "1e400, 2",
            "nan, nan",
            "12.5, -3.25",
            "2024-02-30",
            "CM",
            "Active",
            "a@b",
            "\ud800",
            "x\x00y",
        ]
    )
)
okw_values = st.recursive(
    okw_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(OKW_KEYS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=40,
)
TAXONOMY = load_taxonomy()


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _check_okw(call: Callable[[], Any]) -> None:
    try:
        result = call()
    except OkwError as exc:
        assert exc.field and exc.detail.startswith(exc.field), exc.detail
        event("OkwError")
        return
    event("record")
    records = result if isinstance(result, list) else [result]
    assert all(isinstance(record, FacilityRecord) for record in records)


@settings(BASE, max_examples=300)
@given(okw_values)
def test_okw_import_gives_a_record_or_an_error_naming_a_field(value: Any) -> None:
    _check_okw(lambda: parse_document(value, TAXONOMY))
    _check_okw(lambda: parse_facility(value, TAXONOMY))


@BASE
@given(
    st.dictionaries(st.sampled_from(OKW_KEYS), okw_values, max_size=8),
    st.dictionaries(st.sampled_from(OKW_KEYS), okw_values, max_size=4),
)
def test_okw_facilities_with_a_name_give_a_record_or_a_field_error(
    facility: dict[str, Any], location: dict[str, Any]
) -> None:
    """Past the name check, into locations, equipment and the map export shape."""
    _check_okw(lambda: parse_facility({**facility, "name": "Lab", "location": location}, TAXONOMY))
    _check_okw(
        lambda: parse_document(
            {"facility": {**facility, "name": "Lab"}, "geocoding": location, "region": location},
            TAXONOMY,
        )
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        pytest.param(
            {"name": "Lab", "location": {"latitude": 10**400, "longitude": 1}},
            "location.latitude",
            id="huge latitude",
        ),
        pytest.param(
            {"name": "Lab", "location": {"gps": {"latitude": 1, "longitude": -(10**400)}}},
            "location.gps.longitude",
            id="huge longitude",
        ),
        pytest.param(
            {"facility": {"name": "Lab"}, "geocoding": {"latitude": 10**400}},
            "geocoding.latitude",
            id="map export",
        ),
        pytest.param(
            {"name": "Lab", "location": {"latitude": float("nan"), "longitude": 1}},
            "location.latitude",
            id="NaN latitude",
        ),
        pytest.param({"name": "Lab", "extra": _nested(40)}, "extra", id="deep extension"),
        pytest.param(
            {"name": "Lab", "equipment": [{"quantity": 10**400}]},
            "equipment[0].quantity",
            id="huge quantity",
        ),
        pytest.param(5, ROOT, id="a number"),
    ],
)
def test_okw_import_names_the_field_of_hostile_values(value: Any, field: str) -> None:
    with pytest.raises(OkwError) as caught:
        parse_document(value, TAXONOMY)
    assert caught.value.field.startswith(field), caught.value.detail
