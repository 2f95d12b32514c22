"""DID documents: the vocabulary, the verification method we hand to proof checkers, a builder.

Documents are plain dicts in JSON-LD compacted form. They are never canonicalized (a
verifier only needs the key bytes, SPECS §4), so `@context` here is informative.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from passport_vc.dids.syntax import parse_did, shorten
from passport_vc.errors import DidResolutionError, MalformedValueError
from passport_vc.keys import PublicKey

DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"
# Both are pinned in passport_vc/contexts. did:key v0.9 documents use did/v1.1, which is not
# a REC and not pinned; as DID documents are never canonicalized the difference is cosmetic.
DID_DOCUMENT_CONTEXT = (DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT)

MULTIKEY = "Multikey"
# Legacy type, same publicKeyMultibase encoding; needed to verify Ed25519Signature2020 proofs.
ED25519_VERIFICATION_KEY_2020 = "Ed25519VerificationKey2020"
ED25519_METHOD_TYPES = frozenset({MULTIKEY, ED25519_VERIFICATION_KEY_2020})

AUTHENTICATION = "authentication"
ASSERTION_METHOD = "assertionMethod"
CAPABILITY_INVOCATION = "capabilityInvocation"
CAPABILITY_DELEGATION = "capabilityDelegation"
KEY_AGREEMENT = "keyAgreement"
# The relationships a signature can be checked against (keyAgreement keys do not sign).
SIGNING_RELATIONSHIPS = frozenset(
    {AUTHENTICATION, ASSERTION_METHOD, CAPABILITY_INVOCATION, CAPABILITY_DELEGATION}
)
VERIFICATION_RELATIONSHIPS = SIGNING_RELATIONSHIPS | {KEY_AGREEMENT}

# Fragments we mint ourselves: keep them to unreserved URL characters.
_FRAGMENT = re.compile(r"[A-Za-z0-9._~-]+")


@dataclass(frozen=True)
class VerificationMethod:
    """A dereferenced Ed25519 verification method, checked against its controller document.

    `type` is `Multikey` or the legacy `Ed25519VerificationKey2020`: a cryptosuite that
    requires Multikey (eddsa-rdfc-2022, eddsa-jcs-2022) must check it.
    """

    id: str
    type: str
    controller: str
    public_key: PublicKey


def multikey_method(did: str, fragment: str, public_key_multibase: str) -> dict[str, Any]:
    """A `Multikey` verification method object `did#fragment` controlled by `did`."""
    return {
        "id": f"{did}#{fragment}",
        "type": MULTIKEY,
        "controller": did,
        "publicKeyMultibase": public_key_multibase,
    }


def build_did_document(
    did: str,
    keys: Sequence[tuple[str, PublicKey]],
    *,
    assertion: Sequence[str] | None = None,
    authentication: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A DID document listing `keys` (fragment, key) as Multikey methods.

    `assertion` and `authentication` name the fragments usable for issuing credentials and for
    authenticating; each defaults to every key. To rotate, keep the old key in `keys` (so the
    document still describes it) and drop it from `assertion` once its credentials should no
    longer verify; while it stays in `assertion`, badges it signed keep verifying.
    """
    try:
        parse_did(did)
    except DidResolutionError as exc:
        raise MalformedValueError(exc.detail) from None
    if not keys:
        raise MalformedValueError(f"a DID document for {did} needs at least one key")
    fragments: list[str] = []
    for entry in keys:
        fragment, key = entry
        if not isinstance(fragment, str) or not _FRAGMENT.fullmatch(fragment):
            raise MalformedValueError(
                f"key fragment {shorten(fragment)} must be letters, digits, '.', '_', '~', '-' "
                "(no leading '#')"
            )
        if not isinstance(key, PublicKey):
            raise MalformedValueError(f"key #{fragment} is not a PublicKey")
        if fragment in fragments:
            raise MalformedValueError(f"key fragment #{fragment} is used twice")
        fragments.append(fragment)

    def references(selected: Sequence[str] | None, relationship: str) -> list[str]:
        if selected is None:
            return [f"{did}#{fragment}" for fragment in fragments]
        if isinstance(selected, str):
            raise MalformedValueError(f"{relationship} must be a list of fragments, not a string")
        for fragment in selected:
            if fragment not in fragments:
                raise MalformedValueError(f"{relationship} names #{fragment}, which is not a key")
        return [f"{did}#{fragment}" for fragment in selected]

    return {
        "@context": list(DID_DOCUMENT_CONTEXT),
        "id": did,
        "verificationMethod": [
            multikey_method(did, fragment, key.multibase) for fragment, key in keys
        ],
        AUTHENTICATION: references(authentication, AUTHENTICATION),
        ASSERTION_METHOD: references(assertion, ASSERTION_METHOD),
    }
