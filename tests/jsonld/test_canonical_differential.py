"""The fast canonicalization path gives byte-identical output to the straightforward path.

Two badges of one shape with different values are generated: the first teaches the fast path
the shape, the second is written from the template and compared with the full JSON-LD
conversion. Values include unicode, quotes, backslashes, control characters and braces, and
identifiers that are compact IRIs, terms or relative references (which must not be guessed).
"""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from passport_vc.errors import PassportVcError
from passport_vc.jsonld.canonical import Canonicalizer
from passport_vc.jsonld.contexts import load_document
from passport_vc.keys import SigningKey

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
KEY = SigningKey(bytes(range(32)))

texts = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)),  # any unicode but lone surrogates
        st.sampled_from(list('"\\{}\b\f\t\n\r\x00\x01\x1f\x7f\u2028é漢🛠')),
    ),
    max_size=40,
)
plain_iris = st.one_of(
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~/", min_size=1, max_size=20).map(
        lambda p: f"https://example.org/{p}"
    ),
    st.binary(min_size=8, max_size=8).map(lambda b: f"did:example:{b.hex()}"),
)
odd_iris = st.sampled_from(
    [
        "xsd:string",  # a compact IRI: its prefix is a term in the OB context
        "https://example.org/a{b}",  # braces: not plain, folded into the shape
        "urn:x:\u00e9t\u00e9",
        "id",
        "Achievement",
    ]
)
iris = st.one_of(plain_iris, plain_iris, plain_iris, odd_iris)


@st.composite
def shapes(draw: st.DrawFn) -> dict[str, Any]:
    """The skeleton of a badge: how many alignments, evidence items, optional fields."""
    return {
        "alignments": draw(st.integers(0, 6)),
        "evidence": draw(st.integers(0, 3)),
        "evidence_id": draw(st.booleans()),
        "subject_name": draw(st.booleans()),
        "description": draw(st.booleans()),
        "code": draw(st.booleans()),
    }


@st.composite
def badge(draw: st.DrawFn, shape: dict[str, Any]) -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": draw(iris),
        "type": ["Achievement"],
        "name": draw(texts),
        "description": draw(texts),
        "criteria": {"narrative": draw(texts)},
        "alignment": [],
    }
    for _ in range(shape["alignments"]):
        item = {"type": ["Alignment"], "targetName": draw(texts), "targetUrl": draw(iris)}
        if shape["code"]:
            item["targetCode"] = draw(texts)
        achievement["alignment"].append(item)
    subject: dict[str, Any] = {
        "id": draw(iris),
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    if shape["subject_name"]:
        subject["name"] = draw(texts)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": draw(iris),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": draw(texts),
        "issuer": {"id": draw(iris), "type": ["Profile"], "name": draw(texts)},
        "validFrom": draw(st.sampled_from(["2026-01-01T00:00:00Z", "2026-11-24T10:00:00+01:00"])),
        "credentialSubject": subject,
    }
    if shape["description"]:
        doc["description"] = draw(texts)
    evidence = []
    for _ in range(shape["evidence"]):
        item = {"type": ["Evidence"], "name": draw(texts), "narrative": draw(texts)}
        if shape["evidence_id"]:
            item["id"] = draw(iris)
        evidence.append(item)
    if evidence:
        doc["evidence"] = evidence
    return doc


@st.composite
def same_shape_pair(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    shape = draw(shapes())
    return draw(badge(shape)), draw(badge(shape))


def outcome(canon: Canonicalizer, doc: dict[str, Any], fast: bool) -> tuple[str, str]:
    try:
        return ("ok", canon.canonicalize(doc, fast=fast))
    except PassportVcError as exc:
        return ("error", type(exc).__name__)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(same_shape_pair())
def test_fast_path_is_byte_identical_to_straightforward_path(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    first, second = pair
    canon = Canonicalizer()
    outcome(canon, first, fast=True)  # learn the shape
    fast = outcome(canon, second, fast=True)
    slow = outcome(canon, second, fast=False)
    assert fast == slow
    if fast[0] == "ok":
        digest = hashlib.sha256(fast[1].encode()).digest()
        assert KEY.sign(digest) == KEY.sign(hashlib.sha256(slow[1].encode()).digest())


@settings(max_examples=60, deadline=None)
@given(same_shape_pair())
def test_straightforward_path_matches_pyld_where_pyld_is_right(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """Without control characters or relative IRIs, pyld's URDNA2015 output is the same text."""
    doc = pair[0]
    canon = Canonicalizer()
    kind, ours = outcome(canon, doc, fast=False)
    if kind != "ok" or any(ord(c) < 0x20 or c == "\x7f" for c in ours):
        return
    theirs = jsonld.normalize(
        doc,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": load_document,
            "base": None,
        },
    )
    assert ours == theirs


def test_control_characters_are_escaped_as_rdfc_requires() -> None:
    doc = {
        "@context": CONTEXT,
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:s"},
        "name": '\b\t\n\u000b\f\r"\\\u007f',
    }
    out = Canonicalizer().canonicalize(doc)
    assert '"\\b\\t\\n\\u000B\\f\\r\\"\\\\\\u007F"' in out


def test_unknown_shapes_fall_back_instead_of_guessing() -> None:
    """A JSON literal (@json) cannot be templated: it goes the straightforward way, correctly."""
    doc = {
        "@context": [CONTEXT[0], {"data": {"@id": "https://example.org/data", "@type": "@json"}}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:s", "data": {"a": "b"}},
    }
    canon = Canonicalizer()
    assert canon.canonicalize(doc) == canon.canonicalize(doc, fast=False)
    assert canon.stats["fast"] == 0


def test_sentinel_lookalike_strings_fall_back() -> None:
    """A document string that looks like a template sentinel must not be taken for a slot."""
    doc = {
        "@context": CONTEXT,
        "type": ["VerifiableCredential", "urn:pvc-slot:x0x"],
        "issuer": "urn:pvc-slot:x0x",
        "credentialSubject": {"id": "did:example:s"},
    }
    canon = Canonicalizer()
    assert canon.canonicalize(doc) == canon.canonicalize(doc, fast=False)
    assert canon.stats["fast"] == 0
