"""Signing the service's own badges by the fast path gives byte-identical output to the general
path: `sign_credential(..., own=True)` (no re-run of the context and VC Data Model checks,
canonical N-Quads from proofs.rdfc_templates) against `own=False` (every check, the general
canonicalization), for many varied badges, with values chosen to hit every way the fast path
must step aside: quotes, backslashes, controls, U+FFFE/U+FFFF, braces, lone surrogates, compact
IRIs and terms, IRIs pyoxigraph refuses, sentinel look-alikes, blank nodes alike at first
degree, a holder who is the issuer. Ed25519 is deterministic, so equal output means the same
canonical N-Quads were signed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passport_vc.credentials.model import check_contexts, check_credential
from passport_vc.credentials.openbadges import Evidence
from passport_vc.credentials.signing import sign_credential
from passport_vc.errors import PassportVcError
from passport_vc.jsonld.canonical import canonicalize
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions, ResolvedKey, verify_proof
from passport_vc.proofs.eddsa_rdfc_2022 import OWN_DOCUMENTS
from passport_vc.proofs.rdfc_templates import TemplateCanonicalizer
from passport_vc.services import issuance, status_lists
from passport_vc.services.badge_requests import BadgeRequest
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import InvalidFieldError
from passport_vc.settings import load_settings
from passport_vc.status import build_status_entry
from passport_vc.store import Makerspace
from passport_vc.taxonomy import Taxonomy, load_taxonomy

KEY = SigningKey(hashlib.sha256(b"own-signing").digest())
CREATED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
TAXONOMY: Taxonomy = load_taxonomy()
SKILLS = [skill.code for skill in TAXONOMY.skills]
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
ISSUER_DID = "did:web:hub.example:makerspaces:own"


def context(public_url: str) -> ServiceContext:
    """What draft_badge reads: the settings' public URL and the taxonomy (no database)."""
    return ServiceContext(
        settings=load_settings(public_url=public_url),
        db=cast(Any, None),
        master_key=cast(Any, None),
        taxonomy=TAXONOMY,
    )


CONTEXTS = {
    url: context(url)
    for url in ("https://hub.example", "http://127.0.0.1:8000", "https://hub.example/base/path")
}

# The builder refuses most control characters (tested with it); tab, newline and carriage
# return pass, and with quotes, backslashes, braces, non-characters and the line separators
# str.splitlines() knows they are what the fast path must leave to the general one.
special = st.sampled_from(list('"\\{}\t\n\r\x85\u2028\u2029\ufffe\uffffé漢🛠 _:c14n0 '))
texts = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FFFF),
        st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x7F),
        special,
    ),
    min_size=1,
    max_size=30,
)
plain_texts = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\\ufffe\uffff'
    ),
    min_size=1,
    max_size=30,
)
# Mostly values the fast path writes, now and then one it must leave to the general path.
values = st.one_of(plain_texts, plain_texts, plain_texts, plain_texts, plain_texts, texts)
plain_iris = st.one_of(
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~/", min_size=1, max_size=20).map(
        lambda p: f"https://example.org/{p}"
    ),
    st.binary(min_size=4, max_size=8).map(lambda b: f"did:example:{b.hex()}"),
)
odd_iris = st.sampled_from(
    [
        "xsd:string",  # a compact IRI: its prefix is a term of the OB context
        "https://example.org/a{b}",  # braces: folded into the shape
        "urn:x:\u00e9t\u00e9",
        "http://example.org/%zz",  # pyoxigraph refuses the percent-encoding
        "http://[::1",  # and this host
        "urn:pvc-rdfc-slot:x0x",  # a sentinel look-alike
        "urn:pvc-slot:x1x",
        "did:example:\ufffe",
    ]
)
iris = st.one_of(plain_iris, plain_iris, odd_iris)
holders = st.one_of(
    st.just(HOLDER),
    st.binary(min_size=4, max_size=8).map(lambda b: f"did:example:{b.hex()}"),
    st.sampled_from(
        [
            "did:web:hub.example%3A8443:people:ada",
            "did:example:%zz",  # not a valid IRI for pyoxigraph
            "did:example:caf\u00e9",
            ISSUER_DID,  # self-issued: the holder's and the issuer's quads merge
        ]
    ),
)


@st.composite
def evidence_items(draw: st.DrawFn) -> Evidence:
    words = draw(values)
    fields: dict[str, Any] = {}
    for name in ("name", "description", "narrative", "genre", "audience"):
        if draw(st.booleans()):
            fields[name] = draw(values)
    if draw(st.booleans()):
        fields["id"] = draw(iris)
    if not fields:
        fields["narrative"] = words
    return Evidence(**fields)


@st.composite
def badge_cases(draw: st.DrawFn) -> tuple[ServiceContext, Makerspace, BadgeRequest]:
    ctx = CONTEXTS[draw(st.sampled_from(sorted(CONTEXTS)))]
    makerspace = Makerspace(
        id=1,
        slug="own",
        name=draw(values),
        did=ISSUER_DID,
        did_method="web",
        api_key_hash="-",
        api_key_hint="-",
        url=draw(st.one_of(st.none(), st.just("https://own.example/"), st.just("http://x.y/a"))),
        email=draw(st.one_of(st.none(), values)),
    )
    evidence = draw(st.lists(evidence_items(), max_size=3))
    if evidence and draw(st.integers(0, 5)) == 0:
        evidence.append(evidence[0])  # two blank nodes alike at first degree
    request = BadgeRequest(
        holder=draw(holders),
        skill=TAXONOMY.skill(draw(st.sampled_from(SKILLS))),
        level=draw(st.integers(1, 4)),
        holder_name=draw(st.one_of(st.none(), values)),
        evidence=tuple(evidence),
        valid_until=draw(st.one_of(st.none(), st.just(datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)))),
        scope=draw(st.sampled_from(["skill", "machine-authorisation"])),
    )
    return ctx, makerspace, request


def with_status(ctx: ServiceContext, document: dict[str, Any], index: int) -> dict[str, Any]:
    """The document as issuance._sign completes it: a revocation and a suspension entry."""
    return {
        **document,
        "credentialStatus": [
            build_status_entry(
                list_url=status_lists.list_url(ctx, list_id), index=index, purpose=purpose
            )
            for list_id, purpose in ((1, "revocation"), (2, "suspension"))
        ],
    }


def outcome(document: dict[str, Any], own: bool) -> tuple[str, ...]:
    options = ProofOptions(verification_method=f"{ISSUER_DID}#key-1", created=CREATED)
    try:
        signed = sign_credential(document, KEY, options, own=own)
    except PassportVcError as exc:
        return ("error", type(exc).__name__, exc.detail)
    return ("ok", json.dumps(signed, ensure_ascii=False, separators=(",", ":")))


def draft_document(
    ctx: ServiceContext, makerspace: Makerspace, request: BadgeRequest
) -> dict[str, Any] | None:
    try:
        draft = issuance.draft_badge(ctx, makerspace, request)
    except InvalidFieldError:
        return None  # refused before signing, whichever path would sign it
    assert draft.own
    return draft.document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(badge_cases(), st.integers(0, 131_071))
def test_own_badges_sign_byte_identically(
    case: tuple[ServiceContext, Makerspace, BadgeRequest], index: int
) -> None:
    ctx, makerspace, request = case
    document = draft_document(ctx, makerspace, request)
    if document is None:
        return
    document = with_status(ctx, document, index)
    slow = outcome(document, own=False)
    fast = outcome(document, own=True)
    assert fast == slow
    assert outcome(document, own=True) == slow  # the template learnt, written again
    if slow[0] == "ok":
        # Skipping the checks is sound only because the service's badges pass them.
        assert check_contexts(document) == []
        assert check_credential(document) == []


def plain_badge(i: int) -> dict[str, Any]:
    ctx = CONTEXTS["https://hub.example"]
    makerspace = Makerspace(
        id=1,
        slug="own",
        name="Ongola Fablab — Yaoundé",
        did=ISSUER_DID,
        did_method="web",
        api_key_hash="-",
        api_key_hint="-",
        url="https://ongola.example",
    )
    request = BadgeRequest(
        holder=f"did:example:{i:08x}",
        skill=TAXONOMY.skill(SKILLS[i % len(SKILLS)]),
        level=1 + i % 4,
        holder_name="Ada Lovelace" if i % 2 else None,
        evidence=(Evidence(name=f"Job {i}", narrative="Cut a box."),) if i % 3 else (),
    )
    document = draft_document(ctx, makerspace, request)
    assert document is not None
    return with_status(ctx, document, i * 7)


def test_ordinary_badges_take_the_fast_path_and_verify() -> None:
    before = dict(OWN_DOCUMENTS.stats)
    method = f"{ISSUER_DID}#key-1"

    def resolve(url: str, purpose: str) -> ResolvedKey:
        assert url == method
        return ResolvedKey(id=method, controller=ISSUER_DID, public_key=KEY.public_key)

    for i in range(40):
        document = plain_badge(i)
        assert outcome(document, own=True) == outcome(document, own=False)
        signed = sign_credential(document, KEY, ProofOptions(verification_method=method), own=True)
        check = verify_proof(
            signed, signed["proof"], resolve_key=resolve, expected_purpose="assertionMethod"
        )
        assert check.verified, check.problems
    # Two documents a badge (the credential and its proof configuration), all by templates.
    assert OWN_DOCUMENTS.stats["fast"] - before["fast"] >= 2 * 40 * 2
    assert OWN_DOCUMENTS.stats["general"] == before["general"]


def test_blank_nodes_alike_at_first_degree_go_the_general_way() -> None:
    document = plain_badge(3)
    twin = {"type": ["Evidence"], "narrative": "the same"}
    document["evidence"] = [twin, dict(twin)]
    canon = TemplateCanonicalizer()
    assert canon.canonical(document) is None
    assert canon.stats == {"fast": 0, "general": 1, "templates": 1}
    assert outcome(document, own=True) == outcome(document, own=False)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "id"), "did:example:%zz"),  # an IRI pyoxigraph refuses
        (("name",), 'a "quoted" \\ name'),  # escaped in canonical N-Quads
        (("name",), "tab\there"),
        (("name",), "non-character \ufffe"),
        (("name",), "lone \udc80 surrogate"),
        (("name",), "{0} {1} {99} braces"),
        (("name",), "_:c14n0 looks like a blank node"),
        (("credentialSubject", "id"), "xsd:string"),  # a compact IRI: expanded by the context
        (("credentialSubject", "id"), "urn:pvc-rdfc-slot:x0x"),
        (("id",), "Achievement"),  # a term
    ],
)
def test_crafted_values_give_what_the_general_path_gives(path: tuple[str, ...], value: str) -> None:
    document = plain_badge(5)
    node: dict[str, Any] = document
    for step in path[:-1]:
        node[step] = dict(node[step])
        node = node[step]
    node[path[-1]] = value
    canon = TemplateCanonicalizer()
    canon.canonical(plain_badge(6))  # the shape is known
    try:
        expected: str | None = canonicalize(document, fast=False)
    except PassportVcError:
        expected = None
    got = canon.canonical(document)
    assert got is None or got == expected
    unsecured_own = outcome(document, own=True)
    # The checks own=True skips would refuse some of these (a term as the id): compare the
    # canonicalization alone there, the whole signing elsewhere.
    if not (check_contexts(document) or check_credential(document)):
        assert unsecured_own == outcome(document, own=False)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """Credentials of varied shapes and values beyond what the badge builder writes."""
    subject: dict[str, Any] = {"id": draw(iris), "type": ["AchievementSubject"]}
    achievement: dict[str, Any] = {
        "id": draw(iris),
        "type": ["Achievement"],
        "name": draw(values),
        "criteria": {"narrative": draw(values)},
    }
    alignments = [
        {"type": ["Alignment"], "targetName": draw(values), "targetUrl": draw(iris)}
        for _ in range(draw(st.integers(0, 4)))
    ]
    if alignments:
        achievement["alignment"] = alignments
    subject["achievement"] = achievement
    doc: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": draw(iris),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": draw(values),
        "issuer": {"id": draw(iris), "type": ["Profile"], "name": draw(values)},
        "validFrom": draw(st.sampled_from(["2026-01-01T00:00:00Z", "2026-11-24T10:00:00+01:00"])),
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        doc["credentialSubject"]["result"] = [
            {"type": ["Result"], "achievedLevel": draw(iris), "status": draw(values)}
        ]
    if draw(st.booleans()):
        doc["evidence"] = [
            {"type": ["Evidence"], "narrative": draw(values)}
            for _ in range(draw(st.integers(1, 3)))
        ]
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents(), min_size=2, max_size=4))
def test_template_output_is_the_general_output(docs: list[dict[str, Any]]) -> None:
    canon = TemplateCanonicalizer()
    for doc in docs:
        try:
            expected: str | None = canonicalize(doc, fast=False)
        except PassportVcError:
            expected = None
        got = canon.canonical(doc)
        assert got is None or got == expected
