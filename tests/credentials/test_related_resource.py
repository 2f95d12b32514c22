"""VC Data Model 2.0 §5.3 relatedResource: digest forms, and bundled contexts checked byte-exact.

The expected digests are computed here, independently of the module, with hashlib over the
bundled file's bytes read straight from src/passport_vc/contexts.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from passport_vc.credentials.model import check_credential
from passport_vc.credentials.related_resource import check_related_resources
from passport_vc.credentials.signing import sign_credential
from passport_vc.credentials.verification import verify_credential
from passport_vc.errors import MALFORMED_VALUE_ERROR, PassportVcError
from passport_vc.keys import SigningKey
from passport_vc.proofs import add_proof

V2 = "https://www.w3.org/ns/credentials/v2"
CONTEXTS = Path(__file__).resolve().parents[2] / "src" / "passport_vc" / "contexts"
V2_BYTES = (CONTEXTS / "www.w3.org_ns_credentials_v2.jsonld").read_bytes()
V1_BYTES = (CONTEXTS / "www.w3.org_2018_credentials_v1.jsonld").read_bytes()
MULTIHASH = {"sha256": 0x12, "sha384": 0x20, "sha512": 0x13}
ISSUER = SigningKey(bytes(range(40, 72)))
UNBUNDLED = "https://fablab-cotonou.example/safety-rules.pdf"
MISMATCH = "digest does not match the bundled context"


def sri(algorithm: str, data: bytes) -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def base58btc(data: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    num, out = int.from_bytes(data, "big"), ""
    while num:
        num, rem = divmod(num, 58)
        out = alphabet[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def multihash(algorithm: str, data: bytes) -> bytes:
    digest = hashlib.new(algorithm, data).digest()
    return bytes([MULTIHASH[algorithm], len(digest)]) + digest


def multibase(algorithm: str, data: bytes, base: str = "u") -> str:
    raw = multihash(algorithm, data)
    if base == "u":
        return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return "z" + base58btc(raw)


def details(resources: Any) -> list[str]:
    problems = check_related_resources({"relatedResource": resources})
    assert all(p["type"] == MALFORMED_VALUE_ERROR for p in problems), problems
    return [p["detail"] for p in problems]


def credential(resources: Any) -> dict[str, Any]:
    return {
        "@context": [V2],
        "id": "urn:uuid:0b8c6f0e-5a55-4a3e-9a5b-000000000053",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER.did_key,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:maker"},
        "relatedResource": resources,
    }


def test_the_bundled_v2_context_is_the_published_one() -> None:
    # VCDM 2.0 Appendix B.1 publishes this SHA-256 of https://www.w3.org/ns/credentials/v2
    assert hashlib.sha256(V2_BYTES).hexdigest() == (
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    )


def test_absent_is_fine() -> None:
    assert check_related_resources({"@context": [V2]}) == []


# --- correct digests of the bundled v2 context ----------------------------------------------


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_correct_sri_digest_of_v2_context_passes(algorithm: str) -> None:
    assert details([{"id": V2, "digestSRI": sri(algorithm, V2_BYTES)}]) == []


@pytest.mark.parametrize("base", ["u", "z"])
@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_correct_multibase_digest_of_v2_context_passes(algorithm: str, base: str) -> None:
    digest = multibase(algorithm, V2_BYTES, base)
    assert details([{"id": V2, "digestMultibase": digest}]) == []


def test_both_digests_lists_of_digests_and_a_media_type_pass() -> None:
    item = {
        "id": V2,
        "mediaType": "application/ld+json",
        "digestSRI": [sri("sha384", V2_BYTES), sri("sha256", V2_BYTES)],
        "digestMultibase": multibase("sha256", V2_BYTES, "z"),
    }
    assert details([item]) == []


def test_sri_with_an_option_expression_and_without_padding_passes() -> None:
    # SRI §3.5 allows "?options" after the digest; its base64-value grammar makes "=" optional
    value = sri("sha256", V2_BYTES)
    assert value.endswith("=")
    assert details([{"id": V2, "digestSRI": value.rstrip("=") + "?ct=application/ld+json"}]) == []


def test_a_single_object_is_one_related_resource() -> None:
    # VCDM 2.0 §5.3: "The value of the relatedResource property MUST be one or more objects"
    assert details({"id": V2, "digestSRI": sri("sha384", V2_BYTES)}) == []


# --- wrong digests of a bundled context -----------------------------------------------------


def test_wrong_sri_digest_fails_naming_the_index() -> None:
    resources = [
        {"id": UNBUNDLED, "digestSRI": sri("sha256", b"a pdf")},
        {"id": V2, "digestSRI": sri("sha384", V1_BYTES)},  # the v1 context's digest
    ]
    (detail,) = details(resources)
    assert detail.startswith("relatedResource[1].digestSRI")
    assert MISMATCH in detail
    assert V2 in detail


@pytest.mark.parametrize("base", ["u", "z"])
def test_wrong_multibase_digest_fails_naming_the_index(base: str) -> None:
    (detail,) = details([{"id": V2, "digestMultibase": multibase("sha512", V2_BYTES + b" ", base)}])
    assert detail.startswith("relatedResource[0].digestMultibase")
    assert MISMATCH in detail


def test_every_digest_of_a_bundled_context_must_match() -> None:
    item = {
        "id": V2,
        "digestSRI": [sri("sha256", V2_BYTES), sri("sha512", V2_BYTES[:-1])],
        "digestMultibase": multibase("sha256", V2_BYTES),
    }
    (detail,) = details([item])
    assert detail.startswith("relatedResource[0].digestSRI[1]")
    assert MISMATCH in detail


def test_the_bytes_count_not_just_the_json() -> None:
    """The digest is over the exact bytes: the same JSON re-serialized does not match."""
    reserialized = json.dumps(json.loads(V2_BYTES)).encode()
    assert json.loads(reserialized) == json.loads(V2_BYTES)
    (detail,) = details([{"id": V2, "digestSRI": sri("sha256", reserialized)}])
    assert MISMATCH in detail


# --- malformed forms ------------------------------------------------------------------------


GOOD = sri("sha256", b"x")


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ("https://example.org/a", "relatedResource must be one or more objects"),
        (42, "relatedResource must be one or more objects"),
        ([], "relatedResource must be one or more objects"),
        (None, "relatedResource must be one or more objects"),
        (["https://example.org/a"], "relatedResource[0] must be an object"),
        ([{"digestSRI": GOOD}], "relatedResource[0].id is required"),
        ([{"id": "not a url", "digestSRI": GOOD}], "relatedResource[0].id is required"),
        ([{"id": 7, "digestSRI": GOOD}], "relatedResource[0].id is required"),
        ([{"id": UNBUNDLED}], "relatedResource[0] must have a digestSRI or a digestMultibase"),
        (
            [{"id": UNBUNDLED, "digestSRI": GOOD, "mediaType": 3}],
            "relatedResource[0].mediaType",
        ),
        (
            [{"id": UNBUNDLED, "digestSRI": "md5-" + base64.b64encode(b"0" * 16).decode()}],
            "unsupported SRI algorithm 'md5'",
        ),
        (
            [{"id": UNBUNDLED, "digestSRI": sri("sha1", b"x")}],
            "unsupported SRI algorithm 'sha1'",
        ),
        ([{"id": UNBUNDLED, "digestSRI": "sha256:" + GOOD[7:]}], "not an SRI hash-expression"),
        ([{"id": UNBUNDLED, "digestSRI": "sha256-@@@@"}], "not an SRI hash-expression"),
        ([{"id": UNBUNDLED, "digestSRI": "sha256-AAAA"}], "a sha256 digest has 32 bytes, not 3"),
        ([{"id": UNBUNDLED, "digestSRI": ["sha256-"]}], "relatedResource[0].digestSRI[0]"),
        ([{"id": UNBUNDLED, "digestSRI": []}], "relatedResource[0].digestSRI must be one"),
        ([{"id": UNBUNDLED, "digestSRI": 5}], "relatedResource[0].digestSRI: must be a string"),
        (
            [{"id": UNBUNDLED, "digestMultibase": "f" + multihash("sha256", b"x").hex()}],
            "unsupported multibase prefix 'f'",
        ),
        ([{"id": UNBUNDLED, "digestMultibase": "z0OIl"}], "invalid base58btc character"),
        (
            [{"id": UNBUNDLED, "digestMultibase": multibase("sha256", b"x") + "=="}],
            "must not be padded",
        ),
        (
            [
                {
                    "id": UNBUNDLED,
                    "digestMultibase": "u"
                    + base64.urlsafe_b64encode(bytes([0x11, 20]) + hashlib.sha1(b"x").digest())
                    .rstrip(b"=")
                    .decode(),
                }
            ],
            "unsupported multihash code 0x11",
        ),
        (
            [{"id": UNBUNDLED, "digestMultibase": "z" + base58btc(multihash("sha256", b"x")[:-1])}],
            "declared 32, found 31",
        ),
        (
            [
                {
                    "id": UNBUNDLED,
                    "digestMultibase": "z" + base58btc(multihash("sha256", b"x") + b"!"),
                }
            ],
            "declared 32, found 33",
        ),
        ([{"id": UNBUNDLED, "digestMultibase": "z" + base58btc(b"\x12")}], "truncated"),
        ([{"id": UNBUNDLED, "digestMultibase": ""}], "must be a multibase string"),
        (
            [{"id": UNBUNDLED, "digestSRI": GOOD}, {"id": UNBUNDLED, "digestSRI": GOOD}],
            f"relatedResource[1].id {UNBUNDLED!r} repeats relatedResource[0].id",
        ),
    ],
)
def test_malformed_forms_fail(resources: Any, expected: str) -> None:
    found = details(resources)
    assert len(found) == 1, found
    assert expected in found[0]


def test_a_malformed_digest_of_a_bundled_context_is_reported_once() -> None:
    # a digest that does not parse is a form problem, not (also) a mismatch
    assert details([{"id": V2, "digestSRI": "sha256-AAAA"}]) == [
        "relatedResource[0].digestSRI: 'sha256-AAAA': a sha256 digest has 32 bytes, not 3"
    ]


# --- resources that are not bundled ---------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        {"id": UNBUNDLED, "digestSRI": sri("sha384", b"whatever the PDF holds")},
        {"id": UNBUNDLED, "digestMultibase": multibase("sha256", b"whatever", "z")},
        # a context URL that is not bundled: its content cannot be checked either
        {"id": "https://w3id.org/citizenship/v4rc1", "digestMultibase": multibase("sha512", b"")},
    ],
)
def test_unbundled_id_with_a_well_formed_digest_passes(item: dict[str, Any]) -> None:
    assert details([item]) == []


# --- through check_credential, signing and verification -------------------------------------


def test_check_credential_reports_related_resource_problems() -> None:
    bad = credential([{"id": V2, "digestSRI": sri("sha256", V1_BYTES)}])
    problems = check_credential(bad)
    assert [p["type"] for p in problems] == [MALFORMED_VALUE_ERROR]
    assert MISMATCH in problems[0]["detail"]
    good = credential([{"id": V2, "digestSRI": sri("sha256", V2_BYTES)}])
    assert check_credential(good) == []


def test_signing_refuses_a_wrong_digest() -> None:
    bad = credential([{"id": V2, "digestMultibase": multibase("sha384", V1_BYTES)}])
    with pytest.raises(PassportVcError) as raised:
        sign_credential(bad, ISSUER)
    assert "relatedResource[0].digestMultibase" in raised.value.detail
    assert MISMATCH in raised.value.detail
    assert raised.value.problem_type == MALFORMED_VALUE_ERROR


def test_signing_refuses_a_malformed_related_resource() -> None:
    with pytest.raises(PassportVcError, match=r"relatedResource\[0\]\.id"):
        sign_credential(credential([{"digestSRI": GOOD}]), ISSUER)


def test_correct_digests_sign_and_verify() -> None:
    good = credential(
        [
            {
                "id": V2,
                "digestSRI": sri("sha384", V2_BYTES),
                "digestMultibase": multibase("sha256", V2_BYTES, "u"),
            },
            {"id": UNBUNDLED, "mediaType": "application/pdf", "digestSRI": sri("sha256", b"pdf")},
        ]
    )
    signed = sign_credential(good, ISSUER)
    result = verify_credential(signed)
    assert result["verified"], result["problemDetails"]


def test_verification_reports_a_wrong_digest() -> None:
    # signed without the signing checks, as another issuer might
    bad = credential([{"id": V2, "digestSRI": sri("sha256", V1_BYTES)}])
    signed = add_proof(copy.deepcopy(bad), ISSUER)
    result = verify_credential(signed)
    assert result["verified"] is False
    assert [p["detail"] for p in result["problemDetails"] if MISMATCH in p["detail"]] == [
        f"relatedResource[0].digestSRI: {MISMATCH} {V2}"
    ]
