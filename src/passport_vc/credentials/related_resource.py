"""VC Data Model 2.0 §5.3 Integrity of Related Resources: `relatedResource`.

Each related resource names a URL (`id`, unique in the list) and at least one digest of its
content: `digestSRI` (Subresource Integrity §3.5 hash-expression, "sha384-<base64>") and/or
`digestMultibase` (VC Data Integrity §2.6: a multibase-encoded multihash). The forms are always
checked. The content is checked only when the `id` is a context bundled in the package, against
the exact bytes of the bundled file (the bytes whose SHA-256 the loader pins); any other
resource would have to be fetched, and nothing is ever fetched, so its digest is taken as given.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from passport_vc import errors
from passport_vc.credentials.model import Problem, as_list, is_url, problem
from passport_vc.errors import ContextError, PassportVcError
from passport_vc.jsonld.contexts import is_known_context, pinned_contexts
from passport_vc.multibase import decode_base58btc, decode_base64url

# SRI hash-algo -> hashlib name; multihash code (sha2 family) -> hashlib name.
SRI_ALGORITHMS = {"sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
MULTIHASH_ALGORITHMS = {0x12: "sha256", 0x20: "sha384", 0x13: "sha512"}
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}

# SRI §3.5: hash-expression = hash-algo "-" base64-value [ "?" option-expression ]
_SRI = re.compile(r"(?P<algo>[A-Za-z0-9]+)-(?P<value>[A-Za-z0-9+/]+={0,2})(?:\?[!-~]*)?\Z")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?\Z")
_MAX_DIGEST_CHARS = 512


class _Malformed(Exception):
    """A digest that does not parse; the message says why."""


def _sri_digest(value: Any) -> tuple[str, bytes]:
    """(hashlib algorithm name, digest bytes) of one SRI hash-expression."""
    if not isinstance(value, str) or len(value) > _MAX_DIGEST_CHARS:
        raise _Malformed("must be a string of the form <algorithm>-<base64 digest>")
    match = _SRI.match(value)
    if match is None:
        raise _Malformed(f"{value!r} is not an SRI hash-expression (<algorithm>-<base64>)")
    algorithm = SRI_ALGORITHMS.get(match["algo"])
    if algorithm is None:
        raise _Malformed(
            f"unsupported SRI algorithm {match['algo']!r} (use {', '.join(SRI_ALGORITHMS)})"
        )
    encoded = match["value"]
    try:
        digest = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _Malformed(f"{value!r}: the digest is not valid base64") from None
    if len(digest) != DIGEST_SIZES[algorithm]:
        raise _Malformed(
            f"{value!r}: a {algorithm} digest has {DIGEST_SIZES[algorithm]} bytes, "
            f"not {len(digest)}"
        )
    return algorithm, digest


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    """An unsigned LEB128 varint (multiformats: minimal, at most 9 bytes) and the next offset."""
    value = 0
    for n in range(9):
        if at + n >= len(data):
            raise _Malformed("the multihash is truncated")
        byte = data[at + n]
        value |= (byte & 0x7F) << (7 * n)
        if not byte & 0x80:
            if byte == 0 and n > 0:
                raise _Malformed("the multihash has a non-minimal varint")
            return value, at + n + 1
    raise _Malformed("the multihash has a varint longer than 9 bytes")


def _multibase_digest(value: Any) -> tuple[str, bytes]:
    """(hashlib algorithm name, digest bytes) of one multibase-encoded multihash."""
    if not isinstance(value, str) or not value or len(value) > _MAX_DIGEST_CHARS:
        raise _Malformed("must be a multibase string ('u' base64url or 'z' base58btc)")
    try:
        if value[0] == "u":
            data = decode_base64url(value)
        elif value[0] == "z":
            data = decode_base58btc(value)
        else:
            raise _Malformed(
                f"{value!r}: unsupported multibase prefix {value[0]!r} "
                "(use 'u' base64url-no-pad or 'z' base58btc)"
            )
    except PassportVcError as exc:
        raise _Malformed(f"{value!r}: {exc.detail}") from None
    code, at = _read_varint(data, 0)
    length, at = _read_varint(data, at)
    algorithm = MULTIHASH_ALGORITHMS.get(code)
    if algorithm is None:
        raise _Malformed(
            f"{value!r}: unsupported multihash code 0x{code:x} "
            "(use sha2-256 0x12, sha2-384 0x20 or sha2-512 0x13)"
        )
    digest = data[at:]
    if length != DIGEST_SIZES[algorithm] or len(digest) != length:
        raise _Malformed(
            f"{value!r}: a {algorithm} multihash carries {DIGEST_SIZES[algorithm]} digest "
            f"bytes (declared {length}, found {len(digest)})"
        )
    return algorithm, digest


@functools.cache
def bundled_context_bytes(url: str) -> bytes:
    """The exact bytes of the bundled file for context `url` (as pinned by its SHA-256)."""
    pinned = pinned_contexts()[url]
    base = resources.files("passport_vc") / "contexts"
    index = json.loads((base / "INDEX.json").read_text(encoding="utf-8"))
    raw: bytes = (base / index["contexts"][url]["file"]).read_bytes()
    if hashlib.sha256(raw).hexdigest() != pinned.sha256:
        raise ContextError(f"bundled context {url} does not match its pinned sha256")
    return raw


def check_related_resources(document: Mapping[str, Any]) -> list[Problem]:
    """Problems with `relatedResource` (none when it is absent)."""
    if "relatedResource" not in document:
        return []
    out: list[Problem] = []

    def bad(detail: str) -> None:
        out.append(problem(errors.MALFORMED_VALUE_ERROR, detail))

    related = document["relatedResource"]
    # §5.3: "one or more objects"; a single object is taken as a list of one
    items = as_list(related) if isinstance(related, list | Mapping) else None
    if not items:
        bad("relatedResource must be one or more objects (a non-empty list)")
        return out
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        where = f"relatedResource[{i}]"
        if not isinstance(item, Mapping):
            bad(f"{where} must be an object")
            continue
        resource_id = item.get("id")
        if not isinstance(resource_id, str) or not is_url(resource_id):
            bad(f"{where}.id is required and must be a URL")
            resource_id = None
        elif resource_id in seen:
            bad(f"{where}.id {resource_id!r} repeats relatedResource[{seen[resource_id]}].id")
        else:
            seen[resource_id] = i
        media_type = item.get("mediaType")
        if "mediaType" in item and (
            not isinstance(media_type, str) or _MEDIA_TYPE.match(media_type) is None
        ):
            bad(f"{where}.mediaType must be a media type such as application/ld+json")
        if "digestSRI" not in item and "digestMultibase" not in item:
            bad(f"{where} must have a digestSRI or a digestMultibase")
            continue
        digests: list[tuple[str, str, bytes]] = []
        for name, parse in (("digestSRI", _sri_digest), ("digestMultibase", _multibase_digest)):
            if name not in item:
                continue
            several = isinstance(item[name], list)
            values = list(item[name]) if several else [item[name]]
            if not values:
                bad(f"{where}.{name} must be one or more digests")
            for j, value in enumerate(values):
                label = f"{where}.{name}[{j}]" if several else f"{where}.{name}"
                try:
                    algorithm, digest = parse(value)
                except _Malformed as exc:
                    bad(f"{label}: {exc}")
                else:
                    digests.append((label, algorithm, digest))
        if resource_id is None or not is_known_context(resource_id):
            continue  # not bundled: the content cannot be checked without fetching it
        content = bundled_context_bytes(resource_id)
        for label, algorithm, digest in digests:
            if hashlib.new(algorithm, content).digest() != digest:
                bad(f"{label}: digest does not match the bundled context {resource_id}")
    return out
