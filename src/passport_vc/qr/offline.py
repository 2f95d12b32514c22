"""One signed badge in one QR code, checkable with no network.

The payload is `PVC1:` followed by base45 (RFC 9285, so the QR code uses its alphanumeric
mode) of the raw DEFLATE (RFC 1951) of the badge's compact JSON, compressed against a preset
dictionary of the text every badge repeats. Decoding gives back the exact JSON that was
signed, so its Data Integrity proof verifies as it did before encoding.

The dictionary is part of the format: `PVC1` means DICTIONARY_V1, byte for byte, forever.
A different dictionary needs a new version (`PVC2:`), and decoders keep the old ones.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from typing import Any

from passport_vc.errors import INPUT_LIMIT_ERROR, PARSING_ERROR, PassportVcError

VERSION = 1
PREFIX = f"PVC{VERSION}:"
MAX_JSON_BYTES = 64 * 1024
"""The most a payload may decompress to (a signed badge is about 4-5 KiB): a zip bomb stops."""
MAX_PAYLOAD_CHARS = len("PVC9999:") + 3 * (MAX_JSON_BYTES + 1024) // 2
"""Longer than any payload `encode_offline` writes (DEFLATE grows incompressible input by a
few bytes per 16 KiB; base45 writes 3 characters per 2 bytes): refused before decoding."""

# Ordered from the least to the most frequent, since DEFLATE codes short distances (the end
# of the dictionary) in fewer bits. The body is a typical badge, in the order the service
# writes its keys, with the parts that change from badge to badge left out.
_DICTIONARY_PARTS_V1: tuple[str, ...] = (
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    '"targetDescription":"broad match"',
    '"targetDescription":"narrow match"',
    '"targetDescription":"exact match"',
    '"targetDescription":"related match"',
    '"validUntil":"20',
    '"type":["Evidence"],"narrative":"',
    '"evidence":[{"type":["Evidence"],"narrative":"',
    '"identifier":[{"type":"IdentityObject","identityHash":"',
    '","identityType":"name","hashed":false}]',
    "did:key:z6Mk",
    "did:web:",
    ":makerspaces:",
    "#key-1",
    '"achievementType":"Competency"',
    " — Level 1 Inducted",
    " — Level 2 Independent",
    " — Level 4 Expert/Trainer",
    " — Level 3 Proficient",
    # The body of a badge.
    '{"@context":["https://www.w3.org/ns/credentials/v2",'
    '"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],'
    '"type":["VerifiableCredential","OpenBadgeCredential"],',
    '"id":"https://',
    '/credentials/","name":"',
    '","issuer":{"id":"did:web:',
    ':makerspaces:","type":["Profile"],"name":"","url":"https://"},',
    '"validFrom":"20',
    'T00:00:00Z","credentialSubject":{"id":"did:key:z6Mk","type":["AchievementSubject"],',
    '"achievement":{"id":"https://',
    '/achievements//level-","type":["Achievement"],"achievementType":"Competency",',
    '"name":"","description":"',
    " Level 1 (Inducted): Level 2 (Independent): Level 3 (Proficient): ",
    'Level 4 (Expert/Trainer): ","criteria":{"narrative":"',
    '"},"humanCode":"-L","fieldOfStudy":"","tag":["",""],',
    '"alignment":[{"type":["Alignment"],"targetType":"ext:MakerSkill",',
    '"targetFramework":"passport-vc Maker Skills Taxonomy","targetCode":"","targetName":"",',
    '"targetUrl":"https://passport-vc.org/skills/"},',
    '{"type":["Alignment"],"targetType":"ext:ESCOSkill","targetFramework":"ESCO",',
    '"targetName":"","targetUrl":"http://data.europa.eu/esco/skill/",',
    '"targetDescription":"close match"}],',
    '"resultDescription":[{"id":"https://passport-vc.org/skills/levels",'
    '"type":["ResultDescription"],"name":"Level","resultType":"RubricCriterionLevel",'
    '"rubricCriterionLevel":[',
    '{"id":"https://passport-vc.org/skills/levels/1","type":["RubricCriterionLevel"],'
    '"name":"Inducted","description":"Has completed the safety briefing and induction for '
    "this skill and carries out prepared, standard tasks under the supervision of an "
    'authorised person.","level":"1"},',
    '{"id":"https://passport-vc.org/skills/levels/2","type":["RubricCriterionLevel"],'
    '"name":"Independent","description":"Works unsupervised on standard jobs with known '
    "materials and settings, follows the space's procedures, and leaves the equipment safe "
    'and clean.","level":"2"},',
    '{"id":"https://passport-vc.org/skills/levels/3","type":["RubricCriterionLevel"],'
    '"name":"Proficient","description":"Sets up for new materials and non-standard jobs, '
    "diagnoses and fixes common problems, and works to stated tolerances and quality."
    '","level":"3"},',
    '{"id":"https://passport-vc.org/skills/levels/4","type":["RubricCriterionLevel"],'
    '"name":"Expert/Trainer","description":"Inducts, trains and assesses others, performs '
    "routine maintenance and calibration, and writes or improves the procedures for this "
    'skill.","level":"4"}]}]},',
    '"result":[{"type":["Result"],"resultDescription":"https://passport-vc.org/skills/levels",'
    '"achievedLevel":"https://passport-vc.org/skills/levels/"}]},',
    '"credentialStatus":[{"id":"https://',
    '/status-lists/1#","type":"BitstringStatusListEntry","statusPurpose":"revocation",'
    '"statusListIndex":"","statusListCredential":"https://',
    '/status-lists/1"},{"id":"https://',
    '/status-lists/2#","type":"BitstringStatusListEntry","statusPurpose":"suspension",'
    '"statusListIndex":"","statusListCredential":"https://',
    '/status-lists/2"}],',
    '"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-rdfc-2022","created":"20',
    'T00:00:00Z","verificationMethod":"did:web:',
    ':makerspaces:#key-1","proofPurpose":"assertionMethod","proofValue":"z"}}',
)
DICTIONARY_V1: bytes = "".join(_DICTIONARY_PARTS_V1).encode("utf-8")

_DICTIONARIES = {1: DICTIONARY_V1}

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUES = {char: value for value, char in enumerate(BASE45_ALPHABET)}


class OfflineQrError(PassportVcError):
    """An offline QR payload that is not one this module wrote: the detail says what is wrong."""

    problem_type = PARSING_ERROR
    title = "Invalid offline QR payload"


class OfflineQrLimitError(OfflineQrError):
    """The payload decompresses to more than MAX_JSON_BYTES."""

    problem_type = INPUT_LIMIT_ERROR
    title = "Offline QR payload over the size limit"


def b45encode(data: bytes) -> str:
    """Base45 (RFC 9285 §4)."""
    out: list[str] = []
    for start in range(0, len(data) - 1, 2):
        value = data[start] * 256 + data[start + 1]
        value, c = divmod(value, 45)
        e, d = divmod(value, 45)
        out += (BASE45_ALPHABET[c], BASE45_ALPHABET[d], BASE45_ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (BASE45_ALPHABET[c], BASE45_ALPHABET[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Base45 (RFC 9285 §4.2), strictly: characters outside the alphabet, a length of 3n+1 and
    groups over 65535 (or 255 for a final pair) are errors, so each byte string has exactly one
    encoding."""
    if len(text) % 3 == 1:
        raise OfflineQrError(f"base45: a length of {len(text)} is not 3n or 3n+2 characters")
    values: list[int] = []
    for position, char in enumerate(text):
        value = _BASE45_VALUES.get(char)
        if value is None:
            raise OfflineQrError(f"base45: {char!r} at {position} is not in the alphabet")
        values.append(value)
    out = bytearray()
    for start in range(0, len(values), 3):
        group = values[start : start + 3]
        if len(group) == 3:
            number = group[0] + group[1] * 45 + group[2] * 45 * 45
            if number > 0xFFFF:
                raise OfflineQrError(f"base45: the group at {start} is over 65535")
            out += number.to_bytes(2, "big")
        else:
            number = group[0] + group[1] * 45
            if number > 0xFF:
                raise OfflineQrError(f"base45: the final pair at {start} is over 255")
            out.append(number)
    return bytes(out)


def compact_json(document: Mapping[str, Any]) -> bytes:
    """The serialization that is compressed: compact, UTF-8, no NaN or Infinity."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def encode_offline(credential: Mapping[str, Any]) -> str:
    """The QR payload of a signed credential (`PVC1:` and base45 alphanumerics)."""
    if not isinstance(credential, Mapping):
        raise OfflineQrError("an offline QR carries one credential, a JSON object")
    try:
        raw = compact_json(credential)
    except (ValueError, TypeError, RecursionError) as exc:  # NaN, a lone surrogate, bytes...
        raise OfflineQrError(f"the credential is not JSON: {exc}") from None
    if len(raw) > MAX_JSON_BYTES:
        raise OfflineQrLimitError(
            f"the credential is {len(raw)} bytes of JSON, over {MAX_JSON_BYTES}"
        )
    compressor = zlib.compressobj(
        level=9, method=zlib.DEFLATED, wbits=-15, memLevel=9, zdict=DICTIONARY_V1
    )
    packed = compressor.compress(raw) + compressor.flush()
    return PREFIX + b45encode(packed)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise OfflineQrError(f"JSON: the key {key!r} appears twice in one object")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise OfflineQrError(f"JSON: {name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise OfflineQrError(f"JSON: {text[:40]} is not a finite number")
    return number


def decode_offline(text: str) -> dict[str, Any]:
    """The credential in an offline QR payload, exactly as it was signed; OfflineQrError
    (OfflineQrLimitError past MAX_JSON_BYTES) naming what is wrong otherwise."""
    if not isinstance(text, str):
        raise OfflineQrError("the payload must be text")
    if len(text) > MAX_PAYLOAD_CHARS:
        raise OfflineQrLimitError(
            f"the payload is {len(text)} characters, over {MAX_PAYLOAD_CHARS}: no credential of "
            f"at most {MAX_JSON_BYTES} bytes encodes to that"
        )
    head, colon, body = text.partition(":")
    if not colon or not head.startswith("PVC"):
        raise OfflineQrError(f"not an offline credential: it must start with {PREFIX!r}")
    version_text = head[3:]
    plain_number = version_text.isdecimal() and version_text.isascii() and len(version_text) < 5
    version = int(version_text) if plain_number else None
    dictionary = _DICTIONARIES.get(version) if version is not None else None
    if dictionary is None or f"PVC{version}" != head:
        raise OfflineQrError(
            f"unsupported offline QR version {head!r}: this decoder reads {PREFIX!r}"
        )
    packed = b45decode(body)
    decompressor = zlib.decompressobj(wbits=-15, zdict=dictionary)
    try:
        raw = decompressor.decompress(packed, MAX_JSON_BYTES + 1)
    except zlib.error as exc:
        raise OfflineQrError(f"DEFLATE: the compressed data is corrupt ({exc})") from exc
    if len(raw) > MAX_JSON_BYTES or decompressor.unconsumed_tail:
        raise OfflineQrLimitError(f"DEFLATE: the payload inflates to over {MAX_JSON_BYTES} bytes")
    if not decompressor.eof:
        raise OfflineQrError("DEFLATE: the compressed data is truncated")
    if decompressor.unused_data:
        raise OfflineQrError("DEFLATE: there are bytes after the end of the compressed data")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OfflineQrError(f"the JSON is not UTF-8 ({exc.reason} at {exc.start})") from exc
    try:
        document = json.loads(
            decoded,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_finite,
        )
    except json.JSONDecodeError as exc:
        raise OfflineQrError(f"JSON: {exc.msg} at {exc.pos}") from exc
    except RecursionError:
        raise OfflineQrError("JSON: arrays or objects nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than int() reads (4300)
        raise OfflineQrError(f"JSON: a number has too many digits ({exc})") from None
    if not isinstance(document, dict):
        raise OfflineQrError(
            f"the payload holds a JSON {type(document).__name__}, not a credential object"
        )
    return document


__all__ = [
    "BASE45_ALPHABET",
    "DICTIONARY_V1",
    "MAX_JSON_BYTES",
    "MAX_PAYLOAD_CHARS",
    "PREFIX",
    "OfflineQrError",
    "OfflineQrLimitError",
    "b45decode",
    "b45encode",
    "decode_offline",
    "encode_offline",
]
