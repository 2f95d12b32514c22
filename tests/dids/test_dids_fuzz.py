"""Whatever a credential says, resolving and dereferencing only ever raise PassportVcError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passport_vc.dids import (
    DidWebResolver,
    UniversalResolver,
    dereference_verification_method,
    did_web_to_url,
    resolve_did_key,
)
from passport_vc.errors import PassportVcError
from passport_vc.keys import SigningKey

KEY = SigningKey(bytes([3]) * 32).public_key
DID = "did:web:example.com"

prefixes = st.sampled_from(
    [
        "",
        "did:",
        "did:key:",
        "did:key:z",
        "did:key:z6Mk",
        "did:web:",
        "did:web:example.com",
        DID + "#",
    ]
)
alphabet = st.sampled_from([*"aZz09:%#?/.-_~ 3Aé\x00\ud7ff", "%3A", "%2e", "..", KEY.multibase])
dids = st.one_of(
    st.text(),
    st.builds(lambda p, parts: p + "".join(parts), prefixes, st.lists(alphabet, max_size=12)),
)


def _fetcher(body: bytes) -> Any:
    def fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
        return body

    return fetch


def _raises_only_passport_errors(call: Any, *args: Any) -> None:
    # Anything else (KeyError, TypeError, ...) propagates and fails the test.
    with contextlib.suppress(PassportVcError):
        call(*args)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(did=dids, body=st.binary(max_size=200))
def test_resolution_of_arbitrary_strings(did: str, body: bytes) -> None:
    resolver = UniversalResolver(DidWebResolver(_fetcher(body)))
    _raises_only_passport_errors(resolver.resolve, did)
    _raises_only_passport_errors(resolve_did_key, did)
    _raises_only_passport_errors(did_web_to_url, did)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from([DID, DID + "#k", "#k", "Multikey", KEY.multibase, "2020-01-01T00:00:00Z"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "type",
                    "controller",
                    "publicKeyMultibase",
                    "publicKeyJwk",
                    "revoked",
                    "expires",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)
documents = st.fixed_dictionaries(
    {"id": st.sampled_from([DID, "did:web:other.example"]) | json_values},
    optional={
        name: json_values
        for name in (
            "verificationMethod",
            "assertionMethod",
            "authentication",
            "keyAgreement",
            "capabilityInvocation",
        )
    },
)


class Serving:
    def __init__(self, document: Any) -> None:
        self.document = document

    def resolve(self, did: str) -> dict[str, Any]:
        return self.document  # type: ignore[no-any-return]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    vm_url=st.one_of(dids, st.sampled_from([DID + "#k", KEY.did_key, KEY.did_key + "#x"])),
    relationship=st.one_of(
        st.sampled_from(["assertionMethod", "authentication", "keyAgreement"]), st.text(max_size=5)
    ),
    document=st.one_of(documents, json_values),
)
def test_dereference_of_arbitrary_input(vm_url: str, relationship: str, document: Any) -> None:
    _raises_only_passport_errors(
        dereference_verification_method, vm_url, Serving(document), relationship
    )
    _raises_only_passport_errors(
        dereference_verification_method, vm_url, UniversalResolver(), relationship
    )


@settings(max_examples=200)
@given(document=documents)
def test_did_web_documents_from_the_wire(document: dict[str, Any]) -> None:
    body = json.dumps(document).encode()
    resolver = UniversalResolver(DidWebResolver(_fetcher(body)))
    _raises_only_passport_errors(
        dereference_verification_method, DID + "#k", resolver, "assertionMethod"
    )


@given(
    value=st.one_of(
        st.none(), st.integers(), st.lists(st.text()), st.dictionaries(st.text(), st.text())
    )
)
def test_non_strings(value: Any) -> None:
    _raises_only_passport_errors(resolve_did_key, value)
    _raises_only_passport_errors(UniversalResolver().resolve, value)
    _raises_only_passport_errors(dereference_verification_method, value, UniversalResolver(), value)
    _raises_only_passport_errors(did_web_to_url, value)
