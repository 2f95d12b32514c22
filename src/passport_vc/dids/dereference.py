"""Retrieve a verification method from its URL (Controlled Identifiers 1.0 §3.3).

The checks follow the algorithm's steps and error types: the controller document's `id` must
be the URL without its fragment (INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID); the method must be
a conforming Ed25519 method whose `id` is the full URL and whose `controller` is the document
(INVALID_VERIFICATION_METHOD); and it must be listed, by reference or embedded, under the
requested relationship (INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD). Binding the controller
to the credential's issuer (DI §5.9) is the caller's job: it gets `controller` back for that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from passport_vc.dids.documents import (
    ED25519_METHOD_TYPES,
    SIGNING_RELATIONSHIPS,
    VERIFICATION_RELATIONSHIPS,
    VerificationMethod,
)
from passport_vc.dids.failures import prefixed
from passport_vc.dids.multicodec import ed25519_key_bytes
from passport_vc.dids.resolver import DidResolver
from passport_vc.dids.syntax import parse_did, shorten
from passport_vc.errors import (
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
    INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
    INVALID_VERIFICATION_METHOD_URL,
    DidResolutionError,
    KeyFormatError,
    PassportVcError,
    VerificationMethodError,
)
from passport_vc.keys import PublicKey

# RFC 3986 fragment: pchar / "/" / "?".
_FRAGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})+")
_DATE_TIME_STAMP = re.compile(
    r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


def dereference_verification_method(
    vm_url: str,
    resolver: DidResolver,
    relationship: str,
    *,
    now: datetime | None = None,
) -> VerificationMethod:
    """The Ed25519 verification method `vm_url`, checked for use under `relationship`.

    `relationship` is a signing relationship (`assertionMethod` for credentials,
    `authentication` for presentations, ...). A bare did:key DID with no fragment stands for
    its single key (as in the Bitstring Status List examples). A method carrying `revoked` or
    `expires` is refused from that instant on (`now`, default the current time). Every failure
    is a PassportVcError whose detail names `vm_url`.
    """
    if not isinstance(vm_url, str):
        raise VerificationMethodError(
            f"a verification method must be a URL string, got {shorten(vm_url)}",
            problem_type=INVALID_VERIFICATION_METHOD_URL,
        )
    where = f"verification method {shorten(vm_url, 200)}"
    if not isinstance(relationship, str) or relationship not in SIGNING_RELATIONSHIPS:
        raise VerificationMethodError(
            f"{where}: {shorten(relationship)} is not a signing verification relationship "
            f"({', '.join(sorted(SIGNING_RELATIONSHIPS))})",
            problem_type=INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
        )
    did, method_url = _split(vm_url, where)
    document = _resolve(resolver, did, where)
    if document.get("id") != did:
        raise VerificationMethodError(
            f"{where}: the resolved document's id {shorten(document.get('id'))} is not {did}",
            problem_type=INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
        )
    method = _select(document, did, method_url, where)
    kind, key = _check_key(method, where)
    _check_lifetime(method, where, now)
    controller = method.get("controller")
    if not isinstance(controller, str) or _absolute(controller, did) != did:
        raise VerificationMethodError(
            f"{where}: its controller {shorten(controller)} is not the DID document {did}"
        )
    if not _listed(document, relationship, did, method_url, where):
        raise VerificationMethodError(
            f"{where} is not listed under {relationship} in the DID document of {did}",
            problem_type=INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
        )
    return VerificationMethod(id=method_url, type=kind, controller=did, public_key=key)


def _split(vm_url: str, where: str) -> tuple[str, str]:
    """(DID, full method URL); a bare did:key becomes `did#<its multibase>`."""
    did, hash_sign, fragment = vm_url.partition("#")
    try:
        parsed = parse_did(did)
    except DidResolutionError as exc:
        raise VerificationMethodError(
            f"{where}: {exc.detail}", problem_type=INVALID_VERIFICATION_METHOD_URL
        ) from None
    if not hash_sign:
        if parsed.method != "key":
            raise VerificationMethodError(
                f"{where} has no '#fragment' naming a key in the DID document",
                problem_type=INVALID_VERIFICATION_METHOD_URL,
            )
        fragment = parsed.method_specific_id  # did:key's only signing key
    elif not _FRAGMENT.fullmatch(fragment):
        raise VerificationMethodError(
            f"{where} has an empty or malformed fragment",
            problem_type=INVALID_VERIFICATION_METHOD_URL,
        )
    return did, f"{did}#{fragment}"


def _resolve(resolver: DidResolver, did: str, where: str) -> dict[str, Any]:
    try:
        document = resolver.resolve(did)
    except PassportVcError as exc:
        raise prefixed(exc, where) from exc
    except Exception as exc:  # a resolver's own bug must not escape as a random type
        raise DidResolutionError(f"{where}: resolving {did} failed: {type(exc).__name__}") from exc
    if not isinstance(document, dict):
        raise VerificationMethodError(
            f"{where}: resolving {did} gave no DID document object",
            problem_type=INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
        )
    return document


def _absolute(reference: str, did: str) -> str:
    # CID allows relative method ids (`#key-1`), resolved against the document's id.
    return did + reference if reference.startswith("#") else reference


def _entries(document: dict[str, Any], name: str, where: str) -> list[Any]:
    value = document.get(name)
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    if not isinstance(value, list):
        raise VerificationMethodError(
            f"{where}: the DID document's {name} is neither a list nor an object",
            problem_type=INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
        )
    return value


def _embedded(
    document: dict[str, Any], did: str, where: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every method object in the document, with its absolute id: under `verificationMethod`
    and embedded directly in a relationship."""
    for name in ("verificationMethod", *sorted(VERIFICATION_RELATIONSHIPS)):
        for entry in _entries(document, name, where):
            if isinstance(entry, str) and name != "verificationMethod":
                continue  # a reference, not a definition
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise VerificationMethodError(
                    f"{where}: the DID document's {name} holds an entry that is not a "
                    "verification method with a string id",
                    problem_type=INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
                )
            yield _absolute(entry["id"], did), entry


def _select(document: dict[str, Any], did: str, method_url: str, where: str) -> dict[str, Any]:
    fragment = method_url.partition("#")[2]
    exact: list[dict[str, Any]] = []
    other_ids: list[str] = []
    for method_id, entry in _embedded(document, did, where):
        if method_id == method_url:
            exact.append({**entry, "id": method_id})
        elif "#" in method_id and method_id.partition("#")[2] == fragment:
            other_ids.append(method_id)
    if not exact:
        if other_ids:
            raise VerificationMethodError(
                f"{where}: the document's method #{fragment} has id {shorten(other_ids[0])}, "
                f"not {method_url}"
            )
        raise VerificationMethodError(f"{where}: the DID document of {did} has no such method")
    if any(entry != exact[0] for entry in exact[1:]):
        raise VerificationMethodError(
            f"{where}: the DID document defines {method_url} twice, differently",
            problem_type=INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
        )
    return exact[0]


def _check_key(method: dict[str, Any], where: str) -> tuple[str, PublicKey]:
    kind = method.get("type")
    if not isinstance(kind, str) or kind not in ED25519_METHOD_TYPES:
        raise VerificationMethodError(
            f"{where}: type {shorten(kind)} is not supported "
            f"({' or '.join(sorted(ED25519_METHOD_TYPES))})"
        )
    multibase = method.get("publicKeyMultibase")
    if not isinstance(multibase, str):
        raise VerificationMethodError(f"{where}: publicKeyMultibase is missing or not a string")
    if "publicKeyJwk" in method:
        # CID §2.2: one method, one expression of its key material.
        raise VerificationMethodError(f"{where}: has both publicKeyMultibase and publicKeyJwk")
    try:
        ed25519_key_bytes(multibase)  # names the codec or length found when it is not Ed25519
        return kind, PublicKey.from_multibase(multibase)
    except KeyFormatError as exc:
        raise VerificationMethodError(f"{where}: publicKeyMultibase: {exc.detail}") from None


def _check_lifetime(method: dict[str, Any], where: str, now: datetime | None) -> None:
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise VerificationMethodError(f"{where}: 'now' must be a timezone-aware datetime")
    for name, verb in (("revoked", "was revoked"), ("expires", "expired")):
        value = method.get(name)
        if value is None:
            continue
        when = _parse_date_time_stamp(value)
        if when is None:
            raise VerificationMethodError(
                f"{where}: {name} {shorten(value)} is not a dateTimeStamp"
            )
        if now >= when:
            raise VerificationMethodError(f"{where}: the verification method {verb} at {value}")


def _parse_date_time_stamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not _DATE_TIME_STAMP.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _listed(
    document: dict[str, Any], relationship: str, did: str, method_url: str, where: str
) -> bool:
    for entry in _entries(document, relationship, where):
        reference = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(reference, str) and _absolute(reference, did) == method_url:
            return True
    return False
