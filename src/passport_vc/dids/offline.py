"""DID documents given by hand (files), so a verifier resolves a did:web with no network.

`load_did_document(body, source)` checks a document before it is trusted: strict JSON (no
duplicate keys), an `id` that is a bare DID, and every verification method it defines or
references belongs to that DID (`<id>#fragment`, controlled by `<id>`). `OfflineDidResolver`
answers those DIDs from the given documents, did:key locally, and refuses everything else by
name: nothing is ever fetched.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from passport_vc.dids.did_key import resolve_did_key
from passport_vc.dids.did_web import DEFAULT_MAX_BYTES, parse_json_object
from passport_vc.dids.documents import VERIFICATION_RELATIONSHIPS
from passport_vc.dids.syntax import parse_did, shorten
from passport_vc.errors import DidResolutionError

MAX_DOCUMENT_BYTES = DEFAULT_MAX_BYTES


def _absolute(reference: str, did: str) -> str:
    return did + reference if reference.startswith("#") else reference


def _belongs(reference: str, did: str) -> bool:
    method_did, hash_sign, fragment = _absolute(reference, did).partition("#")
    return method_did == did and bool(hash_sign) and bool(fragment)


def _check_method(entry: Mapping[str, Any], did: str, where: str) -> None:
    method_id = entry.get("id")
    if not isinstance(method_id, str) or not _belongs(method_id, did):
        raise DidResolutionError(
            f"{where}: id {shorten(method_id)} is not a verification method of {did} "
            f"(it must be {did}#<fragment> or #<fragment>)"
        )
    controller = entry.get("controller")
    if not isinstance(controller, str) or _absolute(controller, did) != did:
        raise DidResolutionError(f"{where}: controller {shorten(controller)} is not {did}")


def _check_methods(document: Mapping[str, Any], did: str) -> None:
    for name in ("verificationMethod", *sorted(VERIFICATION_RELATIONSHIPS)):
        value = document.get(name)
        if value is None:
            continue
        if isinstance(value, str | Mapping):
            value = [value]
        if not isinstance(value, list):
            raise DidResolutionError(f"{name} must be a list of verification methods")
        for i, entry in enumerate(value):
            where = f"{name}[{i}]"
            if isinstance(entry, str) and name != "verificationMethod":
                if not _belongs(entry, did):
                    raise DidResolutionError(
                        f"{where}: {shorten(entry)} is not a verification method of {did}"
                    )
            elif isinstance(entry, Mapping):
                _check_method(entry, did, where)
            else:
                raise DidResolutionError(f"{where}: not a verification method object")


def load_did_document(body: bytes, source: str) -> dict[str, Any]:
    """The DID document in `body` (read from `source`), checked as the module doc says;
    DidResolutionError with a one-line reason otherwise. A did:key document is refused: did:key
    is always derived from the key itself, so a file could only contradict it."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise DidResolutionError(f"larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = parse_json_object(body, source)
    except DidResolutionError as exc:
        # parse_json_object names the source; the caller names it once already.
        detail = exc.detail.removeprefix(f"{source}: ")
        raise DidResolutionError(detail) from None
    did = document.get("id")
    if did is None:
        raise DidResolutionError("a DID document needs an id (the DID it describes)")
    try:
        parsed = parse_did(did)
    except DidResolutionError as exc:
        raise DidResolutionError(f"id: {exc.detail}") from None
    if parsed.method == "key":
        raise DidResolutionError(
            f"{shorten(did)} is a did:key: its document comes from the key, not from a file"
        )
    _check_methods(document, parsed.did)
    return document


class OfflineDidResolver:
    """DIDs from the documents given, did:key locally, nothing else (never the network)."""

    def __init__(self, documents: Iterable[Mapping[str, Any]] = ()) -> None:
        self._documents: dict[str, dict[str, Any]] = {}
        for document in documents:
            self.add(document)

    def add(self, document: Mapping[str, Any]) -> None:
        """One more document (checked by `load_did_document` first); a DID given twice is
        refused rather than one silently winning."""
        did = document.get("id")
        if not isinstance(did, str):
            raise DidResolutionError("a DID document needs an id (the DID it describes)")
        if did in self._documents:
            raise DidResolutionError(f"a second DID document for {shorten(did)}")
        self._documents[did] = copy.deepcopy(dict(document))

    def resolve(self, did: str) -> dict[str, Any]:
        parsed = parse_did(did)
        if parsed.method == "key":
            return resolve_did_key(did)
        found = self._documents.get(did)
        if found is None:
            raise DidResolutionError(
                f"{shorten(did)}: no DID document was given for it (verifying offline: "
                "pass its document with --did-document FILE)"
            )
        return copy.deepcopy(found)
