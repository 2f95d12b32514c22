"""Contracts over HTTP: creating one (and every way its terms can be wrong: 422 naming the
field), checking each party's qualifications with real signed presentations, and the signed
qualification check record the service issues with its own DID (on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import ADMIN, Hub, issue_badge
from tests.service.test_qualifications import (
    LASER_TYPE,
    SKILLS,
    add_facility,
    engine_badge,
    new_challenge,
    present,
)

from passport_vc.keys import SigningKey
from passport_vc.services.context import ServiceContext
from passport_vc.store import QualificationCheck

INSPECT_PROCESS = "https://en.wikipedia.org/wiki/Quality_control"


def revoke(client: TestClient, hub: Hub, credential_id: str) -> None:
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text


class Parties:
    """A buyer (no requirements), a manufacturer and a quality inspector, each with a key."""

    def __init__(self) -> None:
        self.buyer = SigningKey.generate()
        self.maker = SigningKey.generate()
        self.inspector = SigningKey.generate()


@pytest.fixture
def parties() -> Parties:
    return Parties()


@pytest.fixture
def workshop(ctx: ServiceContext, hub: Hub) -> str:
    return add_facility(ctx, hub.slug, equipment_type=LASER_TYPE)[0]


def terms(parties: Parties, workshop: str) -> dict[str, Any]:
    return {
        "item": {
            "name": "Solar dryer enclosure",
            "details": "40 laser-cut plywood parts",
            "okhManifest": "https://example.org/okh/solar-dryer.toml",
        },
        "totalQuantity": 50,
        "parties": [
            {"did": parties.buyer.did_key, "role": "buyer"},
            {
                "did": parties.maker.did_key,
                "role": "manufacturer",
                "allocatedQuantity": 50,
                "facility": workshop,
            },
            {"did": parties.inspector.did_key, "role": "quality-inspector"},
        ],
        "requirements": {
            "manufacturer": [
                {"skill": "LASER-CUT", "minLevel": 2},
                {"skill": SKILLS + "LASER-SAFETY", "minLevel": 1},
                {"facilityCapability": {"equipmentType": LASER_TYPE}},
            ],
            "quality-inspector": [{"skill": "QA-INSPECT", "minLevel": 3}],
        },
        "milestones": [
            {"kind": "prototype", "party": parties.maker.did_key, "due": "2026-09-01"},
            {
                "kind": "qa-approval",
                "party": parties.inspector.did_key,
                "due": "2026-09-15",
                "status": "pending",
            },
        ],
    }


def create(client: TestClient, hub: Hub, body: dict[str, Any]) -> str:
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    contract_id: str = response.json()["id"]
    return contract_id


@pytest.fixture
def contract(client: TestClient, hub: Hub, parties: Parties, workshop: str) -> str:
    return create(client, hub, terms(parties, workshop))


@pytest.fixture
def badges(client: TestClient, hub: Hub, parties: Parties) -> dict[str, list[dict[str, Any]]]:
    return {
        "maker": [
            issue_badge(client, hub, holder=parties.maker.did_key, skill="LASER-CUT", level=3),
            issue_badge(client, hub, holder=parties.maker.did_key, skill="LASER-SAFETY", level=1),
        ],
        "inspector": [
            issue_badge(client, hub, holder=parties.inspector.did_key, skill="QA-INSPECT", level=3)
        ],
    }


def run_check(
    client: TestClient,
    hub: Hub,
    contract_id: str,
    presentations: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = client.post(
        f"/contracts/{contract_id}/qualification-checks",
        json={"presentations": presentations, "options": options or {}},
        headers=hub.auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def full_presentations(
    client: TestClient, parties: Parties, badges: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    return {
        parties.maker.did_key: present(parties.maker, badges["maker"], new_challenge(client)),
        parties.inspector.did_key: present(
            parties.inspector, badges["inspector"], new_challenge(client)
        ),
    }


def party(body: dict[str, Any], did: str) -> dict[str, Any]:
    [found] = [p for p in body["parties"] if p["did"] == did]
    return found


def skill_outcome(found: dict[str, Any], code: str) -> dict[str, Any]:
    [outcome] = [r for r in found["requirements"] if r.get("skill") == SKILLS + code]
    return outcome


# --- creating and reading --------------------------------------------------------------------


def test_a_contract_is_stored_with_skills_as_uris(
    client: TestClient, hub: Hub, parties: Parties, workshop: str
) -> None:
    response = client.post("/contracts", json=terms(parties, workshop), headers=hub.auth)
    assert response.status_code == 201, response.text
    created = response.json()
    contract = created["contract"]
    assert contract["id"] == created["id"]
    assert contract["makerspace"] == hub.slug
    assert contract["status"] == "active"
    assert contract["requirements"]["manufacturer"][0] == {
        "skill": SKILLS + "LASER-CUT",
        "minLevel": 2,
    }
    assert contract["milestones"][0]["status"] == "pending"
    read = client.get(f"/contracts/{created['id']}")
    assert read.status_code == 200
    assert read.json() == {"id": created["id"], "contract": contract}
    assert client.get("/contracts/no-such-contract").status_code == 404


def test_creating_a_contract_needs_a_makerspace_key(
    client: TestClient, parties: Parties, workshop: str
) -> None:
    assert client.post("/contracts", json=terms(parties, workshop)).status_code == 401
    response = client.post("/contracts", json=terms(parties, workshop), headers=ADMIN)
    assert response.status_code == 401


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    node: Any = body
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()
MAKER = "parties[1]"

BAD_CONTRACTS: list[tuple[str, Any, str]] = [
    # (path to change, new value, the field the 422 names)
    ("item", _DELETE, "item"),
    ("item.name", "", "item.name"),
    ("item.name", 5, "item.name"),
    ("item.okhManifest", "ftp://x", "item.okhManifest"),
    ("item.colour", "red", "item.colour"),
    ("totalQuantity", 0, "totalQuantity"),
    ("totalQuantity", "50", "totalQuantity"),
    ("totalQuantity", True, "totalQuantity"),
    ("parties", [], "parties"),
    ("parties", {"did": "did:web:x.example"}, "parties"),
    (f"{MAKER}.did", "not-a-did", f"{MAKER}.did"),
    (f"{MAKER}.did", "did:web:", f"{MAKER}.did"),
    (f"{MAKER}.did", 42, f"{MAKER}.did"),
    (f"{MAKER}.role", "supplier", f"{MAKER}.role"),
    (f"{MAKER}.role", None, f"{MAKER}.role"),
    (f"{MAKER}.allocatedQuantity", 51, f"{MAKER}.allocatedQuantity"),
    (f"{MAKER}.allocatedQuantity", -1, f"{MAKER}.allocatedQuantity"),
    (f"{MAKER}.allocatedQuantity", 2.5, f"{MAKER}.allocatedQuantity"),
    (f"{MAKER}.facility", "00000000-0000-0000-0000-000000000000", f"{MAKER}.facility"),
    (f"{MAKER}.nickname", "x", f"{MAKER}.nickname"),
    ("requirements.supplier", [{"skill": "LASER-CUT", "minLevel": 1}], "requirements.supplier"),
    ("requirements.manufacturer[0].skill", "BASKET-WEAVING", "requirements.manufacturer[0].skill"),
    ("requirements.manufacturer[0].skill", None, "requirements.manufacturer[0].skill"),
    ("requirements.manufacturer[0].minLevel", 0, "requirements.manufacturer[0].minLevel"),
    ("requirements.manufacturer[0].minLevel", 5, "requirements.manufacturer[0].minLevel"),
    ("requirements.manufacturer[0].minLevel", "2", "requirements.manufacturer[0].minLevel"),
    ("requirements.manufacturer[0].minLevel", _DELETE, "requirements.manufacturer[0].minLevel"),
    (
        "requirements.manufacturer[1].skill",
        SKILLS + "LASER-CUT",
        "requirements.manufacturer[1]",
    ),
    (
        "requirements.manufacturer[2].facilityCapability",
        {"equipmentType": "https://example.org/laser"},
        "requirements.manufacturer[2].facilityCapability.equipmentType",
    ),
    (
        "requirements.manufacturer[2].facilityCapability",
        {"material": LASER_TYPE},
        "requirements.manufacturer[2].facilityCapability.material",
    ),
    (
        "requirements.manufacturer[2].facilityCapability",
        {},
        "requirements.manufacturer[2].facilityCapability",
    ),
    ("requirements.manufacturer", {"skill": "LASER-CUT"}, "requirements.manufacturer"),
    ("milestones[0].kind", "party", "milestones[0].kind"),
    ("milestones[0].party", "did:web:stranger.example", "milestones[0].party"),
    ("milestones[0].due", "1 September", "milestones[0].due"),
    ("milestones[0].due", "2026-02-30", "milestones[0].due"),
    ("milestones[0].status", "cancelled", "milestones[0].status"),
    ("milestones", "soon", "milestones"),
    ("status", "archived", "status"),
    ("extra", 1, "extra"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_CONTRACTS)
def test_bad_contracts_are_422_naming_the_field(
    client: TestClient,
    hub: Hub,
    parties: Parties,
    workshop: str,
    path: str,
    value: Any,
    field: str,
) -> None:
    body = terms(parties, workshop)
    _set(body, path, value)
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field, response.json()


def test_duplicate_parties_are_refused(
    client: TestClient, hub: Hub, parties: Parties, workshop: str
) -> None:
    body = terms(parties, workshop)
    body["parties"].append({"did": parties.maker.did_key, "role": "designer"})
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code == 422
    assert response.json()["field"] == "parties[3].did"
    assert "already a party" in response.json()["detail"]


def test_allocations_above_the_total_are_refused(
    client: TestClient, hub: Hub, parties: Parties, workshop: str
) -> None:
    body = terms(parties, workshop)
    body["parties"][1]["allocatedQuantity"] = 30
    body["parties"].append({"did": "did:web:second.example", "role": "manufacturer"})
    body["parties"][3]["allocatedQuantity"] = 21
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code == 422
    assert response.json()["field"] == "parties[3].allocatedQuantity"
    assert "51" in response.json()["detail"]


@pytest.mark.parametrize("body", [[], "contract", 5, None])
def test_a_contract_that_is_not_an_object_is_refused(
    client: TestClient, hub: Hub, body: Any
) -> None:
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code in (400, 422), response.text


# --- checking the parties ----------------------------------------------------------------------


def test_parties_meeting_every_requirement_pass_and_the_record_verifies(
    client: TestClient,
    ctx: ServiceContext,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
    workshop: str,
) -> None:
    body = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert body["passed"] is True, json.dumps(body, indent=1)
    maker = party(body, parties.maker.did_key)
    assert maker["passed"] is True and maker["role"] == "manufacturer"
    cut = skill_outcome(maker, "LASER-CUT")
    assert (cut["met"], cut["achievedLevel"]) == (True, 3)
    assert cut["badge"]["id"] == badges["maker"][0]["id"]
    assert cut["badge"]["issuer"]["id"] == hub.did
    [capability] = [r for r in maker["requirements"] if "facilityCapability" in r]
    assert capability == {
        "facilityCapability": {"equipmentType": LASER_TYPE},
        "facility": workshop,
        "met": True,
    }
    buyer = party(body, parties.buyer.did_key)  # nothing required, nothing presented
    assert (buyer["passed"], buyer["requirements"], buyer["presentation"]) == (True, [], None)

    record = body["recordCredential"]
    assert record["type"] == ["VerifiableCredential", "QualificationCheckRecord"]
    assert record["issuer"] == "did:web:hub.example"
    assert (
        record["id"]
        == f"https://hub.example/contracts/{contract}/qualification-checks/{body['checkId']}"
    )
    subject = record["credentialSubject"]
    assert subject["id"] == f"https://hub.example/contracts/{contract}"
    assert (subject["contractId"], subject["passed"]) == (contract, True)
    [recorded] = [p for p in subject["parties"] if p["id"] == parties.maker.did_key]
    assert recorded["role"] == "manufacturer"
    assert recorded["requirements"][0] == {
        "skill": SKILLS + "LASER-CUT",
        "minLevel": 2,
        "met": True,
        "achievedLevel": 3,
        "reliedOn": {"id": badges["maker"][0]["id"], "issuedBy": hub.did},
    }

    verified = client.post("/credentials/verify", json={"verifiableCredential": record})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True

    tampered = copy.deepcopy(record)
    tampered["credentialSubject"]["passed"] = False
    refused = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert refused.status_code == 400

    did_document = client.get("/.well-known/did.json")
    assert did_document.status_code == 200
    assert did_document.headers["content-type"] == "application/did+json"
    assert record["proof"]["verificationMethod"] in did_document.json()["assertionMethod"]

    latest = client.get(f"/contracts/{contract}/qualification-checks/latest")
    assert latest.status_code == 200
    assert latest.json() == body
    by_id = client.get(f"/contracts/{contract}/qualification-checks/{body['checkId']}")
    assert by_id.json() == body
    with ctx.db.session() as session:
        row = session.get(QualificationCheck, body["checkId"])
        assert row is not None
        assert (row.kind, row.contract_id, row.passed) == ("contract", contract, True)


def test_a_party_without_a_presentation_fails_all_its_requirements(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    only_maker = {
        parties.maker.did_key: present(parties.maker, badges["maker"], new_challenge(client))
    }
    body = run_check(client, hub, contract, only_maker)
    assert body["passed"] is False
    inspector = party(body, parties.inspector.did_key)
    assert inspector["passed"] is False
    assert [r["reason"] for r in inspector["requirements"]] == ["no-presentation"]
    assert party(body, parties.maker.did_key)["passed"] is True
    [recorded] = [
        p
        for p in body["recordCredential"]["credentialSubject"]["parties"]
        if p["id"] == parties.inspector.did_key
    ]
    assert recorded["requirements"][0]["reason"] == "no-presentation"
    assert recorded["presentationVerified"] is False


def test_a_badge_revoked_between_two_checks_flips_the_decision(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    first = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert first["passed"] is True
    revoke(client, hub, badges["inspector"][0]["id"])
    second = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert second["passed"] is False
    qa = skill_outcome(party(second, parties.inspector.did_key), "QA-INSPECT")
    assert (qa["met"], qa["reason"]) == (False, "revoked")
    latest = client.get(f"/contracts/{contract}/qualification-checks/latest").json()
    assert latest["checkId"] == second["checkId"]
    assert latest["recordCredential"]["credentialSubject"]["passed"] is False
    earlier = client.get(f"/contracts/{contract}/qualification-checks/{first['checkId']}")
    assert earlier.json()["passed"] is True


def test_a_replayed_presentation_is_presentation_invalid(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    presentations = full_presentations(client, parties, badges)
    assert run_check(client, hub, contract, presentations)["passed"] is True
    replay = run_check(client, hub, contract, presentations)
    assert replay["passed"] is False
    maker = party(replay, parties.maker.did_key)
    assert maker["presentation"]["verified"] is False
    assert {r["reason"] for r in maker["requirements"]} == {"presentation-invalid"}


def test_a_presentation_by_someone_else_for_a_party_is_presentation_invalid(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    """The inspector's own presentation, filed under the manufacturer's DID."""
    presentations = {
        parties.maker.did_key: present(
            parties.inspector, badges["inspector"], new_challenge(client)
        )
    }
    body = run_check(client, hub, contract, presentations)
    maker = party(body, parties.maker.did_key)
    assert {r["reason"] for r in maker["requirements"]} == {"presentation-invalid"}
    assert "not " + parties.maker.did_key in maker["presentation"]["problemDetails"][0]["detail"]


def test_a_badge_of_another_party_is_not_presenting_holder(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    """The manufacturer presents the inspector's QA badge in its own presentation for the
    inspector's requirement: the badge names the inspector, not the one presenting."""
    body = {
        "presentations": {
            parties.inspector.did_key: present(
                parties.inspector,
                [
                    issue_badge(
                        client, hub, holder=parties.maker.did_key, skill="QA-INSPECT", level=4
                    )
                ],
                new_challenge(client),
            )
        }
    }
    response = client.post(
        f"/contracts/{contract}/qualification-checks", json=body, headers=hub.auth
    )
    qa = skill_outcome(party(response.json(), parties.inspector.did_key), "QA-INSPECT")
    assert (qa["met"], qa["reason"]) == (False, "not-presenting-holder")


def test_untrusted_and_expired_badges_and_levels_too_low(
    client: TestClient,
    ctx: ServiceContext,
    hub: Hub,
    contract: str,
    parties: Parties,
) -> None:
    from datetime import timedelta

    from passport_vc.timestamps import utc_now

    remote = SigningKey.generate()
    cut = engine_badge(remote, parties.maker.did_key, ctx, skill="LASER-CUT", level=4)
    now = utc_now()
    safety = engine_badge(
        remote,
        parties.maker.did_key,
        ctx,
        skill="LASER-SAFETY",
        level=2,
        valid_from=now - timedelta(days=400),
        valid_until=now - timedelta(days=2),
    )
    qa = issue_badge(client, hub, holder=parties.inspector.did_key, skill="QA-INSPECT", level=2)

    def presentations() -> dict[str, Any]:
        return {
            parties.maker.did_key: present(parties.maker, [cut, safety], new_challenge(client)),
            parties.inspector.did_key: present(parties.inspector, [qa], new_challenge(client)),
        }

    body = run_check(client, hub, contract, presentations())
    maker = party(body, parties.maker.did_key)
    assert skill_outcome(maker, "LASER-CUT")["reason"] == "issuer-not-trusted"
    assert skill_outcome(maker, "LASER-SAFETY")["reason"] == "issuer-not-trusted"
    qa_outcome = skill_outcome(party(body, parties.inspector.did_key), "QA-INSPECT")
    assert (qa_outcome["reason"], qa_outcome["achievedLevel"]) == ("level-too-low", 2)

    added = client.post(
        "/admin/trusted-issuers", json={"did": remote.did_key, "name": "Remote"}, headers=ADMIN
    )
    assert added.status_code == 201
    body = run_check(client, hub, contract, presentations())
    maker = party(body, parties.maker.did_key)
    assert skill_outcome(maker, "LASER-CUT")["met"] is True
    assert skill_outcome(maker, "LASER-SAFETY")["reason"] == "expired"


def test_a_facility_without_the_capability_is_missing(
    client: TestClient,
    ctx: ServiceContext,
    hub: Hub,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    printers = add_facility(
        ctx,
        hub.slug,
        equipment_type="https://en.wikipedia.org/wiki/3D_printing",
        tags=(("process", INSPECT_PROCESS),),
    )[0]
    body = terms(parties, printers)
    body["requirements"]["manufacturer"].append(
        {"facilityCapability": {"process": INSPECT_PROCESS}}
    )
    contract = create(client, hub, body)
    answer = run_check(client, hub, contract, full_presentations(client, parties, badges))
    maker = party(answer, parties.maker.did_key)
    capabilities = [r for r in maker["requirements"] if "facilityCapability" in r]
    assert [(c["met"], c.get("reason")) for c in capabilities] == [
        (False, "missing"),
        (True, None),
    ]
    assert maker["passed"] is False


def test_a_check_names_unknown_parties_and_needs_the_owner(
    client: TestClient,
    hub: Hub,
    other_hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    url = f"/contracts/{contract}/qualification-checks"
    stranger = {"presentations": {"did:web:stranger.example": {}}}
    response = client.post(url, json=stranger, headers=hub.auth)
    assert response.status_code == 422
    assert response.json()["field"] == "presentations.did:web:stranger.example"
    challenges = {"options": {"challenges": {"did:web:stranger.example": "c"}}}
    response = client.post(url, json=challenges, headers=hub.auth)
    assert response.json()["field"] == "options.challenges.did:web:stranger.example"
    response = client.post(url, json={"presentations": []}, headers=hub.auth)
    assert (response.status_code, response.json()["field"]) == (422, "presentations")
    assert client.post(url, json={}).status_code == 401
    assert client.post(url, json={}, headers=other_hub.auth).status_code == 403
    missing = client.post("/contracts/nope/qualification-checks", json={}, headers=hub.auth)
    assert missing.status_code == 404
    assert client.get(f"/contracts/{contract}/qualification-checks/latest").status_code == 404


def test_challenges_given_per_party_must_match(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    challenge = new_challenge(client)
    vp = present(parties.maker, badges["maker"], challenge, domain="buyer.example")
    presentations = {parties.maker.did_key: vp}
    wrong = run_check(
        client,
        hub,
        contract,
        presentations,
        {"challenges": {parties.maker.did_key: new_challenge(client)}, "domain": "buyer.example"},
    )
    maker = party(wrong, parties.maker.did_key)
    assert {r["reason"] for r in maker["requirements"]} == {"presentation-invalid"}
    right = run_check(
        client,
        hub,
        contract,
        presentations,
        {"challenges": {parties.maker.did_key: challenge}, "domain": "buyer.example"},
    )
    assert party(right, parties.maker.did_key)["passed"] is True


def test_the_service_did_document_is_stable(client: TestClient) -> None:
    first = client.get("/.well-known/did.json").json()
    assert first["id"] == "did:web:hub.example"
    assert client.get("/.well-known/did.json").json() == first
    assert client.get("/did.json").json() == first


def test_the_service_key_is_made_once_even_when_raced(ctx: ServiceContext) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from passport_vc.services import service_identity

    with ThreadPoolExecutor(max_workers=6) as pool:
        methods = set(pool.map(lambda _: service_identity.signing_key(ctx)[1], range(12)))
    assert methods == {"did:web:hub.example#key-1"}
    assert len(service_identity.key_records(ctx)) == 1


def test_the_record_cannot_carry_undefined_terms(ctx: ServiceContext) -> None:
    from passport_vc.errors import PassportVcError
    from passport_vc.services import check_records
    from passport_vc.timestamps import utc_now

    record = check_records.build_record(
        ctx, contract_id="c", check_id="k", passed=True, parties=[], checked_at=utc_now()
    )
    assert check_records.sign_record(ctx, record)["proof"]["type"] == "DataIntegrityProof"
    record["credentialSubject"]["colour"] = "red"
    with pytest.raises(PassportVcError, match="colour"):
        check_records.sign_record(ctx, record)


def test_the_record_expires_after_the_set_days_or_with_the_first_badge_it_relied_on(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    from datetime import timedelta

    from passport_vc.timestamps import format_datetime_stamp, parse_datetime_stamp, utc_now

    record = run_check(client, hub, contract, full_presentations(client, parties, badges))[
        "recordCredential"
    ]
    checked = parse_datetime_stamp(record["validFrom"], "validFrom")
    assert parse_datetime_stamp(record["validUntil"], "validUntil") == checked + timedelta(days=30)

    # A laser-cutting badge that expires in five days: the record goes with it.
    soon = format_datetime_stamp((utc_now() + timedelta(days=5)).replace(microsecond=0))
    short = issue_badge(
        client, hub, holder=parties.maker.did_key, skill="LASER-CUT", level=3, validUntil=soon
    )
    presentations = full_presentations(
        client, parties, {**badges, "maker": [short, badges["maker"][1]]}
    )
    body = run_check(client, hub, contract, presentations)
    assert body["passed"] is True
    assert body["recordCredential"]["validUntil"] == soon
    assert (
        skill_outcome(party(body, parties.maker.did_key), "LASER-CUT")["badge"]["validUntil"]
        == soon
    )
    verified = client.post(
        "/credentials/verify", json={"verifiableCredential": body["recordCredential"]}
    )
    assert verified.status_code == 200, verified.text
