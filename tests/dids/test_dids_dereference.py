"""Retrieving verification methods (CID §3.3): the happy paths, each check's failure, rotation."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from passport_vc.dids import (
    UniversalResolver,
    build_did_document,
    dereference_verification_method,
)
from passport_vc.errors import (
    DID_RESOLUTION_ERROR,
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
    INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
    INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
    INVALID_VERIFICATION_METHOD,
    INVALID_VERIFICATION_METHOD_URL,
    DidResolutionError,
    MalformedValueError,
    PassportVcError,
)
from passport_vc.keys import PublicKey, SigningKey

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
DID = "did:web:example.com"
KEY_1 = SigningKey(bytes([1]) * 32).public_key
KEY_2 = SigningKey(bytes([2]) * 32).public_key
P256 = "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"


class StaticResolver:
    """Serves fixed documents; unknown DIDs fail like a real resolver would."""

    def __init__(self, *documents: dict[str, Any], served_as: str | None = None) -> None:
        # `served_as` serves a (lying) document under another DID than its own id.
        self.documents = {served_as or d["id"]: d for d in documents}

    def resolve(self, did: str) -> dict[str, Any]:
        if did.startswith("did:key:"):
            return UniversalResolver().resolve(did)
        if did not in self.documents:
            raise DidResolutionError(f"{did}: not found")
        return copy.deepcopy(self.documents[did])


def base_document() -> dict[str, Any]:
    # key-1 may issue; key-2 only authenticates.
    return build_did_document(
        DID, [("key-1", KEY_1), ("key-2", KEY_2)], assertion=["key-1"], authentication=["key-2"]
    )


def test_finds_the_assertion_key() -> None:
    method = dereference_verification_method(
        f"{DID}#key-1", StaticResolver(base_document()), "assertionMethod"
    )
    assert method.id == f"{DID}#key-1"
    assert method.type == "Multikey"
    assert method.controller == DID
    assert method.public_key == KEY_1


def test_authentication_key_for_authentication() -> None:
    method = dereference_verification_method(
        f"{DID}#key-2", StaticResolver(base_document()), "authentication"
    )
    assert method.public_key == KEY_2


def _edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = base_document()
    change(document)
    return document


def _method(document: dict[str, Any], index: int = 0) -> dict[str, Any]:
    method: dict[str, Any] = document["verificationMethod"][index]
    return method


@pytest.mark.parametrize(
    ("vm_url", "relationship", "document", "problem_type", "mentions"),
    [
        pytest.param(
            f"{DID}#key-2",
            "assertionMethod",
            base_document(),
            INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
            "not listed under assertionMethod",
            id="wrong-relationship",
        ),
        pytest.param(
            f"{DID}#key-1",
            "verificationMethod",
            base_document(),
            INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
            "not a signing verification",
            id="not-a-relationship",
        ),
        pytest.param(
            f"{DID}#key-1",
            "keyAgreement",
            base_document(),
            INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD,
            "not a signing verification",
            id="key-agreement-does-not-sign",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(controller="did:web:evil.example")),
            INVALID_VERIFICATION_METHOD,
            "controller 'did:web:evil.example'",
            id="controller-mismatch",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).pop("controller")),
            INVALID_VERIFICATION_METHOD,
            "controller",
            id="controller-missing",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(id="did:web:evil.example#key-1")),
            INVALID_VERIFICATION_METHOD,
            "has id 'did:web:evil.example#key-1'",
            id="method-id-mismatch",
        ),
        pytest.param(
            f"{DID}#key-9",
            "assertionMethod",
            base_document(),
            INVALID_VERIFICATION_METHOD,
            "no such method",
            id="unknown-fragment",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(publicKeyMultibase="z6Mk0OIl")),
            INVALID_VERIFICATION_METHOD,
            "base58btc",
            id="malformed-multibase",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(publicKeyMultibase="u7QE")),
            INVALID_VERIFICATION_METHOD,
            "base58btc",
            id="wrong-multibase-base",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(publicKeyMultibase=P256)),
            INVALID_VERIFICATION_METHOD,
            "p256-pub",
            id="p256-key",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).pop("publicKeyMultibase")),
            INVALID_VERIFICATION_METHOD,
            "publicKeyMultibase is missing",
            id="no-key",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(publicKeyJwk={"kty": "OKP"})),
            INVALID_VERIFICATION_METHOD,
            "both publicKeyMultibase and publicKeyJwk",
            id="two-key-encodings",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(type="JsonWebKey2020")),
            INVALID_VERIFICATION_METHOD,
            "type 'JsonWebKey2020' is not supported",
            id="unsupported-type",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(type=["Multikey"])),
            INVALID_VERIFICATION_METHOD,
            "type a list",
            id="type-list",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(revoked="2020-01-01T00:00:00Z")),
            INVALID_VERIFICATION_METHOD,
            "was revoked at 2020-01-01T00:00:00Z",
            id="revoked",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(expires="2021-01-01T00:00:00+01:00")),
            INVALID_VERIFICATION_METHOD,
            "expired at",
            id="expired",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: _method(d).update(expires="next year")),
            INVALID_VERIFICATION_METHOD,
            "not a dateTimeStamp",
            id="bad-expiry",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: d.update(id="did:web:example.com:other")),
            INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID,
            "is not did:web:example.com",
            id="document-id-mismatch",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: d.update(verificationMethod=5)),
            INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
            "neither a list nor an object",
            id="verification-method-not-a-list",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(lambda d: d["verificationMethod"].append("did:web:example.com#key-3")),
            INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
            "not a verification method",
            id="string-in-verification-method",
        ),
        pytest.param(
            f"{DID}#key-1",
            "assertionMethod",
            _edit(
                lambda d: d["assertionMethod"].append(
                    {**_method(d), "publicKeyMultibase": KEY_2.multibase}
                )
            ),
            INVALID_CONTROLLED_IDENTIFIER_DOCUMENT,
            "twice, differently",
            id="conflicting-definitions",
        ),
        pytest.param(
            DID,
            "assertionMethod",
            base_document(),
            INVALID_VERIFICATION_METHOD_URL,
            "no '#fragment'",
            id="did-web-without-fragment",
        ),
        pytest.param(
            f"{DID}#",
            "assertionMethod",
            base_document(),
            INVALID_VERIFICATION_METHOD_URL,
            "empty or malformed fragment",
            id="empty-fragment",
        ),
        pytest.param(
            f"{DID}#a b",
            "assertionMethod",
            base_document(),
            INVALID_VERIFICATION_METHOD_URL,
            "empty or malformed fragment",
            id="bad-fragment",
        ),
        pytest.param(
            "https://example.com/keys/1",
            "assertionMethod",
            base_document(),
            INVALID_VERIFICATION_METHOD_URL,
            "not a DID",
            id="not-a-did",
        ),
        pytest.param(
            f"{DID}?service=x#key-1",
            "assertionMethod",
            base_document(),
            INVALID_VERIFICATION_METHOD_URL,
            "query",
            id="did-url-query",
        ),
        pytest.param(
            "did:web:unknown.example#key-1",
            "assertionMethod",
            base_document(),
            DID_RESOLUTION_ERROR,
            "not found",
            id="unresolvable",
        ),
    ],
)
def test_dereference_failures(
    vm_url: str, relationship: str, document: dict[str, Any], problem_type: str, mentions: str
) -> None:
    with pytest.raises(PassportVcError) as caught:
        dereference_verification_method(
            vm_url, StaticResolver(document, served_as=DID), relationship
        )
    assert caught.value.problem_type == problem_type
    assert mentions in caught.value.detail
    assert vm_url[:40] in caught.value.detail  # every error names the URL


def test_relative_ids_and_embedded_methods() -> None:
    document = {
        "id": DID,
        "verificationMethod": [
            {
                "id": "#a",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": KEY_1.multibase,
            }
        ],
        "assertionMethod": [
            "#a",
            {
                "id": f"{DID}#b",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": KEY_2.multibase,
            },
        ],
    }
    resolver = StaticResolver(document)
    assert (
        dereference_verification_method(f"{DID}#a", resolver, "assertionMethod").public_key == KEY_1
    )
    embedded = dereference_verification_method(f"{DID}#b", resolver, "assertionMethod")
    assert embedded.public_key == KEY_2
    # Embedded under assertionMethod only: that does not make it an authentication key.
    with pytest.raises(PassportVcError) as caught:
        dereference_verification_method(f"{DID}#b", resolver, "authentication")
    assert caught.value.problem_type == INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD


def test_legacy_ed25519_verification_key_2020() -> None:
    document = _edit(lambda d: _method(d).update(type="Ed25519VerificationKey2020"))
    method = dereference_verification_method(
        f"{DID}#key-1", StaticResolver(document), "assertionMethod"
    )
    assert method.type == "Ed25519VerificationKey2020"
    assert method.public_key == KEY_1


def test_lifetime_in_the_future_is_fine() -> None:
    document = _edit(lambda d: _method(d).update(expires="2030-01-01T00:00:00Z"))
    resolver = StaticResolver(document)
    before = datetime(2029, 12, 31, tzinfo=UTC)
    assert dereference_verification_method(f"{DID}#key-1", resolver, "assertionMethod", now=before)
    with pytest.raises(PassportVcError, match="expired"):
        dereference_verification_method(
            f"{DID}#key-1", resolver, "assertionMethod", now=datetime(2030, 1, 1, tzinfo=UTC)
        )


def test_bare_did_key_means_its_single_key() -> None:
    signed = json.loads(
        (
            VECTORS / "bitstring-status-list" / "example-revocable-vc-eddsa-rdfc-2022.json"
        ).read_text()
    )
    vm_url = signed["proof"]["verificationMethod"]
    assert "#" not in vm_url
    method = dereference_verification_method(vm_url, UniversalResolver(), "assertionMethod")
    msid = vm_url.removeprefix("did:key:")
    assert method.id == f"{vm_url}#{msid}"
    assert method.controller == vm_url
    assert method.public_key == PublicKey.from_multibase(msid)


def test_did_key_with_fragment() -> None:
    signed = json.loads(
        (
            VECTORS / "vc-di-eddsa" / "TestVectors" / "Ed25519Signature2020" / "signedEdSig.json"
        ).read_text()
    )
    vm_url = signed["proof"]["verificationMethod"]
    method = dereference_verification_method(vm_url, UniversalResolver(), "assertionMethod")
    assert method.id == vm_url
    assert method.public_key.multibase == vm_url.partition("#")[2]


def test_did_key_failures() -> None:
    did = SigningKey(bytes([7]) * 32).did_key
    resolver = UniversalResolver()
    agreement = resolver.resolve(did)["keyAgreement"][0]["id"]
    # The X25519 key is a method of the document, but not an Ed25519 signing key.
    with pytest.raises(PassportVcError) as caught:
        dereference_verification_method(agreement, resolver, "assertionMethod")
    assert caught.value.problem_type == INVALID_VERIFICATION_METHOD
    assert "x25519-pub" in caught.value.detail
    other = SigningKey(bytes([8]) * 32).public_key.multibase
    with pytest.raises(PassportVcError, match="no such method"):
        dereference_verification_method(f"{did}#{other}", resolver, "assertionMethod")
    with pytest.raises(PassportVcError) as caught:
        dereference_verification_method(f"did:key:{P256}", resolver, "assertionMethod")
    assert caught.value.problem_type == INVALID_VERIFICATION_METHOD
    assert "p256-pub" in caught.value.detail and f"did:key:{P256}" in caught.value.detail


def test_rotation() -> None:
    url_1, url_2 = f"{DID}#key-1", f"{DID}#key-2"
    before = StaticResolver(build_did_document(DID, [("key-1", KEY_1)]))
    during = StaticResolver(build_did_document(DID, [("key-1", KEY_1), ("key-2", KEY_2)]))
    after = StaticResolver(
        build_did_document(DID, [("key-1", KEY_1), ("key-2", KEY_2)], assertion=["key-2"])
    )
    assert dereference_verification_method(url_1, before, "assertionMethod").public_key == KEY_1
    # Old badges keep verifying while the old key stays under assertionMethod...
    assert dereference_verification_method(url_1, during, "assertionMethod").public_key == KEY_1
    assert dereference_verification_method(url_2, during, "assertionMethod").public_key == KEY_2
    # ...and stop once it is removed from it, though the document still describes the key.
    with pytest.raises(PassportVcError) as caught:
        dereference_verification_method(url_1, after, "assertionMethod")
    assert caught.value.problem_type == INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD
    assert dereference_verification_method(url_2, after, "assertionMethod").public_key == KEY_2
    assert dereference_verification_method(url_1, after, "authentication").public_key == KEY_1


def test_build_did_document_shape() -> None:
    document = build_did_document(DID, [("key-1", KEY_1), ("key-2", KEY_2)], assertion=["key-2"])
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [
            {
                "id": f"{DID}#key-1",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": KEY_1.multibase,
            },
            {
                "id": f"{DID}#key-2",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": KEY_2.multibase,
            },
        ],
        "authentication": [f"{DID}#key-1", f"{DID}#key-2"],
        "assertionMethod": [f"{DID}#key-2"],
    }


@pytest.mark.parametrize(
    ("did", "keys", "options"),
    [
        ("example.com", [("k", KEY_1)], {}),
        (DID, [], {}),
        (DID, [("#k", KEY_1)], {}),
        (DID, [("k", KEY_1), ("k", KEY_2)], {}),
        (DID, [("k", KEY_1.multibase)], {}),
        (DID, [("k", KEY_1)], {"assertion": ["other"]}),
        (DID, [("k", KEY_1)], {"authentication": "k"}),
    ],
)
def test_build_did_document_refuses(did: str, keys: Any, options: dict[str, Any]) -> None:
    with pytest.raises(MalformedValueError):
        build_did_document(did, keys, **options)
