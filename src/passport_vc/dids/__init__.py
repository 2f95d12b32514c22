"""DIDs: did:key (local) and did:web (fetched safely), DID documents, verification methods.

Verification starts from `dereference_verification_method(proof["verificationMethod"],
resolver, "assertionMethod")` with a `UniversalResolver`; issuers publish documents made by
`build_did_document`.
"""

from passport_vc.dids.dereference import dereference_verification_method
from passport_vc.dids.did_key import (
    did_key_from_public_key,
    public_key_from_did_key,
    resolve_did_key,
    x25519_from_ed25519,
)
from passport_vc.dids.did_web import (
    DidWebResolver,
    Fetcher,
    did_web_from_url,
    did_web_to_url,
)
from passport_vc.dids.documents import (
    ASSERTION_METHOD,
    AUTHENTICATION,
    CAPABILITY_DELEGATION,
    CAPABILITY_INVOCATION,
    DID_DOCUMENT_CONTEXT,
    ED25519_VERIFICATION_KEY_2020,
    KEY_AGREEMENT,
    MULTIKEY,
    VerificationMethod,
    build_did_document,
)
from passport_vc.dids.https_fetcher import HttpsFetcher, check_address, is_public_address
from passport_vc.dids.resolver import DidResolver, UniversalResolver

__all__ = [
    "ASSERTION_METHOD",
    "AUTHENTICATION",
    "CAPABILITY_DELEGATION",
    "CAPABILITY_INVOCATION",
    "DID_DOCUMENT_CONTEXT",
    "ED25519_VERIFICATION_KEY_2020",
    "KEY_AGREEMENT",
    "MULTIKEY",
    "DidResolver",
    "DidWebResolver",
    "Fetcher",
    "HttpsFetcher",
    "UniversalResolver",
    "VerificationMethod",
    "build_did_document",
    "check_address",
    "dereference_verification_method",
    "did_key_from_public_key",
    "did_web_from_url",
    "did_web_to_url",
    "is_public_address",
    "public_key_from_did_key",
    "resolve_did_key",
    "x25519_from_ed25519",
]
