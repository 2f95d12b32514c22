"""Bad input over HTTP: every POST endpoint answers malformed or mistyped bodies with a
problem+json naming the field, never a 500 and never a partial write; tampered and garbage
credentials and presentations fail verification cleanly."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import ADMIN, HOLDER, Hub, issue_badge

from passport_vc.credentials.signing import sign_presentation
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions

PROBLEM_JSON = "application/problem+json"
V2 = "https://www.w3.org/ns/credentials/v2"
VC = {
    "@context": [V2],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:maker"},
}
BADGE = {"holder": HOLDER, "skill": "LASER-CUT", "level": 3}

# name: (path, who calls it, a body it accepts up to the point a field is wrong)
ENDPOINTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "issue": ("/credentials/issue", "hub", {"credential": VC, "options": {}}),
    "badges": ("/makerspaces/{slug}/badges", "hub", BADGE),
    "batch": ("/makerspaces/{slug}/badges/batch", "hub", {"rows": [BADGE]}),
    "verify credential": ("/credentials/verify", "anyone", {"verifiableCredential": VC}),
    "verify presentation": (
        "/presentations/verify",
        "anyone",
        {"verifiablePresentation": {}, "options": {}},
    ),
    "status": (
        "/credentials/status",
        "hub",
        {
            "credentialId": "urn:uuid:00000000-0000-0000-0000-000000000000",
            "credentialStatus": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
            },
            "status": True,
        },
    ),
    "makerspaces": ("/makerspaces", "admin", {"name": "New Lab"}),
    "trusted issuers": (
        "/admin/trusted-issuers",
        "admin",
        {"did": "did:web:trusted.example", "name": "Trusted Centre"},
    ),
    "keys retire": ("/makerspaces/{slug}/keys/retire", "hub", {"key": "key-1"}),
}


def _post(client: TestClient, hub: Hub, endpoint: str, **kwargs: Any) -> Any:
    path, who, _ = ENDPOINTS[endpoint]
    headers = {"hub": hub.auth, "admin": ADMIN, "anyone": {}}[who]
    return client.post(
        path.format(slug=hub.slug), headers={**headers, **kwargs.pop("headers", {})}, **kwargs
    )


def _snapshot(client: TestClient, hub: Hub) -> tuple[int, int, int]:
    """Stored credentials, audit events and makerspaces: any write moves one of them."""
    credentials = client.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth)
    events = client.get("/admin/audit", headers=ADMIN)
    makerspaces = client.get("/makerspaces")
    return (
        credentials.json()["total"],
        events.json()["total"],
        len(makerspaces.json()["makerspaces"]),
    )


def _assert_clean_problem(response: Any) -> dict[str, Any]:
    assert response.status_code != 500, response.text
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    assert "type" in body
    return body


def _with(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep copy of `body` with the field at `dotted` (a.b.c) set to `value`."""
    out = copy.deepcopy(body)
    node = out
    *parents, last = dotted.split(".")
    for name in parents:
        node = node.setdefault(name, {})
    node[last] = value
    return out


@pytest.mark.parametrize(
    "endpoint",
    [name for name in ENDPOINTS],
)
def test_malformed_json_is_400_problem(client: TestClient, hub: Hub, endpoint: str) -> None:
    """A body that is not JSON is 400 problem+json and writes nothing."""
    before = _snapshot(client, hub)
    response = _post(
        client,
        hub,
        endpoint,
        content=b'{"holder": "did:',
        headers={"Content-Type": "application/json"},
    )
    body = _assert_clean_problem(response)
    assert response.status_code == 400
    assert body["type"].endswith("PARSING_ERROR")
    assert _snapshot(client, hub) == before


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_malformed_json_is_a_clean_4xx_problem(client: TestClient, hub: Hub, endpoint: str) -> None:
    """Whatever its exact status, malformed JSON is a 4xx problem+json and writes nothing."""
    before = _snapshot(client, hub)
    for content in (b"{bad", b"", b'{"a": 1', b"\xff\xfe", b"{" * 5000):
        response = _post(
            client, hub, endpoint, content=content, headers={"Content-Type": "application/json"}
        )
        _assert_clean_problem(response)
    assert _snapshot(client, hub) == before


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_json_that_is_not_an_object_is_a_4xx_problem(
    client: TestClient, hub: Hub, endpoint: str
) -> None:
    """An array, number, string, null or boolean body is a 4xx problem+json, no write."""
    before = _snapshot(client, hub)
    for content in (b"[]", b"[{}]", b"5", b'"text"', b"null", b"true"):
        response = _post(
            client, hub, endpoint, content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code != 500, content
        _assert_clean_problem(response)
    assert _snapshot(client, hub) == before


# (endpoint, dotted field, wrong value, the field the problem must name)
WRONG_TYPES = [
    ("issue", "credential", 5, "credential"),
    ("issue", "credential", "a credential", "credential"),
    ("issue", "credential", [VC], "credential"),
    ("issue", "options", 5, "options"),
    ("issue", "options.credentialId", 5, "options.credentialId"),
    ("issue", "options.statusPurposes", "revocation", "options.statusPurposes"),
    ("issue", "options.statusPurposes", ["bogus"], "options.statusPurposes[0]"),
    ("badges", "holder", 5, "holder"),
    ("badges", "holder", [HOLDER], "holder"),
    ("badges", "holder", "", "holder"),
    ("badges", "holderName", 5, "holderName"),
    ("badges", "skill", 5, "skill"),
    ("badges", "skill", {"code": "LASER-CUT"}, "skill"),
    ("badges", "level", "three", "level"),
    ("badges", "level", 2.5, "level"),
    ("badges", "level", True, "level"),
    ("badges", "level", [3], "level"),
    ("badges", "evidence", 5, "evidence[0]"),
    ("badges", "evidence", [{"narrative": 5}], "evidence[0].narrative"),
    ("badges", "validUntil", 5, "validUntil"),
    ("badges", "validUntil", {"date": "2030-01-01"}, "validUntil"),
    ("badges", "scope", 5, "scope"),
    ("badges", "scope", ["skill"], "scope"),
    ("badges", "scope", "everything", "scope"),
    pytest.param("badges", "scope", False, "scope"),
    pytest.param("badges", "scope", 0, "scope"),
    pytest.param("badges", "scope", [], "scope"),
    ("badges", "favouriteColour", "green", "favouriteColour"),
    ("batch", "rows", 5, "rows"),
    ("batch", "rows", "holder,skill,level", "rows"),
    ("batch", "rows", {"0": BADGE}, "rows"),
    ("verify credential", "options", 5, "options"),
    ("verify credential", "options.returnCredential", "maybe", "options.returnCredential"),
    ("verify presentation", "options", "strict", "options"),
    ("verify presentation", "options.challenge", 5, "options.challenge"),
    ("verify presentation", "options.challenge", "c" * 300, "options.challenge"),
    ("verify presentation", "options.returnPresentation", "maybe", "options.returnPresentation"),
    pytest.param("verify presentation", "options.domain", 5, "options.domain"),
    ("status", "credentialId", 5, "credentialId"),
    ("status", "credentialId", "x" * 2001, "credentialId"),
    ("status", "status", "maybe", "status"),
    ("status", "status", None, "status"),
    ("status", "credentialStatus.type", "StatusList2021Entry", "credentialStatus.type"),
    pytest.param("status", "credentialStatus", 5, "credentialStatus"),
    pytest.param(
        "status",
        "credentialStatus.statusPurpose",
        5,
        "credentialStatus.statusPurpose",
    ),
    pytest.param("status", "credentialStatus.type", 5, "credentialStatus.type"),
    ("makerspaces", "name", 5, "name"),
    ("makerspaces", "name", "", "name"),
    ("makerspaces", "slug", 5, "slug"),
    ("makerspaces", "slug", "Not A Slug", "slug"),
    ("makerspaces", "didMethod", "peer", "didMethod"),
    ("makerspaces", "didMethod", 5, "didMethod"),
    ("makerspaces", "url", 5, "url"),
    ("makerspaces", "url", "javascript:alert(1)", "url"),
    ("makerspaces", "email", 5, "email"),
    ("makerspaces", "email", "not-an-address", "email"),
    ("makerspaces", "location", 5, "location"),
    ("makerspaces", "facilityUrl", 5, "facilityUrl"),
    pytest.param("makerspaces", "facilityUrl", "ftp://x", "facilityUrl"),
    ("makerspaces", "apiKey", "pvc_mine", "apiKey"),
    ("trusted issuers", "did", 5, "did"),
    ("trusted issuers", "did", "not-a-did", "did"),
    ("trusted issuers", "name", 5, "name"),
    ("trusted issuers", "name", "", "name"),
    ("keys retire", "key", 5, "key"),
    ("keys retire", "key", ["key-1"], "key"),
    ("keys retire", "key", None, "key"),
]


def _case_id(case: Any) -> str:
    values = case.values if hasattr(case, "values") else case
    endpoint, field, value, _ = values
    return f"{endpoint}:{field}={value!r}"[:60]


@pytest.mark.parametrize(
    ("endpoint", "field", "value", "expected"), WRONG_TYPES, ids=[_case_id(c) for c in WRONG_TYPES]
)
def test_a_field_of_the_wrong_type_is_422_naming_it(
    client: TestClient, hub: Hub, endpoint: str, field: str, value: Any, expected: str
) -> None:
    """Each mistyped or invalid field is 422 problem+json whose `field` names it, with no
    write."""
    before = _snapshot(client, hub)
    body = _with(ENDPOINTS[endpoint][2], field, value)
    response = _post(client, hub, endpoint, json=body)
    problem = _assert_clean_problem(response)
    assert response.status_code == 422, response.text
    assert problem["field"] == expected, problem
    assert _snapshot(client, hub) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("@context", 5),
        ("@context", ["https://unknown.example/context"]),
        ("type", 5),
        ("type", ["SomethingElse"]),
        ("credentialSubject", 5),
        ("validFrom", 5),
        ("validFrom", "yesterday"),
        ("validUntil", "2000-01-01"),
        ("id", 5),
        ("id", "not a url"),
        ("name", 5),
        ("credentialStatus", 5),
    ],
)
def test_a_wrong_credential_property_is_422_naming_it(
    client: TestClient, hub: Hub, field: str, value: Any
) -> None:
    """A mistyped property inside the credential to issue is 422 naming the credential and
    the property, with no write."""
    before = _snapshot(client, hub)
    response = _post(client, hub, "issue", json={"credential": {**VC, field: value}})
    problem = _assert_clean_problem(response)
    assert response.status_code == 422, response.text
    assert problem["field"].startswith("credential")
    assert field in problem["detail"] or field in problem["field"], problem
    assert _snapshot(client, hub) == before


def test_batch_rows_of_the_wrong_type_fail_row_by_row(client: TestClient, hub: Hub) -> None:
    """In a batch, each mistyped row fails with its field while the good rows are issued."""
    rows: list[Any] = [
        BADGE,
        5,
        {**BADGE, "holder": 5},
        {**BADGE, "level": "three"},
        {**BADGE, "skill": ["LASER-CUT"]},
        {**BADGE, "validUntil": 5},
        {**BADGE, "extra": 1},
        None,
    ]
    response = _post(client, hub, "batch", json={"rows": rows})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["issued"], body["failed"]) == (8, 1, 7)
    fields = [r.get("field") for r in body["results"]]
    assert fields == [None, "(body)", "holder", "level", "skill", "validUntil", "extra", "(body)"]
    total = client.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth).json()["total"]
    assert total == 1


# --- verification of tampered and garbage input ------------------------------------------


def test_a_tampered_badge_fails_verification(client: TestClient, hub: Hub) -> None:
    """A badge whose level was raised after signing is 400 verified false, with a proof
    problem."""
    badge = issue_badge(client, hub, level=2)
    tampered = copy.deepcopy(badge)
    result = tampered["credentialSubject"]["result"][0]
    result["achievedLevel"] = result["achievedLevel"].replace("/2", "/4")
    assert result["achievedLevel"].endswith("/levels/4")
    response = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["verified"] is False
    kinds = {p["type"].rsplit("#", 1)[-1] for p in body["problemDetails"]}
    assert kinds & {"PROOF_VERIFICATION_ERROR", "CRYPTOGRAPHIC_SECURITY_ERROR"}, kinds
    honest = client.post("/credentials/verify", json={"verifiableCredential": badge})
    assert honest.status_code == 200, honest.text


@pytest.mark.parametrize(
    "garbage",
    [
        5,
        "a credential",
        [1, 2],
        None,
        {},
        {"proof": 5},
        {"@context": 5, "proof": {}},
        {**VC, "proof": {"type": "DataIntegrityProof", "proofValue": 5}},
        {**VC, "issuer": "did:web:unknown.invalid", "proof": {"verificationMethod": 5}},
    ],
)
def test_garbage_credentials_fail_verification_cleanly(client: TestClient, garbage: Any) -> None:
    """Garbage in verifiableCredential is 400 verified false (or 422), never a 500."""
    response = client.post("/credentials/verify", json={"verifiableCredential": garbage})
    assert response.status_code in (400, 422), response.text
    if response.status_code == 400:
        assert response.json()["verified"] is False
        assert response.json()["problemDetails"]


@pytest.mark.parametrize(
    "garbage",
    [5, "a presentation", [1], {}, {"@context": 5}, {"type": ["VerifiablePresentation"]}],
)
def test_garbage_presentations_fail_verification_cleanly(client: TestClient, garbage: Any) -> None:
    """Garbage in verifiablePresentation is 400 verified false (or 422), never a 500."""
    response = client.post("/presentations/verify", json={"verifiablePresentation": garbage})
    assert response.status_code in (400, 422), response.text
    if response.status_code == 400:
        assert response.json()["verified"] is False


# --- presentations with challenges -------------------------------------------------------

DOMAIN = "employer.example"
Presenter = Callable[..., dict[str, Any]]


@pytest.fixture
def holder_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def present(client: TestClient, hub: Hub, holder_key: SigningKey) -> Presenter:
    """Signs a presentation of a fresh badge issued to the holder's did:key."""
    badge = issue_badge(client, hub, holder=holder_key.did_key)

    def make(challenge: str, domain: str = DOMAIN, key: SigningKey = holder_key) -> dict[str, Any]:
        presentation = {
            "@context": [V2],
            "type": ["VerifiablePresentation"],
            "holder": key.did_key,
            "verifiableCredential": [badge],
        }
        return sign_presentation(
            presentation, key, ProofOptions(challenge=challenge, domain=domain)
        )

    return make


def _challenge(client: TestClient) -> str:
    response = client.post("/challenges")
    assert response.status_code == 201, response.text
    assert response.json()["expiresIn"] > 0
    value: str = response.json()["challenge"]
    return value


def _verify_vp(
    client: TestClient, vp: dict[str, Any], challenge: str | None, domain: str | None = DOMAIN
) -> Any:
    options = {k: v for k, v in (("challenge", challenge), ("domain", domain)) if v is not None}
    return client.post(
        "/presentations/verify", json={"verifiablePresentation": vp, "options": options}
    )


def _problem_types(response: Any) -> set[str]:
    return {p["type"].rsplit("#", 1)[-1] for p in response.json()["problemDetails"]}


def test_a_presentation_with_a_fresh_challenge_verifies_once(
    client: TestClient, present: Presenter
) -> None:
    """A holder-signed presentation with a challenge from POST /challenges verifies once; the
    same presentation again is refused as a replay."""
    challenge = _challenge(client)
    vp = present(challenge)
    first = _verify_vp(client, vp, challenge)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["verified"] is True
    [credential] = body["results"]["credentials"]
    assert credential["verified"] is True
    assert credential["holderIsSubject"] is True
    replay = _verify_vp(client, vp, challenge)
    assert replay.status_code == 400, replay.text
    assert replay.json()["verified"] is False
    assert "INVALID_CHALLENGE_ERROR" in _problem_types(replay)


def test_a_presentation_replayed_without_options_is_refused(
    client: TestClient, present: Presenter
) -> None:
    """A used challenge inside the proof is refused even when the request names no challenge."""
    challenge = _challenge(client)
    vp = present(challenge)
    assert _verify_vp(client, vp, challenge).status_code == 200
    replay = client.post("/presentations/verify", json={"verifiablePresentation": vp})
    assert replay.status_code == 400, replay.text


def test_a_presentation_with_a_made_up_challenge_is_refused(
    client: TestClient, present: Presenter
) -> None:
    """A challenge this service never issued is refused."""
    vp = present("a-challenge-nobody-issued")
    response = _verify_vp(client, vp, "a-challenge-nobody-issued")
    assert response.status_code == 400, response.text
    assert "INVALID_CHALLENGE_ERROR" in _problem_types(response)


def test_a_presentation_for_another_challenge_is_refused(
    client: TestClient, present: Presenter
) -> None:
    """A proof over one challenge does not satisfy a request for another fresh challenge."""
    vp = present(_challenge(client))
    response = _verify_vp(client, vp, _challenge(client))
    assert response.status_code == 400, response.text
    assert "INVALID_CHALLENGE_ERROR" in _problem_types(response)


def test_a_presentation_for_another_domain_is_refused(
    client: TestClient, present: Presenter
) -> None:
    """A verifier expecting another domain refuses the presentation."""
    challenge = _challenge(client)
    vp = present(challenge, domain=DOMAIN)
    response = _verify_vp(client, vp, challenge, domain="other-employer.example")
    assert response.status_code == 400, response.text
    assert "INVALID_DOMAIN_ERROR" in _problem_types(response)


def test_a_presentation_tampered_after_signing_is_refused(
    client: TestClient, present: Presenter
) -> None:
    """Changing the presentation after the holder signed it breaks its proof."""
    challenge = _challenge(client)
    vp = present(challenge)
    vp["holder"] = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    response = _verify_vp(client, vp, challenge)
    assert response.status_code == 400, response.text
    assert response.json()["verified"] is False


def test_a_presentation_by_someone_else_reports_the_holder_is_not_the_subject(
    client: TestClient, present: Presenter
) -> None:
    """Presenting another person's badge with one's own key says holderIsSubject false."""
    challenge = _challenge(client)
    vp = present(challenge, key=SigningKey.generate())
    response = _verify_vp(client, vp, challenge)
    [credential] = response.json()["results"]["credentials"]
    assert credential["holderIsSubject"] is False
