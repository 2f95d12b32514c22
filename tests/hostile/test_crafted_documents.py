"""Crafted credentials and presentations over HTTP: JSON-LD tricks, hostile JSON and
SSRF bait, each refused cleanly and with no network access at all.

Every case names the status it must get and words the answer must contain: a problem+json
(`detail`) for a body the API refuses, or a verification result (`verified: false` and the
`problemDetails`) for a document that is read and fails. A socket guard refuses and records
every connection and name lookup; each case asserts that none was tried. The service
fixtures run each case on SQLite and, when PASSPORT_VC_TEST_POSTGRES_URL is set, PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import re
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.hostile.network import NetworkAccessAttempted, NetworkGuard
from tests.service.conftest import HOLDER, Hub, issue_badge

from passport_vc.credentials.signing import sign_credential, sign_presentation
from passport_vc.keys import SigningKey
from passport_vc.multibase import encode_base58btc
from passport_vc.proofs.data_integrity import ProofOptions
from passport_vc.qr.offline import DICTIONARY_V1, MAX_JSON_BYTES, PREFIX, b45encode

PROBLEM_JSON = "application/problem+json"
V2 = "https://www.w3.org/ns/credentials/v2"
SECONDS = 20.0  # "never a hang": far above what any case takes


@pytest.fixture(autouse=True)
def _no_network(network_guard: NetworkGuard) -> NetworkGuard:
    return network_guard


@dataclass(frozen=True)
class Materials:
    """What the builders start from: a badge the hub issued, and an outside signer."""

    badge: dict[str, Any]
    key: SigningKey


@pytest.fixture
def materials(client: TestClient, hub: Hub) -> Materials:
    return Materials(issue_badge(client, hub), SigningKey(bytes(range(32))))


Builder = Callable[[Materials], bytes]


@dataclass(frozen=True)
class Case:
    endpoint: str  # "vc" verify, "vp" verify, "issue"
    build: Builder
    status: int
    reasons: tuple[str, ...]  # each must appear, case-insensitively, in what the answer says
    problem: bool  # a problem+json (True) or a verification result (False)


# --- builders ---------------------------------------------------------------------------------


def _vc(document: Any) -> bytes:
    return json.dumps({"verifiableCredential": document}).encode()


def _vp(document: Any, options: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"verifiablePresentation": document, "options": options or {}}).encode()


def _issue(credential: Any) -> bytes:
    return json.dumps({"credential": credential, "options": {}}).encode()


def _badge(change: Callable[[dict[str, Any]], None]) -> Builder:
    """The hub's badge, changed after signing."""

    def build(m: Materials) -> bytes:
        badge = copy.deepcopy(m.badge)
        change(badge)
        return _vc(badge)

    return build


def _add_context(extra: Any) -> Callable[[dict[str, Any]], None]:
    def change(badge: dict[str, Any]) -> None:
        badge["@context"] = [*badge["@context"], extra]

    return change


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(badge: dict[str, Any]) -> None:
        node = badge
        *parents, last = path.split(".")
        for name in parents:
            node = node[name]
        node[last] = value

    return change


def _raw_vc(text: bytes) -> Builder:
    """A request body spelled out byte for byte, the badge's JSON spliced in at `BADGE`."""

    def build(m: Materials) -> bytes:
        return text.replace(b"BADGE", json.dumps(m.badge).encode())

    return build


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def _signed(status_url: str | None = None, **extra: Any) -> Builder:
    """A credential validly signed by an outside did:key issuer, its status list at
    `status_url` (which is where the verifier would be lured)."""

    def build(m: Materials) -> bytes:
        credential: dict[str, Any] = {
            "@context": [V2],
            "type": ["VerifiableCredential"],
            "issuer": m.key.did_key,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": HOLDER},
            **extra,
        }
        if status_url is not None:
            credential["credentialStatus"] = {
                "id": status_url + "#5",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "5",
                "statusListCredential": status_url,
            }
        return _vc(sign_credential(credential, m.key))

    return build


def _presentation(
    context: list[Any] | None = None,
    proof: dict[str, Any] | None = None,
    credential: Callable[[Materials], Any] | None = None,
) -> Builder:
    """A presentation of the hub's badge (or `credential`), with a crafted context or proof."""

    def build(m: Materials) -> bytes:
        presentation: dict[str, Any] = {
            "@context": context or [V2],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [credential(m) if credential else m.badge],
        }
        if proof is not None:
            presentation["proof"] = proof
        return _vp(presentation)

    return build


def _signed_presentation(tamper: Callable[[dict[str, Any]], None]) -> Builder:
    """A presentation validly signed by the outside key, then tampered with by `tamper`."""

    def build(m: Materials) -> bytes:
        presentation = {
            "@context": [V2],
            "type": ["VerifiablePresentation"],
            "holder": m.key.did_key,
            "verifiableCredential": [m.badge],
        }
        signed = sign_presentation(presentation, m.key, ProofOptions(domain="verifier.example"))
        tamper(signed)
        return _vp(signed, {"domain": "verifier.example"})

    return build


def _vp_proof(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(vp: dict[str, Any]) -> None:
        vp["proof"][path] = value

    return change


def _tampered_badge_in_vp(m: Materials) -> Any:
    badge = copy.deepcopy(m.badge)
    badge["@context"] = [*badge["@context"], {"@vocab": "https://evil.example/#"}]
    return badge


MINIMAL = {
    "@context": [V2],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:maker"},
}


def _minimal(**changes: Any) -> Builder:
    return lambda m: _issue({**MINIMAL, **changes})


def _raw(text: bytes) -> Builder:
    return lambda m: text


PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-rdfc-2022",
    "proofPurpose": "authentication",
    "proofValue": encode_base58btc(bytes(64)),  # well formed: the method is what fails
}
CONTEXT_URLS = {
    "localhost": "http://localhost/",
    "127.0.0.1:8000": "http://127.0.0.1:8000/",
    "metadata 169.254.169.254": "http://169.254.169.254/latest/meta-data/",
    "[::1]": "http://[::1]/",
    "file:///etc/passwd": "file:///etc/passwd",
}
PRIVATE_DID_WEBS = {
    "127.0.0.1": ("did:web:127.0.0.1", "IP address"),
    "169.254.169.254": ("did:web:169.254.169.254", "IP address"),
    "10.0.0.1:8443": ("did:web:10.0.0.1%3A8443", "IP address"),
    "localhost:8000": ("did:web:localhost%3A8000", "loopback"),
    "sub.localhost": ("did:web:admin.localhost", "loopback"),
    "[::1]": ("did:web:[::1]", "invalid method-specific identifier"),  # refused as syntax
}
STATUS_URLS = {
    "https metadata address": ("https://169.254.169.254/status/1", "link-local"),
    "https 127.0.0.1:8000": ("https://127.0.0.1:8000/status/1", "loopback"),
    "https localhost": ("https://localhost:8000/status/1", "loopback"),
    "https 10.0.0.1": ("https://10.0.0.1/status/1", "private"),
    "http 127.0.0.1:8000": ("http://127.0.0.1:8000/status/1", "plain HTTP"),
    "file:///etc/passwd": ("file:///etc/passwd", "file:///etc/passwd could not be retrieved"),
}
PARSE = "not valid JSON"  # every body the strict JSON check refuses says this

CASES: dict[str, Case] = {
    # --- JSON-LD tricks on a signed badge -------------------------------------------------
    "vc @vocab injection": Case(
        "vc",
        _badge(_add_context({"@vocab": "https://evil.example/#"})),
        400,
        ("CONTEXT_VALIDATION_ERROR", "embedded context"),
        False,
    ),
    "vc redefine type": Case(
        "vc",
        _badge(_add_context({"type": "https://evil.example/type"})),
        400,
        ("CONTEXT_VALIDATION_ERROR", "embedded context"),
        False,
    ),
    "vc redefine credentialSubject": Case(
        "vc",
        _badge(_add_context({"credentialSubject": {"@id": "https://evil.example/s"}})),
        400,
        ("CONTEXT_VALIDATION_ERROR", "embedded context"),
        False,
    ),
    "vc redefine id": Case(
        "vc",
        _badge(_add_context({"id": "https://evil.example/id"})),
        400,
        ("CONTEXT_VALIDATION_ERROR", "embedded context"),
        False,
    ),
    "vc protected terms redefined, context first": Case(
        "vc",
        _badge(lambda b: b.update({"@context": [{"@protected": False}, *b["@context"]]})),
        400,
        ("CONTEXT_VALIDATION_ERROR", "the first @context must be"),
        False,
    ),
    **{
        f"vc @context {name}": Case(
            "vc",
            _badge(_add_context(url)),
            400,
            ("CONTEXT_VALIDATION_ERROR", f"{url!r} is not a known context (never fetched)"),
            False,
        )
        for name, url in CONTEXT_URLS.items()
    },
    "vc @graph around the badge": Case(
        "vc",
        lambda m: _vc({"@context": m.badge["@context"], "@graph": [m.badge]}),
        400,
        ("embedded @context is not accepted", "type must include VerifiableCredential"),
        False,
    ),
    "vc @graph in credentialSubject": Case(
        "vc",
        _badge(lambda b: b.update({"credentialSubject": {"@graph": [b["credentialSubject"]]}})),
        400,
        ("CRYPTOGRAPHIC_SECURITY_ERROR", "signature does not match"),
        False,
    ),
    "vc @included": Case(
        "vc",
        _badge(_set("@included", [{"id": "did:example:x", "type": ["Profile"]}])),
        400,
        ("CRYPTOGRAPHIC_SECURITY_ERROR", "signature does not match"),
        False,
    ),
    # --- sizes and shapes -----------------------------------------------------------------
    "vc 1 MB string": Case(
        "vc",
        _badge(_set("description", "x" * 1_010_000)),  # the body stays under 1 MiB
        400,
        ("INPUT_LIMIT_ERROR", "strings exceed"),
        False,
    ),
    "vc 40 nested arrays": Case(
        "vc",
        _badge(_set("credentialSubject.nested", _nested(40))),  # read, refused by JSON-LD
        400,
        ("INPUT_LIMIT_ERROR", "nesting deeper than 32 levels"),
        False,
    ),
    "vc 500 nested arrays": Case(
        "vc",
        _badge(_set("description", _nested(500))),  # past what pydantic serializes (255)
        400,
        (PARSE, "nested deeper than 64 levels"),
        True,
    ),
    "vc 10,000 nested arrays": Case(
        "vc",
        _raw(b'{"verifiableCredential": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
        400,
        (PARSE, "nested too deeply"),
        True,
    ),
    "vc 1e400": Case(
        "vc",
        _raw_vc(b'{"verifiableCredential": BADGE, "options": {"n": 1e400}}'),
        400,
        (PARSE, "1e400", "too large"),
        True,
    ),
    "vc 10**5000 integer": Case(
        "vc",
        lambda m: _vc(m.badge)[:-1] + b', "n": 1' + b"0" * 5000 + b"}",
        400,
        (PARSE, "too many digits"),
        True,
    ),
    "vc duplicate id": Case(
        "vc",
        lambda m: _vc(m.badge)[:-2] + b', "id": "urn:uuid:0"}}',
        400,
        (PARSE, "'id' appears twice"),
        True,
    ),
    "vc duplicate raw keys": Case(
        "vc",
        _raw(b'{"verifiableCredential": {"id": "a", "id": "b"}}'),
        400,
        (PARSE, "'id' appears twice"),
        True,
    ),
    "vc NaN": Case(
        "vc",
        _raw_vc(b'{"verifiableCredential": BADGE, "options": {"n": NaN}}'),
        400,
        (PARSE, "NaN is not a JSON number"),
        True,
    ),
    "vc Infinity": Case(
        "vc", _raw(b'{"verifiableCredential": {"n": Infinity}}'), 400, (PARSE, "Infinity"), True
    ),
    "vc -Infinity": Case(
        "vc", _raw(b'{"verifiableCredential": {"n": -Infinity}}'), 400, (PARSE, "-Infinity"), True
    ),
    "vc non-UTF-8 bytes": Case(
        "vc",
        _raw(b'{"verifiableCredential": {"name": "caf\xe9 \xff\xfe"}}'),
        400,
        (PARSE, "not UTF-8"),
        True,
    ),
    "vc lone surrogate escape in a key": Case(
        "vc",
        _raw(b'{"verifiableCredential": {"\\udc00": 1}}'),
        400,
        (PARSE, "lone UTF-16 surrogate"),
        True,
    ),
    "vc lone surrogate escape in a value": Case(
        "vc",
        lambda m: _vc(m.badge)[:-2] + b', "description": "caf\\ud800"}}',
        400,
        (PARSE, "lone UTF-16 surrogate"),
        True,
    ),
    "vc UTF-16 body": Case(
        "vc",
        lambda m: _vc(m.badge).decode().encode("utf-16"),
        400,
        (PARSE, "not UTF-8"),
        True,
    ),
    "vc body is an array": Case(
        "vc", lambda m: json.dumps([m.badge]).encode(), 422, ("valid dictionary",), True
    ),
    "vc body is a string": Case("vc", _raw(b'"a credential"'), 422, ("valid dictionary",), True),
    # --- proofs -----------------------------------------------------------------------------
    "vc wrong cryptosuite": Case(
        "vc",
        _badge(_set("proof.cryptosuite", "ecdsa-rdfc-2019")),
        400,
        ("PROOF_VERIFICATION_ERROR", "unsupported cryptosuite 'ecdsa-rdfc-2019'"),
        False,
    ),
    "vc proofValue not multibase": Case(
        "vc",
        _badge(_set("proof.proofValue", "not-multibase!")),
        400,
        ("proofValue", "multibase"),
        False,
    ),
    "vc proofValue base58 garbage": Case(
        "vc",
        _badge(_set("proof.proofValue", "z0OIl")),
        400,
        ("proofValue", "invalid base58btc character"),
        False,
    ),
    **{
        f"vc verificationMethod did:web {name}": Case(
            "vc",
            _badge(_set("proof.verificationMethod", did + "#key-1")),
            400,
            (
                "INVALID_VERIFICATION_METHOD_URL" if "[" in did else "DID_RESOLUTION_ERROR",
                reason,
            ),
            False,
        )
        for name, (did, reason) in PRIVATE_DID_WEBS.items()
    },
    "vc issuer and method on a private did:web": Case(
        "vc",
        _badge(
            lambda b: b.update(
                {
                    "issuer": {**b["issuer"], "id": "did:web:192.168.1.1"},
                    "proof": {**b["proof"], "verificationMethod": "did:web:192.168.1.1#key-1"},
                }
            )
        ),
        400,
        ("DID_RESOLUTION_ERROR", "not IP addresses"),
        False,
    ),
    **{
        f"vc status list at {name}": Case(
            "vc", _signed(url), 400, ("STATUS_RETRIEVAL_ERROR", reason), False
        )
        for name, (url, reason) in STATUS_URLS.items()
    },
    # --- presentations ----------------------------------------------------------------------
    "vp @vocab injection": Case(
        "vp",
        _presentation(context=[V2, {"@vocab": "https://evil.example/#"}]),
        400,
        ("CONTEXT_VALIDATION_ERROR", "embedded context"),
        False,
    ),
    "vp redefine verifiableCredential": Case(
        "vp",
        _presentation(context=[V2, {"verifiableCredential": {"@id": "https://evil.example/vc"}}]),
        400,
        ("CONTEXT_VALIDATION_ERROR", "embedded context"),
        False,
    ),
    "vp @context at the metadata address": Case(
        "vp",
        _presentation(context=[V2, "http://169.254.169.254/ctx"]),
        400,
        ("'http://169.254.169.254/ctx' is not a known context (never fetched)",),
        False,
    ),
    "vp tampered badge inside": Case(
        "vp",
        _presentation(credential=_tampered_badge_in_vp),
        400,
        ("CONTEXT_VALIDATION_ERROR", "embedded context"),
        False,
    ),
    "vp proof method on did:web 169.254.169.254": Case(
        "vp",
        _presentation(proof={**PROOF, "verificationMethod": "did:web:169.254.169.254#key-1"}),
        400,
        ("DID_RESOLUTION_ERROR", "IP address"),
        False,
    ),
    "vp proof method on did:web localhost": Case(
        "vp",
        _presentation(proof={**PROOF, "verificationMethod": "did:web:localhost#key-1"}),
        400,
        ("DID_RESOLUTION_ERROR", "loopback"),
        False,
    ),
    "vp wrong cryptosuite": Case(
        "vp",
        _signed_presentation(_vp_proof("cryptosuite", "bbs-2023")),
        400,
        ("unsupported cryptosuite 'bbs-2023'",),
        False,
    ),
    "vp proofValue not multibase": Case(
        "vp",
        _signed_presentation(_vp_proof("proofValue", "%%%")),
        400,
        ("proofValue", "multibase"),
        False,
    ),
    "vp @graph around the presentation": Case(
        "vp",
        lambda m: _vp({"@context": [V2], "@graph": [{"type": ["VerifiablePresentation"]}]}),
        400,
        ("type must include VerifiablePresentation",),
        False,
    ),
    "vp duplicate keys": Case(
        "vp",
        _raw(b'{"verifiablePresentation": {"type": ["VerifiablePresentation"], "type": []}}'),
        400,
        (PARSE, "'type' appears twice"),
        True,
    ),
    "vp NaN": Case(
        "vp",
        _raw(b'{"verifiablePresentation": {}, "options": {"domain": NaN}}'),
        400,
        (PARSE, "NaN"),
        True,
    ),
    "vp lone surrogate escape": Case(
        "vp",
        _raw(b'{"verifiablePresentation": {"type": "\\ud83d"}}'),
        400,
        (PARSE, "lone UTF-16 surrogate"),
        True,
    ),
    "vp 10,000 nested arrays": Case(
        "vp",
        _raw(b'{"verifiablePresentation": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
        400,
        (PARSE, "nested too deeply"),
        True,
    ),
    "vp body is an array": Case("vp", _raw(b"[]"), 422, ("valid dictionary",), True),
    # --- issuing (the makerspace's API key) -------------------------------------------------
    "issue @vocab injection": Case(
        "issue",
        _minimal(**{"@context": [V2, {"@vocab": "https://evil.example/#"}]}),
        422,
        ("embedded context",),
        True,
    ),
    "issue redefine type": Case(
        "issue",
        _minimal(**{"@context": [V2, {"type": "https://evil.example/type"}]}),
        422,
        ("embedded context",),
        True,
    ),
    "issue redefine credentialSubject and id": Case(
        "issue",
        _minimal(
            **{"@context": [V2, {"credentialSubject": "https://evil.example/s", "id": "@type"}]}
        ),
        422,
        ("embedded context",),
        True,
    ),
    **{
        f"issue @context {name}": Case(
            "issue",
            _minimal(**{"@context": [V2, url]}),
            422,
            (f"{url!r} is not a known context (never fetched)",),
            True,
        )
        for name, url in CONTEXT_URLS.items()
    },
    "issue @graph around the credential": Case(
        "issue",
        lambda m: _issue({"@context": [V2], "@graph": [MINIMAL]}),
        422,
        ("embedded @context is not accepted",),
        True,
    ),
    "issue undefined term": Case(
        "issue",
        _minimal(credentialSubject={"id": "did:example:maker", "skill": "x"}),
        422,
        ("property 'skill' is not defined by any context",),
        True,
    ),
    "issue 1 MB string": Case(
        "issue",
        _minimal(description="x" * 1_010_000),
        422,
        ("strings exceed",),
        True,
    ),
    "issue 40 nested arrays": Case(
        "issue",
        _minimal(credentialSubject={"id": "did:example:maker", "name": _nested(40)}),
        422,
        ("nesting deeper than 32 levels",),
        True,
    ),
    "issue 500 nested arrays": Case(
        "issue",
        _minimal(credentialSubject={"id": "did:example:maker", "name": _nested(500)}),
        400,
        (PARSE, "nested deeper than 64 levels"),
        True,
    ),
    "issue 10,000 nested arrays": Case(
        "issue",
        _raw(b'{"credential": {"name": ' + b"[" * 10_000 + b"]" * 10_000 + b"}}"),
        400,
        (PARSE, "nested too deeply"),
        True,
    ),
    "issue 1e400": Case(
        "issue", _raw(b'{"credential": {"name": 1e400}}'), 400, (PARSE, "too large"), True
    ),
    "issue 10**5000 integer": Case(
        "issue",
        _raw(b'{"credential": {"name": 1' + b"0" * 5000 + b"}}"),
        400,
        (PARSE, "too many digits"),
        True,
    ),
    "issue duplicate subject id": Case(
        "issue",
        _raw(
            b'{"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], '
            b'"type": ["VerifiableCredential"], '
            b'"credentialSubject": {"id": "did:example:a", "id": "did:example:b"}}}'
        ),
        400,
        (PARSE, "'id' appears twice"),
        True,
    ),
    "issue lone surrogate escape": Case(
        "issue",
        _raw(b'{"credential": {"name": "\\udfff"}}'),
        400,
        (PARSE, "lone UTF-16 surrogate"),
        True,
    ),
    "issue NaN": Case(
        "issue", _raw(b'{"credential": {"name": NaN}}'), 400, (PARSE, "NaN is not"), True
    ),
    "issue non-UTF-8 bytes": Case(
        "issue", _raw(b'{"credential": {"name": "\xc3\x28"}}'), 400, (PARSE, "not UTF-8"), True
    ),
    "issue body is an array": Case(
        "issue", _raw(b'[{"credential": {}}]'), 422, ("valid dictionary",), True
    ),
    "issue body is a string": Case(
        "issue", _raw(b'"credential"'), 422, ("valid dictionary",), True
    ),
    "issue with a proof already": Case(
        "issue",
        _minimal(proof={**PROOF, "proofPurpose": "assertionMethod"}),
        422,
        ("must not carry a proof",),
        True,
    ),
}
PATHS = {"vc": "/credentials/verify", "vp": "/presentations/verify", "issue": "/credentials/issue"}


def _said(body: dict[str, Any], problem: bool) -> str:
    """Everything the answer says about why."""
    if problem:
        return f"{body.get('type', '')} {body['detail']}"
    return json.dumps(body["problemDetails"])


@pytest.mark.parametrize("name", list(CASES))
def test_a_crafted_document_is_refused_cleanly(
    client: TestClient, hub: Hub, materials: Materials, network_guard: NetworkGuard, name: str
) -> None:
    case = CASES[name]
    body = case.build(materials)
    headers = {"Content-Type": "application/json"}
    if case.endpoint == "issue":
        headers.update(hub.auth)
    started = time.monotonic()
    response = client.post(PATHS[case.endpoint], content=body, headers=headers)
    elapsed = time.monotonic() - started
    assert network_guard.attempts == [], network_guard.attempts
    assert elapsed < SECONDS, elapsed
    assert response.status_code == case.status, response.text[:1000]
    answer: dict[str, Any] = response.json()
    if case.problem:
        assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
        assert answer["status"] == case.status
    else:
        assert response.headers["content-type"].startswith("application/json")
        assert answer["verified"] is False
        assert answer["problemDetails"], answer
    said = _said(answer, case.problem)
    for reason in case.reasons:
        assert reason.lower() in said.lower(), (reason, said[:2000])


def test_nothing_crafted_was_issued(client: TestClient, hub: Hub, materials: Materials) -> None:
    """Every issue case above, sent in a row, stores no credential (the hub's badge from the
    fixture is the only one)."""
    for name, case in CASES.items():
        if case.endpoint == "issue":
            headers = {"Content-Type": "application/json", **hub.auth}
            response = client.post(PATHS["issue"], content=case.build(materials), headers=headers)
            assert response.status_code == case.status, (name, response.text[:300])
    listed = client.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth)
    assert listed.json()["total"] == 1


def test_a_sound_outside_credential_verifies_without_the_network(
    client: TestClient, materials: Materials, network_guard: NetworkGuard
) -> None:
    """The control: the same outside signer, no status list, verifies; and the hub's badge
    verifies, also sent all-ASCII with an escaped surrogate pair (an emoji) beside it;
    nothing touches the network."""
    ascii_escaped = json.dumps(
        {"verifiableCredential": materials.badge, "options": {"note": "\U0001f389"}},
        ensure_ascii=True,
    ).encode()
    assert b"\\ud83c\\udf89" in ascii_escaped
    for body in (_signed()(materials), _vc(materials.badge), ascii_escaped):
        headers = {"Content-Type": "application/json"}
        response = client.post("/credentials/verify", content=body, headers=headers)
        assert response.status_code == 200, response.text[:1000]
        assert response.json()["verified"] is True
    assert network_guard.attempts == []


def test_the_network_guard_refuses_and_records(network_guard: NetworkGuard) -> None:
    """The guard these cases rely on: a lookup and connections are refused and recorded."""
    with pytest.raises(NetworkAccessAttempted):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(NetworkAccessAttempted):
        socket.create_connection(("127.0.0.1", 8000), timeout=1)
    with socket.socket() as sock, pytest.raises(NetworkAccessAttempted):
        sock.connect(("169.254.169.254", 80))
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(NetworkAccessAttempted):
        sock.connect_ex(("::1", 8000))
    assert len(network_guard.attempts) == 4, network_guard.attempts
    network_guard.attempts.clear()  # expected here: the teardown check is for the others


# --- the verify page's form ------------------------------------------------------------------


def _page_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"')


FORM_CASES = {
    "@vocab injection": (
        lambda m: json.dumps({**m.badge, "@context": [*m.badge["@context"], {"@vocab": "x:"}]}),
        200,
        "embedded context",
    ),
    "@context at the metadata address": (
        lambda m: json.dumps({**m.badge, "@context": [V2, "http://169.254.169.254/"]}),
        200,
        "is not a known context",
    ),
    "verificationMethod on did:web localhost": (
        lambda m: json.dumps(
            {**m.badge, "proof": {**m.badge["proof"], "verificationMethod": "did:web:localhost#k"}}
        ),
        200,
        "loopback",
    ),
    "10**5000 integer": (lambda m: '{"n": 1' + "0" * 5000 + "}", 400, "not valid JSON"),
    "not JSON": (lambda m: "{'single': 'quotes'}", 400, "not valid JSON"),
    "10,000 nested arrays": pytest.param(
        lambda m: "[" * 10_000 + "]" * 10_000,
        400,
        "not valid JSON",
    ),
}


@pytest.mark.parametrize(
    ("build", "status", "reason"), list(FORM_CASES.values()), ids=list(FORM_CASES)
)
def test_the_verify_form_refuses_crafted_documents(
    client: TestClient,
    materials: Materials,
    network_guard: NetworkGuard,
    build: Callable[[Materials], str],
    status: int,
    reason: str,
) -> None:
    """POST /verify (the page's form): a crafted document gives a page that says it failed
    and why (200 for a document that was read, 400 for one that was not), never a 500."""
    response = client.post("/verify", data={"document": build(materials)})
    assert network_guard.attempts == []
    assert response.status_code == status, response.text[:500]
    text = _page_text(response.text)
    assert reason.lower() in text.lower(), text[:1500]
    if status == 200:
        assert '"verified": false' in text


def _qr_payload(raw: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=DICTIONARY_V1)
    return PREFIX + b45encode(compressor.compress(raw) + compressor.flush())


QR_CASES = {
    "30,000 nested arrays": (_qr_payload(b"[" * 30_000 + b"]" * 30_000), "nested too deeply"),
    "5000-digit integer": (_qr_payload(b'{"n":1' + b"0" * 5000 + b"}"), "too many digits"),
    "duplicate keys": (_qr_payload(b'{"id":"a","id":"b"}'), "appears twice"),
    "NaN": (_qr_payload(b'{"n":NaN}'), "NaN is not a JSON number"),
    "a DEFLATE bomb": (_qr_payload(b" " * (MAX_JSON_BYTES * 4)), "inflates to over"),
    "a 5000-digit version": ("PVC" + "1" * 5000 + ":AB", "unsupported offline QR version"),
}


@pytest.mark.parametrize(("payload", "reason"), list(QR_CASES.values()), ids=list(QR_CASES))
def test_the_verify_page_refuses_crafted_offline_qr_payloads(
    client: TestClient, network_guard: NetworkGuard, payload: str, reason: str
) -> None:
    """GET /verify?qr=… (what a phone opens after scanning): a crafted payload is a 400 page
    saying what is wrong, never a 500."""
    response = client.get("/verify", params={"qr": payload})
    assert network_guard.attempts == []
    assert response.status_code == 400, response.text[:500]
    text = _page_text(response.text)
    assert "could not be read" in text and reason.lower() in text.lower(), text[:1500]
