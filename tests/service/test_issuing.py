"""Issuing over HTTP: the VC API issue endpoint, skill badges, batches, status list
allocation, reading back and listing what was issued."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import HOLDER, Hub, issue_badge, make_settings, register

from passport_vc.api import create_app
from passport_vc.services.context import open_service

V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
PROBLEM_JSON = "application/problem+json"
OTHER_HOLDER = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


def _vc(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:someone-else.example",
        "credentialSubject": {"id": "did:example:maker"},
        **extra,
    }


def _issue(client: TestClient, hub: Hub, credential: Any, **options: Any) -> Any:
    return client.post(
        "/credentials/issue",
        json={"credential": credential, "options": options},
        headers=hub.auth,
    )


def _issued(client: TestClient, hub: Hub, credential: Any, **options: Any) -> dict[str, Any]:
    response = _issue(client, hub, credential, **options)
    assert response.status_code == 201, response.text
    vc: dict[str, Any] = response.json()["verifiableCredential"]
    return vc


def _stored_total(client: TestClient, hub: Hub) -> int:
    response = client.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def _assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    if field is not None:
        assert body.get("field") == field, body
    return body


def _entries(vc: dict[str, Any]) -> list[dict[str, Any]]:
    status = vc.get("credentialStatus", [])
    return status if isinstance(status, list) else [status]


# --- POST /credentials/issue -------------------------------------------------------------


def test_issue_answers_201_with_a_single_proof_object(client: TestClient, hub: Hub) -> None:
    """The VC API issue answers 201 {verifiableCredential} carrying exactly one proof object."""
    response = _issue(client, hub, _vc())
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"verifiableCredential"}
    vc = response.json()["verifiableCredential"]
    assert isinstance(vc["proof"], dict)
    assert vc["proof"]["type"] == "DataIntegrityProof"
    assert vc["proof"]["proofPurpose"] == "assertionMethod"
    assert vc["proof"]["verificationMethod"] == f"{hub.did}#key-1"
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200


def test_issue_replaces_a_string_issuer_with_the_callers_did(client: TestClient, hub: Hub) -> None:
    """Whatever string issuer the body names, the signed credential's issuer is the caller."""
    vc = _issued(client, hub, _vc(issuer="did:web:impostor.example"))
    assert vc["issuer"] == hub.did


def test_issue_replaces_an_object_issuer_id_and_keeps_its_name(
    client: TestClient, hub: Hub
) -> None:
    """An object issuer gets the caller's DID as id and keeps the name it came with."""
    vc = _issued(client, hub, _vc(issuer={"id": "did:web:impostor.example", "name": "Atelier"}))
    assert vc["issuer"] == {"id": hub.did, "name": "Atelier"}


def test_issue_without_issuer_uses_the_callers_did(client: TestClient, hub: Hub) -> None:
    """A credential with no issuer at all is issued by the caller."""
    credential = _vc()
    del credential["issuer"]
    assert _issued(client, hub, credential)["issuer"] == hub.did


def test_issue_accepts_vc_1_1_input_that_then_verifies(client: TestClient, hub: Hub) -> None:
    """A VC 1.1 credential (2018 context, issuanceDate) is issued and verifies."""
    credential = {
        "@context": [V1],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:someone-else.example",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:maker"},
    }
    vc = _issued(client, hub, credential)
    assert vc["@context"][0] == V1
    assert vc["issuanceDate"] == "2024-01-01T00:00:00Z"
    assert len(_entries(vc)) == 2
    verified = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True


def test_issue_adds_revocation_and_suspension_entries_by_default(
    client: TestClient, hub: Hub
) -> None:
    """By default the credential carries a revocation and a suspension BitstringStatusListEntry
    with a decimal-string index."""
    vc = _issued(client, hub, _vc())
    entries = _entries(vc)
    assert sorted(e["statusPurpose"] for e in entries) == ["revocation", "suspension"]
    for entry in entries:
        assert entry["type"] == "BitstringStatusListEntry"
        assert isinstance(entry["statusListIndex"], str)
        assert entry["statusListIndex"].isdigit()
        assert entry["statusListCredential"].startswith("https://hub.example/status-lists/")
        assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    assert len({e["statusListCredential"] for e in entries}) == 2


def test_issue_with_empty_status_purposes_adds_no_status(client: TestClient, hub: Hub) -> None:
    """options.statusPurposes [] issues a credential without any credentialStatus."""
    vc = _issued(client, hub, _vc(), statusPurposes=[])
    assert "credentialStatus" not in vc
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200


def test_issue_with_one_status_purpose_adds_only_that_entry(client: TestClient, hub: Hub) -> None:
    """options.statusPurposes ["suspension"] adds exactly one suspension entry."""
    vc = _issued(client, hub, _vc(), statusPurposes=["suspension"])
    assert [e["statusPurpose"] for e in _entries(vc)] == ["suspension"]


def test_issue_uses_options_credential_id(client: TestClient, hub: Hub) -> None:
    """options.credentialId becomes the credential's id."""
    wanted = f"urn:uuid:{uuid.uuid4()}"
    assert _issued(client, hub, _vc(), credentialId=wanted)["id"] == wanted


def test_issue_twice_with_the_same_credential_id_is_409(client: TestClient, hub: Hub) -> None:
    """A second credential with an id already issued here is refused 409 and not stored."""
    wanted = f"urn:uuid:{uuid.uuid4()}"
    _issued(client, hub, _vc(), credentialId=wanted)
    again = _issue(client, hub, _vc(), credentialId=wanted)
    _assert_problem(again, 409)
    assert _stored_total(client, hub) == 1


def test_issue_refuses_a_term_no_context_defines(client: TestClient, hub: Hub) -> None:
    """A property no context defines (JSON-LD would drop it) is refused, nothing stored."""
    credential = _vc(credentialSubject={"id": "did:example:maker", "favouriteTool": "laser"})
    response = _issue(client, hub, credential)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "favouriteTool" in response.json()["detail"]
    assert _stored_total(client, hub) == 0


def test_issue_refuses_an_undefined_term_in_vc_1_1(client: TestClient, hub: Hub) -> None:
    """The VC 1.1 context has no @vocab either: an undefined subject property is refused."""
    credential = {
        "@context": [V1],
        "type": ["VerifiableCredential"],
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:maker", "favouriteTool": "laser"},
    }
    response = _issue(client, hub, credential)
    assert 400 <= response.status_code < 500, response.text
    assert _stored_total(client, hub) == 0


def test_issue_names_a_malformed_credential_status(client: TestClient, hub: Hub) -> None:
    """A credentialStatus entry that is not a valid BitstringStatusListEntry is 422 naming it."""
    credential = _vc(
        credentialStatus={"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
    )
    body = _assert_problem(_issue(client, hub, credential), 422)
    assert body["field"].startswith("credential.credentialStatus")
    assert _stored_total(client, hub) == 0


def test_issue_refuses_a_status_entry_on_this_services_lists(client: TestClient, hub: Hub) -> None:
    """An input entry pointing at one of this service's status lists is 422 (the service
    allocates indices on its own lists)."""
    first = issue_badge(client, hub)
    entry = dict(_entries(first)[0])
    response = _issue(client, hub, _vc(credentialStatus=entry), statusPurposes=[])
    body = _assert_problem(response, 422)
    assert body["field"].startswith("credential.credentialStatus")
    assert _stored_total(client, hub) == 1


def test_issue_refuses_a_credential_that_already_has_a_proof(client: TestClient, hub: Hub) -> None:
    """An input that already carries a proof is 422 naming credential.proof."""
    credential = _vc(proof={"type": "DataIntegrityProof"})
    _assert_problem(_issue(client, hub, credential), 422, field="credential.proof")


# --- POST /makerspaces/{slug}/badges -----------------------------------------------------


def _badge(client: TestClient, hub: Hub, **fields: Any) -> Any:
    body = {"holder": HOLDER, "skill": "LASER-CUT", "level": 3, **fields}
    return client.post(f"/makerspaces/{hub.slug}/badges", json=body, headers=hub.auth)


def _achievement(badge: dict[str, Any]) -> dict[str, Any]:
    achievement: dict[str, Any] = badge["credentialSubject"]["achievement"]
    return achievement


def test_badge_is_an_open_badge_naming_the_skill(client: TestClient, hub: Hub) -> None:
    """A badge is a 201 OpenBadgeCredential to the holder whose achievement names the skill."""
    response = _badge(client, hub)
    assert response.status_code == 201, response.text
    badge = response.json()["verifiableCredential"]
    assert "OpenBadgeCredential" in badge["type"]
    assert badge["issuer"]["id"] == hub.did
    assert badge["credentialSubject"]["id"] == HOLDER
    achievement = _achievement(badge)
    assert "Laser cutting" in achievement["name"]
    targets = [a.get("targetCode") for a in achievement["alignment"]]
    assert "LASER-CUT" in targets
    assert isinstance(badge["proof"], dict)
    assert len(_entries(badge)) == 2


def test_badge_accepts_the_skill_by_uri(client: TestClient, hub: Hub) -> None:
    """The skill may be given by its taxonomy URI instead of its code."""
    response = _badge(client, hub, skill="https://passport-vc.org/skills/LASER-CUT")
    assert response.status_code == 201, response.text
    verified = client.post(
        "/credentials/verify",
        json={"verifiableCredential": response.json()["verifiableCredential"]},
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["skill"]["code"] == "LASER-CUT"
    assert verified.json()["skill"]["level"] == 3


def test_badge_with_an_unknown_skill_is_422_on_skill(client: TestClient, hub: Hub) -> None:
    """An unknown skill is 422 with field "skill"."""
    _assert_problem(_badge(client, hub, skill="UNDERWATER-WELDING"), 422, field="skill")


@pytest.mark.parametrize("level", [0, 5])
def test_badge_level_outside_the_scale_is_422_on_level(
    client: TestClient, hub: Hub, level: int
) -> None:
    """Levels outside 1..4 are 422 with field "level"."""
    _assert_problem(_badge(client, hub, level=level), 422, field="level")
    assert _stored_total(client, hub) == 0


def test_badge_holder_that_is_not_a_did_is_422_on_holder(client: TestClient, hub: Hub) -> None:
    """A holder that is not a DID is 422 with field "holder"."""
    _assert_problem(_badge(client, hub, holder="amina@example.org"), 422, field="holder")


def test_badge_carries_the_holder_name(client: TestClient, hub: Hub) -> None:
    """holderName travels into the badge's credentialSubject."""
    response = _badge(client, hub, holderName="Amina Diallo")
    assert response.status_code == 201, response.text
    assert "Amina Diallo" in json.dumps(
        response.json()["verifiableCredential"]["credentialSubject"]
    )


def test_badge_scope_machine_authorisation(client: TestClient, hub: Hub) -> None:
    """scope "machine-authorisation" issues an authorisation (a License achievement)."""
    response = _badge(client, hub, scope="machine-authorisation")
    assert response.status_code == 201, response.text
    achievement = _achievement(response.json()["verifiableCredential"])
    assert achievement["achievementType"] == "License"
    assert "authorisation" in achievement["name"].lower()
    skill_badge = _achievement(_badge(client, hub).json()["verifiableCredential"])
    assert skill_badge["id"] != achievement["id"]


@pytest.mark.parametrize("valid_until", ["2020-01-01T00:00:00Z", "next tuesday", "2999-01-01"])
def test_badge_valid_until_in_the_past_or_malformed_is_422(
    client: TestClient, hub: Hub, valid_until: str
) -> None:
    """validUntil before now or not an XSD dateTimeStamp is 422 with field "validUntil"."""
    _assert_problem(_badge(client, hub, validUntil=valid_until), 422, field="validUntil")
    assert _stored_total(client, hub) == 0


def test_badge_valid_until_in_the_future_is_kept(client: TestClient, hub: Hub) -> None:
    """A future validUntil is written into the badge."""
    response = _badge(client, hub, validUntil="2999-01-01T00:00:00Z")
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["validUntil"] == "2999-01-01T00:00:00Z"


# --- batches -----------------------------------------------------------------------------


def _batch(client: TestClient, hub: Hub, query: str = "", **kwargs: Any) -> Any:
    return client.post(
        f"/makerspaces/{hub.slug}/badges/batch{query}",
        headers={**hub.auth, **kwargs.pop("headers", {})},
        **kwargs,
    )


def _csv(
    rows: list[dict[str, Any]], columns: tuple[str, ...] = ("holder", "skill", "level")
) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


GOOD = {"holder": HOLDER, "skill": "LASER-CUT", "level": 3}


def test_batch_reports_each_row_and_stores_only_the_good_ones(client: TestClient, hub: Hub) -> None:
    """Good rows are issued, bad rows are reported with their field and nothing is stored
    for them."""
    rows = [
        GOOD,
        {**GOOD, "level": 9},
        {**GOOD, "skill": "CAD-2D", "holder": OTHER_HOLDER},
        {**GOOD, "holder": "not-a-did"},
        {**GOOD, "skill": "NOPE"},
    ]
    response = _batch(client, hub, json={"rows": rows})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["issued"], body["failed"]) == (5, 2, 3)
    results = body["results"]
    assert [r["row"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == ["issued", "failed", "issued", "failed", "failed"]
    assert [results[i]["field"] for i in (1, 3, 4)] == ["level", "holder", "skill"]
    assert all(results[i]["detail"] for i in (1, 3, 4))
    assert all("verifiableCredential" not in r for r in results)
    issued_ids = [results[i]["id"] for i in (0, 2)]
    assert _stored_total(client, hub) == 2
    for credential_uuid in issued_ids:
        assert client.get(f"/credentials/{credential_uuid}").status_code == 200


def test_batch_include_credentials_returns_the_signed_badges(client: TestClient, hub: Hub) -> None:
    """?includeCredentials=true puts each issued row's credential in the answer."""
    response = _batch(client, hub, "?includeCredentials=true", json={"rows": [GOOD, GOOD]})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for row in results:
        vc = row["verifiableCredential"]
        assert vc["id"] == row["credentialId"]
        assert client.get(f"/credentials/{row['id']}").json()["verifiableCredential"] == vc
    verified = client.post(
        "/credentials/verify", json={"verifiableCredential": results[1]["verifiableCredential"]}
    )
    assert verified.status_code == 200, verified.text


def test_batch_accepts_a_csv_body(client: TestClient, hub: Hub) -> None:
    """A text/csv body is read row by row, with per-row errors."""
    data = _csv(
        [GOOD, {**GOOD, "level": "7"}, {**GOOD, "holderName": "Kofi"}],
        columns=("holder", "holderName", "skill", "level"),
    )
    response = _batch(client, hub, content=data, headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["issued"], body["failed"]) == (3, 2, 1)
    assert body["results"][1]["field"] == "level"
    assert _stored_total(client, hub) == 2


def test_batch_accepts_a_csv_file_upload(client: TestClient, hub: Hub) -> None:
    """A multipart upload of a CSV file (form field "file") is issued."""
    data = _csv([GOOD, {**GOOD, "skill": "CAD-3D", "level": 2}])
    response = _batch(client, hub, files={"file": ("b.csv", data, "text/csv")})
    assert response.status_code == 200, response.text
    assert response.json()["issued"] == 2
    assert _stored_total(client, hub) == 2


def test_batch_of_10001_json_rows_is_422_and_stores_nothing(client: TestClient, hub: Hub) -> None:
    """A JSON batch over 10,000 rows is refused whole."""
    response = _batch(client, hub, json={"rows": [GOOD] * 10_001})
    _assert_problem(response, 422, field="rows")
    assert _stored_total(client, hub) == 0


def test_batch_of_10001_csv_rows_is_422_and_stores_nothing(client: TestClient, hub: Hub) -> None:
    """A CSV batch over 10,000 rows is refused whole."""
    data = _csv([GOOD] * 10_001)
    response = _batch(client, hub, content=data, headers={"Content-Type": "text/csv"})
    _assert_problem(response, 422)
    assert _stored_total(client, hub) == 0


def test_batch_csv_with_an_unknown_column_is_422_naming_it(client: TestClient, hub: Hub) -> None:
    """An unknown CSV column is 422 and the problem names the column."""
    data = _csv([{**GOOD, "shoeSize": "42"}], columns=("holder", "skill", "level", "shoeSize"))
    response = _batch(client, hub, content=data, headers={"Content-Type": "text/csv"})
    body = _assert_problem(response, 422)
    assert "shoeSize" in body["detail"]
    assert "shoeSize" in body["field"]
    assert _stored_total(client, hub) == 0


# --- status list allocation --------------------------------------------------------------


def _pairs(badges: list[dict[str, Any]], purpose: str) -> list[tuple[str, int]]:
    return [
        (e["statusListCredential"], int(e["statusListIndex"]))
        for badge in badges
        for e in _entries(badge)
        if e["statusPurpose"] == purpose
    ]


def test_sixty_badges_get_distinct_indices(client: TestClient, hub: Hub) -> None:
    """60 badges (one by one and in a batch) get 60 distinct indices per purpose."""
    badges = [issue_badge(client, hub) for _ in range(30)]
    response = _batch(client, hub, "?includeCredentials=true", json={"rows": [GOOD] * 30})
    assert response.json()["issued"] == 30, response.text
    badges += [row["verifiableCredential"] for row in response.json()["results"]]
    for purpose in ("revocation", "suspension"):
        pairs = _pairs(badges, purpose)
        assert len(pairs) == 60
        assert len(set(pairs)) == 60


@pytest.fixture
def small_client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """A service whose status lists hand out only 5 indices each."""
    ctx = open_service(make_settings(tmp_path, database_url, status_list_capacity=5))
    try:
        with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        ctx.close()


def test_full_status_lists_roll_over_to_new_lists(small_client: TestClient) -> None:
    """With a capacity of 5, lists never hold more than 5 entries, every (list, index) pair is
    distinct and new list URLs appear as lists fill, for single badges and a batch."""
    hub = register(small_client, "Fablab Cotonou")
    badges = [issue_badge(small_client, hub) for _ in range(12)]
    response = _batch(small_client, hub, "?includeCredentials=true", json={"rows": [GOOD] * 12})
    assert response.status_code == 200, response.text
    assert response.json()["issued"] == 12, response.text
    badges += [row["verifiableCredential"] for row in response.json()["results"]]
    for purpose in ("revocation", "suspension"):
        pairs = _pairs(badges, purpose)
        assert len(pairs) == 24
        assert len(set(pairs)) == 24
        per_list = Counter(url for url, _ in pairs)
        assert max(per_list.values()) <= 5
        assert len(per_list) >= 5  # 24 entries need at least 5 lists of 5
        assert all(0 <= idx < 5 for _, idx in pairs)
    revocation_urls = {url for url, _ in _pairs(badges, "revocation")}
    suspension_urls = {url for url, _ in _pairs(badges, "suspension")}
    assert not revocation_urls & suspension_urls
    for badge in (badges[0], badges[11], badges[-1]):
        verified = small_client.post("/credentials/verify", json={"verifiableCredential": badge})
        assert verified.status_code == 200, verified.text


# --- reading back ------------------------------------------------------------------------


def test_get_credential_by_uuid_returns_exactly_what_was_issued(
    client: TestClient, hub: Hub
) -> None:
    """GET /credentials/{uuid} returns the stored credential equal, key order included, to the
    issue answer."""
    badge = issue_badge(client, hub, holderName="Amina Diallo", evidence="Cut a box")
    credential_uuid = badge["id"].rsplit("/", 1)[1]
    response = client.get(f"/credentials/{credential_uuid}")
    assert response.status_code == 200, response.text
    stored = response.json()["verifiableCredential"]
    assert json.dumps(stored) == json.dumps(badge)


def test_get_credential_by_full_id(client: TestClient, hub: Hub) -> None:
    """GET /credentials/{id} also finds a credential by its full (URL-encoded) id."""
    wanted = f"urn:uuid:{uuid.uuid4()}"
    vc = _issued(client, hub, _vc(), credentialId=wanted)
    by_urn = client.get(f"/credentials/{quote(wanted, safe='')}")
    assert by_urn.status_code == 200, by_urn.text
    assert json.dumps(by_urn.json()["verifiableCredential"]) == json.dumps(vc)
    badge = issue_badge(client, hub)
    by_url = client.get(f"/credentials/{quote(badge['id'], safe='')}")
    assert by_url.status_code == 200, by_url.text
    assert by_url.json()["verifiableCredential"] == badge


def test_get_unknown_credential_is_404_problem(client: TestClient) -> None:
    """An unknown credential is 404 problem+json."""
    _assert_problem(client.get(f"/credentials/{uuid.uuid4()}"), 404)
    _assert_problem(client.get("/credentials/urn%3Auuid%3Anothing-here"), 404)


# --- listing -----------------------------------------------------------------------------


def _list(client: TestClient, hub: Hub, **params: Any) -> Any:
    return client.get(f"/makerspaces/{hub.slug}/credentials", params=params, headers=hub.auth)


def _change(client: TestClient, hub: Hub, credential_id: str, purpose: str) -> None:
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
            "status": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 200, response.text


def test_credentials_list_pages_with_limit_offset_total(client: TestClient, hub: Hub) -> None:
    """Listing pages through every credential once, with a stable total."""
    issued = {issue_badge(client, hub)["id"] for _ in range(5)}
    seen: list[str] = []
    for offset in (0, 2, 4):
        page = _list(client, hub, limit=2, offset=offset)
        assert page.status_code == 200, page.text
        body = page.json()
        assert (body["total"], body["limit"], body["offset"]) == (5, 2, offset)
        assert len(body["items"]) == (2 if offset < 4 else 1)
        seen += [item["credentialId"] for item in body["items"]]
    assert sorted(seen) == sorted(issued)
    assert _list(client, hub, limit=2, offset=10).json()["items"] == []


def test_credentials_list_filters_by_holder_skill_and_status(client: TestClient, hub: Hub) -> None:
    """holder, skill (by code) and status (active, revoked, suspended) filter the list."""
    laser = issue_badge(client, hub)
    cad = issue_badge(client, hub, skill="CAD-2D", holder=OTHER_HOLDER)
    revoked = issue_badge(client, hub, holder=OTHER_HOLDER)
    suspended = issue_badge(client, hub, skill="CAD-2D")
    _change(client, hub, revoked["id"], "revocation")
    _change(client, hub, suspended["id"], "suspension")

    def ids(**params: Any) -> set[str]:
        response = _list(client, hub, **params)
        assert response.status_code == 200, response.text
        assert response.json()["total"] == len(response.json()["items"])
        return {item["credentialId"] for item in response.json()["items"]}

    assert ids(holder=OTHER_HOLDER) == {cad["id"], revoked["id"]}
    assert ids(skill="CAD-2D") == {cad["id"], suspended["id"]}
    assert ids(skill="https://passport-vc.org/skills/LASER-CUT") == {laser["id"], revoked["id"]}
    assert ids(status="active") == {laser["id"], cad["id"]}
    assert ids(status="revoked") == {revoked["id"]}
    assert ids(status="suspended") == {suspended["id"]}
    assert ids(holder=HOLDER, skill="LASER-CUT", status="active") == {laser["id"]}
    items = {i["credentialId"]: i for i in _list(client, hub).json()["items"]}
    assert items[revoked["id"]]["revoked"] is True
    assert items[suspended["id"]]["suspended"] is True
    assert items[laser["id"]]["revoked"] is items[laser["id"]]["suspended"] is False


def test_credentials_list_with_an_invalid_status_is_422(client: TestClient, hub: Hub) -> None:
    """An unknown status filter is 422 naming "status"."""
    _assert_problem(_list(client, hub, status="expired"), 422, field="status")
