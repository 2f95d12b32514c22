"""passport-vc and the reference JavaScript implementation agree, both ways.

What passport-vc signs verifies in @digitalbazaar/vc; what that signs verifies in passport-vc;
a tampered copy fails in both. Covers both cryptosuites, strings with control characters,
presentations bound by challenge and domain, and revocation through a Bitstring Status List.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
from jsref import JsReference

from passport_vc.credentials.signing import sign_credential, sign_presentation
from passport_vc.credentials.verification import (
    VerifyOptions,
    verify_credential,
    verify_presentation,
)
from passport_vc.keys import SigningKey
from passport_vc.proofs import ProofOptions
from passport_vc.status import BitstringStatusList, build_status_entry, build_status_list_credential

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from badges import make_badges

pytestmark = pytest.mark.interop
SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
ISSUER = SigningKey(bytes(range(1, 33)))
HOLDER = SigningKey(bytes(range(2, 34)))


def js_sign(jsref: JsReference, doc: dict[str, Any], key: SigningKey, **kw: Any) -> dict[str, Any]:
    return jsref.sign(doc, key.secret_multibase(), key.public_key.multibase, **kw)


def tamper(doc: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed["credentialSubject"]["achievement"]["name"] += " (forged)"
    return changed


@pytest.mark.parametrize("suite", SUITES)
def test_passport_signed_badges_verify_in_js(jsref: JsReference, suite: str) -> None:
    for badge in make_badges(12, ISSUER.did_key, seed=3):
        signed = sign_credential(badge, ISSUER, ProofOptions(cryptosuite=suite))
        assert jsref.verify(signed)["verified"], badge["id"]
        assert not jsref.verify(tamper(signed))["verified"]


@pytest.mark.parametrize("suite", SUITES)
def test_js_signed_badges_verify_in_passport(jsref: JsReference, suite: str) -> None:
    for badge in make_badges(6, ISSUER.did_key, seed=4):
        signed = js_sign(jsref, badge, ISSUER, suite=suite)
        result = verify_credential(signed)
        assert result["verified"], result["problemDetails"]
        assert not verify_credential(tamper(signed))["verified"]


def test_control_characters_sign_the_same_in_both(jsref: JsReference) -> None:
    """pyld writes control characters raw; our RDFC-1.0 escaping must match jsonld.js."""
    badge = make_badges(1, ISSUER.did_key, seed=5)[0]
    badge["name"] = 'tab\there, bell\x07, nul\x00, form\x0c, back\x08, del\x7f, quote" \\ end'
    ours = sign_credential(badge, ISSUER, ProofOptions(created="2026-11-24T10:00:00Z"))
    theirs = js_sign(jsref, badge, ISSUER, created="2026-11-24T10:00:00Z")
    assert ours["proof"]["proofValue"] == theirs["proof"]["proofValue"]
    assert jsref.verify(ours)["verified"]


def test_unicode_line_separators_sign_the_same_in_both(jsref: JsReference) -> None:
    """U+2028, U+2029 and U+0085 stay raw inside a canonical N-Quads literal: they must not
    split its line (Python's str.splitlines would) before the lines are sorted."""
    badge = make_badges(1, ISSUER.did_key, seed=7)[0]
    badge["name"] = "line\u2028separator, paragraph\u2029separator, next\u0085line"
    badge["name"] = badge["name"].encode().decode("unicode_escape")
    ours = sign_credential(badge, ISSUER, ProofOptions(created="2026-11-24T10:00:00Z"))
    theirs = js_sign(jsref, badge, ISSUER, created="2026-11-24T10:00:00Z")
    assert ours["proof"]["proofValue"] == theirs["proof"]["proofValue"]
    assert jsref.verify(ours)["verified"]


@pytest.mark.parametrize("suite", SUITES)
def test_presentations_bind_challenge_and_domain_both_ways(jsref: JsReference, suite: str) -> None:
    badge = make_badges(1, ISSUER.did_key, seed=6)[0]
    badge["credentialSubject"]["id"] = HOLDER.did_key
    vc = sign_credential(badge, ISSUER)
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.did_key,
        "verifiableCredential": [vc],
    }
    opts = ProofOptions(cryptosuite=suite, challenge="c-123", domain="https://employer.example")
    ours = sign_presentation(vp, HOLDER, opts)
    assert jsref.verify(
        ours, kind="presentation", challenge="c-123", domain="https://employer.example"
    )["verified"]
    assert not jsref.verify(
        ours, kind="presentation", challenge="c-999", domain="https://employer.example"
    )["verified"]
    theirs = js_sign(
        jsref,
        vp,
        HOLDER,
        suite=suite,
        purpose="authentication",
        challenge="c-123",
        domain="https://employer.example",
    )
    good = verify_presentation(
        theirs, VerifyOptions(challenge="c-123", domain="https://employer.example")
    )
    assert good["verified"], good["problemDetails"]
    assert good["results"]["credentials"][0]["holderIsSubject"]
    wrong = verify_presentation(
        theirs, VerifyOptions(challenge="c-999", domain="https://employer.example")
    )
    assert not wrong["verified"]
    assert any(p["type"].endswith("INVALID_CHALLENGE_ERROR") for p in wrong["problemDetails"])
    other_domain = verify_presentation(
        theirs, VerifyOptions(challenge="c-123", domain="https://other.example")
    )
    assert any(p["type"].endswith("INVALID_DOMAIN_ERROR") for p in other_domain["problemDetails"])


def test_revocation_through_a_status_list_is_seen_by_both(jsref: JsReference) -> None:
    list_url = "https://hub.example/status/1"
    bits = BitstringStatusList()
    index = 94567

    def list_vc() -> dict[str, Any]:
        unsigned = build_status_list_credential(
            list_url=list_url, issuer=ISSUER.did_key, purpose="revocation", status_list=bits
        )
        return sign_credential(unsigned, ISSUER)

    badge = make_badges(1, ISSUER.did_key, seed=8)[0]
    badge["credentialStatus"] = build_status_entry(
        list_url=list_url, index=index, purpose="revocation"
    )
    vc = sign_credential(badge, ISSUER)

    for revoked in (False, True):
        if revoked:
            bits.set(index, 1)
        published = list_vc()
        js = jsref.verify(vc, check_status=True, extra_documents={list_url: published})
        ours = verify_credential(vc, VerifyOptions(status_resolver=lambda url, p=published: p))
        assert js["verified"] is (not revoked)
        assert ours["verified"] is (not revoked), ours["problemDetails"]
        assert ours["results"]["credentialStatus"][0]["value"] == int(revoked)
