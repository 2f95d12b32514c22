"""The offline document loader: serves only the pinned contexts shipped in the package.

Each file's SHA-256 is checked once, when the index is first loaded. Any other URL is refused
with an error naming it: nothing is ever fetched from the network.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from passport_vc.errors import ContextError

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"


@dataclass(frozen=True)
class PinnedContext:
    url: str
    sha256: str
    document: Any


@functools.cache
def pinned_contexts() -> dict[str, PinnedContext]:
    """Every context the loader serves, keyed by URL, each checked against its pinned hash."""
    base = resources.files("passport_vc") / "contexts"
    index = json.loads((base / "INDEX.json").read_text(encoding="utf-8"))
    out: dict[str, PinnedContext] = {}
    for url, entry in index["contexts"].items():
        raw = (base / entry["file"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise ContextError(
                f"bundled context {url} does not match its pinned sha256 "
                f"(expected {entry['sha256']}, file has {digest})"
            )
        out[url] = PinnedContext(url, digest, json.loads(raw))
    return out


def is_known_context(url: str) -> bool:
    return url in pinned_contexts()


def load_document(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader over the pinned contexts; refuses every other URL."""
    ctx = pinned_contexts().get(url)
    if ctx is None:
        raise ContextError(
            f"context {url!r} is not one of the pinned contexts; "
            "passport-vc never loads contexts from the network"
        )
    return {"contextUrl": None, "documentUrl": url, "document": ctx.document}


@functools.cache
def defined_terms() -> frozenset[str]:
    """Every term name defined anywhere in the pinned contexts (for fast-path safety checks)."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ctx = node.get("@context")
            if isinstance(ctx, dict):
                names.update(k for k in ctx if not k.startswith("@"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for pinned in pinned_contexts().values():
        walk(pinned.document)
    return frozenset(names)
