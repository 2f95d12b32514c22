"""The interop harness itself, checked against the official vectors.

These tests only exercise the reference JavaScript implementation (interop/worker.mjs)
through ``jsref``; Python-vs-JS tests build on them.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from jsref import REPO_ROOT, JsReference, JsReferenceError, error_messages

pytestmark = pytest.mark.interop

VECTORS = REPO_ROOT / "tests" / "vectors"
EDDSA = VECTORS / "vc-di-eddsa" / "TestVectors"
BSL = VECTORS / "bitstring-status-list"
CONTEXTS = REPO_ROOT / "src" / "passport_vc" / "contexts"

SIGNED = {
    "eddsa-rdfc-2022": EDDSA / "eddsa-rdfc-2022" / "signedDataInt.json",
    "eddsa-jcs-2022": EDDSA / "eddsa-jcs-2022" / "signedJCS.json",
}
ISSUER_MISMATCH = "Credential issuer must match the verification method controller."


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def key() -> dict[str, str]:
    pair: dict[str, str] = load(EDDSA / "keyPair.json")
    return pair


def did_of(key: dict[str, str]) -> str:
    return f"did:key:{key['publicKeyMultibase']}"


def test_worker_runs_the_pinned_stack(jsref: JsReference) -> None:
    lock = load(REPO_ROOT / "interop" / "package-lock.json")
    for name, version in jsref.info["versions"].items():
        assert version == lock["packages"][f"node_modules/{name}"]["version"], name
    assert jsref.info["versions"]["@digitalbazaar/vc"].startswith("7.")


# --- official eddsa vectors ---------------------------------------------------------------


@pytest.mark.parametrize("suite", sorted(SIGNED))
def test_js_verifies_official_vector(jsref: JsReference, suite: str) -> None:
    # The vector's issuer (https://vc.example/issuers/5678) is not the key's controller
    # (the did:key), so only the plain assertionMethod purpose accepts it.
    result = jsref.verify(load(SIGNED[suite]), check_issuer=False)
    assert result["verified"] is True, error_messages(result["result"])
    (proof_result,) = result["result"]["results"]
    assert (
        proof_result["verificationMethod"]["id"]
        == load(SIGNED[suite])["proof"]["verificationMethod"]
    )


@pytest.mark.parametrize("suite", sorted(SIGNED))
def test_js_default_purpose_binds_issuer_to_key_controller(jsref: JsReference, suite: str) -> None:
    # @digitalbazaar/vc's default CredentialIssuancePurpose (DI §5.9 binding) refuses the
    # official vector: a valid signature, but issuer != verification method controller.
    result = jsref.verify(load(SIGNED[suite]))
    assert result["verified"] is False
    assert ISSUER_MISMATCH in error_messages(result["result"])


@pytest.mark.parametrize("suite", sorted(SIGNED))
def test_js_rejects_tampered_vector(jsref: JsReference, suite: str) -> None:
    tampered = load(SIGNED[suite])
    tampered["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    result = jsref.verify(tampered, check_issuer=False)
    assert result["verified"] is False
    assert "Invalid signature." in error_messages(result["result"])


@pytest.mark.parametrize("suite", sorted(SIGNED))
def test_js_resigning_unsigned_reproduces_vector(
    jsref: JsReference, key: dict[str, str], suite: str
) -> None:
    expected = load(SIGNED[suite])
    signed = jsref.sign(
        load(EDDSA / "unsigned.json"),
        key["privateKeyMultibase"],
        key["publicKeyMultibase"],
        suite=suite,
        created=expected["proof"]["created"],
    )
    assert signed["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert signed == expected


# --- Bitstring Status List REC examples ---------------------------------------------------


def bsl_examples() -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        load(BSL / "example-revocable-vc-eddsa-rdfc-2022.json"),
        load(BSL / "example-status-list-vc-eddsa-rdfc-2022.json"),
    )


def issuer_controlled_bare_did_key(bare_did_key: str, issuer: str) -> dict[str, Any]:
    """Extra documents that make ``bare_did_key`` a Multikey controlled by ``issuer``."""
    return {
        bare_did_key: {
            "@context": "https://w3id.org/security/multikey/v1",
            "id": bare_did_key,
            "type": "Multikey",
            "controller": issuer,
            "publicKeyMultibase": bare_did_key.removeprefix("did:key:"),
        },
        issuer: {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": issuer,
            "assertionMethod": [bare_did_key],
        },
    }


@pytest.mark.parametrize("which", [0, 1], ids=["revocable-vc", "status-list-vc"])
def test_js_refuses_bare_did_key_verification_method(jsref: JsReference, which: int) -> None:
    # The REC examples use "verificationMethod": "did:key:z6Mk..." without a fragment.
    # did-method-key resolves a bare DID to the DID *document*, which is no Multikey, so
    # the JS stack fails before checking the signature (even with the issuer check off).
    document = bsl_examples()[which]
    assert "#" not in document["proof"]["verificationMethod"]
    result = jsref.verify(document, check_issuer=False)
    assert result["verified"] is False
    assert error_messages(result["result"]) == [
        'The "publicKeyMultibase" property is required.',
        "Verification error(s).",
        'The "publicKeyMultibase" property is required.',
    ]
    assert result["result"]["error"]["errors"][0]["name"] == "TypeError"


@pytest.mark.parametrize("which", [0, 1], ids=["revocable-vc", "status-list-vc"])
def test_js_verifies_bsl_examples_when_bare_did_key_is_served_as_multikey(
    jsref: JsReference, which: int
) -> None:
    vc, status_list = bsl_examples()
    extra = issuer_controlled_bare_did_key(vc["proof"]["verificationMethod"], vc["issuer"])
    extra[status_list["id"]] = status_list
    result = jsref.verify((vc, status_list)[which], extra_documents=extra)
    assert result["verified"] is True, error_messages(result["result"])


def test_js_checks_status_of_bsl_example(jsref: JsReference) -> None:
    vc, status_list = bsl_examples()
    extra = issuer_controlled_bare_did_key(vc["proof"]["verificationMethod"], vc["issuer"])
    extra[vc["credentialStatus"]["statusListCredential"]] = status_list
    result = jsref.verify(vc, extra_documents=extra, check_status=True)
    assert result["verified"] is True, error_messages(result["result"])
    (status,) = result["result"]["statusResult"]["results"]
    assert status["verified"] is True
    assert status["status"] is False
    assert status["credentialStatus"] == vc["credentialStatus"]


def test_js_status_check_needs_the_list_credential(jsref: JsReference) -> None:
    vc, _ = bsl_examples()
    extra = issuer_controlled_bare_did_key(vc["proof"]["verificationMethod"], vc["issuer"])
    result = jsref.verify(vc, extra_documents=extra, check_status=True)
    assert result["verified"] is False
    messages = error_messages(result["result"])
    assert any(
        m.startswith('Could not load "BitstringStatusListCredential"')
        and vc["credentialStatus"]["statusListCredential"] in m
        for m in messages
    ), messages


def encoded_list(set_bits: set[int], length: int = 131072) -> str:
    """BSL §2.2: 'u' + base64url-no-pad(GZIP(bitstring)), index 0 = MSB of byte 0."""
    bits = bytearray(length // 8)
    for index in set_bits:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def test_js_status_bits_are_msb_first_and_revoke(jsref: JsReference, key: dict[str, str]) -> None:
    issuer = did_of(key)
    list_url = "https://status.example/lists/1"
    status_list = jsref.sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": list_url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{list_url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encoded_list({94567}),
            },
        },
        key["privateKeyMultibase"],
        key["publicKeyMultibase"],
    )

    def credential_at(index: int) -> dict[str, Any]:
        return jsref.sign(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
                "type": ["VerifiableCredential"],
                "issuer": issuer,
                "validFrom": "2025-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:holder"},
                "credentialStatus": {
                    "id": f"{list_url}#{index}",
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": str(index),
                    "statusListCredential": list_url,
                },
            },
            key["privateKeyMultibase"],
            key["publicKeyMultibase"],
        )

    extra = {list_url: status_list}
    revoked = jsref.verify(credential_at(94567), extra_documents=extra, check_status=True)
    assert revoked["verified"] is False
    assert revoked["result"]["statusResult"]["results"][0]["status"] is True
    assert revoked["result"]["statusResult"]["error"]["name"] == "CredentialStatusError"
    # 94560 is where an LSB-first reader would find the bit; neighbours stay clear too.
    for index in (94560, 94566, 94568):
        result = jsref.verify(credential_at(index), extra_documents=extra, check_status=True)
        assert result["verified"] is True, (index, error_messages(result["result"]))
        assert result["result"]["statusResult"]["results"][0]["status"] is False
    # without check_status the credential's status is not looked at
    assert jsref.verify(credential_at(94567))["verified"] is True


# --- presentations ------------------------------------------------------------------------


@pytest.mark.parametrize("suite", sorted(SIGNED))
def test_js_presentation_is_bound_to_challenge_and_domain(
    jsref: JsReference, key: dict[str, str], suite: str
) -> None:
    holder = did_of(key)
    credential = jsref.sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": holder,
            "credentialSubject": {"id": holder},
        },
        key["privateKeyMultibase"],
        key["publicKeyMultibase"],
        suite=suite,
    )
    presentation = jsref.sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": [credential],
        },
        key["privateKeyMultibase"],
        key["publicKeyMultibase"],
        suite=suite,
        purpose="authentication",
        challenge="c-123",
        domain="verifier.example",
    )
    proof = presentation["proof"]
    assert proof["proofPurpose"] == "authentication"
    assert proof["cryptosuite"] == suite
    assert (proof["challenge"], proof["domain"]) == ("c-123", "verifier.example")

    good = jsref.verify(presentation, kind="presentation", challenge="c-123")
    assert good["verified"] is True, error_messages(good["result"])
    assert good["result"]["credentialResults"][0]["verified"] is True
    assert jsref.verify(
        presentation, kind="presentation", challenge="c-123", domain="verifier.example"
    )["verified"]

    wrong = jsref.verify(presentation, kind="presentation", challenge="c-456")
    assert wrong["verified"] is False
    assert (
        'The challenge is not as expected; challenge="c-123", expected="c-456"'
        in error_messages(wrong["result"])
    )
    other_domain = jsref.verify(
        presentation, kind="presentation", challenge="c-123", domain="evil.example"
    )
    assert other_domain["verified"] is False


# --- the harness: loader, errors ----------------------------------------------------------


def test_loader_serves_exactly_the_pinned_contexts(jsref: JsReference) -> None:
    index = load(CONTEXTS / "INDEX.json")["contexts"]
    for url, entry in index.items():
        assert jsref.load(url) == load(CONTEXTS / entry["file"]), url


def test_loader_never_fetches(jsref: JsReference, key: dict[str, str]) -> None:
    url = "https://contexts.example/not-pinned/v1"
    unsigned = load(EDDSA / "unsigned.json")
    unsigned["@context"].append(url)
    with pytest.raises(JsReferenceError) as excinfo:
        jsref.sign(unsigned, key["privateKeyMultibase"], key["publicKeyMultibase"])
    assert url in json.dumps(excinfo.value.error)
    with pytest.raises(JsReferenceError, match="refusing to load"):
        jsref.load(url)


def test_loader_resolves_did_key_and_fragments_of_extra_documents(
    jsref: JsReference, key: dict[str, str]
) -> None:
    did = did_of(key)
    method = jsref.load(f"{did}#{key['publicKeyMultibase']}")
    assert method == {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": f"{did}#{key['publicKeyMultibase']}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": key["publicKeyMultibase"],
    }
    assert jsref.load(did)["assertionMethod"] == [method["id"]]

    did_web = "did:web:makers.example"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did_web,
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "Multikey",
                "controller": did_web,
                "publicKeyMultibase": key["publicKeyMultibase"],
            }
        ],
        "assertionMethod": ["#key-1"],
    }
    extra = {did_web: document}
    assert jsref.load(did_web, extra) == document
    assert jsref.load(f"{did_web}#key-1", extra) == {
        "@context": document["@context"],
        "id": f"{did_web}#key-1",
        "type": "Multikey",
        "controller": did_web,
        "publicKeyMultibase": key["publicKeyMultibase"],
    }
    with pytest.raises(JsReferenceError, match="not found in the extra document"):
        jsref.load(f"{did_web}#key-2", extra)


def test_worker_survives_bad_requests(jsref: JsReference, key: dict[str, str]) -> None:
    with pytest.raises(JsReferenceError, match='Unknown "op"'):
        jsref.request({"op": "no-such-op"})
    with pytest.raises(JsReferenceError, match="suite"):
        jsref.sign({}, key["privateKeyMultibase"], key["publicKeyMultibase"], suite="nope")
    with pytest.raises(JsReferenceError):
        jsref.sign(
            copy.deepcopy(load(EDDSA / "unsigned.json")),
            key["privateKeyMultibase"],
            key["publicKeyMultibase"],
            purpose="authentication",
        )
    assert jsref.request({"op": "ping"})["ok"] is True


def test_bench_op(jsref: JsReference) -> None:
    stats = jsref.bench(
        {"op": "verify", "document": load(SIGNED["eddsa-rdfc-2022"]), "checkIssuer": False},
        iterations=3,
        warmup=1,
    )
    assert stats["iterations"] == 3
    assert stats["verified"] is True
    assert stats["perSecond"] > 0
