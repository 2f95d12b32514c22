"""Machine authorisation checks over HTTP, with real signed presentations, and the evaluation
they share with contract checks: each reason a requirement is not met, the choice between
several badges for one skill, who may add operators, and status lists read from a cached copy
while their host is down (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.service.conftest import ADMIN, Hub, issue_badge

from passport_vc.credentials.openbadges import IssuerProfile, build_skill_badge
from passport_vc.credentials.signing import sign_credential, sign_presentation
from passport_vc.errors import DidResolutionError
from passport_vc.keys import SigningKey
from passport_vc.proofs.data_integrity import ProofOptions
from passport_vc.services.context import ServiceContext
from passport_vc.services.verification import Verifier
from passport_vc.status.bitstring import BitstringStatusList
from passport_vc.status.entry import build_status_entry
from passport_vc.status.list_credential import build_status_list_credential
from passport_vc.store import (
    Equipment,
    EquipmentOperator,
    Facility,
    FacilityTag,
    Makerspace,
    QualificationCheck,
    StatusListCopy,
)
from passport_vc.timestamps import utc_now

V2 = "https://www.w3.org/ns/credentials/v2"
SKILLS = "https://passport-vc.org/skills/"
LASER_TYPE = "https://en.wikipedia.org/wiki/Laser_cutting"
LASER_RULES = [
    {"skill": SKILLS + "LASER-SAFETY", "minLevel": 1},
    {"skill": "LASER-CUT", "minLevel": 2},
]
REMOTE_LIST = "https://status.remote.example/lists/1"


# --- helpers shared with test_contracts.py ---------------------------------------------------


def new_challenge(client: TestClient) -> str:
    response = client.post("/challenges")
    assert response.status_code == 201, response.text
    value: str = response.json()["challenge"]
    return value


def present(
    key: SigningKey, credentials: list[dict[str, Any]], challenge: str, domain: str | None = None
) -> dict[str, Any]:
    """A presentation of `credentials` signed by `key`'s did:key over `challenge`."""
    presentation = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": key.did_key,
        "verifiableCredential": credentials,
    }
    return sign_presentation(presentation, key, ProofOptions(challenge=challenge, domain=domain))


def engine_badge(
    issuer: SigningKey,
    holder: str,
    ctx: ServiceContext,
    *,
    skill: str = "LASER-CUT",
    level: int = 3,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A badge signed with the engine by a did:key issuer (not a makerspace of the service)."""
    badge = build_skill_badge(
        issuer=IssuerProfile(id=issuer.did_key, name="Remote Fablab"),
        holder_did=holder,
        skill=ctx.taxonomy.skill(skill),
        level=level,
        taxonomy=ctx.taxonomy,
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if status is not None:
        badge["credentialStatus"] = status
    return sign_credential(badge, issuer)


def makerspace_id(ctx: ServiceContext, slug: str) -> int:
    with ctx.db.session() as session:
        found = session.execute(select(Makerspace).where(Makerspace.slug == slug)).scalar_one()
        assert found.id is not None
        return found.id


def add_facility(
    ctx: ServiceContext,
    owner_slug: str,
    *,
    equipment_type: str = LASER_TYPE,
    skills_required: list[dict[str, Any]] | None = None,
    tags: tuple[tuple[str, str], ...] = (),
) -> tuple[str, str]:
    """A facility of `owner_slug` with one machine, written straight into the tables (the
    OKW import is another module's business); (facility id, equipment id)."""
    facility_id, equipment_id = str(uuid.uuid4()), str(uuid.uuid4())
    now = utc_now()
    with ctx.db.session(write=True) as session:
        session.add(
            Facility(
                id=facility_id,
                makerspace_id=makerspace_id(ctx, owner_slug),
                name=f"Workshop {facility_id[:8]}",
                record="{}",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        for kind, value in tags:
            session.add(FacilityTag(facility_id=facility_id, kind=kind, value=value))
        session.add(
            Equipment(
                id=equipment_id,
                facility_id=facility_id,
                equipment_type=equipment_type,
                manufacturing_process=equipment_type,
                record="{}",
                skills_required=json.dumps(
                    LASER_RULES if skills_required is None else skills_required
                ),
            )
        )
    return facility_id, equipment_id


def by_skill(requirements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["skillCode"]: r for r in requirements}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def maker() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def machine(ctx: ServiceContext, hub: Hub) -> str:
    return add_facility(ctx, hub.slug)[1]


@pytest.fixture
def laser_badges(client: TestClient, hub: Hub, maker: SigningKey) -> list[dict[str, Any]]:
    return [
        issue_badge(client, hub, holder=maker.did_key, skill="LASER-SAFETY", level=2),
        issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=3),
    ]


def check(
    client: TestClient,
    equipment_id: str,
    vp: dict[str, Any],
    challenge: str,
    *,
    headers: dict[str, str] | None = None,
    add: bool | None = None,
    domain: str | None = None,
) -> Any:
    options: dict[str, Any] = {"challenge": challenge}
    if add is not None:
        options["addOperator"] = add
    if domain is not None:
        options["domain"] = domain
    return client.post(
        f"/equipment/{equipment_id}/authorisations/check",
        json={"verifiablePresentation": vp, "options": options},
        headers=headers or {},
    )


def checked(client: TestClient, equipment_id: str, vp: dict[str, Any], challenge: str) -> Any:
    response = check(client, equipment_id, vp, challenge)
    assert response.status_code == 201, response.text
    return response.json()


def operators(ctx: ServiceContext, equipment_id: str) -> list[EquipmentOperator]:
    with ctx.db.session() as session:
        return list(
            session.execute(
                select(EquipmentOperator).where(EquipmentOperator.equipment_id == equipment_id)
            ).scalars()
        )


# --- meeting the requirements ---------------------------------------------------------------


def test_a_holder_with_every_skill_passes_and_the_check_is_stored(
    client: TestClient,
    ctx: ServiceContext,
    machine: str,
    maker: SigningKey,
    laser_badges: list[dict[str, Any]],
    hub: Hub,
) -> None:
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, laser_badges, challenge), challenge)
    assert body["passed"] is True
    assert body["holder"] == maker.did_key
    assert body["equipment"]["id"] == machine
    assert body["presentation"]["verified"] is True
    found = by_skill(body["requirements"])
    assert found["LASER-CUT"] == {
        "skill": SKILLS + "LASER-CUT",
        "minLevel": 2,
        "met": True,
        "skillCode": "LASER-CUT",
        "skillLabel": "Laser cutting",
        "achievedLevel": 3,
        "badge": {
            "id": laser_badges[1]["id"],
            "issuer": {
                "id": hub.did,
                "name": "Fablab Cotonou",
                "registered": True,
                "trusted": True,
            },
            "validUntil": laser_badges[1].get("validUntil"),
        },
    }
    assert found["LASER-SAFETY"]["met"] is True
    assert found["LASER-SAFETY"]["achievedLevel"] == 2
    assert body["operatorAdded"] is False and operators(ctx, machine) == []

    stored = client.get(f"/equipment/{machine}/authorisations/{body['checkId']}")
    assert stored.status_code == 200, stored.text
    assert stored.json() == body
    with ctx.db.session() as session:
        row = session.get(QualificationCheck, body["checkId"])
        assert row is not None and row.kind == "equipment" and row.passed is True
    assert client.get(f"/equipment/{machine}/authorisations/{uuid.uuid4()}").status_code == 404


def test_a_missing_skill_and_a_level_too_low_fail_and_say_why(
    client: TestClient, ctx: ServiceContext, hub: Hub, maker: SigningKey
) -> None:
    _, machine = add_facility(
        ctx,
        hub.slug,
        skills_required=[
            {"skill": SKILLS + "LASER-CUT", "minLevel": 4},
            {"skill": SKILLS + "WELD-TIG", "minLevel": 1},
        ],
    )
    badge = issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=3)
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, [badge], challenge), challenge)
    assert body["passed"] is False
    found = by_skill(body["requirements"])
    assert found["LASER-CUT"]["met"] is False
    assert found["LASER-CUT"]["reason"] == "level-too-low"
    assert found["LASER-CUT"]["achievedLevel"] == 3
    assert "level 4 is required" in found["LASER-CUT"]["detail"]
    assert found["WELD-TIG"]["reason"] == "missing"
    assert "badge" not in found["WELD-TIG"]


def test_a_badge_revoked_between_two_checks_flips_the_decision(
    client: TestClient,
    machine: str,
    maker: SigningKey,
    hub: Hub,
    laser_badges: list[dict[str, Any]],
) -> None:
    first = new_challenge(client)
    assert checked(client, machine, present(maker, laser_badges, first), first)["passed"] is True
    revoked = client.post(
        "/credentials/status",
        json={
            "credentialId": laser_badges[1]["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
            "status": True,
        },
        headers=hub.auth,
    )
    assert revoked.status_code == 200, revoked.text
    second = new_challenge(client)
    body = checked(client, machine, present(maker, laser_badges, second), second)
    assert body["passed"] is False
    cut = by_skill(body["requirements"])["LASER-CUT"]
    assert (cut["met"], cut["reason"], cut["badge"]["id"]) == (
        False,
        "revoked",
        laser_badges[1]["id"],
    )
    assert by_skill(body["requirements"])["LASER-SAFETY"]["met"] is True


def test_a_suspended_badge_is_suspended(
    client: TestClient,
    machine: str,
    maker: SigningKey,
    hub: Hub,
    laser_badges: list[dict[str, Any]],
) -> None:
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": laser_badges[0]["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
            "status": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, laser_badges, challenge), challenge)
    assert by_skill(body["requirements"])["LASER-SAFETY"]["reason"] == "suspended"


# --- the presentation itself ----------------------------------------------------------------


def test_a_replayed_presentation_fails_every_requirement(
    client: TestClient, machine: str, maker: SigningKey, laser_badges: list[dict[str, Any]]
) -> None:
    challenge = new_challenge(client)
    vp = present(maker, laser_badges, challenge)
    assert checked(client, machine, vp, challenge)["passed"] is True
    replay = checked(client, machine, vp, challenge)
    assert replay["passed"] is False
    assert replay["presentation"]["verified"] is False
    assert {r["reason"] for r in replay["requirements"]} == {"presentation-invalid"}
    assert "challenge" in replay["requirements"][0]["detail"]


@pytest.mark.parametrize("flaw", ["made-up challenge", "wrong domain", "forged proof"])
def test_a_presentation_that_does_not_stand_fails_every_requirement(
    client: TestClient,
    machine: str,
    maker: SigningKey,
    laser_badges: list[dict[str, Any]],
    flaw: str,
) -> None:
    challenge = new_challenge(client)
    if flaw == "made-up challenge":
        challenge = "a-challenge-nobody-issued"
        response = check(client, machine, present(maker, laser_badges, challenge), challenge)
    elif flaw == "wrong domain":
        vp = present(maker, laser_badges, challenge, domain="fablab.example")
        response = check(client, machine, vp, challenge, domain="other.example")
    else:
        vp = present(maker, laser_badges, challenge)
        vp["holder"] = SigningKey.generate().did_key
        response = check(client, machine, vp, challenge)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["passed"] is False
    assert {r["reason"] for r in body["requirements"]} == {"presentation-invalid"}


def test_a_badge_of_another_holder_is_not_presenting_holder(
    client: TestClient, machine: str, maker: SigningKey, hub: Hub
) -> None:
    """Holder A presents, in A's own signed presentation, a badge issued to holder B."""
    other = SigningKey.generate()
    mine = issue_badge(client, hub, holder=maker.did_key, skill="LASER-SAFETY", level=1)
    theirs = issue_badge(client, hub, holder=other.did_key, skill="LASER-CUT", level=4)
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, [mine, theirs], challenge), challenge)
    assert body["presentation"]["verified"] is True
    cut = by_skill(body["requirements"])["LASER-CUT"]
    assert (cut["met"], cut["reason"]) == (False, "not-presenting-holder")
    assert other.did_key in cut["detail"]
    assert body["passed"] is False


def test_a_badge_with_a_forged_level_is_invalid_proof(
    client: TestClient, machine: str, maker: SigningKey, laser_badges: list[dict[str, Any]]
) -> None:
    forged = json.loads(json.dumps(laser_badges[1]))
    forged["credentialSubject"]["result"][0]["achievedLevel"] = SKILLS + "levels/4"
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, [laser_badges[0], forged], challenge), challenge)
    cut = by_skill(body["requirements"])["LASER-CUT"]
    assert (cut["met"], cut["reason"]) == (False, "invalid-proof")


# --- issuers and validity -------------------------------------------------------------------


def test_an_unregistered_issuer_is_trusted_only_after_the_admin_adds_it(
    client: TestClient, ctx: ServiceContext, machine: str, maker: SigningKey, hub: Hub
) -> None:
    remote = SigningKey.generate()
    safety = issue_badge(client, hub, holder=maker.did_key, skill="LASER-SAFETY", level=1)
    cut = engine_badge(remote, maker.did_key, ctx, level=3)
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, [safety, cut], challenge), challenge)
    found = by_skill(body["requirements"])["LASER-CUT"]
    assert (found["met"], found["reason"]) == (False, "issuer-not-trusted")
    assert found["badge"]["issuer"] == {
        "id": remote.did_key,
        "name": None,
        "registered": False,
        "trusted": False,
    }

    added = client.post(
        "/admin/trusted-issuers",
        json={"did": remote.did_key, "name": "Remote Fablab"},
        headers=ADMIN,
    )
    assert added.status_code == 201, added.text
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, [safety, cut], challenge), challenge)
    assert body["passed"] is True
    found = by_skill(body["requirements"])["LASER-CUT"]
    assert found["badge"]["issuer"]["trusted"] is True
    assert found["badge"]["issuer"]["registered"] is False


@pytest.mark.parametrize(
    ("reason", "valid_from", "valid_until"),
    [
        ("expired", timedelta(days=-400), timedelta(days=-1)),
        ("not-yet-valid", timedelta(days=30), timedelta(days=400)),
    ],
)
def test_a_badge_outside_its_validity_period_says_which_side(
    client: TestClient,
    ctx: ServiceContext,
    machine: str,
    maker: SigningKey,
    hub: Hub,
    reason: str,
    valid_from: timedelta,
    valid_until: timedelta,
) -> None:
    remote = SigningKey.generate()
    trusted = client.post(
        "/admin/trusted-issuers", json={"did": remote.did_key, "name": "Remote"}, headers=ADMIN
    )
    assert trusted.status_code == 201
    now = utc_now()
    badge = engine_badge(
        remote, maker.did_key, ctx, valid_from=now + valid_from, valid_until=now + valid_until
    )
    safety = issue_badge(client, hub, holder=maker.did_key, skill="LASER-SAFETY", level=1)
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, [safety, badge], challenge), challenge)
    found = by_skill(body["requirements"])["LASER-CUT"]
    assert (found["met"], found["reason"]) == (False, reason)
    assert body["passed"] is False


def test_among_several_badges_the_best_valid_one_is_relied_on(
    client: TestClient, ctx: ServiceContext, hub: Hub, maker: SigningKey
) -> None:
    _, machine = add_facility(
        ctx, hub.slug, skills_required=[{"skill": "LASER-CUT", "minLevel": 2}]
    )
    low = issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=2)
    high = issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=3)
    top = issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=4)
    untrusted = engine_badge(SigningKey.generate(), maker.did_key, ctx, level=4)
    for badge in (top,):
        response = client.post(
            "/credentials/status",
            json={
                "credentialId": badge["id"],
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                },
                "status": True,
            },
            headers=hub.auth,
        )
        assert response.status_code == 200
    challenge = new_challenge(client)
    vp = present(maker, [top, untrusted, low, high], challenge)
    [found] = checked(client, machine, vp, challenge)["requirements"]
    assert (found["met"], found["achievedLevel"], found["badge"]["id"]) == (True, 3, high["id"])

    # None valid: the most useful failure wins (a good badge at too low a level, here).
    _, strict = add_facility(ctx, hub.slug, skills_required=[{"skill": "LASER-CUT", "minLevel": 4}])
    challenge = new_challenge(client)
    vp = present(maker, [top, untrusted, low], challenge)
    [found] = checked(client, strict, vp, challenge)["requirements"]
    assert (found["reason"], found["achievedLevel"]) == ("level-too-low", 2)

    challenge = new_challenge(client)
    [found] = checked(client, strict, present(maker, [untrusted, top], challenge), challenge)[
        "requirements"
    ]
    assert found["reason"] == "revoked"


# --- operators ------------------------------------------------------------------------------


def test_only_the_owning_makerspace_adds_operators(
    client: TestClient,
    ctx: ServiceContext,
    machine: str,
    maker: SigningKey,
    hub: Hub,
    other_hub: Hub,
    laser_badges: list[dict[str, Any]],
) -> None:
    # Anyone may check; a check without addOperator adds nobody, even by the owner.
    challenge = new_challenge(client)
    response = check(
        client, machine, present(maker, laser_badges, challenge), challenge, headers=hub.auth
    )
    assert response.status_code == 201 and response.json()["operatorAdded"] is False
    assert operators(ctx, machine) == []

    # Asked by no one or by another makerspace: refused before the challenge is spent.
    challenge = new_challenge(client)
    vp = present(maker, laser_badges, challenge)
    anonymous = check(client, machine, vp, challenge, add=True)
    assert anonymous.status_code == 401, anonymous.text
    foreign = check(client, machine, vp, challenge, add=True, headers=other_hub.auth)
    assert foreign.status_code == 403, foreign.text
    assert foreign.json()["field"] == "options.addOperator"
    assert operators(ctx, machine) == []

    # Asked by the owner: the holder becomes an operator, justified by the check.
    owner = check(client, machine, vp, challenge, add=True, headers=hub.auth)
    assert owner.status_code == 201, owner.text
    body = owner.json()
    assert body["passed"] is True and body["operatorAdded"] is True
    assert body["alreadyOperator"] is False
    [row] = operators(ctx, machine)
    assert (row.holder, row.check_id) == (maker.did_key, body["checkId"])

    # Again: still one row.
    challenge = new_challenge(client)
    again = check(
        client,
        machine,
        present(maker, laser_badges, challenge),
        challenge,
        add=True,
        headers=hub.auth,
    )
    assert again.json()["alreadyOperator"] is True
    assert len(operators(ctx, machine)) == 1


def test_a_failed_check_adds_no_operator(
    client: TestClient, ctx: ServiceContext, machine: str, maker: SigningKey, hub: Hub
) -> None:
    badge = issue_badge(client, hub, holder=maker.did_key, skill="LASER-CUT", level=1)
    challenge = new_challenge(client)
    response = check(
        client, machine, present(maker, [badge], challenge), challenge, add=True, headers=hub.auth
    )
    assert response.status_code == 201, response.text
    assert response.json()["passed"] is False and response.json()["operatorAdded"] is False
    assert operators(ctx, machine) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"verifiablePresentation": {}}, "options"),
        ({"verifiablePresentation": {}, "options": {}}, "options"),  # missing: its parent
        ({"verifiablePresentation": {}, "options": {"challenge": ""}}, "options.challenge"),
        (
            {"verifiablePresentation": {}, "options": {"challenge": "c", "addOperator": "maybe"}},
            "options.addOperator",
        ),
        (
            {"verifiablePresentation": {}, "options": {"challenge": "c", "extra": 1}},
            "options.extra",
        ),
        ({"verifiablePresentation": None, "options": {"challenge": "c"}}, "verifiablePresentation"),
        ({"options": {"challenge": "c"}}, "verifiablePresentation"),
    ],
)
def test_bad_authorisation_requests_name_the_field(
    client: TestClient, machine: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/equipment/{machine}/authorisations/check", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_an_unknown_machine_is_404(client: TestClient) -> None:
    response = client.post(
        f"/equipment/{uuid.uuid4()}/authorisations/check",
        json={"verifiablePresentation": {}, "options": {"challenge": "c"}},
    )
    assert response.status_code == 404, response.text


# --- remote status lists while the network is down -------------------------------------------


@dataclass
class FakeFetcher:
    """Serves remote documents from memory; `down` makes every fetch fail like a dead host."""

    documents: dict[str, bytes] = field(default_factory=dict)
    down: bool = False
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        self.calls.append(url)
        if self.down or url not in self.documents:
            raise DidResolutionError(f"{url}: connection refused")
        return self.documents[url]


@dataclass
class RemoteIssuer:
    key: SigningKey
    bits: BitstringStatusList
    fetcher: FakeFetcher

    def publish(self) -> None:
        unsigned = build_status_list_credential(
            list_url=REMOTE_LIST,
            issuer=self.key.did_key,
            purpose="revocation",
            status_list=self.bits,
        )
        signed = sign_credential(unsigned, self.key)
        self.fetcher.documents[REMOTE_LIST] = json.dumps(signed).encode()

    def badge(self, ctx: ServiceContext, holder: str, index: int = 7) -> dict[str, Any]:
        entry = build_status_entry(list_url=REMOTE_LIST, index=index, purpose="revocation")
        return engine_badge(self.key, holder, ctx, status=entry)


@pytest.fixture
def remote(ctx: ServiceContext) -> RemoteIssuer:
    issuer = RemoteIssuer(SigningKey.generate(), BitstringStatusList(131_072), FakeFetcher())
    issuer.publish()
    return issuer


def _age_copy(ctx: ServiceContext, by: timedelta) -> None:
    with ctx.db.session(write=True) as session:
        session.execute(
            update(StatusListCopy)
            .where(StatusListCopy.url == REMOTE_LIST)
            .values(fetched_at=utc_now() - by)
        )


def _copy(ctx: ServiceContext) -> StatusListCopy | None:
    with ctx.db.session() as session:
        return session.get(StatusListCopy, REMOTE_LIST)


def test_a_fetched_remote_list_is_kept_and_stands_in_while_its_host_is_down(
    ctx: ServiceContext, remote: RemoteIssuer, maker: SigningKey
) -> None:
    verifier = Verifier(ctx, status_fetcher=remote.fetcher)
    badge = remote.badge(ctx, maker.did_key)
    online = verifier.verify_credential(badge)
    assert online["verified"] is True, online["problemDetails"]
    assert online["warnings"] == []
    kept = _copy(ctx)
    assert kept is not None and json.loads(kept.document)["id"] == REMOTE_LIST

    remote.fetcher.down = True
    offline = verifier.verify_credential(badge)
    assert offline["verified"] is True, offline["problemDetails"]
    [warning] = offline["warnings"]
    assert "cached copy fetched at" in warning["detail"]
    assert warning["type"].endswith("STATUS_RETRIEVAL_ERROR")
    assert remote.fetcher.calls.count(REMOTE_LIST) == 2  # it did try the network first


def test_a_revocation_in_the_copy_holds_offline(
    ctx: ServiceContext, remote: RemoteIssuer, maker: SigningKey
) -> None:
    verifier = Verifier(ctx, status_fetcher=remote.fetcher)
    badge = remote.badge(ctx, maker.did_key, index=9)
    remote.bits.set(9, 1)
    remote.publish()
    assert verifier.verify_credential(badge)["verified"] is False
    remote.fetcher.down = True
    offline = verifier.verify_credential(badge)
    assert offline["verified"] is False
    assert "revoked" in json.dumps(offline["problemDetails"])


def test_a_copy_older_than_the_limit_fails_closed(
    ctx: ServiceContext, remote: RemoteIssuer, maker: SigningKey
) -> None:
    verifier = Verifier(ctx, status_fetcher=remote.fetcher)
    badge = remote.badge(ctx, maker.did_key)
    assert verifier.verify_credential(badge)["verified"] is True
    remote.fetcher.down = True
    limit = ctx.settings.status_list_max_age_seconds
    assert limit == 86_400
    _age_copy(ctx, timedelta(seconds=limit + 3600))
    stale = verifier.verify_credential(badge)
    assert stale["verified"] is False
    [problem] = stale["problemDetails"]
    assert problem["type"].endswith("STATUS_RETRIEVAL_ERROR")
    assert "25 h old" in problem["detail"] and "24 h" in problem["detail"]
    assert stale["warnings"] == []


def test_without_a_copy_an_unreachable_list_fails_closed(
    ctx: ServiceContext, remote: RemoteIssuer, maker: SigningKey
) -> None:
    remote.fetcher.down = True
    result = Verifier(ctx, status_fetcher=remote.fetcher).verify_credential(
        remote.badge(ctx, maker.did_key)
    )
    assert result["verified"] is False
    assert "could not be retrieved" in result["problemDetails"][0]["detail"]
    assert _copy(ctx) is None


def test_a_machine_check_offline_relies_on_the_copy_and_says_so(
    client: TestClient,
    ctx: ServiceContext,
    remote: RemoteIssuer,
    maker: SigningKey,
    machine: str,
    hub: Hub,
) -> None:
    client.app.state.verifier = Verifier(ctx, status_fetcher=remote.fetcher)  # type: ignore[attr-defined]
    trusted = client.post(
        "/admin/trusted-issuers", json={"did": remote.key.did_key, "name": "Remote"}, headers=ADMIN
    )
    assert trusted.status_code == 201
    badges = [
        issue_badge(client, hub, holder=maker.did_key, skill="LASER-SAFETY", level=1),
        remote.badge(ctx, maker.did_key),
    ]
    challenge = new_challenge(client)
    assert checked(client, machine, present(maker, badges, challenge), challenge)["passed"]

    remote.fetcher.down = True
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, badges, challenge), challenge)
    assert body["passed"] is True
    [warning] = by_skill(body["requirements"])["LASER-CUT"]["warnings"]
    assert "cached copy fetched at" in warning

    _age_copy(ctx, timedelta(days=2))
    challenge = new_challenge(client)
    body = checked(client, machine, present(maker, badges, challenge), challenge)
    found = by_skill(body["requirements"])["LASER-CUT"]
    assert (body["passed"], found["reason"]) == (False, "status-unavailable")
    assert "2 days old" in found["detail"]
